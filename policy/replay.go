package policy

import (
	"sort"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/config"
)

// Recorded is one tool decision as the audit log keeps it (a tool.decide
// event): who called which tool with which (masked) parameters, and what
// was decided.
type Recorded struct {
	Seq        int64
	Time       time.Time
	Agent      string // the event's principal
	Profile    string
	Session    string
	Tool       string         // the event's target: unwrapped, lower-case
	Params     map[string]any // the masked copy the event keeps
	Source     string         // plugin, api or model
	ToolCallID string
	Decision   warden.Decision
	Error      string // an error code: the request was refused, nothing was decided
}

// Approved rules: an ask a human approved is recorded as an allow by one of
// these rules.
const (
	ruleApprovedOnce   = "approvals.once"
	ruleApprovedAlways = "approvals.always"
)

// Transition names, as the report counts them.
const (
	AllowToDeny = "allow_to_deny"
	AllowToAsk  = "allow_to_ask"
	DenyToAllow = "deny_to_allow"
	DenyToAsk   = "deny_to_ask"
	AskToAllow  = "ask_to_allow"
	AskToDeny   = "ask_to_deny"
	Unchanged   = "unchanged"
)

// Transitions lists the transition names in report order.
var Transitions = []string{AllowToDeny, AllowToAsk, DenyToAllow, DenyToAsk, AskToAllow, AskToDeny, Unchanged}

// ReplayOptions tune a replay.
type ReplayOptions struct {
	// Limit caps the calls listed in Report.Changes, most recent first; 0
	// lists them all.
	Limit int
	// ShowUnchanged lists calls whose effect did not change as well.
	ShowUnchanged bool
}

// Replay re-decides recorded tool calls with a candidate policy, to show
// what the candidate would have decided differently. Feed it the recorded
// decisions in the order they were made (audit sequence order) with Add,
// then read the Report. It is not safe for concurrent use.
//
// Every recorded decision is re-decided, in recorded time: the candidate's
// clock reads each decision's time, so its rates are replayed as the calls
// came rather than all at once, and a call the server decided twice (the
// model plane, then the plugin) takes from a rate twice, as it would live.
// The report counts a call once, though: decisions with the same agent and
// tool_call_id are one call, decided as the plugin's decision (the last
// one, if there are several).
type Replay struct {
	engine *Engine
	now    time.Time
	opts   ReplayOptions

	events, refused, dupes int
	outcomes               []outcome
	byCall                 map[[2]string]int // agent, tool_call_id -> index in outcomes
	unknown                map[string]bool   // profiles the candidate does not have
}

type outcome struct {
	rec      Recorded // Params kept only if the outcome may be listed
	from     warden.Effect
	to       warden.Decision
	plugin   bool
	replaced bool
}

// NewReplay compiles the candidate configuration. Its errors are Compile's,
// naming the file and line.
func NewReplay(cfg *config.Config, opts ReplayOptions) (*Replay, error) {
	r := &Replay{opts: opts, byCall: map[[2]string]int{}, unknown: map[string]bool{}}
	e, err := Compile(cfg, func() time.Time { return r.now })
	if err != nil {
		return nil, err
	}
	r.engine = e
	return r, nil
}

// RecordedEffect is what the live policy decided on a recorded call: the
// recorded effect, except that an ask a human approved (an allow by
// approvals.once or approvals.always) counts as an ask. It returns "" for a
// record that decided nothing.
func RecordedEffect(rec Recorded) warden.Effect {
	if rec.Error != "" {
		return ""
	}
	switch rec.Decision.Rule {
	case ruleApprovedOnce, ruleApprovedAlways:
		return warden.Ask
	}
	switch rec.Decision.Effect {
	case warden.Allow, warden.Deny, warden.Ask:
		return rec.Decision.Effect
	}
	return ""
}

// Add re-decides one recorded decision. Records that decided nothing (an
// error code: refused input, a non-agent caller) are counted and skipped.
func (r *Replay) Add(rec Recorded) {
	r.events++
	from := RecordedEffect(rec)
	if from == "" {
		r.refused++
		return
	}
	r.now = rec.Time
	to := r.engine.Decide(Call{Agent: rec.Agent, Profile: rec.Profile, Session: rec.Session, Tool: rec.Tool, Params: rec.Params})
	if to.Rule == "policy.unknown_profile" {
		r.unknown[rec.Profile] = true
	}
	if from == to.Effect && !r.opts.ShowUnchanged {
		// Only a listed outcome needs its parameters: drop the rest, so
		// that a long window does not hold every call's in memory.
		rec.Params = nil
	}
	o := outcome{rec: rec, from: from, to: to, plugin: rec.Source == "plugin"}
	if rec.ToolCallID == "" {
		r.outcomes = append(r.outcomes, o)
		return
	}
	key := [2]string{rec.Agent, rec.ToolCallID}
	i, seen := r.byCall[key]
	if !seen {
		r.byCall[key] = len(r.outcomes)
		r.outcomes = append(r.outcomes, o)
		return
	}
	r.dupes++
	if prev := &r.outcomes[i]; prev.plugin && !o.plugin {
		return // the plugin's decision stands
	}
	// The later decision stands in for the call: the plugin's over the
	// model plane's, a retry over the first try.
	r.outcomes[i].replaced = true
	r.byCall[key] = len(r.outcomes)
	r.outcomes = append(r.outcomes, o)
}

