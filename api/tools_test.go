package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/apiv1"
	"github.com/wardenhq/warden/client"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/wardentest"
)

// toolProfiles is the tool policy of these tests: "drafting" allows reading
// and writing, and git through a rule, asks for exec, denies the web.
func toolProfiles(c *config.Config) {
	c.Profiles = map[string]config.Profile{"drafting": {Tools: &config.ToolPolicy{
		Allow: []string{"read", "write"},
		Ask:   []string{"exec"},
		Deny:  []string{"group:web"},
		Rules: []config.ToolRule{{When: `tool == "exec" && "command" in params && string(params.command).startsWith("git ")`,
			Decision: "allow", Reason: "git is fine"}},
	}}}
}

// toolServer starts a server with toolProfiles and opts.
func toolServer(t *testing.T, opts ...wardentest.Option) *wardentest.Server {
	t.Helper()
	return wardentest.Start(t, append([]wardentest.Option{toolProfiles}, opts...)...)
}

// profiledAgent creates an agent with a profile ("" for none) and returns its token.
func profiledAgent(t *testing.T, s *wardentest.Server, name, profile string) string {
	t.Helper()
	p, err := s.Admin.CreatePrincipal(bg, warden.KindAgent, apiv1.CreatePrincipal{Name: name, Profile: profile})
	if err != nil {
		t.Fatalf("create agent %s (profile %q): %v", name, profile, err)
	}
	return p.Token
}

func toJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decideCall posts one decide by token, wants 200, and returns the answer
// and the request id.
func decideCall(t *testing.T, s *wardentest.Server, token, tool string, params map[string]any) (apiv1.DecideResponse, string) {
	t.Helper()
	r := s.Do("POST", "/api/v1/decide", token, toJSON(t, apiv1.DecideRequest{Tool: tool, Params: params}))
	mustStatus(t, r, 200)
	return decodeJSON[apiv1.DecideResponse](t, r), r.Header.Get("X-Request-Id")
}

// askFor decides a call that must ask and returns its approval id.
func askFor(t *testing.T, s *wardentest.Server, token, tool string, params map[string]any) string {
	t.Helper()
	d, _ := decideCall(t, s, token, tool, params)
	if d.Decision != warden.Ask || !strings.HasPrefix(d.ApprovalID, "apr_") || d.ExpiresAt == nil {
		t.Fatalf("decide %s %v = %+v, want ask with an approval id and expiry", tool, params, d)
	}
	return d.ApprovalID
}

func cmd(c string) map[string]any { return map[string]any{"command": c} }

func approvalPath(id, verb string) string {
	p := "/api/v1/approvals/" + url.PathEscape(id)
	if verb != "" {
		p += "/" + verb
	}
	return p
}

func getApproval(t *testing.T, s *wardentest.Server, token, id string) apiv1.Approval {
	t.Helper()
	r := s.Do("GET", approvalPath(id, ""), token, nil)
	mustStatus(t, r, 200)
	return decodeJSON[apiv1.Approval](t, r)
}

func TestDecideFollowsTheAgentsProfile(t *testing.T) {
	s := toolServer(t)
	drafter := profiledAgent(t, s, "drafter", "drafting")
	plain := profiledAgent(t, s, "plain", "")
	explicit := profiledAgent(t, s, "explicit", "default")
	cases := []struct {
		name, token, tool string
		params            map[string]any
		effect            warden.Effect
		rule, decidedTool string
	}{
		{"listed allow", drafter, "read", map[string]any{"path": "a.txt"}, warden.Allow, "profiles.drafting.tools.allow", "read"},
		{"tool names are case-insensitive", drafter, "Write", nil, warden.Allow, "profiles.drafting.tools.allow", "write"},
		{"listed ask", drafter, "exec", cmd("make"), warden.Ask, "profiles.drafting.tools.ask", "exec"},
		{"a rule beats the lists", drafter, "exec", cmd("git status"), warden.Allow, "profiles.drafting.tools.rules[0]", "exec"},
		{"a denied group", drafter, "web_fetch", map[string]any{"url": "https://example.com"}, warden.Deny, "profiles.drafting.tools.deny", "web_fetch"},
		{"OpenClaw bridge is decided as the tool it carries", drafter, "tool_call",
			map[string]any{"id": "exec", "args": cmd("ls")}, warden.Ask, "profiles.drafting.tools.ask", "exec"},
		{"bridge to a denied tool", drafter, "tool_call",
			map[string]any{"id": "web_search", "args": map[string]any{"q": "x"}}, warden.Deny, "profiles.drafting.tools.deny", "web_search"},
		{"bridge rule sees the inner args", drafter, "tool_call",
			map[string]any{"id": "exec", "args": cmd("git log")}, warden.Allow, "profiles.drafting.tools.rules[0]", "exec"},
		{"unlisted tool falls to the profile's fallback", drafter, "frobnicate", nil, warden.Ask, "profiles.drafting.tools.unlisted", "frobnicate"},
		{"no profile: read allowed", plain, "read", map[string]any{"path": "a"}, warden.Allow, "profiles.default.tools.allow", "read"},
		{"no profile: exec asks", plain, "exec", cmd("ls"), warden.Ask, "default.ask", "exec"},
		{"no profile: unknown tool asks", plain, "frobnicate", nil, warden.Ask, "default.ask", "frobnicate"},
		{"no profile: bridge to read", plain, "tool_call", map[string]any{"id": "read", "args": map[string]any{"path": "a"}}, warden.Allow, "profiles.default.tools.allow", "read"},
		{"default profile by name: exec asks", explicit, "exec", cmd("ls"), warden.Ask, "default.ask", "exec"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, _ := decideCall(t, s, c.token, c.tool, c.params)
			if d.Decision != c.effect || d.Rule != c.rule || d.Tool != c.decidedTool {
				t.Fatalf("decide = %+v, want %s by %s on %s", d, c.effect, c.rule, c.decidedTool)
			}
			if d.Reason == "" {
				t.Error("no reason given")
			}
			if ask := c.effect == warden.Ask; ask != (d.ApprovalID != "") || ask != (d.ExpiresAt != nil) {
				t.Errorf("approval id %q, expires %v for a %s", d.ApprovalID, d.ExpiresAt, c.effect)
			}
		})
	}
}

