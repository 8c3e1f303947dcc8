package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/client"
	"github.com/wardenhq/warden/wardentest"
)

// roles signs a browser in as each console role (and one stays signed out).
func roles(t *testing.T, srv *wardentest.Server) map[string]*browser {
	t.Helper()
	bs := map[string]*browser{"signed out": newBrowser(t, srv.URL)}
	for role, tok := range map[string]string{
		"admin":    srv.AdminToken,
		"approver": srv.Human("appy", "approver"),
		"auditor":  srv.Human("audrey", "auditor"),
		"operator": srv.Human("opal", "operator"),
	} {
		b := newBrowser(t, srv.URL)
		if a := b.login(tok); a.status != http.StatusSeeOther {
			t.Fatalf("%s sign-in: %d\n%s", role, a.status, a.body)
		}
		bs[role] = b
	}
	return bs
}

// The pages answer each role as the services do: admins and auditors see
// everything, approvers the approvals (and a 403 from the agents and audit
// pages), operators 403 everywhere, and who is signed out the sign-in page.
func TestPagesAnswerEachRole(t *testing.T) {
	srv := wardentest.Start(t)
	srv.Agent("bot")
	bs := roles(t, srv)
	want := map[string]map[string]int{
		"/console/":       {"admin": 200, "approver": 200, "auditor": 200, "operator": 403},
		"/console/agents": {"admin": 200, "approver": 403, "auditor": 200, "operator": 403},
		"/console/audit":  {"admin": 200, "approver": 403, "auditor": 200, "operator": 403},
	}
	for path, byRole := range want {
		for role, status := range byRole {
			if a := bs[role].get(path); a.status != status {
				t.Errorf("%s as %s: %d, want %d\n%s", path, role, a.status, status, a.body)
			}
		}
		wantLogin(t, bs["signed out"].get(path), "")
	}
	// The approver's overview shows what it may see and says what it may not.
	a := bs["approver"].get("/console/")
	for _, s := range []string{`id="pending-count">0<`, "Admins and auditors see agents.", "Admins and auditors see alerts."} {
		if !strings.Contains(a.body, s) {
			t.Errorf("approver's overview lacks %q:\n%s", s, a.body)
		}
	}
	if strings.Contains(a.body, "Recent denials") {
		t.Error("the approver's overview shows audit denials")
	}
	// ... and asked no service for what it may not see: no refusals on the record.
	refused, err := srv.Admin.Audit(context.Background(), client.AuditQuery{Principal: "appy", Decision: "deny"})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range refused.Events {
		if e.Action != "agent.list" && e.Action != "audit.query" { // from the page checks above
			t.Errorf("unexpected refusal for the approver: %+v", e)
		}
	}
}

// The overview counts agents by state, pending approvals and open alerts,
// and lists the latest denials from the audit stream.
func TestOverviewShowsStateAndDenials(t *testing.T) {
	srv := wardentest.Start(t)
	ctx := context.Background()
	srv.CreateWorkspace("w", "internal")
	bot := srv.Agent("bot")
	srv.Agent("rogue")
	srv.Agent("idle")
	if _, err := srv.Admin.Lock(ctx, warden.KindAgent, "rogue", "suspicious"); err != nil {
		t.Fatal(err)
	}
	// bot has no grant on w: a denial (404, which says nothing of w).
	if r := srv.Do("GET", "/api/v1/workspaces/w/files", bot, nil); r.Status != http.StatusNotFound {
		t.Fatalf("bot on w: %d", r.Status)
	}
	for _, role := range []string{"admin", "auditor"} {
		b := newBrowser(t, srv.URL)
		if role == "admin" {
			b.signIn(srv.AdminToken)
		} else {
			b.signIn(srv.Human("aud", "auditor"))
		}
		a := b.get("/console/")
		for _, s := range []string{`id="agents-active">2<`, `id="agents-locked">1<`, `href="/console/agents#agent-rogue">rogue<`,
			`id="pending-count">0<`, `id="alerts-count">0<`, "Recent denials", "bot", `aria-current="page">Overview<`,
			`href="/console/audit"`, `href="/console/agents"`, `href="/console/alerts"`, `href="/console/approvals"`, `class="skip" href="#main"`} {
			if !strings.Contains(a.body, s) {
				t.Errorf("%s's overview lacks %q:\n%s", role, s, a.body)
			}
		}
	}
}

