package detect

import (
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/config"
)

var allRules = []string{"denial_burst", "egress_first_seen", "high_volume_reads", "mass_delete", "message_volume",
	"permission_change", "runaway_loop", "share_code_failures", "unusual_tool", "unusual_tool_repeated"}

func TestCompileDefaults(t *testing.T) {
	rules, err := Compile(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != len(allRules) {
		t.Errorf("%d rules, want %d", len(rules), len(allRules))
	}
	want := map[string]struct {
		threshold int
		window    time.Duration
		action    Action
	}{
		"high_volume_reads":     {200, time.Minute, Alert},
		"mass_delete":           {20, time.Minute, Lock},
		"unusual_tool":          {1, 10 * time.Minute, Alert},
		"unusual_tool_repeated": {5, 10 * time.Minute, Lock},
		"permission_change":     {1, time.Minute, Lock},
		"denial_burst":          {10, time.Minute, Alert},
		"egress_first_seen":     {1, 0, Record},
		"message_volume":        {30, 10 * time.Minute, Lock},
		"runaway_loop":          {20, 2 * time.Minute, Lock},
		"share_code_failures":   {10, 10 * time.Minute, Alert},
	}
	for _, name := range allRules {
		r, ok := rules[name]
		w := want[name]
		if !ok || r.Name != name || r.Threshold != w.threshold || r.Window != w.window || r.Action != w.action || r.Shadow || r.match == nil || r.Severity == "" || r.about == "" {
			t.Errorf("rule %s = %+v, want %+v", name, r, w)
		}
	}
}

func TestCompileKeepsDefaultsForZeroFields(t *testing.T) {
	rules, err := Compile(map[string]config.DetectRule{
		"mass_delete":       {Threshold: 3},                              // window and action stay
		"runaway_loop":      {Window: config.Duration(30 * time.Second)}, // threshold and action stay
		"denial_burst":      {Action: "lock"},
		"unusual_tool":      {Mode: "shadow"},
		"message_volume":    {Mode: "enforce"},
		"high_volume_reads": {}, // all zero: the default
	})
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, threshold int, window time.Duration, action Action, shadow bool) {
		t.Helper()
		r := rules[name]
		if r.Threshold != threshold || r.Window != window || r.Action != action || r.Shadow != shadow {
			t.Errorf("%s = threshold %d window %s action %s shadow %v; want %d %s %s %v", name, r.Threshold, r.Window, r.Action, r.Shadow, threshold, window, action, shadow)
		}
	}
	check("mass_delete", 3, time.Minute, Lock, false)
	check("runaway_loop", 20, 30*time.Second, Lock, false)
	check("denial_burst", 10, time.Minute, Lock, false)
	check("unusual_tool", 1, 10*time.Minute, Alert, true)
	check("message_volume", 30, 10*time.Minute, Lock, false)
	check("high_volume_reads", 200, time.Minute, Alert, false)
	check("permission_change", 1, time.Minute, Lock, false) // not configured at all
	// Compiling again starts from the defaults, not from the last result.
	again, _ := Compile(nil)
	if again["mass_delete"].Threshold != 20 || again["denial_burst"].Action != Alert {
		t.Errorf("defaults changed by an earlier Compile: %+v %+v", again["mass_delete"], again["denial_burst"])
	}
}

func TestCompileErrorsNameTheRule(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  map[string]config.DetectRule
		want []string
	}{
		{"unknown rule", map[string]config.DetectRule{"mass_deletes": {Threshold: 1}}, []string{"detect.mass_deletes", "no such rule", "mass_delete,"}},
		{"bad action", map[string]config.DetectRule{"mass_delete": {Action: "ban"}}, []string{"detect.mass_delete.action", `"ban"`}},
		{"action in capitals", map[string]config.DetectRule{"mass_delete": {Action: "Lock"}}, []string{"detect.mass_delete.action"}},
		{"bad mode", map[string]config.DetectRule{"runaway_loop": {Mode: "dry-run"}}, []string{"detect.runaway_loop.mode", `"dry-run"`}},
		{"negative threshold", map[string]config.DetectRule{"denial_burst": {Threshold: -1}}, []string{"detect.denial_burst", "negative"}},
		{"negative window", map[string]config.DetectRule{"denial_burst": {Window: config.Duration(-time.Second)}}, []string{"detect.denial_burst", "negative"}},
		// With several bad entries the error is deterministic: the first by name.
		{"first by name", map[string]config.DetectRule{"zzz": {}, "aaa": {}, "mass_delete": {Mode: "x"}}, []string{"detect.aaa"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for range 5 {
				_, err := Compile(tc.cfg)
				if err == nil {
					t.Fatal("no error")
				}
				for _, w := range tc.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not contain %q", err, w)
					}
				}
			}
		})
	}
}

