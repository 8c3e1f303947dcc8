package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/toolcall"
	"github.com/wardenhq/warden/web"
)

// Tokens the fake identity service knows.
const (
	adminToken    = "tok-admin"
	approverToken = "tok-approver"
	auditorToken  = "tok-auditor"
	operatorToken = "tok-operator"
	agentToken    = "tok-agent"
)

// fakeIDs authenticates from a table; tokens can be revoked and principals
// locked during a test.
type fakeIDs struct {
	mu      sync.Mutex
	by      map[string]*warden.Principal
	revoked map[string]bool
	locked  map[string]bool
}

func newFakeIDs() *fakeIDs {
	return &fakeIDs{by: map[string]*warden.Principal{
		adminToken:    {ID: 1, Name: "admin", Kind: warden.KindHuman, Role: warden.HumanAdmin},
		approverToken: {ID: 2, Name: "alice", Kind: warden.KindHuman, Role: warden.HumanApprover},
		auditorToken:  {ID: 3, Name: "aud", Kind: warden.KindHuman, Role: warden.HumanAuditor},
		operatorToken: {ID: 4, Name: "op", Kind: warden.KindHuman, Role: warden.HumanOperator},
		agentToken:    {ID: 5, Name: "bot", Kind: warden.KindAgent, Profile: "drafting"},
	}, revoked: map[string]bool{}, locked: map[string]bool{}}
}

func (f *fakeIDs) Authenticate(_ context.Context, tok string) (*warden.Principal, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.by[tok]
	switch {
	case tok == "":
		return nil, warden.Errorf(warden.EUNAUTHORIZED, "missing bearer token")
	case p == nil:
		return nil, warden.Errorf(warden.EUNAUTHORIZED, "unknown token")
	case f.revoked[tok]:
		return nil, warden.Errorf(warden.EUNAUTHORIZED, "token revoked")
	case f.locked[tok]:
		return nil, warden.Errorf(warden.ELOCKED, "human %s is locked; an admin must unlock it", p.Name)
	}
	cp := *p
	return &cp, nil
}

// fakeTools keeps approvals in memory and records decisions, refusing them
// to anyone but admins and approvers as the real service does.
type fakeTools struct {
	mu        sync.Mutex
	approvals []*toolcall.Approval
	calls     []string // "approve apr_x by alice note=... always=true"
}

const aprID = "apr_0123456789abcdef01234567"

func newFakeTools(now time.Time) *fakeTools {
	return &fakeTools{approvals: []*toolcall.Approval{{
		ID: aprID, Agent: "bot", Profile: "drafting", Tool: "message",
		Params: map[string]any{"to": "bob", "text": "<b>hi</b>", "api_key": "[SECRET]"},
		Rule:   "profile.drafting.ask", Reason: "a human approves every send", Status: warden.ApprovalPending,
		CreatedAt: now.Add(-time.Minute), ExpiresAt: now.Add(9 * time.Minute),
	}}}
}

