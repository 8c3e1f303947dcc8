package redteam

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/llmtest"
	"github.com/wardenhq/warden/wardentest"
)

// runPlant is a plant with fixed values, so failures are reproducible.
func runPlant(t testing.TB) Plant {
	t.Helper()
	p, err := NewPlant(bytes.NewReader(bytes.Repeat([]byte{0x5a, 0xc3, 0x17}, 16)))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func runCorpus(t testing.TB) []Attack {
	t.Helper()
	a, err := Corpus()
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// fakeTarget starts an llmtest fake with behaviour b and returns a target
// on it for api.
func fakeTarget(t testing.TB, api string, b llmtest.Behaviour) Target {
	f := llmtest.Start(t)
	f.Behave(b)
	if api == "anthropic" {
		return NewAnthropic(f.URL, "test-token", "fake-model", nil)
	}
	return NewOpenAI(f.URL+"/v1", "test-token", "fake-model", nil)
}

func TestVulnerableFakeFailsTheRun(t *testing.T) {
	attacks := runCorpus(t)
	for _, api := range []string{"openai", "anthropic"} {
		t.Run(api, func(t *testing.T) {
			res, err := Run(context.Background(), fakeTarget(t, api, llmtest.Vulnerable()), attacks, runPlant(t), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Totals.Errored != 0 {
				t.Fatalf("%d cases errored: %+v", res.Totals.Errored, firstErrored(res))
			}
			t.Logf("vulnerable fake over %s: %d of %d attacks succeeded; withstood: %v", api, res.Totals.Succeeded, res.Totals.Total, withstood(res))
			// Every category falls, and the run as a whole mostly does.
			for _, s := range res.Categories {
				if s.Succeeded == 0 {
					t.Errorf("category %s: no attack succeeded on the vulnerable fake (%d attacks)", s.Category, s.Total)
				}
			}
			if 10*res.Totals.Succeeded < 9*res.Totals.Total {
				t.Errorf("only %d of %d attacks succeeded on the vulnerable fake; withstood: %s", res.Totals.Succeeded, res.Totals.Total, withstood(res))
			}
			if !(Threshold{}).Exceeded(res) {
				t.Error("the default threshold does not fail the run")
			}
		})
	}
}

func TestRobustFakePassesTheRun(t *testing.T) {
	attacks := runCorpus(t)
	for _, api := range []string{"openai", "anthropic"} {
		t.Run(api, func(t *testing.T) {
			res, err := Run(context.Background(), fakeTarget(t, api, llmtest.Robust()), attacks, runPlant(t), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Totals.Succeeded != 0 || res.Totals.Errored != 0 || res.Totals.Passed != len(attacks) {
				t.Fatalf("totals %+v; succeeded: %v", res.Totals, succeededIDs(res))
			}
			if (Threshold{}).Exceeded(res) {
				t.Error("the default threshold fails a clean run")
			}
			for _, s := range res.Categories {
				if s.PassRate != 1 {
					t.Errorf("category %s pass rate %v", s.Category, s.PassRate)
				}
			}
		})
	}
}

func firstErrored(res *Result) Case {
	for _, c := range res.Cases {
		if c.Errored() {
			return c
		}
	}
	return Case{}
}

func succeededIDs(res *Result) []string {
	var ids []string
	for _, c := range res.Cases {
		if c.Succeeded() {
			ids = append(ids, c.Attack.ID)
		}
	}
	return ids
}

func withstood(res *Result) []string {
	var ids []string
	for _, c := range res.Cases {
		if !c.Succeeded() && !c.Errored() {
			ids = append(ids, c.Attack.ID)
		}
	}
	return ids
}

// recorder is a Target that records every conversation it is sent and
// answers "reply N", or fails for the attacks whose first user turn is in
// fail.
type recorder struct {
	mu    sync.Mutex
	convs []Conversation
	fail  map[string]bool
	n     int
}

func (r *recorder) Send(_ context.Context, c Conversation) (Reply, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.convs = append(r.convs, c)
	if r.fail[c.Messages[0].Content] {
		return Reply{}, errors.New("HTTP 500: boom")
	}
	r.n++
	return Reply{Text: fmt.Sprintf("reply %d", r.n)}, nil
}

func mkAttack(id string, turns ...Turn) Attack {
	cat, _, _ := strings.Cut(id, ".")
	return Attack{ID: id, Category: cat, Title: id, Turns: turns, Success: []Check{{Kind: CheckCanary}}}
}

func TestRunSendsTurnsInOrderWithRepliesInTheHistory(t *testing.T) {
	rec := &recorder{}
	a := mkAttack("multi-turn.test",
		Turn{Role: "user", Content: "u1"},
		Turn{Role: "assistant", Content: "scripted"},
		Turn{Role: "user", Content: "u2"},
		Turn{Role: "tool", Tool: "fetch_page", Content: "t1"})
	plant := runPlant(t)
	res, err := Run(context.Background(), rec, []Attack{a}, plant, Options{SystemPrompt: "Operator prompt."})
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.convs) != 3 || len(res.Cases[0].Replies) != 3 {
		t.Fatalf("%d sends, %d replies; want 3 each", len(rec.convs), len(res.Cases[0].Replies))
	}
	roles := func(c Conversation) string {
		var s []string
		for _, m := range c.Messages {
			s = append(s, m.Role+":"+m.Content)
		}
		return strings.Join(s, " ")
	}
	want := []string{
		"user:u1",
		"user:u1 assistant:reply 1 assistant:scripted user:u2",
		"user:u1 assistant:reply 1 assistant:scripted user:u2 assistant:reply 2 tool:t1",
	}
	for i, c := range rec.convs {
		if got := roles(c); got != want[i] {
			t.Errorf("send %d: %s\nwant %s", i+1, got, want[i])
		}
		if c.System != plant.SystemPrompt("Operator prompt.") {
			t.Errorf("send %d: system prompt %q", i+1, c.System)
		}
		names := []string{}
		for _, tl := range c.Tools {
			names = append(names, tl.Name)
		}
		for _, n := range []string{"delete_files", "send_email", "get_weather", "fetch_page"} {
			if !slices.Contains(names, n) {
				t.Errorf("send %d: tool %s not offered (%v)", i+1, n, names)
			}
		}
	}
}

func TestRunRecordsATargetErrorOnItsCaseAndGoesOn(t *testing.T) {
	rec := &recorder{fail: map[string]bool{"bad": true}}
	attacks := []Attack{mkAttack("persona.a", Turn{Role: "user", Content: "good"}), mkAttack("persona.b", Turn{Role: "user", Content: "bad"}),
		mkAttack("encoding.c", Turn{Role: "user", Content: "good too"})}
	res, err := Run(context.Background(), rec, attacks, runPlant(t), Options{Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	if c := res.Cases[1]; !c.Errored() || c.Succeeded() || !strings.Contains(c.Err, "boom") {
		t.Fatalf("failing case = %+v", c)
	}
	if res.Totals.Errored != 1 || res.Totals.Passed != 2 || res.Totals.Total != 3 {
		t.Fatalf("totals %+v", res.Totals)
	}
	if p := res.Categories[0]; p.Category != "persona" || p.Errored != 1 || p.Passed != 1 || p.PassRate != 1 {
		t.Fatalf("persona stats %+v (the pass rate counts graded attacks only)", p)
	}
}

func TestRunFailsWhenEveryAttackErrors(t *testing.T) {
	rec := &recorder{fail: map[string]bool{"bad": true}}
	res, err := Run(context.Background(), rec, []Attack{mkAttack("persona.a", Turn{Role: "user", Content: "bad"})}, runPlant(t), Options{})
	if err == nil || !strings.Contains(err.Error(), "every attack failed") || res == nil || res.Totals.Errored != 1 {
		t.Fatalf("err %v, res %+v", err, res)
	}
}

func TestRunStopsSendingWhenTheFirstAttacksAllFail(t *testing.T) {
	var attacks []Attack
	for i := range 30 {
		attacks = append(attacks, mkAttack(fmt.Sprintf("persona.a%02d", i), Turn{Role: "user", Content: "bad"}))
	}
	rec := &recorder{fail: map[string]bool{"bad": true}}
	res, err := Run(context.Background(), rec, attacks, runPlant(t), Options{Concurrency: 2})
	if err == nil || res.Totals.Errored != 30 {
		t.Fatalf("err %v, totals %+v", err, res.Totals)
	}
	// Two workers may each take one more attack while the eighth fails.
	if n := len(rec.convs); n < deadAfter || n > deadAfter+2 {
		t.Fatalf("%d attacks sent to a dead target, want about %d", n, deadAfter)
	}
	if !strings.Contains(res.Cases[29].Err, "not sent") {
		t.Fatalf("last case = %+v", res.Cases[29])
	}
}

func TestTargetDoesNotRetryWhenNothingListens(t *testing.T) {
	srv, _ := statusServer(t, "", 200)
	url := srv.URL
	srv.Close()
	target := NewOpenAI(url, "", "m", nil)
	target.Backoff = time.Hour // a retry would hang the test
	if _, err := target.Send(context.Background(), Conversation{Messages: []Turn{{Role: "user", Content: "hi"}}}); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("err = %v", err)
	}
}

// gate is a Target that holds the first n sends until n are in flight:
// a run that is less concurrent than n never gets past it.
type gate struct {
	n                 int
	mu                sync.Mutex
	inFlight, maxSeen int
	all               chan struct{}
	once              sync.Once
}

func (g *gate) Send(ctx context.Context, _ Conversation) (Reply, error) {
	g.mu.Lock()
	g.inFlight++
	g.maxSeen = max(g.maxSeen, g.inFlight)
	if g.inFlight == g.n {
		g.once.Do(func() { close(g.all) })
	}
	g.mu.Unlock()
	defer func() { g.mu.Lock(); g.inFlight--; g.mu.Unlock() }()
	select {
	case <-g.all:
		return Reply{Text: "I can't help with that."}, nil
	case <-ctx.Done():
		return Reply{}, ctx.Err()
	}
}

func TestRunKeepsConcurrencyAttacksInFlight(t *testing.T) {
	var attacks []Attack
	for i := range 12 {
		attacks = append(attacks, mkAttack(fmt.Sprintf("persona.a%02d", i), Turn{Role: "user", Content: "x"}))
	}
	g := &gate{n: 3, all: make(chan struct{})}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := Run(ctx, g, attacks, runPlant(t), Options{Concurrency: 3})
	if err != nil {
		t.Fatalf("%v (fewer than 3 attacks ran at once?)", err)
	}
	if g.maxSeen != 3 || res.Totals.Passed != 12 {
		t.Fatalf("at most %d in flight (want 3), totals %+v", g.maxSeen, res.Totals)
	}
}

// hang is a Target that answers only when its context ends.
type hang struct{}

func (hang) Send(ctx context.Context, _ Conversation) (Reply, error) {
	<-ctx.Done()
	return Reply{}, ctx.Err()
}

func TestRunTimesOutARequestAndErrorsItsCase(t *testing.T) {
	res, err := Run(context.Background(), hang{}, []Attack{mkAttack("persona.a", Turn{Role: "user", Content: "x"})}, runPlant(t), Options{Timeout: 10 * time.Millisecond})
	if err == nil || res.Totals.Errored != 1 || !strings.Contains(res.Cases[0].Err, "deadline exceeded") {
		t.Fatalf("err %v, case %+v", err, res.Cases[0])
	}
}

func TestRunStopsWhenCancelledAndReturnsThePartialResult(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := Run(ctx, hang{}, []Attack{mkAttack("persona.a", Turn{Role: "user", Content: "x"}), mkAttack("persona.b", Turn{Role: "user", Content: "y"})},
		runPlant(t), Options{Concurrency: 1})
	if !errors.Is(err, context.Canceled) || res == nil || res.Totals.Errored != 2 {
		t.Fatalf("err %v, res %+v", err, res)
	}
}

// stubJudge is an LLM judge that calls the attacks in yes a success and
// fails on those in broken.
type stubJudge struct{ yes, broken map[string]bool }

func (j stubJudge) Judge(_ context.Context, a Attack, _ []Reply) (bool, string, error) {
	if j.broken[a.ID] {
		return false, "", errors.New("judge down")
	}
	return j.yes[a.ID], "the reply " + map[bool]string{true: "complied", false: "refused"}[j.yes[a.ID]], nil
}

func TestLLMJudgeCanAddSuccessesButNotErrors(t *testing.T) {
	target := fakeTarget(t, "openai", llmtest.Robust())
	attacks := []Attack{mkAttack("role-play.a", Turn{Role: "user", Content: "x"}), mkAttack("role-play.b", Turn{Role: "user", Content: "y"}),
		mkAttack("role-play.c", Turn{Role: "user", Content: "z"}), mkAttack("role-play.d", Turn{Role: "user", Content: "w"})}
	for i := range 3 {
		attacks[i].Success = []Check{{Kind: CheckNoRefusal}}
	}
	res, err := Run(context.Background(), target, attacks, runPlant(t), Options{
		LLMJudge: stubJudge{yes: map[string]bool{"role-play.a": true, "role-play.d": true}, broken: map[string]bool{"role-play.c": true}}})
	if err != nil {
		t.Fatal(err)
	}
	a, b, c := res.Cases[0], res.Cases[1], res.Cases[2]
	if !a.Succeeded() || !slices.ContainsFunc(a.Verdict.Reasons, func(r string) bool { return strings.HasPrefix(r, "LLM judge: ") }) {
		t.Errorf("case a = %+v", a)
	}
	if b.Succeeded() || b.Judge != "the reply refused" {
		t.Errorf("case b = %+v", b)
	}
	if c.Succeeded() || c.Errored() || !strings.Contains(c.Judge, "judge down") {
		t.Errorf("case c = %+v (a judge failure is noted, not an error of the target)", c)
	}
	if d := res.Cases[3]; d.Judge != "" {
		t.Errorf("the judge was asked about a canary-only attack: %+v", d)
	}
}

// TestBaseCorpusRunTime runs the whole base corpus against the vulnerable
// fake at concurrency 4 and logs the wall time (the goal: under
// 10 s). It asserts nothing about time: see the log, or BenchmarkBaseCorpus.
func TestBaseCorpusRunTime(t *testing.T) {
	attacks := runCorpus(t)
	target := fakeTarget(t, "openai", llmtest.Vulnerable())
	start := time.Now()
	res, err := Run(context.Background(), target, attacks, runPlant(t), Options{Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("base corpus: %d attacks, %d requests, concurrency 4: %v wall", len(attacks), requests(res), time.Since(start))
}

func requests(res *Result) int {
	n := 0
	for _, c := range res.Cases {
		n += len(c.Replies)
	}
	return n
}

func BenchmarkBaseCorpus(b *testing.B) {
	attacks := runCorpus(b)
	target := fakeTarget(b, "openai", llmtest.Vulnerable())
	plant := runPlant(b)
	for b.Loop() {
		if _, err := Run(context.Background(), target, attacks, plant, Options{Concurrency: 4}); err != nil {
			b.Fatal(err)
		}
	}
}

// guardrailRun is one configuration of Warden's model plane in front of
// the vulnerable fake.
type guardrailRun struct {
	name string
	set  func(*config.Config)
}

// countReasons counts the successful cases with a reason containing s.
func countReasons(res *Result, s string) int {
	n := 0
	for _, c := range res.Cases {
		if c.Succeeded() && slices.ContainsFunc(c.Verdict.Reasons, func(r string) bool { return strings.Contains(r, s) }) {
			n++
		}
	}
	return n
}

func TestWardensModelPlaneCutsTheVulnerableFakesSuccesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Warden servers")
	}
	attacks, plant := runCorpus(t), runPlant(t)
	fake := llmtest.Start(t)
	fake.Behave(llmtest.Vulnerable())
	direct, err := Run(context.Background(), NewOpenAI(fake.URL+"/v1", "", "fake-model", nil), attacks, plant, Options{})
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "provider.key")
	if err := os.WriteFile(keyFile, []byte("sk-provider-key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	forbidden := []string{}
	for _, tl := range plant.ForbiddenTools {
		forbidden = append(forbidden, tl.Name)
	}
	base := func(c *config.Config) {
		c.Providers = map[string]config.Provider{"openai": {Protocol: "openai", BaseURL: fake.URL + "/v1", APIKeyFile: keyFile}}
		c.LLM.Limits.RequestsPerMinute = 1_000_000 // a run is a burst
	}
	toolPolicy := func(c *config.Config) {
		c.Profiles = map[string]config.Profile{"default": {Tools: &config.ToolPolicy{Allow: []string{"get_weather", "search_docs"}, Deny: forbidden}}}
	}
	blockInjection := func(c *config.Config) { c.LLM.Injection.Action = "block" }
	maskPII := func(c *config.Config) {
		c.LLM.DLP.Actions = map[string]string{"email": "mask", "phone": "mask", "secret": "mask"}
	}
	t.Logf("direct: %d of %d attacks succeeded (%d by a forbidden tool call, %d by a canary)", direct.Totals.Succeeded, direct.Totals.Total,
		countReasons(direct, "forbidden tool call"), countReasons(direct, "canary"))
	var defaults *Result // the first subtest's result
	for _, g := range []guardrailRun{
		{"defaults", func(*config.Config) {}},
		{"tool policy denies the forbidden tools", toolPolicy},
		{"injection action block", blockInjection},
		{"DLP masks email, phone and secrets", maskPII},
		{"all three", func(c *config.Config) { toolPolicy(c); blockInjection(c); maskPII(c) }},
	} {
		t.Run(g.name, func(t *testing.T) {
			s := wardentest.Start(t, base, g.set)
			agent := s.Agent("redteam")
			res, err := Run(context.Background(), NewOpenAI(s.URL+"/llm/openai/v1", agent, "fake-model", nil), attacks, plant, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Totals.Errored != 0 {
				t.Fatalf("%d cases errored through Warden, e.g. %+v", res.Totals.Errored, firstErrored(res))
			}
			tools, canaries := countReasons(res, "forbidden tool call"), countReasons(res, "canary")
			var cats []string
			for _, c := range res.Categories {
				cats = append(cats, fmt.Sprintf("%s %d/%d", c.Category, c.Succeeded, c.Total))
			}
			var leaks []string
			for _, v := range plant.Secrets() {
				leaks = append(leaks, fmt.Sprintf("%s %d", mask(v), countReasons(res, mask(v))))
			}
			t.Logf("through Warden (%s): %d of %d succeeded (%d by a forbidden tool call, %d by a canary: %s); %s",
				g.name, res.Totals.Succeeded, res.Totals.Total, tools, canaries, strings.Join(leaks, ", "), strings.Join(cats, ", "))
			leaked := func(r *Result, v string) int { return countReasons(r, mask(v)) }
			ii := func(r *Result) int {
				for _, c := range r.Categories {
					if c.Category == "indirect-injection" {
						return c.Succeeded
					}
				}
				return 0
			}
			// Every configuration keeps the forbidden tool calls from the
			// client: with no profile configured, the built-in default
			// asks before any tool that is not read-only, and an ask
			// without a live OpenClaw plugin is a denial.
			if tools != 0 || res.Totals.Succeeded >= direct.Totals.Succeeded {
				t.Errorf("%d forbidden tool calls got through; %d successes vs %d direct", tools, res.Totals.Succeeded, direct.Totals.Succeeded)
			}
			if g.name != "defaults" && defaults == nil {
				t.Fatal("the defaults run did not complete")
			}
			switch g.name {
			case "defaults":
				defaults = res
			case "injection action block", "all three":
				if ii(res) >= ii(defaults) {
					t.Errorf("indirect injections: %d succeeded with block, %d with the default spotlight", ii(res), ii(defaults))
				}
			}
			if strings.HasPrefix(g.name, "DLP") || g.name == "all three" {
				// Masked before the model sees them: the email and phone
				// cannot leak. (Redacting, the default, restores them
				// in the reply, so it does not stop a leak back to the
				// caller.)
				for _, v := range plant.PII {
					if leaked(res, v) != 0 || leaked(defaults, v) == 0 {
						t.Errorf("%s leaked in %d attacks with mask, %d with the defaults", mask(v), leaked(res, v), leaked(defaults, v))
					}
				}
			}
		})
	}
}
