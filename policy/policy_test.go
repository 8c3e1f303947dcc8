package policy

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/config"
)

// issueConfig is the policy from the tool-plane issue.
const issueConfig = `profiles:
  research:
    tools: {allow: [read, web_search, web_fetch], ask: [], deny: ["*"]}
  drafting:
    tools:
      allow: [read, write, edit]
      ask:   [email.send, message]
      deny:  [exec, "group:runtime"]
  devops:
    tools:
      allow: [read, exec]
      rules:
        - {when: 'tool == "exec" && params.command.matches("git\\s+push.*\\b(main|master)\\b")', decision: deny, reason: "push to a PR branch instead"}
        - {when: 'tool == "exec" && params.command.matches("\\brm\\s+-[a-z]*r")', decision: ask}
      rate: {exec: 3/1m}
`

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func load(t testing.TB, yaml string) (*config.Config, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "warden.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return config.Load(path, func(string) string { return "" })
}

func compile(t testing.TB, yaml string, now func() time.Time) *Engine {
	t.Helper()
	cfg, err := load(t, yaml)
	if err != nil {
		t.Fatal(err)
	}
	e, err := Compile(cfg, now)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestDecisionsOfTheIssuesProfiles(t *testing.T) {
	e := compile(t, issueConfig, nil)
	cases := []struct {
		profile, tool string
		params        map[string]any
		want          warden.Effect
		rule          string
	}{
		{"research", "read", map[string]any{"path": "a.txt"}, warden.Allow, "profiles.research.tools.allow"},
		{"research", "Web_Search", nil, warden.Allow, "profiles.research.tools.allow"},
		{"research", "exec", map[string]any{"command": "ls"}, warden.Deny, "profiles.research.tools.deny"},
		{"research", "write", nil, warden.Deny, "profiles.research.tools.deny"},
		{"drafting", "write", nil, warden.Allow, "profiles.drafting.tools.allow"},
		{"drafting", "message", map[string]any{"to": "ceo@acme.com"}, warden.Ask, "profiles.drafting.tools.ask"},
		{"drafting", "email.send", nil, warden.Ask, "profiles.drafting.tools.ask"},
		{"drafting", "process", nil, warden.Deny, "profiles.drafting.tools.deny"},
		{"drafting", "browser", nil, warden.Ask, "profiles.drafting.tools.unlisted"},
		{"devops", "exec", map[string]any{"command": "ls -la"}, warden.Allow, "profiles.devops.tools.allow"},
		{"devops", "exec", map[string]any{"command": "git push origin main"}, warden.Deny, "profiles.devops.tools.rules[0]"},
		{"devops", "exec", map[string]any{"command": "git push origin fix-123"}, warden.Allow, "profiles.devops.tools.allow"},
		{"devops", "exec", map[string]any{"command": "rm -rf build"}, warden.Ask, "profiles.devops.tools.rules[1]"},
		// A deny rule whose condition cannot be evaluated applies.
		{"devops", "exec", map[string]any{"cmd": "git push origin main"}, warden.Deny, "profiles.devops.tools.rules[0]"},
		{"default", "read", nil, warden.Allow, "profiles.default.tools.allow"},
		{"default", "write", nil, warden.Ask, "default.ask"},
		{"nosuch", "read", nil, warden.Deny, "policy.unknown_profile"},
	}
	for i, c := range cases {
		t.Run(fmt.Sprintf("%d_%s_%s", i, c.profile, c.tool), func(t *testing.T) {
			d := e.Decide(Call{Agent: fmt.Sprint("a", i), Profile: c.profile, Tool: c.tool, Params: c.params})
			if d.Effect != c.want || d.Rule != c.rule {
				t.Fatalf("got %s by %s (%s), want %s by %s", d.Effect, d.Rule, d.Reason, c.want, c.rule)
			}
			if d.Reason == "" {
				t.Fatal("every decision says why")
			}
		})
	}
}

func TestTheMostSpecificPatternWins(t *testing.T) {
	e := compile(t, `profiles:
  p:
    tools:
      allow: [exec, "mail.*"]
      ask: ["group:runtime"]
      deny: ["*", mail.send_all]
`, nil)
	for tool, want := range map[string]warden.Effect{
		"exec":          warden.Allow, // exact beats group
		"process":       warden.Ask,   // group beats glob
		"mail.draft":    warden.Allow, // "mail.*" is more specific than "*"
		"mail.send_all": warden.Deny,  // exact beats glob
		"browser":       warden.Deny,
	} {
		if got := e.Decide(Call{Profile: "p", Tool: tool}).Effect; got != want {
			t.Errorf("%s: %s, want %s", tool, got, want)
		}
	}
	e = compile(t, "profiles:\n  q:\n    tools: {allow: [\"db.*\"], deny: [\"db.*\"]}\n", nil)
	if got := e.Decide(Call{Profile: "q", Tool: "db.drop"}).Effect; got != warden.Deny {
		t.Errorf("the same pattern in allow and deny: %s, want deny", got)
	}
}

func TestRateLimitsPerAgentAndTool(t *testing.T) {
	clk := &clock{t: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}
	e := compile(t, issueConfig, clk.now)
	call := Call{Agent: "ops1", Profile: "devops", Tool: "exec", Params: map[string]any{"command": "ls"}}
	for i := range 3 {
		if d := e.Decide(call); d.Effect != warden.Allow {
			t.Fatalf("call %d: %+v", i, d)
		}
	}
	d := e.Decide(call)
	if d.Effect != warden.Deny || d.Rule != "profiles.devops.tools.rate.exec" {
		t.Fatalf("fourth call in a minute: %+v", d)
	}
	other := call
	other.Agent = "ops2"
	if d := e.Decide(other); d.Effect != warden.Allow {
		t.Fatalf("another agent has its own allowance: %+v", d)
	}
	if d := e.Decide(Call{Agent: "ops1", Profile: "devops", Tool: "read"}); d.Effect != warden.Allow {
		t.Fatalf("read is not rate limited: %+v", d)
	}
	clk.t = clk.t.Add(20 * time.Second) // one call's worth refills
	if d := e.Decide(call); d.Effect != warden.Allow {
		t.Fatalf("after 20 s: %+v", d)
	}
}

func TestBridgeToolIsDecidedAsTheToolItCarries(t *testing.T) {
	e := compile(t, issueConfig, nil)
	d := e.Decide(Call{Profile: "devops", Tool: "tool_call", Params: map[string]any{"id": "exec", "args": map[string]any{"command": "git push origin master"}}})
	if d.Effect != warden.Deny || d.Rule != "profiles.devops.tools.rules[0]" {
		t.Fatalf("%+v", d)
	}
}

func TestBrokenPoliciesAreRefusedWithFileAndLine(t *testing.T) {
	cases := []struct{ name, yaml, want string }{
		{"CEL syntax", "profiles:\n  x:\n    tools:\n      rules:\n        - {when: 'tool == \"exec\" && params.command.matchez(', decision: deny}\n", ":5: profiles.x.tools.rules[0].when"},
		{"CEL type", "profiles:\n  x:\n    tools:\n      rules:\n        - {when: 'tool + 1', decision: deny}\n", ":5: profiles.x.tools.rules[0].when"},
		{"not a bool", "profiles:\n  x:\n    tools:\n      rules:\n        - {when: 'tool', decision: deny}\n", "not a bool"},
		{"unknown variable", "profiles:\n  x:\n    tools:\n      rules:\n        - {when: 'user == \"x\"', decision: deny}\n", "undeclared reference"},
		{"bad decision", "profiles:\n  x:\n    tools:\n      rules:\n        - {when: 'true', decision: maybe}\n", ":5: profiles.x.tools.rules[0].decision"},
		{"empty condition", "profiles:\n  x:\n    tools:\n      rules:\n        - {decision: deny}\n", "needs a condition"},
		{"unknown group", "profiles:\n  x:\n    tools: {deny: [\"group:nope\"]}\n", "unknown tool group"},
		{"bad glob", "profiles:\n  x:\n    tools: {deny: [\"[\"]}\n", "bad glob"},
		{"bad rate", "profiles:\n  x:\n    tools: {rate: {exec: lots}}\n", "profiles.x.tools.rate.exec"},
		{"zero rate", "profiles:\n  x:\n    tools: {rate: {exec: 0/1m}}\n", "not like 30/1m"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := load(t, c.yaml)
			if err != nil {
				t.Fatalf("config: %v", err)
			}
			_, err = Compile(cfg, nil)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "warden.yaml") {
				t.Fatalf("got %v, want an error naming warden.yaml and %q", err, c.want)
			}
		})
	}
}

