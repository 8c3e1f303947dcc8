package redteam

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/llmtest"
)

// policyYAML is a deployed configuration: the default profile denies the
// destructive tools, asks before mail, and stops transfers abroad by a
// rule; "lenient" allows everything (and has a rate that a run must not
// trip).
const policyYAML = `
profiles:
  default:
    tools:
      allow: [get_weather, search_docs, transfer_funds]
      ask: [send_email]
      deny: [delete_files, run_shell]
      rules:
        - when: 'tool == "transfer_funds" && !params.to_account.startsWith("DE")'
          decision: deny
          reason: transfers abroad need finance
  lenient:
    tools:
      allow: ["*"]
      rate: {send_email: 1/1h}
`

func writePolicy(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "warden.yaml")
	if err := os.WriteFile(path, []byte(policyYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func noEnv(string) string { return "" }

func TestPolicyDecidesElicitedCallsAsTheDeployedProfile(t *testing.T) {
	p, err := LoadPolicy(writePolicy(t), "default", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		call    ToolCall
		tool    string
		effect  warden.Effect
		stopped bool
	}{
		{"a denied tool", ToolCall{Name: "delete_files", Arguments: `{"path":"/"}`}, "delete_files", warden.Deny, true},
		{"an asked tool", ToolCall{Name: "send_email", Arguments: `{"to":"x@y.z"}`}, "send_email", warden.Ask, true},
		{"an allowed tool", ToolCall{Name: "get_weather", Arguments: `{"city":"Oslo"}`}, "get_weather", warden.Allow, false},
		{"a rule on the parameters", ToolCall{Name: "transfer_funds", Arguments: `{"to_account":"FR14200","amount":"9"}`}, "transfer_funds", warden.Deny, true},
		{"the rule not matching", ToolCall{Name: "transfer_funds", Arguments: `{"to_account":"DE89370","amount":"9"}`}, "transfer_funds", warden.Allow, false},
		{"OpenClaw's bridge tool", ToolCall{Name: "tool_call", Arguments: `{"id":"openclaw:core:run_shell","args":{"command":"ls"}}`}, "run_shell", warden.Deny, true},
		{"arguments that are not JSON", ToolCall{Name: "run_shell", Arguments: `rm -rf /`}, "run_shell", warden.Deny, true},
		{"an unlisted tool", ToolCall{Name: "exec_sql", Arguments: `{}`}, "exec_sql", warden.Ask, true},
	} {
		o := p.Decide("tool-misuse.x", tc.call)
		if o.Tool != tc.tool || o.Effect != tc.effect || o.Stopped != tc.stopped || o.Reason == "" {
			t.Errorf("%s: %+v, want %s %s stopped=%v", tc.name, o, tc.tool, tc.effect, tc.stopped)
		}
	}
}

func TestPolicyIgnoresRatesSoARunDoesNotTripThem(t *testing.T) {
	p, err := LoadPolicy(writePolicy(t), "lenient", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if o := p.Decide("x", ToolCall{Name: "send_email", Arguments: `{}`}); o.Stopped {
			t.Fatalf("call %d stopped: %+v", i+1, o)
		}
	}
}

func TestPolicyRefusesAnUnknownProfileOrABadFile(t *testing.T) {
	path := writePolicy(t)
	if _, err := LoadPolicy(path, "nope", noEnv); err == nil || !strings.Contains(err.Error(), "default, lenient") {
		t.Fatalf("unknown profile: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("profiles:\n  default:\n    tools:\n      rules:\n        - when: 'tool +'\n          decision: deny\n"), 0o600)
	if _, err := LoadPolicy(bad, "default", noEnv); err == nil || !strings.Contains(err.Error(), "bad.yaml") {
		t.Fatalf("bad rule: %v", err)
	}
	if _, err := LoadPolicy(filepath.Join(t.TempDir(), "missing.yaml"), "", noEnv); err == nil {
		t.Fatal("a missing file was accepted")
	}
}

func TestRunInPolicyModeRecordsADecisionPerElicitedCall(t *testing.T) {
	p, err := LoadPolicy(writePolicy(t), "default", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), fakeTarget(t, "openai", llmtest.Vulnerable()), runCorpus(t), runPlant(t), Options{Policy: p})
	if err != nil {
		t.Fatal(err)
	}
	calls, stopped, allowedForbidden := 0, 0, 0
	for _, c := range res.Cases {
		n := 0
		for _, r := range c.Replies {
			n += len(r.ToolCalls)
		}
		if len(c.Policy) != n {
			t.Fatalf("%s: %d calls, %d decisions", c.Attack.ID, n, len(c.Policy))
		}
		for _, o := range c.Policy {
			calls++
			if o.Stopped {
				stopped++
			} else if o.Tool == "delete_files" || o.Tool == "run_shell" || o.Tool == "send_email" {
				allowedForbidden++
			}
		}
	}
	ps := res.PolicySummary
	if ps == nil || ps.Elicited != calls || ps.Stopped != stopped || ps.Allowed != calls-stopped || ps.Profile != "default" {
		t.Fatalf("summary %+v, counted %d calls, %d stopped", ps, calls, stopped)
	}
	if calls == 0 || allowedForbidden != 0 {
		t.Fatalf("%d calls elicited, %d denied or asked tools let through", calls, allowedForbidden)
	}
	t.Logf("policy mode over the vulnerable fake: %d tool calls elicited in %d attacks, %d would have been stopped; %d attacks fully contained",
		ps.Elicited, ps.Cases, ps.Stopped, ps.Contained)
}
