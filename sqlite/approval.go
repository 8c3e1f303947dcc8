package sqlite

import (
	"time"

	"github.com/wardenhq/warden"
)

const approvalCols = `id, principal_id, agent, tool, action_hash, status, always, created_at, expires_at, decided_at, decided_by, sealed`

func scanApproval(s scanner) (*warden.ApprovalRecord, error) {
	var a warden.ApprovalRecord
	var created, expires, decided int64
	if err := s.Scan(&a.ID, &a.PrincipalID, &a.Agent, &a.Tool, &a.ActionHash, &a.Status, &a.Always, &created, &expires, &decided, &a.DecidedBy, &a.Sealed); err != nil {
		return nil, err
	}
	a.CreatedAt, a.ExpiresAt, a.DecidedAt = fromNanos(created), fromNanos(expires), fromNanos(decided)
	return &a, nil
}

// CreateApproval stores a new approval.
func (t *tx) CreateApproval(a *warden.ApprovalRecord) error {
	_, err := t.exec("approval "+a.ID, `INSERT INTO approvals (`+approvalCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.ID, a.PrincipalID, a.Agent, a.Tool, a.ActionHash, a.Status, a.Always, nanos(a.CreatedAt), nanos(a.ExpiresAt), nanos(a.DecidedAt), a.DecidedBy, a.Sealed)
	return err
}

// ApprovalByID finds one approval.
func (t *tx) ApprovalByID(id string) (*warden.ApprovalRecord, error) {
	a, err := scanApproval(t.row(`SELECT `+approvalCols+` FROM approvals WHERE id = ?`, id))
	return a, mapErr(err, "approval")
}

// UpdateApproval saves an approval's mutable fields.
func (t *tx) UpdateApproval(a *warden.ApprovalRecord) error {
	r, err := t.exec("approval "+a.ID, `UPDATE approvals SET status = ?, always = ?, expires_at = ?, decided_at = ?, decided_by = ?, sealed = ? WHERE id = ?`,
		a.Status, a.Always, nanos(a.ExpiresAt), nanos(a.DecidedAt), a.DecidedBy, a.Sealed, a.ID)
	if err != nil {
		return err
	}
	return mustAffect(r, "approval "+a.ID)
}

// ApprovalsForAction lists the newest live or used approvals of one action.
func (t *tx) ApprovalsForAction(principalID int64, hash []byte) ([]*warden.ApprovalRecord, error) {
	return t.approvals(`SELECT `+approvalCols+` FROM approvals WHERE principal_id = ? AND action_hash = ? AND status IN ('pending', 'approved', 'used')
		ORDER BY created_at DESC, id LIMIT 32`, principalID, hash)
}

// Approvals lists approvals, newest first.
func (t *tx) Approvals(principalID int64, status warden.ApprovalStatus, since time.Time, limit int) ([]*warden.ApprovalRecord, error) {
	if limit <= 0 {
		limit = -1
	}
	return t.approvals(`SELECT `+approvalCols+` FROM approvals WHERE (? = 0 OR principal_id = ?) AND (? = '' OR status = ?) AND created_at > ?
		ORDER BY created_at DESC, id LIMIT ?`, principalID, principalID, status, status, nanos(since), limit)
}

// CountPending counts a principal's live pending approvals.
func (t *tx) CountPending(principalID int64, now time.Time) (int, error) {
	var n int
	err := t.row(`SELECT COUNT(*) FROM approvals WHERE principal_id = ? AND status = 'pending' AND expires_at > ?`, principalID, nanos(now)).Scan(&n)
	return n, mapErr(err, "approvals")
}

func (t *tx) approvals(q string, args ...any) ([]*warden.ApprovalRecord, error) {
	rows, err := t.tx.QueryContext(t.ctx, q, args...)
	if err != nil {
		return nil, mapErr(err, "approvals")
	}
	defer rows.Close()
	var out []*warden.ApprovalRecord
	for rows.Next() {
		a, err := scanApproval(rows)
		if err != nil {
			return nil, mapErr(err, "approvals")
		}
		out = append(out, a)
	}
	return out, mapErr(rows.Err(), "approvals")
}
