package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/client"
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
	if a := b.get("/console/"); a.status != http.StatusFound || a.header.Get("Location") != "/console/approvals" {
		t.Fatalf("/console/: %d %q", a.status, a.header.Get("Location"))
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
