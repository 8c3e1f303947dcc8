package sqlite

import (
	"database/sql"

	"github.com/wardenhq/warden"
)

func mustAffect(r sql.Result, what string) error {
	n, err := r.RowsAffected()
	if err != nil {
		return mapErr(err, what)
	}
	if n == 0 {
		return warden.Errorf(warden.ENOTFOUND, "%s not found", what)
	}
	return nil
}

const workspaceCols = `id, name, label, created_at, created_by`

func scanWorkspace(s scanner) (*warden.Workspace, error) {
	var w warden.Workspace
	var created int64
	if err := s.Scan(&w.ID, &w.Name, &w.Label, &created, &w.CreatedBy); err != nil {
		return nil, err
	}
	w.CreatedAt = fromNanos(created)
	return &w, nil
}

// CreateWorkspace stores w.
func (t *tx) CreateWorkspace(w *warden.Workspace) error {
	r, err := t.exec("workspace "+w.Name, `INSERT INTO workspaces (name, label, created_at, created_by) VALUES (?, ?, ?, ?)`,
		w.Name, w.Label, nanos(w.CreatedAt), w.CreatedBy)
	if err != nil {
		return err
	}
	w.ID, err = r.LastInsertId()
	return err
}

// WorkspaceByName finds a workspace.
func (t *tx) WorkspaceByName(name string) (*warden.Workspace, error) {
	w, err := scanWorkspace(t.row(`SELECT `+workspaceCols+` FROM workspaces WHERE name = ?`, name))
	return w, mapErr(err, "workspace")
}

// Workspaces lists every workspace.
func (t *tx) Workspaces() ([]*warden.Workspace, error) {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT `+workspaceCols+` FROM workspaces ORDER BY name`)
	if err != nil {
		return nil, mapErr(err, "workspaces")
	}
	defer rows.Close()
	var out []*warden.Workspace
	for rows.Next() {
		w, err := scanWorkspace(rows)
		if err != nil {
			return nil, mapErr(err, "workspaces")
		}
		out = append(out, w)
	}
	return out, mapErr(rows.Err(), "workspaces")
}

// UpdateWorkspace saves w's label.
func (t *tx) UpdateWorkspace(w *warden.Workspace) error {
	r, err := t.exec("workspace "+w.Name, `UPDATE workspaces SET label = ? WHERE id = ?`, w.Label, w.ID)
	if err != nil {
		return err
	}
	return mustAffect(r, "workspace "+w.Name)
}

// SetGrant creates or replaces a grant.
func (t *tx) SetGrant(workspaceID, principalID int64, role warden.Role) error {
	_, err := t.exec("grant", `INSERT INTO grants (workspace_id, principal_id, role) VALUES (?, ?, ?)
		ON CONFLICT (workspace_id, principal_id) DO UPDATE SET role = excluded.role`, workspaceID, principalID, role)
	return err
}

// DeleteGrant removes a grant.
func (t *tx) DeleteGrant(workspaceID, principalID int64) error {
	r, err := t.exec("grant", `DELETE FROM grants WHERE workspace_id = ? AND principal_id = ?`, workspaceID, principalID)
	if err != nil {
		return err
	}
	return mustAffect(r, "grant")
}

// GrantRole returns a principal's role on a workspace, or "".
func (t *tx) GrantRole(workspaceID, principalID int64) (warden.Role, error) {
	var r warden.Role
	err := t.row(`SELECT role FROM grants WHERE workspace_id = ? AND principal_id = ?`, workspaceID, principalID).Scan(&r)
	if err == sql.ErrNoRows {
		return "", nil
	}
	return r, mapErr(err, "grant")
}

// Members lists a workspace's grants.
func (t *tx) Members(workspaceID int64) ([]warden.Member, error) {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT p.name, p.kind, g.role FROM grants g JOIN principals p ON p.id = g.principal_id
		WHERE g.workspace_id = ? ORDER BY p.name`, workspaceID)
	if err != nil {
		return nil, mapErr(err, "members")
	}
	defer rows.Close()
	var out []warden.Member
	for rows.Next() {
		var m warden.Member
		if err := rows.Scan(&m.Principal, &m.Kind, &m.Role); err != nil {
			return nil, mapErr(err, "members")
		}
		out = append(out, m)
	}
	return out, mapErr(rows.Err(), "members")
}

// GrantsOf lists a principal's grants.
func (t *tx) GrantsOf(principalID int64) ([]warden.Grant, error) {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT w.name, g.role FROM grants g JOIN workspaces w ON w.id = g.workspace_id
		WHERE g.principal_id = ? ORDER BY w.name`, principalID)
	if err != nil {
		return nil, mapErr(err, "grants")
	}
	defer rows.Close()
	var out []warden.Grant
	for rows.Next() {
		var g warden.Grant
		if err := rows.Scan(&g.Workspace, &g.Role); err != nil {
			return nil, mapErr(err, "grants")
		}
		out = append(out, g)
	}
	return out, mapErr(rows.Err(), "grants")
}
