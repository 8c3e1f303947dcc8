package openclawcfg

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/titanous/json5"
)

func parse(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json5.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("parse %s: %v", s, err)
	}
	return m
}

func TestMergeKeepsWhatThePatchDoesNotTouch(t *testing.T) {
	cfg := parse(t, `{gateway: {port: 18789, bind: "loopback"}, models: {providers: {openai: {models: [{id: "gpt-4.1"}], baseUrl: "https://api.openai.com/v1"}}}}`)
	patch, _ := Build(validOptions())
	Merge(cfg, patch)
	if get(t, cfg, "gateway.bind") != "loopback" || get(t, cfg, "gateway.port") != float64(18789) {
		t.Errorf("gateway changed: %v", cfg["gateway"])
	}
	if ms, _ := get(t, cfg, "models.providers.openai.models").([]any); len(ms) != 1 {
		t.Errorf("the provider's model list was lost: %v", get(t, cfg, "models.providers.openai"))
	}
	if get(t, cfg, "models.providers.openai.baseUrl") != "http://127.0.0.1:8700/llm/openai/v1" {
		t.Errorf("baseUrl not routed: %v", get(t, cfg, "models.providers.openai.baseUrl"))
	}
}

func TestMergeAddsThePluginToLoadPathsAndAllowList(t *testing.T) {
	cfg := parse(t, `{plugins: {load: {paths: ["/opt/other"]}, allow: ["telegram"], deny: ["warden", "x"], enabled: false}}`)
	patch, _ := Build(validOptions())
	Merge(cfg, patch)
	for path, want := range map[string]string{
		"plugins.load.paths": `["/opt/other","/opt/warden/plugin"]`,
		"plugins.allow":      `["telegram","warden"]`,
		"plugins.deny":       `["x"]`,
		"plugins.enabled":    `true`,
	} {
		if got, _ := json.Marshal(get(t, cfg, path)); string(got) != want {
			t.Errorf("%s = %s, want %s", path, got, want)
		}
	}
}

func TestMergeTwiceChangesNothingTheSecondTime(t *testing.T) {
	cfg := parse(t, `{plugins: {load: {paths: ["/opt/other"]}}, proxy: {proxyUrl: "http://elsewhere:3128"}}`)
	patch, _ := Build(validOptions())
	if first := Merge(cfg, patch); len(first) == 0 {
		t.Fatal("the first merge changed nothing")
	}
	if again := Merge(cfg, patch); len(again) != 0 {
		t.Errorf("the second merge changed %v", again)
	}
}

func TestAsPatchAppliedWithOpenClawsRulesGivesTheMergedConfig(t *testing.T) {
	// openclaw config patch: objects merge recursively, lists and scalars replace.
	var apply func(dst, p map[string]any)
	apply = func(dst, p map[string]any) {
		for k, v := range p {
			if pm, ok := v.(map[string]any); ok {
				if dm, ok := dst[k].(map[string]any); ok {
					apply(dm, pm)
					continue
				}
			}
			dst[k] = v
		}
	}
	orig := `{plugins: {load: {paths: ["/opt/other"]}, allow: ["a"]}, models: {providers: {openai: {apiKey: "sk-x", headers: {X: "1"}}}}}`
	merged := parse(t, orig)
	patch, _ := Build(validOptions())
	changes := Merge(merged, patch)
	viaPatch := parse(t, orig)
	apply(viaPatch, normalize(AsPatch(changes)).(map[string]any))
	if !reflect.DeepEqual(merged, viaPatch) {
		a, _ := json.Marshal(merged)
		b, _ := json.Marshal(viaPatch)
		t.Errorf("merge:\n%s\nopenclaw config patch of AsPatch:\n%s", a, b)
	}
}

func TestChangesNeverShowAnOldSecret(t *testing.T) {
	cfg := parse(t, `{models: {providers: {openai: {apiKey: "sk-live-0123456789abcdef"}}}, proxy: {proxyUrl: "http://bob:hunter2secret@proxy:3128"}}`)
	patch, _ := Build(validOptions())
	var lines []string
	for _, c := range Merge(cfg, patch) {
		lines = append(lines, c.String())
	}
	out := strings.Join(lines, "\n")
	for _, secret := range []string{"sk-live-0123456789abcdef", "hunter2secret"} {
		if strings.Contains(out, secret) {
			t.Errorf("%q printed:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, "bob:***@proxy:3128") {
		t.Errorf("the old proxy URL is not shown masked:\n%s", out)
	}
}

func TestPathStringQuotesKeysThatAreNotIdentifiers(t *testing.T) {
	for _, tc := range []struct {
		path []string
		want string
	}{
		{[]string{"plugins", "entries", "warden"}, "plugins.entries.warden"},
		{[]string{"models", "providers", "my.provider"}, `models.providers["my.provider"]`},
		{[]string{"agents", "entries", "9"}, `agents.entries["9"]`},
	} {
		if got := PathString(tc.path); got != tc.want {
			t.Errorf("%v = %s, want %s", tc.path, got, tc.want)
		}
	}
}

func TestNotesNameProvidersThatStillGoAroundWarden(t *testing.T) {
	before := parse(t, `{models: {providers: {
		groq: {baseUrl: "https://u:pw@api.groq.com/openai/v1"},
		openai: {apiKey: "sk-literal", headers: {Authorization: "Bearer sk-other"}}}},
		agents: {defaults: {model: {primary: "groq/llama-3"}}}}`)
	after := Clone(before).(map[string]any)
	patch, _ := Build(validOptions())
	Merge(after, patch)
	notes := strings.Join(Notes(before, after, validOptions()), "\n")
	for _, want := range []string{
		"models.providers.groq (api.groq.com) does not go through Warden",
		"models.providers.openai.headers is set",
		"models.providers.openai.apiKey held a literal key",
		`agents.defaults.model.primary is "groq/llama-3"`,
	} {
		if !strings.Contains(notes, want) {
			t.Errorf("no note %q in:\n%s", want, notes)
		}
	}
	if strings.Contains(notes, "pw@") || strings.Contains(notes, "sk-literal") || strings.Contains(notes, "sk-other") {
		t.Errorf("a note shows a credential:\n%s", notes)
	}
}

func TestNotesNameWhatHidesWardensMCPTools(t *testing.T) {
	before := parse(t, `{mcp: {servers: {warden: {enabled: false, auth: "oauth"}}},
		tools: {profile: "minimal", deny: ["bundle-mcp", "warden__file_write", "exec"]}}`)
	after := Clone(before).(map[string]any)
	patch, _ := Build(validOptions())
	Merge(after, patch)
	notes := strings.Join(Notes(before, after, validOptions()), "\n")
	for _, want := range []string{
		"mcp.servers.warden.enabled is false",
		`mcp.servers.warden.auth is "oauth"`,
		`tools.profile is "minimal"`,
		`tools.deny holds "bundle-mcp"`,
		`tools.deny holds "warden__file_write"`,
	} {
		if !strings.Contains(notes, want) {
			t.Errorf("no note %q in:\n%s", want, notes)
		}
	}
	if strings.Contains(notes, `"exec"`) {
		t.Errorf("a note about a tool that is not Warden's:\n%s", notes)
	}
	clean := Clone(map[string]any{}).(map[string]any)
	Merge(clean, patch)
	if n := strings.Join(Notes(map[string]any{}, clean, validOptions()), "\n"); strings.Contains(n, "mcp.servers") || strings.Contains(n, "tools.") {
		t.Errorf("notes about MCP for a config that needs none:\n%s", n)
	}
}
