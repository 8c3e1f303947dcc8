package app

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/audit"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/dlp"
	"github.com/wardenhq/warden/injection"
	"github.com/wardenhq/warden/llm"
)

// NewDLP builds the DLP engine configuration asks for; the model plane and
// `warden redact` share it.
func NewDLP(cfg *config.Config) (*dlp.Engine, error) {
	e, err := dlp.New(dlp.Options{MinScore: cfg.LLM.DLP.MinScore, PhoneRegions: cfg.LLM.DLP.PhoneRegions})
	if err != nil {
		return nil, fmt.Errorf("llm.dlp: %w", err)
	}
	return e, nil
}

// maskWith returns a function that masks the sensitive values of the given
// types (all if none) the engine finds in a text: what the audit record
// and approvers see of tool parameters.
func maskWith(e *dlp.Engine, types ...dlp.Type) func(string) string {
	// dlp.Apply does the replacing; the policy masks the chosen types and
	// lets the others through (no vault: nothing is redacted).
	policy := dlp.Policy{}
	for _, t := range dlp.Types() {
		policy[t] = dlp.Allow
		if len(types) == 0 || slices.Contains(types, t) {
			policy[t] = dlp.Mask
		}
	}
	return func(s string) string {
		out, _ := e.Redact(s, policy, nil)
		return out
	}
}

// providerKeys reads each provider's API key from its environment variable
// or file. A provider configured with a key source that is empty is an
// error: Warden would otherwise fail every call to it later, less clearly.
func providerKeys(cfg *config.Config, getenv func(string) string) (map[string]string, error) {
	keys := map[string]string{}
	for name, p := range cfg.Providers {
		switch {
		case p.APIKeyEnv != "":
			k := strings.TrimSpace(getenv(p.APIKeyEnv))
			if k == "" {
				return nil, fmt.Errorf("providers.%s: environment variable %s is empty; Warden holds the provider's API key, so set it where Warden runs", name, p.APIKeyEnv)
			}
			keys[name] = k
		case p.APIKeyFile != "":
			b, err := os.ReadFile(p.APIKeyFile)
			if err != nil {
				return nil, fmt.Errorf("providers.%s: api_key_file: %w", name, err)
			}
			k := strings.TrimSpace(string(b))
			if k == "" {
				return nil, fmt.Errorf("providers.%s: api_key_file %s is empty", name, p.APIKeyFile)
			}
			keys[name] = k
		}
	}
	return keys, nil
}

// newModelPlane builds the model proxy, subscribes it to the audit stream
// (labels) and replays today's usage into its budgets.
func newModelPlane(ctx context.Context, cfg *config.Config, getenv func(string) string, engine *dlp.Engine, gate llm.ToolGate, ids llm.Authenticator, log *audit.Log, a *App) (*llm.Proxy, error) {
	keys, err := providerKeys(cfg, getenv)
	if err != nil {
		return nil, err
	}
	det := injection.New(injection.Options{Threshold: cfg.LLM.Injection.Threshold})
	p, err := llm.New(llm.Options{
		Providers: cfg.Providers, Keys: keys, LLM: cfg.LLM, LimitsFor: cfg.LLMLimitsFor,
		Auth: ids, Audit: log, DLP: engine, Logger: a.log, Tools: gate,
		Injection: func(text string) llm.InjectionResult {
			r := det.Scan(text)
			out := llm.InjectionResult{Score: r.Score}
			for _, s := range r.Signals {
				out.Signals = append(out.Signals, s.ID)
			}
			return out
		},
	})
	if err != nil {
		return nil, err
	}
	now := time.Now()
	if err := replayLabels(ctx, log, p, now.Add(-cfg.LLM.LabelTTL.D())); err != nil {
		return nil, err
	}
	log.Subscribe(p.Observe)
	if err := replayUsage(ctx, log, p, now); err != nil {
		return nil, err
	}
	return p, nil
}

// replayLabels feeds the model plane the file reads of the last label time,
// so that a mark from reading confidential data survives a restart.
func replayLabels(ctx context.Context, log *audit.Log, p *llm.Proxy, since time.Time) error {
	f := warden.EventFilter{Since: since, Action: "file.read", Effect: warden.Allow, Limit: audit.MaxQueryLimit}
	return replay(ctx, log, f, p.Observe)
}

// replay calls fn for every event matching f, in chain order, page by page.
func replay(ctx context.Context, log *audit.Log, f warden.EventFilter, fn func(warden.Event)) error {
	for {
		evs, err := log.Query(ctx, f)
		if err != nil {
			return fmt.Errorf("replay %s events: %w", f.Action, err)
		}
		for _, ev := range evs {
			fn(*ev)
			f.AfterSeq = ev.Seq
		}
		if len(evs) < f.Limit {
			return nil
		}
	}
}

// replayUsage adds the tokens each agent used today, as recorded, so that a
// restart does not hand out a fresh daily budget.
func replayUsage(ctx context.Context, log *audit.Log, p *llm.Proxy, now time.Time) error {
	f := warden.EventFilter{Since: now.UTC().Truncate(24 * time.Hour), Action: "llm.call", Limit: audit.MaxQueryLimit}
	return replay(ctx, log, f, func(ev warden.Event) {
		if n := detailInt(ev.Details["tokens_in"]) + detailInt(ev.Details["tokens_out"]); n > 0 {
			p.AddUsage(ev.Principal, ev.Time, n)
		}
	})
}

func detailInt(v any) int64 {
	switch x := v.(type) {
	case float64:
		return int64(x)
	case int64:
		return x
	case int:
		return int64(x)
	}
	return 0
}
