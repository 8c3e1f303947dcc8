package audit

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/keyring"
)

// Report is the outcome of Verify.
type Report struct {
	Events          int64  `json:"events"`            // records read
	Head            int64  `json:"head"`              // highest sequence number seen
	Checkpoints     int    `json:"checkpoints"`       // signed checkpoints checked
	SignedThrough   int64  `json:"signed_through"`    // sequence number of the newest valid checkpoint
	KeyID           string `json:"key_id"`            // public key the checkpoints were checked with
	SealedChecked   bool   `json:"sealed_checked"`    // sealed parts were opened (master key given)
	FirstBad        int64  `json:"first_bad"`         // 0 when the chain is intact
	Problem         string `json:"problem,omitempty"` // what is wrong at FirstBad
	UnsignedTailLen int64  `json:"unsigned_tail"`     // events after the newest checkpoint
}

// OK reports whether no tampering was found.
func (r *Report) OK() bool { return r.FirstBad == 0 }

func (r *Report) fail(seq int64, format string, args ...any) {
	if r.FirstBad == 0 || seq < r.FirstBad {
		r.FirstBad = seq
		r.Problem = fmt.Sprintf(format, args...)
	}
}

// errStop ends a scan once a problem is found.
var errStop = errors.New("stop")

// Verify checks the whole chain in store: sequence numbers run 1, 2, 3...
// without gaps; each record links to the one before and hashes to its stored
// hash; every checkpoint is signed by pub and matches the record it names.
// With keys, it also opens every sealed part. It reports the first bad
// sequence number; errors are reserved for failing to read at all.
//
// What it cannot see: an attacker who can write the store and recomputes
// every hash after the newest checkpoint. UnsignedTailLen says how many
// events are in that window (the server signs at least every few seconds).
func Verify(ctx context.Context, store warden.Store, pub ed25519.PublicKey, keys *keyring.Keyring) (*Report, error) {
	rep := &Report{KeyID: keyring.KeyID(pub), SealedChecked: keys != nil}
	cps := map[int64]*warden.Checkpoint{}
	var lastCP int64
	err := store.View(ctx, func(tx warden.Tx) error {
		if err := tx.ScanCheckpoints(func(c *warden.Checkpoint) error {
			rep.Checkpoints++
			if c.KeyID != rep.KeyID || !ed25519.Verify(pub, checkpointMessage(c), c.Signature) {
				rep.fail(c.Seq, "the checkpoint at event %d has an invalid signature", c.Seq)
				return nil
			}
			cps[c.Seq] = c
			lastCP = max(lastCP, c.Seq)
			return nil
		}); err != nil {
			return err
		}
		var prevHash []byte = []byte{}
		var expect int64 = 1
		recent := newWindow(4096)
		var lastGoodCP int64
		err := tx.ScanEvents(0, func(r *warden.EventRecord) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			rep.Events++
			rep.Head = r.Seq
			switch {
			case r.Seq > expect:
				rep.fail(expect, "event %d is missing (the next stored event is %d)", expect, r.Seq)
				return errStop
			case r.Seq < expect:
				rep.fail(r.Seq, "event %d appears twice", r.Seq)
				return errStop
			}
			expect++
			if !bytes.Equal(r.PrevHash, prevHash) {
				if j, ok := recent.seq(r.PrevHash); ok && j < r.Seq-1 {
					rep.fail(j+1, "events %d to %d were inserted (event %d links to event %d)", j+1, r.Seq-1, r.Seq, j)
				} else {
					rep.fail(r.Seq, "event %d does not link to event %d (it was modified, moved, or an event before it was removed)", r.Seq, r.Seq-1)
				}
				return errStop
			}
			if !bytes.Equal(RecordHash(r), r.Hash) {
				rep.fail(r.Seq, "event %d was modified (its content does not match its hash)", r.Seq)
				return errStop
			}
			if c, ok := cps[r.Seq]; ok {
				if !bytes.Equal(c.Hash, r.Hash) {
					rep.fail(lastGoodCP+1, "the chain was rewritten between event %d and event %d (it no longer matches the signed checkpoint at %d)", lastGoodCP+1, r.Seq, r.Seq)
					return errStop
				}
				lastGoodCP = r.Seq
			}
			if keys != nil {
				ev, err := Decode(keys, r)
				if err != nil {
					rep.fail(r.Seq, "event %d has sealed details that fail authentication", r.Seq)
					return errStop
				}
				if !bytes.Equal(targetHash(keys, ev.Target), r.TargetHash) {
					rep.fail(r.Seq, "event %d has a target lookup hash that does not match its sealed target", r.Seq)
					return errStop
				}
			}
			prevHash = r.Hash
			recent.add(r.Seq, r.Hash)
			return nil
		})
		if err != nil && !errors.Is(err, errStop) {
			return err
		}
		if rep.OK() && lastCP > rep.Head {
			rep.fail(rep.Head+1, "events %d to %d are missing (a signed checkpoint covers event %d)", rep.Head+1, lastCP, lastCP)
		}
		rep.SignedThrough = lastGoodCP
		rep.UnsignedTailLen = rep.Head - lastGoodCP
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("verify audit: %w", err)
	}
	return rep, nil
}

// window remembers the hashes of the most recent events, so a broken link can
// be traced to inserted events rather than blamed on the event after them.
type window struct {
	bySeq map[string]int64
	order [][]byte
	size  int
}

func newWindow(size int) *window { return &window{bySeq: map[string]int64{}, size: size} }

func (w *window) add(seq int64, hash []byte) {
	w.bySeq[string(hash)] = seq
	w.order = append(w.order, hash)
	if len(w.order) > w.size {
		delete(w.bySeq, string(w.order[0]))
		w.order = w.order[1:]
	}
}

func (w *window) seq(hash []byte) (int64, bool) {
	s, ok := w.bySeq[string(hash)]
	return s, ok
}
