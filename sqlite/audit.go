package sqlite

import (
	"database/sql"
	"strings"

	"github.com/wardenhq/warden"
)

const eventCols = `seq, time, request_id, principal, kind, action, workspace, effect, rule, error, target_hash, sealed, prev_hash, hash`

func scanEvent(s scanner) (*warden.EventRecord, error) {
	var r warden.EventRecord
	var at int64
	if err := s.Scan(&r.Seq, &at, &r.RequestID, &r.Principal, &r.Kind, &r.Action, &r.Workspace, &r.Effect, &r.Rule, &r.Error, &r.TargetHash, &r.Sealed, &r.PrevHash, &r.Hash); err != nil {
		return nil, err
	}
	r.Time = fromStamp(at)
	return &r, nil
}

// LastEvent returns the newest event's sequence number and hash. SQLite runs
// one write transaction at a time, so nothing can append between this read
// and the caller's InsertEvent.
func (t *tx) LastEvent() (int64, []byte, error) {
	var seq int64
	var hash []byte
	err := t.row(qLastEvent).Scan(&seq, &hash)
	if err == sql.ErrNoRows {
		return 0, nil, nil
	}
	return seq, hash, mapErr(err, "audit head")
}

// InsertEvent appends a record.
func (t *tx) InsertEvent(r *warden.EventRecord) error {
	_, err := t.exec("audit event", qInsertEvent,
		r.Seq, stamp(r.Time), r.RequestID, r.Principal, r.Kind, r.Action, r.Workspace, r.Effect, r.Rule, r.Error, r.TargetHash, r.Sealed, r.PrevHash, r.Hash)
	return err
}

// Events returns records matching f in sequence order.
func (t *tx) Events(f warden.EventFilter) ([]*warden.EventRecord, error) {
	return t.events(f, 0, "seq")
}

// EventsBefore returns records matching f with seq < before (no bound when
// before is 0), newest first: the console's pages read the log backwards.
// f.AfterSeq still bounds from below. The (principal, seq) and (action, seq)
// indexes serve it.
func (t *tx) EventsBefore(f warden.EventFilter, before int64) ([]*warden.EventRecord, error) {
	return t.events(f, before, "seq DESC")
}

// events is the one filtered query behind Events and EventsBefore.
func (t *tx) events(f warden.EventFilter, before int64, order string) ([]*warden.EventRecord, error) {
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
	q := `SELECT ` + eventCols + ` FROM audit_events WHERE ` + strings.Join(where, " AND ") + ` ORDER BY ` + order + ` LIMIT ?`
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

// ScanEvents streams records after a sequence number.
func (t *tx) ScanEvents(afterSeq int64, fn func(*warden.EventRecord) error) error {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT `+eventCols+` FROM audit_events WHERE seq > ? ORDER BY seq`, afterSeq)
	if err != nil {
		return mapErr(err, "audit events")
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanEvent(rows)
		if err != nil {
			return mapErr(err, "audit events")
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return mapErr(rows.Err(), "audit events")
}

// LastCheckpoint returns the newest checkpoint or nil.
func (t *tx) LastCheckpoint() (*warden.Checkpoint, error) {
	c, err := scanCheckpoint(t.row(qLastCheckpoint))
	if err == sql.ErrNoRows {
		return nil, nil
	}
	return c, mapErr(err, "audit checkpoint")
}

func scanCheckpoint(s scanner) (*warden.Checkpoint, error) {
	var c warden.Checkpoint
	var at int64
	if err := s.Scan(&c.Seq, &c.Hash, &at, &c.KeyID, &c.Signature); err != nil {
		return nil, err
	}
	c.Time = fromStamp(at)
	return &c, nil
}

// InsertCheckpoint stores a checkpoint.
func (t *tx) InsertCheckpoint(c *warden.Checkpoint) error {
	_, err := t.exec("audit checkpoint", `INSERT INTO audit_checkpoints (seq, hash, time, key_id, signature) VALUES (?, ?, ?, ?, ?)`,
		c.Seq, c.Hash, stamp(c.Time), c.KeyID, c.Signature)
	return err
}

// ScanCheckpoints streams every checkpoint in sequence order.
func (t *tx) ScanCheckpoints(fn func(*warden.Checkpoint) error) error {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT seq, hash, time, key_id, signature FROM audit_checkpoints ORDER BY seq`)
	if err != nil {
		return mapErr(err, "audit checkpoints")
	}
	defer rows.Close()
	for rows.Next() {
		c, err := scanCheckpoint(rows)
		if err != nil {
			return mapErr(err, "audit checkpoints")
		}
		if err := fn(c); err != nil {
			return err
		}
	}
	return mapErr(rows.Err(), "audit checkpoints")
}