func agentEv(action string, effect warden.Effect, details map[string]any) *warden.Event {
	return &warden.Event{Principal: "bot", Kind: warden.KindAgent, Action: action, Decision: warden.Decision{Effect: effect}, Details: details}
}

func TestRuleMatches(t *testing.T) {
	rules := defaults()
	deny := func(ev *warden.Event, rule string) *warden.Event { ev.Decision.Rule = rule; return ev }
	withTarget := func(ev *warden.Event, target string) *warden.Event { ev.Target = target; return ev }
	asHuman := func(ev *warden.Event) *warden.Event { ev.Kind = warden.KindHuman; return ev }
	failed := func(ev *warden.Event) *warden.Event { ev.Error = warden.ENOTFOUND; return ev }
	for _, tc := range []struct {
		rule string
		ev   *warden.Event
		want bool
		key  string
	}{
		{"high_volume_reads", agentEv("file.read", warden.Allow, nil), true, ""},
		{"high_volume_reads", failed(agentEv("file.read", warden.Allow, nil)), false, ""},
		{"high_volume_reads", agentEv("file.read", warden.Deny, nil), false, ""},
		{"high_volume_reads", agentEv("file.list", warden.Allow, nil), false, ""},

		{"mass_delete", agentEv("file.delete", warden.Allow, nil), true, ""},
		{"mass_delete", agentEv("file.write", warden.Allow, map[string]any{"created": false}), true, ""},
		{"mass_delete", agentEv("file.write", warden.Allow, map[string]any{"created": true}), false, ""},
		{"mass_delete", agentEv("file.delete", warden.Deny, nil), false, ""},
		{"mass_delete", failed(agentEv("file.delete", warden.Allow, nil)), false, ""},

		{"unusual_tool", deny(agentEv("tool.decide", warden.Deny, map[string]any{"source": "plugin"}), "profiles.narrow.tools.deny"), true, ""},
		{"unusual_tool", deny(agentEv("tool.decide", warden.Deny, map[string]any{"source": "api"}), "policy.unknown_profile"), true, ""},
		{"unusual_tool", deny(agentEv("tool.decide", warden.Deny, map[string]any{"source": "model"}), "profiles.narrow.tools.deny"), false, ""},
		{"unusual_tool", deny(agentEv("tool.decide", warden.Deny, map[string]any{"source": "api"}), "profiles.narrow.tools.rules[0]"), false, ""},
		{"unusual_tool", deny(agentEv("tool.decide", warden.Deny, map[string]any{"source": "api"}), "policy.rate"), false, ""},
		{"unusual_tool", agentEv("tool.decide", warden.Ask, map[string]any{"source": "api"}), false, ""},

		{"permission_change", agentEv("agent.create", warden.Deny, nil), true, ""},
		{"permission_change", agentEv("human.lock", warden.Deny, nil), true, ""},
		{"permission_change", agentEv("approval.approve", warden.Deny, nil), true, ""},
		{"permission_change", agentEv("workspace.create", warden.Deny, nil), true, ""},
		{"permission_change", asHuman(agentEv("agent.create", warden.Allow, nil)), false, ""},
		{"permission_change", agentEv("file.write", warden.Allow, nil), false, ""},

		{"denial_burst", agentEv("egress.connect", warden.Deny, nil), true, ""},
		{"denial_burst", agentEv("egress.connect", warden.Allow, nil), false, ""},
		{"denial_burst", deny(agentEv("llm.call", warden.Deny, nil), "llm.dlp"), true, ""},
		{"denial_burst", deny(agentEv("llm.call", warden.Deny, nil), "llm.output"), true, ""},
		{"denial_burst", deny(agentEv("llm.call", warden.Deny, nil), "llm.budget"), false, ""},
		{"denial_burst", agentEv("llm.call", warden.Allow, map[string]any{"injection": map[string]any{"flagged": 2}}), true, ""},
		{"denial_burst", agentEv("llm.call", warden.Allow, map[string]any{"injection": map[string]any{"flagged": 1.0}}), true, ""},
		{"denial_burst", agentEv("llm.call", warden.Allow, map[string]any{"injection": map[string]any{"flagged": 0}}), false, ""},
		{"denial_burst", agentEv("llm.call", warden.Allow, nil), false, ""},

		{"egress_first_seen", agentEv("egress.connect", warden.Allow, map[string]any{"host": "api.example.com"}), true, "api.example.com"},
		{"egress_first_seen", agentEv("egress.connect", warden.Deny, map[string]any{"host": "api.example.com"}), false, ""},

		{"message_volume", withTarget(agentEv("tool.decide", warden.Allow, map[string]any{"source": "plugin"}), "message"), true, ""},
		{"message_volume", withTarget(agentEv("tool.decide", warden.Allow, map[string]any{"source": "api"}), "slack_post"), true, ""},
		{"message_volume", withTarget(agentEv("tool.decide", warden.Allow, map[string]any{"source": "model"}), "message"), false, ""},
		{"message_volume", withTarget(agentEv("tool.decide", warden.Ask, map[string]any{"source": "plugin"}), "message"), false, ""},
		{"message_volume", withTarget(agentEv("tool.decide", warden.Allow, map[string]any{"source": "plugin"}), "read"), false, ""},

		{"runaway_loop", agentEv("tool.decide", warden.Allow, map[string]any{"source": "plugin", "action": "ab12"}), true, "ab12"},
		{"runaway_loop", agentEv("tool.decide", warden.Deny, map[string]any{"source": "api", "action": "ab12"}), true, "ab12"},
		{"runaway_loop", agentEv("tool.decide", warden.Allow, map[string]any{"source": "model", "action": "ab12"}), false, ""},
		{"runaway_loop", agentEv("tool.decide", warden.Allow, map[string]any{"source": "plugin"}), false, ""},

		{"share_code_failures", withTarget(anonEv("share.code_fail", warden.Deny), "shr_a"), true, "shr_a"},
		{"share_code_failures", withTarget(anonEv("share.session", warden.Allow), "shr_a"), false, ""},
		{"share_code_failures", withTarget(deny(anonEv("share.code_fail", warden.Deny), "share.expired"), "shr_a"), false, ""},
		{"share_code_failures", withTarget(deny(anonEv("share.code_fail", warden.Deny), "share.password.wrong"), "shr_a"), true, "shr_a"},
		{"share_code_failures", withTarget(anonEv("share.code_request", warden.Deny), "shr_a"), false, ""},
	} {
		ok, key := rules[tc.rule].match(tc.ev)
		if ok != tc.want || (ok && key != tc.key) {
			t.Errorf("%s on %s %s %s %v: match %v key %q, want %v %q", tc.rule, tc.ev.Kind, tc.ev.Action, tc.ev.Decision.Effect, tc.ev.Details, ok, key, tc.want, tc.key)
		}
	}
}

// message_volume counts "messages sent". Tool names that merely contain a
// word like post or mail without sending anything should not count.
func TestMessageToolNamesAreSends(t *testing.T) {
	for _, tool := range []string{"message", "send_email", "slack_post_message", "sms_send", "tweet"} {
		if !isMessageTool(tool) {
			t.Errorf("%s is not counted as a message tool", tool)
		}
	}
	for _, tool := range []string{"postgres_query", "read_email", "search_mail"} {
		if isMessageTool(tool) {
			t.Errorf("%s is counted as sending a message", tool)
		}
	}
}
