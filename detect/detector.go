package detect

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/audit"
	"github.com/wardenhq/warden/keyring"
)

// Locker locks a principal on Warden's own authority.
type Locker interface {
	SystemLock(ctx context.Context, kind warden.PrincipalKind, name, note string) error
}

// Options configure a Detector.
type Options struct {
	Logger *slog.Logger
	Now    func() time.Time
	// MaxKeys bounds the windows and first-seen destinations kept in
	// memory; past it the oldest half is forgotten. Default 100,000.
	MaxKeys int
}

// Detector runs the rules over the audit stream. Events arrive through
// Observe (an audit.Log subscriber, called after each commit) and are
// handled in order on a goroutine of their own, so that the log's writer
// never waits for detection.
type Detector struct {
	rules []Rule
	store warden.Store
	keys  *keyring.Keyring
	log   *audit.Log
	lock  Locker
	opts  Options

	mu     sync.Mutex
	cond   *sync.Cond
	queue  []warden.Event
	closed bool
	done   chan struct{}

	// Touched only by the run goroutine.
	windows map[string][]hit
	seen    map[string]bool
}

// hit is one event in a window.
type hit struct {
	at  time.Time
	seq int64
}

// New starts a Detector; Close stops it after the queue is drained.
func New(rules map[string]Rule, store warden.Store, keys *keyring.Keyring, log *audit.Log, lock Locker, opts Options) *Detector {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxKeys <= 0 {
		opts.MaxKeys = 100_000
	}
	d := &Detector{store: store, keys: keys, log: log, lock: lock, opts: opts, done: make(chan struct{}),
		windows: map[string][]hit{}, seen: map[string]bool{}}
	for _, r := range rules {
		d.rules = append(d.rules, r)
	}
	d.cond = sync.NewCond(&d.mu)
	go d.run()
	return d
}

// Observe queues an event; it never blocks.
func (d *Detector) Observe(ev warden.Event) {
	if ev.Kind != warden.KindAgent && ev.Kind != warden.KindHuman && !anonymousWatched(ev.Action) {
		return // Warden's own events and anonymous failures
	}
	d.mu.Lock()
	if !d.closed {
		d.queue = append(d.queue, ev)
		d.cond.Signal()
	}
	d.mu.Unlock()
}

// anonymousWatched lists the actions of unauthenticated callers a rule
// reads: share recipients' failed codes. Other anonymous events (failed
// authentication) are throttled and summarised by identity instead.
func anonymousWatched(action string) bool { return action == "share.code_fail" }

// Close handles what is queued and stops.
func (d *Detector) Close() {
	d.mu.Lock()
	d.closed = true
	d.cond.Signal()
	d.mu.Unlock()
	<-d.done
}

func (d *Detector) run() {
	defer close(d.done)
	for {
		d.mu.Lock()
		for len(d.queue) == 0 && !d.closed {
			d.cond.Wait()
		}
		batch := d.queue
		d.queue = nil
		closed := d.closed
		d.mu.Unlock()
		for i := range batch {
			d.handle(&batch[i])
		}
		if closed && len(batch) == 0 {
			return
		}
	}
}

// handle runs every rule on one event.
func (d *Detector) handle(ev *warden.Event) {
	for _, r := range d.rules {
		ok, sub := r.match(ev)
		if !ok {
			continue
		}
		key := r.Name + "\x00" + string(ev.Kind) + "\x00" + ev.Principal + "\x00" + sub
		if r.Window == 0 {
			// First seen: once per key, ever (in this process).
			if d.seen[key] {
				continue
			}
			d.bound(d.seen)
			d.seen[key] = true
			d.fire(r, ev, []int64{ev.Seq}, fmt.Sprintf("first connection to %s", sub))
			continue
		}
		w := append(d.windows[key], hit{at: ev.Time, seq: ev.Seq})
		cut := 0
		for cut < len(w) && ev.Time.Sub(w[cut].at) > r.Window {
			cut++
		}
		w = w[cut:]
		if len(w) >= r.Threshold {
			seqs := make([]int64, len(w))
			for i, h := range w {
				seqs[i] = h.seq
			}
			reason := fmt.Sprintf("%d %s in %s (threshold %d)", len(w), r.about, r.Window, r.Threshold)
			if r.keyName != "" {
				reason += ": " + r.keyName + " " + sub
			}
			d.fire(r, ev, seqs, reason)
			delete(d.windows, key) // one alert per burst
			continue
		}
		if _, ok := d.windows[key]; !ok {
			d.boundWindows()
		}
		d.windows[key] = w
	}
}

