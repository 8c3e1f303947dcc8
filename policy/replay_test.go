package policy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/config"
)

// replayCandidate is the candidate policy of the replay tests.
const replayCandidate = `profiles:
  ops:
    tools:
      allow: [read, write, exec]
      ask:   [email.send]
      deny:  [deploy]
      rules:
        - {when: 'tool == "exec" && params.command.startsWith("rm ")', decision: deny, reason: "no deletes"}
      rate: {write: 2/1m}
`

func newTestReplay(t *testing.T, yaml string, opts ReplayOptions) *Replay {
	t.Helper()
	path := filepath.Join(t.TempDir(), "candidate.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewReplay(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

var replayT0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// rec builds a recorded decision by agent bot of profile ops, i seconds
// after replayT0.
func recorded(i int, tool string, effect warden.Effect, mods ...func(*Recorded)) Recorded {
	r := Recorded{Seq: int64(i + 1), Time: replayT0.Add(time.Duration(i) * time.Second), Agent: "bot", Profile: "ops", Tool: tool,
		Params: map[string]any{}, Source: "api", Decision: warden.Decision{Effect: effect, Rule: "old." + string(effect)}}
	for _, m := range mods {
		m(&r)
	}
	return r
}

func withParams(kv ...string) func(*Recorded) {
	return func(r *Recorded) {
		for i := 0; i+1 < len(kv); i += 2 {
			r.Params[kv[i]] = kv[i+1]
		}
	}
}

func asCall(source, id string) func(*Recorded) {
	return func(r *Recorded) { r.Source, r.ToolCallID = source, id }
}

func approvedAs(rule string) func(*Recorded) {
	return func(r *Recorded) { r.Decision = warden.Decision{Effect: warden.Allow, Rule: rule} }
}

func recordedAt(d time.Duration) func(*Recorded) {
	return func(r *Recorded) { r.Time = replayT0.Add(d) }
}

func TestReplayReport(t *testing.T) {
	for _, tc := range []struct {
		name    string
		opts    ReplayOptions
		records []Recorded
		want    map[string]int // transitions that are not zero
		calls   int
		check   func(t *testing.T, rep *Report)
	}{
		{
			name: "every transition",
			records: []Recorded{
				recorded(0, "read", warden.Allow),                                         // allow, unchanged
				recorded(1, "exec", warden.Allow, withParams("command", "rm -rf /tmp/x")), // rule: deny
				recorded(2, "email.send", warden.Allow),                                   // ask
				recorded(3, "write", warden.Deny),                                         // allow
				recorded(4, "email.send", warden.Deny),                                    // ask
				recorded(5, "read", warden.Ask),                                           // allow
				recorded(6, "deploy", warden.Ask),                                         // deny
				recorded(7, "deploy", warden.Deny),                                        // deny, unchanged
			},
			want:  map[string]int{AllowToDeny: 1, AllowToAsk: 1, DenyToAllow: 1, DenyToAsk: 1, AskToAllow: 1, AskToDeny: 1, Unchanged: 2},
			calls: 8,
			check: func(t *testing.T, rep *Report) {
				if len(rep.Changes) != 6 || rep.More != 0 {
					t.Fatalf("changes = %+v, more %d", rep.Changes, rep.More)
				}
				// Most recent first.
				if c := rep.Changes[0]; c.Tool != "deploy" || c.From != warden.Ask || c.To != warden.Deny || c.Rule != "profiles.ops.tools.deny" {
					t.Errorf("first change = %+v", c)
				}
				if c := rep.Changes[5]; c.Tool != "exec" || c.Rule != "profiles.ops.tools.rules[0]" || c.Reason != "no deletes" || c.Params["command"] != "rm -rf /tmp/x" {
					t.Errorf("last change = %+v", c)
				}
				if !rep.AllowFlipped() {
					t.Error("AllowFlipped = false")
				}
			},
		},
		{
			name:    "nothing changed",
			records: []Recorded{recorded(0, "read", warden.Allow), recorded(1, "deploy", warden.Deny), recorded(2, "email.send", warden.Ask)},
			want:    map[string]int{Unchanged: 3},
			calls:   3,
			check: func(t *testing.T, rep *Report) {
				if len(rep.Changes) != 0 || rep.AllowFlipped() {
					t.Fatalf("changes = %+v", rep.Changes)
				}
			},
		},
		{
			name:    "ask to allow and ask to deny do not flip allow",
			records: []Recorded{recorded(0, "write", warden.Ask), recorded(1, "deploy", warden.Ask)},
			want:    map[string]int{AskToAllow: 1, AskToDeny: 1},
			calls:   2,
			check: func(t *testing.T, rep *Report) {
				if rep.AllowFlipped() {
					t.Fatal("AllowFlipped = true")
				}
			},
		},
		{
			name: "an approved ask counts as an ask",
			records: []Recorded{
				recorded(0, "email.send", warden.Allow, approvedAs("approvals.once")), // still asks: unchanged
				recorded(1, "write", warden.Allow, approvedAs("approvals.always")),    // now allowed outright
				recorded(2, "deploy", warden.Allow, approvedAs("approvals.once")),     // now denied
			},
			want:  map[string]int{Unchanged: 1, AskToAllow: 1, AskToDeny: 1},
			calls: 3,
			check: func(t *testing.T, rep *Report) {
				if rep.AllowFlipped() {
					t.Error("an approved ask that is now allowed flips nothing")
				}
				if c := rep.Changes[0]; c.From != warden.Ask || c.FromRule != "approvals.once" {
					t.Errorf("change = %+v", c)
				}
			},
		},
		{
			name: "model and plugin decisions of one call count once, as the plugin's",
			records: []Recorded{
				recorded(0, "email.send", warden.Ask, asCall("model", "c1")),
				recorded(1, "email.send", warden.Allow, asCall("plugin", "c1"), approvedAs("approvals.once")),
				recorded(2, "deploy", warden.Allow, asCall("model", "c2")),
				recorded(3, "deploy", warden.Allow, asCall("plugin", "c2")),
				recorded(4, "deploy", warden.Allow, asCall("model", "c2")), // after the plugin's: the plugin's stands
			},
			want:  map[string]int{Unchanged: 1, AllowToDeny: 1},
			calls: 2,
			check: func(t *testing.T, rep *Report) {
				if rep.Events != 5 || rep.Duplicates != 3 {
					t.Errorf("events %d, duplicates %d", rep.Events, rep.Duplicates)
				}
				if c := rep.Changes[0]; c.Seq != 4 || c.Source != "plugin" {
					t.Errorf("change = %+v (want the plugin's, seq 4)", c)
				}
			},
		},
		{
			name: "a plugin's retry of an ask stands for the call",
			records: []Recorded{
				recorded(0, "email.send", warden.Ask, asCall("plugin", "c1")),
				recorded(30, "email.send", warden.Allow, asCall("plugin", "c1"), approvedAs("approvals.once")),
			},
			want:  map[string]int{Unchanged: 1},
			calls: 1,
		},
		{
			name: "without a tool_call_id, or for another agent, decisions are separate calls",
			records: []Recorded{
				recorded(0, "deploy", warden.Allow),
				recorded(1, "deploy", warden.Allow),
				recorded(2, "deploy", warden.Allow, asCall("plugin", "c1")),
				recorded(3, "deploy", warden.Allow, asCall("plugin", "c1"), func(r *Recorded) { r.Agent = "other" }),
			},
			want:  map[string]int{AllowToDeny: 4},
			calls: 4,
		},
		{
			name: "refused requests are skipped",
			records: []Recorded{
				recorded(0, "deploy", warden.Deny, func(r *Recorded) { r.Error = "invalid"; r.Decision = warden.Decision{} }),
				recorded(1, "deploy", warden.Deny, func(r *Recorded) { r.Error = "forbidden"; r.Decision.Rule = "tools.agents_only" }),
				recorded(2, "read", warden.Allow),
			},
			want:  map[string]int{Unchanged: 1},
			calls: 1,
			check: func(t *testing.T, rep *Report) {
				if rep.Events != 3 || rep.Refused != 2 {
					t.Errorf("events %d, refused %d", rep.Events, rep.Refused)
				}
			},
		},
		{
			name: "rates are replayed in recorded time",
			records: []Recorded{
				// 2/1m: the third write within a minute is denied...
				recorded(0, "write", warden.Allow, recordedAt(0)),
				recorded(1, "write", warden.Allow, recordedAt(10*time.Second)),
				recorded(2, "write", warden.Allow, recordedAt(20*time.Second)),
				// ...but writes a minute apart never are.
				recorded(3, "write", warden.Allow, recordedAt(10*time.Minute)),
				recorded(4, "write", warden.Allow, recordedAt(11*time.Minute)),
				recorded(5, "write", warden.Allow, recordedAt(12*time.Minute)),
				recorded(6, "write", warden.Allow, recordedAt(13*time.Minute)),
			},
			want:  map[string]int{Unchanged: 6, AllowToDeny: 1},
			calls: 7,
			check: func(t *testing.T, rep *Report) {
				if c := rep.Changes[0]; c.Seq != 3 || c.Rule != "profiles.ops.tools.rate.write" {
					t.Errorf("change = %+v", c)
				}
			},
		},
		{
			name: "a call decided twice takes from a rate twice, as it did live",
			records: []Recorded{
				recorded(0, "write", warden.Allow, asCall("model", "c1")),
				recorded(1, "write", warden.Allow, asCall("plugin", "c1")),
				recorded(2, "write", warden.Allow, asCall("model", "c2")),
				recorded(3, "write", warden.Allow, asCall("plugin", "c2")),
			},
			want:  map[string]int{Unchanged: 1, AllowToDeny: 1},
			calls: 2,
		},
		{
			name: "a profile the candidate does not configure denies",
			records: []Recorded{
				recorded(0, "read", warden.Allow, func(r *Recorded) { r.Profile = "gone" }),
				recorded(1, "read", warden.Allow, func(r *Recorded) { r.Profile = "default" }), // built in
			},
			want:  map[string]int{AllowToDeny: 1, Unchanged: 1},
			calls: 2,
			check: func(t *testing.T, rep *Report) {
				if len(rep.UnknownProfiles) != 1 || rep.UnknownProfiles[0] != "gone" {
					t.Errorf("unknown profiles = %v", rep.UnknownProfiles)
				}
				if c := rep.Changes[0]; c.Rule != "policy.unknown_profile" || c.Profile != "gone" {
					t.Errorf("change = %+v", c)
				}
			},
		},
		{
			name: "the list is capped, most recent first",
			opts: ReplayOptions{Limit: 2},
			records: []Recorded{
				recorded(0, "deploy", warden.Allow), recorded(1, "deploy", warden.Allow), recorded(2, "deploy", warden.Allow),
				recorded(3, "deploy", warden.Allow), recorded(4, "read", warden.Allow),
			},
			want:  map[string]int{AllowToDeny: 4, Unchanged: 1},
			calls: 5,
			check: func(t *testing.T, rep *Report) {
				if len(rep.Changes) != 2 || rep.More != 2 || rep.Changes[0].Seq != 4 || rep.Changes[1].Seq != 3 {
					t.Fatalf("changes = %+v, more %d", rep.Changes, rep.More)
				}
			},
		},
		{
			name:    "show unchanged lists every call",
			opts:    ReplayOptions{ShowUnchanged: true},
			records: []Recorded{recorded(0, "read", warden.Allow, withParams("path", "a.txt")), recorded(1, "deploy", warden.Allow)},
			want:    map[string]int{AllowToDeny: 1, Unchanged: 1},
			calls:   2,
			check: func(t *testing.T, rep *Report) {
				if len(rep.Changes) != 2 || rep.Changes[1].To != warden.Allow || rep.Changes[1].Params["path"] != "a.txt" {
					t.Fatalf("changes = %+v", rep.Changes)
				}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newTestReplay(t, replayCandidate, tc.opts)
			for _, rc := range tc.records {
				r.Add(rc)
			}
			rep := r.Report()
			for _, name := range Transitions {
				if got := rep.Transitions[name]; got != tc.want[name] {
					t.Errorf("%s = %d, want %d (all: %v)", name, got, tc.want[name], rep.Transitions)
				}
			}
			if len(rep.Transitions) != len(Transitions) {
				t.Errorf("transitions = %v", rep.Transitions)
			}
			if rep.Calls != tc.calls || rep.Calls != rep.Events-rep.Refused-rep.Duplicates {
				t.Errorf("calls = %d, want %d (events %d, refused %d, duplicates %d)", rep.Calls, tc.calls, rep.Events, rep.Refused, rep.Duplicates)
			}
			if tc.check != nil {
				tc.check(t, rep)
			}
		})
	}
}

func TestReplayKeepsOnlyListedParams(t *testing.T) {
	r := newTestReplay(t, replayCandidate, ReplayOptions{})
	r.Add(recorded(0, "read", warden.Allow, withParams("path", "a.txt")))
	if p := r.outcomes[0].rec.Params; p != nil {
		t.Fatalf("an unchanged call kept its params: %v", p)
	}
}

func TestRecordedEffect(t *testing.T) {
	for _, tc := range []struct {
		rec  Recorded
		want warden.Effect
	}{
		{Recorded{Decision: warden.Decision{Effect: warden.Allow, Rule: "profiles.x.tools.allow"}}, warden.Allow},
		{Recorded{Decision: warden.Decision{Effect: warden.Allow, Rule: "approvals.once"}}, warden.Ask},
		{Recorded{Decision: warden.Decision{Effect: warden.Allow, Rule: "approvals.always"}}, warden.Ask},
		{Recorded{Decision: warden.Decision{Effect: warden.Deny, Rule: "tools.agents_only"}, Error: "forbidden"}, ""},
		{Recorded{}, ""},
	} {
		if got := RecordedEffect(tc.rec); got != tc.want {
			t.Errorf("RecordedEffect(%+v) = %q, want %q", tc.rec, got, tc.want)
		}
	}
}

func TestReplayOfABrokenCandidateNamesFileAndLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "candidate.yaml")
	os.WriteFile(path, []byte("profiles:\n  ops:\n    tools:\n      rules:\n        - {when: 'tool ==', decision: deny}\n"), 0o600)
	cfg, err := config.Load(path, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	_, err = NewReplay(cfg, ReplayOptions{})
	if err == nil || !strings.Contains(err.Error(), path+":5:") {
		t.Fatalf("err = %v", err)
	}
}
