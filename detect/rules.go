// Package detect watches the audit stream for agents misbehaving: sliding
// windows per principal and rule, thresholds and actions from
// configuration (each rule has a default). A rule that fires records an
// alert that names the events behind it and, if its action is lock,
// locks the principal on every plane until an admin unlocks it. Rules run
// in enforce or shadow mode (shadow: record what would have happened).
package detect

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/config"
)

// Action is what a rule does when it fires.
type Action string

// Actions, mildest first.
const (
	Record Action = "record" // an event on the record, no alert
	Alert  Action = "alert"  // an alert for people
	Lock   Action = "lock"   // an alert, and the principal is locked
)

// Rule is one detection rule, as configured.
type Rule struct {
	Name      string
	Threshold int
	Window    time.Duration
	Action    Action
	Shadow    bool
	Severity  string
	// match says whether ev counts for the rule, and under which key
	// within the principal ("" for one window per principal).
	match func(ev *warden.Event) (bool, string)
	about string
	// keyName names the key in alerts' reasons ("share shr_…"); "" leaves
	// the key out.
	keyName string
}

// isPermissionChange reports whether an action changes who may do what:
// principals, their tokens and locks, grants, workspaces, approvals and
// alerts. Reads and lists are not changes.
func isPermissionChange(a string) bool {
	switch a {
	case "member.grant", "member.revoke", "workspace.create", "workspace.label",
		"approval.approve", "approval.deny", "alert.acknowledge", "alert.resolve":
		return true
	}
	noun, verb, _ := strings.Cut(a, ".")
	if noun != "agent" && noun != "human" {
		return false
	}
	switch verb {
	case "create", "lock", "unlock", "revoke", "token.create":
		return true
	}
	return false
}

// isMessageTool reports whether a tool's name says it sends something: a
// word such as send, post, reply or message, and no word that says it only
// reads (read_email, search_mail, list_messages do not send).
func isMessageTool(tool string) bool {
	words := strings.FieldsFunc(tool, func(r rune) bool { return !('a' <= r && r <= 'z' || '0' <= r && r <= '9') })
	sends := false
	for _, w := range words {
		switch w {
		case "read", "get", "list", "search", "fetch", "query", "find", "show", "view":
			return false
		case "send", "post", "reply", "message", "sms", "tweet", "publish", "forward":
			sends = true
		}
	}
	return sends
}

