package sqlite

import "github.com/wardenhq/warden"

const shareCols = `id, workspace_id, workspace, created_by_id, created_by, folder, download, watermark, max_views, views,
	created_at, expires_at, revoked_at, revoked_by, sealed`

func scanShare(s scanner) (*warden.ShareRecord, error) {
	var r warden.ShareRecord
	var created, expires, revoked int64
	if err := s.Scan(&r.ID, &r.WorkspaceID, &r.Workspace, &r.CreatedByID, &r.CreatedBy, &r.Folder, &r.Download, &r.Watermark,
		&r.MaxViews, &r.Views, &created, &expires, &revoked, &r.RevokedBy, &r.Sealed); err != nil {
		return nil, err
	}
	r.CreatedAt, r.ExpiresAt, r.RevokedAt = fromNanos(created), fromNanos(expires), fromNanos(revoked)
	return &r, nil
}

// CreateShare stores a new share.
func (t *tx) CreateShare(s *warden.ShareRecord) error {
	_, err := t.exec("share "+s.ID, `INSERT INTO shares (`+shareCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.ID, s.WorkspaceID, s.Workspace, s.CreatedByID, s.CreatedBy, s.Folder, s.Download, s.Watermark, s.MaxViews, s.Views,
		nanos(s.CreatedAt), nanos(s.ExpiresAt), nanos(s.RevokedAt), s.RevokedBy, s.Sealed)
	return err
}

// ShareByID finds one share.
func (t *tx) ShareByID(id string) (*warden.ShareRecord, error) {
	s, err := scanShare(t.row(`SELECT `+shareCols+` FROM shares WHERE id = ?`, id))
	return s, mapErr(err, "share")
}

// Shares lists shares, newest first.
func (t *tx) Shares(workspaceID int64) ([]*warden.ShareRecord, error) {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT `+shareCols+` FROM shares WHERE (? = 0 OR workspace_id = ?) ORDER BY created_at DESC, id`,
		workspaceID, workspaceID)
	if err != nil {
		return nil, mapErr(err, "shares")
	}
	defer rows.Close()
	var out []*warden.ShareRecord
	for rows.Next() {
		s, err := scanShare(rows)
		if err != nil {
			return nil, mapErr(err, "shares")
		}
		out = append(out, s)
	}
	return out, mapErr(rows.Err(), "shares")
}

// UpdateShare saves a share's views and revocation.
func (t *tx) UpdateShare(s *warden.ShareRecord) error {
	r, err := t.exec("share "+s.ID, `UPDATE shares SET views = ?, revoked_at = ?, revoked_by = ? WHERE id = ?`,
		s.Views, nanos(s.RevokedAt), s.RevokedBy, s.ID)
	if err != nil {
		return err
	}
	return mustAffect(r, "share "+s.ID)
}

// PutShareCode creates or replaces the code for one address.
func (t *tx) PutShareCode(c *warden.ShareCode) error {
	_, err := t.exec("share code", `INSERT INTO share_codes (share_id, email_hash, code_hash, attempts, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (share_id, email_hash) DO UPDATE SET
		code_hash = excluded.code_hash, attempts = excluded.attempts, created_at = excluded.created_at, expires_at = excluded.expires_at`,
		c.ShareID, c.EmailHash, c.CodeHash, c.Attempts, nanos(c.CreatedAt), nanos(c.ExpiresAt))
	return err
}

// ShareCode finds the code for one address.
func (t *tx) ShareCode(shareID string, emailHash []byte) (*warden.ShareCode, error) {
	c := warden.ShareCode{ShareID: shareID, EmailHash: emailHash}
	var created, expires int64
	err := t.row(`SELECT code_hash, attempts, created_at, expires_at FROM share_codes WHERE share_id = ? AND email_hash = ?`,
		shareID, emailHash).Scan(&c.CodeHash, &c.Attempts, &created, &expires)
	if err != nil {
		return nil, mapErr(err, "share code")
	}
	c.CreatedAt, c.ExpiresAt = fromNanos(created), fromNanos(expires)
	return &c, nil
}

// DeleteShareCode removes the code for one address, if any.
func (t *tx) DeleteShareCode(shareID string, emailHash []byte) error {
	_, err := t.exec("share code", `DELETE FROM share_codes WHERE share_id = ? AND email_hash = ?`, shareID, emailHash)
	return err
}

// CreateShareSession stores a recipient's session.
func (t *tx) CreateShareSession(s *warden.ShareSession) error {
	_, err := t.exec("share session", `INSERT INTO share_sessions (hash, share_id, email_sealed, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		s.Hash, s.ShareID, s.EmailSealed, nanos(s.CreatedAt), nanos(s.ExpiresAt))
	return err
}

// ShareSessionByHash finds a session by the hash of its cookie.
func (t *tx) ShareSessionByHash(hash []byte) (*warden.ShareSession, error) {
	s := warden.ShareSession{Hash: hash}
	var created, expires int64
	err := t.row(`SELECT share_id, email_sealed, created_at, expires_at FROM share_sessions WHERE hash = ?`, hash).
		Scan(&s.ShareID, &s.EmailSealed, &created, &expires)
	if err != nil {
		return nil, mapErr(err, "share session")
	}
	s.CreatedAt, s.ExpiresAt = fromNanos(created), fromNanos(expires)
	return &s, nil
}
