package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/apiv1"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/policy"
	"github.com/wardenhq/warden/wardentest"
)

// The candidate of the replay tests: write is allowed now, exec and deploy
// ask, and exec never deletes.
const replayCandidateYAML = `profiles:
  ops:
    tools:
      allow: [read, write]
      ask: [exec, deploy]
      rules:
        - when: 'tool == "exec" && params.command.startsWith("rm ")'
          decision: deny
          reason: no deletes
`

func writeCandidate(t *testing.T, name, yaml string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// replayServer starts a server whose profile ops allows read and exec, asks
// for write and denies deploy, and records a few decisions by agent bot.
func replayServer(t *testing.T) *wardentest.Server {
	t.Helper()
	s := wardentest.Start(t, func(cfg *config.Config) {
		cfg.Profiles = map[string]config.Profile{"ops": {Tools: &config.ToolPolicy{
			Allow: []string{"read", "exec"}, Ask: []string{"write"}, Deny: []string{"deploy"},
		}}}
	})
	ctx := context.Background()
	p, err := s.Admin.CreatePrincipal(ctx, warden.KindAgent, apiv1.CreatePrincipal{Name: "bot", Profile: "ops"})
	if err != nil {
		t.Fatal(err)
	}
	bot := s.Client(p.Token)
	decide := func(req apiv1.DecideRequest, want warden.Effect) *apiv1.DecideResponse {
		t.Helper()
		res, err := bot.Decide(ctx, req)
		if err != nil || res.Decision != want {
			t.Fatalf("decide %s: %+v, %v (want %s)", req.Tool, res, err, want)
		}
		return res
	}
	decide(apiv1.DecideRequest{Tool: "read", Params: map[string]any{"path": "notes.md"}}, warden.Allow)
	decide(apiv1.DecideRequest{Tool: "exec", Params: map[string]any{"command": "ls -l"}}, warden.Allow)
	decide(apiv1.DecideRequest{Tool: "exec", Params: map[string]any{"command": "rm -rf build"}}, warden.Allow)
	decide(apiv1.DecideRequest{Tool: "deploy"}, warden.Deny)
	// The plugin asks, a human approves, the plugin asks again: one call.
	write := apiv1.DecideRequest{Tool: "write", Params: map[string]any{"path": "notes.md"}, ToolCallID: "w1", Source: "plugin"}
	ask := decide(write, warden.Ask)
	if _, err := s.Admin.Approve(ctx, ask.ApprovalID, "fine", false); err != nil {
		t.Fatal(err)
	}
	if res := decide(write, warden.Allow); res.Rule != "approvals.once" {
		t.Fatalf("approved write: %+v", res)
	}
	// A refused request (a human's token) decides nothing.
	if _, err := s.Admin.Decide(ctx, apiv1.DecideRequest{Tool: "read"}); err == nil {
		t.Fatal("a human's decide request was answered")
	}
	return s
}

func TestPolicyReplayAgainstARealServer(t *testing.T) {
	s := replayServer(t)
	cand := writeCandidate(t, "cand.yaml", replayCandidateYAML)
	c := newCLI(t, map[string]string{"WARDEN_ADDR": s.URL, "WARDEN_TOKEN": s.AdminToken})

	var rep struct {
		Since       time.Time       `json:"since"`
		Events      int             `json:"events"`
		Calls       int             `json:"calls"`
		Refused     int             `json:"refused"`
		Duplicates  int             `json:"duplicates"`
		Transitions map[string]int  `json:"transitions"`
		Changes     []policy.Change `json:"changes"`
		More        int             `json:"more"`
	}
	out := c.ok("policy", "replay", "--policy", cand, "--json")
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	want := map[string]int{"allow_to_deny": 1, "allow_to_ask": 1, "deny_to_allow": 0, "deny_to_ask": 1, "ask_to_allow": 1, "ask_to_deny": 0, "unchanged": 1}
	for k, n := range want {
		if rep.Transitions[k] != n {
			t.Errorf("%s = %d, want %d\n%s", k, rep.Transitions[k], n, out)
		}
	}
	if rep.Events != 7 || rep.Refused != 1 || rep.Duplicates != 1 || rep.Calls != 5 || len(rep.Changes) != 4 || rep.More != 0 {
		t.Fatalf("report: %s", out)
	}
	if d := time.Since(rep.Since); d < 167*time.Hour || d > 169*time.Hour {
		t.Errorf("since = %v", rep.Since)
	}
	// Most recent first: the approved write, recorded as an ask.
	if ch := rep.Changes[0]; ch.Tool != "write" || ch.From != warden.Ask || ch.FromRule != "approvals.once" || ch.To != warden.Allow || ch.Source != "plugin" {
		t.Errorf("first change = %+v", ch)
	}
	if ch := rep.Changes[2]; ch.Tool != "exec" || ch.To != warden.Deny || ch.Rule != "profiles.ops.tools.rules[0]" || ch.Params["command"] != "rm -rf build" {
		t.Errorf("third change = %+v", ch)
	}

	text := c.ok("policy", "replay", "--policy", cand, "--limit", "2")
	for _, s := range []string{"Replayed 5 tool calls by all agents", "Read 7 recorded decisions", "allow → deny", "ask (approved) → allow", "profiles.ops.tools.ask", "... and 2 more"} {
		if !strings.Contains(text, s) {
			t.Errorf("text report lacks %q:\n%s", s, text)
		}
	}
	if strings.Contains(text, "rm -rf build") {
		t.Errorf("--limit 2 listed the third change:\n%s", text)
	}
	if out := c.ok("policy", "replay", "--policy", cand, "--show-unchanged"); !strings.Contains(out, "allow (same)") || !strings.Contains(out, `{"path":"notes.md"}`) {
		t.Errorf("--show-unchanged:\n%s", out)
	}
	if out := c.ok("policy", "replay", "--policy", cand, "--agent", "nobody"); !strings.Contains(out, "No tool decisions by nobody") {
		t.Errorf("--agent nobody:\n%s", out)
	}

	// On a terminal, one progress line on stderr, cleared at the end.
	var stdout, stderr strings.Builder
	tty := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: func(k string) string { return c.vars[k] },
		geteuid: func() int { return 1000 }, isTerminal: func(io.Writer) bool { return true }}
	if code := run(context.Background(), []string{"policy", "replay", "--policy", cand}, tty); code != 0 ||
		stderr.String() != "\rreading the audit log: 7 tool decisions\r\033[K" {
		t.Errorf("terminal: exit %d, stderr %q", code, stderr.String())
	}

	code, _, errs := c.run("", "policy", "replay", "--policy", cand, "--fail-on-change")
	if code != 1 || !strings.Contains(errs, "2 call(s)") {
		t.Errorf("--fail-on-change: exit %d, %q", code, errs)
	}
	// The server's own policy changes nothing.
	same := writeCandidate(t, "same.yaml", "profiles:\n  ops:\n    tools: {allow: [read, exec], ask: [write], deny: [deploy]}\n")
	code, out, errs = c.run("", "policy", "replay", "--policy", same, "--fail-on-change")
	if code != 0 || !strings.Contains(out, "No call would be decided differently") {
		t.Errorf("same policy: exit %d\n%s%s", code, out, errs)
	}
}

