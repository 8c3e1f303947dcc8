package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/apiv1"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/wardentest"
	"github.com/wardenhq/warden/web"
)

// sseEvent is one server-sent event as read off the stream.
type sseEvent struct {
	Event string
	ID    string `json:"id"`
	Chg   string `json:"change"`
	Data  string
}

// stream opens /console/events with b's cookies. It returns the response
// status and, for a 200, a channel of the events read (closed at the end
// of the stream).
func (b *browser) stream(ctx context.Context) (int, <-chan sseEvent) {
	b.t.Helper()
	req, err := http.NewRequestWithContext(ctx, "GET", b.base+"/console/events", nil)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	res, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		res.Body.Close()
		return res.StatusCode, nil
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		b.t.Errorf("events Content-Type = %q", ct)
	}
	ch := make(chan sseEvent, 64)
	go func() {
		defer close(ch)
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.Event != "" {
					json.Unmarshal([]byte(ev.Data), &ev)
					ch <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "event: "):
				ev.Event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.Data = strings.TrimPrefix(line, "data: ")
			}
		}
	}()
	return http.StatusOK, ch
}

// next waits (with a deadline) for the stream's next event.
func next(t *testing.T, ch <-chan sseEvent) sseEvent {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if !ok {
			t.Fatal("the event stream ended")
		}
		return ev
	case <-time.After(20 * time.Second):
		t.Fatal("no event within 20 s")
	}
	return sseEvent{}
}

