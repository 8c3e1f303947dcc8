// Package sink streams the audit chain to SIEMs: webhooks signed per the
// Standard Webhooks spec, a JSON Lines file, syslog (RFC 5424) over TCP or
// TLS. The chain itself is the durable outbox: each sink keeps a cursor
// (the last sequence number it delivered) in the store and reads on from
// it, so delivery is at least once, in order, across restarts and crashes
// (kill -9 included). A failed delivery is retried with exponential backoff
// and jitter; past a bound the event is dead-lettered with an alert.
package sink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/apiv1"
	"github.com/wardenhq/warden/audit"
)

// Destination delivers events somewhere. Deliver must be idempotent for a
// receiver that deduplicates by event id: a crash may deliver an event
// again.
type Destination interface {
	// Deliver sends a batch of events in order; it returns how many were
	// delivered before an error.
	Deliver(ctx context.Context, evs []apiv1.Event) (int, error)
	Close() error
}

// Severities of events, for filtering, most severe first (syslog's
// numbering).
const (
	SeverityAlert   = 1 // detection's alerts and locks
	SeverityWarning = 4 // refusals, failures, detection's records
	SeverityInfo    = 6 // the rest
)

// Severity says how much an event matters to a SIEM.
func Severity(ev *warden.Event) int {
	switch {
	case strings.HasPrefix(ev.Action, "detect.alert") || ev.Kind == warden.KindSystem && strings.HasSuffix(ev.Action, ".lock"):
		return SeverityAlert
	case ev.Decision.Effect == warden.Deny || ev.Error != "" || strings.HasPrefix(ev.Action, "detect.") || ev.Action == "sink.dead_letter":
		return SeverityWarning
	}
	return SeverityInfo
}

// ParseSeverity reads info, warning or alert ("" is info).
func ParseSeverity(s string) (int, error) {
	switch strings.ToLower(s) {
	case "", "info":
		return SeverityInfo, nil
	case "warning":
		return SeverityWarning, nil
	case "alert":
		return SeverityAlert, nil
	}
	return 0, fmt.Errorf("severity %q: want info, warning or alert", s)
}

// Filter keeps the events a sink wants.
type Filter struct {
	Actions   []string // exact, or a prefix ending in "*"; none: all
	Decisions []warden.Effect
	// MinSeverity keeps events at least this severe (0 or SeverityInfo:
	// all).
	MinSeverity int
}

func (f Filter) keep(ev *warden.Event) bool {
	if f.MinSeverity > 0 && Severity(ev) > f.MinSeverity {
		return false
	}
	if len(f.Decisions) > 0 {
		ok := false
		for _, d := range f.Decisions {
			ok = ok || d == ev.Decision.Effect
		}
		if !ok {
			return false
		}
	}
	if len(f.Actions) == 0 {
		return true
	}
	for _, a := range f.Actions {
		if a == ev.Action || strings.HasSuffix(a, "*") && strings.HasPrefix(ev.Action, strings.TrimSuffix(a, "*")) {
			return true
		}
	}
	return false
}

// Options tune a Runner.
type Options struct {
	// Backoff is the first retry delay (default 500 ms); it doubles up to
	// MaxBackoff (default 5 min), with ±20 % jitter.
	Backoff, MaxBackoff time.Duration
	// MaxAttempts dead-letters an event after this many failed deliveries
	// (default 30: about two hours with the default backoff).
	MaxAttempts int
	// DeadLetter, if set, is told about each event given up on (after it
	// is on the record), to raise an alert.
	DeadLetter func(sink string, seq int64, cause error)
	Logger     *slog.Logger
}

// Runner feeds one destination from the audit chain.
type Runner struct {
	name   string
	dest   Destination
	filter Filter
	store  warden.Store
	log    *audit.Log
	opts   Options
	wake   chan struct{}
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once
	start  sync.Once
	began  bool
	cursor atomic.Int64 // last delivered, for the lag metric
}