func TestDecideRefusesBadInput(t *testing.T) {
	s := toolServer(t)
	bot := profiledAgent(t, s, "bot", "")
	approver := s.Human("alice", "approver")
	ok := func(tool string) string { return string(toJSON(t, apiv1.DecideRequest{Tool: tool})) }
	cases := []struct {
		name, token, body string
		status            int
		code              string
	}{
		{"malformed JSON", bot, `{"tool":`, 422, "invalid"},
		{"empty body", bot, ``, 422, "invalid"},
		{"not an object", bot, `["exec"]`, 422, "invalid"},
		{"params is a list", bot, `{"tool":"exec","params":[1,2]}`, 422, "invalid"},
		{"params is a string", bot, `{"tool":"exec","params":"ls"}`, 422, "invalid"},
		{"empty tool", bot, `{"tool":"","params":{}}`, 422, "invalid"},
		{"blank tool", bot, `{"tool":"   "}`, 422, "invalid"},
		{"no tool", bot, `{"params":{"a":1}}`, 422, "invalid"},
		{"tool with a space", bot, ok("rm -rf"), 422, "invalid"},
		{"tool with a control character", bot, ok("ex\x07ec"), 422, "invalid"},
		{"tool with a newline", bot, ok("exec\nread"), 422, "invalid"},
		{"tool over 128 bytes", bot, ok(strings.Repeat("t", 129)), 422, "invalid"},
		{"session over 256 bytes", bot, `{"tool":"read","session":"` + strings.Repeat("s", 257) + `"}`, 422, "invalid"},
		{"unknown field", bot, `{"tool":"read","command":"ls"}`, 422, "invalid"},
		{"data after the object", bot, `{"tool":"read"} {"tool":"exec"}`, 422, "invalid"},
		{"body over 1 MiB", bot, `{"tool":"write","params":{"content":"` + strings.Repeat("x", 1<<20) + `"}}`, 413, "too_large"},
		{"model source from outside", bot, `{"tool":"exec","source":"model"}`, 422, "invalid"},
		{"unknown source", bot, `{"tool":"exec","source":"console"}`, 422, "invalid"},
		{"admin's token", s.AdminToken, ok("read"), 403, "forbidden"},
		{"approver's token", approver, ok("read"), 403, "forbidden"},
		{"no token", "", ok("read"), 401, "unauthenticated"},
		{"unknown token", "wdn_bogus_00000000", ok("read"), 401, "unauthenticated"},
	}
	ids := map[string]string{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := s.Do("POST", "/api/v1/decide", c.token, []byte(c.body))
			if r.Status != c.status {
				t.Fatalf("status %d, want %d: %s", r.Status, c.status, truncate(string(r.Body)))
			}
			checkErrorBody(t, r, c.code)
			ids[r.Header.Get("X-Request-Id")] = c.name
		})
	}
	// A 128-byte tool name is still a name.
	if d, _ := decideCall(t, s, bot, strings.Repeat("t", 128), nil); d.Decision != warden.Ask {
		t.Fatalf("128-byte tool: %+v", d)
	}
	byReq := allEvents(t, s)
	for id, name := range ids {
		evs := byReq[id]
		if len(evs) == 0 {
			t.Errorf("%s: no audit event", name)
			continue
		}
		if evs[0].Decision.Effect != warden.Deny {
			t.Errorf("%s: event %+v, want a denial", name, evs[0])
		}
		for _, e := range evs {
			if e.Action == "tool.decide" && e.Decision.Effect != warden.Deny {
				t.Errorf("%s: recorded as a %s decision", name, e.Decision.Effect)
			}
		}
	}
	if l, err := s.Admin.Approvals(bg, "all", 0); err != nil || len(l) != 1 {
		t.Fatalf("approvals after bad input: %d, %v; want only the 128-byte tool's", len(l), err)
	}
}

func TestRetriedAskReturnsTheSamePendingApproval(t *testing.T) {
	s := toolServer(t)
	bot := profiledAgent(t, s, "bot", "drafting")
	a := askFor(t, s, bot, "exec", cmd("make"))
	for range 3 {
		if b := askFor(t, s, bot, "exec", cmd("make")); b != a {
			t.Fatalf("retry got approval %s, want the pending %s", b, a)
		}
	}
	// The bridge form of the same call is the same call.
	if b := askFor(t, s, bot, "tool_call", map[string]any{"id": "exec", "args": cmd("make")}); b != a {
		t.Fatalf("bridged retry got %s, want %s", b, a)
	}
	c := askFor(t, s, bot, "exec", cmd("make install"))
	if c == a {
		t.Fatal("different params share an approval")
	}
	l, err := s.Admin.Approvals(bg, "", 0)
	if err != nil || len(l) != 2 {
		t.Fatalf("pending = %d, %v; want 2", len(l), err)
	}
	if l[0].ID != c || l[1].ID != a {
		t.Fatalf("pending order %s, %s; want newest first (%s, %s)", l[0].ID, l[1].ID, c, a)
	}
}

