//go:build unix

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/wardenhq/warden/wardentest"
)

// checkFinding is one finding of `warden check --format json`.
type checkFinding struct {
	RuleID   string `json:"ruleId"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
	Evidence string `json:"evidence"`
}

// checkReport is what `warden check --format json` prints.
type checkReport struct {
	Findings []checkFinding `json:"findings"`
}

func (r checkReport) has(rule, messagePart string) bool {
	return slices.ContainsFunc(r.Findings, func(f checkFinding) bool {
		return f.RuleID == rule && strings.Contains(f.Message+" "+f.Evidence, messagePart)
	})
}

// TestWardenCheckFindsOpenClawsDefaults: a state folder made by the real
// `openclaw onboard` (a custom OpenAI-compatible provider, its key in
// plain text, everything else OpenClaw's defaults) is checked by
// `warden check`, which finds exec full, no proxy, the provider called
// directly; after `warden openclaw configure --write` those are gone.
func TestWardenCheckFindsOpenClawsDefaults(t *testing.T) {
	oc := needOpenClaw(t)
	t.Parallel()
	bin := wardentest.BuildBinary(t, t.TempDir())
	dir := t.TempDir()
	state, home := filepath.Join(dir, "state"), filepath.Join(dir, "home")
	for _, d := range []string{state, home} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	env := append(cleanEnv(), "PATH="+oc.nodeDir+string(os.PathListSeparator)+os.Getenv("PATH"), "HOME="+home,
		"OPENCLAW_STATE_DIR="+state, "NO_COLOR=1")
	const providerKey = "sk-proj-Vq3xT9mK2pL7nR4wZ8yB1cF6hJ0dS5gA3eUVq3xT9mK2pL7n"
	run := func(name string, args ...string) (int, string, string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), turnTimeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Dir = dir
		cmd.Env = append(slices.Clone(env), "WARDEN_OPENCLAW_BIN="+oc.bin, "WARDEN_OPENCLAW_NODE_DIR="+oc.nodeDir)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
		err := cmd.Run()
		var ee *exec.ExitError
		code := 0
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("run %s: %v\n%s", filepath.Base(name), err, stderr.String())
		}
		return code, stdout.String(), stderr.String()
	}

	code, out, errs := run(oc.bin, "onboard", "--non-interactive", "--accept-risk", "--skip-health", "--skip-daemon",
		"--skip-channels", "--skip-skills", "--skip-search", "--skip-ui",
		"--auth-choice", "custom-api-key", "--custom-base-url", "https://api.openai.com/v1", "--custom-model-id", "gpt-4.1",
		"--custom-api-key", providerKey, "--secret-input-mode", "plaintext", "--custom-compatibility", "openai")
	if code != 0 {
		t.Fatalf("openclaw onboard: exit %d\n%s\n%s", code, out, errs)
	}
	cfg, err := os.ReadFile(filepath.Join(state, "openclaw.json"))
	if err != nil {
		t.Fatalf("onboarding wrote no openclaw.json: %v", err)
	}
	t.Logf("openclaw.json as onboarding wrote it:\n%s", cfg)

	check := func() checkReport {
		t.Helper()
		code, out, errs := run(bin, "check", "--openclaw-home", state, "--no-processes", "--warden-url", "http://127.0.0.1:8700", "--format", "json")
		if code != 0 && code != 1 {
			t.Fatalf("warden check: exit %d\n%s", code, errs)
		}
		if strings.Contains(out, providerKey) || strings.Contains(out, providerKey[8:]) {
			t.Fatal("warden check printed the provider key")
		}
		var r checkReport
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("warden check --format json: %v\n%s", err, out)
		}
		t.Logf("warden check:\n%s", out)
		return r
	}
	before := check()
	for _, want := range []struct{ rule, part string }{
		{"exec.full", `default is "full"`},
		{"proxy.missing", ""},
		{"models.direct", "custom-api-openai-com"},
		{"secrets.plaintext", "custom-api-openai-com.apiKey"},
		{"sandbox.off", ""},
		{"plugin.missing", ""},
		{"installpolicy.missing", ""},
	} {
		if !before.has(want.rule, want.part) {
			t.Errorf("on OpenClaw's defaults warden check does not report %s (%q)", want.rule, want.part)
		}
	}
	// OpenClaw's own audit ran on the same folder and is kept under its ids.
	if before.has("openclaw.audit_unavailable", "") || !slices.ContainsFunc(before.Findings, func(f checkFinding) bool {
		return strings.HasPrefix(f.RuleID, "openclaw.")
	}) {
		t.Errorf("openclaw security audit's findings are missing")
	}

	// The second half: Warden's configure command applies the fix.
	pluginDir, err := filepath.Abs("../plugin")
	if err != nil {
		t.Fatal(err)
	}
	code, out, errs = run(bin, "openclaw", "configure", "--write", "--openclaw-home", state, "--agent", "researcher",
		"--warden", "http://127.0.0.1:8700", "--proxy", "http://127.0.0.1:8701",
		"--provider", "custom-api-openai-com=openai", "--plugin-path", pluginDir, "--warden-bin", bin)
	if code != 0 {
		t.Fatalf("warden openclaw configure --write: exit %d\n%s\n%s", code, out, errs)
	}
	t.Logf("configure --write:\n%s%s", out, errs)
	after := check()
	for _, gone := range []string{"exec.full", "proxy.missing", "models.direct", "plugin.missing", "installpolicy.missing"} {
		if after.has(gone, "") {
			t.Errorf("after warden openclaw configure --write, warden check still reports %s", gone)
		}
	}
	if after.has("secrets.plaintext", "custom-api-openai-com.apiKey") {
		t.Errorf("the provider key is still in openclaw.json after configure")
	}
}
