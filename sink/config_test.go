package sink_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/apiv1"
	"github.com/wardenhq/warden/app"
	"github.com/wardenhq/warden/client"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/keyring"
	"github.com/wardenhq/warden/wardentest"
)

// chain returns every event of a server's audit chain, via the API.
func chain(t *testing.T, c *client.Client) []apiv1.Event {
	t.Helper()
	var out []apiv1.Event
	var after int64
	for {
		page, err := c.Audit(bg, client.AuditQuery{After: after, Limit: 1000})
		if err != nil {
			t.Fatalf("audit query: %v", err)
		}
		out = append(out, page.Events...)
		if len(page.Events) == 0 || page.Next == 0 || page.Next == after {
			return out
		}
		after = page.Next
	}
}

// fileHas polls until the sink file holds every seq.
func fileHas(t *testing.T, path string, seqs []int64) []apiv1.Event {
	t.Helper()
	var evs []apiv1.Event
	waitFor(t, "the sink file to hold every event of the chain", func() bool {
		evs = readLines(t, path)
		got := map[int64]bool{}
		for _, ev := range evs {
			got[ev.Seq] = true
		}
		for _, s := range seqs {
			if !got[s] {
				return false
			}
		}
		return true
	})
	return evs
}

// TestConfigFileSinksThroughServer: file sinks from the config of a real
// server get the events of real API requests: one sink everything (so
// exactly the chain, in order, across a graceful restart), one only the
// denials of file actions.
func TestConfigFileSinksThroughServer(t *testing.T) {
	dir := t.TempDir()
	all, denials := filepath.Join(dir, "all.jsonl"), filepath.Join(dir, "denials.jsonl")
	s := wardentest.Start(t, func(c *config.Config) {
		c.Sinks = []config.Sink{
			{Name: "all", Type: "file", Path: all},
			{Name: "denials", Type: "file", Path: denials, Actions: []string{"file.*"}, Decisions: []string{"Deny"}},
		}
	})
	s.CreateWorkspace("docs", "internal")
	s.CreateWorkspace("secret", "internal")
	agent := s.Agent("bot", "docs:editor")
	put := s.Do("PUT", "/api/v1/workspaces/docs/files/a.txt", agent, []byte("hello"))
	if put.Status != http.StatusOK && put.Status != http.StatusCreated {
		t.Fatalf("put: %d %s", put.Status, put.Body)
	}
	denied := s.Do("GET", "/api/v1/workspaces/secret/files/x.txt", agent, nil)
	if denied.Status != http.StatusForbidden && denied.Status != http.StatusNotFound {
		t.Fatalf("read without a grant: %d %s", denied.Status, denied.Body)
	}
	check := func(when string) []apiv1.Event {
		t.Helper()
		evs := chain(t, s.Admin)
		var seqs []int64
		for _, ev := range evs {
			if !strings.HasPrefix(ev.Action, "sink.") {
				seqs = append(seqs, ev.Seq)
			}
		}
		got := fileHas(t, all, seqs)
		// No gap, no repeat, in order (a graceful stop leaves nothing
		// half-delivered).
		for i, ev := range got {
			if ev.Seq != int64(i+1) {
				t.Fatalf("%s: line %d of the all-sink holds seq %d, want %d", when, i+1, ev.Seq, i+1)
			}
		}
		byID := map[string][]apiv1.Event{}
		for _, ev := range got {
			byID[ev.RequestID] = append(byID[ev.RequestID], ev)
		}
		if len(byID[put.Header.Get("X-Request-Id")]) == 0 || len(byID[denied.Header.Get("X-Request-Id")]) == 0 {
			t.Fatalf("%s: the put or the denied read is not in the sink file", when)
		}
		return got
	}
	first := check("first start")

	var wantDenials []int64
	for _, ev := range first {
		if strings.HasPrefix(ev.Action, "file.") && ev.Decision.Effect == warden.Deny {
			wantDenials = append(wantDenials, ev.Seq)
		}
	}
	if len(wantDenials) == 0 {
		t.Fatalf("no file denial in the chain: %+v", first)
	}
	last := first[len(first)-1].Seq
	d := fileHas(t, denials, wantDenials)
	for _, ev := range d {
		if !strings.HasPrefix(ev.Action, "file.") || ev.Decision.Effect != warden.Deny {
			t.Errorf("the denials sink got %s/%s", ev.Action, ev.Decision.Effect)
		}
	}

	s.Restart()
	put2 := s.Do("PUT", "/api/v1/workspaces/docs/files/b.txt", agent, []byte("again"))
	if put2.Status/100 != 2 {
		t.Fatalf("put after restart: %d %s", put2.Status, put2.Body)
	}
	s.Do("GET", "/api/v1/workspaces/secret/files/y.txt", agent, nil)
	after := check("after restart")
	if after[len(after)-1].Seq <= last {
		t.Fatal("nothing new after the restart")
	}
	var more []int64
	for _, ev := range after {
		if strings.HasPrefix(ev.Action, "file.") && ev.Decision.Effect == warden.Deny {
			more = append(more, ev.Seq)
		}
	}
	d = fileHas(t, denials, more)
	if got := seqsOf(d); !slices.Equal(got, more) {
		t.Errorf("the denials sink holds %v, want %v", got, more)
	}
}

