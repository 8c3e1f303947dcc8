// Package audit is the append path and the verifier of Warden's tamper-evident
// audit chain. Every plane records its actions here as warden.Events.
//
// Two ways in: Append writes an event inside the caller's store transaction,
// so an action and its record commit together or not at all (file writes,
// grants); Record writes an event on its own and returns once it is durable,
// batching concurrent callers into one transaction (group commit) so that
// auditing every read stays cheap. Both go through one function, so there is
// one chain format. A signed checkpoint is added every CheckpointEvery events
// and every CheckpointInterval while events arrive.
package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/keyring"
)

// Options configure a Log.
type Options struct {
	CheckpointEvery    int           // events between signed checkpoints (default 256)
	CheckpointInterval time.Duration // longest a new event goes unsigned while the server runs (default 10s)
	Now                func() time.Time
	Logger             *slog.Logger
}

// Log appends events to the chain in a Store.
type Log struct {
	store warden.Store
	keys  *keyring.Keyring
	opts  Options
	keyID string

	queue   chan *pending
	stop    chan struct{}
	wg      sync.WaitGroup
	mu      sync.RWMutex // guards closed against Record
	closed  bool
	onClose sync.Once

	subs []func(warden.Event)
}

// Subscribe has fn called with every event once it is committed, in chain
// order. Call it while wiring, before the log is used. fn runs on the
// committing goroutine, so it must be quick and must not block: the
// planes use it to keep in-memory state (labels, detection windows) in step
// with the record.
func (l *Log) Subscribe(fn func(warden.Event)) { l.subs = append(l.subs, fn) }

func (l *Log) notify(evs []*warden.Event) {
	for _, ev := range evs {
		for _, fn := range l.subs {
			fn(*ev)
		}
	}
}

// recordingTx notes the events appended in an Update, to announce them
// once the transaction commits.
type recordingTx struct {
	warden.Tx
	events *[]*warden.Event
}

type pending struct {
	prep *prepared
	done chan error
}

// prepared is the part of a record that does not depend on its position in
// the chain, computed before any lock is taken.
type prepared struct {
	ev         *warden.Event
	targetHash []byte
	plain      []byte
}

// sealedPart is the JSON that is sealed into EventRecord.Sealed.
type sealedPart struct {
	Target  string         `json:"target,omitempty"`
	Reason  string         `json:"reason,omitempty"`
	Remote  string         `json:"remote,omitempty"`
	Details map[string]any `json:"details,omitempty"`
}

