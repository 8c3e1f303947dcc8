// Package toolcall is the tool plane's service: it decides an agent's tool
// calls with the policy engine, keeps the human approvals an "ask" needs
// (each bound to the exact call by a keyed hash of its canonical form),
// lets callers wait on them, knows which agents run with a live OpenClaw
// plugin, and records every decision and result in the audit chain.
package toolcall

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/audit"
	"github.com/wardenhq/warden/keyring"
	"github.com/wardenhq/warden/policy"
)

// Defaults for Options.
const (
	DefaultApprovalTTL = 10 * time.Minute
	DefaultMaxWait     = 60 * time.Second
	DefaultPluginTTL   = 5 * time.Minute
	DefaultMaxPending  = 50
)

// Options tune a Service.
type Options struct {
	// ApprovalTTL is how long an approval waits for a human, and how long an
	// approved one-time approval waits to be used. Default 10 minutes.
	ApprovalTTL time.Duration
	// MaxWait caps one long-poll on an approval. Default 60 s.
	MaxWait time.Duration
	// PluginTTL is how long a plugin registration lasts unless renewed.
	PluginTTL time.Duration
	// MaxPending bounds the approvals one agent may have waiting; past it
	// an ask is a denial (an agent cannot flood approvers). Default 50.
	MaxPending int
	// Mask hides secrets and personal data in a parameter string before it
	// is recorded in the audit chain; nil keeps strings as they are.
	Mask func(string) string
	// MaskSecrets hides credentials (keys, tokens, card numbers) in a
	// parameter string before it is shown to approvers, who must see whom
	// a call reaches; nil uses Mask.
	MaskSecrets func(string) string
	Now         func() time.Time
	Logger      *slog.Logger
}

// Service decides tool calls and keeps their approvals. Safe for concurrent use.
type Service struct {
	store  warden.Store
	keys   *keyring.Keyring
	audit  *audit.Log
	policy *policy.Engine
	opts   Options

	mu      sync.Mutex
	waiters map[string]*waiters // approval id → who waits on it
	plugins map[string]plugin   // agent name → live registration
}

// waiters is a channel closed when an approval is decided, and how many
// long-polls hold it.
type waiters struct {
	ch chan struct{}
	n  int
}

type plugin struct {
	name, version string
	until         time.Time
}

// New returns a Service.
func New(store warden.Store, keys *keyring.Keyring, log *audit.Log, engine *policy.Engine, opts Options) *Service {
	if opts.ApprovalTTL <= 0 {
		opts.ApprovalTTL = DefaultApprovalTTL
	}
	if opts.MaxWait <= 0 {
		opts.MaxWait = DefaultMaxWait
	}
	if opts.PluginTTL <= 0 {
		opts.PluginTTL = DefaultPluginTTL
	}
	if opts.MaxPending <= 0 {
		opts.MaxPending = DefaultMaxPending
	}
	if opts.Mask == nil {
		opts.Mask = func(s string) string { return s }
	}
	if opts.MaskSecrets == nil {
		opts.MaskSecrets = opts.Mask
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{store: store, keys: keys, audit: log, policy: engine, opts: opts,
		waiters: map[string]*waiters{}, plugins: map[string]plugin{}}
}

// event starts an audit event for an action by p.
func event(ctx context.Context, p *warden.Principal, action, target string) *warden.Event {
	req := warden.RequestFrom(ctx)
	return &warden.Event{RequestID: req.ID, Remote: req.Remote, Principal: p.Name, Kind: p.Kind, Action: action, Target: target}
}

// refuse records ev as denied by rule and returns a forbidden error.
func (s *Service) refuse(ctx context.Context, ev *warden.Event, rule, msg string) error {
	ev.Decision = warden.Decision{Effect: warden.Deny, Rule: rule, Reason: msg}
	ev.Error = warden.EFORBIDDEN
	err := warden.Errorf(warden.EFORBIDDEN, "%s", msg)
	if rerr := s.audit.Record(ctx, ev); rerr != nil {
		return rerr
	}
	return err
}

// invalid records ev as refused input and returns err.
func (s *Service) invalid(ctx context.Context, ev *warden.Event, err error) error {
	ev.Decision = warden.Decision{Effect: warden.Deny, Rule: "input.invalid", Reason: warden.ErrorMessage(err)}
	ev.Error = warden.ErrorCode(err)
	if rerr := s.audit.Record(ctx, ev); rerr != nil {
		return rerr
	}
	return err
}
