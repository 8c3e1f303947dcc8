package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/client"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/wardentest"
	"github.com/wardenhq/warden/web"
)

// TestConsoleIsServedByWarden checks the console as `warden serve` mounts
// it: the redirects, its own headers over the API's, and sign-in with a real
// token.
func TestConsoleIsServedByWarden(t *testing.T) {
	srv := wardentest.Start(t)
	b := newBrowser(t, srv.URL)
	if a := b.get("/console"); a.status != http.StatusFound || a.header.Get("Location") != "/console/" {
		t.Fatalf("/console: %d %q", a.status, a.header.Get("Location"))
	}
	if a := b.get("/console/"); a.status != http.StatusSeeOther || a.header.Get("Location") != "/console/login" {
		t.Fatalf("/console/ signed out: %d %q", a.status, a.header.Get("Location"))
	}
	login := b.get("/console/login")
	h := login.header
	if login.status != 200 || h.Get("Content-Security-Policy") != web.CSP || h.Get("X-Frame-Options") != "DENY" ||
		h.Get("Cache-Control") != "no-store" || h.Get("Referrer-Policy") != "same-origin" || h.Get("X-Request-Id") == "" {
		t.Fatalf("login page: %d %v", login.status, h)
	}
	list := b.signIn(srv.AdminToken)
	if !strings.Contains(list.body, "Nothing is waiting for a decision.") {
		t.Fatalf("empty list:\n%s", list.body)
	}
	evs, err := srv.Admin.Audit(context.Background(), client.AuditQuery{Action: "console.login"})
	if err != nil || len(evs.Events) != 1 || evs.Events[0].Principal != "admin" || evs.Events[0].Decision.Effect != warden.Allow {
		t.Fatalf("console.login events = %+v, %v; want the admin's sign-in", evs, err)
	}
}

// TestRevokedHumanIsSignedOutAtOnce: the console checks the session's token
// on every request, so revoking it (or locking its owner) ends the session
// on the next click.
func TestRevokedHumanIsSignedOutAtOnce(t *testing.T) {
	srv := wardentest.Start(t)
	ctx := context.Background()
	b := newBrowser(t, srv.URL)
	b.signIn(srv.Human("carol", "approver"))
	if _, err := srv.Admin.Lock(ctx, warden.KindHuman, "carol", "lost laptop"); err != nil {
		t.Fatal(err)
	}
	wantLogin(t, b.get("/console/approvals"), "locked")

	b = newBrowser(t, srv.URL)
	b.signIn(srv.Human("erin", "auditor"))
	if _, err := srv.Admin.Revoke(ctx, warden.KindHuman, "erin"); err != nil {
		t.Fatal(err)
	}
	wantLogin(t, b.get("/console/approvals"), "revoked")
}

// TestAgentCannotSignIn uses a real agent token.
func TestAgentCannotSignIn(t *testing.T) {
	srv := wardentest.Start(t)
	a := newBrowser(t, srv.URL).login(srv.Agent("bot"))
	if a.status != http.StatusForbidden || !strings.Contains(a.body, "agent&#39;s token") {
		t.Fatalf("agent sign-in: %d\n%s", a.status, a.body)
	}
	evs, err := srv.Admin.Audit(context.Background(), client.AuditQuery{Action: "console.login"})
	if err != nil || len(evs.Events) != 1 || evs.Events[0].Principal != "bot" || evs.Events[0].Decision.Effect != warden.Deny {
		t.Fatalf("console.login events = %+v, %v; want bot's refused sign-in", evs, err)
	}
}

// The alerts page shows what detection raised, with the events behind it,
// and an admin resolves it there.
func TestAlertsPageShowsAndResolvesAlerts(t *testing.T) {
	srv := wardentest.Start(t, func(c *config.Config) {
		c.Detect = map[string]config.DetectRule{"mass_delete": {Threshold: 2, Action: "alert"}}
	})
	srv.CreateWorkspace("w", "internal")
	bot := srv.Agent("bot", "w:editor")
	for _, f := range []string{"a", "b"} {
		srv.Do("PUT", "/api/v1/workspaces/w/files/"+f, bot, []byte("x"))
		srv.Do("DELETE", "/api/v1/workspaces/w/files/"+f, bot, nil)
	}
	b := newBrowser(t, srv.URL)
	b.signIn(srv.AdminToken)
	var page answer
	for range 200 {
		if page = b.get("/console/alerts"); strings.Contains(page.body, "mass_delete") {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if page.status != 200 || !strings.Contains(page.body, "mass_delete") || !strings.Contains(page.body, "bot") {
		t.Fatalf("alerts page: %d\n%s", page.status, page.body)
	}
	m := regexp.MustCompile(`id="alert-(alt_[0-9a-f]+)"`).FindStringSubmatch(page.body)
	if m == nil {
		t.Fatalf("no alert id in the page:\n%s", page.body)
	}
	a := b.post("/console/alerts/"+m[1]+"/resolve", url.Values{"csrf": {csrfOf(t, page)}, "note": {"checked"}})
	if a.status != http.StatusSeeOther {
		t.Fatalf("resolve: %d\n%s", a.status, a.body)
	}
	if all := b.get("/console/alerts?status=all"); !strings.Contains(all.body, "resolved") || !strings.Contains(all.body, "admin: checked") {
		t.Fatalf("after resolving:\n%s", all.body)
	}
	if open := b.get("/console/alerts"); !strings.Contains(open.body, "No open alerts") {
		t.Fatalf("open alerts after resolving:\n%s", open.body)
	}
}

// An agent a detection locked is unlocked from its alert, by an admin, with
// a note; without one the console says a note is needed.
func TestConsoleUnlocksAnAgentFromItsAlert(t *testing.T) {
	srv := wardentest.Start(t, func(c *config.Config) {
		c.Detect = map[string]config.DetectRule{"mass_delete": {Threshold: 2, Action: "lock"}}
	})
	srv.CreateWorkspace("w", "internal")
	bot := srv.Agent("bot", "w:editor")
	for _, f := range []string{"a", "b", "c"} {
		srv.Do("PUT", "/api/v1/workspaces/w/files/"+f, bot, []byte("x"))
		srv.Do("DELETE", "/api/v1/workspaces/w/files/"+f, bot, nil)
	}
	b := newBrowser(t, srv.URL)
	b.signIn(srv.AdminToken)
	var page answer
	for range 200 {
		if page = b.get("/console/alerts"); strings.Contains(page.body, "Unlock bot") {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(page.body, "Unlock bot") {
		t.Fatalf("no unlock form:\n%s", page.body)
	}
	if r := srv.Do("GET", "/api/v1/workspaces/w/files", bot, nil); r.Status != 423 {
		t.Fatalf("bot before unlock: %d", r.Status)
	}
	if a := b.post("/console/agents/bot/unlock", url.Values{"csrf": {csrfOf(t, page)}}); a.status != http.StatusUnprocessableEntity {
		t.Fatalf("unlock without a note: %d\n%s", a.status, a.body)
	}
	if a := b.post("/console/agents/bot/unlock", url.Values{"csrf": {csrfOf(t, page)}, "note": {"reviewed"}}); a.status != http.StatusSeeOther {
		t.Fatalf("unlock: %d\n%s", a.status, a.body)
	}
	if r := srv.Do("GET", "/api/v1/workspaces/w/files", bot, nil); r.Status != 200 {
		t.Fatalf("bot after unlock: %d %s", r.Status, r.Body)
	}
}
