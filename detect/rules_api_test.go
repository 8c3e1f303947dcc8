package detect_test

// Every detection rule through the real server: a scripted agent misbehaves
// over the API (or the egress proxy), and the test checks what an operator
// would see: the 423 naming the alert on every plane, the alert itself and
// the audit events it points at, and the admin unlock that needs a note.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/apiv1"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/wardentest"
)

var bg = context.Background()

// profiles every test server has: "narrow" allows read and message, denies
// exec and shell outright.
func narrowProfile(c *config.Config) {
	c.Profiles = map[string]config.Profile{
		"narrow": {Tools: &config.ToolPolicy{Allow: []string{"read", "message"}, Deny: []string{"exec", "shell"}}},
	}
}

// start runs a server with the given rule overrides, a workspace "w" and the
// narrow profile.
func start(t *testing.T, rules map[string]config.DetectRule, opts ...wardentest.Option) *wardentest.Server {
	t.Helper()
	all := append([]wardentest.Option{narrowProfile, func(c *config.Config) { c.Detect = rules }}, opts...)
	s := wardentest.Start(t, all...)
	s.CreateWorkspace("w", "internal")
	return s
}

// agent creates an agent with a profile and grants, and returns its token.
func agent(t *testing.T, s *wardentest.Server, name, profile string, grants ...string) string {
	t.Helper()
	if len(grants) == 0 {
		grants = []string{"w:viewer"} // every agent can at least read
	}
	p, err := s.Admin.CreatePrincipal(bg, warden.KindAgent, apiv1.CreatePrincipal{Name: name, Profile: profile, Grants: grants})
	if err != nil {
		t.Fatalf("create agent %s: %v", name, err)
	}
	return p.Token
}

func mustJSON[T any](t *testing.T, r wardentest.Response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatalf("decode %T from %s: %v", v, r.Body, err)
	}
	return v
}

func must(t *testing.T, r wardentest.Response, status int, what string) wardentest.Response {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s: status %d, want %d: %s", what, r.Status, status, r.Body)
	}
	return r
}

func decide(t *testing.T, s *wardentest.Server, tok, tool string, params map[string]any, source string) wardentest.Response {
	t.Helper()
	b, _ := json.Marshal(apiv1.DecideRequest{Tool: tool, Params: params, Source: source})
	return s.Do("POST", "/api/v1/decide", tok, b)
}

func putFile(t *testing.T, s *wardentest.Server, tok, path, body string) wardentest.Response {
	t.Helper()
	return s.Do("PUT", "/api/v1/workspaces/w/files/"+path, tok, []byte(body))
}

// listAlerts reads GET /api/v1/alerts as the admin.
func listAlerts(t *testing.T, s *wardentest.Server, query string) []apiv1.Alert {
	t.Helper()
	r := must(t, s.Do("GET", "/api/v1/alerts"+query, s.AdminToken, nil), 200, "list alerts")
	return mustJSON[apiv1.Alerts](t, r).Alerts
}

func alertsFor(t *testing.T, s *wardentest.Server, rule, principal string) []apiv1.Alert {
	t.Helper()
	var out []apiv1.Alert
	for _, a := range listAlerts(t, s, "?status=all") {
		if a.Rule == rule && a.Principal == principal {
			out = append(out, a)
		}
	}
	return out
}