// New returns a Log and starts its writer.
func New(store warden.Store, keys *keyring.Keyring, opts Options) *Log {
	if opts.CheckpointEvery <= 0 {
		opts.CheckpointEvery = 256
	}
	if opts.CheckpointInterval <= 0 {
		opts.CheckpointInterval = 10 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	l := &Log{
		store: store, keys: keys, opts: opts, keyID: keyring.KeyID(keys.PublicKey()),
		queue: make(chan *pending, 1024), stop: make(chan struct{}),
	}
	l.wg.Add(2)
	go l.writer()
	go l.ticker()
	return l
}

// prepare fills in defaults and seals nothing yet: sealing needs the sequence
// number. It fails for details that cannot be encoded.
func (l *Log) prepare(ev *warden.Event) (*prepared, error) {
	if ev.Action == "" {
		return nil, errors.New("audit: event without action")
	}
	if ev.Time.IsZero() {
		ev.Time = l.opts.Now()
	}
	ev.Time = ev.Time.UTC()
	if ev.Kind == "" {
		ev.Kind = warden.KindNone
	}
	if ev.Decision.Effect == "" {
		ev.Decision.Effect = warden.Allow
	}
	plain, err := json.Marshal(sealedPart{Target: ev.Target, Reason: ev.Decision.Reason, Remote: ev.Remote, Details: ev.Details})
	if err != nil {
		return nil, fmt.Errorf("audit: encode event details: %w", err)
	}
	return &prepared{ev: ev, plain: plain, targetHash: targetHash(l.keys, ev.Target)}, nil
}

// targetHash is the keyed hash stored beside an event for finding it by
// target without decrypting; nil for an event without a target.
func targetHash(keys *keyring.Keyring, target string) []byte {
	if target == "" {
		return nil
	}
	return keys.Index("audit-target", []byte(target))
}

// Append writes ev inside tx, setting ev.Seq, ev.PrevHash and ev.Hash. If tx
// does not commit, the event does not exist.
func (l *Log) Append(tx warden.Tx, ev *warden.Event) error {
	p, err := l.prepare(ev)
	if err != nil {
		return err
	}
	if err := l.write(tx, p, &head{}); err != nil {
		return err
	}
	if rt, ok := tx.(*recordingTx); ok {
		*rt.events = append(*rt.events, ev)
	}
	return nil
}

// head is the end of the chain as a transaction sees it, read once per
// transaction rather than once per event of a batch.
type head struct {
	known  bool
	seq    int64
	hash   []byte
	signed int64 // sequence number of the newest checkpoint
}

func (l *Log) write(tx warden.Tx, p *prepared, h *head) error {
	if !h.known {
		seq, prev, err := tx.LastEvent()
		if err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		cp, err := tx.LastCheckpoint()
		if err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		*h = head{known: true, seq: seq, hash: prev, signed: -1}
		if cp != nil {
			h.signed = cp.Seq
		}
	}
	seq, prev := h.seq, h.hash
	ev := p.ev
	r := &warden.EventRecord{
		Seq: seq + 1, Time: ev.Time, RequestID: ev.RequestID, Principal: ev.Principal, Kind: ev.Kind,
		Action: ev.Action, Workspace: ev.Workspace, Effect: ev.Decision.Effect, Rule: ev.Decision.Rule, Error: ev.Error,
		TargetHash: p.targetHash, Sealed: l.keys.SealAudit(p.plain, sealContext(seq+1)), PrevHash: prev,
	}
	if r.PrevHash == nil {
		r.PrevHash = []byte{}
	}
	r.Hash = RecordHash(r)
	if err := tx.InsertEvent(r); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	ev.Seq, ev.PrevHash, ev.Hash = r.Seq, r.PrevHash, r.Hash
	h.seq, h.hash = r.Seq, r.Hash
	if h.signed < 0 || r.Seq-h.signed >= int64(l.opts.CheckpointEvery) {
		h.signed = r.Seq
		return l.checkpoint(tx, r.Seq, r.Hash)
	}
	return nil
}

func (l *Log) checkpoint(tx warden.Tx, seq int64, hash []byte) error {
	c := &warden.Checkpoint{Seq: seq, Hash: hash, Time: l.opts.Now().UTC(), KeyID: l.keyID}
	c.Signature = l.keys.Sign(checkpointMessage(c))
	if err := tx.InsertCheckpoint(c); err != nil {
		return fmt.Errorf("audit: checkpoint: %w", err)
	}
	return nil
}

// Record writes ev in its own transaction and returns when it is durable.
// Concurrent calls share transactions. It fails once the Log is closed.
//
// The event is recorded even if ctx is cancelled: an action whose caller went
// away (a client that dropped mid-upload) still happened or was refused, and
// belongs on the record. Record waits for the writer, never for the caller.
func (l *Log) Record(ctx context.Context, ev *warden.Event) error {
	p, err := l.prepare(ev)
	if err != nil {
		return err
	}
	pe := &pending{prep: p, done: make(chan error, 1)}
	l.mu.RLock()
	if l.closed {
		l.mu.RUnlock()
		return warden.Errorf(warden.EUNAVAILABLE, "audit log is closed")
	}
	// Close takes the write lock before closing the queue, so this send
	// cannot race with it; the writer drains the queue until then.
	l.queue <- pe
	l.mu.RUnlock()
	if err := <-pe.done; err != nil {
		return err
	}
	warden.MarkAudited(ctx)
	return nil
}

// Update runs fn in a write transaction of store and, if it commits, marks
// the request in ctx as audited: fn must Append the request's event.
func (l *Log) Update(ctx context.Context, fn func(tx warden.Tx) error) error {
	var appended []*warden.Event
	if err := l.store.Update(ctx, func(tx warden.Tx) error {
		appended = appended[:0] // a retried transaction starts over
		return fn(&recordingTx{Tx: tx, events: &appended})
	}); err != nil {
		return err
	}
	warden.MarkAudited(ctx)
	l.notify(appended)
	return nil
}

const maxBatch = 256

func (l *Log) writer() {
	defer l.wg.Done()
	batch := make([]*pending, 0, maxBatch)
	for {
		first, ok := <-l.queue
		if !ok {
			return
		}
		batch = append(batch[:0], first)
	drain:
		for len(batch) < maxBatch {
			select {
			case p, ok := <-l.queue:
				if !ok {
					break drain
				}
				batch = append(batch, p)
			default:
				break drain
			}
		}
		l.commit(batch)
	}
}

// commit writes a batch in one transaction. If that fails, each event is
// retried alone so one bad event cannot fail its neighbours.
func (l *Log) commit(batch []*pending) {
	ctx := context.Background()
	err := l.store.Update(ctx, func(tx warden.Tx) error {
		h := &head{} // a retried transaction reads the head again
		for _, p := range batch {
			if err := l.write(tx, p.prep, h); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil || len(batch) == 1 {
		for _, p := range batch {
			if err != nil {
				l.opts.Logger.Error("audit append failed", "action", p.prep.ev.Action, "err", err)
			} else {
				l.notify([]*warden.Event{p.prep.ev})
			}
			p.done <- err
		}
		return
	}
	for _, p := range batch {
		l.commit([]*pending{p})
	}
}

func (l *Log) ticker() {
	defer l.wg.Done()
	t := time.NewTicker(l.opts.CheckpointInterval)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			if err := l.Checkpoint(context.Background()); err != nil {
				l.opts.Logger.Error("audit checkpoint failed", "err", err)
			}
		}
	}
}

// Checkpoint signs the current head of the chain if it is not signed yet.
func (l *Log) Checkpoint(ctx context.Context) error {
	return l.store.Update(ctx, func(tx warden.Tx) error {
		seq, hash, err := tx.LastEvent()
		if err != nil || seq == 0 {
			return err
		}
		cp, err := tx.LastCheckpoint()
		if err != nil {
			return err
		}
		if cp != nil && cp.Seq >= seq {
			return nil
		}
		return l.checkpoint(tx, seq, hash)
	})
}

// Close writes every queued event, signs the head and stops the writer.
// Record fails after Close; Append keeps working inside transactions.
func (l *Log) Close(ctx context.Context) error {
	var err error
	l.onClose.Do(func() {
		l.mu.Lock()
		l.closed = true
		close(l.queue)
		l.mu.Unlock()
		close(l.stop)
		l.wg.Wait()
		err = l.Checkpoint(ctx)
	})
	return err
}