func (f *fakeTools) List(_ context.Context, p *warden.Principal, status warden.ApprovalStatus, _ int) ([]*toolcall.Approval, error) {
	if p.Kind != warden.KindHuman || p.Role == warden.HumanOperator {
		return nil, warden.Errorf(warden.EFORBIDDEN, "only admins, approvers and auditors see approvals")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*toolcall.Approval
	for _, a := range f.approvals {
		if status == "" || a.Status == status {
			out = append(out, a)
		}
	}
	return out, nil
}

func (f *fakeTools) decide(p *warden.Principal, verb, id, note string, always bool) (*toolcall.Approval, error) {
	if p.Role != warden.HumanAdmin && p.Role != warden.HumanApprover {
		return nil, warden.Errorf(warden.EFORBIDDEN, "only admins and approvers decide approvals")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, a := range f.approvals {
		if a.ID != id {
			continue
		}
		if a.Status != warden.ApprovalPending {
			return nil, warden.Errorf(warden.ECONFLICT, "approval %s is %s, not pending", id, a.Status)
		}
		f.calls = append(f.calls, verb+" "+id+" by "+p.Name+" note="+note+" always="+map[bool]string{true: "true", false: "false"}[always])
		a.Status = map[string]warden.ApprovalStatus{"approve": warden.ApprovalApproved, "deny": warden.ApprovalDenied}[verb]
		a.DecidedBy, a.Note, a.Always, a.DecidedAt = p.Name, note, always, time.Now()
		return a, nil
	}
	return nil, warden.Errorf(warden.ENOTFOUND, "no such approval")
}

func (f *fakeTools) Approve(_ context.Context, p *warden.Principal, id, note string, always bool) (*toolcall.Approval, error) {
	return f.decide(p, "approve", id, note, always)
}

func (f *fakeTools) Deny(_ context.Context, p *warden.Principal, id, note string) (*toolcall.Approval, error) {
	return f.decide(p, "deny", id, note, false)
}

func (f *fakeTools) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// console is a console under test with fakes behind it.
type console struct {
	t     *testing.T
	srv   *httptest.Server
	ids   *fakeIDs
	tools *fakeTools
	clock *clock
}

func newConsole(t *testing.T, opts ...func(*web.Options)) *console {
	t.Helper()
	c := &console{t: t, ids: newFakeIDs(), clock: &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}}
	c.tools = newFakeTools(c.clock.Now())
	o := web.Options{Identity: c.ids, Tools: c.tools, Now: c.clock.Now}
	for _, f := range opts {
		f(&o)
	}
	c.srv = httptest.NewServer(web.New(o))
	t.Cleanup(c.srv.Close)
	return c
}

// browser is a cookie-keeping client that does not follow redirects and
// sends Origin on POSTs like a browser does.
type browser struct {
	t      *testing.T
	base   string
	client *http.Client
	origin string
}

func newBrowser(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, origin: base, client: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (c *console) browser() *browser { return newBrowser(c.t, c.srv.URL) }

type answer struct {
	status int
	header http.Header
	body   string
}

func (b *browser) get(path string) answer {
	b.t.Helper()
	return b.do("GET", path, nil)
}

func (b *browser) post(path string, form url.Values) answer {
	b.t.Helper()
	return b.do("POST", path, form)
}

func (b *browser) do(method, path string, form url.Values) answer {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.base+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if method == "POST" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if b.origin != "" {
			req.Header.Set("Origin", b.origin)
		}
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, header: resp.Header, body: string(raw)}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, a answer) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(a.body)
	if m == nil {
		t.Fatalf("no csrf field in page (status %d):\n%s", a.status, a.body)
	}
	return m[1]
}

// login signs in with tok and returns the answer to the POST.
func (b *browser) login(tok string) answer {
	b.t.Helper()
	page := b.get("/console/login")
	if page.status != 200 {
		b.t.Fatalf("GET /console/login: %d", page.status)
	}
	return b.post("/console/login", url.Values{"csrf": {csrfOf(b.t, page)}, "token": {tok}})
}

// signIn signs in and returns the approvals page.
func (b *browser) signIn(tok string) answer {
	b.t.Helper()
	a := b.login(tok)
	if a.status != http.StatusSeeOther || a.header.Get("Location") != "/console/" {
		b.t.Fatalf("sign in: %d %s\n%s", a.status, a.header.Get("Location"), a.body)
	}
	list := b.get("/console/approvals")
	if list.status != 200 {
		b.t.Fatalf("approvals after sign-in: %d\n%s", list.status, list.body)
	}
	return list
}

func wantLogin(t *testing.T, a answer, why string) {
	t.Helper()
	want := "/console/login"
	if why != "" {
		want += "?why=" + why
	}
	if a.status != http.StatusSeeOther || a.header.Get("Location") != want {
		t.Fatalf("want 303 to %s, got %d %q", want, a.status, a.header.Get("Location"))
	}
}

func TestLoginRefusesBadToken(t *testing.T) {
	c := newConsole(t)
	b := c.browser()
	a := b.login("wdn_not-a-real-token")
	if a.status != http.StatusUnauthorized || !strings.Contains(a.body, "that token is not valid") {
		t.Fatalf("bad token: %d\n%s", a.status, a.body)
	}
	if cookie(b, web.SessionCookie) != "" {
		t.Fatal("a failed sign-in set a session cookie")
	}
	wantLogin(t, b.get("/console/approvals"), "")
}

func TestLoginRefusesAgentToken(t *testing.T) {
	c := newConsole(t)
	b := c.browser()
	a := b.login(agentToken)
	if a.status != http.StatusForbidden || !strings.Contains(a.body, "That is an agent&#39;s token") {
		t.Fatalf("agent token: %d\n%s", a.status, a.body)
	}
	if cookie(b, web.SessionCookie) != "" {
		t.Fatal("an agent got a session cookie")
	}
}

