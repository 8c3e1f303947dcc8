package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wardenhq/warden/identity"
	"github.com/wardenhq/warden/wardentest"
)

// artifactDir is where browser tests leave screenshots: $WARDEN_TEST_ARTIFACTS
// if set, else a temporary folder (named in the log).
func artifactDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("WARDEN_TEST_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestConsoleInChromium walks the console as an admin would: sign in with a
// password and TOTP code, read the overview (a screenshot of it, at desktop
// and phone width, is kept), go to the agents page by the nav bar, lock an
// agent and unlock it with notes, and open the audit page.
func TestConsoleInChromium(t *testing.T) {
	bin := chromium(t)
	srv := wardentest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv.Human("alice", "admin")
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
	bot := srv.Agent("bot")

	bctx, browserLog := startChromium(t, ctx, bin)
	tctx, tcancel := context.WithTimeout(bctx, 30*time.Second)
	defer tcancel()
	where := func() string {
		dctx, dcancel := context.WithTimeout(bctx, 5*time.Second)
		defer dcancel()
		loc, _ := chromedp.Run(dctx, chromedp.Location())
		body, _ := chromedp.Run(dctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
		return "at " + loc + ":\n" + body
	}
	fail := func(step string, err error) {
		t.Helper()
		t.Fatalf("%s: %v\npage %s\nbrowser log:\n%s", step, err, where(), browserLog())
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(tctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			fail("read "+sel, err)
		}
		return strings.TrimSpace(s)
	}

	// Sign in with the password and a code computed here.
	if err := chromedp.Do(tctx,
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(srv.URL+"/console/login"),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), "alice"),
		chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
		chromedp.SendKeys(chromedp.CSS("#code"), identity.TOTPCode(secret, time.Now())),
		chromedp.Click(chromedp.CSS("#password-submit")),
		chromedp.WaitVisible(chromedp.CSS("#agents-active")),
	); err != nil {
		fail("sign in", err)
	}
	if got := text("#agents-active"); got != "1" {
		t.Errorf("active agents on the overview: %q", got)
	}

	// Screenshots of the overview, at 1280 px and at a phone's width; at
	// the phone's width nothing may overflow sideways.
	dir := artifactDir(t)
	for _, v := range []struct {
		name string
		w, h int64
	}{{"console-overview.png", 1280, 900}, {"console-overview-phone.png", 390, 844}} {
		var png []byte
		var overflow bool
		if err := chromedp.Do(tctx, chromedp.EmulateViewport(v.w, v.h), chromedp.WaitVisible(chromedp.CSS("#agents-active"))); err != nil {
			fail("resize", err)
		}
		overflow, err = chromedp.Run(tctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
		if err == nil {
			png, err = chromedp.Run(tctx, chromedp.FullScreenshot(100))
		}
		if err != nil {
			fail("screenshot", err)
		}
		if overflow {
			t.Errorf("the overview is wider than a %d px window", v.w)
		}
		path := filepath.Join(dir, v.name)
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", path)
	}
	if err := chromedp.Do(tctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		fail("resize", err)
	}

	// The skip link is the first thing the keyboard reaches.
	focused, err := chromedp.Run(tctx, chromedp.Evaluate[string](`document.querySelector("a.skip").focus(); document.activeElement.textContent`))
	if err != nil || focused != "Skip to content" {
		t.Errorf("skip link focus: %q %v", focused, err)
	}

	// To the agents page by the nav bar; lock bot, then unlock it.
	if err := chromedp.Do(tctx,
		chromedp.Click(chromedp.CSS(`nav a[href="/console/agents"]`)),
		chromedp.WaitVisible(chromedp.CSS("#lock-bot")),
		chromedp.SendKeys(chromedp.CSS("#lock-note-bot"), "testing the console"),
		chromedp.Click(chromedp.CSS("#lock-bot")),
		chromedp.WaitVisible(chromedp.CSS("#flash")),
	); err != nil {
		fail("lock", err)
	}
	if got := text("#flash"); got != "Locked agent bot." {
		t.Errorf("flash after locking: %q", got)
	}
	if got := text("#state-bot"); got != "locked" {
		t.Errorf("state after locking: %q", got)
	}
	if r := srv.Do("GET", "/api/v1/workspaces", bot, nil); r.Status != 423 {
		t.Errorf("bot after the lock: %d", r.Status)
	}
	if err := chromedp.Do(tctx,
		chromedp.SendKeys(chromedp.CSS("#unlock-note-bot"), "done testing"),
		chromedp.Click(chromedp.CSS("#unlock-bot")),
		chromedp.WaitVisible(chromedp.CSS("#lock-bot")),
	); err != nil {
		fail("unlock", err)
	}
	if got := text("#flash"); got != "Unlocked agent bot." {
		t.Errorf("flash after unlocking: %q", got)
	}

	// The audit page: the chain is verified, and a search finds the unlock.
	if err := chromedp.Do(tctx,
		chromedp.Click(chromedp.CSS(`nav a[href="/console/audit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#chain-badge")),
	); err != nil {
		fail("audit page", err)
	}
	if got := text("#chain-badge"); !strings.HasPrefix(got, "Chain verified up to sequence ") {
		t.Errorf("badge: %q", got)
	}
	if err := chromedp.Do(tctx,
		chromedp.SendKeys(chromedp.CSS("#q-action"), "agent.unlock"),
		chromedp.Click(chromedp.CSS("#search")),
		// The field's value attribute is set by the server: the results are in.
		chromedp.WaitVisible(chromedp.CSS(`#q-action[value="agent.unlock"]`)),
	); err != nil {
		fail("search", err)
	}
	if got := text("#events tbody tr:first-child td:nth-child(4)"); got != "agent.unlock" {
		t.Errorf("newest agent.unlock event: %q", got)
	}
	if logged := browserLog(); strings.Contains(logged, "Content Security Policy") || strings.Contains(logged, "error: ") {
		t.Errorf("the browser reported errors or CSP violations:\n%s", logged)
	}
}
