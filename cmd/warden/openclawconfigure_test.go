package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/titanous/json5"
)

// configureCLI is a CLI whose environment holds a token that must never be
// printed, and a Warden config with two providers.
func configureCLI(t *testing.T) (*cli, string) {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "warden.yaml")
	os.WriteFile(cfg, []byte(`providers:
  openai: {protocol: openai, base_url: https://api.openai.com/v1, api_key_env: OPENAI_API_KEY}
  claude: {protocol: anthropic, base_url: https://api.anthropic.com, api_key_env: ANTHROPIC_API_KEY}
egress: {listen: "127.0.0.1:9701"}
`), 0o600)
	c := newCLI(t, map[string]string{"WARDEN_CONFIG": cfg, "WARDEN_AGENT_TOKEN": "wdn_must_not_print_0123", "HOME": dir})
	return c, dir
}

func TestConfigurePrintsAJSON5PatchFromWardensConfig(t *testing.T) {
	c, dir := configureCLI(t)
	bin, _ := os.Executable()
	code, out, errs := c.run("", "openclaw", "configure", "--agent", "researcher", "--warden-bin", bin,
		"--plugin-path", "../../integrations/openclaw/plugin")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var patch map[string]any
	if err := json5.Unmarshal([]byte(out), &patch); err != nil {
		t.Fatalf("stdout is not JSON5: %v\n%s", err, out)
	}
	for path, want := range map[string]string{
		"models.providers.claude.baseUrl": "http://127.0.0.1:8700/llm/claude",
		"models.providers.openai.baseUrl": "http://127.0.0.1:8700/llm/openai/v1",
		"proxy.proxyUrl":                  "http://researcher:${WARDEN_AGENT_TOKEN}@127.0.0.1:9701",
	} {
		var v any = patch
		for _, k := range strings.Split(path, ".") {
			v = v.(map[string]any)[k]
		}
		if v != want {
			t.Errorf("%s = %v, want %s", path, v, want)
		}
	}
	if strings.Contains(out+errs, "wdn_must_not_print_0123") {
		t.Error("the token's value was printed")
	}
	if _, err := os.Stat(filepath.Join(dir, ".openclaw", "openclaw.json")); err == nil {
		t.Error("printing wrote the config")
	}
}

func TestConfigureWriteThenPrintHasNothingLeftToChange(t *testing.T) {
	c, dir := configureCLI(t)
	bin, _ := os.Executable()
	args := []string{"openclaw", "configure", "--agent", "researcher", "--warden-bin", bin}
	out := c.ok(append(args, "--write")...)
	if !strings.Contains(out, "Wrote "+filepath.Join(dir, ".openclaw", "openclaw.json")) || strings.Contains(out, "wdn_must_not_print_0123") {
		t.Fatalf("write said:\n%s", out)
	}
	if out := c.ok(args...); strings.TrimSpace(out) != "{}" {
		t.Errorf("after --write the printed patch is not empty:\n%s", out)
	}
	if out := c.ok(append(args, "--write")...); !strings.Contains(out, "nothing written") {
		t.Errorf("a second --write said:\n%s", out)
	}
	backups, _ := filepath.Glob(filepath.Join(dir, ".openclaw", "*.warden-backup-*"))
	if len(backups) != 0 {
		t.Errorf("backups of a file that did not exist: %v", backups)
	}
}

func TestConfigureRefusesBadInputWithExitTwo(t *testing.T) {
	c, dir := configureCLI(t)
	bin, _ := os.Executable()
	for name, args := range map[string][]string{
		"no agent":              {"--warden-bin", bin},
		"not the plugin folder": {"--agent", "a", "--warden-bin", bin, "--plugin-path", dir},
		"missing binary":        {"--agent", "a", "--warden-bin", filepath.Join(dir, "nope")},
		"provider without =":    {"--agent", "a", "--warden-bin", bin, "--provider", "openai"},
		"bad exec mode":         {"--agent", "a", "--warden-bin", bin, "--exec-mode", "yolo"},
		"lower-case token env":  {"--agent", "a", "--warden-bin", bin, "--token-env", "tok"},
	} {
		code, _, errs := c.run("", append([]string{"openclaw", "configure"}, args...)...)
		if code != 2 || errs == "" {
			t.Errorf("%s: exit %d, stderr %q", name, code, errs)
		}
	}
}

func TestConfigureResolvesTheWardenBinarySymlink(t *testing.T) {
	c, dir := configureCLI(t)
	bin, _ := os.Executable()
	real, _ := filepath.EvalSymlinks(bin)
	link := filepath.Join(dir, "warden-link")
	if err := os.Symlink(bin, link); err != nil {
		t.Fatal(err)
	}
	out := c.ok("openclaw", "configure", "--agent", "a", "--warden-bin", link, "--proxy", "off", "--exec-mode", "keep")
	var patch map[string]any
	if err := json5.Unmarshal([]byte(out), &patch); err != nil {
		t.Fatal(err)
	}
	exec := patch["security"].(map[string]any)["installPolicy"].(map[string]any)["exec"].(map[string]any)
	if exec["command"] != real {
		t.Errorf("installPolicy command %v, want the resolved %s", exec["command"], real)
	}
	if _, ok := patch["proxy"]; ok {
		t.Error("--proxy off still set a proxy")
	}
	if _, ok := patch["tools"]; ok {
		t.Error("--exec-mode keep still set tools.exec.mode")
	}
}

func TestConfigureWriteInstallsTheSkillButNeverOverwritesIt(t *testing.T) {
	c, dir := configureCLI(t)
	bin, _ := os.Executable()
	args := []string{"openclaw", "configure", "--agent", "researcher", "--warden-bin", bin}
	skill := filepath.Join(dir, ".openclaw", "skills", "warden-workspaces", "SKILL.md")
	if code, _, errs := c.run("", args...); code != 0 || !strings.Contains(errs, "--write installs it") {
		t.Errorf("printing: exit %d, did not say the skill is missing:\n%s", code, errs)
	}
	if _, err := os.Stat(skill); err == nil {
		t.Fatal("printing installed the skill")
	}
	if out := c.ok(append(args, "--write")...); !strings.Contains(out, "Installed skill warden-workspaces") {
		t.Errorf("write said:\n%s", out)
	}
	if b, err := os.ReadFile(skill); err != nil || !strings.Contains(string(b), "name: warden-workspaces") {
		t.Fatalf("installed SKILL.md: %v\n%s", err, b)
	}
	os.WriteFile(skill, []byte("---\nname: warden-workspaces\n---\nmy own\n"), 0o644)
	if out := c.ok(append(args, "--write")...); !strings.Contains(out, "differs from Warden's copy (SKILL.md): not overwritten") {
		t.Errorf("a second --write over a changed skill said:\n%s", out)
	}
	if b, _ := os.ReadFile(skill); string(b) != "---\nname: warden-workspaces\n---\nmy own\n" {
		t.Errorf("the changed skill was overwritten:\n%s", b)
	}
}