// TestLiveEventsFollowApprovalsAndAlerts: a signed-in admin's stream is
// told of a new approval, of its decision and of a detection alert, with
// ids only; an approver's stream gets the approvals but not the alerts.
func TestLiveEventsFollowApprovalsAndAlerts(t *testing.T) {
	srv := wardentest.Start(t, func(c *config.Config) {
		c.Profiles = map[string]config.Profile{"drafting": {Tools: &config.ToolPolicy{Ask: []string{"message"}}}}
		c.Detect = map[string]config.DetectRule{"mass_delete": {Threshold: 2, Action: "alert"}}
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	admin := newBrowser(t, srv.URL)
	admin.signIn(srv.AdminToken)
	approver := newBrowser(t, srv.URL)
	approver.signIn(srv.Human("alice", "approver"))
	status, adminEvents := admin.stream(ctx)
	if status != http.StatusOK {
		t.Fatalf("admin's stream: %d", status)
	}
	status, approverEvents := approver.stream(ctx)
	if status != http.StatusOK {
		t.Fatalf("approver's stream: %d", status)
	}

	// A call the policy asks about: event "approval", requested.
	bot, err := srv.Admin.CreatePrincipal(ctx, "agent", apiv1.CreatePrincipal{Name: "bot", Profile: "drafting"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := srv.Client(bot.Token).Decide(ctx, apiv1.DecideRequest{Tool: "message", Params: map[string]any{"to": "bob", "text": "secret plans"}})
	if err != nil || res.Decision != warden.Ask || res.ApprovalID == "" {
		t.Fatalf("decide: %+v %v", res, err)
	}
	for name, ch := range map[string]<-chan sseEvent{"admin": adminEvents, "approver": approverEvents} {
		if ev := next(t, ch); ev.Event != "approval" || ev.ID != res.ApprovalID || ev.Chg != "requested" {
			t.Fatalf("%s: %+v, want approval %s requested", name, ev, res.ApprovalID)
		}
	}

	// A detection alert: the admin hears of it, the approver does not.
	srv.CreateWorkspace("w", "internal")
	del := srv.Agent("deleter", "w:editor")
	for _, f := range []string{"a", "b"} {
		srv.Do("PUT", "/api/v1/workspaces/w/files/"+f, del, []byte("x"))
		srv.Do("DELETE", "/api/v1/workspaces/w/files/"+f, del, nil)
	}
	ev := next(t, adminEvents)
	if ev.Event != "alert" || !strings.HasPrefix(ev.ID, "alt_") || ev.Chg != "raised" {
		t.Fatalf("admin: %+v, want an alert raised", ev)
	}

	// The approver approves in the console: both streams hear of it, and
	// the approver's next event is this one (the alert was not sent).
	page := approver.get("/console/approvals")
	if a := approver.post("/console/approvals/"+res.ApprovalID+"/approve", url.Values{"csrf": {csrfOf(t, page)}}); a.status != http.StatusSeeOther {
		t.Fatalf("approve: %d\n%s", a.status, a.body)
	}
	for name, ch := range map[string]<-chan sseEvent{"admin": adminEvents, "approver": approverEvents} {
		if ev := next(t, ch); ev.Event != "approval" || ev.ID != res.ApprovalID || ev.Chg != "approved" {
			t.Fatalf("%s: %+v, want approval %s approved", name, ev, res.ApprovalID)
		}
	}
	// Nothing but the id and the change: never the tool's arguments.
	if strings.Contains(ev.Data, "secret") || strings.Contains(ev.Data, "deleter") {
		t.Errorf("event data says too much: %s", ev.Data)
	}
}

// TestLiveEventsRefused: no session is 401, an operator (who sees neither
// approvals nor alerts) is 403; a session holds at most 4 streams.
func TestLiveEventsRefused(t *testing.T) {
	srv := wardentest.Start(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if status, _ := newBrowser(t, srv.URL).stream(ctx); status != http.StatusUnauthorized {
		t.Errorf("signed out: %d, want 401", status)
	}
	op := newBrowser(t, srv.URL)
	if a := op.login(srv.Human("olga", "operator")); a.status != http.StatusSeeOther {
		t.Fatalf("operator sign-in: %d", a.status)
	}
	if status, _ := op.stream(ctx); status != http.StatusForbidden {
		t.Errorf("operator: %d, want 403", status)
	}
	admin := newBrowser(t, srv.URL)
	admin.signIn(srv.AdminToken)
	for i := range 4 {
		if status, _ := admin.stream(ctx); status != http.StatusOK {
			t.Fatalf("stream %d: %d", i+1, status)
		}
	}
	if status, _ := admin.stream(ctx); status != http.StatusTooManyRequests {
		t.Errorf("fifth stream: %d, want 429", status)
	}
	// Signing out ends the session: a new stream is refused.
	page := admin.get("/console/")
	admin.post("/console/logout", url.Values{"csrf": {csrfOf(t, page)}})
	if status, _ := admin.stream(ctx); status != http.StatusUnauthorized {
		t.Errorf("after signing out: %d, want 401", status)
	}
}

// TestLiveStreamsEndOnShutdown: an open stream does not hold up a graceful
// shutdown (Stop reports an error if Shutdown timed out).
func TestLiveStreamsEndOnShutdown(t *testing.T) {
	srv := wardentest.Start(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	admin := newBrowser(t, srv.URL)
	admin.signIn(srv.AdminToken)
	status, ch := admin.stream(ctx)
	if status != http.StatusOK {
		t.Fatalf("stream: %d", status)
	}
	srv.Stop()
	select {
	case _, ok := <-ch:
		if ok {
			t.Fatal("an event after shutdown")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the stream is still open after shutdown")
	}
}

// TestLiveStreamEndsWithItsSession: the stream checks its session again
// while open; once the token is revoked it sends "end" and closes.
func TestLiveStreamEndsWithItsSession(t *testing.T) {
	defer web.SetLiveIntervals(10*time.Millisecond, 10*time.Millisecond)()
	c := newConsole(t)
	b := c.browser()
	b.signIn(approverToken)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	status, ch := b.stream(ctx)
	if status != http.StatusOK {
		t.Fatalf("stream: %d", status)
	}
	c.ids.mu.Lock()
	c.ids.revoked[approverToken] = true
	c.ids.mu.Unlock()
	if ev := next(t, ch); ev.Event != "end" {
		t.Fatalf("after revoking: %+v, want end", ev)
	}
	select {
	case _, ok := <-ch:
		if ok {
			t.Fatal("an event after end")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the stream stayed open after end")
	}
	if status, _ := b.stream(ctx); status != http.StatusUnauthorized {
		t.Errorf("a new stream after revoking: %d, want 401", status)
	}
}
