package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/client"
	"github.com/wardenhq/warden/identity"
	"github.com/wardenhq/warden/wardentest"
)

const testPassword = "correct horse battery staple"

// passwordLogin posts the password form.
func (b *browser) passwordLogin(name, password, code string) answer {
	b.t.Helper()
	page := b.get("/console/login")
	if page.status != 200 || !strings.Contains(page.body, `name="username"`) {
		b.t.Fatalf("GET /console/login: %d, password form missing\n%s", page.status, page.body)
	}
	return b.post("/console/login", url.Values{"csrf": {csrfOf(b.t, page)}, "username": {name}, "password": {password}, "code": {code}})
}

// TestPasswordAndTOTPSignIn runs against a real server: an admin sets a
// password and enrols TOTP through the API (as the CLI does); the console
// wants the password and a fresh code, refuses a replayed one, and ends the
// session when the password changes.
func TestPasswordAndTOTPSignIn(t *testing.T) {
	srv := wardentest.Start(t)
	ctx := context.Background()
	srv.Human("alice", "approver")
	if err := srv.Admin.SetPassword(ctx, "alice", testPassword); err != nil {
		t.Fatal(err)
	}
	uri, err := srv.Admin.EnrollTOTP(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	secret, err := identity.TOTPSecretFromURI(uri)
	if err != nil {
		t.Fatal(err)
	}
	code := identity.TOTPCode(secret, time.Now())

	refused := []struct {
		name, user, password, code string
	}{
		{"wrong password", "alice", testPassword + "!", code},
		{"no code", "alice", testPassword, ""},
		{"wrong code", "alice", testPassword, "000000"},
		{"unknown name", "mallory", testPassword, code},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			a := newBrowser(t, srv.URL).passwordLogin(tc.user, tc.password, tc.code)
			if a.status != http.StatusUnauthorized || !strings.Contains(a.body, "wrong name, password or code") {
				t.Fatalf("%d\n%s", a.status, a.body)
			}
			if strings.Contains(a.body, tc.password) {
				t.Fatal("the page echoes the password")
			}
		})
	}

	b := newBrowser(t, srv.URL)
	a := b.passwordLogin("alice", testPassword, code)
	if a.status != http.StatusSeeOther || a.header.Get("Location") != "/console/" {
		t.Fatalf("sign in: %d %s\n%s", a.status, a.header.Get("Location"), a.body)
	}
	if list := b.get("/console/approvals"); list.status != 200 || !strings.Contains(list.body, "alice") {
		t.Fatalf("approvals after sign-in: %d\n%s", list.status, list.body)
	}
	// The code is spent: signing in again with it is refused.
	if a := newBrowser(t, srv.URL).passwordLogin("alice", testPassword, code); a.status != http.StatusUnauthorized {
		t.Fatalf("replayed code: %d", a.status)
	}
	evs, err := srv.Admin.Audit(ctx, client.AuditQuery{Action: "console.login"})
	if err != nil || len(evs.Events) != 1 || evs.Events[0].Principal != "alice" || evs.Events[0].Decision.Effect != warden.Allow {
		t.Fatalf("console.login events = %+v, %v", evs, err)
	}
	fails, err := srv.Admin.Audit(ctx, client.AuditQuery{Action: "auth.signin"})
	if err != nil || len(fails.Events) != len(refused)+1 {
		t.Fatalf("auth.signin events = %+v, %v; want %d", fails, err, len(refused)+1)
	}
	// A new password ends the sessions begun with the old one.
	if err := srv.Admin.SetPassword(ctx, "alice", testPassword+" two"); err != nil {
		t.Fatal(err)
	}
	wantLogin(t, b.get("/console/approvals"), "changed")
}

// TestPasswordSessionEndsWhenLocked: a password session is checked on every
// request like a token session.
func TestPasswordSessionEndsWhenLocked(t *testing.T) {
	srv := wardentest.Start(t)
	ctx := context.Background()
	srv.Human("bob", "auditor")
	if err := srv.Admin.SetPassword(ctx, "bob", testPassword); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, srv.URL)
	if a := b.passwordLogin("bob", testPassword, ""); a.status != http.StatusSeeOther {
		t.Fatalf("sign in: %d\n%s", a.status, a.body)
	}
	if _, err := srv.Admin.Lock(ctx, warden.KindHuman, "bob", "left"); err != nil {
		t.Fatal(err)
	}
	wantLogin(t, b.get("/console/approvals"), "locked")
	if a := newBrowser(t, srv.URL).passwordLogin("bob", testPassword, ""); a.status != http.StatusLocked {
		t.Fatalf("locked sign-in: %d\n%s", a.status, a.body)
	}
}
