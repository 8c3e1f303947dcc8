package detect

// The Detector on its own, with a real store, keyring and audit log and a
// fake Locker: events are recorded through the log (which announces them
// to the Detector, as in the server) at chosen times, so that windows can
// be checked to the second.

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/audit"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/keyring"
	"github.com/wardenhq/warden/sqlite"
)

var bg = context.Background()

type lockCall struct {
	kind       warden.PrincipalKind
	name, note string
}

// fakeLocker remembers the locks asked for.
type fakeLocker struct {
	mu    sync.Mutex
	calls []lockCall
	err   error
}

func (f *fakeLocker) SystemLock(_ context.Context, kind warden.PrincipalKind, name, note string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, lockCall{kind, name, note})
	return f.err
}

func (f *fakeLocker) locks() []lockCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

type fixture struct {
	t      *testing.T
	db     *sqlite.DB
	keys   *keyring.Keyring
	log    *audit.Log
	d      *Detector
	locker *fakeLocker
	alerts *Alerts
	admin  *warden.Principal
	t0     time.Time
}

// newFixture builds the store, keyring and log, and a Detector with rules
// compiled from cfg, subscribed to the log.
func newFixture(t *testing.T, cfg map[string]config.DetectRule, opts Options) *fixture {
	t.Helper()
	db, err := sqlite.Open(bg, filepath.Join(t.TempDir(), "warden.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	keys, err := keyring.Open(bg, db, keyring.GenerateMasterKey())
	if err != nil {
		t.Fatal(err)
	}
	log := audit.New(db, keys, audit.Options{})
	t.Cleanup(func() { log.Close(bg) })
	rules, err := Compile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, db: db, keys: keys, log: log, locker: &fakeLocker{}, alerts: NewAlerts(db, keys, log),
		admin: &warden.Principal{Name: "admin", Kind: warden.KindHuman, Role: warden.HumanAdmin},
		t0:    time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	if opts.Now == nil {
		opts.Now = func() time.Time { return f.t0 }
	}
	f.d = New(rules, db, keys, log, f.locker, opts)
	t.Cleanup(f.d.Close) // before the log closes (cleanups run last first)
	log.Subscribe(f.d.Observe)
	return f
}

// record commits ev at t0+at and returns its sequence number.
func (f *fixture) record(at time.Duration, ev warden.Event) int64 {
	f.t.Helper()
	ev.Time = f.t0.Add(at)
	if ev.Kind == "" {
		ev.Kind = warden.KindAgent
	}
	if ev.Decision.Effect == "" {
		ev.Decision.Effect = warden.Allow
	}
	if err := f.log.Record(bg, &ev); err != nil {
		f.t.Fatal(err)
	}
	return ev.Seq
}

func del(who string) warden.Event {
	return warden.Event{Principal: who, Action: "file.delete", Workspace: "w", Target: "f.txt"}
}

func egress(who, host string, effect warden.Effect) warden.Event {
	return warden.Event{Principal: who, Action: "egress.connect", Target: host + ":443", Decision: warden.Decision{Effect: effect, Rule: "egress.allow"},
		Details: map[string]any{"host": host, "port": 443}}
}

// done drains the Detector and returns the alerts, oldest first.
func (f *fixture) done() []*AlertView {
	f.t.Helper()
	f.d.Close()
	list, err := f.alerts.List(bg, f.admin, "", 0)
	if err != nil {
		f.t.Fatal(err)
	}
	slices.Reverse(list)
	return list
}

func (f *fixture) records(rule string) []*warden.Event {
	f.t.Helper()
	evs, err := f.log.Query(bg, warden.EventFilter{Action: "detect.record", Limit: 1000})
	if err != nil {
		f.t.Fatal(err)
	}
	var out []*warden.Event
	for _, ev := range evs {
		if ev.Details["rule"] == rule {
			out = append(out, ev)
		}
	}
	return out
}

func TestWindowSlides(t *testing.T) {
	f := newFixture(t, map[string]config.DetectRule{"mass_delete": {Threshold: 3, Window: config.Duration(time.Minute)}}, Options{})
	f.record(0, del("bot"))
	s2 := f.record(30*time.Second, del("bot"))
	s3 := f.record(61*time.Second, del("bot")) // the first is now out of the window: 2 count
	s4 := f.record(70*time.Second, del("bot")) // 30s, 61s, 70s: 3 in a minute
	f.record(10*time.Minute, del("bot"))       // long after: alone in its window
	as := f.done()
	if len(as) != 1 {
		t.Fatalf("alerts = %d, want 1: %+v", len(as), as)
	}
	a := as[0]
	if !slices.Equal(a.Events, []int64{s2, s3, s4}) {
		t.Errorf("alert events = %v, want %v (the event outside the window left out)", a.Events, []int64{s2, s3, s4})
	}
	if a.Rule != "mass_delete" || a.Principal != "bot" || a.Kind != warden.KindAgent || a.Action != "lock" || a.Status != warden.AlertOpen ||
		!strings.Contains(a.Reason, "3 deletes or overwrites in 1m0s (threshold 3)") {
		t.Errorf("alert = %+v", a)
	}
	locks := f.locker.locks()
	if len(locks) != 1 || locks[0].kind != warden.KindAgent || locks[0].name != "bot" || !strings.Contains(locks[0].note, a.ID) {
		t.Errorf("locks = %+v, want one of agent bot naming %s", locks, a.ID)
	}
}

func TestEventsSpreadOutNeverFire(t *testing.T) {
	f := newFixture(t, map[string]config.DetectRule{"mass_delete": {Threshold: 2, Window: config.Duration(time.Minute)}}, Options{})
	for i := range 10 {
		f.record(time.Duration(i)*61*time.Second, del("bot"))
	}
	if as := f.done(); len(as) != 0 {
		t.Errorf("alerts for events further apart than the window: %+v", as)
	}
	if l := f.locker.locks(); len(l) != 0 {
		t.Errorf("locks = %+v", l)
	}
}

func TestOneAlertPerBurst(t *testing.T) {
	f := newFixture(t, map[string]config.DetectRule{"mass_delete": {Threshold: 3}}, Options{})
	var seqs []int64
	for i := range 5 {
		seqs = append(seqs, f.record(time.Duration(i)*time.Second, del("bot")))
	}
	f.d.Close()
	as, _ := f.alerts.List(bg, f.admin, "", 0)
	if len(as) != 1 || !slices.Equal(as[0].Events, seqs[:3]) {
		t.Fatalf("5 deletes at threshold 3: alerts %+v; want one, naming the first 3", as)
	}
	if l := f.locker.locks(); len(l) != 1 {
		t.Errorf("locks = %+v, want 1", l)
	}
}

// After an alert the window starts over: a burst that goes on makes one more
// alert per further threshold's worth, not one per event.
func TestBurstRearmsAfterAFullThreshold(t *testing.T) {
	f := newFixture(t, map[string]config.DetectRule{"high_volume_reads": {Threshold: 3}}, Options{})
	for i := range 7 {
		f.record(time.Duration(i)*time.Second, warden.Event{Principal: "bot", Action: "file.read", Workspace: "w"})
	}
	if as := f.done(); len(as) != 2 {
		t.Errorf("7 reads at threshold 3: %d alerts, want 2", len(as))
	}
	if l := f.locker.locks(); len(l) != 0 {
		t.Errorf("an alert rule locked: %+v", l)
	}
}

func TestWindowsArePerPrincipal(t *testing.T) {
	f := newFixture(t, map[string]config.DetectRule{"mass_delete": {Threshold: 3}}, Options{})
	for i := range 2 {
		f.record(time.Duration(i)*time.Second, del("a"))
		f.record(time.Duration(i)*time.Second, del("b"))
		f.record(time.Duration(i)*time.Second, del("c"))
	}
	// A human with the same name as nothing else, and Warden's own events,
	// do not add to an agent's window either.
	f.record(3*time.Second, warden.Event{Principal: "a", Kind: warden.KindHuman, Action: "file.delete"})
	f.record(3*time.Second, warden.Event{Principal: "a", Kind: warden.KindSystem, Action: "file.delete"})
	if as := f.done(); len(as) != 0 {
		t.Errorf("2 deletes each by 3 agents made alerts: %+v", as)
	}
}

func TestFailedOrDeniedActionsDoNotCount(t *testing.T) {
	f := newFixture(t, map[string]config.DetectRule{"mass_delete": {Threshold: 2}}, Options{})
	f.record(0, warden.Event{Principal: "bot", Action: "file.delete", Decision: warden.Decision{Effect: warden.Deny, Rule: "rbac.viewer"}, Error: warden.EFORBIDDEN})
	f.record(time.Second, warden.Event{Principal: "bot", Action: "file.delete", Error: warden.ENOTFOUND})
	f.record(2*time.Second, warden.Event{Principal: "bot", Action: "file.write", Details: map[string]any{"created": true}})
	f.record(3*time.Second, warden.Event{Principal: "bot", Action: "file.write"}) // no "created": not known as an overwrite
	if as := f.done(); len(as) != 0 {
		t.Errorf("alerts = %+v", as)
	}
}

func TestFirstSeenOncePerDestination(t *testing.T) {
	f := newFixture(t, nil, Options{})
	want := []int64{
		f.record(0, egress("bot", "api.example.com", warden.Allow)),
	}
	f.record(time.Second, egress("bot", "api.example.com", warden.Allow))
	f.record(time.Hour, egress("bot", "api.example.com", warden.Allow))                        // still not new
	f.record(2*time.Hour, egress("bot", "evil.example.net", warden.Deny))                      // refused: not a connection
	f.record(2*time.Hour, warden.Event{Principal: "bot", Action: "egress.connect", Error: "x", // failed
		Decision: warden.Decision{Effect: warden.Allow}, Details: map[string]any{"host": "down.example.org"}})
	want = append(want, f.record(3*time.Hour, egress("bot", "other.example.com", warden.Allow)))
	want = append(want, f.record(4*time.Hour, egress("peer", "api.example.com", warden.Allow))) // per principal
	f.record(5*time.Hour, egress("peer", "api.example.com", warden.Allow))
	if as := f.done(); len(as) != 0 {
		t.Errorf("first-seen is recorded, not alerted: %+v", as)
	}
	recs := f.records("egress_first_seen")
	var got []int64
	for _, r := range recs {
		evs, _ := r.Details["events"].([]any)
		if len(evs) != 1 || r.Principal != "warden" || r.Kind != warden.KindSystem || r.Decision.Rule != "detect.egress_first_seen" {
			t.Errorf("record = %+v", r)
			continue
		}
		got = append(got, int64(evs[0].(float64)))
	}
	if !slices.Equal(got, want) {
		t.Errorf("first-seen records point at %v, want %v", got, want)
	}
	if len(recs) == 3 && (recs[0].Target != "bot" || recs[2].Target != "peer" || !strings.Contains(recs[1].Decision.Reason, "other.example.com")) {
		t.Errorf("records = %+v %+v %+v", recs[0], recs[1], recs[2])
	}
	if l := f.locker.locks(); len(l) != 0 {
		t.Errorf("locks = %+v", l)
	}
}

func TestShadowModeDoesNotLock(t *testing.T) {
	f := newFixture(t, map[string]config.DetectRule{"runaway_loop": {Threshold: 2, Mode: "shadow"}}, Options{})
	call := warden.Event{Principal: "bot", Action: "tool.decide", Target: "read", Details: map[string]any{"source": "plugin", "action": "abc"}}
	f.record(0, call)
	f.record(time.Second, call)
	as := f.done()
	if len(as) != 1 || as[0].Action != "lock (shadow)" || as[0].Rule != "runaway_loop" {
		t.Fatalf("alerts = %+v, want one lock (shadow)", as)
	}
	if l := f.locker.locks(); len(l) != 0 {
		t.Errorf("shadow mode locked: %+v", l)
	}
}

// Lock rules lock agents; a human is not locked by Warden, so the alert
// must not say it was.
func TestLockRuleOnAHumanDoesNotClaimALock(t *testing.T) {
	f := newFixture(t, map[string]config.DetectRule{"mass_delete": {Threshold: 2}}, Options{})
	f.record(0, warden.Event{Principal: "alice", Kind: warden.KindHuman, Action: "file.delete"})
	f.record(time.Second, warden.Event{Principal: "alice", Kind: warden.KindHuman, Action: "file.delete"})
	as := f.done()
	if l := f.locker.locks(); len(l) != 0 {
		t.Errorf("a human was locked: %+v", l)
	}
	if len(as) != 1 {
		t.Fatalf("alerts = %+v, want 1", as)
	}
	if as[0].Action == string(Lock) {
		t.Errorf("alert %s about human alice says action %q, but nothing was locked (Locker not called)", as[0].ID, as[0].Action)
	}
}

// A failing lock is logged; detection goes on.
func TestLockFailureDoesNotStopDetection(t *testing.T) {
	f := newFixture(t, map[string]config.DetectRule{"mass_delete": {Threshold: 1}}, Options{})
	f.locker.err = warden.Errorf(warden.ENOTFOUND, "agent gone")
	f.record(0, del("a"))
	f.record(time.Second, del("b"))
	if as := f.done(); len(as) != 2 {
		t.Errorf("alerts = %d, want 2", len(as))
	}
	if l := f.locker.locks(); len(l) != 2 {
		t.Errorf("locks = %+v", l)
	}
}

func TestObserveAfterCloseIsIgnored(t *testing.T) {
	f := newFixture(t, map[string]config.DetectRule{"mass_delete": {Threshold: 1}}, Options{})
	f.d.Close()
	f.record(0, del("bot"))
	f.d.Close() // twice is fine
	if l := f.locker.locks(); len(l) != 0 {
		t.Errorf("a closed detector locked: %+v", l)
	}
}

// MaxKeys bounds memory. Its documented promise is that the oldest half of
// the windows is forgotten; one principal generating many keys (distinct
// tool calls each open a runaway_loop window) must not wipe another's
// open window, or the noisy agent resets everyone's counts.
func TestKeyFloodDoesNotForgetRecentWindows(t *testing.T) {
	f := newFixture(t, map[string]config.DetectRule{"mass_delete": {Threshold: 3}, "runaway_loop": {Threshold: 5}}, Options{MaxKeys: 20})
	call := func(n int) warden.Event {
		return warden.Event{Principal: "noisy", Action: "tool.decide", Target: "read", Details: map[string]any{"source": "plugin", "action": fmt.Sprintf("h%d", n)}}
	}
	n := 0
	for ; n < 15; n++ {
		f.record(time.Duration(n)*time.Millisecond, call(n))
	}
	f.record(time.Second, del("bot"))
	f.record(time.Second, del("bot"))
	for ; n < 25; n++ { // ten more keys: past MaxKeys
		f.record(2*time.Second, call(n))
	}
	f.record(3*time.Second, del("bot")) // the third delete within a minute
	as := f.done()
	if len(as) != 1 || as[0].Principal != "bot" {
		t.Errorf("alerts = %+v; want bot's mass_delete: the flood of another agent's keys wiped bot's newer window", as)
	}
}
