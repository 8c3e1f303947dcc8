//go:build unix

package openclawcfg_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wardenhq/warden/apiv1"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/llmtest"
	"github.com/wardenhq/warden/wardentest"
)

// openclaw is the real OpenClaw, found as integrations/openclaw/e2e finds it.
type openclaw struct{ bin, nodeDir string }

func needOpenClaw(t *testing.T) openclaw {
	t.Helper()
	oc := openclaw{bin: os.Getenv("WARDEN_OPENCLAW_BIN"), nodeDir: os.Getenv("WARDEN_OPENCLAW_NODE_DIR")}
	if oc.bin == "" || oc.nodeDir == "" {
		t.Skip("needs the real OpenClaw: run integrations/openclaw/e2e/setup.sh, then set WARDEN_OPENCLAW_BIN=<its last line> WARDEN_OPENCLAW_NODE_DIR=<cache>/node/bin")
	}
	for _, p := range []string{oc.bin, filepath.Join(oc.nodeDir, "node")} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("WARDEN_OPENCLAW_BIN / WARDEN_OPENCLAW_NODE_DIR: %v", err)
		}
	}
	return oc
}

// pluginDir is the Warden plugin in this checkout.
func pluginDir(t *testing.T) string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot find the checkout")
	}
	return filepath.Join(filepath.Dir(filepath.Dir(file)), "integrations", "openclaw", "plugin")
}

// run runs a command in its own process group (OpenClaw starts children),
// killed with the group on timeout, and returns its exit code and output.
func run(t *testing.T, env []string, name string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 120*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	var ee *exec.ExitError
	code := 0
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("%s: %v\n%s%s", name, err, stdout.String(), stderr.String())
	}
	if ctx.Err() != nil {
		t.Fatalf("%s %v did not finish in time\n%s%s", name, args, stdout.String(), stderr.String())
	}
	return code, stdout.String(), stderr.String()
}

