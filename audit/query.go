package audit

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/keyring"
)

// MaxQueryLimit caps how many events one query returns.
const MaxQueryLimit = 1000

// Query returns events matching f, oldest first, with their sealed parts
// opened. A record whose sealed part fails to open is an integrity error.
func (l *Log) Query(ctx context.Context, f warden.EventFilter) ([]*warden.Event, error) {
	if f.Limit <= 0 || f.Limit > MaxQueryLimit {
		f.Limit = MaxQueryLimit
	}
	var recs []*warden.EventRecord
	if err := l.store.View(ctx, func(tx warden.Tx) error {
		var err error
		recs, err = tx.Events(f)
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

// Decode turns a stored record back into an Event, opening its sealed part.
func Decode(keys *keyring.Keyring, r *warden.EventRecord) (*warden.Event, error) {
	plain, err := keys.OpenAudit(r.Sealed, sealContext(r.Seq))
	if err != nil {
		return nil, warden.WrapError(warden.EINTEGRITY, err, "audit event %d failed its integrity check", r.Seq)
	}
	var s sealedPart
	if err := json.Unmarshal(plain, &s); err != nil {
		return nil, warden.WrapError(warden.EINTEGRITY, err, "audit event %d is malformed", r.Seq)
	}
	return &warden.Event{
		Seq: r.Seq, Time: r.Time, RequestID: r.RequestID, Principal: r.Principal, Kind: r.Kind,
		Action: r.Action, Workspace: r.Workspace, Target: s.Target,
		Decision: warden.Decision{Effect: r.Effect, Rule: r.Rule, Reason: s.Reason},
		Error:    r.Error, Remote: s.Remote, Details: s.Details, PrevHash: r.PrevHash, Hash: r.Hash,
	}, nil
}
