package hostcheck

import (
	"fmt"
	"slices"
	"strings"

	"github.com/wardenhq/warden/report"
)

// execMode is the exec policy of one scope (tools.exec or an agent's
// tools.exec): mode, else the legacy security/ask pair; "" when unset.
func execMode(exec map[string]any) string {
	if m := str(exec["mode"]); m != "" {
		return m
	}
	sec, ask := str(exec["security"]), str(exec["ask"])
	switch {
	case sec == "full" && (ask == "" || ask == "off"):
		return "full"
	case sec == "full":
		return "ask" // full with prompts: approval still happens
	}
	return sec
}

// execDenied says whether a tool policy takes exec away.
func execDenied(tools map[string]any) bool {
	runtime := []string{"exec", "bash", "group:runtime"}
	for _, d := range stringList(tools["deny"]) {
		if slices.Contains(runtime, d) {
			return true
		}
	}
	if allow := stringList(tools["allow"]); len(allow) > 0 {
		return !slices.ContainsFunc(allow, func(a string) bool { return slices.Contains(runtime, a) || a == "*" })
	}
	return false
}

// checkTools: exec mode full, the sandbox off, elevated exec reachable
// from open inbound channels. OpenClaw's defaults are exec "full" and
// sandbox "off", so an unset key is a finding.
func (h *host) checkTools() {
	cfg := h.cfg.Path
	tools := obj(h.cfg.Get("tools"))
	defMode := execMode(obj(tools["exec"]))
	defDenied := execDenied(tools)
	if !defDenied && (defMode == "" || defMode == "full") {
		ev := `tools.exec.mode = "full"`
		if defMode == "" {
			ev = `tools.exec.mode unset: OpenClaw's default is "full" (security full, ask off)`
		}
		h.add("exec.full", dflt, cfg, "host exec runs every command the model asks for, without approval (the approvals database can only tighten this: openclaw exec-policy show)", ev, "defaults")
	}
	defSandbox := str(h.cfg.Get("agents", "defaults", "sandbox", "mode"))
	h.sandboxFinding("agents.defaults.sandbox.mode", defSandbox, true)

	entries := h.cfg.agentEntries()
	ids := make([]string, 0, len(entries))
	for id := range entries {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		e := entries[id]
		at := obj(e["tools"])
		m := execMode(obj(at["exec"]))
		if m == "full" && defMode != "" && defMode != "full" && !defDenied && !execDenied(at) {
			h.add("exec.full", dflt, cfg, "agent "+id+" runs host exec without approval", "agents.entries."+id+`.tools.exec.mode = "full"`, id)
		}
		if s := str(get(e, "sandbox", "mode")); s != "" && s != defSandbox {
			h.sandboxFinding("agents.entries."+id+".sandbox.mode", s, false)
		}
	}

	if boolOr(h.cfg.Get("tools", "elevated", "enabled"), true) {
		if open := h.openInbound(); len(open) > 0 {
			h.add("elevated.open_inbound", dflt, cfg, "elevated exec (run on the host, approvals skippable with /elevated full) is enabled while messages from anyone reach the agent",
				"tools.elevated.enabled is not false; open: "+strings.Join(open, ", "), "")
		}
	}
}

// sandboxFinding reports a sandbox mode that leaves tools on the host.
func (h *host) sandboxFinding(key, mode string, isDefault bool) {
	switch mode {
	case "off", "":
		ev := key + ` = "off"`
		if mode == "" && isDefault {
			ev = key + ` unset: OpenClaw's default is "off"`
		}
		h.add("sandbox.off", dflt, h.cfg.Path, "tools run on the host, with the agent's user's rights", ev, key)
	case "non-main":
		h.add("sandbox.off", report.Low, h.cfg.Path, "the main session's tools run on the host; only other sessions are sandboxed", key+` = "non-main"`, key)
	}
}

// openInbound lists what lets anyone reach the agent: channels (or their
// accounts) with dmPolicy or groupPolicy "open" or allowFrom "*", and the
// gateway's HTTP agent endpoints without auth.
func (h *host) openInbound() []string {
	var out []string
	chans := obj(h.cfg.Get("channels"))
	defGroup := str(get(chans, "defaults", "groupPolicy"))
	names := make([]string, 0, len(chans))
	for n := range chans {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if n == "defaults" || n == "modelByChannel" {
			continue
		}
		c := obj(chans[n])
		if c == nil || !boolOr(c["enabled"], true) {
			continue
		}
		scopes := map[string]map[string]any{"channels." + n: c}
		for id, a := range obj(c["accounts"]) {
			if m := obj(a); m != nil && boolOr(m["enabled"], true) {
				scopes["channels."+n+".accounts."+id] = m
			}
		}
		for where, s := range scopes {
			group := str(s["groupPolicy"])
			if group == "" && where == "channels."+n {
				group = defGroup
			}
			switch {
			case str(s["dmPolicy"]) == "open":
				out = append(out, where+`.dmPolicy = "open"`)
			case group == "open":
				out = append(out, where+`.groupPolicy = "open"`)
			case slices.Contains(stringList(s["allowFrom"]), "*"):
				out = append(out, where+`.allowFrom = ["*"]`)
			}
		}
	}
	if str(h.cfg.Get("gateway", "auth", "mode")) == "none" {
		for _, ep := range []string{"chatCompletions", "responses"} {
			if boolOr(h.cfg.Get("gateway", "http", "endpoints", ep, "enabled"), false) {
				out = append(out, fmt.Sprintf("gateway.http.endpoints.%s without auth", ep))
			}
		}
	}
	slices.Sort(out)
	return out
}
