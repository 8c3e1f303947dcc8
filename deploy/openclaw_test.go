package deploy

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/titanous/json5"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/openclawcfg"
)

// composeOpenClawBase is what deploy/openclaw.json holds besides Warden's
// patch: the gateway on loopback with a token from a compose secret.
const composeOpenClawBase = `{
  gateway: {
    port: 18789,
    bind: "loopback",
    auth: { mode: "token", token: "${OPENCLAW_GATEWAY_TOKEN}" },
  },
}`

// composeOpenClawConfig is `warden openclaw configure --agent openclaw` as
// run for the OpenClaw image of the compose stack, applied to the base.
func composeOpenClawConfig(t *testing.T) map[string]any {
	t.Helper()
	wcfg, err := config.Load("warden.yaml", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	var providers []openclawcfg.Provider
	for name, p := range wcfg.Providers {
		providers = append(providers, openclawcfg.Provider{Name: name, Protocol: p.Protocol})
	}
	sort.Slice(providers, func(i, j int) bool { return providers[i].Name < providers[j].Name })
	patch, err := openclawcfg.Build(openclawcfg.Options{
		WardenURL: "http://" + wcfg.Listen, Agent: "openclaw", TokenEnv: openclawcfg.DefaultTokenEnv,
		ProxyURL: "http://" + wcfg.Egress.Listen, PluginPath: "/opt/warden/openclaw-plugin",
		WardenBin: "/usr/local/bin/warden", Providers: providers, ExecMode: "ask",
	})
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json5.Unmarshal([]byte(composeOpenClawBase), &cfg); err != nil {
		t.Fatal(err)
	}
	openclawcfg.Merge(cfg, patch)
	return cfg
}

func TestComposeOpenClawConfigIsConfiguresOutput(t *testing.T) {
	want := composeOpenClawConfig(t)
	if *update {
		b, err := openclawcfg.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile("openclaw.json", b, 0o644)
		return
	}
	b, err := os.ReadFile("openclaw.json")
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json5.Unmarshal(b, &got); err != nil {
		t.Fatalf("deploy/openclaw.json is not JSON5: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("deploy/openclaw.json is stale: regenerate it with go test ./deploy -run TestComposeOpenClawConfigIsConfiguresOutput -update")
	}
	if strings.Contains(string(b), "wdn_") {
		t.Error("deploy/openclaw.json holds a token")
	}
}

// TestRealOpenClawAcceptsTheComposeConfig runs OpenClaw 2026.9.6's own
// `config validate` on deploy/openclaw.json, with the image's paths
// pointed at this checkout's plugin and a real file for the binary.
func TestRealOpenClawAcceptsTheComposeConfig(t *testing.T) {
	bin, nodeDir := os.Getenv("WARDEN_OPENCLAW_BIN"), os.Getenv("WARDEN_OPENCLAW_NODE_DIR")
	if bin == "" || nodeDir == "" {
		t.Skip("needs the real OpenClaw: run integrations/openclaw/e2e/setup.sh, then set WARDEN_OPENCLAW_BIN=<its last line> WARDEN_OPENCLAW_NODE_DIR=<cache>/node/bin")
	}
	b, err := os.ReadFile("openclaw.json")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(b), "/opt/warden/openclaw-plugin", filepath.Join(root(t), "integrations", "openclaw", "plugin"))
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "openclaw.json")
	os.WriteFile(cfgPath, []byte(text), 0o600)
	os.MkdirAll(filepath.Join(dir, "state"), 0o700)
	cmd := exec.CommandContext(t.Context(), bin, "config", "validate", "--json")
	cmd.Env = []string{
		"PATH=" + nodeDir + string(os.PathListSeparator) + os.Getenv("PATH"), "HOME=" + dir,
		"OPENCLAW_STATE_DIR=" + filepath.Join(dir, "state"), "OPENCLAW_CONFIG_PATH=" + cfgPath,
		"OPENCLAW_CONFIG_READONLY=1", "NO_COLOR=1",
		"WARDEN_AGENT_TOKEN=wdn_validate_only", "OPENCLAW_GATEWAY_TOKEN=validate-only-gateway-token",
	}
	out, err := cmd.Output()
	var res struct {
		Valid    bool
		Warnings []struct{ Path, Message string }
		Issues   []struct{ Path, Message string }
	}
	if jerr := json.Unmarshal(out, &res); jerr != nil || err != nil || !res.Valid {
		t.Fatalf("openclaw config validate: %v %v\n%s", err, jerr, out)
	}
	for _, w := range res.Warnings {
		t.Errorf("OpenClaw warns about %s: %s", w.Path, w.Message)
	}
}
