package identity_test

import (
	"bytes"
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/audit"
	"github.com/wardenhq/warden/identity"
	"github.com/wardenhq/warden/keyring"
	"github.com/wardenhq/warden/sqlite"
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type fixture struct {
	ids   *identity.Service
	store *sqlite.DB
	clock *clock
	admin *warden.Principal
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "w.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := keyring.Open(ctx, db, keyring.GenerateMasterKey())
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	log := audit.New(db, keys, audit.Options{Now: c.now})
	ids := identity.New(db, keys, log, identity.Options{Now: c.now})
	t.Cleanup(func() {
		ids.Close()
		log.Close(ctx)
		db.Close()
	})
	if _, err := ids.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	f := &fixture{ids: ids, store: db, clock: c}
	f.admin = f.principal(t, identity.BootstrapAdmin)
	return f
}

func (f *fixture) principal(t *testing.T, name string) *warden.Principal {
	t.Helper()
	var p *warden.Principal
	if err := f.store.View(context.Background(), func(tx warden.Tx) error {
		var err error
		p, err = tx.PrincipalByName(name)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return p
}

func (f *fixture) human(t *testing.T, name string, role warden.HumanRole) *warden.Principal {
	t.Helper()
	if _, _, err := f.ids.CreateHuman(context.Background(), f.admin, name, role, nil); err != nil {
		t.Fatal(err)
	}
	return f.principal(t, name)
}

// from is a request context from a client address.
func from(remote string) context.Context {
	return warden.WithRequest(context.Background(), warden.RequestInfo{ID: "req", Remote: remote})
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if code == "" && err != nil || code != "" && warden.ErrorCode(err) != code {
		t.Fatalf("err = %v (%s), want %q", err, warden.ErrorCode(err), code)
	}
}

const goodPassword = "correct horse battery"

func TestSetPasswordRules(t *testing.T) {
	f := newFixture(t)
	alice := f.human(t, "alice", warden.HumanApprover)
	f.human(t, "bob", warden.HumanOperator)
	tests := []struct {
		name     string
		actor    *warden.Principal
		target   string
		password string
		code     string
	}{
		{"admin sets anyone's", f.admin, "bob", goodPassword, ""},
		{"a human sets their own", alice, "alice", goodPassword, ""},
		{"not another's", alice, "bob", goodPassword, warden.EFORBIDDEN},
		{"too short", f.admin, "bob", "short", warden.EINVALID},
		{"no such human", f.admin, "nobody", goodPassword, warden.ENOTFOUND},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantCode(t, f.ids.SetPassword(from("127.0.0.1:1"), tc.actor, tc.target, tc.password), tc.code)
		})
	}
}

func TestSignInWithPassword(t *testing.T) {
	f := newFixture(t)
	f.human(t, "alice", warden.HumanApprover)
	f.human(t, "nopass", warden.HumanApprover)
	if err := f.ids.SetPassword(from("127.0.0.1:1"), f.admin, "alice", goodPassword); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, user, password, code string
	}{
		{"right password", "alice", goodPassword, ""},
		{"wrong password", "alice", goodPassword + "x", warden.EUNAUTHORIZED},
		{"unknown human", "mallory", goodPassword, warden.EUNAUTHORIZED},
		{"human without a password", "nopass", "", warden.EUNAUTHORIZED},
		{"the admin has none yet", "admin", goodPassword, warden.EUNAUTHORIZED},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := f.ids.SignIn(from("127.0.0.1:1"), tc.user, tc.password, "")
			wantCode(t, err, tc.code)
			if tc.code == "" && (p.Name != tc.user || p.Kind != warden.KindHuman) {
				t.Fatalf("signed in as %+v", p)
			}
			if tc.code != "" && warden.ErrorMessage(err) != "wrong name, password or code" {
				t.Fatalf("message %q says which part was wrong", warden.ErrorMessage(err))
			}
		})
	}
}