func TestPolicyReplayRefusesABrokenCandidate(t *testing.T) {
	s := replayServer(t)
	c := newCLI(t, map[string]string{"WARDEN_ADDR": s.URL, "WARDEN_TOKEN": s.AdminToken})
	bad := writeCandidate(t, "bad.yaml", strings.Replace(replayCandidateYAML, `startsWith("rm ")`, `startsWith(`, 1))
	code, out, errs := c.run("", "policy", "replay", "--policy", bad, "--json")
	if code != 2 || out != "" || !strings.Contains(errs, bad+":7: profiles.ops.tools.rules[0].when") {
		t.Fatalf("bad CEL: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	unknown := writeCandidate(t, "unknown.yaml", "profiles:\n  ops:\n    tools: {allow: [read], alow: [exec]}\n")
	if code, _, errs := c.run("", "policy", "replay", "--policy", unknown); code != 2 || !strings.Contains(errs, "line 3") || !strings.Contains(errs, "alow") {
		t.Fatalf("unknown key: exit %d, %q", code, errs)
	}
	for _, args := range [][]string{
		{"policy", "replay"},
		{"policy", "replay", "--policy", filepath.Join(t.TempDir(), "missing.yaml")},
		{"policy", "replay", "--policy", bad, "--since", "yesterday"},
	} {
		if code, _, errs := c.run("", args...); code != 2 || errs == "" {
			t.Errorf("%v: exit %d, %q", args, code, errs)
		}
	}
	// An agent may not read the audit log.
	agent := newCLI(t, map[string]string{"WARDEN_ADDR": s.URL, "WARDEN_TOKEN": s.Agent("reader")})
	good := writeCandidate(t, "good.yaml", replayCandidateYAML)
	if code, _, errs := agent.run("", "policy", "replay", "--policy", good); code != 2 || !strings.Contains(errs, "403") {
		t.Fatalf("agent token: exit %d, %q", code, errs)
	}
}

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 3, 8, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"168h":                 now.Add(-168 * time.Hour),
		"7d":                   now.AddDate(0, 0, -7),
		"90m":                  now.Add(-90 * time.Minute),
		"2026-03-01T00:00:00Z": time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
	} {
		if got, err := parseSince(in, now); err != nil || !got.Equal(want) {
			t.Errorf("parseSince(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "-1h", "yesterday", "0d", "1.5d"} {
		if _, err := parseSince(in, now); err == nil {
			t.Errorf("parseSince(%q) accepted", in)
		}
	}
}