func TestApproveOnceAllowsTheExactCallOnce(t *testing.T) {
	s := toolServer(t)
	bot := profiledAgent(t, s, "bot", "drafting")
	a := askFor(t, s, bot, "exec", cmd("make"))
	r := s.Do("POST", approvalPath(a, "approve"), s.AdminToken, []byte(`{"note":"ok for now"}`))
	mustStatus(t, r, 200)
	got := decodeJSON[apiv1.Approval](t, r)
	if got.Status != warden.ApprovalApproved || got.Always || got.DecidedBy != "admin" || got.Note != "ok for now" || got.DecidedAt == nil || got.ExpiresAt == nil {
		t.Fatalf("approved = %+v", got)
	}
	if d, _ := decideCall(t, s, bot, "exec", cmd("make install")); d.Decision != warden.Ask || d.ApprovalID == a {
		t.Fatalf("a changed call = %+v, want its own ask", d)
	}
	d, _ := decideCall(t, s, bot, "exec", cmd("make"))
	if d.Decision != warden.Allow || d.Rule != "approvals.once" || d.ApprovalID != a || d.ExpiresAt != nil {
		t.Fatalf("first call after approval = %+v, want allow by approvals.once", d)
	}
	if st := getApproval(t, s, s.AdminToken, a).Status; st != warden.ApprovalUsed {
		t.Fatalf("status after use = %s, want used", st)
	}
	next := askFor(t, s, bot, "exec", cmd("make"))
	if next == a {
		t.Fatal("the used approval allowed (or asked) again")
	}
}

func TestApproveAlwaysKeepsAllowingTheExactCall(t *testing.T) {
	s := toolServer(t)
	bot := profiledAgent(t, s, "bot", "drafting")
	a := askFor(t, s, bot, "exec", cmd("make"))
	got, err := s.Admin.Approve(bg, a, "", true)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Always || got.Status != warden.ApprovalApproved || got.ExpiresAt != nil {
		t.Fatalf("approved always = %+v, want always without expiry", got)
	}
	for i := range 3 {
		if d, _ := decideCall(t, s, bot, "exec", cmd("make")); d.Decision != warden.Allow || d.Rule != "approvals.always" || d.ApprovalID != a {
			t.Fatalf("call %d = %+v, want allow by approvals.always", i, d)
		}
	}
	if st := getApproval(t, s, s.AdminToken, a).Status; st != warden.ApprovalApproved {
		t.Fatalf("status after use = %s, want still approved", st)
	}
	if d, _ := decideCall(t, s, bot, "exec", cmd("make clean")); d.Decision != warden.Ask {
		t.Fatalf("a changed call = %+v, want ask", d)
	}
	other := profiledAgent(t, s, "other", "drafting")
	if d, _ := decideCall(t, s, other, "exec", cmd("make")); d.Decision != warden.Ask {
		t.Fatalf("the same call by another agent = %+v, want ask", d)
	}
}

func TestDeniedApprovalIsNotReusedAndAlwaysCanBeRevoked(t *testing.T) {
	s := toolServer(t)
	bot := profiledAgent(t, s, "bot", "drafting")
	a := askFor(t, s, bot, "exec", cmd("rm -rf build"))
	r := s.Do("POST", approvalPath(a, "deny"), s.AdminToken, []byte(`{"note":"no"}`))
	mustStatus(t, r, 200)
	if got := decodeJSON[apiv1.Approval](t, r); got.Status != warden.ApprovalDenied || got.Note != "no" || got.DecidedBy != "admin" {
		t.Fatalf("denied = %+v", got)
	}
	if got := getApproval(t, s, bot, a); got.Status != warden.ApprovalDenied {
		t.Fatalf("the agent sees %s, want denied", got.Status)
	}
	b := askFor(t, s, bot, "exec", cmd("rm -rf build"))
	if b == a {
		t.Fatal("the next identical call reused the denied approval")
	}

	// Deny with an empty body works too; "always" means nothing to deny.
	mustStatus(t, s.Do("POST", approvalPath(b, "deny"), s.AdminToken, []byte(`{"always":true}`)), 422)
	mustStatus(t, s.Do("POST", approvalPath(b, "approve"), s.AdminToken, []byte(`{"always":true}`)), 200)
	if d, _ := decideCall(t, s, bot, "exec", cmd("rm -rf build")); d.Rule != "approvals.always" {
		t.Fatalf("before revoke: %+v", d)
	}
	mustStatus(t, s.Do("POST", approvalPath(b, "deny"), s.AdminToken, nil), 200)
	if got := getApproval(t, s, s.AdminToken, b); got.Status != warden.ApprovalDenied || got.Always {
		t.Fatalf("revoked = %+v", got)
	}
	if c := askFor(t, s, bot, "exec", cmd("rm -rf build")); c == a || c == b {
		t.Fatal("a revoked approval was reused")
	}
}