func TestLoginRefusesLockedHuman(t *testing.T) {
	c := newConsole(t)
	c.ids.locked[approverToken] = true
	a := c.browser().login(approverToken)
	if a.status != http.StatusLocked || !strings.Contains(a.body, "is locked") {
		t.Fatalf("locked human: %d\n%s", a.status, a.body)
	}
}

func TestLoginWithHumanTokenShowsPendingApprovals(t *testing.T) {
	c := newConsole(t)
	b := c.browser()
	a := b.login(approverToken)
	if a.status != http.StatusSeeOther || a.header.Get("Location") != "/console/" {
		t.Fatalf("sign in: %d %q", a.status, a.header.Get("Location"))
	}
	var sc *http.Cookie
	for _, ck := range (&http.Response{Header: a.header}).Cookies() {
		if ck.Name == web.SessionCookie {
			sc = ck
		}
	}
	if sc == nil || !sc.HttpOnly || sc.SameSite != http.SameSiteStrictMode || sc.Path != "/console" || sc.Secure || len(sc.Value) != 43 {
		t.Fatalf("session cookie: %+v", sc)
	}
	list := b.get("/console/approvals")
	for _, want := range []string{
		`id="approval-` + aprID + `"`, "bot", "message", "profile.drafting.ask", "a human approves every send",
		"&#34;api_key&#34;: &#34;[SECRET]&#34;", "&lt;b&gt;hi&lt;/b&gt;", // params as escaped, pretty JSON
		"2026-03-01 11:59:00 UTC", "(in 9m0s)", `id="approve-` + aprID + `"`, `id="deny-` + aprID + `"`, `name="always"`,
		"Signed in as <strong>alice</strong>",
	} {
		if !strings.Contains(list.body, want) {
			t.Errorf("approvals page lacks %q", want)
		}
	}
	if strings.Contains(list.body, "<b>hi</b>") {
		t.Error("parameters were not escaped")
	}
	if t.Failed() {
		t.Log(list.body)
	}
}

func TestAuditorSeesApprovalsWithoutButtons(t *testing.T) {
	c := newConsole(t)
	b := c.browser()
	list := b.signIn(auditorToken)
	if !strings.Contains(list.body, `id="approval-`+aprID+`"`) || strings.Contains(list.body, `id="approve-`) {
		t.Fatalf("auditor's page:\n%s", list.body)
	}
	// Posting anyway reaches the service, which refuses: a friendly 403.
	a := b.post("/console/approvals/"+aprID+"/approve", url.Values{"csrf": {csrfOf(t, list)}})
	if a.status != http.StatusForbidden || !strings.Contains(a.body, "only admins and approvers decide approvals") ||
		!strings.Contains(a.body, "<code>forbidden</code>") {
		t.Fatalf("auditor approve: %d\n%s", a.status, a.body)
	}
	if calls := c.tools.Calls(); len(calls) != 0 {
		t.Fatalf("calls: %v", calls)
	}
}

func TestOperatorGetsErrorPage(t *testing.T) {
	c := newConsole(t)
	b := c.browser()
	if a := b.login(operatorToken); a.status != http.StatusSeeOther {
		t.Fatalf("operator sign in: %d", a.status)
	}
	a := b.get("/console/approvals")
	if a.status != http.StatusForbidden || !strings.Contains(a.body, "only admins, approvers and auditors see approvals") {
		t.Fatalf("operator: %d\n%s", a.status, a.body)
	}
}

func TestApproveFormCallsService(t *testing.T) {
	c := newConsole(t)
	b := c.browser()
	list := b.signIn(approverToken)
	a := b.post("/console/approvals/"+aprID+"/approve", url.Values{"csrf": {csrfOf(t, list)}, "note": {" looks fine "}, "always": {"on"}})
	if a.status != http.StatusSeeOther || a.header.Get("Location") != "/console/approvals?done=approved%3A"+aprID {
		t.Fatalf("approve: %d %q\n%s", a.status, a.header.Get("Location"), a.body)
	}
	want := "approve " + aprID + " by alice note=looks fine always=true"
	if calls := c.tools.Calls(); len(calls) != 1 || calls[0] != want {
		t.Fatalf("calls: %q, want %q", calls, want)
	}
	after := b.get(a.header.Get("Location"))
	if !strings.Contains(after.body, "Approved "+aprID+".") || strings.Contains(after.body, `id="approval-`+aprID) {
		t.Fatalf("after approve:\n%s", after.body)
	}
	// History shows it, decided.
	all := b.get("/console/approvals?status=all")
	if !strings.Contains(all.body, `id="approval-`+aprID+`"`) || !strings.Contains(all.body, "(allow always)") {
		t.Fatalf("history:\n%s", all.body)
	}
	// Deciding again is a conflict, shown as such.
	again := b.post("/console/approvals/"+aprID+"/deny", url.Values{"csrf": {csrfOf(t, list)}})
	if again.status != http.StatusConflict || !strings.Contains(again.body, "not pending") {
		t.Fatalf("second decision: %d\n%s", again.status, again.body)
	}
}

