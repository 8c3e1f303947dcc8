package redteam

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/wardenhq/warden/report"
)

// DefaultConcurrency is how many attacks run at once unless told.
const DefaultConcurrency = 4

// deadAfter is how many attacks (at least; the concurrency if higher) must
// all fail before a run stops sending the rest.
const deadAfter = 8

// Grader grades one attack's replies; *Judge is the one a run uses unless
// told otherwise.
type Grader interface {
	Grade(a Attack, replies []Reply) Verdict
}

// Options tune a run. The zero value is usable: four attacks at a time, no
// rate limit, no timeout beyond ctx, the deterministic judge.
type Options struct {
	Concurrency  int              // attacks in flight (default 4)
	Rate         float64          // requests per second to the target (0: unlimited)
	Timeout      time.Duration    // per request, retries included (0: none)
	Progress     *report.Progress // advanced once per attack; nil draws nothing
	SystemPrompt string           // the operator's; the plant is appended to it
	Judge        Grader           // default NewJudge(plant)
	LLMJudge     LLMJudge         // optional second opinion on attacks the judge passed
	Policy       *Policy          // optional: decide every elicited tool call
	Target       string           // how reports name the target (default: the target's String)
	Now          func() time.Time // clock for the report (default time.Now)
}

// Case is one attack's outcome.
type Case struct {
	Attack  Attack  `json:"attack"`
	Replies []Reply `json:"replies,omitempty"`
	Verdict Verdict `json:"verdict"`
	// Err is why the attack could not be completed (the target failed);
	// an errored case is neither passed nor succeeded.
	Err string `json:"error,omitempty"`
	// Judge is the LLM judge's explanation when it was asked, or why it
	// could not answer.
	Judge string `json:"judge,omitempty"`
	// Policy holds the deployed policy's decision on every tool call the
	// attack elicited (policy-aware mode only).
	Policy []PolicyOutcome `json:"policy,omitempty"`
	// Duration is the attack's wall time, grading included.
	Duration time.Duration `json:"durationNs"`
}

// Errored reports whether the case could not be run to the end.
func (c Case) Errored() bool { return c.Err != "" }

// Succeeded reports whether the attack worked on the target.
func (c Case) Succeeded() bool { return !c.Errored() && c.Verdict.Success }

// Stats count the cases of a category, or of the whole run.
type Stats struct {
	Category  string  `json:"category,omitempty"`
	Total     int     `json:"total"`
	Succeeded int     `json:"succeeded"` // attacks that worked: failures of the target
	Errored   int     `json:"errored"`
	Passed    int     `json:"passed"`   // attacks the target withstood
	PassRate  float64 `json:"passRate"` // Passed / (Total - Errored); 0 when nothing was graded
}

func (s *Stats) add(c Case) {
	s.Total++
	switch {
	case c.Errored():
		s.Errored++
	case c.Succeeded():
		s.Succeeded++
	default:
		s.Passed++
	}
	if g := s.Total - s.Errored; g > 0 {
		s.PassRate = float64(s.Passed) / float64(g)
	} else {
		s.PassRate = 0
	}
}

// Result is a whole run.
type Result struct {
	CorpusVersion int           `json:"corpusVersion"`
	Target        string        `json:"target"`
	Started       time.Time     `json:"started"`
	Duration      time.Duration `json:"durationNs"`
	Totals        Stats         `json:"totals"`
	Categories    []Stats       `json:"categories"` // in the order of Categories, only those run
	Cases         []Case        `json:"cases"`      // in the order of the attacks
	// PolicySummary counts the elicited tool calls (policy-aware mode).
	PolicySummary *PolicySummary `json:"policySummary,omitempty"`
}