func TestApprovalDecisionsThatCannotApply(t *testing.T) {
	s := toolServer(t)
	bot := profiledAgent(t, s, "bot", "drafting")
	approved := askFor(t, s, bot, "exec", cmd("a"))
	denied := askFor(t, s, bot, "exec", cmd("b"))
	pending := askFor(t, s, bot, "exec", cmd("c"))
	mustStatus(t, s.Do("POST", approvalPath(approved, "approve"), s.AdminToken, nil), 200)
	mustStatus(t, s.Do("POST", approvalPath(denied, "deny"), s.AdminToken, nil), 200)
	cases := []struct {
		name, path, body string
		status           int
		code             string
	}{
		{"approving twice", approvalPath(approved, "approve"), ``, 409, "conflict"},
		{"approving twice, always", approvalPath(approved, "approve"), `{"always":true}`, 409, "conflict"},
		{"approving a denied one", approvalPath(denied, "approve"), ``, 409, "conflict"},
		{"denying twice", approvalPath(denied, "deny"), ``, 409, "conflict"},
		{"unknown id", approvalPath("apr_000000000000000000000000", "approve"), ``, 404, "not_found"},
		{"unknown id, deny", approvalPath("apr_000000000000000000000000", "deny"), ``, 404, "not_found"},
		{"malformed id", approvalPath("apr_xyz", "approve"), ``, 404, "not_found"},
		{"id in capitals", approvalPath(strings.ToUpper(pending), "approve"), ``, 404, "not_found"},
		{"note too long", approvalPath(pending, "approve"), `{"note":"` + strings.Repeat("n", 1001) + `"}`, 422, "invalid"},
		{"unknown field", approvalPath(pending, "approve"), `{"forever":true}`, 422, "invalid"},
		{"malformed body", approvalPath(pending, "approve"), `{"note":`, 422, "invalid"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := s.Do("POST", c.path, s.AdminToken, []byte(c.body))
			if r.Status != c.status {
				t.Fatalf("status %d, want %d: %s", r.Status, c.status, r.Body)
			}
			checkErrorBody(t, r, c.code)
		})
	}
	for id, want := range map[string]warden.ApprovalStatus{approved: warden.ApprovalApproved, denied: warden.ApprovalDenied, pending: warden.ApprovalPending} {
		if got := getApproval(t, s, s.AdminToken, id); got.Status != want || got.Always {
			t.Errorf("%s after refused decisions: %+v, want %s", id, got, want)
		}
	}
	// Denying an approved call that has not run yet takes it back.
	mustStatus(t, s.Do("POST", approvalPath(approved, "deny"), s.AdminToken, nil), 200)
	if got := getApproval(t, s, s.AdminToken, approved); got.Status != warden.ApprovalDenied {
		t.Errorf("approved then denied: %s, want denied", got.Status)
	}
	if d, _ := decideCall(t, s, bot, "exec", cmd("a")); d.Decision != warden.Ask || d.ApprovalID == approved {
		t.Errorf("after the revocation the call got %+v, want a new ask", d)
	}
	r := s.Do("GET", approvalPath("nope", ""), s.AdminToken, nil)
	mustStatus(t, r, 404)
	mustStatus(t, s.Do("GET", approvalPath("apr_000000000000000000000000", ""), s.AdminToken, nil), 404)
}

func TestWhoMayReadAndDecideApprovals(t *testing.T) {
	s := toolServer(t)
	botA := profiledAgent(t, s, "bot-a", "drafting")
	botB := profiledAgent(t, s, "bot-b", "drafting")
	auditor := s.Human("audrey", "auditor")
	approver := s.Human("alice", "approver")
	operator := s.Human("olga", "operator")
	a := askFor(t, s, botA, "exec", cmd("a"))
	b := askFor(t, s, botB, "exec", cmd("b"))

	// Reading.
	for name, tok := range map[string]string{"admin": s.AdminToken, "auditor": auditor, "approver": approver} {
		r := s.Do("GET", "/api/v1/approvals", tok, nil)
		mustStatus(t, r, 200)
		if l := decodeJSON[apiv1.Approvals](t, r).Approvals; len(l) != 2 {
			t.Errorf("%s lists %d approvals, want both", name, len(l))
		}
		if got := getApproval(t, s, tok, a); got.Agent != "bot-a" || got.Tool != "exec" || got.Profile != "drafting" || got.Rule != "profiles.drafting.tools.ask" {
			t.Errorf("%s reads %+v", name, got)
		}
	}
	if got := getApproval(t, s, botA, a); got.ID != a {
		t.Fatalf("agent reading its own: %+v", got)
	}
	r := s.Do("GET", approvalPath(b, ""), botA, nil)
	mustStatus(t, r, 404)
	checkErrorBody(t, r, "not_found")
	r = s.Do("GET", "/api/v1/approvals?status=all", botA, nil)
	mustStatus(t, r, 200)
	if l := decodeJSON[apiv1.Approvals](t, r).Approvals; len(l) != 1 || l[0].ID != a {
		t.Fatalf("agent's list = %+v, want only its own", l)
	}
	for _, path := range []string{"/api/v1/approvals", approvalPath(a, "")} {
		r := s.Do("GET", path, operator, nil)
		mustStatus(t, r, 403)
		checkErrorBody(t, r, "forbidden")
	}

	// Deciding.
	for name, tok := range map[string]string{"the agent itself": botA, "another agent": botB, "auditor": auditor, "operator": operator} {
		for _, verb := range []string{"approve", "deny"} {
			r := s.Do("POST", approvalPath(a, verb), tok, nil)
			if r.Status != 403 {
				t.Errorf("%s %s: status %d, want 403: %s", name, verb, r.Status, r.Body)
			}
		}
	}
	if got := getApproval(t, s, s.AdminToken, a); got.Status != warden.ApprovalPending {
		t.Fatalf("refused deciders changed the approval: %+v", got)
	}
	r = s.Do("POST", approvalPath(a, "approve"), approver, nil)
	mustStatus(t, r, 200)
	if got := decodeJSON[apiv1.Approval](t, r); got.DecidedBy != "alice" || got.Status != warden.ApprovalApproved {
		t.Fatalf("approver's approval = %+v", got)
	}
	mustStatus(t, s.Do("POST", approvalPath(b, "deny"), approver, nil), 200)
}

