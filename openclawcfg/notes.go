package openclawcfg

import (
	"fmt"
	"sort"
	"strings"
)

// Notes are what a person must know about a config before or after the
// patch, that the patch itself cannot settle: providers that still go
// around Warden, headers that could carry credentials, plaintext keys left
// behind. before is the config as it was, after the merged one (nil when
// only printing).
func Notes(before, after map[string]any, o Options) []string {
	var notes []string
	cfg := after
	if cfg == nil {
		cfg = before
	}
	base := strings.TrimRight(o.WardenURL, "/") + "/llm/"
	routed := map[string]bool{}
	for _, p := range o.Providers {
		routed[p.Name] = true
	}
	provs, _ := dig(cfg, "models", "providers").(map[string]any)
	names := make([]string, 0, len(provs))
	for n := range provs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p, _ := provs[n].(map[string]any)
		if p == nil {
			continue
		}
		if bu, _ := p["baseUrl"].(string); !routed[n] && !strings.HasPrefix(bu, base) {
			notes = append(notes, fmt.Sprintf("models.providers.%s (%s) does not go through Warden: give Warden a provider for it (warden.yaml providers) and rerun, or remove it", n, hostOf(bu)))
		}
		if !routed[n] {
			continue
		}
		for _, k := range []string{"headers", "request", "auth", "authHeader"} {
			if _, ok := p[k]; ok {
				notes = append(notes, fmt.Sprintf("models.providers.%s.%s is set: make sure it carries no provider credentials and does not replace the Warden token", n, k))
			}
		}
	}
	if after != nil {
		if bp, _ := dig(before, "models", "providers").(map[string]any); bp != nil {
			for _, n := range names {
				if !routed[n] {
					continue
				}
				if old, _ := dig(bp, n, "apiKey").(string); old != "" && !strings.HasPrefix(old, "${") {
					notes = append(notes, fmt.Sprintf("models.providers.%s.apiKey held a literal key: it is gone from openclaw.json but still in the backup — check the backup, delete it, and rotate that key", n))
				}
			}
		}
	}
	if primary, _ := dig(cfg, "agents", "defaults", "model", "primary").(string); primary != "" {
		prov, _, _ := strings.Cut(primary, "/")
		if !routed[prov] {
			notes = append(notes, fmt.Sprintf("agents.defaults.model.primary is %q: provider %s is not routed through Warden", primary, prov))
		}
	}
	notes = append(notes, mcpNotes(cfg)...)
	if o.PluginPath == "" {
		notes = append(notes, "no --plugin-path: install the plugin with `openclaw plugins install <warden>/integrations/openclaw/plugin` (through the install policy), or rerun with --plugin-path")
	}
	if o.ProxyURL == "" {
		notes = append(notes, "no --proxy: OpenClaw's own HTTP traffic is not sent through Warden's egress proxy")
	}
	notes = append(notes,
		"OpenClaw must have "+o.TokenEnv+" (the agent's Warden token) in its environment; the token is never written to openclaw.json",
		"exec children of OpenClaw do not use the proxy: load the firewall rules of `warden egress rules --uid <agent user>` too")
	return notes
}

// mcpNotes names what would keep the agent from Warden's MCP tools though
// the server entry is there: the entry switched off or set to OAuth (which
// drops the static token header), or a tool policy that hides MCP tools.
func mcpNotes(cfg map[string]any) []string {
	var notes []string
	path := "mcp.servers." + MCPServerName
	srv, _ := dig(cfg, "mcp", "servers", MCPServerName).(map[string]any)
	if enabled, ok := srv["enabled"].(bool); ok && !enabled {
		notes = append(notes, path+".enabled is false: the agent gets none of Warden's workspace tools; remove it or set it to true")
	}
	if srv["auth"] == "oauth" {
		notes = append(notes, path+".auth is \"oauth\": OpenClaw then ignores the Authorization header with the agent's token; remove auth")
	}
	if profile, _ := dig(cfg, "tools", "profile").(string); profile == "minimal" {
		notes = append(notes, "tools.profile is \"minimal\", which hides MCP tools: the agent gets none of Warden's workspace tools")
	}
	deny, _ := dig(cfg, "tools", "deny").([]any)
	for _, d := range deny {
		if s, _ := d.(string); s == "bundle-mcp" || s == "*" || strings.HasPrefix(s, MCPServerName+"__") {
			notes = append(notes, fmt.Sprintf("tools.deny holds %q, which hides Warden's workspace tools from the agent", s))
		}
	}
	return notes
}

// dig follows keys through nested objects; nil when any is missing.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// hostOf is the host of a base URL, for a note; never its credentials.
func hostOf(u string) string {
	_, rest, ok := strings.Cut(u, "://")
	if !ok {
		return "built-in endpoint"
	}
	authority, _, _ := strings.Cut(rest, "/")
	if at := strings.LastIndex(authority, "@"); at >= 0 {
		authority = authority[at+1:]
	}
	return authority
}
