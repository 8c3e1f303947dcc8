// Package policy decides tool calls: for an agent's profile, is this call
// (a tool and its parameters) allowed, denied, or does a human have to
// approve it? Profiles list tools to allow, ask for and deny (names, globs,
// OpenClaw groups), hold rules whose conditions are CEL expressions over the
// call, and rate-limit tools. A policy is compiled and type-checked when
// Warden starts: a mistake is an error naming the file and line, never a
// policy that quietly denies (or allows) everything.
package policy

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"cel.dev/cel-go/cel"
	celast "cel.dev/cel-go/common/ast"
	"golang.org/x/time/rate"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/config"
)

// DefaultProfile is the profile of agents created without one.
const DefaultProfile = "default"

// Call is one tool call to decide.
type Call struct {
	Agent   string
	Profile string
	Session string
	Tool    string
	Params  map[string]any
}

// Engine decides calls. It is safe for concurrent use.
type Engine struct {
	profiles map[string]*profile
	now      func() time.Time
	mu       sync.Mutex
	limiters map[string]*rate.Limiter // agent NUL rate key
}

type profile struct {
	name              string
	allow, ask, deny  []pattern
	rules             []rule
	rates             []ratePolicy
	fallback          warden.Effect // when nothing matches
	fallbackRule      string
	fallbackReasonFmt string
}

type rule struct {
	index    int
	when     string
	prg      cel.Program
	decision warden.Effect
	reason   string
}

type ratePolicy struct {
	pattern pattern
	n       int
	per     time.Duration
}

// maxCost bounds the work one condition may do on one call.
const maxCost = 1_000_000