func TestUnknownFieldsInAToolPolicyAreConfigErrors(t *testing.T) {
	for _, yaml := range []string{
		"profiles:\n  x:\n    tools: {alow: [read]}\n",
		"profiles:\n  x:\n    tools:\n      rules:\n        - {when: 'true', decison: deny}\n",
	} {
		if _, err := load(t, yaml); err == nil || !strings.Contains(err.Error(), "not found") {
			t.Errorf("%q: got %v, want an unknown-field error", yaml, err)
		}
	}
}

// BenchmarkDecide50Rules decides a call that passes 50 rules (none
// matching) before the lists decide it. Besides ns/op it reports the p50
// and p99 of single decisions (each timed alone), the issue's measure.
func BenchmarkDecide50Rules(b *testing.B) {
	e, call := fiftyRules(b)
	b.ReportAllocs()
	lat := make([]time.Duration, 0, 1<<16)
	for b.Loop() {
		t := time.Now()
		e.Decide(call)
		if len(lat) < cap(lat) {
			lat = append(lat, time.Since(t))
		}
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
}

// BenchmarkDecideNoRules is the baseline: a profile of lists only.
func BenchmarkDecideNoRules(b *testing.B) {
	e := compile(b, "profiles:\n  p:\n    tools: {allow: [exec, read], deny: [\"*\"]}\n", nil)
	call := Call{Agent: "a", Profile: "p", Tool: "exec", Params: map[string]any{"command": "git status --short && go test ./..."}}
	b.ReportAllocs()
	for b.Loop() {
		e.Decide(call)
	}
}

func fiftyRules(b *testing.B) (*Engine, Call) {
	var y strings.Builder
	y.WriteString("profiles:\n  p:\n    tools:\n      allow: [exec, read]\n      rules:\n")
	for i := range 50 {
		fmt.Fprintf(&y, "        - {when: 'tool == \"exec\" && params.command.matches(\"^forbidden-%d\\\\s\")', decision: deny}\n", i)
	}
	e := compile(b, y.String(), nil)
	call := Call{Agent: "a", Profile: "p", Tool: "exec", Params: map[string]any{"command": "git status --short && go test ./..."}}
	if d := e.Decide(call); d.Effect != warden.Allow {
		b.Fatalf("%+v", d)
	}
	return e, call
}

// A condition with comprehensions is cost-limited: one that would do
// quadratic work on a large call stops early and fails closed (a deny rule
// applies, an allow rule does not). Without the limit both conditions
// would run to the end and be false.
func TestComprehensionsAreCostLimited(t *testing.T) {
	e := compile(t, `profiles:
  p:
    tools:
      allow: [exec]
      rules:
        - {when: 'params.xs.exists(x, params.xs.exists(y, x == y + 1000000))', decision: allow}
        - {when: 'tool == "write" && params.xs.exists(x, params.xs.exists(y, x == y + 1000000))', decision: deny}
`, nil)
	xs := make([]any, 5000)
	for i := range xs {
		xs[i] = float64(i)
	}
	d := e.Decide(Call{Agent: "a", Profile: "p", Tool: "exec", Params: map[string]any{"xs": xs}})
	if d.Effect != warden.Allow || d.Rule != "profiles.p.tools.allow" {
		t.Errorf("exec: %+v; want the allow rule skipped (its condition ran out of budget) and the list to decide", d)
	}
	d = e.Decide(Call{Agent: "a", Profile: "p", Tool: "write", Params: map[string]any{"xs": xs}})
	if d.Effect != warden.Deny || !strings.Contains(d.Reason, "could not be evaluated") {
		t.Errorf("write: %+v; want the deny rule to apply, failing closed", d)
	}
}

// Unwrap reads the bridge the way OpenClaw 2026.9.6 does, so that no
// spelling of a bridge call is decided as anything but the tool it runs.
func TestUnwrapReadsEveryBridgeSpelling(t *testing.T) {
	cmd := map[string]any{"command": "ls"}
	for _, tc := range []struct {
		name   string
		tool   string
		params map[string]any
		inner  string
		args   map[string]any
	}{
		{"id and args", "tool_call", map[string]any{"id": "exec", "args": cmd}, "exec", cmd},
		{"name and input", "tool_call", map[string]any{"name": "exec", "input": cmd}, "exec", cmd},
		{"toolId", "tool_call", map[string]any{"toolId": "exec", "args": cmd}, "exec", cmd},
		{"catalog id", "tool_call", map[string]any{"id": "openclaw:core:exec", "args": cmd}, "exec", cmd},
		{"flat arguments", "tool_call", map[string]any{"id": "exec", "command": "ls"}, "exec", cmd},
		{"dotted arguments", "tool_call", map[string]any{"id": "exec", "args.command": "ls"}, "exec", cmd},
		{"dotted under nested", "tool_call", map[string]any{"id": "exec", "args.cwd": "/", "args": cmd}, "exec", map[string]any{"command": "ls", "cwd": "/"}},
		{"empty args: flat ones count", "tool_call", map[string]any{"id": "exec", "args": map[string]any{}, "command": "ls"}, "exec", cmd},
		{"two selectors naming one tool", "tool_call", map[string]any{"id": "exec", "name": "exec", "command": "ls"}, "exec", cmd},
		{"args as a JSON string", "tool_call", map[string]any{"id": "exec", "args": `{"command":"ls"}`}, "exec", cmd},
		{"args as a list", "tool_call", map[string]any{"id": "exec", "args": []any{"rm", "-rf"}}, "exec", map[string]any{"args": []any{"rm", "-rf"}}},
		{"spaces and case in the bridge's name", " Tool_Call ", map[string]any{"id": " exec ", "args": cmd}, "exec", cmd},
		{"no target", "tool_call", map[string]any{"args": cmd}, "tool_call", map[string]any{"args": cmd}},
		{"target not a string", "tool_call", map[string]any{"id": 7, "name": "exec"}, "tool_call", map[string]any{"id": 7, "name": "exec"}},
		{"not the bridge", "exec", cmd, "exec", cmd},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inner, args := Unwrap(tc.tool, tc.params)
			if inner != tc.inner || fmt.Sprint(args) != fmt.Sprint(tc.args) {
				t.Errorf("Unwrap = %q %v, want %q %v", inner, args, tc.inner, tc.args)
			}
		})
	}
	e := compile(t, "profiles:\n  p:\n    tools: {allow: [\"*\"], deny: [exec]}\n", nil)
	for _, params := range []map[string]any{{"name": "exec", "input": cmd}, {"id": "openclaw:core:exec", "command": "ls"}, {"args": cmd}} {
		if d := e.Decide(Call{Agent: "a", Profile: "p", Tool: "tool_call", Params: params}); d.Effect != warden.Deny {
			t.Errorf("bridge %v: %+v, want deny", params, d)
		}
	}
}

// The built-in default profile lets Warden's own MCP read tools through
// (Warden checks roles on them itself) and asks before its write tools.
func TestBuiltinDefaultAllowsWardensMCPReadTools(t *testing.T) {
	e, err := Compile(config.Default(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for tool, want := range map[string]warden.Effect{
		"warden__file_read": warden.Allow, "warden__files_list": warden.Allow, "warden__file_search": warden.Allow,
		"warden__file_write": warden.Ask, "warden__share_create": warden.Ask, "warden__url_import": warden.Ask,
	} {
		if d := e.Decide(Call{Agent: "a", Profile: DefaultProfile, Tool: tool}); d.Effect != want {
			t.Errorf("%s: %s by %s, want %s", tool, d.Effect, d.Rule, want)
		}
	}
}