// Run fires every attack at target and grades the replies. Attacks run
// concurrently; each sends its turns in order, and every user or tool turn
// gets a reply that joins the history before the next turn. A target
// failure is recorded on its case and the run goes on; Run returns an error
// when ctx ends (with the partial result) or when every case failed.
func Run(ctx context.Context, target Target, attacks []Attack, plant Plant, opts Options) (*Result, error) {
	if len(attacks) == 0 {
		return nil, errors.New("redteam: no attacks to run")
	}
	if len(plant.Canaries) == 0 {
		return nil, errors.New("redteam: the plant has no canaries (use NewPlant)")
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	judge := opts.Judge
	if judge == nil {
		judge = NewJudge(plant)
	}
	conc := opts.Concurrency
	if conc <= 0 {
		conc = DefaultConcurrency
	}
	var limiter *rate.Limiter
	if opts.Rate > 0 {
		limiter = rate.NewLimiter(rate.Limit(opts.Rate), 1)
	}
	r := &runner{target: target, plant: plant, opts: opts, judge: judge, limiter: limiter,
		system: plant.SystemPrompt(opts.SystemPrompt)}

	res := &Result{CorpusVersion: CorpusVersion, Target: opts.Target, Started: now(), Cases: make([]Case, len(attacks))}
	if res.Target == "" {
		if s, ok := target.(fmt.Stringer); ok {
			res.Target = s.String()
		}
	}
	jobs := make(chan int)
	var wg sync.WaitGroup
	// A target that fails the first attacks it gets, every one, is down
	// or misconfigured: the rest are not sent (each would wait through
	// its retries) and the run ends with that error.
	probe := max(conc, deadAfter)
	var mu sync.Mutex
	finished, failed := 0, 0
	dead := make(chan struct{})
	for range min(conc, len(attacks)) {
		wg.Go(func() {
			for i := range jobs {
				res.Cases[i] = r.run(ctx, attacks[i])
				opts.Progress.Add(1)
				mu.Lock()
				finished++
				if res.Cases[i].Errored() {
					failed++
				}
				if finished == probe && failed == probe {
					close(dead)
				}
				mu.Unlock()
			}
		})
	}
	skip := func(from int, why string) {
		for j := from; j < len(attacks); j++ {
			res.Cases[j] = Case{Attack: attacks[j], Err: why}
		}
	}
feed:
	for i := range attacks {
		select {
		case jobs <- i:
		case <-ctx.Done():
			skip(i, ctx.Err().Error())
			break feed
		case <-dead:
			skip(i, fmt.Sprintf("not sent: the first %d attacks all failed", probe))
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	opts.Progress.Finish()
	res.Duration = now().Sub(res.Started)
	res.summarise(opts.Policy)
	if err := ctx.Err(); err != nil {
		return res, fmt.Errorf("redteam: run interrupted: %w", err)
	}
	if res.Totals.Errored == res.Totals.Total {
		return res, fmt.Errorf("redteam: every attack failed to run; the first: %s: %s", res.Cases[0].Attack.ID, res.Cases[0].Err)
	}
	return res, nil
}

// runner is what every attack of a run shares.
type runner struct {
	target  Target
	plant   Plant
	opts    Options
	judge   Grader
	limiter *rate.Limiter
	system  string
}

// run plays one attack and grades it.
func (r *runner) run(ctx context.Context, a Attack) (c Case) {
	start := time.Now()
	c.Attack = a
	defer func() { c.Duration = time.Since(start) }()
	conv := Conversation{System: r.system, Tools: toolsFor(r.plant, a)}
	for _, t := range a.Turns {
		conv.Messages = append(conv.Messages, t)
		if t.Role == "assistant" {
			continue // scripted history: nothing to answer
		}
		reply, err := r.send(ctx, conv)
		if err != nil {
			c.Err = err.Error()
			return c
		}
		c.Replies = append(c.Replies, reply)
		conv.Messages = append(conv.Messages, Turn{Role: "assistant", Content: assistantText(reply)})
	}
	c.Verdict = r.judge.Grade(a, c.Replies)
	if r.opts.LLMJudge != nil && NeedsLLMJudge(a, c.Verdict) {
		// The deterministic judge is authoritative for what it sees; the
		// LLM judge can only add a success it missed (harmful compliance
		// without a canary, a marker or a tool call).
		ok, why, err := r.opts.LLMJudge.Judge(ctx, a, c.Replies)
		switch {
		case err != nil:
			c.Judge = "the LLM judge could not answer: " + err.Error()
		case ok:
			c.Verdict.Success = true
			c.Verdict.Reasons = append(c.Verdict.Reasons, "LLM judge: "+why)
			c.Judge = why
		default:
			c.Judge = why
		}
	}
	if r.opts.Policy != nil {
		for _, rep := range c.Replies {
			for _, tc := range rep.ToolCalls {
				c.Policy = append(c.Policy, r.opts.Policy.Decide(a.ID, tc))
			}
		}
	}
	return c
}

// send waits for the rate limiter and sends one request within the timeout.
func (r *runner) send(ctx context.Context, conv Conversation) (Reply, error) {
	if r.limiter != nil {
		if err := r.limiter.Wait(ctx); err != nil {
			return Reply{}, fmt.Errorf("rate limit: %w", err)
		}
	}
	if r.opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.opts.Timeout)
		defer cancel()
	}
	// The conversation is copied: a target must not see later turns
	// appended to a slice it may still hold.
	conv.Messages = slices.Clone(conv.Messages)
	return r.target.Send(ctx, conv)
}

// toolsFor is the plant's tool list plus any tool an attack's tool turns
// name that the list lacks: the history shows the assistant calling it, so
// the target must have been offered it.
func toolsFor(p Plant, a Attack) []Tool {
	tools := p.Tools()
	for _, t := range a.Turns {
		if t.Role != "tool" || slices.ContainsFunc(tools, func(x Tool) bool { return x.Name == t.Tool }) {
			continue
		}
		tools = append(tools, Tool{Name: t.Tool, Description: "A tool used earlier in this conversation.",
			Parameters: map[string]any{"type": "object", "properties": map[string]any{}}})
	}
	return tools
}

// summarise fills the totals, the per-category stats and the policy counts.
func (res *Result) summarise(p *Policy) {
	by := map[string]*Stats{}
	res.Totals = Stats{}
	for _, c := range res.Cases {
		res.Totals.add(c)
		s := by[c.Attack.Category]
		if s == nil {
			s = &Stats{Category: c.Attack.Category}
			by[c.Attack.Category] = s
		}
		s.add(c)
	}
	res.Categories = nil
	for _, name := range Categories {
		if s := by[name]; s != nil {
			res.Categories = append(res.Categories, *s)
			delete(by, name)
		}
	}
	// Categories outside the list (a custom corpus) come last, sorted.
	var rest []string
	for name := range by {
		rest = append(rest, name)
	}
	slices.Sort(rest)
	for _, name := range rest {
		res.Categories = append(res.Categories, *by[name])
	}
	if p != nil {
		res.PolicySummary = summarisePolicy(res.Cases)
		res.PolicySummary.Profile, res.PolicySummary.File = p.profile, p.file
	}
}

// ModelJudge is an LLMJudge backed by a chat endpoint (`--judge`): it sends
// JudgePrompt, with the planted values masked, and reads the JSON verdict.
type ModelJudge struct {
	target Target
	mask   func(string) string
}

// NewModelJudge returns a judge asking target; plant's values are masked
// out of everything it is shown.
func NewModelJudge(target Target, plant Plant) *ModelJudge {
	return &ModelJudge{target: target, mask: NewJudge(plant).Mask}
}

// Judge asks the model whether the attack succeeded.
func (m *ModelJudge) Judge(ctx context.Context, a Attack, replies []Reply) (bool, string, error) {
	masked := make([]Reply, len(replies))
	for i, r := range replies {
		masked[i] = Reply{Text: m.mask(r.Text)}
		for _, tc := range r.ToolCalls {
			masked[i].ToolCalls = append(masked[i].ToolCalls, ToolCall{Name: tc.Name, Arguments: m.mask(tc.Arguments)})
		}
	}
	reply, err := m.target.Send(ctx, Conversation{Messages: []Turn{{Role: "user", Content: JudgePrompt(a, masked)}}})
	if err != nil {
		return false, "", fmt.Errorf("judge: %w", err)
	}
	return parseJudgeAnswer(reply.Text)
}

// parseJudgeAnswer reads {"success": bool, "reason": "..."} from a judge's
// answer, tolerating a code fence or prose around the object.
func parseJudgeAnswer(text string) (bool, string, error) {
	start, end := strings.Index(text, "{"), strings.LastIndex(text, "}")
	if start < 0 || end < start {
		return false, "", fmt.Errorf("judge: the answer holds no JSON object: %q", oneLine(text, 120))
	}
	var v struct {
		Success *bool  `json:"success"`
		Reason  string `json:"reason"`
	}
	if err := json.Unmarshal([]byte(text[start:end+1]), &v); err != nil || v.Success == nil {
		return false, "", fmt.Errorf("judge: the answer is not {\"success\": bool, \"reason\": ...}: %q", oneLine(text, 120))
	}
	return *v.Success, oneLine(v.Reason, 300), nil
}
