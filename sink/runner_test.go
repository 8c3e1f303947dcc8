package sink_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/apiv1"
	"github.com/wardenhq/warden/sink"
)

// TestFilterActionsAndDecisions: actions match exactly or by a "prefix*";
// decisions by effect; both must hold. Events filtered out still move the
// cursor, to the very last one even when it is filtered out.
func TestFilterActionsAndDecisions(t *testing.T) {
	e := newEnv(t)
	type ev struct {
		action string
		effect warden.Effect
	}
	evs := []ev{
		{"file.read", warden.Allow},
		{"file.write", warden.Deny},
		{"files.list", warden.Deny}, // "file.*" is not "file*"
		{"file", warden.Deny},       // nor the bare noun
		{"tool.call", warden.Deny},
		{"tool.call", warden.Ask},
		{"tool.called", warden.Deny}, // exact means exact
		{"egress.connect", warden.Deny},
		{"principal.lock", warden.Allow},
		{"sink.dead_letter", warden.Deny}, // the sinks' own bookkeeping: never delivered
		{"file.delete", warden.Ask},
		{"model.request", warden.Allow}, // the last ones are filtered out by every sink below
		{"model.request", warden.Allow},
	}
	cases := []struct {
		name   string
		filter sink.Filter
		keep   func(ev) bool
	}{
		{"all", sink.Filter{}, func(ev) bool { return true }},
		{"prefix", sink.Filter{Actions: []string{"file.*"}}, func(x ev) bool {
			return x.action == "file.read" || x.action == "file.write" || x.action == "file.delete"
		}},
		{"exact", sink.Filter{Actions: []string{"tool.call", "principal.lock"}}, func(x ev) bool {
			return x.action == "tool.call" || x.action == "principal.lock"
		}},
		{"deny", sink.Filter{Decisions: []warden.Effect{warden.Deny}}, func(x ev) bool { return x.effect == warden.Deny }},
		{"deny-or-ask", sink.Filter{Decisions: []warden.Effect{warden.Deny, warden.Ask}}, func(x ev) bool { return x.effect != warden.Allow }},
		{"both", sink.Filter{Actions: []string{"file.*", "tool.call"}, Decisions: []warden.Effect{warden.Deny}}, func(x ev) bool {
			return x.effect == warden.Deny && (x.action == "file.write" || x.action == "tool.call")
		}},
		{"star", sink.Filter{Actions: []string{"*"}}, func(ev) bool { return true }},
		{"none-match", sink.Filter{Actions: []string{"nothing.*"}}, func(ev) bool { return false }},
	}
	type sub struct {
		r    *sink.Runner
		dest *memDest
	}
	subs := make([]sub, len(cases))
	for i, c := range cases {
		subs[i].dest = &memDest{}
		subs[i].r = e.runner(t, "f-"+c.name, subs[i].dest, c.filter, fastRetry)
	}
	var seqs []int64
	for _, x := range evs {
		seqs = append(seqs, e.record(t, x.effect, x.action)...)
	}
	last := seqs[len(seqs)-1]
	for i, c := range cases {
		waitCursor(t, subs[i].r, last)
		var want []int64
		for j, x := range evs {
			if x.action != "sink.dead_letter" && c.keep(x) {
				want = append(want, seqs[j])
			}
		}
		if got := subs[i].dest.seqs(); !slices.Equal(got, want) {
			t.Errorf("filter %s delivered %v, want %v", c.name, got, want)
		}
		if cur, _ := subs[i].r.Cursor(bg); cur != last {
			t.Errorf("filter %s: cursor %d, want %d (filtered-out events advance it)", c.name, cur, last)
		}
	}
}

// TestCursorIsPerSinkName: a new sink starts from the beginning of the
// chain; an existing one continues after its own cursor.
func TestCursorIsPerSinkName(t *testing.T) {
	e := newEnv(t)
	a := &memDest{}
	ra := e.runner(t, "a", a, sink.Filter{}, fastRetry)
	seqs := e.recordN(t, 5)
	waitCursor(t, ra, seqs[4])
	ra.Close()
	e.reopen(t)
	b, a2 := &memDest{}, &memDest{}
	rb := e.runner(t, "b", b, sink.Filter{}, fastRetry)
	ra2 := e.runner(t, "a", a2, sink.Filter{}, fastRetry)
	seqs = append(seqs, e.recordN(t, 3)...)
	waitCursor(t, rb, seqs[7])
	waitCursor(t, ra2, seqs[7])
	if got := b.seqs(); !slices.Equal(got, seqs) {
		t.Errorf("new sink b got %v, want the whole chain %v", got, seqs)
	}
	if got := a2.seqs(); !slices.Equal(got, seqs[5:]) {
		t.Errorf("sink a after restart got %v, want %v", got, seqs[5:])
	}
}

// flakyDest refuses, forever, events whose action is poisoned; it counts
// attempts per seq.
type flakyDest struct {
	mu       sync.Mutex
	poison   map[string]bool
	attempts map[int64]int
	got      []int64
}

func (d *flakyDest) Deliver(_ context.Context, evs []apiv1.Event) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i, ev := range evs {
		d.attempts[ev.Seq]++
		if d.poison[ev.Action] {
			return i, errors.New("receiver refuses this one")
		}
		d.got = append(d.got, ev.Seq)
	}
	return len(evs), nil
}

func (d *flakyDest) Close() error { return nil }

