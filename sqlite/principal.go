package sqlite

import (
	"time"

	"github.com/wardenhq/warden"
)

const principalCols = `id, name, kind, role, profile, state, lock_note, locked_by, locked_at, created_at, created_by`

type scanner interface{ Scan(...any) error }

func scanPrincipal(s scanner) (*warden.Principal, error) {
	var p warden.Principal
	var lockedAt, createdAt int64
	if err := s.Scan(&p.ID, &p.Name, &p.Kind, &p.Role, &p.Profile, &p.State, &p.LockNoteSealed, &p.LockedBy, &lockedAt, &createdAt, &p.CreatedBy); err != nil {
		return nil, err
	}
	p.LockedAt, p.CreatedAt = fromNanos(lockedAt), fromNanos(createdAt)
	return &p, nil
}

// CreatePrincipal stores p.
func (t *tx) CreatePrincipal(p *warden.Principal) error {
	if p.State == "" {
		p.State = warden.StateActive
	}
	r, err := t.exec("principal "+p.Name, `INSERT INTO principals (name, kind, role, profile, state, lock_note, locked_by, locked_at, created_at, created_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.Name, p.Kind, p.Role, p.Profile, p.State, p.LockNoteSealed, p.LockedBy, nanos(p.LockedAt), nanos(p.CreatedAt), p.CreatedBy)
	if err != nil {
		return err
	}
	p.ID, err = r.LastInsertId()
	return err
}

// PrincipalByName finds a principal by name.
func (t *tx) PrincipalByName(name string) (*warden.Principal, error) {
	p, err := scanPrincipal(t.row(`SELECT `+principalCols+` FROM principals WHERE name = ?`, name))
	return p, mapErr(err, "principal")
}

// PrincipalByID finds a principal by id.
func (t *tx) PrincipalByID(id int64) (*warden.Principal, error) {
	p, err := scanPrincipal(t.row(qPrincipalByID, id))
	return p, mapErr(err, "principal")
}

// Principals lists principals of one kind, or all.
func (t *tx) Principals(kind warden.PrincipalKind) ([]*warden.Principal, error) {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT `+principalCols+` FROM principals WHERE ? = '' OR kind = ? ORDER BY name`, kind, kind)
	if err != nil {
		return nil, mapErr(err, "principals")
	}
	defer rows.Close()
	var out []*warden.Principal
	for rows.Next() {
		p, err := scanPrincipal(rows)
		if err != nil {
			return nil, mapErr(err, "principals")
		}
		out = append(out, p)
	}
	return out, mapErr(rows.Err(), "principals")
}

// UpdatePrincipal saves the mutable fields of p.
func (t *tx) UpdatePrincipal(p *warden.Principal) error {
	r, err := t.exec("principal "+p.Name, `UPDATE principals SET role = ?, profile = ?, state = ?, lock_note = ?, locked_by = ?, locked_at = ? WHERE id = ?`,
		p.Role, p.Profile, p.State, p.LockNoteSealed, p.LockedBy, nanos(p.LockedAt), p.ID)
	if err != nil {
		return err
	}
	return mustAffect(r, "principal "+p.Name)
}

// CreateToken stores a token hash.
func (t *tx) CreateToken(k *warden.Token) error {
	r, err := t.exec("token", `INSERT INTO tokens (principal_id, hash, hint, created_at, revoked_at) VALUES (?, ?, ?, ?, ?)`,
		k.PrincipalID, k.Hash, k.Hint, nanos(k.CreatedAt), nanos(k.RevokedAt))
	if err != nil {
		return err
	}
	k.ID, err = r.LastInsertId()
	return err
}

const tokenCols = `id, principal_id, hash, hint, created_at, revoked_at`

func scanToken(s scanner) (*warden.Token, error) {
	var k warden.Token
	var created, revoked int64
	if err := s.Scan(&k.ID, &k.PrincipalID, &k.Hash, &k.Hint, &created, &revoked); err != nil {
		return nil, err
	}
	k.CreatedAt, k.RevokedAt = fromNanos(created), fromNanos(revoked)
	return &k, nil
}

// TokenByHash finds a token by its hash.
func (t *tx) TokenByHash(hash []byte) (*warden.Token, error) {
	k, err := scanToken(t.row(qTokenByHash, hash))
	return k, mapErr(err, "token")
}

// TokenByID finds a token by id.
func (t *tx) TokenByID(id int64) (*warden.Token, error) {
	k, err := scanToken(t.row(`SELECT `+tokenCols+` FROM tokens WHERE id = ?`, id))
	return k, mapErr(err, "token")
}

// Tokens lists a principal's tokens, newest first.
func (t *tx) Tokens(principalID int64) ([]*warden.Token, error) {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT `+tokenCols+` FROM tokens WHERE principal_id = ? ORDER BY id DESC`, principalID)
	if err != nil {
		return nil, mapErr(err, "tokens")
	}
	defer rows.Close()
	var out []*warden.Token
	for rows.Next() {
		k, err := scanToken(rows)
		if err != nil {
			return nil, mapErr(err, "tokens")
		}
		out = append(out, k)
	}
	return out, mapErr(rows.Err(), "tokens")
}

// RevokeTokens revokes every valid token of a principal.
func (t *tx) RevokeTokens(principalID int64, at time.Time) (int, error) {
	r, err := t.exec("tokens", `UPDATE tokens SET revoked_at = ? WHERE principal_id = ? AND revoked_at = 0`, nanos(at), principalID)
	if err != nil {
		return 0, err
	}
	n, err := r.RowsAffected()
	return int(n), err
}
