// Package llm is the model plane: an OpenAI- and Anthropic-compatible proxy
// that agents use instead of the providers. For each call it authenticates
// the agent by its Warden token, enforces its request rate and token
// budget and the labels of data it has read, scores tool results for
// prompt injection, redacts sensitive values before the prompt leaves,
// swaps in the provider key the agent never sees, restores redacted values
// in the reply — streamed event by event — filters what the model should
// not hand out, and records one audit event.
package llm

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/dlp"
)

// Authenticator resolves a presented token to a principal.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (*warden.Principal, error)
}

// Recorder appends events to the audit chain.
type Recorder interface {
	Record(ctx context.Context, ev *warden.Event) error
}

// InjectionResult is a prompt-injection verdict on one piece of untrusted
// content.
type InjectionResult struct {
	Score   float64
	Signals []string
}

// Options configure a Proxy.
type Options struct {
	Providers map[string]config.Provider
	// Keys holds each provider's API key, resolved at start ("" for an
	// upstream that needs none).
	Keys      map[string]string
	LLM       config.LLM
	LimitsFor func(profile string) config.LLMLimits
	Auth      Authenticator
	Audit     Recorder
	DLP       *dlp.Engine
	// Injection scores untrusted content (tool results); nil disables it.
	Injection func(text string) InjectionResult
	// Tools decides every tool call a model emits before the agent sees
	// it (the tool plane's second enforcement point); nil lets calls pass.
	Tools     ToolGate
	Transport http.RoundTripper // http.DefaultTransport if nil
	Logger    *slog.Logger
	Now       func() time.Time
	// ScanCache is how many long texts' scan results are remembered
	// (DefaultScanCache if 0; negative disables the cache).
	ScanCache int
}

// DefaultScanCache bounds the scan cache: two generations of this many
// texts' findings (entities and scores, not the texts).
const DefaultScanCache = 4096

// Proxy serves /llm/{provider}/...
type Proxy struct {
	opts      Options
	providers map[string]*provider
	client    *http.Client
	budget    *budget
	labels    *labels
	dlpPolicy dlp.Policy
	outPolicy dlp.Policy
	outDLP    *dlp.Engine // the engine restricted to the filtered types
	cache     *scanCache
	log       *slog.Logger
	now       func() time.Time
}

// New returns a Proxy.
func New(opts Options) (*Proxy, error) {
	if opts.Auth == nil || opts.Audit == nil || opts.DLP == nil {
		return nil, errors.New("llm: Auth, Audit and DLP are required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.LimitsFor == nil {
		opts.LimitsFor = func(string) config.LLMLimits { return opts.LLM.Limits }
	}
	t := opts.Transport
	if t == nil {
		// Many agents stream at once to few hosts: keep enough idle
		// connections per host that each call need not dial anew.
		dt := http.DefaultTransport.(*http.Transport).Clone()
		dt.MaxIdleConns = 1024
		dt.MaxIdleConnsPerHost = 256
		t = dt
	}
	p := &Proxy{
		opts:      opts,
		providers: map[string]*provider{},
		// No client timeout: streams run long; each provider's timeout
		// bounds its calls through the request context.
		client: &http.Client{Transport: t, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse // a redirect could carry the provider key elsewhere
		}},
		budget:    newBudget(opts.Now),
		labels:    newLabels(opts.Now),
		cache:     newScanCache(cmp.Or(opts.ScanCache, DefaultScanCache)),
		dlpPolicy: opts.LLM.DLPPolicy(),
		outPolicy: opts.LLM.OutputPolicy(),
		log:       opts.Logger,
		now:       opts.Now,
	}
	var filtered []dlp.Type
	for t, a := range p.outPolicy {
		if a == dlp.Mask || a == dlp.Block {
			filtered = append(filtered, t)
		}
	}
	p.outDLP = opts.DLP.Only(filtered...)
	for name, c := range opts.Providers {
		pr, err := newProvider(name, c, opts.Keys[name])
		if err != nil {
			return nil, fmt.Errorf("llm: %w", err)
		}
		p.providers[name] = pr
	}
	return p, nil
}

// Observe follows the audit stream: reading a file from a workspace whose
// label restricts where its data may go marks the reader, until the read's
// time plus the label time. At start it is fed the reads of the last label
// time from the record, so a restart does not wash a mark off.
func (p *Proxy) Observe(ev warden.Event) {
	if ev.Action != "file.read" || ev.Decision.Effect != warden.Allow || ev.Error != "" {
		return
	}
	label, _ := ev.Details["label"].(string)
	if label != "confidential" && label != "restricted" {
		return
	}
	session, _ := ev.Details["session"].(string)
	at := ev.Time
	if at.IsZero() {
		at = p.now()
	}
	p.labels.set(ev.Principal, session, label, at.Add(p.opts.LLM.LabelTTL.D()))
}

// AddUsage counts tokens an agent already used today (from the audit
// record, at start), so a restart does not reset budgets.
func (p *Proxy) AddUsage(agent string, at time.Time, tokens int64) {
	p.budget.add(agent, at, tokens)
}

// ServeHTTP handles one model call.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := &call{p: p, w: w, r: r, start: p.now()}
	c.serve()
}

// presentedToken returns the agent's token from Authorization: Bearer or
// x-api-key (Anthropic clients send the latter).
func presentedToken(r *http.Request) string {
	if scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
		return strings.TrimSpace(tok)
	}
	return strings.TrimSpace(r.Header.Get("X-Api-Key"))
}

// readBody reads at most limit bytes of the request body.
func readBody(r *http.Request, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, warden.Errorf(warden.EINVALID, "reading the request body failed")
	}
	if int64(len(b)) > limit {
		return nil, warden.Errorf(warden.ETOOLARGE, "the request body is larger than %d bytes", limit)
	}
	return b, nil
}
