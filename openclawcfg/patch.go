// Package openclawcfg builds the OpenClaw configuration that puts an
// OpenClaw agent behind Warden — model providers through the model plane,
// runtime HTTP through the egress proxy, the Warden plugin loaded and
// enabled, Warden's MCP server (the agent's workspaces), skill and plugin
// installs vetted by `warden openclaw install-policy` — merges it into an
// existing openclaw.json, and installs the warden-workspaces skill.
//
// Checked against OpenClaw 2026.9.6: every key written here passes its
// `openclaw config validate` (see the tests).
package openclawcfg

import (
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// PluginID is the Warden plugin's id in openclaw.plugin.json.
const PluginID = "warden"

// MCPServerName is Warden's key in OpenClaw's mcp.servers: OpenClaw names
// the server's tools <name>__<tool> (warden__file_read), and the skill
// warden-workspaces uses those names.
const MCPServerName = "warden"

// DefaultTokenEnv is the environment variable the agent's Warden token is
// read from, by OpenClaw and by the plugin alike.
const DefaultTokenEnv = "WARDEN_AGENT_TOKEN"

// installPolicyTimeoutMs bounds one `warden openclaw install-policy` run: a
// large skill is unpacked and scanned, well under this on a small machine.
const installPolicyTimeoutMs = 30000

// envName is what both OpenClaw's env SecretRef (`^[A-Z][A-Z0-9_]{0,127}$`)
// and its ${VAR} substitution (upper case only) accept.
var envName = regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,127}$`)

// ExecModes are the values of OpenClaw's tools.exec.mode.
var ExecModes = []string{"deny", "allowlist", "ask", "auto", "full"}

// Provider is one model-plane upstream of Warden, as OpenClaw will see it.
type Provider struct {
	Name     string // Warden's provider name: the <name> in /llm/<name>
	Protocol string // openai or anthropic
}

// Options say where Warden is and who the agent is.
type Options struct {
	WardenURL  string     // Warden's API and model plane, e.g. http://127.0.0.1:8700
	Agent      string     // the agent's name in Warden: the proxy user name
	TokenEnv   string     // variable holding the agent's Warden token
	ProxyURL   string     // Warden's egress proxy, e.g. http://127.0.0.1:8701; "" sets none
	PluginPath string     // the plugin's folder, absolute; "" when it is installed with `openclaw plugins install`
	WardenBin  string     // absolute, symlink-free path of the warden binary for installPolicy
	Providers  []Provider // the model-plane providers to route
	ExecMode   string     // tools.exec.mode to set; "" leaves it alone
}

// Build returns the patch: an openclaw.json-shaped object to merge
// recursively into the existing config. It holds no secret — the token is
// named, never included.
func Build(o Options) (map[string]any, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	base := strings.TrimRight(o.WardenURL, "/")
	providers := map[string]any{}
	for _, p := range o.Providers {
		entry := map[string]any{
			// An env SecretRef, not "${VAR}": an unresolved ref stops
			// OpenClaw at start instead of sending an empty key.
			"apiKey": map[string]any{"source": "env", "provider": "default", "id": o.TokenEnv},
		}
		switch p.Protocol {
		case "openai":
			entry["baseUrl"] = base + "/llm/" + p.Name + "/v1"
			entry["api"] = "openai-completions"
		case "anthropic":
			entry["baseUrl"] = base + "/llm/" + p.Name
			entry["api"] = "anthropic-messages"
		}
		providers[p.Name] = entry
	}
	pluginEntry := map[string]any{
		// Without enabled: true OpenClaw lists the plugin as loaded but
		// never runs its hooks (fails open; see the plugin's README).
		"enabled": true,
		"config":  map[string]any{"wardenUrl": base, "tokenEnv": o.TokenEnv},
	}
	plugins := map[string]any{"entries": map[string]any{PluginID: pluginEntry}}
	if o.PluginPath != "" {
		plugins["load"] = map[string]any{"paths": []any{o.PluginPath}}
	}
	patch := map[string]any{
		"models":  map[string]any{"providers": providers},
		"mcp":     map[string]any{"servers": map[string]any{MCPServerName: MCPServer(base, o.TokenEnv)}},
		"plugins": plugins,
		"security": map[string]any{"installPolicy": map[string]any{
			"enabled": true,
			"exec": map[string]any{
				"source":    "exec",
				"command":   o.WardenBin,
				"args":      []any{"openclaw", "install-policy"},
				"timeoutMs": installPolicyTimeoutMs,
			},
		}},
	}
	if o.ProxyURL != "" {
		patch["proxy"] = map[string]any{"proxyUrl": proxyWithCredentials(o.ProxyURL, o.Agent, o.TokenEnv)}
	}
	if o.ExecMode != "" {
		patch["tools"] = map[string]any{"exec": map[string]any{"mode": o.ExecMode}}
	}
	return patch, nil
}

// MCPServer is OpenClaw's mcp.servers entry for Warden's MCP server at
// <wardenURL>/mcp: Streamable HTTP, with the agent's token as a bearer
// header that OpenClaw fills from the variable tokenEnv when it loads the
// config (an unset variable stops it there). The token is never written.
func MCPServer(wardenURL, tokenEnv string) map[string]any {
	return map[string]any{
		"url":       strings.TrimRight(wardenURL, "/") + "/mcp",
		"transport": "streamable-http",
		"headers":   map[string]any{"Authorization": "Bearer ${" + tokenEnv + "}"},
	}
}

// proxyWithCredentials puts "agent:${TOKEN_ENV}" into the proxy URL: Warden's
// proxy authenticates with Basic name:token, and OpenClaw substitutes the
// variable when it loads the config. The token is never written.
func proxyWithCredentials(proxy, agent, tokenEnv string) string {
	u, _ := url.Parse(proxy) // checked
	return u.Scheme + "://" + url.PathEscape(agent) + ":${" + tokenEnv + "}@" + u.Host
}

func (o Options) check() error {
	if err := checkBaseURL("--warden", o.WardenURL); err != nil {
		return err
	}
	if o.ProxyURL != "" {
		if err := checkBaseURL("--proxy", o.ProxyURL); err != nil {
			return err
		}
		if u, _ := url.Parse(o.ProxyURL); u.Scheme != "http" {
			return fmt.Errorf("--proxy %q: Warden's egress proxy speaks plain http", o.ProxyURL)
		}
	}
	if o.Agent == "" || strings.ContainsAny(o.Agent, ":@/ \t\r\n") {
		return fmt.Errorf("agent name %q: want the agent's name in Warden (no ':', '@', '/' or spaces)", o.Agent)
	}
	if !envName.MatchString(o.TokenEnv) {
		return fmt.Errorf("token variable %q: OpenClaw reads only upper-case names (A-Z, 0-9, _; first a letter)", o.TokenEnv)
	}
	if o.PluginPath != "" && !filepath.IsAbs(o.PluginPath) {
		return fmt.Errorf("plugin path %q is not absolute", o.PluginPath)
	}
	if !filepath.IsAbs(o.WardenBin) {
		return fmt.Errorf("warden binary %q is not absolute: OpenClaw's install policy runs absolute paths only", o.WardenBin)
	}
	if o.ExecMode != "" && !slices.Contains(ExecModes, o.ExecMode) {
		return fmt.Errorf("exec mode %q: want one of %s", o.ExecMode, strings.Join(ExecModes, ", "))
	}
	if len(o.Providers) == 0 {
		return fmt.Errorf("no model provider to route: configure providers in warden.yaml (--config) or pass --provider NAME=openai|anthropic")
	}
	seen := map[string]bool{}
	for _, p := range o.Providers {
		if p.Name == "" || strings.ContainsAny(p.Name, "/?#% \t\r\n") {
			return fmt.Errorf("provider name %q: not usable in a URL path", p.Name)
		}
		if p.Protocol != "openai" && p.Protocol != "anthropic" {
			return fmt.Errorf("provider %s: protocol %q, want openai or anthropic", p.Name, p.Protocol)
		}
		if seen[p.Name] {
			return fmt.Errorf("provider %s given twice", p.Name)
		}
		seen[p.Name] = true
	}
	return nil
}

// checkBaseURL accepts http(s)://host[:port] with no path, query or
// credentials: the paths are Warden's, and a token never goes in a URL the
// user typed on a command line.
func checkBaseURL(flag, s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%s %q: %w", flag, s, err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("%s %q: want http:// or https://", flag, s)
	case u.Host == "":
		return fmt.Errorf("%s %q: no host", flag, s)
	case u.User != nil:
		return fmt.Errorf("%s %q: no credentials in the URL (the token comes from the environment)", flag, s)
	case strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("%s %q: give the base URL only (scheme, host and port)", flag, s)
	}
	return nil
}