func (d *Detector) bound(m map[string]bool) {
	if len(m) < d.opts.MaxKeys {
		return
	}
	n := 0
	for k := range m {
		delete(m, k)
		if n++; n >= len(m)/2 {
			break
		}
	}
}

// boundWindows keeps the windows under MaxKeys: windows idle past every
// rule's window go first, then the least recently touched half. A flood of
// distinct keys from one agent cannot wipe another's recent counts.
func (d *Detector) boundWindows() {
	if len(d.windows) < d.opts.MaxKeys {
		return
	}
	var longest time.Duration
	for _, r := range d.rules {
		longest = max(longest, r.Window)
	}
	now := d.opts.Now()
	for k, w := range d.windows {
		if len(w) == 0 || now.Sub(w[len(w)-1].at) > longest {
			delete(d.windows, k)
		}
	}
	if len(d.windows) < d.opts.MaxKeys {
		return
	}
	type aged struct {
		key  string
		last time.Time
	}
	all := make([]aged, 0, len(d.windows))
	for k, w := range d.windows {
		all = append(all, aged{k, w[len(w)-1].at})
	}
	slices.SortFunc(all, func(a, b aged) int { return a.last.Compare(b.last) })
	for _, a := range all[:len(all)/2] {
		delete(d.windows, a.key)
	}
}

// Raise records an alert that did not come from a rule over the stream:
// Warden's own trouble, such as a sink that gave up on an event.
func (d *Detector) Raise(rule, severity, reason string, seqs []int64) {
	r := Rule{Name: rule, Action: Alert, Severity: severity}
	d.fire(r, &warden.Event{Principal: "warden", Kind: warden.KindSystem}, seqs, reason)
}

// alertDetails is the sealed part of an alert.
type alertDetails struct {
	Reason string  `json:"reason"`
	Events []int64 `json:"events"`
	Shadow bool    `json:"shadow,omitempty"`
	Note   string  `json:"note,omitempty"`
}

func sealContext(id string) string { return "alert:" + id }

// fire records what rule r found and acts on it.
func (d *Detector) fire(r Rule, ev *warden.Event, seqs []int64, reason string) {
	ctx := context.Background()
	act := r.Action
	rec := &warden.Event{Principal: "warden", Kind: warden.KindSystem, Action: "detect." + string(act), Target: ev.Principal,
		Decision: warden.Decision{Effect: warden.Allow, Rule: "detect." + r.Name, Reason: reason},
		Details:  map[string]any{"rule": r.Name, "principal_kind": string(ev.Kind), "events": seqs, "shadow": r.Shadow, "severity": r.Severity}}
	if act == Record {
		if err := d.log.Record(ctx, rec); err != nil {
			d.opts.Logger.Error("detect: recording failed", "rule", r.Name, "err", err)
		}
		return
	}
	id := newID()
	b, _ := json.Marshal(alertDetails{Reason: reason, Events: seqs, Shadow: r.Shadow})
	a := &warden.AlertRecord{ID: id, Rule: r.Name, Principal: ev.Principal, Kind: ev.Kind, Severity: r.Severity, Action: string(act),
		Status: warden.AlertOpen, CreatedAt: d.opts.Now().UTC(), Sealed: d.keys.SealMeta(b, sealContext(id))}
	switch {
	case r.Shadow:
		a.Action = string(act) + " (shadow)"
	case act == Lock && ev.Kind != warden.KindAgent:
		a.Action = string(Alert) // only agents are locked by detection
	}
	rec.Details["alert_id"] = id
	rec.Action = "detect.alert"
	err := d.log.Update(ctx, func(tx warden.Tx) error {
		if err := tx.CreateAlert(a); err != nil {
			return err
		}
		return d.log.Append(tx, rec)
	})
	if err != nil {
		d.opts.Logger.Error("detect: recording an alert failed", "rule", r.Name, "err", err)
	}
	d.opts.Logger.Warn("detection alert", "alert_id", id, "rule", r.Name, "principal", ev.Principal, "action", a.Action)
	if act == Lock && !r.Shadow && ev.Kind == warden.KindAgent {
		note := fmt.Sprintf("alert %s, %s: %s", id, r.Name, reason)
		if err := d.lock.SystemLock(ctx, ev.Kind, ev.Principal, note); err != nil {
			d.opts.Logger.Error("detect: locking failed", "principal", ev.Principal, "alert_id", id, "err", err)
		}
	}
}

func newID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return "alt_" + hex.EncodeToString(b)
}