// Compile builds an engine from configuration. Errors name the file and
// line (file is cfg.Path; "" names no file).
func Compile(cfg *config.Config, now func() time.Time) (*Engine, error) {
	if now == nil {
		now = time.Now
	}
	env, err := cel.NewEnv(
		cel.Variable("tool", cel.StringType),
		cel.Variable("params", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("agent", cel.StringType),
		cel.Variable("session", cel.StringType),
	)
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	e := &Engine{profiles: map[string]*profile{}, now: now, limiters: map[string]*rate.Limiter{}}
	e.profiles[DefaultProfile] = builtinDefault()
	names := make([]string, 0, len(cfg.Profiles))
	for name := range cfg.Profiles {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		tp := cfg.Profiles[name].Tools
		if tp == nil {
			if name != DefaultProfile {
				e.profiles[name] = builtinDefault()
				e.profiles[name].name = name
			}
			continue
		}
		p, err := compileProfile(env, name, tp, cfg.Path)
		if err != nil {
			return nil, err
		}
		e.profiles[name] = p
	}
	return e, nil
}

// builtinDefault allows read-only tools and asks for everything else.
func builtinDefault() *profile {
	p := &profile{name: DefaultProfile, fallback: warden.Ask, fallbackRule: "default.ask",
		fallbackReasonFmt: "the default profile asks a human before %s runs"}
	for _, t := range readOnly {
		pt, _ := compilePattern(t)
		p.allow = append(p.allow, pt)
	}
	return p
}

func where(file string, line int, key string) string {
	switch {
	case file != "" && line > 0:
		return fmt.Sprintf("%s:%d: %s", file, line, key)
	case line > 0:
		return fmt.Sprintf("line %d: %s", line, key)
	}
	return key
}

func compileProfile(env *cel.Env, name string, tp *config.ToolPolicy, file string) (*profile, error) {
	key := "profiles." + name + ".tools"
	p := &profile{name: name, fallback: warden.Ask, fallbackRule: key + ".unlisted",
		fallbackReasonFmt: "profile " + name + " does not list %s, so a human decides"}
	for _, l := range []struct {
		field string
		in    []string
		out   *[]pattern
	}{{"allow", tp.Allow, &p.allow}, {"ask", tp.Ask, &p.ask}, {"deny", tp.Deny, &p.deny}} {
		for i, s := range l.in {
			pt, err := compilePattern(s)
			if err != nil {
				return nil, fmt.Errorf("%s[%d]: %w", where(file, tp.Line, key+"."+l.field), i, err)
			}
			*l.out = append(*l.out, pt)
		}
	}
	for i, r := range tp.Rules {
		rk := fmt.Sprintf("%s.rules[%d]", key, i)
		d, err := parseEffect(r.Decision)
		if err != nil {
			return nil, fmt.Errorf("%s.decision: %w", where(file, r.Line, rk), err)
		}
		if strings.TrimSpace(r.When) == "" {
			return nil, fmt.Errorf("%s.when: a rule needs a condition", where(file, r.Line, rk))
		}
		ast, iss := env.Compile(r.When)
		if iss != nil && iss.Err() != nil {
			return nil, fmt.Errorf("%s.when: %s", where(file, r.Line, rk), strings.ReplaceAll(iss.Err().Error(), "\n", " "))
		}
		if !ast.OutputType().IsExactType(cel.BoolType) {
			return nil, fmt.Errorf("%s.when: the condition is %s, not a bool", where(file, r.Line, rk), ast.OutputType())
		}
		opts := []cel.ProgramOption{cel.EvalOptions(cel.OptOptimize)}
		if loops(ast) {
			// Only comprehensions (all, exists, map, filter) can do more
			// than linear work in the size of the call; they get a cost
			// limit. Tracking cost costs allocations on every evaluation,
			// so conditions without them go without.
			opts = append(opts, cel.CostLimit(maxCost))
		}
		prg, err := env.Program(ast, opts...)
		if err != nil {
			return nil, fmt.Errorf("%s.when: %w", where(file, r.Line, rk), err)
		}
		p.rules = append(p.rules, rule{index: i, when: r.When, prg: prg, decision: d, reason: r.Reason})
	}
	rateKeys := make([]string, 0, len(tp.Rate))
	for k := range tp.Rate {
		rateKeys = append(rateKeys, k)
	}
	sort.Strings(rateKeys)
	for _, k := range rateKeys {
		pt, err := compilePattern(k)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where(file, tp.Line, key+".rate."+k), err)
		}
		n, per, err := parseRate(tp.Rate[k])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where(file, tp.Line, key+".rate."+k), err)
		}
		p.rates = append(p.rates, ratePolicy{pattern: pt, n: n, per: per})
	}
	return p, nil
}

// loops reports whether a compiled condition holds a comprehension.
func loops(a *cel.Ast) bool {
	found := false
	celast.PreOrderVisit(a.NativeRep().Expr(), celast.NewExprVisitor(func(e celast.Expr) {
		if e.Kind() == celast.ComprehensionKind {
			found = true
		}
	}))
	return found
}

func parseEffect(s string) (warden.Effect, error) {
	switch e := warden.Effect(strings.ToLower(strings.TrimSpace(s))); e {
	case warden.Allow, warden.Deny, warden.Ask:
		return e, nil
	}
	return "", fmt.Errorf("%q is not allow, deny or ask", s)
}

// parseRate reads "30/1m": at most 30 calls a minute, in bursts of up to 30.
func parseRate(s string) (int, time.Duration, error) {
	ns, ds, ok := strings.Cut(strings.TrimSpace(s), "/")
	var n int
	if _, err := fmt.Sscanf(ns, "%d", &n); !ok || err != nil || n <= 0 || fmt.Sprint(n) != strings.TrimSpace(ns) {
		return 0, 0, fmt.Errorf("rate %q is not like 30/1m (calls per duration)", s)
	}
	ds = strings.TrimSpace(ds)
	if ds != "" && (ds[0] < '0' || ds[0] > '9') {
		ds = "1" + ds // "30/m" means per minute
	}
	per, err := time.ParseDuration(ds)
	if err != nil || per <= 0 {
		return 0, 0, fmt.Errorf("rate %q is not like 30/1m (calls per duration)", s)
	}
	return n, per, nil
}