// NewRunner returns a runner; Start starts it.
func NewRunner(name string, dest Destination, filter Filter, store warden.Store, log *audit.Log, opts Options) *Runner {
	if opts.Backoff <= 0 {
		opts.Backoff = 500 * time.Millisecond
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 5 * time.Minute
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 30
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Runner{name: name, dest: dest, filter: filter, store: store, log: log, opts: opts,
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
}

// Observe wakes the runner when new events commit (an audit subscriber).
func (r *Runner) Observe(warden.Event) {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Start runs the runner until Close.
func (r *Runner) Start() {
	r.start.Do(func() {
		r.began = true
		go r.run()
	})
}

// Close stops the runner (an undelivered event stays after the cursor)
// and closes the destination.
func (r *Runner) Close() error {
	r.once.Do(func() { close(r.stop) })
	r.start.Do(func() {}) // never started: nothing to wait for
	if r.began {
		<-r.done
	}
	return r.dest.Close()
}

func (r *Runner) cursorKey() string { return "sink.cursor." + r.name }

// Cursor is the last sequence number delivered (or dead-lettered).
func (r *Runner) Cursor(ctx context.Context) (int64, error) {
	var n int64
	err := r.store.View(ctx, func(tx warden.Tx) error {
		b, err := tx.Meta(r.cursorKey())
		if warden.IsCode(err, warden.ENOTFOUND) {
			return nil
		}
		if err != nil {
			return err
		}
		n, err = strconv.ParseInt(string(b), 10, 64)
		return err
	})
	return n, err
}

// Delivered is the cursor as of the last delivery (0 before the first).
func (r *Runner) Delivered() int64 { return r.cursor.Load() }

func (r *Runner) setCursor(ctx context.Context, n int64) error {
	r.cursor.Store(n)
	return r.store.Update(ctx, func(tx warden.Tx) error {
		return tx.SetMeta(r.cursorKey(), []byte(strconv.FormatInt(n, 10)))
	})
}

// sleep waits d or until stopped; false if stopped.
func (r *Runner) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-r.stop:
		return false
	case <-t.C:
		return true
	}
}

func (r *Runner) run() {
	defer close(r.done)
	ctx := context.Background()
	cursor, err := r.Cursor(ctx)
	r.cursor.Store(cursor)
	for err != nil {
		r.opts.Logger.Error("sink: cannot read its cursor", "sink", r.name, "err", err)
		if !r.sleep(5 * time.Second) {
			return
		}
		cursor, err = r.Cursor(ctx)
	}
	attempts := 0
	for {
		select {
		case <-r.stop:
			return
		default:
		}
		evs, err := r.log.Query(ctx, warden.EventFilter{AfterSeq: cursor, Limit: 256})
		if err != nil {
			r.opts.Logger.Error("sink: reading the audit log failed", "sink", r.name, "err", err)
			if !r.sleep(time.Second) {
				return
			}
			continue
		}
		if len(evs) == 0 {
			select {
			case <-r.stop:
				return
			case <-r.wake:
			case <-time.After(time.Second):
			}
			continue
		}
		var batch []apiv1.Event
		last := evs[len(evs)-1].Seq
		for _, ev := range evs {
			if r.filter.keep(ev) && !isOwn(ev) {
				batch = append(batch, apiv1.EventFrom(ev))
			}
		}
		for len(batch) > 0 {
			n, err := r.dest.Deliver(ctx, batch)
			if n > 0 {
				attempts = 0
				cursor = batch[n-1].Seq
				batch = batch[n:]
				if err := r.setCursor(ctx, cursor); err != nil {
					r.opts.Logger.Error("sink: saving its cursor failed", "sink", r.name, "err", err)
				}
			}
			if err == nil {
				continue
			}
			attempts++
			if attempts >= r.opts.MaxAttempts {
				r.deadLetter(ctx, batch[0], err)
				cursor = batch[0].Seq
				batch = batch[1:]
				attempts = 0
				if err := r.setCursor(ctx, cursor); err != nil {
					r.opts.Logger.Error("sink: saving its cursor failed", "sink", r.name, "err", err)
				}
				continue
			}
			d := backoff(r.opts.Backoff, r.opts.MaxBackoff, attempts)
			r.opts.Logger.Warn("sink: delivery failed; retrying", "sink", r.name, "seq", batch[0].Seq, "attempt", attempts, "in", d.Round(time.Millisecond), "err", err)
			if !r.sleep(d) {
				return
			}
		}
		if last > cursor {
			// The rest of the page was filtered out.
			cursor = last
			if err := r.setCursor(ctx, cursor); err != nil {
				r.opts.Logger.Error("sink: saving its cursor failed", "sink", r.name, "err", err)
			}
		}
	}
}

// isOwn reports whether ev is the sinks' own bookkeeping, which would
// otherwise feed itself.
func isOwn(ev *warden.Event) bool { return strings.HasPrefix(ev.Action, "sink.") }

// deadLetter gives up on one event, on the record: the event stays in the
// audit chain, and an alert-worthy event says this sink never got it.
func (r *Runner) deadLetter(ctx context.Context, ev apiv1.Event, cause error) {
	r.opts.Logger.Error("sink: event dead-lettered", "sink", r.name, "seq", ev.Seq, "err", cause)
	rec := &warden.Event{Principal: "warden", Kind: warden.KindSystem, Action: "sink.dead_letter", Target: r.name,
		Decision: warden.Decision{Effect: warden.Deny, Rule: "sink.max_attempts", Reason: fmt.Sprintf("gave up after %d attempts: %v", r.opts.MaxAttempts, cause)},
		Details:  map[string]any{"seq": ev.Seq, "action": ev.Action}}
	if err := r.log.Record(ctx, rec); err != nil && !errors.Is(err, context.Canceled) {
		r.opts.Logger.Error("sink: recording a dead letter failed", "sink", r.name, "err", err)
	}
	if r.opts.DeadLetter != nil {
		r.opts.DeadLetter(r.name, ev.Seq, cause)
	}
}

// backoff is the delay before retry n (1-based): exponential, capped, with
// ±20 % jitter so that sinks recovering together do not retry together.
func backoff(first, limit time.Duration, n int) time.Duration {
	d := first
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	j := time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
	return j
}