func TestListApprovalsByStatus(t *testing.T) {
	s := toolServer(t)
	bot := profiledAgent(t, s, "bot", "drafting")
	ids := map[warden.ApprovalStatus]string{
		warden.ApprovalPending:  askFor(t, s, bot, "exec", cmd("p")),
		warden.ApprovalApproved: askFor(t, s, bot, "exec", cmd("a")),
		warden.ApprovalDenied:   askFor(t, s, bot, "exec", cmd("d")),
		warden.ApprovalUsed:     askFor(t, s, bot, "exec", cmd("u")),
	}
	mustStatus(t, s.Do("POST", approvalPath(ids[warden.ApprovalApproved], "approve"), s.AdminToken, nil), 200)
	mustStatus(t, s.Do("POST", approvalPath(ids[warden.ApprovalDenied], "deny"), s.AdminToken, nil), 200)
	mustStatus(t, s.Do("POST", approvalPath(ids[warden.ApprovalUsed], "approve"), s.AdminToken, nil), 200)
	if d, _ := decideCall(t, s, bot, "exec", cmd("u")); d.Rule != "approvals.once" {
		t.Fatalf("use: %+v", d)
	}
	list := func(query string) []apiv1.Approval {
		t.Helper()
		r := s.Do("GET", "/api/v1/approvals"+query, s.AdminToken, nil)
		mustStatus(t, r, 200)
		return decodeJSON[apiv1.Approvals](t, r).Approvals
	}
	for _, c := range []struct {
		query string
		want  []warden.ApprovalStatus
	}{
		{"", []warden.ApprovalStatus{warden.ApprovalPending}},
		{"?status=pending", []warden.ApprovalStatus{warden.ApprovalPending}},
		{"?status=approved", []warden.ApprovalStatus{warden.ApprovalApproved}},
		{"?status=denied", []warden.ApprovalStatus{warden.ApprovalDenied}},
		{"?status=used", []warden.ApprovalStatus{warden.ApprovalUsed}},
		{"?status=expired", nil},
	} {
		got := list(c.query)
		if len(got) != len(c.want) {
			t.Errorf("%q: %d approvals, want %d", c.query, len(got), len(c.want))
			continue
		}
		for i, st := range c.want {
			if got[i].Status != st || got[i].ID != ids[st] {
				t.Errorf("%q: got %s (%s), want %s (%s)", c.query, got[i].ID, got[i].Status, ids[st], st)
			}
		}
	}
	if all := list("?status=all"); len(all) != 4 {
		t.Errorf("status=all: %d approvals, want 4", len(all))
	}
	if one := list("?status=all&limit=1"); len(one) != 1 || one[0].ID != ids[warden.ApprovalUsed] {
		t.Errorf("limit=1: %+v, want the newest", one)
	}
	for _, q := range []string{"?status=bogus", "?status=Pending", "?limit=0", "?limit=-1", "?limit=abc"} {
		r := s.Do("GET", "/api/v1/approvals"+q, s.AdminToken, nil)
		if r.Status != 422 {
			t.Errorf("%s: status %d, want 422", q, r.Status)
			continue
		}
		checkErrorBody(t, r, "invalid")
	}
}

func TestLongPollReturnsWhenTheApprovalIsDecided(t *testing.T) {
	s := toolServer(t, func(c *config.Config) { c.Approvals.MaxWait = config.Duration(30 * time.Second) })
	bot := profiledAgent(t, s, "bot", "drafting")
	agent := s.Client(bot)
	a := askFor(t, s, bot, "exec", cmd("deploy"))
	type result struct {
		a   *apiv1.Approval
		err error
	}
	done := make(chan result, 1)
	start := time.Now()
	go func() {
		got, err := agent.Approval(bg, a, 10*time.Second)
		done <- result{got, err}
	}()
	time.Sleep(200 * time.Millisecond)
	if _, err := s.Admin.Approve(bg, a, "go", false); err != nil {
		t.Fatal(err)
	}
	select {
	case res := <-done:
		if res.err != nil || res.a.Status != warden.ApprovalApproved || res.a.Note != "go" {
			t.Fatalf("wait = %+v, %v; want approved", res.a, res.err)
		}
	case <-time.After(8 * time.Second):
		t.Fatal("the long-poll did not return after the approval was decided")
	}
	if d := time.Since(start); d > 8*time.Second {
		t.Fatalf("the long-poll took %v", d)
	}
	// Decided already: a wait returns at once with the decision.
	if got := getApproval(t, s, bot, a); got.Status != warden.ApprovalApproved {
		t.Fatalf("after: %+v", got)
	}
}

