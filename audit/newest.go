package audit

import (
	"context"
	"fmt"
	"time"

	"github.com/wardenhq/warden"
)

// backwards is a store transaction that reads the log newest first
// (sqlite's tx). Without it, Newest pages forward and keeps the tail.
type backwards interface {
	EventsBefore(f warden.EventFilter, before int64) ([]*warden.EventRecord, error)
}

// newestRecords returns up to f.Limit records matching f with Seq < before
// (no bound when before is 0), newest first.
func newestRecords(tx warden.Tx, f warden.EventFilter, before int64) ([]*warden.EventRecord, error) {
	if f.Limit <= 0 || f.Limit > MaxQueryLimit {
		f.Limit = MaxQueryLimit
	}
	if b, ok := tx.(backwards); ok {
		return b.EventsBefore(f, before)
	}
	// Forward pages, keeping the last f.Limit records before the bound.
	n := f.Limit
	var tail []*warden.EventRecord
	for {
		recs, err := tx.Events(f)
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			if before > 0 && r.Seq >= before {
				recs = nil
				break
			}
			tail = append(tail, r)
			if len(tail) > n {
				tail = tail[1:]
			}
		}
		if len(recs) < f.Limit {
			break
		}
		f.AfterSeq = recs[len(recs)-1].Seq
	}
	for i, j := 0, len(tail)-1; i < j; i, j = i+1, j-1 {
		tail[i], tail[j] = tail[j], tail[i]
	}
	return tail, nil
}

// Newest returns up to f.Limit events matching f with Seq < before (no
// bound when before is 0), newest first, with their sealed parts opened.
// It checks no role: callers do (Browse does).
func (l *Log) Newest(ctx context.Context, f warden.EventFilter, before int64) ([]*warden.Event, error) {
	var recs []*warden.EventRecord
	if err := l.store.View(ctx, func(tx warden.Tx) error {
		var err error
		recs, err = newestRecords(tx, f, before)
		return err
	}); err != nil {
		return nil, fmt.Errorf("query audit: %w", err)
	}
	out := make([]*warden.Event, 0, len(recs))
	for _, r := range recs {
		ev, err := Decode(l.keys, r)
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	return out, nil
}

// Browse is Newest for a principal, checked and recorded as the REST query
// is: admins and auditors only, each read (allowed or refused) an
// audit.query event.
func (l *Log) Browse(ctx context.Context, p *warden.Principal, f warden.EventFilter, before int64) ([]*warden.Event, error) {
	req := warden.RequestFrom(ctx)
	ev := &warden.Event{RequestID: req.ID, Remote: req.Remote, Principal: p.Name, Kind: p.Kind, Action: "audit.query",
		Details: map[string]any{"principal": f.Principal, "action": f.Action, "workspace": f.Workspace, "decision": string(f.Effect), "before": before}}
	if !p.CanReadAudit() {
		ev.Decision = warden.Decision{Effect: warden.Deny, Rule: "rbac.auditor", Reason: "only admins and auditors read the audit log"}
		ev.Error = warden.EFORBIDDEN
		if err := l.Record(ctx, ev); err != nil {
			return nil, err
		}
		return nil, warden.Errorf(warden.EFORBIDDEN, "only admins and auditors read the audit log")
	}
	ev.Decision = warden.Decision{Effect: warden.Allow, Rule: "rbac." + string(p.Role)}
	events, err := l.Newest(ctx, f, before)
	if err != nil {
		return nil, err
	}
	return events, l.Record(ctx, ev)
}

// LastSeen returns the time of the newest event each named principal
// acted in (absent: never). It reads only the clear columns, one indexed
// look-up a name, and checks no role: callers show it only to who may list
// those principals.
func (l *Log) LastSeen(ctx context.Context, names []string) (map[string]time.Time, error) {
	out := make(map[string]time.Time, len(names))
	err := l.store.View(ctx, func(tx warden.Tx) error {
		for _, n := range names {
			recs, err := newestRecords(tx, warden.EventFilter{Principal: n, Limit: 1}, 0)
			if err != nil {
				return err
			}
			if len(recs) > 0 {
				out[n] = recs[0].Time
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("query audit: %w", err)
	}
	return out, nil
}

// Head returns the newest event's sequence number (0 for an empty log).
func (l *Log) Head(ctx context.Context) (int64, error) {
	var seq int64
	err := l.store.View(ctx, func(tx warden.Tx) error {
		var err error
		seq, _, err = tx.LastEvent()
		return err
	})
	return seq, err
}
