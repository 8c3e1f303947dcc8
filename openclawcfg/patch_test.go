package openclawcfg

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/titanous/json5"
)

func validOptions() Options {
	return Options{
		WardenURL: "http://127.0.0.1:8700", Agent: "researcher", TokenEnv: DefaultTokenEnv,
		ProxyURL: "http://127.0.0.1:8701", PluginPath: "/opt/warden/plugin", WardenBin: "/usr/local/bin/warden",
		Providers: []Provider{{"openai", "openai"}, {"claude", "anthropic"}}, ExecMode: "ask",
	}
}

// get follows a dotted path through a parsed config.
func get(t *testing.T, cfg map[string]any, path string) any {
	t.Helper()
	return dig(cfg, strings.Split(path, ".")...)
}

func TestBuildRoutesEachProviderThroughTheModelPlaneWithTheTokenByName(t *testing.T) {
	patch, err := Build(validOptions())
	if err != nil {
		t.Fatal(err)
	}
	// What OpenClaw reads is what a JSON5 parser makes of the output.
	out, err := Marshal(patch)
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json5.Unmarshal(out, &cfg); err != nil {
		t.Fatalf("the patch is not JSON5: %v\n%s", err, out)
	}
	want := map[string]any{
		"models.providers.openai.baseUrl":          "http://127.0.0.1:8700/llm/openai/v1",
		"models.providers.openai.api":              "openai-completions",
		"models.providers.openai.apiKey.source":    "env",
		"models.providers.openai.apiKey.id":        "WARDEN_AGENT_TOKEN",
		"models.providers.claude.baseUrl":          "http://127.0.0.1:8700/llm/claude",
		"models.providers.claude.api":              "anthropic-messages",
		"models.providers.claude.apiKey.provider":  "default",
		"proxy.proxyUrl":                           "http://researcher:${WARDEN_AGENT_TOKEN}@127.0.0.1:8701",
		"plugins.entries.warden.enabled":           true,
		"plugins.entries.warden.config.wardenUrl":  "http://127.0.0.1:8700",
		"plugins.entries.warden.config.tokenEnv":   "WARDEN_AGENT_TOKEN",
		"security.installPolicy.enabled":           true,
		"security.installPolicy.exec.source":       "exec",
		"security.installPolicy.exec.command":      "/usr/local/bin/warden",
		"security.installPolicy.exec.timeoutMs":    float64(installPolicyTimeoutMs),
		"tools.exec.mode":                          "ask",
		"mcp.servers.warden.url":                   "http://127.0.0.1:8700/mcp",
		"mcp.servers.warden.transport":             "streamable-http",
		"mcp.servers.warden.headers.Authorization": "Bearer ${WARDEN_AGENT_TOKEN}",
	}
	for path, v := range want {
		if got := get(t, cfg, path); got != v {
			t.Errorf("%s = %#v, want %#v", path, got, v)
		}
	}
	if got, _ := json.Marshal(get(t, cfg, "security.installPolicy.exec.args")); string(got) != `["openclaw","install-policy"]` {
		t.Errorf("installPolicy args = %s", got)
	}
	if got, _ := json.Marshal(get(t, cfg, "plugins.load.paths")); string(got) != `["/opt/warden/plugin"]` {
		t.Errorf("plugins.load.paths = %s", got)
	}
}

func TestBuildLeavesOutWhatWasNotAskedFor(t *testing.T) {
	o := validOptions()
	o.ProxyURL, o.PluginPath, o.ExecMode = "", "", ""
	patch, err := Build(o)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"proxy", "tools"} {
		if _, ok := patch[k]; ok {
			t.Errorf("%s is in the patch though it was not asked for", k)
		}
	}
	if dig(patch, "plugins", "load") != nil {
		t.Error("plugins.load is set without a plugin path")
	}
	if dig(patch, "plugins", "entries", PluginID, "enabled") != true {
		t.Error("the plugin entry must still be enabled (for a plugin installed with openclaw plugins install)")
	}
}

func TestBuildRefusesOptionsOpenClawWouldMisread(t *testing.T) {
	for name, change := range map[string]func(*Options){
		"warden URL with a path":       func(o *Options) { o.WardenURL = "http://127.0.0.1:8700/llm" },
		"warden URL with credentials":  func(o *Options) { o.WardenURL = "http://a:b@127.0.0.1:8700" },
		"warden URL not http":          func(o *Options) { o.WardenURL = "ftp://127.0.0.1" },
		"https proxy":                  func(o *Options) { o.ProxyURL = "https://127.0.0.1:8701" },
		"agent with a colon":           func(o *Options) { o.Agent = "a:b" },
		"no agent":                     func(o *Options) { o.Agent = "" },
		"lower-case token variable":    func(o *Options) { o.TokenEnv = "warden_token" },
		"token variable with a dollar": func(o *Options) { o.TokenEnv = "$X" },
		"relative plugin path":         func(o *Options) { o.PluginPath = "plugin" },
		"relative warden binary":       func(o *Options) { o.WardenBin = "warden" },
		"unknown exec mode":            func(o *Options) { o.ExecMode = "yolo" },
		"no provider":                  func(o *Options) { o.Providers = nil },
		"unknown protocol":             func(o *Options) { o.Providers = []Provider{{"g", "gemini"}} },
		"provider name with a slash":   func(o *Options) { o.Providers = []Provider{{"a/b", "openai"}} },
		"provider twice":               func(o *Options) { o.Providers = []Provider{{"a", "openai"}, {"a", "anthropic"}} },
	} {
		o := validOptions()
		change(&o)
		if _, err := Build(o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
