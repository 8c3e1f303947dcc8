package sqlite

import (
	"strings"

	"github.com/wardenhq/warden"
)

// EventsBefore returns records matching f with seq < before (no bound when
// before is 0), newest first: the console's pages read the log backwards.
// f.AfterSeq still bounds from below. The (principal, seq) and (action, seq)
// indexes serve it.
func (t *tx) EventsBefore(f warden.EventFilter, before int64) ([]*warden.EventRecord, error) {
	var where []string
	var args []any
	add := func(cond string, a ...any) { where = append(where, cond); args = append(args, a...) }
	add("seq > ?", f.AfterSeq)
	if before > 0 {
		add("seq < ?", before)
	}
	if !f.Since.IsZero() {
		add("time >= ?", stamp(f.Since))
	}
	if !f.Until.IsZero() {
		add("time < ?", stamp(f.Until))
	}
	if f.Principal != "" {
		add("principal = ?", f.Principal)
	}
	if f.Workspace != "" {
		add("workspace = ?", f.Workspace)
	}
	if f.Effect != "" {
		add("effect = ?", f.Effect)
	}
	if prefix, ok := strings.CutSuffix(f.Action, "*"); ok {
		if prefix != "" {
			add("substr(action, 1, ?) = ?", len(prefix), prefix)
		}
	} else if f.Action != "" {
		add("action = ?", f.Action)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	q := `SELECT ` + eventCols + ` FROM audit_events WHERE ` + strings.Join(where, " AND ") + ` ORDER BY seq DESC LIMIT ?`
	rows, err := t.tx.QueryContext(t.ctx, q, append(args, limit)...)
	if err != nil {
		return nil, mapErr(err, "audit events")
	}
	defer rows.Close()
	var out []*warden.EventRecord
	for rows.Next() {
		r, err := scanEvent(rows)
		if err != nil {
			return nil, mapErr(err, "audit events")
		}
		out = append(out, r)
	}
	return out, mapErr(rows.Err(), "audit events")
}
