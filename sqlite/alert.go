package sqlite

import "github.com/wardenhq/warden"

const alertCols = `id, rule, principal, kind, severity, action, status, created_at, updated_at, updated_by, sealed`

func scanAlert(s scanner) (*warden.AlertRecord, error) {
	var a warden.AlertRecord
	var created, updated int64
	if err := s.Scan(&a.ID, &a.Rule, &a.Principal, &a.Kind, &a.Severity, &a.Action, &a.Status, &created, &updated, &a.UpdatedBy, &a.Sealed); err != nil {
		return nil, err
	}
	a.CreatedAt, a.UpdatedAt = fromNanos(created), fromNanos(updated)
	return &a, nil
}

// CreateAlert stores a new alert.
func (t *tx) CreateAlert(a *warden.AlertRecord) error {
	_, err := t.exec("alert "+a.ID, `INSERT INTO alerts (`+alertCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.ID, a.Rule, a.Principal, a.Kind, a.Severity, a.Action, a.Status, nanos(a.CreatedAt), nanos(a.UpdatedAt), a.UpdatedBy, a.Sealed)
	return err
}

// AlertByID finds one alert.
func (t *tx) AlertByID(id string) (*warden.AlertRecord, error) {
	a, err := scanAlert(t.row(`SELECT `+alertCols+` FROM alerts WHERE id = ?`, id))
	return a, mapErr(err, "alert")
}

// UpdateAlert saves an alert's mutable fields.
func (t *tx) UpdateAlert(a *warden.AlertRecord) error {
	r, err := t.exec("alert "+a.ID, `UPDATE alerts SET status = ?, updated_at = ?, updated_by = ?, sealed = ? WHERE id = ?`,
		a.Status, nanos(a.UpdatedAt), a.UpdatedBy, a.Sealed, a.ID)
	if err != nil {
		return err
	}
	return mustAffect(r, "alert "+a.ID)
}

// Alerts lists alerts, newest first.
func (t *tx) Alerts(status warden.AlertStatus, limit int) ([]*warden.AlertRecord, error) {
	if limit <= 0 {
		limit = -1
	}
	rows, err := t.tx.QueryContext(t.ctx, `SELECT `+alertCols+` FROM alerts WHERE (? = '' OR status = ?) ORDER BY created_at DESC, id LIMIT ?`, status, status, limit)
	if err != nil {
		return nil, mapErr(err, "alerts")
	}
	defer rows.Close()
	var out []*warden.AlertRecord
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			return nil, mapErr(err, "alerts")
		}
		out = append(out, a)
	}
	return out, mapErr(rows.Err(), "alerts")
}