func TestDenyFormCallsService(t *testing.T) {
	c := newConsole(t)
	b := c.browser()
	list := b.signIn(adminToken)
	a := b.post("/console/approvals/"+aprID+"/deny", url.Values{"csrf": {csrfOf(t, list)}, "note": {"no"}, "filter": {"all"}})
	if a.status != http.StatusSeeOther || a.header.Get("Location") != "/console/approvals?done=denied%3A"+aprID+"&status=all" {
		t.Fatalf("deny: %d %q", a.status, a.header.Get("Location"))
	}
	if calls := c.tools.Calls(); len(calls) != 1 || calls[0] != "deny "+aprID+" by admin note=no always=false" {
		t.Fatalf("calls: %q", calls)
	}
}

func TestFlashIsEscaped(t *testing.T) {
	c := newConsole(t)
	b := c.browser()
	b.signIn(approverToken)
	a := b.get("/console/approvals?done=" + url.QueryEscape("approved:<script>x</script>"))
	if strings.Contains(a.body, "<script>") || !strings.Contains(a.body, "Approved &lt;script&gt;x&lt;/script&gt;.") {
		t.Fatalf("flash:\n%s", a.body)
	}
	if a := b.get("/console/approvals?done=pwned:x"); strings.Contains(a.body, `id="flash"`) {
		t.Fatal("an unknown flash verb was shown")
	}
}

func TestCSRFMissingTokenIs403(t *testing.T) {
	c := newConsole(t)
	b := c.browser()
	b.signIn(approverToken)
	a := b.post("/console/approvals/"+aprID+"/approve", url.Values{"note": {"x"}})
	if a.status != http.StatusForbidden || !strings.Contains(a.body, "security token") {
		t.Fatalf("missing token: %d\n%s", a.status, a.body)
	}
	if calls := c.tools.Calls(); len(calls) != 0 {
		t.Fatalf("service called without a CSRF token: %v", calls)
	}
}

func TestCSRFWrongTokenIs403(t *testing.T) {
	c := newConsole(t)
	b := c.browser()
	list := b.signIn(approverToken)
	// Another session's token does not do either.
	other := c.browser().signIn(adminToken)
	for _, tok := range []string{"wrong", csrfOf(t, other), csrfOf(t, list) + "x"} {
		a := b.post("/console/approvals/"+aprID+"/approve", url.Values{"csrf": {tok}})
		if a.status != http.StatusForbidden {
			t.Fatalf("token %q: %d", tok, a.status)
		}
	}
	// The token in the query string is not read.
	a := b.post("/console/approvals/"+aprID+"/approve?csrf="+url.QueryEscape(csrfOf(t, list)), url.Values{})
	if a.status != http.StatusForbidden {
		t.Fatalf("token in query: %d", a.status)
	}
	if calls := c.tools.Calls(); len(calls) != 0 {
		t.Fatalf("service called: %v", calls)
	}
}