// defaults returns the built-in rules.
func defaults() map[string]Rule {
	agent := func(ev *warden.Event) bool { return ev.Kind == warden.KindAgent }
	rules := []Rule{
		{Name: "high_volume_reads", Threshold: 200, Window: time.Minute, Action: Alert, Severity: "medium",
			about: "file reads", match: func(ev *warden.Event) (bool, string) {
				return ev.Action == "file.read" && ev.Decision.Effect == warden.Allow && ev.Error == "", ""
			}},
		{Name: "mass_delete", Threshold: 20, Window: time.Minute, Action: Lock, Severity: "high",
			about: "deletes or overwrites", match: func(ev *warden.Event) (bool, string) {
				if ev.Decision.Effect != warden.Allow || ev.Error != "" {
					return false, ""
				}
				overwrite := ev.Action == "file.write" && ev.Details["created"] == false
				return ev.Action == "file.delete" || overwrite, ""
			}},
		{Name: "unusual_tool", Threshold: 1, Window: 10 * time.Minute, Action: Alert, Severity: "medium",
			about: "calls of tools outside the profile", match: unusualTool},
		{Name: "unusual_tool_repeated", Threshold: 5, Window: 10 * time.Minute, Action: Lock, Severity: "high",
			about: "repeated calls of tools outside the profile", match: unusualTool},
		{Name: "permission_change", Threshold: 1, Window: time.Minute, Action: Lock, Severity: "high",
			about: "attempts to change grants, tokens or principals", match: func(ev *warden.Event) (bool, string) {
				if !agent(ev) {
					return false, ""
				}
				return isPermissionChange(ev.Action), ""
			}},
		{Name: "denial_burst", Threshold: 10, Window: time.Minute, Action: Alert, Severity: "medium",
			about: "egress denials, DLP blocks or injection detections", match: func(ev *warden.Event) (bool, string) {
				switch {
				case ev.Action == "egress.connect" && ev.Decision.Effect == warden.Deny:
					return true, ""
				case ev.Action == "llm.call" && ev.Decision.Effect == warden.Deny && (ev.Decision.Rule == "llm.dlp" || ev.Decision.Rule == "llm.output"):
					return true, ""
				case ev.Action == "llm.call":
					inj, _ := ev.Details["injection"].(map[string]any)
					n, _ := inj["flagged"].(int)
					f, _ := inj["flagged"].(float64)
					return n > 0 || f > 0, ""
				}
				return false, ""
			}},
		{Name: "egress_first_seen", Threshold: 1, Window: 0, Action: Record, Severity: "low",
			about: "first connections", match: func(ev *warden.Event) (bool, string) {
				if ev.Action != "egress.connect" || ev.Decision.Effect != warden.Allow || ev.Error != "" {
					return false, ""
				}
				return true, fmt.Sprint(ev.Details["host"])
			}},
		{Name: "message_volume", Threshold: 30, Window: 10 * time.Minute, Action: Lock, Severity: "high",
			about: "messages sent", match: func(ev *warden.Event) (bool, string) {
				return ev.Action == "tool.decide" && ev.Decision.Effect == warden.Allow && isMessageTool(ev.Target) && ev.Details["source"] != "model", ""
			}},
		// Anonymous: a recipient guessing codes for a share link. Counted
		// per share (the target), so many addresses cannot spread a
		// guessing run thin; an alert, since there is no one to lock.
		{Name: "share_code_failures", Threshold: 10, Window: 10 * time.Minute, Action: Alert, Severity: "medium",
			about: "wrong codes for one share link", keyName: "share", match: func(ev *warden.Event) (bool, string) {
				// Wrong, expired or burnt codes and wrong passwords; not a
				// code posted to a link that no longer opens.
				r := ev.Decision.Rule
				wrong := strings.HasPrefix(r, "share.code.") || r == "share.password.wrong"
				return ev.Action == "share.code_fail" && ev.Decision.Effect == warden.Deny && wrong, ev.Target
			}},
		{Name: "runaway_loop", Threshold: 20, Window: 2 * time.Minute, Action: Lock, Severity: "high",
			about: "the same tool call", match: func(ev *warden.Event) (bool, string) {
				if ev.Action != "tool.decide" || ev.Details["source"] == "model" {
					return false, ""
				}
				h, _ := ev.Details["action"].(string)
				return h != "", h
			}},
	}
	out := map[string]Rule{}
	for _, r := range rules {
		out[r.Name] = r
	}
	return out
}

// unusualTool matches a tool call the profile denies by its lists (the
// agent tried a tool its job does not include), not a rule or a rate.
func unusualTool(ev *warden.Event) (bool, string) {
	if ev.Action != "tool.decide" || ev.Decision.Effect != warden.Deny || ev.Details["source"] == "model" {
		return false, ""
	}
	r := ev.Decision.Rule
	return strings.HasSuffix(r, ".tools.deny") || r == "policy.unknown_profile", ""
}

// Names lists the built-in rules, sorted.
func Names() []string {
	var out []string
	for n := range defaults() {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Compile applies configuration to the built-in rules; an unknown rule or a
// bad value is an error naming it.
func Compile(cfg map[string]config.DetectRule) (map[string]Rule, error) {
	rules := defaults()
	names := make([]string, 0, len(cfg))
	for n := range cfg {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		c := cfg[name]
		r, ok := rules[name]
		if !ok {
			known := make([]string, 0, len(rules))
			for k := range rules {
				known = append(known, k)
			}
			sort.Strings(known)
			return nil, fmt.Errorf("detect.%s: no such rule (rules: %s)", name, strings.Join(known, ", "))
		}
		if c.Threshold < 0 || c.Window < 0 {
			return nil, fmt.Errorf("detect.%s: threshold and window cannot be negative", name)
		}
		if c.Threshold > 0 {
			r.Threshold = c.Threshold
		}
		if c.Window > 0 {
			r.Window = c.Window.D()
		}
		switch Action(c.Action) {
		case "":
		case Record, Alert, Lock:
			r.Action = Action(c.Action)
		default:
			return nil, fmt.Errorf("detect.%s.action: %q is not record, alert or lock", name, c.Action)
		}
		switch c.Mode {
		case "", "enforce":
		case "shadow":
			r.Shadow = true
		case "off":
			delete(rules, name)
			continue
		default:
			return nil, fmt.Errorf("detect.%s.mode: %q is not enforce, shadow or off", name, c.Mode)
		}
		rules[name] = r
	}
	return rules, nil
}
