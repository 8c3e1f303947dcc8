package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"
)

// openclawHome makes an OpenClaw state folder holding config (JSON5).
func openclawHome(t *testing.T, config string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), ".openclaw")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "openclaw.json"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// fakeOpenClaw is an openclaw CLI that prints an audit naming the state
// folder it was given.
func fakeOpenClaw(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "openclaw")
	script := `#!/bin/sh
[ "$1 $2 $3" = "security audit --json" ] || exit 3
printf '{"summary":{"warn":1},"findings":[{"checkId":"fs.synced_dir","severity":"warn","title":"Synced","detail":"%s","remediation":"move it"}]}\n' "$OPENCLAW_STATE_DIR"
`
	if err := os.WriteFile(p, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	return p
}

// defaultsConfig is what OpenClaw's onboarding writes for a custom provider:
// exec full and sandbox off by default, a direct provider, no proxy.
const defaultsConfig = `{
  gateway: { mode: "local", bind: "loopback", auth: { mode: "token", token: "f25dd9414d1caa73c74ced5126e2183ab59b0f9cff583402" } },
  models: { providers: { "custom-api-openai-com": { baseUrl: "https://api.openai.com/v1", apiKey: "${OPENAI_API_KEY}", api: "openai-completions" } } },
  agents: { defaults: { model: { primary: "custom-api-openai-com/gpt-4.1" } } },
}`

func TestCheckExitCodesAndFormats(t *testing.T) {
	home := openclawHome(t, defaultsConfig)
	base := []string{"check", "--openclaw-home", home, "--no-processes", "--no-openclaw-audit"}
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"findings at or above high", []string{"--fail-on", "high"}, 1, "exec.full", "at or above high"},
		{"table names the fix-worthy rules", nil, 1, "models.direct", ""},
		{"bad format", []string{"--format", "xml"}, 2, "", "--format"},
		{"bad fail-on", []string{"--fail-on", "severe"}, 2, "", "--fail-on"},
		{"no arguments taken", []string{"extra"}, 2, "", "unknown command"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := newCLI(t, nil).run("", append(base, tc.args...)...)
			if code != tc.code || !strings.Contains(out, tc.stdout) || !strings.Contains(errs, tc.stderr) {
				t.Fatalf("exit %d (want %d)\nstdout: %s\nstderr: %s", code, tc.code, out, errs)
			}
		})
	}
	t.Run("nothing critical passes --fail-on critical", func(t *testing.T) {
		if _, err := os.Stat("/var/run/docker.sock"); err == nil {
			t.Skip("this host has a Docker socket: the check rightly reports it as critical for root")
		}
		code, out, errs := newCLI(t, nil).run("", append(base, "--fail-on", "critical")...)
		if code != 0 {
			t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errs)
		}
	})
	t.Run("a missing state folder cannot be checked", func(t *testing.T) {
		code, _, errs := newCLI(t, nil).run("", "check", "--openclaw-home", filepath.Join(t.TempDir(), "nope"), "--no-processes")
		if code != 2 || !strings.Contains(errs, "state folder") {
			t.Fatalf("exit %d: %s", code, errs)
		}
	})
	t.Run("a broken config cannot be checked", func(t *testing.T) {
		code, _, errs := newCLI(t, nil).run("", "check", "--openclaw-home", openclawHome(t, "{ gateway: "), "--no-processes")
		if code != 2 || !strings.Contains(errs, "JSON5") {
			t.Fatalf("exit %d: %s", code, errs)
		}
	})
}

func TestCheckSARIFValidatesAndCarriesFixes(t *testing.T) {
	home := openclawHome(t, defaultsConfig)
	code, out, errs := newCLI(t, nil).run("", "check", "--openclaw-home", home, "--no-processes", "--no-openclaw-audit", "--format", "sarif")
	if code != 1 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	doc, err := sarif.FromBytes([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(); err != nil {
		t.Fatalf("schema: %v", err)
	}
	found := false
	for _, r := range doc.Runs[0].Results {
		if *r.RuleID == "exec.full" && strings.Contains(*r.Message.Text, "Fix: ") {
			found = true
		}
	}
	if !found {
		t.Fatalf("no exec.full result with its fix:\n%s", out)
	}
}

func TestCheckRunsOpenClawsAuditOnTheSameFolder(t *testing.T) {
	home := openclawHome(t, defaultsConfig)
	cli := newCLI(t, map[string]string{"WARDEN_OPENCLAW_BIN": fakeOpenClaw(t)})
	_, out, errs := cli.run("", "check", "--openclaw-home", home, "--no-processes", "--format", "json")
	var rep struct {
		Findings []struct {
			RuleID, Severity, Evidence, Fix string
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s\n%s", err, out, errs)
	}
	for _, f := range rep.Findings {
		if f.RuleID == "openclaw.fs.synced_dir" {
			if f.Severity != "medium" || f.Evidence != home || f.Fix != "move it" {
				t.Fatalf("OpenClaw's warning kept as %+v; want medium, evidence %s, its remediation", f, home)
			}
			return
		}
	}
	t.Fatalf("OpenClaw's audit finding is missing:\n%s", out)
}

func TestCheckFindsTheStateFolderLikeOpenClaw(t *testing.T) {
	home := openclawHome(t, defaultsConfig)
	cli := newCLI(t, map[string]string{"OPENCLAW_STATE_DIR": home, "HOME": t.TempDir()})
	code, out, errs := cli.run("", "check", "--no-processes", "--no-openclaw-audit", "--format", "json")
	if code != 1 || !strings.Contains(out, `"target": "`+home+`"`) {
		t.Fatalf("exit %d, want the check of $OPENCLAW_STATE_DIR\n%s\n%s", code, out, errs)
	}
}