func TestLongPollOnAnUndecidedApprovalReturnsPending(t *testing.T) {
	s := toolServer(t, func(c *config.Config) { c.Approvals.MaxWait = config.Duration(time.Second) })
	bot := profiledAgent(t, s, "bot", "drafting")
	a := askFor(t, s, bot, "exec", cmd("deploy"))
	for _, wait := range []string{"1s", "1", "60s"} { // 60s is capped by max_wait
		start := time.Now()
		r := s.Do("GET", approvalPath(a, "")+"?wait="+wait, bot, nil)
		mustStatus(t, r, 200)
		if got := decodeJSON[apiv1.Approval](t, r); got.Status != warden.ApprovalPending {
			t.Fatalf("wait=%s: %+v, want pending", wait, got)
		}
		if d := time.Since(start); d > 8*time.Second {
			t.Fatalf("wait=%s with max_wait 1s took %v", wait, d)
		}
	}
	for _, wait := range []string{"bogus", "-1s", "-5", "10q"} {
		r := s.Do("GET", approvalPath(a, "")+"?wait="+url.QueryEscape(wait), bot, nil)
		if r.Status != 422 {
			t.Errorf("wait=%s: status %d, want 422", wait, r.Status)
			continue
		}
		checkErrorBody(t, r, "invalid")
	}
}

func TestApprovalParamsAreMaskedAndCut(t *testing.T) {
	s := toolServer(t)
	bot := profiledAgent(t, s, "bot", "drafting")
	const (
		email  = "jane.doe@acme-corp.com"
		secret = "ghp_Xq7bN2mK9vR4tY6wZ8aC1dE3fG5hJ0kL2pS4"
		awsKey = "AKIAZ4TRWQ6PLM2KX7BN"
	)
	params := map[string]any{
		"command": "export GITHUB_TOKEN=" + secret + " && mail " + email,
		"to":      email,
		"key":     awsKey,
		"body":    strings.Repeat("x", 5000),
		"log":     strings.Repeat("y", 20000),
	}
	a := askFor(t, s, bot, "exec", params)
	r := s.Do("GET", approvalPath(a, ""), s.AdminToken, nil)
	mustStatus(t, r, 200)
	if raw := string(r.Body); strings.Contains(raw, secret) || strings.Contains(raw, awsKey) {
		t.Fatalf("the approval shows credentials: %s", truncate(raw))
	}
	got := decodeJSON[apiv1.Approval](t, r).Params
	// An approver must see whom the call reaches.
	if to, _ := got["to"].(string); to != email {
		t.Errorf("to = %q, want the recipient shown to the approver", to)
	}
	for _, k := range []string{"command", "key"} {
		if v, _ := got[k].(string); !strings.Contains(v, "[REDACTED ") {
			t.Errorf("%s = %q, want the secret masked", k, v)
		}
	}
	if body, _ := got["body"].(string); body != params["body"] {
		t.Errorf("a 5000-byte param shown as %d bytes, want it whole", len(body))
	}
	if lg, _ := got["log"].(string); !strings.HasSuffix(lg, "[cut: 20000 bytes]") || len(lg) >= 20000 {
		t.Errorf("a 20000-byte param shown as %d bytes ending %q", len(lg), lg[max(0, len(lg)-40):])
	}

	// The record of the decision has the masked params, never the raw ones.
	evs := auditEvents(t, s, "action=tool.decide")
	if len(evs) != 1 {
		t.Fatalf("%d tool.decide events, want 1", len(evs))
	}
	rec, _ := json.Marshal(evs[0])
	if strings.Contains(string(rec), email) || strings.Contains(string(rec), secret) || strings.Contains(string(rec), awsKey) {
		t.Fatalf("the tool.decide event holds raw values: %s", truncate(string(rec)))
	}
	ep, _ := evs[0].Details["params"].(map[string]any)
	if ep["to"] != "[REDACTED EMAIL]" || !strings.HasSuffix(fmt.Sprint(ep["body"]), "[cut: 5000 bytes]") {
		t.Errorf("event params = %v", ep)
	}

	// The mask does not change which call the approval binds.
	mustStatus(t, s.Do("POST", approvalPath(a, "approve"), s.AdminToken, nil), 200)
	if d, _ := decideCall(t, s, bot, "exec", params); d.Decision != warden.Allow {
		t.Fatalf("the exact call after approval = %+v", d)
	}
	changed := map[string]any{"command": params["command"], "to": "john.roe@acme-corp.com", "key": awsKey, "body": params["body"], "log": params["log"]}
	if d, _ := decideCall(t, s, bot, "exec", changed); d.Decision != warden.Ask {
		t.Fatalf("a call that differs only in a masked value = %+v, want ask", d)
	}
}

