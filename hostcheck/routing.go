package hostcheck

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/titanous/json5"
)

// PluginID is the id of Warden's OpenClaw plugin
// (integrations/openclaw/plugin/openclaw.plugin.json).
const PluginID = "warden"

// proxyVars are the variables that give OpenClaw's runtime an HTTP proxy.
var proxyVars = []string{"OPENCLAW_PROXY_URL", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"}

// checkRouting: models through Warden's model plane, a proxy, Warden's
// plugin, Warden as the install policy.
func (h *host) checkRouting() {
	h.checkProviders()
	h.checkProxy()
	h.checkPlugin()
	h.checkInstallPolicy()
}

// routed says whether a provider's baseUrl is Warden's model plane: under
// --warden-url's /llm/ when given, any /llm/ path otherwise.
func (h *host) routed(base string) bool {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return false
	}
	if h.o.WardenURL == "" {
		return strings.Contains(u.Path+"/", "/llm/")
	}
	w, err := url.Parse(h.o.WardenURL)
	if err != nil {
		return false
	}
	return strings.EqualFold(u.Scheme, w.Scheme) && strings.EqualFold(u.Hostname(), w.Hostname()) &&
		portOf(u) == portOf(w) && strings.HasPrefix(u.Path, strings.TrimSuffix(w.Path, "/")+"/llm/")
}

func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "https") {
		return "443"
	}
	return "80"
}

// checkProviders looks at every custom provider's baseUrl — in the config
// and each agent's models.json — and at the models the agents use: a
// model of a built-in provider (openai/…, anthropic/…) goes to the vendor.
func (h *host) checkProviders() {
	defined := map[string]bool{}
	check := func(file, where string, providers map[string]any) {
		ids := make([]string, 0, len(providers))
		for id := range providers {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			defined[id] = true
			base := str(get(providers[id], "baseUrl"))
			if h.routed(base) {
				continue
			}
			ev := "baseUrl " + base
			if base == "" {
				ev = "no baseUrl: the provider's own endpoint"
			}
			h.add("models.direct", dflt, file, fmt.Sprintf("%s.%s calls its provider directly", where, id), ev, where+"."+id)
		}
	}
	check(h.cfg.Path, "models.providers", obj(h.cfg.Get("models", "providers")))
	agents, _ := filepath.Glob(filepath.Join(h.o.StateDir, "agents", "*", "agent", "models.json"))
	for _, p := range agents {
		b, err := os.ReadFile(p)
		if err != nil {
			h.skipped = append(h.skipped, fmt.Sprintf("%s: %v", h.rel(p), err))
			continue
		}
		var v map[string]any
		if err := json5.Unmarshal(b, &v); err != nil {
			h.skipped = append(h.skipped, fmt.Sprintf("%s: not JSON5: %v", h.rel(p), err))
			continue
		}
		providers := obj(v["providers"])
		if providers == nil {
			providers = obj(get(v, "models", "providers"))
		}
		check(p, "providers", providers)
	}
	// Models named by the agents whose provider no config defines.
	refs := map[string]string{} // provider → where it is named
	addModel := func(where string, v any) {
		var names []string
		switch m := v.(type) {
		case string:
			names = []string{m}
		case map[string]any:
			names = append([]string{str(m["primary"])}, stringList(m["fallbacks"])...)
		}
		for _, n := range names {
			if p, _, ok := strings.Cut(n, "/"); ok && p != "" && !defined[p] {
				if _, dup := refs[p]; !dup {
					refs[p] = where + " = " + n
				}
			}
		}
	}
	addModel("agents.defaults.model", h.cfg.Get("agents", "defaults", "model"))
	for id, e := range h.cfg.agentEntries() {
		addModel("agents.entries."+id+".model", e["model"])
	}
	for p, where := range refs {
		h.add("models.direct", dflt, h.cfg.Path, fmt.Sprintf("models of the built-in provider %q go to the vendor, not through Warden", p), where, "builtin."+p)
	}
}

