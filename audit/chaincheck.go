package audit

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"sync"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/keyring"
)

// ChainCheck verifies the chain incrementally, for a page that shows
// "verified up to sequence N" on every view: each Check carries on from
// where the last one stopped, reading at most its budget of new events, so
// a view costs the events appended since the last one (the first view of a
// large log takes several, each one budget further).
//
// Each Check also re-reads the last verified event and compares its hash
// with the one remembered, so a rewrite of verified history that recomputes
// the hashes after it is caught, and checks the newest signed checkpoint
// (signature, and that it matches the event it names). It does not open
// sealed parts and does not re-hash events it already verified: `warden
// audit verify` is the full check.
type ChainCheck struct {
	store warden.Store
	pub   ed25519.PublicKey
	keyID string

	mu      sync.Mutex
	through int64  // every event up to here links and hashes
	hash    []byte // the hash of event through
	signed  int64  // the newest checkpoint checked
	bad     int64  // first bad sequence number, sticky
	problem string
}

// ChainStatus is the outcome of a Check.
type ChainStatus struct {
	Through       int64  // verified up to this sequence number
	Head          int64  // the newest event
	SignedThrough int64  // the newest valid signed checkpoint
	FirstBad      int64  // 0 while intact
	Problem       string // what is wrong at FirstBad
}

// OK reports whether no tampering was found.
func (s ChainStatus) OK() bool { return s.FirstBad == 0 }

// ChainCheck returns a ChainCheck of the log's chain, checked with the
// log's own public key.
func (l *Log) ChainCheck() *ChainCheck { return NewChainCheck(l.store, l.keys.PublicKey()) }

// NewChainCheck returns a ChainCheck of the chain in store, its checkpoints
// checked with pub.
func NewChainCheck(store warden.Store, pub ed25519.PublicKey) *ChainCheck {
	return &ChainCheck{store: store, pub: pub, keyID: keyring.KeyID(pub), hash: []byte{}}
}

// Check verifies up to budget events past the last Check (at least 1).
// Checks run one at a time. A problem found stays: every later Check
// reports it.
func (c *ChainCheck) Check(ctx context.Context, budget int64) (ChainStatus, error) {
	budget = max(budget, 1)
	c.mu.Lock()
	defer c.mu.Unlock()
	var head int64
	err := c.store.View(ctx, func(tx warden.Tx) error {
		var err error
		if head, _, err = tx.LastEvent(); err != nil || c.bad != 0 {
			return err
		}
		if c.through > 0 {
			rec, err := recordAt(tx, c.through)
			if err != nil {
				return err
			}
			if rec == nil || !bytes.Equal(rec.Hash, c.hash) {
				c.fail(c.through, "event %d changed or vanished after it was verified (history was rewritten)", c.through)
				return nil
			}
		}
		n := int64(0)
		err = tx.ScanEvents(c.through, func(r *warden.EventRecord) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			switch {
			case r.Seq != c.through+1:
				c.fail(c.through+1, "event %d is missing or out of place (the next stored event is %d)", c.through+1, r.Seq)
			case !bytes.Equal(r.PrevHash, c.hash):
				c.fail(r.Seq, "event %d does not link to event %d", r.Seq, c.through)
			case !bytes.Equal(RecordHash(r), r.Hash):
				c.fail(r.Seq, "event %d was modified (its content does not match its hash)", r.Seq)
			}
			if c.bad != 0 {
				return errStop
			}
			c.through, c.hash = r.Seq, r.Hash
			if n++; n >= budget {
				return errStop
			}
			return nil
		})
		if err != nil && !errors.Is(err, errStop) {
			return err
		}
		if c.bad != 0 {
			return nil
		}
		cp, err := tx.LastCheckpoint()
		if err != nil || cp == nil || cp.Seq > c.through || cp.Seq <= c.signed {
			return err
		}
		if cp.KeyID != c.keyID || !ed25519.Verify(c.pub, checkpointMessage(cp), cp.Signature) {
			c.fail(cp.Seq, "the checkpoint at event %d has an invalid signature", cp.Seq)
			return nil
		}
		rec, err := recordAt(tx, cp.Seq)
		if err != nil {
			return err
		}
		if rec == nil || !bytes.Equal(rec.Hash, cp.Hash) {
			c.fail(c.signed+1, "the chain was rewritten before event %d (it no longer matches the signed checkpoint)", cp.Seq)
			return nil
		}
		c.signed = cp.Seq
		return nil
	})
	if err != nil {
		return ChainStatus{}, fmt.Errorf("verify audit: %w", err)
	}
	return ChainStatus{Through: c.through, Head: max(head, c.through), SignedThrough: c.signed, FirstBad: c.bad, Problem: c.problem}, nil
}

func (c *ChainCheck) fail(seq int64, format string, args ...any) {
	if c.bad == 0 {
		c.bad, c.problem = seq, fmt.Sprintf(format, args...)
	}
}

// recordAt returns the record with sequence number seq, or nil.
func recordAt(tx warden.Tx, seq int64) (*warden.EventRecord, error) {
	recs, err := tx.Events(warden.EventFilter{AfterSeq: seq - 1, Limit: 1})
	if err != nil || len(recs) == 0 || recs[0].Seq != seq {
		return nil, err
	}
	return recs[0], nil
}