// startApp runs the app wiring with an environment of our choosing (the
// wardentest server only exposes the master key).
func startApp(t *testing.T, cfg *config.Config, env map[string]string) (*app.App, string) {
	t.Helper()
	master := keyring.EncodeMasterKey(keyring.GenerateMasterKey())
	getenv := func(k string) string {
		if k == "WARDEN_MASTER_KEY" {
			return master
		}
		return env[k]
	}
	a, err := app.Open(bg, app.Options{Config: cfg, Getenv: getenv})
	if err != nil {
		t.Fatalf("app.Open: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		a.Close(bg)
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	done := make(chan error, 1)
	go func() { done <- a.ServeAll(ctx, ln, nil) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return a, "http://" + ln.Addr().String()
}

func testConfig(t *testing.T, sinks ...config.Sink) *config.Config {
	cfg := config.Default()
	cfg.Data = filepath.Join(t.TempDir(), "data")
	cfg.Listen = "127.0.0.1:0"
	cfg.Egress.Listen = "off"
	cfg.Sinks = sinks
	return cfg
}

// TestConfigWebhookSinkThroughApp: a webhook sink configured with its
// secret in an environment variable receives the events of API requests,
// signed with that secret.
func TestConfigWebhookSinkThroughApp(t *testing.T) {
	secret, key := newSecret(t, 32)
	h := newHookReceiver(t, key, func(n int, _ string) bool { return n < 2 })
	srv := loopback(t, h)
	cfg := testConfig(t, config.Sink{Type: "webhook", URL: srv.URL + "/warden", SecretEnv: "SIEM_SECRET", Actions: []string{"workspace.*", "principal.*", "agent.*", "file.*"}})
	a, url := startApp(t, cfg, map[string]string{"SIEM_SECRET": secret})
	admin, err := client.New(url, a.BootstrapToken, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreateWorkspace(bg, "docs", "internal"); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreatePrincipal(bg, "agent", apiv1.CreatePrincipal{Name: "bot", Grants: []string{"docs:viewer"}}); err != nil {
		t.Fatal(err)
	}
	var want []int64
	for _, ev := range chain(t, admin) {
		if strings.HasPrefix(ev.Action, "workspace.") || strings.HasPrefix(ev.Action, "principal.") ||
			strings.HasPrefix(ev.Action, "agent.") || strings.HasPrefix(ev.Action, "file.") {
			want = append(want, ev.Seq)
		}
	}
	if len(want) < 2 {
		t.Fatalf("the chain has %d workspace/principal events", len(want))
	}
	waitFor(t, "the webhook to receive the workspace and agent events", func() bool { return h.has(want) })
	h.checkClean(t)
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, s := range h.order {
		if !slices.Contains(want, s) {
			t.Errorf("seq %d (%s) got through the action filter", s, h.events[s].Action)
		}
	}
	var sawWorkspace bool
	for _, ev := range h.events {
		sawWorkspace = sawWorkspace || (strings.HasPrefix(ev.Action, "workspace.") && ev.Target == "docs" || ev.Workspace == "docs")
	}
	if !sawWorkspace {
		t.Errorf("no event about workspace docs among %v", h.events)
	}
}

// TestConfigRefusesBadSinks: a sink the config gets wrong stops the start
// with a message naming the key, before the data folder is touched.
func TestConfigRefusesBadSinks(t *testing.T) {
	good := "whsec_" + strings.Repeat("A", 44)
	env := map[string]string{"GOOD": good, "BAD": "not-a-secret"}
	for _, c := range []struct {
		name string
		sink []config.Sink
		want string
	}{
		{"unknown type", []config.Sink{{Type: "kafka"}}, "sinks[0].type"},
		{"webhook without url", []config.Sink{{Type: "webhook", SecretEnv: "GOOD"}}, "sinks[0].url"},
		{"webhook ftp url", []config.Sink{{Type: "webhook", URL: "ftp://127.0.0.1/x", SecretEnv: "GOOD"}}, "sinks[0].url"},
		{"webhook without secret_env", []config.Sink{{Type: "webhook", URL: "http://127.0.0.1:1/"}}, "secret_env"},
		{"webhook empty secret", []config.Sink{{Type: "webhook", URL: "http://127.0.0.1:1/", SecretEnv: "UNSET"}}, "UNSET"},
		{"webhook bad secret", []config.Sink{{Type: "webhook", URL: "http://127.0.0.1:1/", SecretEnv: "BAD"}}, "whsec_"},
		{"file without path", []config.Sink{{Type: "file"}}, "sinks[0].path"},
		{"syslog bad address", []config.Sink{{Type: "syslog", Address: "udp://127.0.0.1:514"}}, "sinks[0]"},
		{"syslog missing ca", []config.Sink{{Type: "syslog", Address: "tcp+tls://127.0.0.1:6514", CAFile: "/nonexistent/ca.pem"}}, "ca_file"},
		{"bad decision", []config.Sink{{Type: "file", Path: filepath.Join(t.TempDir(), "x"), Decisions: []string{"maybe"}}}, "decisions"},
		{"same name", []config.Sink{{Name: "a", Type: "file", Path: filepath.Join(t.TempDir(), "x")}, {Name: "a", Type: "file", Path: filepath.Join(t.TempDir(), "y")}}, "used twice"},
		{"same default name", []config.Sink{{Type: "file", Path: filepath.Join(t.TempDir(), "x")}, {Name: "file-0", Type: "file", Path: filepath.Join(t.TempDir(), "y")}}, "used twice"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := testConfig(t, c.sink...)
			a, err := app.Open(bg, app.Options{Config: cfg, Getenv: func(k string) string { return env[k] }})
			if err == nil {
				a.Close(bg)
				t.Fatalf("app.Open accepted %+v", c.sink)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not mention %q", err, c.want)
			}
			if _, serr := os.Stat(cfg.Data); serr == nil {
				t.Errorf("the refused start created the data folder")
			}
			if strings.Contains(err.Error(), good) {
				t.Errorf("the error shows the secret: %v", err)
			}
		})
	}
}

// A sink that cannot deliver gives up on the event after max_attempts, and
// that raises an alert; min_severity keeps only what matters.
func TestDeadLetterRaisesAnAlert(t *testing.T) {
	secret, key := newSecret(t, 32)
	h := newHookReceiver(t, key, func(int, string) bool { return true }) // always fails
	srv := loopback(t, h)
	cfg := testConfig(t, config.Sink{Type: "webhook", URL: srv.URL + "/warden", SecretEnv: "SIEM_SECRET", MaxAttempts: 2, MinSeverity: "warning"})
	a, url := startApp(t, cfg, map[string]string{"SIEM_SECRET": secret})
	admin, err := client.New(url, a.BootstrapToken, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A refusal is a warning: it goes to the sink (and fails there).
	if _, err := admin.Workspace(bg, "missing"); err == nil {
		t.Fatal("reading a missing workspace succeeded")
	}
	waitFor(t, "a sink_dead_letter alert", func() bool {
		r, err := admin.Do(bg, "GET", "/api/v1/alerts", nil, nil, -1)
		if err != nil {
			return false
		}
		defer r.Body.Close()
		var out apiv1.Alerts
		json.NewDecoder(r.Body).Decode(&out)
		for _, al := range out.Alerts {
			if al.Rule == "sink_dead_letter" && al.Principal == "warden" && len(al.Events) == 1 {
				return true
			}
		}
		return false
	})
}