// Report is what a replay found.
type Report struct {
	// Events counts the recorded decisions read, Refused those that decided
	// nothing, Duplicates the decisions folded into a call already counted.
	Events     int `json:"events"`
	Refused    int `json:"refused"`
	Duplicates int `json:"duplicates"`
	// Calls counts the calls compared: Events - Refused - Duplicates.
	Calls int `json:"calls"`
	// Transitions counts calls by what changed (every name in Transitions
	// is present).
	Transitions map[string]int `json:"transitions"`
	// Changes lists changed calls (all calls with ShowUnchanged), most
	// recent first, at most Limit; More is how many more there are.
	Changes []Change `json:"changes"`
	More    int      `json:"more"`
	// UnknownProfiles lists the recorded profiles the candidate does not
	// configure: their calls are denied (policy.unknown_profile).
	UnknownProfiles []string `json:"unknown_profiles,omitempty"`
}

// Change is one call the candidate decides differently.
type Change struct {
	Seq     int64          `json:"seq"`
	Time    time.Time      `json:"time"`
	Agent   string         `json:"agent"`
	Profile string         `json:"profile"`
	Tool    string         `json:"tool"`
	Source  string         `json:"source,omitempty"`
	Params  map[string]any `json:"params,omitempty"` // masked, as recorded
	// From is the recorded effect (ask for an approved ask), FromRule the
	// recorded rule; To, Rule and Reason are the candidate's decision.
	From     warden.Effect `json:"from"`
	FromRule string        `json:"from_rule,omitempty"`
	To       warden.Effect `json:"to"`
	Rule     string        `json:"rule"`
	Reason   string        `json:"reason,omitempty"`
}

// Transition names a change: "allow_to_deny", or "unchanged".
func Transition(from, to warden.Effect) string {
	if from == to {
		return Unchanged
	}
	return string(from) + "_to_" + string(to)
}

// AllowFlipped reports whether a call that was allowed is now denied or
// asked for, or one that was denied is now allowed: the changes that break
// an agent's work or let through what was refused.
func (rep *Report) AllowFlipped() bool {
	return rep.Transitions[AllowToDeny]+rep.Transitions[AllowToAsk]+rep.Transitions[DenyToAllow] > 0
}

// Report summarises the calls added so far.
func (r *Replay) Report() *Report {
	rep := &Report{Events: r.events, Refused: r.refused, Duplicates: r.dupes, Transitions: map[string]int{}, Changes: []Change{}}
	for _, t := range Transitions {
		rep.Transitions[t] = 0
	}
	var listed []Change
	for _, o := range r.outcomes {
		if o.replaced {
			continue
		}
		rep.Calls++
		t := Transition(o.from, o.to.Effect)
		rep.Transitions[t]++
		if t == Unchanged && !r.opts.ShowUnchanged {
			continue
		}
		listed = append(listed, Change{Seq: o.rec.Seq, Time: o.rec.Time, Agent: o.rec.Agent, Profile: o.rec.Profile, Tool: o.rec.Tool,
			Source: o.rec.Source, Params: o.rec.Params, From: o.from, FromRule: o.rec.Decision.Rule,
			To: o.to.Effect, Rule: o.to.Rule, Reason: o.to.Reason})
	}
	sort.SliceStable(listed, func(i, j int) bool {
		if !listed[i].Time.Equal(listed[j].Time) {
			return listed[i].Time.After(listed[j].Time)
		}
		return listed[i].Seq > listed[j].Seq
	})
	if r.opts.Limit > 0 && len(listed) > r.opts.Limit {
		rep.More = len(listed) - r.opts.Limit
		listed = listed[:r.opts.Limit]
	}
	rep.Changes = append(rep.Changes, listed...)
	for p := range r.unknown {
		rep.UnknownProfiles = append(rep.UnknownProfiles, p)
	}
	sort.Strings(rep.UnknownProfiles)
	return rep
}