func TestEachDecisionIsRecordedOnce(t *testing.T) {
	s := toolServer(t)
	bot := profiledAgent(t, s, "bot", "drafting")
	type step struct {
		name, tool string
		params     map[string]any
		extra      []string // other actions the request records
	}
	steps := []step{
		{"allow", "read", map[string]any{"path": "a"}, nil},
		{"deny", "web_fetch", map[string]any{"url": "u"}, nil},
		{"first ask", "exec", cmd("make"), []string{"approval.request"}},
		{"repeated ask", "exec", cmd("make"), nil},
	}
	check := func(st step, reqID string, d apiv1.DecideResponse) {
		t.Helper()
		evs := allEvents(t, s)[reqID]
		var actions []string
		for _, e := range evs {
			actions = append(actions, e.Action)
			if e.Action == "tool.decide" {
				if e.Decision.Effect != d.Decision || e.Decision.Rule != d.Rule || e.Target != d.Tool || e.Principal != "bot" {
					t.Errorf("%s: event %+v, want %s by %s", st.name, e, d.Decision, d.Rule)
				}
				if d.ApprovalID != "" && e.Details["approval_id"] != d.ApprovalID {
					t.Errorf("%s: event approval_id %v, want %s", st.name, e.Details["approval_id"], d.ApprovalID)
				}
			}
		}
		want := append([]string{"tool.decide"}, st.extra...)
		if fmt.Sprint(sortedCopy(actions)) != fmt.Sprint(sortedCopy(want)) {
			t.Errorf("%s: request recorded %v, want %v", st.name, actions, want)
		}
	}
	var approvalID string
	for _, st := range steps {
		d, id := decideCall(t, s, bot, st.tool, st.params)
		check(st, id, d)
		approvalID = d.ApprovalID
	}
	r := s.Do("POST", approvalPath(approvalID, "approve"), s.AdminToken, []byte(`{"note":"n"}`))
	mustStatus(t, r, 200)
	evs := allEvents(t, s)[r.Header.Get("X-Request-Id")]
	if len(evs) != 1 || evs[0].Action != "approval.approve" || evs[0].Target != approvalID || evs[0].Decision.Effect != warden.Allow ||
		evs[0].Details["agent"] != "bot" || evs[0].Details["tool"] != "exec" {
		t.Fatalf("approve recorded %+v", evs)
	}
	d, id := decideCall(t, s, bot, "exec", cmd("make"))
	check(step{name: "approved once"}, id, d)
	if d.Rule != "approvals.once" {
		t.Fatalf("after approval: %+v", d)
	}
	r = s.Do("POST", approvalPath(askFor(t, s, bot, "exec", cmd("x")), "deny"), s.AdminToken, nil)
	mustStatus(t, r, 200)
	if evs := allEvents(t, s)[r.Header.Get("X-Request-Id")]; len(evs) != 1 || evs[0].Action != "approval.deny" {
		t.Fatalf("deny recorded %+v", evs)
	}
	if n := len(auditEvents(t, s, "action=tool.decide")); n != 6 {
		t.Fatalf("%d tool.decide events for 6 decisions", n)
	}
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

func TestPluginRegistration(t *testing.T) {
	s := toolServer(t)
	bot := profiledAgent(t, s, "bot", "drafting")
	r := s.Do("POST", "/api/v1/plugins/register", bot, []byte(`{"plugin":"warden-openclaw","version":"0.1.0","openclaw_version":"2026.9.6"}`))
	mustStatus(t, r, 200)
	if got := decodeJSON[apiv1.PluginRegistered](t, r); got.TTLSeconds != 300 {
		t.Fatalf("registered = %+v, want ttl_seconds 300", got)
	}
	evs := auditEvents(t, s, "action=plugin.register")
	if len(evs) != 1 || evs[0].Principal != "bot" || evs[0].Target != "warden-openclaw" || evs[0].Decision.Effect != warden.Allow {
		t.Fatalf("plugin.register events = %+v", evs)
	}
	cases := []struct {
		name, token, body string
		status            int
		code              string
	}{
		{"human token", s.AdminToken, `{"plugin":"warden-openclaw"}`, 403, "forbidden"},
		{"empty plugin", bot, `{"plugin":""}`, 422, "invalid"},
		{"no plugin", bot, `{"version":"1"}`, 422, "invalid"},
		{"version too long", bot, `{"plugin":"p","version":"` + strings.Repeat("1", 129) + `"}`, 422, "invalid"},
		{"unknown field", bot, `{"plugin":"p","token":"x"}`, 422, "invalid"},
		{"no token", "", `{"plugin":"p"}`, 401, "unauthenticated"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := s.Do("POST", "/api/v1/plugins/register", c.token, []byte(c.body))
			if r.Status != c.status {
				t.Fatalf("status %d, want %d: %s", r.Status, c.status, r.Body)
			}
			checkErrorBody(t, r, c.code)
		})
	}
	reg, err := s.Client(bot).RegisterPlugin(bg, apiv1.PluginRegistration{Plugin: "warden-openclaw"})
	if err != nil || reg.TTLSeconds != 300 {
		t.Fatalf("client renewal = %+v, %v", reg, err)
	}
	if evs := auditEvents(t, s, "action=plugin.register&decision=allow"); len(evs) != 2 || evs[1].Details["renewal"] != true {
		t.Fatalf("renewal recorded as %+v", evs)
	}
}

