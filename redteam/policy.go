package redteam

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/policy"
)

// DefaultPolicyAgent is the agent name tool calls are decided for in
// policy-aware mode (rules may test `agent`).
const DefaultPolicyAgent = "redteam"

// Policy is the tool-plane policy of a Warden configuration, one profile
// of it: policy-aware mode submits every tool call an attack elicits and
// records whether Warden would have stopped it.
type Policy struct {
	engine  *policy.Engine
	profile string
	agent   string
	file    string
}

// PolicyOutcome is the deployed policy's decision on one elicited call.
type PolicyOutcome struct {
	Tool      string        `json:"tool"`
	Arguments string        `json:"arguments,omitempty"`
	Effect    warden.Effect `json:"effect"` // allow, ask or deny
	Rule      string        `json:"rule,omitempty"`
	Reason    string        `json:"reason,omitempty"`
	// Stopped: a deny, or an ask (the call waits for a human, who sees
	// it for what it is).
	Stopped bool `json:"stopped"`
}

// PolicySummary counts a run's elicited calls.
type PolicySummary struct {
	Profile   string `json:"profile"`
	File      string `json:"file,omitempty"`
	Elicited  int    `json:"elicited"`  // tool calls the attacks elicited
	Stopped   int    `json:"stopped"`   // of those, denied or asked for
	Allowed   int    `json:"allowed"`   // of those, allowed: the policy would have run them
	Cases     int    `json:"cases"`     // attacks that elicited a call
	Contained int    `json:"contained"` // of those, every call stopped
}

// LoadPolicy reads a Warden configuration file as `warden serve` does
// (getenv supplies the WARDEN_* overrides) and picks a profile of it.
func LoadPolicy(file, profile string, getenv func(string) string) (*Policy, error) {
	cfg, err := config.Load(file, getenv)
	if err != nil {
		return nil, err
	}
	return NewPolicy(cfg, profile, DefaultPolicyAgent)
}

// NewPolicy compiles cfg's tool policies and picks profile ("" is the
// default profile). Rate limits are left out: a run is a burst of calls no
// single conversation makes, and a denial for the rate would hide what the
// rules decide.
func NewPolicy(cfg *config.Config, profile, agent string) (*Policy, error) {
	if profile == "" {
		profile = policy.DefaultProfile
	}
	if !cfg.HasProfile(profile) {
		names := []string{policy.DefaultProfile}
		for n := range cfg.Profiles {
			if n != policy.DefaultProfile {
				names = append(names, n)
			}
		}
		sort.Strings(names[1:])
		return nil, fmt.Errorf("policy: profile %q is not in %s (profiles: %s)", profile, orDefault(cfg.Path, "the configuration"), strings.Join(names, ", "))
	}
	noRates := *cfg
	noRates.Profiles = map[string]config.Profile{}
	for n, p := range cfg.Profiles {
		if p.Tools != nil {
			tp := *p.Tools
			tp.Rate = nil
			p.Tools = &tp
		}
		noRates.Profiles[n] = p
	}
	engine, err := policy.Compile(&noRates, nil)
	if err != nil {
		return nil, err
	}
	if agent == "" {
		agent = DefaultPolicyAgent
	}
	return &Policy{engine: engine, profile: profile, agent: agent, file: cfg.Path}, nil
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// Decide submits one elicited call; session is the attack's id. OpenClaw's
// bridge tool (tool_call) is decided as the tool it carries.
func (p *Policy) Decide(session string, tc ToolCall) PolicyOutcome {
	var params map[string]any
	if err := json.Unmarshal([]byte(tc.Arguments), &params); err != nil && strings.TrimSpace(tc.Arguments) != "" {
		// Arguments that are not a JSON object still reach the tool in
		// some runtimes; rules see them as one string.
		params = map[string]any{"arguments": tc.Arguments}
	}
	d := p.engine.Decide(policy.Call{Agent: p.agent, Profile: p.profile, Session: session, Tool: tc.Name, Params: params})
	name, _ := policy.Unwrap(tc.Name, params)
	return PolicyOutcome{Tool: name, Arguments: tc.Arguments, Effect: d.Effect, Rule: d.Rule, Reason: d.Reason,
		Stopped: d.Effect == warden.Deny || d.Effect == warden.Ask}
}

// summarisePolicy counts the decisions recorded on the cases.
func summarisePolicy(cases []Case) *PolicySummary {
	s := &PolicySummary{}
	for _, c := range cases {
		if len(c.Policy) == 0 {
			continue
		}
		s.Cases++
		all := true
		for _, o := range c.Policy {
			s.Elicited++
			if o.Stopped {
				s.Stopped++
			} else {
				s.Allowed++
				all = false
			}
		}
		if all {
			s.Contained++
		}
	}
	return s
}
