package share

// The service on its own with a real store, keyring, audit log and data
// plane, and a clock the test moves: expiries are checked to the second
// without waiting, and what reaches the server log is checked directly.

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/audit"
	"github.com/wardenhq/warden/blob"
	"github.com/wardenhq/warden/keyring"
	"github.com/wardenhq/warden/sqlite"
	"github.com/wardenhq/warden/workspace"
)

var bg = context.Background()

type fakeMail struct {
	mu   sync.Mutex
	sent map[string]string
}

func (f *fakeMail) Send(_ context.Context, to, _, body string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent[to] = body
	return nil
}

var sixDigits = regexp.MustCompile(`\b\d{6}\b`)

type clockFixture struct {
	svc  *Service
	now  time.Time
	logs *bytes.Buffer
	mail *fakeMail
	sh   *Share
}

func newClockFixture(t *testing.T, dev bool, mailer bool) *clockFixture {
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
	blobs, err := blob.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	log := audit.New(db, keys, audit.Options{})
	t.Cleanup(func() { log.Close(bg) })
	admin := &warden.Principal{Name: "admin", Kind: warden.KindHuman, Role: warden.HumanAdmin, State: warden.StateActive}
	if err := db.Update(bg, func(tx warden.Tx) error { return tx.CreatePrincipal(admin) }); err != nil {
		t.Fatal(err)
	}
	ws := workspace.New(db, blobs, keys, log, workspace.Options{})
	if _, err := ws.Create(bg, admin, "deal", "restricted"); err != nil {
		t.Fatal(err)
	}
	if _, err := ws.Put(bg, admin, "deal", "memo.txt", strings.NewReader("terms")); err != nil {
		t.Fatal(err)
	}
	f := &clockFixture{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), logs: &bytes.Buffer{}, mail: &fakeMail{sent: map[string]string{}}}
	opts := Options{DevLogCodes: dev, Now: func() time.Time { return f.now }, Logger: slog.New(slog.NewTextHandler(f.logs, nil))}
	if mailer {
		opts.Mailer = f.mail
	}
	f.svc = New(db, keys, log, ws, opts)
	if f.sh, err = f.svc.Create(bg, admin, CreateRequest{Workspace: "deal", Path: "memo.txt", ExpiresIn: time.Hour, Domains: []string{"acme.com"}}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *clockFixture) request(t *testing.T) string {
	t.Helper()
	if err := f.svc.RequestCode(bg, f.sh.ID, "dana@acme.com"); err != nil {
		t.Fatal(err)
	}
	if c := sixDigits.FindString(f.mail.sent["dana@acme.com"]); c != "" {
		return c
	}
	return sixDigits.FindString(f.logs.String())
}

func TestCodesReachTheLogOnlyInDevMode(t *testing.T) {
	for _, tc := range []struct {
		name        string
		dev, mailer bool
		inLog       bool
	}{
		{"smtp only", false, true, false},
		{"dev without smtp", true, false, true},
		{"dev with smtp", true, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newClockFixture(t, tc.dev, tc.mailer)
			code := f.request(t)
			if code == "" {
				t.Fatal("no code delivered")
			}
			if got := strings.Contains(f.logs.String(), code); got != tc.inLog {
				t.Fatalf("code in the log = %v, want %v:\n%s", got, tc.inLog, f.logs.String())
			}
			if strings.Contains(f.logs.String(), "dana@") {
				t.Fatalf("the address is in the log:\n%s", f.logs.String())
			}
		})
	}
	f := newClockFixture(t, false, false)
	if err := f.svc.RequestCode(bg, f.sh.ID, "dana@acme.com"); !warden.IsCode(err, warden.EUNAVAILABLE) {
		t.Fatalf("no smtp, no dev: %v; want unavailable", err)
	}
}

func TestCodesAndSharesExpireOnTheClock(t *testing.T) {
	f := newClockFixture(t, false, true)
	code := f.request(t)
	f.now = f.now.Add(CodeTTL)
	if _, err := f.svc.Verify(bg, f.sh.ID, "dana@acme.com", code, ""); !warden.IsCode(err, warden.EFORBIDDEN) {
		t.Fatalf("code at its expiry: %v; want forbidden", err)
	}
	code = f.request(t)
	f.now = f.now.Add(CodeTTL - time.Second)
	sess, err := f.svc.Verify(bg, f.sh.ID, "dana@acme.com", code, "")
	if err != nil {
		t.Fatalf("code a second before its expiry: %v", err)
	}
	if !sess.ExpiresAt.Equal(f.sh.ExpiresAt) {
		t.Fatalf("session expires %v, want with the share at %v", sess.ExpiresAt, f.sh.ExpiresAt)
	}
	rc, err := f.svc.Recipient(bg, f.sh.ID, sess.Cookie)
	if err != nil || rc.Email != "dana@acme.com" {
		t.Fatalf("recipient = %+v, %v", rc, err)
	}
	f.now = f.sh.ExpiresAt
	if _, err := f.svc.Recipient(bg, f.sh.ID, sess.Cookie); !warden.IsCode(err, warden.EGONE) {
		t.Fatalf("session on an expired share: %v; want gone", err)
	}
	if _, err := f.svc.Open(bg, rc, "", false); !warden.IsCode(err, warden.EGONE) {
		t.Fatalf("view of an expired share: %v; want gone", err)
	}
	if err := f.svc.RequestCode(bg, f.sh.ID, "dana@acme.com"); !warden.IsCode(err, warden.EGONE) {
		t.Fatalf("code request on an expired share: %v; want gone", err)
	}
}

func TestShareStates(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		r    warden.ShareRecord
		at   time.Time
		want warden.ShareState
	}{
		{"live", warden.ShareRecord{ExpiresAt: t0.Add(time.Hour)}, t0, warden.ShareActive},
		{"at expiry", warden.ShareRecord{ExpiresAt: t0}, t0, warden.ShareExpired},
		{"views left", warden.ShareRecord{ExpiresAt: t0.Add(time.Hour), MaxViews: 2, Views: 1}, t0, warden.ShareActive},
		{"views used", warden.ShareRecord{ExpiresAt: t0.Add(time.Hour), MaxViews: 2, Views: 2}, t0, warden.ShareExhausted},
		{"revoked and expired", warden.ShareRecord{ExpiresAt: t0, RevokedAt: t0}, t0.Add(time.Hour), warden.ShareRevoked},
	} {
		if got := tc.r.State(tc.at); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestEmailAndDomainRules(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
	}{
		{"Dana@ACME.com", "dana@acme.com"},
		{" dana@acme.com ", "dana@acme.com"},
		{"Dana <dana@acme.com>", ""},
		{"dana@acme", ""},
		{"dana@acme.com\r\nBcc: x@y.z", ""},
		{"dana@@acme.com", ""},
		{"", ""},
	} {
		got, ok := normaliseEmail(tc.in)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("normaliseEmail(%q) = %q, %v", tc.in, got, ok)
		}
	}
	sd := &sealed{Domains: []string{"acme.com"}, Emails: []string{"a@partner.example"}}
	for addr, want := range map[string]bool{"x@acme.com": true, "x@sub.acme.com": false, "x@acme.com.evil": false, "a@partner.example": true, "b@partner.example": false} {
		if sd.allowed(addr) != want {
			t.Errorf("allowed(%s) = %v", addr, !want)
		}
	}
}