func TestSignInWithTOTP(t *testing.T) {
	f := newFixture(t)
	alice := f.human(t, "alice", warden.HumanApprover)
	ctx := from("127.0.0.1:1")
	if _, err := f.ids.EnrollTOTP(ctx, f.admin, "alice"); warden.ErrorCode(err) != warden.EINVALID {
		t.Fatalf("TOTP before a password: %v", err)
	}
	if err := f.ids.SetPassword(ctx, f.admin, "alice", goodPassword); err != nil {
		t.Fatal(err)
	}
	uri, err := f.ids.EnrollTOTP(ctx, alice, "alice")
	if err != nil {
		t.Fatal(err)
	}
	secret, err := identity.TOTPSecretFromURI(uri)
	if err != nil {
		t.Fatal(err)
	}
	// Sealed at rest: the store never holds the secret in clear.
	if err := f.store.View(ctx, func(tx warden.Tx) error {
		c, err := tx.HumanCredential(alice.ID)
		if err == nil && (len(c.TOTPSealed) == 0 || bytes.Contains(c.TOTPSealed, secret)) {
			t.Errorf("TOTP secret stored as %x", c.TOTPSealed)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	now := f.clock.now()
	steps := []struct {
		name string
		code string
		want string
	}{
		{"no code", "", warden.EUNAUTHORIZED},
		{"wrong code", "000000", warden.EUNAUTHORIZED},
		{"code of now", identity.TOTPCode(secret, now), ""},
		{"the same code again", identity.TOTPCode(secret, now), warden.EUNAUTHORIZED},
		{"code of the step before (already passed)", identity.TOTPCode(secret, now.Add(-identity.TOTPPeriod)), warden.EUNAUTHORIZED},
		{"code of the next step", identity.TOTPCode(secret, now.Add(identity.TOTPPeriod)), ""},
		{"code two steps ahead", identity.TOTPCode(secret, now.Add(2*identity.TOTPPeriod)), warden.EUNAUTHORIZED},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			_, err := f.ids.SignIn(ctx, "alice", goodPassword, st.code)
			wantCode(t, err, st.want)
		})
	}
	if err := f.ids.DisableTOTP(ctx, f.admin, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.ids.SignIn(ctx, "alice", goodPassword, ""); err != nil {
		t.Fatalf("sign-in after TOTP was disabled: %v", err)
	}
}

// TestGuessingOneHumanIsThrottled: failures for one human from many
// addresses hit the per-human budget; past it even the right password gets
// 429, so guessing is bounded however many addresses the guesser has.
func TestGuessingOneHumanIsThrottled(t *testing.T) {
	f := newFixture(t)
	f.human(t, "alice", warden.HumanApprover)
	if err := f.ids.SetPassword(from("127.0.0.1:1"), f.admin, "alice", goodPassword); err != nil {
		t.Fatal(err)
	}
	throttled := false
	for i := range 30 {
		_, err := f.ids.SignIn(from("10.0.0."+string(rune('1'+i%9))+":1"), "alice", "wrong password "+string(rune('a'+i)), "")
		if warden.IsCode(err, warden.ERATELIMIT) {
			throttled = true
			break
		}
		wantCode(t, err, warden.EUNAUTHORIZED)
	}
	if !throttled {
		t.Fatal("30 wrong passwords were never throttled")
	}
	_, err := f.ids.SignIn(from("10.9.9.9:1"), "alice", goodPassword, "")
	wantCode(t, err, warden.ERATELIMIT)
	// Another human is not affected.
	f.human(t, "bob", warden.HumanApprover)
	if err := f.ids.SetPassword(from("127.0.0.1:1"), f.admin, "bob", goodPassword); err != nil {
		t.Fatal(err)
	}
	if _, err := f.ids.SignIn(from("10.9.9.9:1"), "bob", goodPassword, ""); err != nil {
		t.Fatalf("bob: %v", err)
	}
	// The budget refills with time.
	f.clock.add(5 * time.Minute)
	if _, err := f.ids.SignIn(from("10.9.9.9:1"), "alice", goodPassword, ""); err != nil {
		t.Fatalf("alice after the budget refilled: %v", err)
	}
}

func TestResumeHuman(t *testing.T) {
	f := newFixture(t)
	alice := f.human(t, "alice", warden.HumanApprover)
	ctx := from("127.0.0.1:1")
	if err := f.ids.SetPassword(ctx, f.admin, "alice", goodPassword); err != nil {
		t.Fatal(err)
	}
	f.clock.add(time.Second)
	since := f.clock.now()
	if _, err := f.ids.ResumeHuman(ctx, alice.ID, since); err != nil {
		t.Fatalf("resume: %v", err)
	}
	wantCode(t, func() error { _, err := f.ids.ResumeHuman(ctx, f.admin.ID, since); return err }(), warden.EUNAUTHORIZED)
	if _, err := f.ids.Lock(ctx, f.admin, warden.KindHuman, "alice", "away"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, func() error { _, err := f.ids.ResumeHuman(ctx, alice.ID, since); return err }(), warden.ELOCKED)
	_, err := f.ids.SignIn(ctx, "alice", goodPassword, "")
	wantCode(t, err, warden.ELOCKED)
	if _, err := f.ids.Unlock(ctx, f.admin, warden.KindHuman, "alice", "back"); err != nil {
		t.Fatal(err)
	}
	f.clock.add(time.Second)
	if err := f.ids.SetPassword(ctx, alice, "alice", goodPassword+"!"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, func() error { _, err := f.ids.ResumeHuman(ctx, alice.ID, since); return err }(), warden.EUNAUTHORIZED)
}