// TestDeadLetterSkipsAPoisonEvent: a webhook receiver that always fails
// one event: after MaxAttempts attempts it is skipped, a sink.dead_letter
// event names the sink and the seq, and the events after it still arrive.
func TestDeadLetterSkipsAPoisonEvent(t *testing.T) {
	e := newEnv(t)
	secret, key := newSecret(t, 32)
	h := newHookReceiver(t, key, func(_ int, id string) bool { return id == "evt_3" })
	srv := loopback(t, h)
	d, err := sink.NewWebhook(srv.URL, secret, nil)
	if err != nil {
		t.Fatal(err)
	}
	const maxAttempts = 4
	r := e.runner(t, "siem", d, sink.Filter{}, sink.Options{Backoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond, MaxAttempts: maxAttempts})
	seqs := e.record(t, warden.Allow, "file.read", "file.write", "file.delete", "tool.call", "egress.connect")
	if seqs[2] != 3 {
		t.Fatalf("the poison event has seq %d, want 3", seqs[2])
	}
	want := []int64{seqs[0], seqs[1], seqs[3], seqs[4]} // the dead letter may come between
	waitFor(t, "the events around the poison one", func() bool { return h.has(want) })

	var dl []*warden.Event
	waitFor(t, "a sink.dead_letter event", func() bool {
		evs, err := e.log.Query(bg, warden.EventFilter{Action: "sink.dead_letter"})
		if err != nil {
			t.Fatal(err)
		}
		dl = evs
		return len(evs) > 0
	})
	// The dead letter is the sinks' own: never delivered, but the cursor
	// moves past it.
	waitCursor(t, r, dl[len(dl)-1].Seq)
	r.Close()
	h.checkClean(t)
	if len(dl) != 1 {
		t.Fatalf("%d dead letters, want 1", len(dl))
	}
	x := dl[0]
	if x.Target != "siem" || x.Decision.Effect != warden.Deny || x.Kind != warden.KindSystem {
		t.Errorf("dead letter: %+v", x)
	}
	if s, _ := x.Details["seq"].(float64); int64(s) != 3 || x.Details["action"] != "file.delete" {
		t.Errorf("dead letter details %v, want seq 3 and action file.delete", x.Details)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if n := h.tries["evt_3"]; n != maxAttempts {
		t.Errorf("evt_3 tried %d times, want MaxAttempts = %d", n, maxAttempts)
	}
	if !slices.Equal(h.order, want) {
		t.Errorf("delivered %v, want %v", h.order, want)
	}
	if n := h.tries["evt_"+itoa(x.Seq)]; n != 0 {
		t.Errorf("the dead letter itself was sent to the sink (%d times)", n)
	}
}

// TestDeadLetterEveryPoisonEventInABatch: several poison events in one
// page, the rest interleaved: each poison event is tried MaxAttempts
// times and dead-lettered once; every other event arrives once, in order.
func TestDeadLetterEveryPoisonEventInABatch(t *testing.T) {
	e := newEnv(t)
	d := &flakyDest{poison: map[string]bool{"poison": true}, attempts: map[int64]int{}}
	const maxAttempts = 3
	r := e.runner(t, "mem", d, sink.Filter{}, sink.Options{Backoff: time.Millisecond, MaxBackoff: time.Millisecond, MaxAttempts: maxAttempts})
	actions := []string{"file.read", "poison", "poison", "file.read", "file.read", "file.read", "poison", "file.read", "file.read", "poison"}
	var good, bad []int64
	for _, a := range actions {
		seq := e.record(t, warden.Allow, a)[0]
		if a == "poison" {
			bad = append(bad, seq)
		} else {
			good = append(good, seq)
		}
	}
	var dl []*warden.Event
	waitFor(t, "four dead letters", func() bool {
		var err error
		dl, err = e.log.Query(bg, warden.EventFilter{Action: "sink.dead_letter"})
		if err != nil {
			t.Fatal(err)
		}
		return len(dl) >= len(bad)
	})
	waitCursor(t, r, dl[len(dl)-1].Seq)
	waitCursor(t, r, good[len(good)-1])
	r.Close()
	d.mu.Lock()
	defer d.mu.Unlock()
	if !slices.Equal(d.got, good) {
		t.Errorf("delivered %v, want %v", d.got, good)
	}
	var dead []int64
	for _, x := range dl {
		s, _ := x.Details["seq"].(float64)
		dead = append(dead, int64(s))
	}
	if !slices.Equal(dead, bad) {
		t.Errorf("dead-lettered %v, want %v", dead, bad)
	}
	for _, s := range bad {
		if d.attempts[s] != maxAttempts {
			t.Errorf("seq %d tried %d times, want %d", s, d.attempts[s], maxAttempts)
		}
	}
	for _, s := range good {
		if d.attempts[s] != 1 {
			t.Errorf("seq %d offered %d times, want once", s, d.attempts[s])
		}
	}
}

// TestCloseWhileRetrying: Close returns promptly while the runner waits to
// retry, and leaves the event after the cursor. A runner never started
// closes too.
func TestCloseWhileRetrying(t *testing.T) {
	e := newEnv(t)
	d := &flakyDest{poison: map[string]bool{"poison": true}, attempts: map[int64]int{}}
	r := e.runner(t, "slow", d, sink.Filter{}, sink.Options{Backoff: time.Hour, MaxAttempts: 5})
	e.record(t, warden.Allow, "poison", "file.read")
	waitFor(t, "a first attempt", func() bool { d.mu.Lock(); defer d.mu.Unlock(); return d.attempts[1] > 0 })
	done := make(chan error, 1)
	go func() { done <- r.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("close: %v", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("Close did not return while the runner waited an hour to retry")
	}
	if c, _ := r.Cursor(bg); c != 0 {
		t.Errorf("cursor %d after a failed delivery, want 0", c)
	}

	idle := sink.NewRunner("idle", &memDest{}, sink.Filter{}, e.db, e.log, sink.Options{})
	go func() { done <- idle.Close() }()
	select {
	case <-done:
	case <-time.After(waitLimit):
		t.Fatal("Close of a runner never started hangs")
	}
}
