package toolcall_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/audit"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/dlp"
	"github.com/wardenhq/warden/keyring"
	"github.com/wardenhq/warden/policy"
	"github.com/wardenhq/warden/sqlite"
	"github.com/wardenhq/warden/toolcall"
)

var bg = context.Background()

// clock is a fake clock the tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fixture is a Service over a real store, keyring and audit log, wired the
// way app.Open wires it, with principals created in the store.
type fixture struct {
	svc   *toolcall.Service
	log   *audit.Log
	clock *clock
	opts  toolcall.Options

	admin, approver, auditor, operator *warden.Principal
	bot, other, drafter                *warden.Principal
}

const ttl = 10 * time.Minute

// testProfiles is the policy the unit tests decide with: "drafting" allows
// reading and writing, asks for exec, denies the web.
func testProfiles() map[string]config.Profile {
	return map[string]config.Profile{"drafting": {Tools: &config.ToolPolicy{
		Allow: []string{"read", "write"}, Ask: []string{"exec"}, Deny: []string{"group:web"},
	}}}
}

// maskWith is app's mask: every sensitive value the DLP engine finds is
// replaced by its mask text.
func maskWith(t testing.TB) func(string) string {
	e, err := dlp.New(dlp.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return func(s string) string {
		ents := e.Scan(s)
		var b strings.Builder
		last := 0
		for _, en := range ents {
			if en.Start < last {
				continue
			}
			b.WriteString(s[last:en.Start])
			b.WriteString(dlp.MaskText(en.Type))
			last = en.End
		}
		b.WriteString(s[last:])
		return b.String()
	}
}

// newFixture starts a Service on a fake clock. Options real (Now unset, to
// be filled by the fixture) are the base; TTL defaults to ttl.
func newFixture(t testing.TB, opts toolcall.Options) *fixture {
	t.Helper()
	dir := t.TempDir()
	db, err := sqlite.Open(bg, filepath.Join(dir, "warden.db"), sqlite.Options{})
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
	engine, err := policy.Compile(&config.Config{Profiles: testProfiles()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{log: log, clock: &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}}
	if opts.ApprovalTTL == 0 {
		opts.ApprovalTTL = ttl
	}
	if opts.Now == nil {
		opts.Now = f.clock.Now
	}
	if opts.Mask == nil {
		opts.Mask = maskWith(t)
	}
	f.opts = opts
	f.svc = toolcall.New(db, keys, log, engine, opts)
	now := time.Now().UTC()
	mk := func(name string, kind warden.PrincipalKind, role warden.HumanRole, profile string) *warden.Principal {
		return &warden.Principal{Name: name, Kind: kind, Role: role, Profile: profile, State: warden.StateActive, CreatedAt: now, CreatedBy: "test"}
	}
	f.admin = mk("admin", warden.KindHuman, warden.HumanAdmin, "")
	f.approver = mk("alice", warden.KindHuman, warden.HumanApprover, "")
	f.auditor = mk("audrey", warden.KindHuman, warden.HumanAuditor, "")
	f.operator = mk("olga", warden.KindHuman, warden.HumanOperator, "")
	f.bot = mk("bot", warden.KindAgent, "", warden.DefaultProfile)
	f.other = mk("other", warden.KindAgent, "", warden.DefaultProfile)
	f.drafter = mk("drafter", warden.KindAgent, "", "drafting")
	err = db.Update(bg, func(tx warden.Tx) error {
		for _, p := range []*warden.Principal{f.admin, f.approver, f.auditor, f.operator, f.bot, f.other, f.drafter} {
			if err := tx.CreatePrincipal(p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) decide(t testing.TB, p *warden.Principal, tool string, params map[string]any) *toolcall.Result {
	t.Helper()
	res, err := f.svc.Decide(bg, p, toolcall.Request{Tool: tool, Params: params})
	if err != nil {
		t.Fatalf("decide %s %v: %v", tool, params, err)
	}
	return res
}

// ask decides a call that must ask and returns its approval.
func (f *fixture) ask(t testing.TB, p *warden.Principal, tool string, params map[string]any) *toolcall.Approval {
	t.Helper()
	res := f.decide(t, p, tool, params)
	if res.Effect != warden.Ask || res.Approval == nil || res.Approval.Status != warden.ApprovalPending {
		t.Fatalf("decide %s %v = %+v (approval %+v), want ask with a pending approval", tool, params, res.Decision, res.Approval)
	}
	return res.Approval
}

func (f *fixture) events(t testing.TB, action string) []*warden.Event {
	t.Helper()
	evs, err := f.log.Query(bg, warden.EventFilter{Action: action})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func (f *fixture) status(t testing.TB, id string) warden.ApprovalStatus {
	t.Helper()
	a, err := f.svc.Get(bg, f.admin, id, 0)
	if err != nil {
		t.Fatalf("get %s: %v", id, err)
	}
	return a.Status
}

func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	if got := warden.ErrorCode(err); got != code {
		t.Fatalf("error %v (code %q), want code %q", err, got, code)
	}
}

func ls(dir string) map[string]any { return map[string]any{"command": "ls " + dir} }

func TestPendingApprovalPastItsTTLIsExpiredAndReplaced(t *testing.T) {
	f := newFixture(t, toolcall.Options{})
	a := f.ask(t, f.bot, "exec", ls("/"))
	if !a.ExpiresAt.Equal(f.clock.Now().Add(ttl)) {
		t.Fatalf("expires %v, want created + TTL %v", a.ExpiresAt, f.clock.Now().Add(ttl))
	}
	f.clock.Add(ttl - time.Second)
	if st := f.status(t, a.ID); st != warden.ApprovalPending {
		t.Fatalf("a second before expiry: %s", st)
	}
	f.clock.Add(time.Second)
	if st := f.status(t, a.ID); st != warden.ApprovalExpired {
		t.Fatalf("at expiry: %s, want expired", st)
	}
	if l, err := f.svc.List(bg, f.admin, warden.ApprovalPending, 0); err != nil || len(l) != 0 {
		t.Fatalf("pending list after expiry = %d, %v; want none", len(l), err)
	}
	if l, err := f.svc.List(bg, f.admin, warden.ApprovalExpired, 0); err != nil || len(l) != 1 || l[0].ID != a.ID {
		t.Fatalf("expired list = %v, %v; want %s", l, err, a.ID)
	}
	_, err := f.svc.Approve(bg, f.admin, a.ID, "too late", false)
	wantCode(t, err, warden.ECONFLICT)

	b := f.ask(t, f.bot, "exec", ls("/"))
	if b.ID == a.ID {
		t.Fatal("a decide after expiry returned the expired approval")
	}
	if st := f.status(t, a.ID); st != warden.ApprovalExpired {
		t.Fatalf("old approval after a new decide: %s", st)
	}
}

func TestApprovedOnceButUnusedPastTTLIsExpired(t *testing.T) {
	f := newFixture(t, toolcall.Options{})
	a := f.ask(t, f.bot, "exec", ls("/tmp"))
	if _, err := f.svc.Approve(bg, f.approver, a.ID, "", false); err != nil {
		t.Fatal(err)
	}
	if st := f.status(t, a.ID); st != warden.ApprovalApproved {
		t.Fatalf("just approved: %s", st)
	}
	f.clock.Add(ttl)
	if st := f.status(t, a.ID); st != warden.ApprovalExpired {
		t.Fatalf("unused one-time approval past TTL: %s, want expired", st)
	}
	if l, err := f.svc.List(bg, f.admin, warden.ApprovalApproved, 0); err != nil || len(l) != 0 {
		t.Fatalf("approved list holds the lapsed approval: %d, %v", len(l), err)
	}
	res := f.decide(t, f.bot, "exec", ls("/tmp"))
	if res.Effect != warden.Ask || res.Approval == nil || res.Approval.ID == a.ID {
		t.Fatalf("decide after the approval lapsed = %+v, want a new ask", res.Decision)
	}
	// Nor can it be approved late.
	_, err := f.svc.Approve(bg, f.approver, a.ID, "", false)
	wantCode(t, err, warden.ECONFLICT)
}

// Approving a one-time approval gives the agent a full TTL to use it, as the
// service documents ("approving one restarts its clock"), also once the
// approval is read back from the store.
func TestApprovingRestartsTheOneTimeApprovalsClock(t *testing.T) {
	f := newFixture(t, toolcall.Options{})
	a := f.ask(t, f.bot, "exec", ls("/tmp"))
	f.clock.Add(ttl - time.Minute)
	got, err := f.svc.Approve(bg, f.approver, a.ID, "", false)
	if err != nil {
		t.Fatal(err)
	}
	if want := f.clock.Now().Add(ttl); !got.ExpiresAt.Equal(want) {
		t.Fatalf("approved approval expires %v, want %v", got.ExpiresAt, want)
	}
	f.clock.Add(2 * time.Minute) // past the original expiry, well within the new one
	if v, err := f.svc.Get(bg, f.admin, a.ID, 0); err != nil || v.Status != warden.ApprovalApproved {
		t.Fatalf("two minutes after approval: %+v, %v; want approved (expiring %v)", v, err, got.ExpiresAt)
	}
	if res := f.decide(t, f.bot, "exec", ls("/tmp")); res.Effect != warden.Allow || res.Rule != "approvals.once" {
		t.Fatalf("the agent's call two minutes after approval = %+v, want allow by approvals.once", res.Decision)
	}
}

func TestAllowAlwaysDoesNotExpire(t *testing.T) {
	f := newFixture(t, toolcall.Options{})
	a := f.ask(t, f.bot, "exec", ls("/srv"))
	got, err := f.svc.Approve(bg, f.admin, a.ID, "fine", true)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Always || !got.ExpiresAt.IsZero() {
		t.Fatalf("always approval = %+v, want Always and no expiry", got)
	}
	f.clock.Add(30 * 24 * time.Hour)
	for range 3 {
		res := f.decide(t, f.bot, "exec", ls("/srv"))
		if res.Effect != warden.Allow || res.Rule != "approvals.always" || res.Approval == nil || res.Approval.ID != a.ID {
			t.Fatalf("a month later = %+v, want allow by approvals.always", res.Decision)
		}
	}
}

func TestApprovalsAreBoundToTheAgentAndTheCanonicalCall(t *testing.T) {
	f := newFixture(t, toolcall.Options{})
	a := f.ask(t, f.bot, "exec", map[string]any{"command": "make", "cwd": "/src"})
	if _, err := f.svc.Approve(bg, f.admin, a.ID, "", true); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		p      *warden.Principal
		tool   string
		params map[string]any
		want   warden.Effect
	}{
		{"same call", f.bot, "exec", map[string]any{"cwd": "/src", "command": "make"}, warden.Allow},
		{"tool name case and spaces", f.bot, "  EXEC ", map[string]any{"command": "make", "cwd": "/src"}, warden.Allow},
		{"through the OpenClaw bridge", f.bot, "tool_call", map[string]any{"id": "exec", "args": map[string]any{"command": "make", "cwd": "/src"}}, warden.Allow},
		{"another agent", f.other, "exec", map[string]any{"command": "make", "cwd": "/src"}, warden.Ask},
		{"a changed parameter", f.bot, "exec", map[string]any{"command": "make install", "cwd": "/src"}, warden.Ask},
		{"an extra parameter", f.bot, "exec", map[string]any{"command": "make", "cwd": "/src", "env": "X=1"}, warden.Ask},
		{"another tool", f.bot, "bash", map[string]any{"command": "make", "cwd": "/src"}, warden.Ask},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := f.decide(t, c.p, c.tool, c.params)
			if res.Effect != c.want {
				t.Fatalf("%+v, want %s", res.Decision, c.want)
			}
			if c.want == warden.Ask && res.Approval.ID == a.ID {
				t.Fatal("a different call got the approved approval")
			}
		})
	}
}

func TestDenyRevokesAnAllowAlwaysButNotAUsedOrDecidedOne(t *testing.T) {
	f := newFixture(t, toolcall.Options{})
	a := f.ask(t, f.bot, "exec", ls("/a"))
	if _, err := f.svc.Approve(bg, f.admin, a.ID, "", true); err != nil {
		t.Fatal(err)
	}
	got, err := f.svc.Deny(bg, f.approver, a.ID, "changed my mind")
	if err != nil {
		t.Fatalf("revoke: %v", err)
	}
	if got.Status != warden.ApprovalDenied || got.Always || got.Note != "changed my mind" || got.DecidedBy != "alice" {
		t.Fatalf("revoked = %+v", got)
	}
	if res := f.decide(t, f.bot, "exec", ls("/a")); res.Effect != warden.Ask || res.Approval.ID == a.ID {
		t.Fatalf("after revoke: %+v", res.Decision)
	}
	_, err = f.svc.Deny(bg, f.admin, a.ID, "")
	wantCode(t, err, warden.ECONFLICT)

	b := f.ask(t, f.bot, "exec", ls("/b"))
	if _, err := f.svc.Approve(bg, f.admin, b.ID, "", false); err != nil {
		t.Fatal(err)
	}
	if res := f.decide(t, f.bot, "exec", ls("/b")); res.Rule != "approvals.once" {
		t.Fatalf("use: %+v", res.Decision)
	}
	if st := f.status(t, b.ID); st != warden.ApprovalUsed {
		t.Fatalf("after use: %s, want used", st)
	}
	_, err = f.svc.Deny(bg, f.admin, b.ID, "")
	wantCode(t, err, warden.ECONFLICT)
}

func TestWhoMayDecideAndReadApprovals(t *testing.T) {
	f := newFixture(t, toolcall.Options{})
	a := f.ask(t, f.bot, "exec", ls("/"))
	for _, p := range []*warden.Principal{f.bot, f.other, f.auditor, f.operator} {
		_, err := f.svc.Approve(bg, p, a.ID, "", false)
		wantCode(t, err, warden.EFORBIDDEN)
		_, err = f.svc.Deny(bg, p, a.ID, "")
		wantCode(t, err, warden.EFORBIDDEN)
	}
	for _, p := range []*warden.Principal{f.admin, f.approver, f.auditor, f.bot} {
		if _, err := f.svc.Get(bg, p, a.ID, 0); err != nil {
			t.Errorf("%s reading: %v", p.Name, err)
		}
	}
	_, err := f.svc.Get(bg, f.other, a.ID, 0)
	wantCode(t, err, warden.ENOTFOUND)
	_, err = f.svc.Get(bg, f.operator, a.ID, 0)
	wantCode(t, err, warden.EFORBIDDEN)
	_, err = f.svc.List(bg, f.operator, "", 0)
	wantCode(t, err, warden.EFORBIDDEN)
	if l, err := f.svc.List(bg, f.other, "", 0); err != nil || len(l) != 0 {
		t.Fatalf("other agent's list = %d, %v; want none of bot's", len(l), err)
	}
	if l, err := f.svc.List(bg, f.bot, "", 0); err != nil || len(l) != 1 {
		t.Fatalf("bot's own list = %d, %v", len(l), err)
	}
	_, err = f.svc.Approve(bg, f.admin, a.ID, strings.Repeat("n", 1001), false)
	wantCode(t, err, warden.EINVALID)
	if st := f.status(t, a.ID); st != warden.ApprovalPending {
		t.Fatalf("refused decisions changed the approval: %s", st)
	}
}

func TestPluginRegistrationLapsesAfterItsTTL(t *testing.T) {
	f := newFixture(t, toolcall.Options{PluginTTL: time.Minute})
	if f.svc.PluginLive("bot") {
		t.Fatal("live before registering")
	}
	if err := f.svc.Register(bg, f.bot, toolcall.Plugin{Name: "warden-openclaw", Version: "1.0.0"}); err != nil {
		t.Fatal(err)
	}
	if !f.svc.PluginLive("bot") || f.svc.PluginLive("other") {
		t.Fatal("registration not live for bot alone")
	}
	f.clock.Add(59 * time.Second)
	if !f.svc.PluginLive("bot") {
		t.Fatal("lapsed before its TTL")
	}
	// A renewal extends it.
	if err := f.svc.Register(bg, f.bot, toolcall.Plugin{Name: "warden-openclaw"}); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(59 * time.Second)
	if !f.svc.PluginLive("bot") {
		t.Fatal("renewed registration lapsed early")
	}
	f.clock.Add(time.Second)
	if f.svc.PluginLive("bot") {
		t.Fatal("registration still live after its TTL")
	}
	evs := f.events(t, "plugin.register")
	if len(evs) != 2 || evs[0].Details["renewal"] != false || evs[1].Details["renewal"] != true {
		t.Fatalf("plugin.register events = %v", evs)
	}

	wantCode(t, f.svc.Register(bg, f.admin, toolcall.Plugin{Name: "p"}), warden.EFORBIDDEN)
	wantCode(t, f.svc.Register(bg, f.bot, toolcall.Plugin{Name: "  "}), warden.EINVALID)
	wantCode(t, f.svc.Register(bg, f.bot, toolcall.Plugin{Name: "p", Version: strings.Repeat("1", 129)}), warden.EINVALID)
	if f.svc.PluginLive("admin") {
		t.Fatal("a refused registration went live")
	}
}

func TestModelPlaneAskIsDeferredOnlyToALivePlugin(t *testing.T) {
	f := newFixture(t, toolcall.Options{PluginTTL: time.Minute})
	model := func(tool string, params map[string]any) *toolcall.Result {
		t.Helper()
		res, err := f.svc.Decide(bg, f.bot, toolcall.Request{Tool: tool, Params: params, Source: toolcall.SourceModel})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := model("exec", ls("/1"))
	if res.Effect != warden.Ask || res.Deferred || res.Approval == nil {
		t.Fatalf("without a plugin: %+v deferred=%v approval=%v, want an approval", res.Decision, res.Deferred, res.Approval)
	}
	if err := f.svc.Register(bg, f.bot, toolcall.Plugin{Name: "warden-openclaw"}); err != nil {
		t.Fatal(err)
	}
	res = model("exec", ls("/2"))
	if res.Effect != warden.Ask || !res.Deferred || res.Approval != nil {
		t.Fatalf("with a live plugin: %+v deferred=%v approval=%v, want deferred without approval", res.Decision, res.Deferred, res.Approval)
	}
	if res := model("read", map[string]any{"path": "x"}); res.Effect != warden.Allow || res.Deferred {
		t.Fatalf("a read with a live plugin = %+v deferred=%v, want a plain allow", res.Decision, res.Deferred)
	}
	if l, _ := f.svc.List(bg, f.admin, "", 0); len(l) != 1 {
		t.Fatalf("%d approvals, want only the one made without a plugin", len(l))
	}
	evs := f.events(t, "tool.decide")
	last := evs[len(evs)-2]
	if last.Details["deferred_to_plugin"] != true || last.Details["source"] != "model" || last.Decision.Effect != warden.Ask {
		t.Fatalf("deferred decide event = %+v", last)
	}
	if rq := f.events(t, "approval.request"); len(rq) != 1 {
		t.Fatalf("%d approval.request events, want 1", len(rq))
	}
	f.clock.Add(time.Minute)
	if res := model("exec", ls("/3")); res.Deferred || res.Approval == nil {
		t.Fatal("deferred to a plugin whose registration lapsed")
	}
}

func TestLongPollWakesOnDecisionAndOnExpiry(t *testing.T) {
	// A real clock: Get waits on timers.
	f := newFixture(t, toolcall.Options{Now: time.Now, ApprovalTTL: 2 * time.Second, MaxWait: 20 * time.Second})
	a := f.ask(t, f.bot, "exec", ls("/w"))
	var wg sync.WaitGroup
	got := make([]*toolcall.Approval, 3)
	errs := make([]error, 3)
	for i := range got {
		p := []*warden.Principal{f.bot, f.admin, f.auditor}[i]
		wg.Go(func() { got[i], errs[i] = f.svc.Get(bg, p, a.ID, 15*time.Second) })
	}
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	if _, err := f.svc.Approve(bg, f.admin, a.ID, "", false); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if d := time.Since(start); d > 8*time.Second {
		t.Fatalf("waiters took %v to see the decision", d)
	}
	for i := range got {
		if errs[i] != nil || got[i].Status != warden.ApprovalApproved {
			t.Fatalf("waiter %d: %+v, %v", i, got[i], errs[i])
		}
	}

	b := f.ask(t, f.bot, "exec", ls("/x"))
	start = time.Now()
	v, err := f.svc.Get(bg, f.bot, b.ID, 15*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != warden.ApprovalExpired {
		t.Fatalf("wait across expiry ended %s, want expired", v.Status)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("a wait across a 2s expiry took %v", d)
	}
}

// A long-poll whose caller goes away ends promptly and is still on the
// record ("Recorded even if the caller went away while waiting").
func TestLongPollWhoseCallerLeftIsStillRecorded(t *testing.T) {
	f := newFixture(t, toolcall.Options{Now: time.Now, MaxWait: 20 * time.Second})
	a := f.ask(t, f.bot, "exec", ls("/y"))
	ctx, cancel := context.WithTimeout(bg, 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	v, err := f.svc.Get(ctx, f.bot, a.ID, 15*time.Second)
	if d := time.Since(start); d > 8*time.Second {
		t.Fatalf("the wait went on for %v after its caller left", d)
	}
	if evs := f.events(t, "approval.read"); len(evs) != 1 {
		t.Errorf("%d approval.read events for a wait whose caller left, want 1 (Get returned %+v, %v)", len(evs), v, err)
	}
	if err != nil || v.Status != warden.ApprovalPending {
		t.Errorf("a wait whose caller left = %+v, %v; want the pending approval", v, err)
	}
}

func TestParamsAreMaskedAndCutForPeople(t *testing.T) {
	f := newFixture(t, toolcall.Options{})
	deep := map[string]any{"leaf": "x"}
	for range 20 {
		deep = map[string]any{"d": deep}
	}
	many := map[string]any{}
	for i := range 300 {
		many[fmt.Sprintf("k%03d", i)] = i
	}
	list := make([]any, 300)
	for i := range list {
		list[i] = i
	}
	const secret = "AKIAZ4TRWQ6PLM2KX7BN"
	a := f.ask(t, f.bot, "exec", map[string]any{
		"command": "curl -u " + secret + " mail jane.doe@acme-corp.com",
		"body":    strings.Repeat("é", 10000), // 20000 bytes, cut inside a rune
		"deep":    deep, "many": many, "list": list,
	})
	cmd := a.Params["command"].(string)
	if strings.Contains(cmd, secret) || strings.Contains(cmd, "jane.doe") || !strings.Contains(cmd, "[REDACTED") {
		t.Fatalf("command shown as %q", cmd)
	}
	body := a.Params["body"].(string)
	if !strings.HasSuffix(body, " [cut: 20000 bytes]") || len(body) > 16<<10+40 || !strings.HasPrefix(body, "éé") || strings.ContainsRune(body, '\uFFFD') {
		t.Fatalf("long string shown as %d bytes ending %q", len(body), body[max(0, len(body)-30):])
	}
	d := a.Params["deep"]
	for range 15 {
		m, ok := d.(map[string]any)
		if !ok {
			break
		}
		d = m["d"]
	}
	if d != "[cut: nested too deep]" {
		t.Fatalf("deep structure kept to %v", d)
	}
	if m := a.Params["many"].(map[string]any); len(m) != 257 || m["[cut]"] != "44 more keys" || m["k000"] != float64(0) || m["k255"] != float64(255) {
		t.Fatalf("300 keys kept as %d, cut note %v (want the first 256 in order)", len(m), m["[cut]"])
	}
	if l := a.Params["list"].([]any); len(l) != 257 || l[256] != "[cut: 44 more items]" {
		t.Fatalf("300 items kept as %d, last %v", len(l), l[len(l)-1])
	}
	ev := f.events(t, "tool.decide")[0]
	if s := fmt.Sprint(ev.Details); strings.Contains(s, secret) || strings.Contains(s, "jane.doe") {
		t.Fatalf("the decide event holds the raw params: %s", s)
	}
}

func TestConcurrentRetriesShareOnePendingApproval(t *testing.T) {
	f := newFixture(t, toolcall.Options{})
	const n = 8
	ids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			res, err := f.svc.Decide(bg, f.bot, toolcall.Request{Tool: "exec", Params: ls("/race")})
			if errs[i] = err; err == nil && res.Approval != nil {
				ids[i] = res.Approval.ID
			}
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || ids[i] == "" || ids[i] != ids[0] {
			t.Fatalf("retry %d: approval %q, %v; want all to share %s", i, ids[i], errs[i], ids[0])
		}
	}
	if rq := f.events(t, "approval.request"); len(rq) != 1 {
		t.Fatalf("%d approval.request events for %d concurrent retries, want 1", len(rq), n)
	}
}

func TestConcurrentDecisionsOnOneApprovalEndDenied(t *testing.T) {
	f := newFixture(t, toolcall.Options{})
	a := f.ask(t, f.bot, "exec", ls("/race"))
	errs := make([]error, 4)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() {
			if i%2 == 0 {
				_, errs[i] = f.svc.Approve(bg, f.admin, a.ID, "", false)
			} else {
				_, errs[i] = f.svc.Deny(bg, f.approver, a.ID, "")
			}
		})
	}
	wg.Wait()
	// Deny also revokes an approval not used yet, so the one outcome is a
	// denied approval: at most one approve and exactly one deny applied.
	approved, denied := 0, 0
	for i, err := range errs {
		switch warden.ErrorCode(err) {
		case "":
			if i%2 == 0 {
				approved++
			} else {
				denied++
			}
		case warden.ECONFLICT:
		default:
			t.Fatalf("concurrent decision: %v", err)
		}
	}
	if approved > 1 || denied != 1 {
		t.Fatalf("%d approves and %d denies applied, want at most 1 and exactly 1 (%v)", approved, denied, errs)
	}
	if st := f.status(t, a.ID); st != warden.ApprovalDenied {
		t.Fatalf("after the race the approval is %s, want denied", st)
	}
}

// An approval binds the exact call. OpenClaw's bridge with arguments that
// are not an object (a JSON string, a list) must not be decided, shown and
// bound as a call without parameters: two such calls that differ would
// share one approval, and the approver would see none of what runs.
func TestBridgeCallsWithDifferentArgsDoNotShareAnApproval(t *testing.T) {
	for _, c := range []struct {
		name        string
		safe, other any
	}{
		{"string args", `{"command":"ls"}`, `{"command":"rm -rf /"}`},
		{"list args", []any{"ls"}, []any{"rm", "-rf", "/"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, toolcall.Options{})
			res := f.decide(t, f.bot, "tool_call", map[string]any{"id": "exec", "args": c.safe})
			if res.Effect != warden.Ask || res.Approval == nil {
				t.Fatalf("bridged exec = %+v, want ask", res.Decision)
			}
			if len(res.Approval.Params) == 0 {
				t.Errorf("the approver is shown no parameters for a call with args %v", c.safe)
			}
			if _, err := f.svc.Approve(bg, f.admin, res.Approval.ID, "", true); err != nil {
				t.Fatal(err)
			}
			if res := f.decide(t, f.bot, "tool_call", map[string]any{"id": "exec", "args": c.other}); res.Effect != warden.Ask {
				t.Errorf("bridged exec with args %v = %+v (approval %s), want ask: it is not the approved call", c.other, res.Decision, res.Approval.ID)
			}
		})
	}
}

// OpenClaw's plugin hook runs for the bridge call tool_call {id, args} and
// again for the call it carries: one human approval covers both, once, in
// the same run, and only for the carried call's derived id.
func TestApprovedBridgeCallCoversTheCallItCarriesOnce(t *testing.T) {
	f := newFixture(t, toolcall.Options{Now: nil})
	bridge := map[string]any{"id": "exec", "args": map[string]any{"command": "make deploy"}}
	outer := toolcall.Request{Tool: "tool_call", Params: bridge, RunID: "run-1", ToolCallID: "call7", Source: toolcall.SourcePlugin}
	inner := toolcall.Request{Tool: "exec", Params: map[string]any{"command": "make deploy"}, RunID: "run-1",
		ToolCallID: "tool_search_code:call7:exec:1", Source: toolcall.SourcePlugin}
	decide := func(r toolcall.Request) *toolcall.Result {
		t.Helper()
		res, err := f.svc.Decide(bg, f.drafter, r)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	first := decide(outer)
	if first.Effect != warden.Ask || first.Approval == nil {
		t.Fatalf("bridge call: %+v, want an ask", first.Decision)
	}
	if _, err := f.svc.Approve(bg, f.admin, first.Approval.ID, "", false); err != nil {
		t.Fatal(err)
	}
	if r := decide(outer); r.Effect != warden.Allow || r.Rule != "approvals.once" {
		t.Fatalf("approved bridge call: %+v", r.Decision)
	}
	other := inner
	other.RunID = "run-2"
	if r := decide(other); r.Effect != warden.Ask {
		t.Fatalf("the same call in another run: %+v, want an ask", r.Decision)
	}
	unrelated := inner
	unrelated.ToolCallID = "call8"
	if r := decide(unrelated); r.Effect != warden.Ask {
		t.Fatalf("the same call with an unrelated id: %+v, want an ask", r.Decision)
	}
	r := decide(inner)
	if r.Effect != warden.Allow || r.Rule != "approvals.once" || r.Approval.ID != first.Approval.ID {
		t.Fatalf("the carried call: %+v (approval %+v), want allowed by the same approval", r.Decision, r.Approval)
	}
	if r := decide(inner); r.Effect != warden.Ask {
		t.Fatalf("the carried call again: %+v, want an ask", r.Decision)
	}
}

// An agent cannot flood approvers: past MaxPending waiting approvals an ask
// is a denial, until one is decided or expires.
func TestPendingApprovalsPerAgentAreBounded(t *testing.T) {
	f := newFixture(t, toolcall.Options{MaxPending: 2})
	first := f.ask(t, f.bot, "exec", ls("/a"))
	f.ask(t, f.bot, "exec", ls("/b"))
	r := f.decide(t, f.bot, "exec", ls("/c"))
	if r.Effect != warden.Deny || r.Rule != "approvals.too_many" || r.Approval != nil {
		t.Fatalf("third ask: %+v, want a denial by approvals.too_many", r.Decision)
	}
	// A retry of a waiting call still gets its approval back.
	if r := f.decide(t, f.bot, "exec", ls("/a")); r.Effect != warden.Ask || r.Approval.ID != first.ID {
		t.Fatalf("retry of a waiting call: %+v", r.Decision)
	}
	// Another agent is not affected.
	f.ask(t, f.other, "exec", ls("/c"))
	if _, err := f.svc.Deny(bg, f.admin, first.ID, ""); err != nil {
		t.Fatal(err)
	}
	f.ask(t, f.bot, "exec", ls("/c"))
}
