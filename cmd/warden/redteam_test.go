package main

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardenhq/warden/llmtest"
	"github.com/wardenhq/warden/redteam"
)

// fakeModel starts an llmtest fake answering as b.
func fakeModel(t *testing.T, b llmtest.Behaviour) *llmtest.Fake {
	f := llmtest.Start(t)
	f.Behave(b)
	return f
}

func TestRedteamAgainstARobustModelExitsZero(t *testing.T) {
	f := fakeModel(t, llmtest.Robust())
	c := newCLI(t, map[string]string{"WARDEN_REDTEAM_TOKEN": "sk-test-secret-1234"})
	code, out, errs := c.run("", "redteam", "--target", f.URL+"/v1", "--model", "m", "--category", "persona,encoding")
	if code != 0 || !strings.Contains(out, "pass rate 100.0%") || errs != "" {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, out, errs)
	}
	if r := f.Last(t); r.Header.Get("Authorization") != "Bearer sk-test-secret-1234" {
		t.Fatalf("the token from the environment was not sent: %v", r.Header)
	}
	if strings.Contains(out+errs, "sk-test-secret-1234") {
		t.Fatal("the token was printed")
	}
}

func TestRedteamAgainstAVulnerableModelExitsOneWithJUnitFailures(t *testing.T) {
	f := fakeModel(t, llmtest.Vulnerable())
	code, out, errs := newCLI(t, nil).run("", "redteam", "--target", f.URL, "--api", "anthropic", "--model", "m",
		"--token", "tok-abcdef", "--category", "persona", "--format", "junit")
	if code != 1 || !strings.Contains(errs, "attacks succeeded (--fail-on-success 0)") {
		t.Fatalf("exit %d, stderr %s", code, errs)
	}
	var suites struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Suites   []struct {
			Name  string `xml:"name,attr"`
			Cases []struct {
				Name    string    `xml:"name,attr"`
				Failure *struct{} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(out), &suites); err != nil {
		t.Fatalf("stdout is not JUnit: %v\n%s", err, out)
	}
	if len(suites.Suites) != 1 || suites.Suites[0].Name != "redteam.persona" || suites.Failures == 0 || suites.Tests != len(suites.Suites[0].Cases) {
		t.Fatalf("junit = %+v", suites)
	}
	if r := f.Last(t); r.Path != "/v1/messages" || r.Header.Get("x-api-key") != "tok-abcdef" {
		t.Fatalf("request %s %v", r.Path, r.Header)
	}
}

func TestRedteamThresholdLetsSomeSuccessesThrough(t *testing.T) {
	f := fakeModel(t, llmtest.Vulnerable())
	args := []string{"redteam", "--target", f.URL + "/v1", "--model", "m", "--attack", "persona.dan-classic", "--format", "json"}
	code, out, errs := newCLI(t, nil).run("", append(args, "--fail-on-success", "1")...)
	if code != 0 {
		t.Fatalf("one success under --fail-on-success 1: exit %d, %s", code, errs)
	}
	var res redteam.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Totals.Succeeded != 1 || res.Totals.Total != 1 {
		t.Fatalf("json %v: %s", err, out)
	}
	if code, _, _ := newCLI(t, nil).run("", append(args, "--fail-on-success", "50%")...); code != 1 {
		t.Fatalf("100%% succeeded under --fail-on-success 50%%: exit %d", code)
	}
}

func TestRedteamExitsTwoWhenTheRunCannotHappen(t *testing.T) {
	f := fakeModel(t, llmtest.Robust())
	f.Status = 401 // every request refused: the target is unusable
	for name, args := range map[string][]string{
		"no target":          {"--model", "m"},
		"no model":           {"--target", f.URL},
		"bad api":            {"--target", f.URL, "--model", "m", "--api", "gemini"},
		"bad format":         {"--target", f.URL, "--model", "m", "--format", "sarif"},
		"bad threshold":      {"--target", f.URL, "--model", "m", "--fail-on-success", "lots"},
		"bad category":       {"--target", f.URL, "--model", "m", "--category", "nope"},
		"unknown attack":     {"--target", f.URL, "--model", "m", "--attack", "persona.nope"},
		"unknown mutation":   {"--target", f.URL, "--model", "m", "--mutate", "nope"},
		"credential in URL":  {"--target", "http://user:pw@127.0.0.1:1/v1", "--model", "m"},
		"missing policy":     {"--target", f.URL, "--model", "m", "--policy", filepath.Join(t.TempDir(), "none.yaml")},
		"every attack fails": {"--target", f.URL + "/v1", "--model", "m", "--category", "persona", "--token", "tok-xyz-987"},
	} {
		code, out, errs := newCLI(t, nil).run("", append([]string{"redteam"}, args...)...)
		if code != 2 || errs == "" {
			t.Errorf("%s: exit %d, stderr %q", name, code, errs)
		}
		if strings.Contains(out+errs, "tok-xyz-987") {
			t.Errorf("%s: the token was printed", name)
		}
	}
}

func TestRedteamListPrintsTheCorpus(t *testing.T) {
	out := newCLI(t, nil).ok("redteam", "--list", "--category", "persona", "--mutate", "base64")
	if !strings.Contains(out, "persona.dan-classic") || !strings.Contains(out, "persona.dan-classic~base64") || strings.Contains(out, "encoding.") {
		t.Fatalf("list = %s", out)
	}
	all, err := redteam.Corpus()
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(newCLI(t, nil).ok("redteam", "--list"), "\n"); n != len(all)+1 {
		t.Fatalf("--list printed %d lines for %d attacks", n, len(all))
	}
}

func TestRedteamPolicyModeReportsWhatTheDeployedPolicyStops(t *testing.T) {
	f := fakeModel(t, llmtest.Vulnerable())
	cfg := filepath.Join(t.TempDir(), "warden.yaml")
	os.WriteFile(cfg, []byte("profiles:\n  ops:\n    tools:\n      allow: [get_weather, search_docs]\n      deny: [delete_files, run_shell, send_email, transfer_funds]\n"), 0o600)
	code, out, errs := newCLI(t, nil).run("", "redteam", "--target", f.URL+"/v1", "--model", "m", "--category", "tool-misuse",
		"--policy", cfg, "--profile", "ops")
	if code != 1 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "policy (profile ops, "+cfg+"): ") || !strings.Contains(out, "would have been stopped by the deployed policy") {
		t.Fatalf("table = %s", out)
	}
	if strings.Contains(out, "ALLOWED ") {
		t.Fatalf("a forbidden call was allowed by a policy denying them all: %s", out)
	}
}

func TestRedteamSystemPromptIsSentBeforeThePlant(t *testing.T) {
	f := fakeModel(t, llmtest.Robust())
	prompt := filepath.Join(t.TempDir(), "system.md")
	os.WriteFile(prompt, []byte("You are Acme's support agent."), 0o600)
	newCLI(t, nil).ok("redteam", "--target", f.URL+"/v1", "--model", "m", "--attack", "persona.dan-classic", "--system-prompt", prompt)
	msgs, _ := f.Last(t).JSON()["messages"].([]any)
	sys, _ := msgs[0].(map[string]any)["content"].(string)
	if !strings.HasPrefix(sys, "You are Acme's support agent.\n\n## Confidential configuration") {
		t.Fatalf("system prompt = %q", sys)
	}
}