// waitAlert waits for the alert of rule about principal (detection is
// asynchronous) and returns it.
func waitAlert(t *testing.T, s *wardentest.Server, rule, principal string) apiv1.Alert {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if as := alertsFor(t, s, rule, principal); len(as) > 0 {
			return as[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s alert about %s within 10s; alerts: %+v", rule, principal, listAlerts(t, s, "?status=all"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

var markers atomic.Int64

// barrier returns once the detector has handled every event committed
// before it was called: events are handled in order on one goroutine, so a
// fresh agent's unusual_tool alert (threshold 1, action alert) appearing
// means everything before it, locks included, is done.
func barrier(t *testing.T, s *wardentest.Server) {
	t.Helper()
	name := fmt.Sprintf("marker-%d", markers.Add(1))
	tok := agent(t, s, name, "narrow")
	must(t, decide(t, s, tok, "exec", nil, ""), 200, "marker decide")
	waitAlert(t, s, "unusual_tool", name)
}

func principal(t *testing.T, s *wardentest.Server, name string) apiv1.Principal {
	t.Helper()
	r := must(t, s.Do("GET", "/api/v1/agents/"+name, s.AdminToken, nil), 200, "get agent")
	return mustJSON[apiv1.Principal](t, r)
}

// waitLocked waits until the agent is locked (the lock follows the alert).
func waitLocked(t *testing.T, s *wardentest.Server, name string) apiv1.Principal {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		p := principal(t, s, name)
		if p.State == warden.StateLocked {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("agent %s not locked within 10s: %+v", name, p)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// auditEvent reads one event by sequence number (after=seq-1&limit=1).
func auditEvent(t *testing.T, s *wardentest.Server, seq int64) apiv1.Event {
	t.Helper()
	r := must(t, s.Do("GET", "/api/v1/audit?after="+strconv.FormatInt(seq-1, 10)+"&limit=1", s.AdminToken, nil), 200, "audit query")
	evs := mustJSON[apiv1.Events](t, r).Events
	if len(evs) != 1 || evs[0].Seq != seq {
		t.Fatalf("audit event %d: got %+v", seq, evs)
	}
	return evs[0]
}

// checkAlert checks what an alert says and that its events are real events
// by the agent, of the wanted actions.
func checkAlert(t *testing.T, s *wardentest.Server, a apiv1.Alert, rule, name, action string, minEvents int, actions ...string) {
	t.Helper()
	if a.Rule != rule || a.Principal != name || a.Kind != warden.KindAgent || a.Action != action || a.Status != warden.AlertOpen ||
		!strings.HasPrefix(a.ID, "alt_") || a.Reason == "" || a.Severity == "" {
		t.Errorf("alert = %+v; want rule %s, agent %s, action %s, open", a, rule, name, action)
	}
	if len(a.Events) < minEvents {
		t.Fatalf("alert %s names %d events, want at least %d: %v", a.ID, len(a.Events), minEvents, a.Events)
	}
	for _, seq := range a.Events {
		ev := auditEvent(t, s, seq)
		ok := false
		for _, act := range actions {
			ok = ok || ev.Action == act
		}
		if ev.Principal != name || ev.Kind != string(warden.KindAgent) || !ok {
			t.Errorf("alert %s event %d = %s by %s %s; want one of %v by agent %s", a.ID, seq, ev.Action, ev.Kind, ev.Principal, actions, name)
		}
	}
	// The detector put its own event on the record, naming the alert.
	r := must(t, s.Do("GET", "/api/v1/audit?action=detect.alert&limit=1000", s.AdminToken, nil), 200, "detect.alert events")
	found := false
	for _, ev := range mustJSON[apiv1.Events](t, r).Events {
		if ev.Details["alert_id"] == a.ID {
			found = true
			if ev.Principal != "warden" || ev.Target != name || ev.Decision.Rule != "detect."+rule {
				t.Errorf("detect.alert event = %+v", ev)
			}
		}
	}
	if !found {
		t.Errorf("no detect.alert event names alert %s", a.ID)
	}
}

// checkLocked checks the 423s: a read, and the tool plane, each naming the
// alert; returns after both.
func checkLocked(t *testing.T, s *wardentest.Server, tok string, a apiv1.Alert) {
	t.Helper()
	for _, r := range []struct {
		what string
		resp wardentest.Response
	}{
		{"read", s.Do("GET", "/api/v1/workspaces/w/files", tok, nil)},
		{"tool plane", decide(t, s, tok, "read", map[string]any{"path": "x"}, "")},
	} {
		if r.resp.Status != 423 {
			t.Fatalf("%s by a locked agent: status %d, want 423: %s", r.what, r.resp.Status, r.resp.Body)
		}
		e := mustJSON[apiv1.Error](t, r.resp)
		if e.Error.Code != warden.ELOCKED || !strings.Contains(e.Error.Message, a.ID) || !strings.Contains(e.Error.Message, "locked by Warden") {
			t.Errorf("%s: 423 body %s does not name alert %s", r.what, r.resp.Body, a.ID)
		}
	}
}

// checkUnlock: no note is refused, a note restores access.
func checkUnlock(t *testing.T, s *wardentest.Server, name, tok string) {
	t.Helper()
	must(t, s.Do("POST", "/api/v1/agents/"+name+"/unlock", s.AdminToken, nil), 422, "unlock without a body")
	must(t, s.Do("POST", "/api/v1/agents/"+name+"/unlock", s.AdminToken, []byte(`{"note":"  "}`)), 422, "unlock with a blank note")
	if p := principal(t, s, name); p.State != warden.StateLocked {
		t.Fatalf("a refused unlock unlocked: %+v", p)
	}
	must(t, s.Do("POST", "/api/v1/agents/"+name+"/unlock", s.AdminToken, []byte(`{"note":"looked at it, fine"}`)), 200, "unlock")
	must(t, s.Do("GET", "/api/v1/workspaces/w/files", tok, nil), 200, "read after unlock")
	must(t, decide(t, s, tok, "read", map[string]any{"path": "after-unlock"}, ""), 200, "tool plane after unlock")
}

// checkNotLocked makes sure a rule that only alerts did not lock.
func checkNotLocked(t *testing.T, s *wardentest.Server, name, tok string) {
	t.Helper()
	barrier(t, s)
	if p := principal(t, s, name); p.State != warden.StateActive {
		t.Fatalf("agent %s is %s; the rule must not lock", name, p.State)
	}
	must(t, s.Do("GET", "/api/v1/workspaces/w/files", tok, nil), 200, "read by an agent that was not locked")
}

func TestMassDeleteLocks(t *testing.T) {
	s := start(t, map[string]config.DetectRule{"mass_delete": {Threshold: 3}})
	tok := agent(t, s, "bot", "", "w:editor")
	for i := range 3 {
		must(t, putFile(t, s, s.AdminToken, fmt.Sprintf("f%d.txt", i), "x"), 201, "admin put")
	}
	// Creating files is no delete or overwrite.
	must(t, putFile(t, s, tok, "new.txt", "x"), 201, "create")
	for i := range 3 {
		must(t, s.Do("DELETE", fmt.Sprintf("/api/v1/workspaces/w/files/f%d.txt", i), tok, nil), 200, "delete")
	}
	a := waitAlert(t, s, "mass_delete", "bot")
	waitLocked(t, s, "bot")
	checkAlert(t, s, a, "mass_delete", "bot", "lock", 3, "file.delete")
	if len(a.Events) != 3 {
		t.Errorf("alert events = %v, want the 3 deletes", a.Events)
	}
	checkLocked(t, s, tok, a)
	checkUnlock(t, s, "bot", tok)
}

func TestMassOverwriteLocks(t *testing.T) {
	s := start(t, map[string]config.DetectRule{"mass_delete": {Threshold: 3}})
	tok := agent(t, s, "bot", "", "w:editor")
	must(t, putFile(t, s, tok, "a.txt", "v1"), 201, "create")
	must(t, putFile(t, s, tok, "b.txt", "v1"), 201, "create")
	must(t, putFile(t, s, tok, "c.txt", "v1"), 201, "create")
	for _, p := range []string{"a.txt", "b.txt", "a.txt"} {
		r := putFile(t, s, tok, p, "v2")
		if r.Status != 200 && r.Status != 201 {
			t.Fatalf("overwrite: %d %s", r.Status, r.Body)
		}
	}
	a := waitAlert(t, s, "mass_delete", "bot")
	waitLocked(t, s, "bot")
	checkAlert(t, s, a, "mass_delete", "bot", "lock", 3, "file.write")
	for _, seq := range a.Events {
		if ev := auditEvent(t, s, seq); ev.Details["created"] != false {
			t.Errorf("event %d in the alert is not an overwrite: %+v", seq, ev.Details)
		}
	}
	checkLocked(t, s, tok, a)
	checkUnlock(t, s, "bot", tok)
}

func TestHighVolumeReadsAlertsWithoutLocking(t *testing.T) {
	s := start(t, map[string]config.DetectRule{"high_volume_reads": {Threshold: 5}})
	tok := agent(t, s, "bot", "", "w:viewer")
	for i := range 5 {
		must(t, putFile(t, s, s.AdminToken, fmt.Sprintf("r%d.txt", i), "x"), 201, "admin put")
	}
	for i := range 5 {
		must(t, s.Do("GET", fmt.Sprintf("/api/v1/workspaces/w/files/r%d.txt", i), tok, nil), 200, "read")
	}
	a := waitAlert(t, s, "high_volume_reads", "bot")
	checkAlert(t, s, a, "high_volume_reads", "bot", "alert", 5, "file.read")
	checkNotLocked(t, s, "bot", tok)
	// Failed reads do not count: five misses make no second alert.
	for range 5 {
		must(t, s.Do("GET", "/api/v1/workspaces/w/files/missing.txt", tok, nil), 404, "missing read")
	}
	barrier(t, s)
	if n := len(alertsFor(t, s, "high_volume_reads", "bot")); n != 1 {
		t.Errorf("%d high_volume_reads alerts after failed reads, want 1", n)
	}
}

func TestUnusualToolAlerts(t *testing.T) {
	s := start(t, nil)
	tok := agent(t, s, "bot", "narrow")
	r := must(t, decide(t, s, tok, "exec", map[string]any{"cmd": "rm -rf /"}, "plugin"), 200, "decide")
	if d := mustJSON[apiv1.DecideResponse](t, r); d.Decision != warden.Deny || d.Rule != "profiles.narrow.tools.deny" {
		t.Fatalf("decision = %+v", d)
	}
	a := waitAlert(t, s, "unusual_tool", "bot")
	checkAlert(t, s, a, "unusual_tool", "bot", "alert", 1, "tool.decide")
	checkNotLocked(t, s, "bot", tok)
	// A call the profile simply asks about or allows is not unusual.
	must(t, decide(t, s, tok, "read", nil, ""), 200, "allowed decide")
	barrier(t, s)
	if n := len(alertsFor(t, s, "unusual_tool", "bot")); n != 1 {
		t.Errorf("%d unusual_tool alerts, want 1", n)
	}
}

func TestUnusualToolRepeatedLocks(t *testing.T) {
	s := start(t, map[string]config.DetectRule{"unusual_tool_repeated": {Threshold: 3}})
	tok := agent(t, s, "bot", "narrow")
	for i, tool := range []string{"exec", "shell", "exec"} {
		must(t, decide(t, s, tok, tool, map[string]any{"n": i}, ""), 200, "decide")
	}
	a := waitAlert(t, s, "unusual_tool_repeated", "bot")
	waitLocked(t, s, "bot")
	checkAlert(t, s, a, "unusual_tool_repeated", "bot", "lock", 3, "tool.decide")
	checkLocked(t, s, tok, a)
	checkUnlock(t, s, "bot", tok)
}

func TestPermissionChangeLocks(t *testing.T) {
	for _, tc := range []struct {
		name, method, path, body, action string
	}{
		{"grant", "PUT", "/api/v1/workspaces/w/members/bot", `{"role":"admin"}`, "member.grant"},
		{"revoke", "DELETE", "/api/v1/workspaces/w/members/admin", "", "member.revoke"},
		{"create agent", "POST", "/api/v1/agents", `{"name":"minion"}`, "agent.create"},
		{"relabel workspace", "PATCH", "/api/v1/workspaces/w", `{"label":"public"}`, "workspace.label"},
		{"new token", "POST", "/api/v1/agents/other/tokens", "", "agent.token.create"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := start(t, nil)
			tok := agent(t, s, "bot", "", "w:viewer")
			agent(t, s, "other", "")
			var body []byte
			if tc.body != "" {
				body = []byte(tc.body)
			}
			if r := s.Do(tc.method, tc.path, tok, body); r.Status/100 == 2 {
				t.Fatalf("the agent's %s succeeded: %d %s", tc.name, r.Status, r.Body)
			}
			barrier(t, s)
			if len(alertsFor(t, s, "permission_change", "bot")) == 0 {
				r := must(t, s.Do("GET", "/api/v1/audit?principal=bot&limit=1000", s.AdminToken, nil), 200, "audit")
				var acts []string
				for _, ev := range mustJSON[apiv1.Events](t, r).Events {
					acts = append(acts, ev.Action+"/"+string(ev.Decision.Effect))
				}
				t.Fatalf("an agent's %s (%s) made no permission_change alert; the agent's events: %v", tc.name, tc.action, acts)
			}
			a := waitAlert(t, s, "permission_change", "bot")
			waitLocked(t, s, "bot")
			checkAlert(t, s, a, "permission_change", "bot", "lock", 1, tc.action)
			checkLocked(t, s, tok, a)
			checkUnlock(t, s, "bot", tok)
		})
	}
}

// An agent may ask who it is (GET /api/v1/whoami) and read its own record
// ("anyone may see themselves"): neither is an attempt to change a
// permission, and neither may lock it.
func TestPermissionChangeIgnoresReads(t *testing.T) {
	s := start(t, nil)
	tok := agent(t, s, "bot", "", "w:viewer")
	must(t, s.Do("GET", "/api/v1/whoami", tok, nil), 200, "whoami")
	must(t, s.Do("GET", "/api/v1/agents/bot", tok, nil), 200, "an agent reading itself")
	barrier(t, s)
	if as := alertsFor(t, s, "permission_change", "bot"); len(as) != 0 {
		t.Errorf("reads made permission_change alerts: %+v", as)
	}
	if p := principal(t, s, "bot"); p.State != warden.StateActive {
		t.Errorf("an agent calling whoami / reading its own record was locked: %+v", p)
	}
}

// proxied returns a client that goes through Warden's egress proxy as name.
func proxied(s *wardentest.Server, name, tok string) *http.Client {
	u, _ := url.Parse(s.EgressURL)
	u.User = url.UserPassword(name, tok)
	return &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(u), DisableKeepAlives: true}, Timeout: 10 * time.Second}
}

func get(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// closedPort is a loopback address nothing listens on (never dialled: the
// allowlist refuses it first).
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestDenialBurstAlerts(t *testing.T) {
	s := start(t, map[string]config.DetectRule{"denial_burst": {Threshold: 3}})
	if s.EgressURL == "" {
		t.Fatal("no egress proxy")
	}
	tok := agent(t, s, "bot", "")
	c := proxied(s, "bot", tok)
	target := "http://" + closedPort(t) + "/"
	for range 3 {
		if st, body := get(t, c, target); st != 403 {
			t.Fatalf("a non-allowlisted host: %d %s", st, body)
		}
	}
	a := waitAlert(t, s, "denial_burst", "bot")
	checkAlert(t, s, a, "denial_burst", "bot", "alert", 3, "egress.connect")
	checkNotLocked(t, s, "bot", tok)
}

// With action lock, the burst locks the agent on every plane, the network
// plane included.
func TestDenialBurstLocksWhenConfigured(t *testing.T) {
	s := start(t, map[string]config.DetectRule{"denial_burst": {Threshold: 3, Action: "lock"}})
	tok := agent(t, s, "bot", "")
	c := proxied(s, "bot", tok)
	target := "http://" + closedPort(t) + "/"
	for range 3 {
		if st, body := get(t, c, target); st != 403 {
			t.Fatalf("a non-allowlisted host: %d %s", st, body)
		}
	}
	a := waitAlert(t, s, "denial_burst", "bot")
	waitLocked(t, s, "bot")
	checkAlert(t, s, a, "denial_burst", "bot", "lock", 3, "egress.connect")
	checkLocked(t, s, tok, a)
	st, body := get(t, c, target)
	if st != 403 || !strings.Contains(body, "locked") || !strings.Contains(body, a.ID) {
		t.Errorf("egress proxy for a locked agent: %d %q; want 403 naming alert %s", st, body, a.ID)
	}
	checkUnlock(t, s, "bot", tok)
}

func TestEgressFirstSeenRecordsOncePerHost(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") }))
	defer up.Close()
	hostPort := strings.TrimPrefix(up.URL, "http://")
	s := start(t, nil, func(c *config.Config) {
		c.Egress.AllowPrivate = []string{"127.0.0.0/8"}
		c.Egress.Allow = []string{hostPort}
	})
	tok := agent(t, s, "bot", "")
	c := proxied(s, "bot", tok)
	for range 3 {
		if st, body := get(t, c, up.URL+"/page"); st != 200 || body != "hello" {
			t.Fatalf("allowed egress: %d %q", st, body)
		}
	}
	barrier(t, s)
	r := must(t, s.Do("GET", "/api/v1/audit?action=detect.record&limit=1000", s.AdminToken, nil), 200, "detect.record events")
	var recs []apiv1.Event
	for _, ev := range mustJSON[apiv1.Events](t, r).Events {
		if ev.Target == "bot" && ev.Details["rule"] == "egress_first_seen" {
			recs = append(recs, ev)
		}
	}
	if len(recs) != 1 {
		t.Fatalf("egress_first_seen records for bot = %+v; want 1 for 3 connections to one host", recs)
	}
	rec := recs[0]
	if rec.Principal != "warden" || rec.Kind != string(warden.KindSystem) || rec.Decision.Rule != "detect.egress_first_seen" ||
		!strings.Contains(rec.Decision.Reason, "127.0.0.1") {
		t.Errorf("record = %+v", rec)
	}
	seqs, _ := rec.Details["events"].([]any)
	if len(seqs) != 1 {
		t.Fatalf("record events = %v", rec.Details["events"])
	}
	ev := auditEvent(t, s, int64(seqs[0].(float64)))
	if ev.Action != "egress.connect" || ev.Principal != "bot" || ev.Decision.Effect != warden.Allow {
		t.Errorf("the record points at %+v; want bot's first allowed egress.connect", ev)
	}
	// A record is no alert, and nothing is locked.
	if as := alertsFor(t, s, "egress_first_seen", "bot"); len(as) != 0 {
		t.Errorf("first-seen made alerts: %+v", as)
	}
	if p := principal(t, s, "bot"); p.State != warden.StateActive {
		t.Errorf("first-seen locked: %+v", p)
	}
}

func TestMessageVolumeLocks(t *testing.T) {
	s := start(t, map[string]config.DetectRule{"message_volume": {Threshold: 3}})
	tok := agent(t, s, "bot", "narrow")
	for i := range 3 {
		r := must(t, decide(t, s, tok, "message", map[string]any{"to": fmt.Sprintf("user%d@example.com", i), "text": "hi"}, "plugin"), 200, "decide")
		if d := mustJSON[apiv1.DecideResponse](t, r); d.Decision != warden.Allow {
			t.Fatalf("message decision = %+v", d)
		}
	}
	a := waitAlert(t, s, "message_volume", "bot")
	waitLocked(t, s, "bot")
	checkAlert(t, s, a, "message_volume", "bot", "lock", 3, "tool.decide")
	checkLocked(t, s, tok, a)
	checkUnlock(t, s, "bot", tok)
}

func TestRunawayLoopLocks(t *testing.T) {
	s := start(t, map[string]config.DetectRule{"runaway_loop": {Threshold: 4}})
	tok := agent(t, s, "bot", "")
	// Different calls are no loop.
	for i := range 3 {
		must(t, decide(t, s, tok, "read", map[string]any{"path": fmt.Sprintf("f%d", i)}, "plugin"), 200, "decide")
	}
	for range 4 {
		must(t, decide(t, s, tok, "read", map[string]any{"path": "same"}, "plugin"), 200, "decide")
	}
	a := waitAlert(t, s, "runaway_loop", "bot")
	waitLocked(t, s, "bot")
	checkAlert(t, s, a, "runaway_loop", "bot", "lock", 4, "tool.decide")
	if len(a.Events) != 4 {
		t.Errorf("alert events = %v, want the 4 identical calls", a.Events)
	}
	var hash any
	for _, seq := range a.Events {
		ev := auditEvent(t, s, seq)
		if hash == nil {
			hash = ev.Details["action"]
		}
		if ev.Details["action"] != hash || ev.Target != "read" {
			t.Errorf("event %d is not the repeated call: %+v", seq, ev.Details)
		}
	}
	checkLocked(t, s, tok, a)
	checkUnlock(t, s, "bot", tok)
}

func TestShadowModeRecordsWithoutLocking(t *testing.T) {
	s := start(t, map[string]config.DetectRule{"mass_delete": {Threshold: 2, Mode: "shadow"}})
	tok := agent(t, s, "bot", "", "w:editor")
	must(t, putFile(t, s, s.AdminToken, "a.txt", "x"), 201, "put")
	must(t, putFile(t, s, s.AdminToken, "b.txt", "x"), 201, "put")
	must(t, s.Do("DELETE", "/api/v1/workspaces/w/files/a.txt", tok, nil), 200, "delete")
	must(t, s.Do("DELETE", "/api/v1/workspaces/w/files/b.txt", tok, nil), 200, "delete")
	a := waitAlert(t, s, "mass_delete", "bot")
	checkAlert(t, s, a, "mass_delete", "bot", "lock (shadow)", 2, "file.delete")
	checkNotLocked(t, s, "bot", tok)
	r := must(t, s.Do("GET", "/api/v1/audit?action=detect.alert&limit=1000", s.AdminToken, nil), 200, "audit")
	for _, ev := range mustJSON[apiv1.Events](t, r).Events {
		if ev.Details["alert_id"] == a.ID && ev.Details["shadow"] != true {
			t.Errorf("the detect.alert event does not say shadow: %+v", ev.Details)
		}
	}
}

func TestDetectionLockSurvivesRestart(t *testing.T) {
	s := start(t, map[string]config.DetectRule{"runaway_loop": {Threshold: 3}})
	tok := agent(t, s, "bot", "", "w:viewer")
	for range 3 {
		must(t, decide(t, s, tok, "read", map[string]any{"path": "same"}, ""), 200, "decide")
	}
	a := waitAlert(t, s, "runaway_loop", "bot")
	waitLocked(t, s, "bot")
	s.Restart()
	checkLocked(t, s, tok, a)
	if p := principal(t, s, "bot"); p.State != warden.StateLocked || p.LockedBy != "warden" || !strings.Contains(p.LockNote, a.ID) {
		t.Errorf("after restart: %+v", p)
	}
	if as := alertsFor(t, s, "runaway_loop", "bot"); len(as) != 1 || as[0].ID != a.ID || len(as[0].Events) != 3 {
		t.Errorf("alerts after restart = %+v", as)
	}
	checkUnlock(t, s, "bot", tok)
}