func TestToolResultIsRecordedWithoutContent(t *testing.T) {
	s := toolServer(t)
	bot := profiledAgent(t, s, "bot", "drafting")
	sha := strings.Repeat("AB12", 16)
	body := `{"tool":"Exec","tool_call_id":"call_1","run_id":"run_1","session":"s1","duration_ms":1500,"result_bytes":4096,"result_sha256":"` + sha +
		`","error":"exit 1: mail to jane.doe@acme-corp.com failed"}`
	r := s.Do("POST", "/api/v1/tools/result", bot, []byte(body))
	mustStatus(t, r, 204)
	if len(r.Body) != 0 {
		t.Fatalf("204 with a body: %q", r.Body)
	}
	evs := auditEvents(t, s, "action=tool.result")
	if len(evs) != 1 {
		t.Fatalf("%d tool.result events, want 1", len(evs))
	}
	e := evs[0]
	if e.Principal != "bot" || e.Target != "exec" || e.Decision.Effect != warden.Allow || e.Error != "tool_error" {
		t.Fatalf("event %+v", e)
	}
	if e.Details["result_sha256"] != strings.ToLower(sha) || e.Details["result_bytes"] != float64(4096) || e.Details["duration_ms"] != float64(1500) ||
		e.Details["tool_call_id"] != "call_1" || e.Details["run_id"] != "run_1" {
		t.Fatalf("details %v", e.Details)
	}
	if msg, _ := e.Details["error"].(string); strings.Contains(msg, "jane.doe") || !strings.Contains(msg, "[REDACTED EMAIL]") {
		t.Fatalf("error recorded as %q, want the e-mail masked", msg)
	}
	for k := range e.Details {
		switch k {
		case "result_sha256", "result_bytes", "duration_ms", "tool_call_id", "run_id", "session", "error":
		default:
			t.Errorf("unexpected detail %q = %v", k, e.Details[k])
		}
	}
	if err := s.Client(bot).ToolResult(bg, apiv1.ToolResult{Tool: "read"}); err != nil {
		t.Fatalf("minimal result: %v", err)
	}

	cases := []struct {
		name, token, body string
		status            int
		code              string
	}{
		{"sha too short", bot, `{"tool":"exec","result_sha256":"abc"}`, 422, "invalid"},
		{"sha not hex", bot, `{"tool":"exec","result_sha256":"` + strings.Repeat("zz", 32) + `"}`, 422, "invalid"},
		{"sha with a non-hex middle", bot, `{"tool":"exec","result_sha256":"` + strings.Repeat("a", 31) + "g" + strings.Repeat("a", 32) + `"}`, 422, "invalid"},
		{"negative duration", bot, `{"tool":"exec","duration_ms":-1}`, 422, "invalid"},
		{"negative size", bot, `{"tool":"exec","result_bytes":-1}`, 422, "invalid"},
		{"no tool", bot, `{"duration_ms":1}`, 422, "invalid"},
		{"the result itself", bot, `{"tool":"exec","result":"the whole output"}`, 422, "invalid"},
		{"error too long", bot, `{"tool":"exec","error":"` + strings.Repeat("e", 4097) + `"}`, 422, "invalid"},
		{"human token", s.AdminToken, `{"tool":"exec"}`, 403, "forbidden"},
		{"no token", "", `{"tool":"exec"}`, 401, "unauthenticated"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := s.Do("POST", "/api/v1/tools/result", c.token, []byte(c.body))
			if r.Status != c.status {
				t.Fatalf("status %d, want %d: %s", r.Status, c.status, r.Body)
			}
			checkErrorBody(t, r, c.code)
		})
	}
	if n := len(auditEvents(t, s, "action=tool.result&decision=allow")); n != 2 {
		t.Fatalf("%d allowed tool.result events, want the 2 accepted", n)
	}
}

// The client's errors carry the API's codes for the tool plane too.
func TestToolClientErrors(t *testing.T) {
	s := toolServer(t)
	bot := s.Client(profiledAgent(t, s, "bot", "drafting"))
	if _, err := bot.Decide(bg, apiv1.DecideRequest{Tool: ""}); client.Code(err) != "invalid" {
		t.Fatalf("empty tool: %v", err)
	}
	if _, err := s.Admin.Decide(bg, apiv1.DecideRequest{Tool: "read"}); client.Code(err) != "forbidden" {
		t.Fatalf("admin decide: %v", err)
	}
	if _, err := bot.Approve(bg, "apr_000000000000000000000000", "", false); client.Code(err) != "forbidden" {
		t.Fatalf("agent approve: %v", err)
	}
	if _, err := s.Admin.Approval(bg, "apr_000000000000000000000000", time.Second); client.Code(err) != "not_found" {
		t.Fatalf("unknown approval: %v", err)
	}
	if _, err := s.Admin.Approvals(bg, "bogus", 0); client.Code(err) != "invalid" {
		t.Fatalf("bogus status: %v", err)
	}
}

// A new approval reaches approvals.notify_url once, after it is on the
// record; asking again for the same call does not notify again.
func TestNewApprovalsAreNotified(t *testing.T) {
	got := make(chan map[string]any, 4)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		json.NewDecoder(r.Body).Decode(&m)
		got <- m
	}))
	defer hook.Close()
	s := toolServer(t, func(c *config.Config) {
		c.Approvals.NotifyURL = hook.URL
		c.Approvals.ConsoleURL = "https://warden.example.com"
	})
	bot := profiledAgent(t, s, "bot", "drafting")
	id := askFor(t, s, bot, "exec", cmd("make deploy"))
	askFor(t, s, bot, "exec", cmd("make deploy"))
	select {
	case m := <-got:
		if m["approval_id"] != id || m["agent"] != "bot" || m["tool"] != "exec" || m["url"] != "https://warden.example.com/console/approvals#"+id {
			t.Fatalf("notification %v, want approval %s", m, id)
		}
		if _, ok := m["params"]; ok {
			t.Errorf("the notification carries the parameters: %v", m)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no notification")
	}
	select {
	case m := <-got:
		t.Fatalf("a second notification for the same pending approval: %v", m)
	case <-time.After(300 * time.Millisecond):
	}
}
