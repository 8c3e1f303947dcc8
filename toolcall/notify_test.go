package toolcall_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/toolcall"
)

// hook is a webhook receiver that fails its first `fail` posts.
type hook struct {
	mu    sync.Mutex
	fail  int
	posts [][]byte
	got   chan toolcall.Notification
}

func startHook(t *testing.T, fail int) (*hook, *httptest.Server) {
	h := &hook{fail: fail, got: make(chan toolcall.Notification, 16)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.posts = append(h.posts, b)
		failing := h.fail > 0
		h.fail--
		h.mu.Unlock()
		if failing {
			http.Error(w, "try later", http.StatusServiceUnavailable)
			return
		}
		var n toolcall.Notification
		if err := json.Unmarshal(b, &n); err != nil || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("webhook got %q (%v)", b, err)
		}
		h.got <- n
	}))
	t.Cleanup(srv.Close)
	return h, srv
}

// syncBuf is a log buffer safe to read while the notifier writes.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }
func (s *syncBuf) Reset()                      { s.mu.Lock(); defer s.mu.Unlock(); s.b.Reset() }

func approvalEvent(id string) warden.Event {
	return warden.Event{Action: "approval.request", Principal: "bot", Kind: warden.KindAgent, Target: "exec",
		Time:     time.Unix(1000, 0).UTC(),
		Decision: warden.Decision{Effect: warden.Ask, Rule: "profiles.drafting.tools.ask", Reason: "asks before exec"},
		Details:  map[string]any{"approval_id": id, "profile": "drafting"}}
}

func TestNotifierPostsEachNewApprovalWithALink(t *testing.T) {
	h, srv := startHook(t, 0)
	n := toolcall.NewNotifier(toolcall.NotifierOptions{URL: srv.URL, ConsoleURL: "https://warden.example.com/"})
	defer n.Close()
	n.Observe(warden.Event{Action: "tool.decide", Principal: "bot"}) // not an approval: ignored
	n.Observe(approvalEvent("apr_1"))
	select {
	case got := <-h.got:
		if got.Type != "approval.request" || got.ApprovalID != "apr_1" || got.Agent != "bot" || got.Tool != "exec" || got.Profile != "drafting" ||
			got.Rule != "profiles.drafting.tools.ask" || got.URL != "https://warden.example.com/console/approvals#apr_1" ||
			!strings.Contains(got.Text, "bot") || !strings.Contains(got.Text, got.URL) {
			t.Fatalf("notification = %+v", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no notification")
	}
	// A tool name cannot smuggle a link into a chat message.
	ev := approvalEvent("apr_x")
	ev.Target = "<https://evil.example|Approve>"
	n.Observe(ev)
	select {
	case got := <-h.got:
		if strings.Contains(got.Text, "<https://evil") || !strings.Contains(got.Text, "&lt;https://evil.example|Approve&gt;") {
			t.Fatalf("text = %q, want the tool name escaped", got.Text)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no notification")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.posts) != 2 {
		t.Fatalf("%d posts, want 2 (other events are not notified)", len(h.posts))
	}
	if bytes.Contains(h.posts[0], []byte("params")) {
		t.Errorf("the notification carries parameters: %s", h.posts[0])
	}
}

func TestNotifierRetriesAndNeverLogsTheURL(t *testing.T) {
	h, srv := startHook(t, 2)
	var logs syncBuf
	n := toolcall.NewNotifier(toolcall.NotifierOptions{URL: srv.URL + "/T000/secret-path", Backoff: []time.Duration{time.Millisecond, time.Millisecond, time.Millisecond},
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	n.Observe(approvalEvent("apr_2"))
	select {
	case got := <-h.got:
		if got.ApprovalID != "apr_2" {
			t.Fatalf("notification = %+v", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no notification after retries")
	}
	n.Close()
	if !strings.Contains(logs.String(), "retrying") {
		t.Errorf("failed attempts were not logged:\n%s", logs.String())
	}

	// A receiver that is down: the error is logged without the URL.
	logs.Reset()
	down := httptest.NewServer(http.NotFoundHandler())
	url := down.URL + "/T000/secret-path"
	down.Close()
	n = toolcall.NewNotifier(toolcall.NotifierOptions{URL: url, Backoff: []time.Duration{time.Millisecond},
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	n.Observe(approvalEvent("apr_3"))
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), "not delivered") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	n.Close()
	if !strings.Contains(logs.String(), "not delivered") || !strings.Contains(logs.String(), "apr_3") {
		t.Fatalf("an undeliverable notification was not logged:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), "secret-path") {
		t.Fatalf("the log shows the webhook URL:\n%s", logs.String())
	}
}