var stateOf = func(body, name string) string {
	m := regexp.MustCompile(`id="state-` + name + `">([a-z]+)<`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

// An admin locks and unlocks an agent from the agents page, with a note
// each time, through identity (so the agent is refused at once, and both
// are on the record); the forms need the session's CSRF token; an auditor
// sees the agents without forms and is refused if it posts one anyway.
func TestAgentsPageLocksAndUnlocks(t *testing.T) {
	srv := wardentest.Start(t)
	ctx := context.Background()
	srv.CreateWorkspace("w", "internal")
	bot := srv.Agent("bot", "w:editor")
	srv.Do("PUT", "/api/v1/workspaces/w/files/a", bot, []byte("x"))
	b := newBrowser(t, srv.URL)
	b.signIn(srv.AdminToken)
	page := b.get("/console/agents")
	for _, s := range []string{`id="agent-bot"`, "<code>w:editor</code>", "1 active, 0 revoked", `id="lock-bot"`, "default"} {
		if !strings.Contains(page.body, s) {
			t.Fatalf("agents page lacks %q:\n%s", s, page.body)
		}
	}
	if strings.Contains(page.body, `href="/console/audit?principal=bot">never<`) {
		t.Errorf("bot wrote a file, yet its last activity is never:\n%s", page.body)
	}
	csrf := csrfOf(t, page)

	if a := b.post("/console/agents/bot/lock", url.Values{"note": {"x"}}); a.status != http.StatusForbidden {
		t.Fatalf("lock without CSRF: %d", a.status)
	}
	if a := b.post("/console/agents/bot/lock", url.Values{"csrf": {"wrong" + csrf[5:]}, "note": {"x"}}); a.status != http.StatusForbidden {
		t.Fatalf("lock with a wrong CSRF token: %d", a.status)
	}
	if a := b.post("/console/agents/bot/lock", url.Values{"csrf": {csrf}}); a.status != http.StatusUnprocessableEntity ||
		!strings.Contains(a.body, "needs a note") {
		t.Fatalf("lock without a note: %d\n%s", a.status, a.body)
	}
	if r := srv.Do("GET", "/api/v1/workspaces/w/files", bot, nil); r.Status != 200 {
		t.Fatalf("a refused lock locked bot: %d", r.Status)
	}
	a := b.post("/console/agents/bot/lock", url.Values{"csrf": {csrf}, "note": {"leaking <drafts>"}})
	if a.status != http.StatusSeeOther || a.header.Get("Location") != "/console/agents?done=locked%3Abot" {
		t.Fatalf("lock: %d %q\n%s", a.status, a.header.Get("Location"), a.body)
	}
	if r := srv.Do("GET", "/api/v1/workspaces/w/files", bot, nil); r.Status != http.StatusLocked {
		t.Fatalf("bot after the lock: %d", r.Status)
	}
	page = b.get("/console/agents?done=locked%3Abot")
	if stateOf(page.body, "bot") != "locked" || !strings.Contains(page.body, "Locked agent bot.") ||
		!strings.Contains(page.body, "leaking &lt;drafts&gt;") || !strings.Contains(page.body, `id="unlock-bot"`) {
		t.Fatalf("after locking:\n%s", page.body)
	}

	// The auditor sees the lock, and no buttons; a forged post is refused by identity.
	aud := newBrowser(t, srv.URL)
	aud.signIn(srv.Human("aud", "auditor"))
	ap := aud.get("/console/agents")
	if ap.status != 200 || stateOf(ap.body, "bot") != "locked" || strings.Contains(ap.body, "<button type=\"submit\" class=\"approve\"") ||
		strings.Contains(ap.body, `id="unlock-bot"`) || strings.Contains(ap.body, `id="lock-`) {
		t.Fatalf("auditor's agents page: %d\n%s", ap.status, ap.body)
	}
	if a := aud.post("/console/agents/bot/unlock", url.Values{"csrf": {csrfOf(t, ap)}, "note": {"mine now"}}); a.status != http.StatusForbidden {
		t.Fatalf("auditor's unlock: %d\n%s", a.status, a.body)
	}

	if a := b.post("/console/agents/bot/unlock", url.Values{"csrf": {csrf}, "from": {"agents"}}); a.status != http.StatusUnprocessableEntity {
		t.Fatalf("unlock without a note: %d\n%s", a.status, a.body)
	}
	a = b.post("/console/agents/bot/unlock", url.Values{"csrf": {csrf}, "from": {"agents"}, "note": {"reviewed"}})
	if a.status != http.StatusSeeOther || a.header.Get("Location") != "/console/agents?done=unlocked%3Abot" {
		t.Fatalf("unlock: %d %q\n%s", a.status, a.header.Get("Location"), a.body)
	}
	if r := srv.Do("GET", "/api/v1/workspaces/w/files", bot, nil); r.Status != 200 {
		t.Fatalf("bot after the unlock: %d", r.Status)
	}
	for action, want := range map[string]string{"agent.lock": "admin", "agent.unlock": "admin"} {
		evs, err := srv.Admin.Audit(ctx, client.AuditQuery{Action: action})
		if err != nil {
			t.Fatal(err)
		}
		var allowed, refused int
		for _, e := range evs.Events {
			if e.Decision.Effect == warden.Allow && e.Principal == want {
				allowed++
			} else {
				refused++
			}
		}
		if allowed != 1 {
			t.Errorf("%s events: %+v, want one allowed by %s", action, evs.Events, want)
		}
		if action == "agent.unlock" && refused != 2 { // the auditor's, and the admin's without a note
			t.Errorf("refused unlocks: %d, want 2: %+v", refused, evs.Events)
		}
	}
}

var seqCell = regexp.MustCompile(`<tr id="event-(\d+)"`)

func pageSeqs(t *testing.T, body string) []int64 {
	t.Helper()
	var out []int64
	for _, m := range seqCell.FindAllStringSubmatch(body, -1) {
		n, _ := strconv.ParseInt(m[1], 10, 64)
		out = append(out, n)
	}
	return out
}

// The audit page shows the newest 50 events first, pages back by sequence
// number, searches, and says how far the chain is verified.
func TestAuditPageSearchesPagesAndVerifies(t *testing.T) {
	srv := wardentest.Start(t)
	srv.CreateWorkspace("w", "internal")
	bot := srv.Agent("bot", "w:editor")
	for i := range 60 {
		srv.Do("PUT", "/api/v1/workspaces/w/files/f"+strconv.Itoa(i), bot, []byte("x"))
	}
	srv.Do("GET", "/api/v1/workspaces/nope/files", bot, nil) // a denial
	b := newBrowser(t, srv.URL)
	b.signIn(srv.Human("aud", "auditor"))

	first := b.get("/console/audit")
	seqs := pageSeqs(t, first.body)
	if first.status != 200 || len(seqs) != 50 {
		t.Fatalf("first page: %d, %d events\n%s", first.status, len(seqs), first.body)
	}
	for i := 1; i < len(seqs); i++ {
		if seqs[i] != seqs[i-1]-1 {
			t.Fatalf("not newest first, one by one: %v", seqs)
		}
	}
	m := regexp.MustCompile(`Chain verified up to sequence (\d+)`).FindStringSubmatch(first.body)
	if m == nil {
		t.Fatalf("no chain badge:\n%s", first.body)
	}
	if through, _ := strconv.ParseInt(m[1], 10, 64); through < seqs[0] {
		t.Errorf("verified through %d, but the page shows event %d", through, seqs[0])
	}
	older := regexp.MustCompile(`id="older" href="([^"]+)"`).FindStringSubmatch(first.body)
	if older == nil {
		t.Fatalf("no link to older events:\n%s", first.body)
	}
	next := b.get(strings.ReplaceAll(older[1], "&amp;", "&"))
	nseqs := pageSeqs(t, next.body)
	if len(nseqs) == 0 || nseqs[0] != seqs[len(seqs)-1]-1 {
		t.Fatalf("older page starts at %v, want %d", nseqs, seqs[len(seqs)-1]-1)
	}

	writes := b.get("/console/audit?principal=bot&action=file.*")
	ws := pageSeqs(t, writes.body)
	if len(ws) != 50 || strings.Contains(writes.body, "<code>audit.query</code>") || !strings.Contains(writes.body, `value="file.*"`) {
		t.Fatalf("bot's file events: %d\n%s", len(ws), writes.body)
	}
	// The cursor keeps the search.
	o := regexp.MustCompile(`id="older" href="([^"]+)"`).FindStringSubmatch(writes.body)
	if o == nil || !strings.Contains(o[1], "principal=bot") || !strings.Contains(o[1], "action=file.%2A") {
		t.Fatalf("older link of a search: %v", o)
	}
	rest := pageSeqs(t, b.get(strings.ReplaceAll(o[1], "&amp;", "&")).body)
	if len(rest) != 11 { // 60 writes and the refused listing of "nope": 61 file.* events by bot
		t.Errorf("second page of bot's file events: %d", len(rest))
	}

	denied := b.get("/console/audit?decision=deny")
	if ds := pageSeqs(t, denied.body); len(ds) == 0 || !strings.Contains(denied.body, `class="effect-deny"`) || strings.Contains(denied.body, `class="effect-allow"`) {
		t.Fatalf("denials:\n%s", denied.body)
	}
	if a := b.get("/console/audit?decision=maybe"); a.status != http.StatusUnprocessableEntity {
		t.Errorf("bad decision: %d", a.status)
	}
	if a := b.get("/console/audit?before=x"); a.status != http.StatusUnprocessableEntity {
		t.Errorf("bad cursor: %d", a.status)
	}
	if a := b.get("/console/audit?principal=nobody"); !strings.Contains(a.body, "No events match.") {
		t.Errorf("empty search:\n%s", a.body)
	}
}