// checkProxy: proxy.proxyUrl, a proxy variable in the config's env.vars,
// the state folder's .env, or the environment of a running OpenClaw.
func (h *host) checkProxy() {
	if u := str(h.cfg.Get("proxy", "proxyUrl")); u != "" && boolOr(h.cfg.Get("proxy", "enabled"), true) {
		return
	}
	vars := obj(h.cfg.Get("env", "vars"))
	for _, k := range proxyVars {
		if str(vars[k]) != "" {
			return
		}
	}
	if b, err := os.ReadFile(filepath.Join(h.o.StateDir, ".env")); err == nil {
		s := bufio.NewScanner(bytes.NewReader(b))
		for s.Scan() {
			k, v, _ := strings.Cut(strings.TrimPrefix(strings.TrimSpace(s.Text()), "export "), "=")
			if slices.Contains(proxyVars, strings.TrimSpace(k)) && strings.Trim(strings.TrimSpace(v), `"'`) != "" {
				return
			}
		}
	}
	for _, p := range h.procs {
		if p.Kind != KindOpenClaw {
			continue
		}
		for _, k := range proxyVars {
			if p.Env[k] != "" {
				return
			}
		}
	}
	ev := "no proxy.proxyUrl, no OPENCLAW_PROXY_URL or HTTP(S)_PROXY in env.vars or .env"
	if h.o.Processes {
		ev += " or a running OpenClaw's environment"
	}
	h.add("proxy.missing", dflt, h.cfg.Path, "OpenClaw's runtime HTTP traffic does not go through a proxy", ev, "")
}

// checkPlugin: Warden's plugin must be enabled in plugins.entries, allowed,
// not denied, and found where OpenClaw loads plugins from. (load.paths
// alone reports the plugin as loaded but it never registers.)
func (h *host) checkPlugin() {
	var why []string
	if !boolOr(h.cfg.Get("plugins", "enabled"), true) {
		why = append(why, "plugins.enabled is false")
	}
	if !boolOr(h.cfg.Get("plugins", "entries", PluginID, "enabled"), false) {
		why = append(why, "plugins.entries."+PluginID+".enabled is not true")
	}
	if slices.Contains(stringList(h.cfg.Get("plugins", "deny")), PluginID) {
		why = append(why, "plugins.deny lists it")
	}
	if allow := stringList(h.cfg.Get("plugins", "allow")); len(allow) > 0 && !slices.Contains(allow, PluginID) {
		why = append(why, "plugins.allow does not list it")
	}
	if !h.pluginInstalled() {
		why = append(why, "no plugin with id "+PluginID+" in plugins.load.paths or the extensions folders")
	}
	if len(why) > 0 {
		h.add("plugin.missing", dflt, h.cfg.Path, "the Warden plugin is not loaded: tool calls are not asked of Warden", strings.Join(why, "; "), "")
	}
}

// pluginInstalled looks for an openclaw.plugin.json with Warden's id in
// plugins.load.paths and in <state>/extensions and each workspace's
// .openclaw/extensions.
func (h *host) pluginInstalled() bool {
	var dirs []string
	for _, p := range stringList(h.cfg.Get("plugins", "load", "paths")) {
		p = expandHome(p, filepath.Dir(h.o.StateDir))
		if !filepath.IsAbs(p) {
			p = filepath.Join(filepath.Dir(h.cfg.Path), p)
		}
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			p = filepath.Dir(p)
		}
		dirs = append(dirs, p)
	}
	roots := []string{filepath.Join(h.o.StateDir, "extensions")}
	for _, ws := range h.workspaces() {
		roots = append(roots, filepath.Join(ws, ".openclaw", "extensions"))
	}
	for _, r := range roots {
		ents, _ := os.ReadDir(r)
		for _, e := range ents {
			dirs = append(dirs, filepath.Join(r, e.Name()))
		}
	}
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "openclaw.plugin.json"))
		if err != nil {
			continue
		}
		var m struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(b, &m) == nil && m.ID == PluginID {
			return true
		}
	}
	return false
}

// checkInstallPolicy: security.installPolicy must run
// `warden openclaw install-policy` for skills.
func (h *host) checkInstallPolicy() {
	ip := obj(h.cfg.Get("security", "installPolicy"))
	var why []string
	switch {
	case ip == nil:
		why = append(why, "security.installPolicy is not set")
	case !boolOr(ip["enabled"], false):
		why = append(why, "security.installPolicy.enabled is not true")
	}
	if ip != nil {
		exec := obj(ip["exec"])
		cmd := str(exec["command"])
		if str(exec["source"]) != "exec" {
			why = append(why, `exec.source is not "exec"`)
		}
		if !filepath.IsAbs(cmd) || !strings.HasPrefix(filepath.Base(cmd), "warden") {
			why = append(why, fmt.Sprintf("exec.command %q is not an absolute path to warden", cmd))
		}
		if args := stringList(exec["args"]); !slices.Equal(args, []string{"openclaw", "install-policy"}) {
			why = append(why, fmt.Sprintf("exec.args %q are not [openclaw, install-policy]", args))
		}
		if t := stringList(ip["targets"]); len(t) > 0 && !slices.Contains(t, "skill") {
			why = append(why, "targets leave out skills")
		}
	}
	if len(why) > 0 {
		h.add("installpolicy.missing", dflt, h.cfg.Path, "skill installs are not checked by Warden's scanner", strings.Join(why, "; "), "")
	}
}
