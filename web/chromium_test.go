package web_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/apiv1"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/wardentest"
)

// chromium finds a Chromium binary: $WARDEN_CHROMIUM, else chromium or
// chromium-browser on PATH. Without one the test is skipped, unless
// WARDEN_REQUIRE_CHROMIUM=1 (CI), where it fails.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("WARDEN_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "no Chromium: set WARDEN_CHROMIUM or install Debian's chromium package (apt-get install -y chromium)"
	if os.Getenv("WARDEN_REQUIRE_CHROMIUM") == "1" {
		t.Fatal(msg + " (WARDEN_REQUIRE_CHROMIUM=1)")
	}
	t.Skip(msg)
	return ""
}

// startChromium starts a headless Chromium for ctx. Anything the browser
// complains about (a CSP violation, a failed load, an error) is kept, and
// browserLog returns it for failure messages and checks.
func startChromium(t *testing.T, ctx context.Context, bin string) (bctx context.Context, browserLog func() string) {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.Headless,
		chromedp.DisableGPU, chromedp.Flag("disable-dev-shm-usage", true))
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // Chromium's sandbox refuses to run as root
	}
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(acancel)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(bcancel)
	var mu sync.Mutex
	var console []string
	err := chromedp.Listen(bctx, func(ev any) {
		var msg string
		switch e := ev.(type) {
		case *log.EventEntryAdded:
			msg = string(e.Entry.Level) + ": " + e.Entry.Text
		case *runtime.EventExceptionThrown:
			msg = "exception: " + e.ExceptionDetails.Text
		default:
			return
		}
		mu.Lock()
		console = append(console, msg)
		mu.Unlock()
	})
	if err != nil {
		t.Fatalf("start chromium (%s): %v", bin, err)
	}
	return bctx, func() string {
		mu.Lock()
		defer mu.Unlock()
		return strings.Join(console, "\n")
	}
}