// Decide decides a call. OpenClaw's bridge tool (tool_call {id, args}) is
// decided as the tool it carries.
func (e *Engine) Decide(c Call) warden.Decision {
	c.Tool, c.Params = Unwrap(c.Tool, c.Params)
	c.Tool = strings.ToLower(strings.TrimSpace(c.Tool))
	if c.Tool == BridgeTool {
		// OpenClaw would refuse it too; never decide the bridge as a tool.
		return warden.Decision{Effect: warden.Deny, Rule: "policy.bridge_unresolved", Reason: "the bridge tool_call does not name the tool it runs (id, toolId or name)"}
	}
	if c.Params == nil {
		c.Params = map[string]any{}
	}
	p := e.profiles[c.Profile]
	if p == nil {
		// A profile that is not configured any more: refuse rather than
		// guess what it meant.
		return warden.Decision{Effect: warden.Deny, Rule: "policy.unknown_profile", Reason: fmt.Sprintf("profile %q is not configured", c.Profile)}
	}
	d := p.decide(c)
	if d.Effect == warden.Allow {
		if rd, limited := e.rateLimit(p, c); limited {
			return rd
		}
	}
	return d
}

func (p *profile) decide(c Call) warden.Decision {
	if len(p.rules) > 0 {
		// One activation for every rule: building it per rule from a map
		// was most of the cost of a long rule list.
		vars, err := cel.NewActivation(map[string]any{"tool": c.Tool, "params": c.Params, "agent": c.Agent, "session": c.Session})
		if err != nil {
			return warden.Decision{Effect: warden.Deny, Rule: "policy.error", Reason: "the call could not be prepared for the profile's rules"}
		}
		for _, r := range p.rules {
			out, _, err := r.prg.Eval(vars)
			matched := false
			if err != nil {
				// A condition that cannot be evaluated on this call (a
				// parameter missing, a cost limit hit) fails closed: a
				// deny or ask rule applies, an allow rule does not.
				matched = r.decision != warden.Allow
			} else if b, ok := out.Value().(bool); ok {
				matched = b
			}
			if !matched {
				continue
			}
			reason := r.reason
			if reason == "" {
				reason = fmt.Sprintf("rule %d of profile %s matched", r.index, p.name)
			}
			if err != nil {
				reason += " (the condition could not be evaluated on this call, so it applies)"
			}
			return warden.Decision{Effect: r.decision, Rule: fmt.Sprintf("profiles.%s.tools.rules[%d]", p.name, r.index), Reason: reason}
		}
	}
	best, effect, by := 0, warden.Effect(""), ""
	// Equal specificity: deny beats ask beats allow.
	for _, l := range []struct {
		effect warden.Effect
		list   []pattern
	}{{warden.Deny, p.deny}, {warden.Ask, p.ask}, {warden.Allow, p.allow}} {
		for _, pt := range l.list {
			if s := pt.match(c.Tool); s > best {
				best, effect, by = s, l.effect, pt.text
			}
		}
	}
	if best > 0 {
		list := map[warden.Effect]string{warden.Deny: "deny", warden.Ask: "ask", warden.Allow: "allow"}[effect]
		return warden.Decision{Effect: effect, Rule: fmt.Sprintf("profiles.%s.tools.%s", p.name, list),
			Reason: fmt.Sprintf("profile %s %s %s (%s)", p.name, verb(effect), c.Tool, by)}
	}
	return warden.Decision{Effect: p.fallback, Rule: p.fallbackRule, Reason: fmt.Sprintf(p.fallbackReasonFmt, c.Tool)}
}

func verb(e warden.Effect) string {
	switch e {
	case warden.Deny:
		return "denies"
	case warden.Ask:
		return "asks a human before"
	}
	return "allows"
}