func TestCrossOriginPostIs403(t *testing.T) {
	c := newConsole(t)
	b := c.browser()
	list := b.signIn(approverToken)
	tok := csrfOf(t, list)
	for _, origin := range []string{"https://evil.example", "null", "http://" + strings.TrimPrefix(c.srv.URL, "http://") + ".evil.example"} {
		b.origin = origin
		a := b.post("/console/approvals/"+aprID+"/approve", url.Values{"csrf": {tok}})
		if a.status != http.StatusForbidden || !strings.Contains(a.body, "posted from another site") {
			t.Fatalf("origin %s: %d\n%s", origin, a.status, a.body)
		}
	}
	// With no Origin, a foreign Referer is refused too.
	b.origin = ""
	req, _ := http.NewRequest("POST", c.srv.URL+"/console/approvals/"+aprID+"/approve", strings.NewReader(url.Values{"csrf": {tok}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Referer", "https://evil.example/page")
	resp, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("foreign referer: %d", resp.StatusCode)
	}
	if calls := c.tools.Calls(); len(calls) != 0 {
		t.Fatalf("service called: %v", calls)
	}
	// The same token from the console's own origin works.
	b.origin = c.srv.URL
	if a := b.post("/console/approvals/"+aprID+"/approve", url.Values{"csrf": {tok}}); a.status != http.StatusSeeOther {
		t.Fatalf("same origin: %d\n%s", a.status, a.body)
	}
}

func TestLoginNeedsItsCSRFCookie(t *testing.T) {
	c := newConsole(t)
	b := c.browser()
	page := b.get("/console/login")
	tok := csrfOf(t, page)
	if cookie(b, web.LoginCookie) != tok {
		t.Fatal("the login form's token is not its cookie's value")
	}
	// A fresh browser (no cookie) posting a token it saw elsewhere.
	a := c.browser().post("/console/login", url.Values{"csrf": {tok}, "token": {approverToken}})
	if a.status != http.StatusForbidden {
		t.Fatalf("login without its cookie: %d", a.status)
	}
	// The right cookie with a wrong field.
	if a := b.post("/console/login", url.Values{"csrf": {"nope"}, "token": {approverToken}}); a.status != http.StatusForbidden {
		t.Fatalf("login with a wrong token field: %d", a.status)
	}
	// Cross-origin sign-in.
	b.origin = "https://evil.example"
	if a := b.post("/console/login", url.Values{"csrf": {tok}, "token": {approverToken}}); a.status != http.StatusForbidden {
		t.Fatalf("cross-origin login: %d", a.status)
	}
	if cookie(b, web.SessionCookie) != "" {
		t.Fatal("a refused login set a session")
	}
}

func TestSessionIdleExpiry(t *testing.T) {
	c := newConsole(t)
	b := c.browser()
	b.signIn(approverToken)
	c.clock.Add(29 * time.Minute)
	if a := b.get("/console/approvals"); a.status != 200 {
		t.Fatalf("after 29 idle minutes: %d", a.status)
	}
	c.clock.Add(30 * time.Minute)
	wantLogin(t, b.get("/console/approvals"), "expired")
	if a := b.get("/console/login?why=expired"); !strings.Contains(a.body, "Your session has ended") {
		t.Fatalf("login page after expiry:\n%s", a.body)
	}
}

func TestSessionEndsAfterEightHoursEvenWhenActive(t *testing.T) {
	c := newConsole(t)
	b := c.browser()
	b.signIn(approverToken)
	for range 7*3 + 2 { // 23 × 20 min = 7h40m
		c.clock.Add(20 * time.Minute)
		if a := b.get("/console/approvals"); a.status != 200 {
			t.Fatalf("active session ended early at %s: %d", c.clock.Now(), a.status)
		}
	}
	c.clock.Add(20 * time.Minute) // 8h
	wantLogin(t, b.get("/console/approvals"), "expired")
}

func TestLogoutEndsSession(t *testing.T) {
	c := newConsole(t)
	b := c.browser()
	list := b.signIn(approverToken)
	old := cookie(b, web.SessionCookie)
	a := b.post("/console/logout", url.Values{"csrf": {csrfOf(t, list)}})
	wantLogin(t, a, "signedout")
	if cookie(b, web.SessionCookie) != "" {
		t.Fatal("logout left the session cookie")
	}
	// The old cookie, replayed, is dead on the server too.
	replay := c.browser()
	u, _ := url.Parse(c.srv.URL + "/console/")
	replay.client.Jar.SetCookies(u, []*http.Cookie{{Name: web.SessionCookie, Value: old, Path: "/console"}})
	wantLogin(t, replay.get("/console/approvals"), "expired")
}

func TestLogoutNeedsCSRF(t *testing.T) {
	c := newConsole(t)
	b := c.browser()
	b.signIn(approverToken)
	if a := b.post("/console/logout", url.Values{}); a.status != http.StatusForbidden {
		t.Fatalf("logout without token: %d", a.status)
	}
	if a := b.get("/console/approvals"); a.status != 200 {
		t.Fatalf("session gone after a refused logout: %d", a.status)
	}
}

func TestRevokeAndLockEndSessionAtOnce(t *testing.T) {
	c := newConsole(t)
	b := c.browser()
	b.signIn(approverToken)
	c.ids.mu.Lock()
	c.ids.locked[approverToken] = true
	c.ids.mu.Unlock()
	wantLogin(t, b.get("/console/approvals"), "locked")
	// The session is gone: unlocking does not bring it back.
	c.ids.mu.Lock()
	c.ids.locked[approverToken] = false
	c.ids.mu.Unlock()
	wantLogin(t, b.get("/console/approvals"), "")

	list := b.signIn(adminToken)
	c.ids.mu.Lock()
	c.ids.revoked[adminToken] = true
	c.ids.mu.Unlock()
	wantLogin(t, b.post("/console/approvals/"+aprID+"/approve", url.Values{"csrf": {csrfOf(t, list)}}), "revoked")
	if calls := c.tools.Calls(); len(calls) != 0 {
		t.Fatalf("a revoked token's session decided: %v", calls)
	}
}

func TestSessionsAreBounded(t *testing.T) {
	c := newConsole(t, func(o *web.Options) { o.MaxSessions = 2 })
	first, second, third := c.browser(), c.browser(), c.browser()
	first.signIn(approverToken)
	c.clock.Add(time.Second)
	second.signIn(approverToken)
	c.clock.Add(time.Second)
	first.get("/console/approvals") // now second is the least recently used
	c.clock.Add(time.Second)
	third.signIn(adminToken)
	wantLogin(t, second.get("/console/approvals"), "expired")
	for _, b := range []*browser{first, third} {
		if a := b.get("/console/approvals"); a.status != 200 {
			t.Fatalf("a recent session was evicted: %d", a.status)
		}
	}
}

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	c := newConsole(t)
	b := c.browser()
	list := b.signIn(approverToken)
	answers := map[string]answer{
		"login":     b.get("/console/login"),
		"approvals": list,
		"css":       b.get("/console/static/console.css"),
		"icon":      b.get("/console/static/favicon.svg"),
		"not found": b.get("/console/nope"),
		"root":      b.get("/console/"),
		"csrf 403":  b.post("/console/logout", url.Values{}),
	}
	for name, a := range answers {
		h := a.header
		csp := web.CSP
		if name == "approvals" {
			csp = web.LiveCSP // the live pages load the console's own script
		}
		if h.Get("Content-Security-Policy") != csp || h.Get("X-Frame-Options") != "DENY" || h.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: headers %v", name, h)
		}
	}
	if !strings.Contains(web.CSP, "default-src 'none'") || strings.Contains(web.CSP, "script-src") {
		t.Errorf("CSP: %s", web.CSP)
	}
	if !strings.HasPrefix(web.LiveCSP, web.CSP+";") || !strings.Contains(web.LiveCSP, "script-src 'self'") ||
		strings.Contains(web.LiveCSP, "unsafe") {
		t.Errorf("LiveCSP: %s", web.LiveCSP)
	}
	if a := answers["root"]; a.status != http.StatusOK || !strings.Contains(a.body, "<h1>Overview</h1>") {
		t.Errorf("/console/: %d\n%s", a.status, a.body)
	}
	if a := answers["css"]; a.status != 200 || !strings.HasPrefix(a.header.Get("Content-Type"), "text/css") {
		t.Errorf("css: %d %s", a.status, a.header.Get("Content-Type"))
	}
	if a := answers["not found"]; a.status != 404 {
		t.Errorf("unknown page: %d", a.status)
	}
	// No inline script or style anywhere (the CSP would block them): the
	// only script is the live pages' own file.
	const liveScript = `<script src="/console/static/live.js" defer></script>`
	if !strings.Contains(list.body, liveScript) {
		t.Errorf("the approvals page does not load live.js:\n%s", list.body)
	}
	for _, a := range []answer{answers["login"], list, answers["root"]} {
		body := strings.ReplaceAll(a.body, liveScript, "")
		for _, bad := range []string{"<script", "style="} {
			if strings.Contains(strings.ToLower(body), bad) {
				t.Errorf("page contains %q", bad)
			}
		}
		if regexp.MustCompile(`\son[a-z]+=`).MatchString(a.body) {
			t.Error("page has an inline event handler")
		}
	}
}

func cookie(b *browser, name string) string {
	u, _ := url.Parse(b.base + "/console/")
	for _, ck := range b.client.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}