// TestApproveInChromium drives the console in a real headless Chromium
// against a real server: an agent's call waits for a human, the human signs
// in with their token and clicks Approve, and the waiting call proceeds.
func TestApproveInChromium(t *testing.T) {
	bin := chromium(t)
	srv := wardentest.Start(t, func(c *config.Config) {
		c.Profiles = map[string]config.Profile{"drafting": {Tools: &config.ToolPolicy{Allow: []string{"read"}, Ask: []string{"message"}}}}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	bot, err := srv.Admin.CreatePrincipal(ctx, "agent", apiv1.CreatePrincipal{Name: "bot", Profile: "drafting"})
	if err != nil {
		t.Fatal(err)
	}
	human := srv.Human("alice", "approver")
	agent := srv.Client(bot.Token)

	// A secret in the call's arguments: the page must show it masked.
	secret := "ghp_" + strings.Repeat("aB3dE5fG7h", 4)[:36]
	call := apiv1.DecideRequest{Tool: "message", Params: map[string]any{"to": "bob", "text": "ship it", "token": secret}}

	// The agent asks, is told to wait, long-polls its approval, and asks
	// again once it is decided.
	type outcome struct {
		first  *apiv1.DecideResponse
		waited *apiv1.Approval
		final  *apiv1.DecideResponse
		err    error
	}
	approvalID := make(chan string, 1)
	done := make(chan outcome, 1)
	go func() {
		var o outcome
		defer func() { done <- o }()
		if o.first, o.err = agent.Decide(ctx, call); o.err != nil {
			return
		}
		if o.first.Decision != warden.Ask || o.first.ApprovalID == "" {
			o.err = fmt.Errorf("first decision: %+v, want ask with an approval id", o.first)
			return
		}
		approvalID <- o.first.ApprovalID
		if o.waited, o.err = agent.Approval(ctx, o.first.ApprovalID, 30*time.Second); o.err != nil {
			return
		}
		o.final, o.err = agent.Decide(ctx, call)
	}()
	var id string
	select {
	case id = <-approvalID:
	case o := <-done:
		t.Fatalf("the agent's call did not wait for a human: %+v %v", o.first, o.err)
	}

	bctx, browserLog := startChromium(t, ctx, bin)

	// The browser's steps get 15 s, so a failure leaves time to say where
	// the browser was.
	tctx, tcancel := context.WithTimeout(bctx, 15*time.Second)
	defer tcancel()
	where := func() string {
		dctx, dcancel := context.WithTimeout(bctx, 5*time.Second)
		defer dcancel()
		loc, _ := chromedp.Run(dctx, chromedp.Location())
		body, _ := chromedp.Run(dctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
		return "at " + loc + ":\n" + body
	}
	row := chromedp.CSS("#approval-" + id)
	var page, flash, approveColor string
	err = chromedp.Do(tctx,
		chromedp.Navigate(srv.URL+"/console/login"),
		chromedp.WaitVisible(chromedp.CSS("#token")),
		chromedp.SendKeys(chromedp.CSS("#token"), human),
		chromedp.Click(chromedp.CSS("#login-submit")),
		// Sign-in lands on the overview, which links to the approvals.
		chromedp.WaitVisible(chromedp.CSS("#pending-link")),
		chromedp.Click(chromedp.CSS("#pending-link")),
		chromedp.WaitVisible(row),
	)
	if err == nil {
		page, err = chromedp.Run(tctx, chromedp.OuterHTML(row))
	}
	if err == nil {
		// The stylesheet loaded under the CSP: the button is styled.
		approveColor, err = chromedp.Run(tctx, chromedp.Evaluate[string](
			`getComputedStyle(document.getElementById("approve-`+id+`")).backgroundColor`))
	}
	if err == nil {
		err = chromedp.Do(tctx,
			chromedp.SendKeys(chromedp.CSS("#note-"+id), "fine by me"),
			chromedp.Click(chromedp.CSS("#approve-"+id)),
			chromedp.WaitVisible(chromedp.CSS("#flash")),
		)
	}
	if err == nil {
		flash, err = chromedp.Run(tctx, chromedp.Text(chromedp.CSS("#flash")))
	}
	logged := browserLog()
	if err != nil {
		t.Fatalf("chromium: %v\npage %s\nbrowser log:\n%s", err, where(), logged)
	}
	for _, want := range []string{"bot", "message", "ship it", "profiles.drafting.tools.ask", "[REDACTED SECRET]"} {
		if !strings.Contains(page, want) {
			t.Errorf("the approval row lacks %q:\n%s", want, page)
		}
	}
	if strings.Contains(page, secret) {
		t.Errorf("the page shows the secret in the call's arguments:\n%s", page)
	}
	if approveColor != "rgb(31, 122, 58)" {
		t.Errorf("the Approve button is not styled (%q): did the stylesheet load?", approveColor)
	}
	if flash != "Approved "+id+"." {
		t.Errorf("flash after approving: %q", flash)
	}
	if strings.Contains(logged, "Content Security Policy") || strings.Contains(logged, "error: ") {
		t.Errorf("the browser reported errors or CSP violations:\n%s", logged)
	}

	select {
	case o := <-done:
		if o.err != nil {
			t.Fatalf("agent: %v", o.err)
		}
		if o.waited.Status != warden.ApprovalApproved || o.waited.DecidedBy != "alice" || o.waited.Note != "fine by me" {
			t.Errorf("the long-poll saw %+v", o.waited)
		}
		if o.final.Decision != warden.Allow || o.final.Rule != "approvals.once" {
			t.Errorf("the call after approval: %+v, want allow by approvals.once", o.final)
		}
	case <-ctx.Done():
		t.Fatal("the agent's call never proceeded after Approve was clicked")
	}
}

// TestLiveApprovalsInChromium: an approver has the (empty) approvals page
// open; an agent's call asks for a human, and the request appears in the
// list without the page being reloaded (live.js, under the live CSP).
func TestLiveApprovalsInChromium(t *testing.T) {
	bin := chromium(t)
	srv := wardentest.Start(t, func(c *config.Config) {
		c.Profiles = map[string]config.Profile{"drafting": {Tools: &config.ToolPolicy{Ask: []string{"message"}}}}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	bot, err := srv.Admin.CreatePrincipal(ctx, "agent", apiv1.CreatePrincipal{Name: "bot", Profile: "drafting"})
	if err != nil {
		t.Fatal(err)
	}
	human := srv.Human("alice", "approver")
	bctx, browserLog := startChromium(t, ctx, bin)
	tctx, tcancel := context.WithTimeout(bctx, 15*time.Second)
	defer tcancel()
	err = chromedp.Do(tctx,
		chromedp.Navigate(srv.URL+"/console/login"),
		chromedp.WaitVisible(chromedp.CSS("#token")),
		chromedp.SendKeys(chromedp.CSS("#token"), human),
		chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#pending-link")),
		chromedp.Click(chromedp.CSS("#pending-link")),
		chromedp.WaitVisible(chromedp.CSS("#empty")),
		// The stream is open, and a mark on the window tells a reload.
		chromedp.WaitReady(chromedp.CSS(`body[data-live-state="open"]`)),
	)
	if err == nil {
		_, err = chromedp.Run(tctx, chromedp.Evaluate[bool](`window.wardenNoReload = true`))
	}
	if err != nil {
		t.Fatalf("chromium: %v\nbrowser log:\n%s", err, browserLog())
	}
	res, err := srv.Client(bot.Token).Decide(ctx, apiv1.DecideRequest{Tool: "message", Params: map[string]any{"to": "bob", "text": "ship it"}})
	if err != nil || res.Decision != warden.Ask || res.ApprovalID == "" {
		t.Fatalf("decide: %+v %v", res, err)
	}
	var same bool
	err = chromedp.Do(tctx, chromedp.WaitVisible(chromedp.CSS("#approve-"+res.ApprovalID)))
	if err == nil {
		same, err = chromedp.Run(tctx, chromedp.Evaluate[bool](`window.wardenNoReload === true`))
	}
	logged := browserLog()
	if err != nil {
		t.Fatalf("chromium: %v\nbrowser log:\n%s", err, logged)
	}
	if !same {
		t.Error("the page was reloaded; want the list swapped in place")
	}
	if strings.Contains(logged, "Content Security Policy") || strings.Contains(logged, "error: ") {
		t.Errorf("the browser reported errors or CSP violations:\n%s", logged)
	}
}