// openclawEnv is a clean environment for OpenClaw in dir: none of this
// process's provider keys, proxies or OpenClaw variables.
func (oc openclaw) env(dir string, extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		u := strings.ToUpper(k)
		if u == "HOME" || u == "PATH" || strings.HasPrefix(u, "OPENCLAW_") || strings.HasPrefix(u, "WARDEN_") ||
			strings.HasSuffix(u, "_API_KEY") || strings.HasSuffix(u, "_PROXY") {
			continue
		}
		env = append(env, kv)
	}
	return append(append(env,
		"PATH="+oc.nodeDir+string(os.PathListSeparator)+os.Getenv("PATH"),
		"HOME="+filepath.Join(dir, "home"),
		"OPENCLAW_STATE_DIR="+filepath.Join(dir, "state"),
		"OPENCLAW_CONFIG_PATH="+filepath.Join(dir, "state", "openclaw.json"),
		"NO_COLOR=1",
	), extra...)
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// TestOpenClawAcceptsTheWrittenConfig: `openclaw config validate` of
// OpenClaw 2026.9.6 finds the config that `warden openclaw configure
// --write` made from a user's existing JSON5 file valid, and warns of no
// missing variable when the token variable is set.
func TestOpenClawAcceptsTheWrittenConfig(t *testing.T) {
	oc := needOpenClaw(t)
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	os.MkdirAll(state, 0o700)
	os.MkdirAll(filepath.Join(dir, "home"), 0o700)
	existing := "// written by hand\n{\n  gateway: { port: 18789, bind: 'loopback' },\n  models: { providers: { openai: { baseUrl: 'https://api.openai.com/v1', apiKey: 'sk-not-a-real-key-0000', api: 'openai-completions' } } },\n}\n"
	os.WriteFile(filepath.Join(state, "openclaw.json"), []byte(existing), 0o600)
	warden := wardentest.BuildBinary(t, t.TempDir())

	code, out, errOut := run(t, os.Environ(), warden, "openclaw", "configure", "--write", "--agent", "researcher",
		"--openclaw-home", state, "--plugin-path", pluginDir(t), "--warden-bin", warden,
		"--provider", "openai=openai", "--provider", "anthropic=anthropic", "--proxy", "http://127.0.0.1:8701")
	if code != 0 {
		t.Fatalf("configure: exit %d\n%s%s", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(state, "skills", "warden-workspaces", "SKILL.md")); err != nil {
		t.Errorf("configure --write did not install the skill: %v\n%s", err, out)
	}
	code, out, errOut = run(t, oc.env(dir, "WARDEN_AGENT_TOKEN=wdn_test_"+randomHex(8)), oc.bin, "config", "validate", "--json")
	if code != 0 {
		t.Fatalf("openclaw config validate: exit %d\n%s%s", code, out, errOut)
	}
	var res struct {
		Valid    bool
		Warnings []struct{ Path, Message string }
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || !res.Valid {
		t.Fatalf("openclaw config validate --json: %v\n%s", err, out)
	}
	for _, w := range res.Warnings {
		t.Errorf("OpenClaw warns about %s: %s", w.Path, w.Message)
	}
}

// TestOpenClawTurnGoesThroughWardenAfterConfigure: a config whose provider
// called the model directly, after `warden openclaw configure --write`,
// makes a real `openclaw agent --local` turn go through Warden: the model
// sees Warden's key, never the agent's token or the old direct key, and
// Warden records the call for the agent. The plugin and the install policy
// are loaded on the way (a broken plugin config stops OpenClaw). OpenClaw
// connects to Warden's MCP server with the agent's token (Warden records
// the agent listing its workspaces over MCP) and offers the model the
// warden-workspaces skill that configure installed.
func TestOpenClawTurnGoesThroughWardenAfterConfigure(t *testing.T) {
	oc := needOpenClaw(t)
	fake := llmtest.Start(t)
	fake.Reply = func(map[string]any) string { return "Answered behind Warden." }
	providerKey := "sk-provider-" + randomHex(12)
	keyFile := filepath.Join(t.TempDir(), "provider.key")
	os.WriteFile(keyFile, []byte(providerKey+"\n"), 0o600)
	st := wardentest.Start(t, func(c *config.Config) {
		c.Providers = map[string]config.Provider{"fake": {Protocol: "openai", BaseURL: fake.URL + "/v1", APIKeyFile: keyFile}}
	})
	token := st.Agent("researcher")

	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	os.MkdirAll(state, 0o700)
	os.MkdirAll(filepath.Join(dir, "home"), 0o700)
	directKey := "sk-direct-" + randomHex(12)
	existing := map[string]any{
		"models": map[string]any{"providers": map[string]any{"fake": map[string]any{
			"baseUrl": "https://api.invalid/v1", "api": "openai-completions", "apiKey": directKey,
			"models": []any{map[string]any{"id": "fake-model", "name": "Fake model"}},
		}}},
		"agents": map[string]any{"defaults": map[string]any{"model": map[string]any{"primary": "fake/fake-model"}}},
	}
	b, _ := json.Marshal(existing)
	os.WriteFile(filepath.Join(state, "openclaw.json"), b, 0o600)

	warden := wardentest.BuildBinary(t, t.TempDir())
	code, out, errOut := run(t, os.Environ(), warden, "openclaw", "configure", "--write", "--agent", "researcher",
		"--warden", st.URL, "--proxy", st.EgressURL, "--openclaw-home", state, "--plugin-path", pluginDir(t),
		"--warden-bin", warden, "--provider", "fake=openai")
	if code != 0 {
		t.Fatalf("configure: exit %d\n%s%s", code, out, errOut)
	}
	if strings.Contains(out+errOut, directKey) || strings.Contains(out+errOut, token) {
		t.Fatalf("configure printed a key or token:\n%s%s", out, errOut)
	}

	code, out, errOut = run(t, oc.env(dir, "WARDEN_AGENT_TOKEN="+token), oc.bin,
		"agent", "--local", "--agent", "main", "--session-key", "agent:main:cfg-"+randomHex(6), "--message", "Say hello.")
	if code != 0 || !strings.Contains(out, "Answered behind Warden.") {
		t.Fatalf("openclaw turn: exit %d\n--- stdout\n%s\n--- stderr\n%s", code, out, errOut)
	}
	reqs := fake.Requests()
	if len(reqs) == 0 {
		t.Fatal("the model was never called")
	}
	for _, r := range reqs {
		if got := r.Header.Get("Authorization"); got != "Bearer "+providerKey {
			t.Errorf("the model got Authorization %q, want Warden's provider key", got)
		}
		if bytes.Contains(r.Body, []byte(token)) || bytes.Contains(r.Body, []byte(directKey)) {
			t.Error("the agent's token or the old direct key reached the model")
		}
	}
	resp := st.Do("GET", "/api/v1/audit?action=llm.call&limit=100", st.AdminToken, nil)
	var evs apiv1.Events
	if err := json.Unmarshal(resp.Body, &evs); err != nil || resp.Status != 200 {
		t.Fatalf("audit: %d %s", resp.Status, resp.Body)
	}
	if len(evs.Events) == 0 {
		t.Fatal("Warden recorded no llm.call")
	}
	for _, e := range evs.Events {
		if !strings.Contains(e.Principal, "researcher") {
			t.Errorf("llm.call by %q, want the agent researcher", e.Principal)
		}
	}
	if !bytes.Contains(reqs[0].Body, []byte("<name>warden-workspaces</name>")) {
		t.Error("the model was not offered the warden-workspaces skill")
	}
	resp = st.Do("GET", "/api/v1/audit?action=workspace.list&limit=100", st.AdminToken, nil)
	evs = apiv1.Events{}
	if err := json.Unmarshal(resp.Body, &evs); err != nil || resp.Status != 200 {
		t.Fatalf("audit: %d %s", resp.Status, resp.Body)
	}
	var listed bool
	for _, e := range evs.Events {
		listed = listed || e.Principal == "researcher" && strings.HasPrefix(e.RequestID, "mcp-")
	}
	if !listed {
		t.Errorf("OpenClaw never listed Warden's MCP tools as researcher: %+v", evs.Events)
	}
}
