package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/redteam"
	"github.com/wardenhq/warden/report"
)

// maxSystemPrompt bounds --system-prompt: a system prompt, not a corpus.
const maxSystemPrompt = 1 << 20

// redteamFlags are the flags of `warden redteam`.
type redteamFlags struct {
	target, api, model, token, systemPrompt string
	categories, attacks, mutate             []string
	concurrency                             int
	rate                                    float64
	timeout                                 time.Duration
	judge, judgeModel, judgeToken           string
	policyFile, profile                     string
	format, failOn                          string
	list                                    bool
}

func redteamCmd(e *env) *cobra.Command {
	var f redteamFlags
	cmd := &cobra.Command{
		Use:   "redteam --target URL --model M",
		Short: "Fire the jailbreak and prompt-injection corpus at a model or agent and fail on any success",
		Long: `Send every attack of the shipped corpus (persona jailbreaks, refusal
suppression, system-prompt extraction, indirect injection, encodings,
multi-turn escalation, tool misuse, ...) to a chat endpoint and grade the
replies without another model. Each run plants fresh canary secrets and PII
in the system prompt (after --system-prompt, your own) and forbidden tools in
the tool list: an attack succeeds when a reply leaks a canary (also encoded
or split), calls a forbidden tool, carries the persona tag it asked for, or
does not refuse where the planted policy requires it.

--target is an OpenAI-compatible base URL (…/v1: a model, OpenClaw's gateway,
Warden's model plane at /llm/<provider>/v1) with --api openai, or an
Anthropic base URL with --api anthropic. The credential comes from --token
or, better (it stays out of the process list), WARDEN_REDTEAM_TOKEN; it is
never printed.

--policy warden.yaml [--profile NAME] also submits every tool call an attack
elicits to that configuration's tool policy and reports whether Warden would
have stopped it.

Exit codes: 0 no more successful attacks than --fail-on-success allows
(default 0: any success fails), 1 more, 2 the run could not happen (bad
flags, target unreachable for every attack).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runRedteam(cmd, e, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.target, "target", "", "base URL of the chat endpoint (…/v1 for --api openai)")
	fl.StringVar(&f.api, "api", "openai", "openai (chat completions) or anthropic (messages)")
	fl.StringVar(&f.model, "model", "", "model name sent to the target")
	fl.StringVar(&f.token, "token", "", "credential for the target (default $WARDEN_REDTEAM_TOKEN)")
	fl.StringVar(&f.systemPrompt, "system-prompt", "", "file with your system prompt; the planted block is appended to it")
	fl.StringSliceVar(&f.categories, "category", nil, "only these categories (comma-separated)")
	fl.StringSliceVar(&f.attacks, "attack", nil, "only these attack ids (comma-separated)")
	fl.StringSliceVar(&f.mutate, "mutate", nil, "also run each attack mutated: all, or names ("+strings.Join(redteam.Mutations(), ", ")+")")
	fl.IntVar(&f.concurrency, "concurrency", redteam.DefaultConcurrency, "attacks in flight at once")
	fl.Float64Var(&f.rate, "rate", 0, "requests per second to the target (0: no limit)")
	fl.DurationVar(&f.timeout, "timeout", 60*time.Second, "per request, retries included")
	fl.StringVar(&f.judge, "judge", "", "OpenAI-compatible base URL of an LLM judge for attacks graded by behaviour (optional)")
	fl.StringVar(&f.judgeModel, "judge-model", "", "model of the LLM judge")
	fl.StringVar(&f.judgeToken, "judge-token", "", "credential for the judge (default $WARDEN_REDTEAM_JUDGE_TOKEN)")
	fl.StringVar(&f.policyFile, "policy", "", "a Warden configuration: decide every elicited tool call with its tool policy")
	fl.StringVar(&f.profile, "profile", "default", "the profile of --policy the agent runs under")
	fl.StringVar(&f.format, "format", "table", "table, json or junit")
	fl.StringVar(&f.failOn, "fail-on-success", "0", "exit 1 when more attacks than this succeed: a count (0) or a rate (5%)")
	fl.BoolVar(&f.list, "list", false, "list the attacks (id, category, title) and exit")
	return cmd
}

// redteamUsage is an exit-2 error: the run could not happen.
func redteamUsage(format string, args ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, args...)}
}

func runRedteam(cmd *cobra.Command, e *env, f redteamFlags) error {
	attacks, err := selectAttacks(f)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	if f.list {
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tCATEGORY\tTITLE")
		for _, a := range attacks {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", a.ID, a.Category, a.Title)
		}
		return tw.Flush()
	}
	switch f.format {
	case redteam.FormatTable, redteam.FormatJSON, redteam.FormatJUnit:
	default:
		return redteamUsage("--format %q: want table, json or junit", f.format)
	}
	threshold, err := redteam.ParseThreshold(f.failOn)
	if err != nil {
		return redteamUsage("--fail-on-success %w", err)
	}
	if err := checkURL("--target", f.target); err != nil {
		return err
	}
	if f.model == "" {
		return redteamUsage("--model is required")
	}
	if f.concurrency < 1 || f.rate < 0 || f.timeout < 0 {
		return redteamUsage("--concurrency must be at least 1, --rate and --timeout not negative")
	}
	token := f.token
	if token == "" {
		token = e.getenv("WARDEN_REDTEAM_TOKEN")
	}
	client := &http.Client{}
	var target redteam.Target
	switch f.api {
	case "openai":
		target = redteam.NewOpenAI(f.target, token, f.model, client)
	case "anthropic":
		target = redteam.NewAnthropic(f.target, token, f.model, client)
	default:
		return redteamUsage("--api %q: want openai or anthropic", f.api)
	}
	plant, err := redteam.NewPlant(nil)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	opts := redteam.Options{Concurrency: f.concurrency, Rate: f.rate, Timeout: f.timeout}
	if f.systemPrompt != "" {
		if opts.SystemPrompt, err = readSystemPrompt(f.systemPrompt); err != nil {
			return &exitError{code: 2, err: err}
		}
	}
	if f.judge != "" {
		if err := checkURL("--judge", f.judge); err != nil {
			return err
		}
		if f.judgeModel == "" {
			return redteamUsage("--judge needs --judge-model")
		}
		jt := f.judgeToken
		if jt == "" {
			jt = e.getenv("WARDEN_REDTEAM_JUDGE_TOKEN")
		}
		opts.LLMJudge = redteam.NewModelJudge(redteam.NewOpenAI(f.judge, jt, f.judgeModel, client), plant)
	}
	if f.policyFile != "" {
		if opts.Policy, err = redteam.LoadPolicy(f.policyFile, f.profile, e.getenv); err != nil {
			return &exitError{code: 2, err: err}
		}
	}
	opts.Progress = report.NewProgress(e.stderr, e.isTerminal(e.stderr), int64(len(attacks)), "redteam")
	res, runErr := redteam.Run(cmd.Context(), target, attacks, plant, opts)
	if res != nil {
		if err := redteam.Write(e.stdout, f.format, res); err != nil {
			return &exitError{code: 2, err: err}
		}
	}
	if runErr != nil {
		return &exitError{code: 2, err: runErr}
	}
	if threshold.Exceeded(res) {
		return &exitError{code: 1, err: fmt.Errorf("%d of %d attacks succeeded (--fail-on-success %s)", res.Totals.Succeeded, res.Totals.Total-res.Totals.Errored, threshold)}
	}
	return nil
}

// selectAttacks is the corpus narrowed by --category and --attack, plus
// the --mutate variants of what is left.
func selectAttacks(f redteamFlags) ([]redteam.Attack, error) {
	all, err := redteam.Corpus()
	if err != nil {
		return nil, err
	}
	for _, c := range f.categories {
		if !slices.Contains(redteam.Categories, c) {
			return nil, fmt.Errorf("--category %q: want one of %s", c, strings.Join(redteam.Categories, ", "))
		}
	}
	for _, id := range f.attacks {
		if !slices.ContainsFunc(all, func(a redteam.Attack) bool { return a.ID == id }) {
			return nil, fmt.Errorf("--attack %q: no such attack (see --list)", id)
		}
	}
	var base []redteam.Attack
	for _, a := range all {
		if (len(f.categories) == 0 || slices.Contains(f.categories, a.Category)) && (len(f.attacks) == 0 || slices.Contains(f.attacks, a.ID)) {
			base = append(base, a)
		}
	}
	if len(base) == 0 {
		return nil, errors.New("no attack matches --category and --attack together")
	}
	if len(f.mutate) == 0 {
		return base, nil
	}
	mutated, err := redteam.Mutate(base, f.mutate)
	if err != nil {
		return nil, fmt.Errorf("--mutate: %w", err)
	}
	return append(base, mutated...), nil
}

// checkURL refuses a URL that is not http(s) with a host.
func checkURL(flag, s string) error {
	if s == "" {
		return redteamUsage("%s URL is required", flag)
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return redteamUsage("%s %q: want an http(s) URL", flag, s)
	}
	if u.User != nil {
		return redteamUsage("%s: put the credential in --token or the environment, not in the URL", flag)
	}
	return nil
}

func readSystemPrompt(path string) (string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("--system-prompt: %w", err)
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, maxSystemPrompt+1))
	if err != nil {
		return "", fmt.Errorf("--system-prompt: %w", err)
	}
	if len(b) > maxSystemPrompt {
		return "", fmt.Errorf("--system-prompt: %s is larger than %d KiB", path, maxSystemPrompt>>10)
	}
	return string(b), nil
}