// rateLimit takes one call from every rate of p that covers the tool.
func (e *Engine) rateLimit(p *profile, c Call) (warden.Decision, bool) {
	now := e.now()
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, rp := range p.rates {
		if rp.pattern.match(c.Tool) == 0 {
			continue
		}
		key := c.Agent + "\x00" + p.name + "\x00" + rp.pattern.text
		l := e.limiters[key]
		if l == nil {
			l = rate.NewLimiter(rate.Limit(float64(rp.n)/rp.per.Seconds()), rp.n)
			e.limiters[key] = l
		}
		if !l.AllowN(now, 1) {
			return warden.Decision{Effect: warden.Deny, Rule: fmt.Sprintf("profiles.%s.tools.rate.%s", p.name, rp.pattern.text),
				Reason: fmt.Sprintf("%s may be called %d times per %s; wait and retry", c.Tool, rp.n, rp.per)}, true
		}
	}
	return warden.Decision{}, false
}

// BridgeTool is OpenClaw's bridge: tool_call {id, args} runs another tool.
const BridgeTool = "tool_call"

// Unwrap returns the tool OpenClaw's bridge tool carries and the arguments
// it will run it with, read the way OpenClaw 2026.9.6 reads them
// (readToolSearchCallArgs): the target from id, else toolId, else name (a
// catalog id such as "openclaw:core:exec" names the tool after its last
// colon); the arguments from args, else input, merged over "args.<key>"
// entries; without either, every other top-level key is an argument. A
// bridge call whose target cannot be read is returned as the bridge itself,
// which Decide denies.
func Unwrap(tool string, params map[string]any) (string, map[string]any) {
	if !strings.EqualFold(strings.TrimSpace(tool), BridgeTool) {
		return tool, params
	}
	var sel string
	var selKey string
	for _, k := range []string{"id", "toolId", "name"} {
		if v, ok := params[k]; ok && v != nil {
			s, _ := v.(string)
			sel, selKey = strings.TrimSpace(s), k
			break
		}
	}
	if sel == "" {
		return BridgeTool, params
	}
	inner := sel
	if i := strings.LastIndexByte(sel, ':'); i >= 0 && i < len(sel)-1 {
		inner = sel[i+1:]
	}
	dotted := map[string]any{}
	for k, v := range params {
		if strings.HasPrefix(k, "args.") && len(k) > 5 {
			dotted[k[5:]] = v
		}
	}
	nested, ok := params["args"]
	if !ok || nested == nil {
		nested = params["input"]
	}
	if m, isMap := nested.(map[string]any); nested != nil && !(isMap && len(m) == 0) {
		switch x := nested.(type) {
		case map[string]any:
			out := make(map[string]any, len(dotted)+len(x))
			maps.Copy(out, dotted)
			maps.Copy(out, x)
			return inner, out
		case string:
			// Arguments written as a JSON document in a string.
			var m map[string]any
			if json.Unmarshal([]byte(x), &m) == nil && m != nil {
				return inner, m
			}
		}
		// A list or a scalar is still what the call carries: keep it, so
		// that it is decided on, shown and bound to an approval.
		return inner, map[string]any{"args": nested}
	}
	out := map[string]any{}
	for k, v := range params {
		switch {
		case k == "args" || k == "input" || k == selKey:
		case (k == "id" || k == "toolId" || k == "name") && isString(v, sel):
			// Another selector naming the same tool is a wrapper key too.
		case strings.HasPrefix(k, "args.") && len(k) > 5:
		default:
			out[k] = v
		}
	}
	maps.Copy(out, dotted)
	return inner, out
}

func isString(v any, want string) bool {
	s, ok := v.(string)
	return ok && strings.TrimSpace(s) == want
}

// Profiles lists the profiles the engine knows, sorted.
func (e *Engine) Profiles() []string {
	names := make([]string, 0, len(e.profiles))
	for n := range e.profiles {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func sortStrings(s []string) { sort.Strings(s) }
