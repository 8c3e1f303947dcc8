// Package identity manages who may act: agents and humans, their tokens, and
// their lock state. It authenticates every request and records every change
// and every failed authentication in the audit chain.
package identity

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/audit"
	"github.com/wardenhq/warden/keyring"
	"github.com/wardenhq/warden/token"
)

// BootstrapAdmin is the name of the admin created on first start.
const BootstrapAdmin = "admin"

// Options configure a Service.
type Options struct {
	// ProfileExists says whether an agent profile is defined. Nil accepts
	// only warden.DefaultProfile.
	ProfileExists func(name string) bool
	// AuthFailuresPerMinute and AuthFailureBurst bound the failed
	// authentications per client address that are answered 401/423 and
	// recorded one by one; past them the answer is 429 (defaults 60 and 20).
	AuthFailuresPerMinute int
	AuthFailureBurst      int
	Now                   func() time.Time
	Logger                *slog.Logger
}

// Service is the identity service.
type Service struct {
	store    warden.Store
	keys     *keyring.Keyring
	log      *audit.Log
	opts     Options
	throttle *throttle
	cache    *authCache
	console  *consoleAuth // password sign-in (password.go)

	stop      chan struct{}
	swept     chan struct{}
	closeOnce sync.Once
}

// New returns a Service. Close stops it.
func New(store warden.Store, keys *keyring.Keyring, log *audit.Log, opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ProfileExists == nil {
		opts.ProfileExists = func(n string) bool { return n == warden.DefaultProfile }
	}
	if opts.AuthFailuresPerMinute <= 0 {
		opts.AuthFailuresPerMinute = 60
	}
	if opts.AuthFailureBurst <= 0 {
		opts.AuthFailureBurst = 20
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Service{store: store, keys: keys, log: log, opts: opts, throttle: newThrottle(opts.AuthFailuresPerMinute, opts.AuthFailureBurst),
		cache: newAuthCache(30*time.Second, 10000), console: newConsoleAuth(),
		stop: make(chan struct{}), swept: make(chan struct{})}
	go s.sweeper()
	return s
}

// Info is a principal with its grants and tokens, for display.
type Info struct {
	Principal *warden.Principal
	Grants    []warden.Grant
	Tokens    []*warden.Token
}

// Bootstrap creates the first admin if no principal exists yet and returns
// its token; it returns "" if the install is already initialised.
func (s *Service) Bootstrap(ctx context.Context) (string, error) {
	var tok string
	err := s.log.Update(ctx, func(tx warden.Tx) error {
		ps, err := tx.Principals("")
		if err != nil || len(ps) > 0 {
			return err
		}
		p := &warden.Principal{Name: BootstrapAdmin, Kind: warden.KindHuman, Role: warden.HumanAdmin, CreatedAt: s.opts.Now(), CreatedBy: "warden"}
		if err := tx.CreatePrincipal(p); err != nil {
			return err
		}
		if tok, err = s.issue(tx, p); err != nil {
			return err
		}
		return s.log.Append(tx, &warden.Event{
			RequestID: warden.RequestFrom(ctx).ID, Principal: "warden", Kind: warden.KindSystem, Action: "human.create", Target: p.Name,
			Decision: warden.Decision{Effect: warden.Allow, Rule: "bootstrap"}, Details: map[string]any{"role": string(p.Role)},
		})
	})
	if err != nil {
		return "", fmt.Errorf("bootstrap admin: %w", err)
	}
	return tok, nil
}

func (s *Service) issue(tx warden.Tx, p *warden.Principal) (string, error) {
	tok := token.New()
	t := &warden.Token{PrincipalID: p.ID, Hash: token.Hash(tok), Hint: token.Hint(tok), CreatedAt: s.opts.Now()}
	if err := tx.CreateToken(t); err != nil {
		return "", err
	}
	return tok, nil
}

// Authenticate resolves a bearer token to its principal. Unknown, malformed
// and revoked tokens get EUNAUTHORIZED; a locked principal gets ELOCKED.
// Success is not recorded (the action that follows is). Failures are, one by
// one up to a rate per client address; beyond it they get ERATELIMIT and one
// "auth.throttled" event per address per minute counts them.
func (s *Service) Authenticate(ctx context.Context, presented string) (*warden.Principal, error) {
	p, rule, err := s.authenticate(ctx, presented)
	if err == nil {
		return p, nil
	}
	if warden.ErrorCode(err) == warden.EINTERNAL {
		return nil, err
	}
	req := warden.RequestFrom(ctx)
	v := s.throttle.failure(req.Remote, s.opts.Now())
	if !v.record {
		err = &warden.Error{Code: warden.ERATELIMIT, Message: "too many failed authentications; try again later", RetryAfter: v.retryAfter}
		if !v.announce {
			return nil, err
		}
		if rerr := s.recordThrottle(ctx, v.host, 0, "throttling starts"); rerr != nil {
			return nil, errors.Join(err, rerr)
		}
		return nil, err
	}
	ev := &warden.Event{
		RequestID: req.ID, Remote: req.Remote, Kind: warden.KindNone,
		Action: "auth.authenticate", Decision: warden.Decision{Effect: warden.Deny, Rule: rule, Reason: warden.ErrorMessage(err)}, Error: warden.ErrorCode(err),
		Details: map[string]any{"credential": s.fingerprint(presented)},
	}
	if p != nil {
		ev.Principal, ev.Kind = p.Name, p.Kind
	}
	if rerr := s.log.Record(ctx, ev); rerr != nil {
		return nil, errors.Join(err, rerr)
	}
	return nil, err
}

// recordThrottle records a summary of throttled failures from one address.
func (s *Service) recordThrottle(ctx context.Context, host string, suppressed int, reason string) error {
	return s.log.Record(ctx, &warden.Event{
		RequestID: warden.RequestFrom(ctx).ID, Remote: host, Kind: warden.KindNone, Action: "auth.throttled",
		Decision: warden.Decision{Effect: warden.Deny, Rule: "auth.throttle", Reason: reason}, Error: warden.ERATELIMIT,
		Details: map[string]any{"address": host, "suppressed": suppressed},
	})
}

// sweeper records the counts of throttled failures once a window.
func (s *Service) sweeper() {
	defer close(s.swept)
	tick := time.NewTicker(s.throttle.window)
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			s.flushThrottle(true)
			return
		case <-tick.C:
			s.flushThrottle(false)
		}
	}
}

func (s *Service) flushThrottle(all bool) {
	s.console.users.sweep(s.opts.Now(), all) // per-human counts: only their entries age out; the address summaries count the failures
	for _, p := range s.throttle.sweep(s.opts.Now(), all) {
		if err := s.recordThrottle(context.Background(), p.host, p.suppressed, "failed authentications over the limit"); err != nil {
			s.opts.Logger.Error("could not record throttled authentications", "address", p.host, "count", p.suppressed, "err", err)
		}
	}
}

// Close records what the throttle still holds and stops its sweeper. Call it
// before closing the audit log.
func (s *Service) Close() {
	s.closeOnce.Do(func() {
		close(s.stop)
		<-s.swept
	})
}

func (s *Service) authenticate(ctx context.Context, presented string) (*warden.Principal, string, error) {
	if presented == "" {
		return nil, "auth.missing", warden.Errorf(warden.EUNAUTHORIZED, "missing bearer token")
	}
	if err := token.Check(presented); err != nil {
		return nil, "auth.malformed", err
	}
	var key [32]byte
	copy(key[:], token.Hash(presented))
	now := s.opts.Now()
	if p, ok := s.cache.get(key, now); ok {
		return p, "", nil
	}
	gen := s.cache.generation()
	var p *warden.Principal
	var t *warden.Token
	err := s.store.View(ctx, func(tx warden.Tx) error {
		var err error
		if t, err = tx.TokenByHash(token.Hash(presented)); err != nil {
			return err
		}
		p, err = tx.PrincipalByID(t.PrincipalID)
		return err
	})
	switch {
	case warden.IsCode(err, warden.ENOTFOUND):
		return nil, "auth.unknown", warden.Errorf(warden.EUNAUTHORIZED, "unknown token")
	case err != nil:
		return nil, "", fmt.Errorf("authenticate: %w", err)
	case t.Revoked():
		return p, "auth.revoked", warden.Errorf(warden.EUNAUTHORIZED, "token revoked")
	case p.Locked() && p.LockedBy == SystemLocker:
		// Warden's own locks say why (the note names the alert); an
		// admin's note may be private and stays out of the answer.
		why := ""
		if note, err := s.keys.OpenMeta(p.LockNoteSealed, noteContext(p.ID)); err == nil {
			why = " (" + string(note) + ")"
		}
		return p, "auth.locked", warden.Errorf(warden.ELOCKED, "%s %s is locked by Warden%s; an admin must unlock it", p.Kind, p.Name, why)
	case p.Locked():
		return p, "auth.locked", warden.Errorf(warden.ELOCKED, "%s %s is locked; an admin must unlock it", p.Kind, p.Name)
	}
	p.TokenID = t.ID
	s.cache.put(key, p, gen, now)
	return p, "", nil
}

// CreateAgent creates an agent with a profile and grants and returns its
// first token. Only global admins may.
func (s *Service) CreateAgent(ctx context.Context, actor *warden.Principal, name, profile string, grants []warden.Grant) (*Info, string, error) {
	if profile == "" {
		profile = warden.DefaultProfile
	}
	details := map[string]any{"profile": profile, "grants": grantStrings(grants)}
	return s.create(ctx, actor, "agent.create", name, details, func() (*warden.Principal, error) {
		if !s.opts.ProfileExists(profile) {
			return nil, warden.Errorf(warden.EINVALID, "unknown profile %q: define it under profiles: in warden.yaml", profile)
		}
		return &warden.Principal{Name: name, Kind: warden.KindAgent, Profile: profile}, nil
	}, grants)
}

// CreateHuman creates a human with a global role and returns a first token.
func (s *Service) CreateHuman(ctx context.Context, actor *warden.Principal, name string, role warden.HumanRole, grants []warden.Grant) (*Info, string, error) {
	details := map[string]any{"role": string(role), "grants": grantStrings(grants)}
	return s.create(ctx, actor, "human.create", name, details, func() (*warden.Principal, error) {
		r, err := warden.ParseHumanRole(string(role))
		if err != nil {
			return nil, err
		}
		return &warden.Principal{Name: name, Kind: warden.KindHuman, Role: r}, nil
	}, grants)
}

func grantStrings(gs []warden.Grant) []string {
	out := make([]string, len(gs))
	for i, g := range gs {
		out[i] = g.String()
	}
	return out
}

func (s *Service) create(ctx context.Context, actor *warden.Principal, action, name string, details map[string]any,
	build func() (*warden.Principal, error), grants []warden.Grant) (*Info, string, error) {
	ev := s.event(ctx, actor, action, name)
	ev.Details = details
	var info *Info
	var tok string
	defer s.cache.invalidate()
	err := s.guard(ctx, actor, ev, func() error {
		if err := warden.ValidateName("principal", name); err != nil {
			return err
		}
		p, err := build()
		if err != nil {
			return err
		}
		p.CreatedAt, p.CreatedBy = s.opts.Now(), actor.Name
		return s.log.Update(ctx, func(tx warden.Tx) error {
			if err := tx.CreatePrincipal(p); err != nil {
				if warden.IsCode(err, warden.ECONFLICT) {
					return warden.Errorf(warden.ECONFLICT, "a principal named %q already exists", name)
				}
				return err
			}
			for _, g := range grants {
				ws, err := tx.WorkspaceByName(g.Workspace)
				if warden.IsCode(err, warden.ENOTFOUND) {
					return warden.Errorf(warden.EINVALID, "grant %s: workspace %q does not exist", g, g.Workspace)
				} else if err != nil {
					return err
				}
				if err := tx.SetGrant(ws.ID, p.ID, g.Role); err != nil {
					return err
				}
			}
			if tok, err = s.issue(tx, p); err != nil {
				return err
			}
			if info, err = s.loadInfo(tx, p); err != nil {
				return err
			}
			return s.log.Append(tx, ev)
		})
	})
	return info, tok, err
}

func (s *Service) loadInfo(tx warden.Tx, p *warden.Principal) (*Info, error) {
	if len(p.LockNoteSealed) > 0 {
		note, err := s.keys.OpenMeta(p.LockNoteSealed, noteContext(p.ID))
		if err != nil {
			return nil, fmt.Errorf("open lock note of %s: %w", p.Name, err)
		}
		p.LockNote = string(note)
	}
	gs, err := tx.GrantsOf(p.ID)
	if err != nil {
		return nil, err
	}
	ts, err := tx.Tokens(p.ID)
	if err != nil {
		return nil, err
	}
	return &Info{Principal: p, Grants: gs, Tokens: ts}, nil
}

// event starts an audit event for an action by actor on a principal.
func (s *Service) event(ctx context.Context, actor *warden.Principal, action, target string) *warden.Event {
	req := warden.RequestFrom(ctx)
	return &warden.Event{RequestID: req.ID, Remote: req.Remote, Principal: actor.Name, Kind: actor.Kind, Action: action, Target: target}
}

// guard checks that actor is a global admin, runs fn, and records ev with
// the outcome. fn must Append ev as the last step of the one transaction that
// makes its change, so an error from fn means neither change nor event
// committed, and guard records the failure instead.
func (s *Service) guard(ctx context.Context, actor *warden.Principal, ev *warden.Event, fn func() error) error {
	if !actor.IsGlobalAdmin() {
		ev.Decision = warden.Decision{Effect: warden.Deny, Rule: "rbac.global_admin", Reason: "only admins manage identities"}
		err := warden.Errorf(warden.EFORBIDDEN, "only admins manage agents and humans")
		return s.recordFailure(ctx, ev, err)
	}
	ev.Decision = warden.Decision{Effect: warden.Allow, Rule: "rbac.global_admin"}
	err := fn()
	if err == nil {
		return nil
	}
	// fn's transaction did not commit, so neither did ev: record the failure.
	if warden.IsCode(err, warden.EINVALID) {
		ev.Decision = warden.Decision{Effect: warden.Deny, Rule: "input.invalid", Reason: warden.ErrorMessage(err)}
	}
	return s.recordFailure(ctx, ev, err)
}

// recordFailure records ev with err's code as its outcome and returns err.
func (s *Service) recordFailure(ctx context.Context, ev *warden.Event, err error) error {
	ev.Error = warden.ErrorCode(err)
	if rerr := s.log.Record(ctx, ev); rerr != nil {
		return errors.Join(err, rerr)
	}
	return err
}

// Get returns a principal of the given kind. Admins may see anyone; anyone
// may see themselves. The read, allowed or refused, is recorded.
func (s *Service) Get(ctx context.Context, actor *warden.Principal, kind warden.PrincipalKind, name string) (*Info, error) {
	ev := s.event(ctx, actor, string(kind)+".read", name)
	rule := "rbac.global_admin"
	if !actor.IsGlobalAdmin() {
		if actor.Name != name || actor.Kind != kind {
			ev.Decision = warden.Decision{Effect: warden.Deny, Rule: rule, Reason: "only admins look up other principals"}
			return nil, s.recordFailure(ctx, ev, warden.Errorf(warden.EFORBIDDEN, "only admins may look up other principals"))
		}
		rule = "self"
	}
	ev.Decision = warden.Decision{Effect: warden.Allow, Rule: rule}
	var info *Info
	err := s.store.View(ctx, func(tx warden.Tx) error {
		p, err := principalOfKind(tx, kind, name)
		if err != nil {
			return err
		}
		info, err = s.loadInfo(tx, p)
		return err
	})
	if err != nil {
		return nil, s.recordFailure(ctx, ev, err)
	}
	return info, s.log.Record(ctx, ev)
}

// List returns every principal of a kind with grants. Admins only; the
// listing, allowed or refused, is recorded.
func (s *Service) List(ctx context.Context, actor *warden.Principal, kind warden.PrincipalKind) ([]*Info, error) {
	ev := s.event(ctx, actor, string(kind)+".list", "")
	if !actor.IsGlobalAdmin() {
		ev.Decision = warden.Decision{Effect: warden.Deny, Rule: "rbac.global_admin", Reason: "only admins list principals"}
		return nil, s.recordFailure(ctx, ev, warden.Errorf(warden.EFORBIDDEN, "only admins may list principals"))
	}
	ev.Decision = warden.Decision{Effect: warden.Allow, Rule: "rbac.global_admin"}
	return s.listed(ctx, ev, kind)
}

// listed loads every principal of a kind for an allowed listing and
// records ev with the count.
func (s *Service) listed(ctx context.Context, ev *warden.Event, kind warden.PrincipalKind) ([]*Info, error) {
	var out []*Info
	err := s.store.View(ctx, func(tx warden.Tx) error {
		ps, err := tx.Principals(kind)
		if err != nil {
			return err
		}
		for _, p := range ps {
			info, err := s.loadInfo(tx, p)
			if err != nil {
				return err
			}
			out = append(out, info)
		}
		return nil
	})
	if err != nil {
		return nil, s.recordFailure(ctx, ev, err)
	}
	ev.Details = map[string]any{"count": len(out)}
	return out, s.log.Record(ctx, ev)
}

func principalOfKind(tx warden.Tx, kind warden.PrincipalKind, name string) (*warden.Principal, error) {
	p, err := tx.PrincipalByName(name)
	if err == nil && p.Kind != kind {
		err = warden.Errorf(warden.ENOTFOUND, "%s not found", kind)
	}
	if warden.IsCode(err, warden.ENOTFOUND) {
		return nil, warden.Errorf(warden.ENOTFOUND, "%s %q not found", kind, name)
	}
	return p, err
}

// Lock stops a principal: its valid tokens get 423 until Unlock.
func (s *Service) Lock(ctx context.Context, actor *warden.Principal, kind warden.PrincipalKind, name, note string) (*Info, error) {
	return s.change(ctx, actor, kind, name, "lock", map[string]any{"note": note}, func(tx warden.Tx, p *warden.Principal) error {
		p.State, p.LockNote, p.LockedBy, p.LockedAt = warden.StateLocked, note, actor.Name, s.opts.Now()
		p.LockNoteSealed = s.keys.SealMeta([]byte(note), noteContext(p.ID))
		return tx.UpdatePrincipal(p)
	})
}

// SystemLocker is the name locks by Warden itself (detection) carry.
const SystemLocker = "warden"

// SystemLock locks a principal on Warden's own authority (a detection
// rule); note says why and names the alert. The lock and its event commit
// together; an already locked principal stays as it is.
func (s *Service) SystemLock(ctx context.Context, kind warden.PrincipalKind, name, note string) error {
	defer s.cache.invalidate()
	req := warden.RequestFrom(ctx)
	ev := &warden.Event{RequestID: req.ID, Principal: SystemLocker, Kind: warden.KindSystem, Action: string(kind) + ".lock", Target: name,
		Decision: warden.Decision{Effect: warden.Allow, Rule: "detect"}, Details: map[string]any{"note": note}}
	return s.log.Update(ctx, func(tx warden.Tx) error {
		p, err := principalOfKind(tx, kind, name)
		if err != nil {
			return err
		}
		if p.Locked() {
			return nil
		}
		p.State, p.LockNote, p.LockedBy, p.LockedAt = warden.StateLocked, note, SystemLocker, s.opts.Now()
		p.LockNoteSealed = s.keys.SealMeta([]byte(note), noteContext(p.ID))
		if err := tx.UpdatePrincipal(p); err != nil {
			return err
		}
		return s.log.Append(tx, ev)
	})
}

// Unlock lets a locked principal act again.
func (s *Service) Unlock(ctx context.Context, actor *warden.Principal, kind warden.PrincipalKind, name, note string) (*Info, error) {
	return s.change(ctx, actor, kind, name, "unlock", map[string]any{"note": note}, func(tx warden.Tx, p *warden.Principal) error {
		if strings.TrimSpace(note) == "" {
			return warden.Errorf(warden.EINVALID, "an unlock needs a note saying why (it is kept in the audit record)")
		}
		p.State, p.LockNote, p.LockNoteSealed, p.LockedBy, p.LockedAt = warden.StateActive, "", nil, "", time.Time{}
		return tx.UpdatePrincipal(p)
	})
}

// Revoke revokes every valid token of a principal. It can get a new token
// with NewToken.
func (s *Service) Revoke(ctx context.Context, actor *warden.Principal, kind warden.PrincipalKind, name string) (*Info, int, error) {
	var n int
	details := map[string]any{}
	info, err := s.change(ctx, actor, kind, name, "revoke", details, func(tx warden.Tx, p *warden.Principal) error {
		var err error
		n, err = tx.RevokeTokens(p.ID, s.opts.Now())
		details["tokens"] = n
		return err
	})
	return info, n, err
}

// NewToken issues another token for a principal and returns it.
func (s *Service) NewToken(ctx context.Context, actor *warden.Principal, kind warden.PrincipalKind, name string) (*Info, string, error) {
	var tok string
	info, err := s.change(ctx, actor, kind, name, "token.create", nil, func(tx warden.Tx, p *warden.Principal) error {
		var err error
		tok, err = s.issue(tx, p)
		return err
	})
	return info, tok, err
}

// change runs one admin change on a principal, with its audit event in the
// same transaction.
func (s *Service) change(ctx context.Context, actor *warden.Principal, kind warden.PrincipalKind, name, verb string, details map[string]any,
	fn func(warden.Tx, *warden.Principal) error) (*Info, error) {
	ev := s.event(ctx, actor, string(kind)+"."+verb, name)
	ev.Details = details
	var info *Info
	// After the change commits (or fails), no cached authentication from
	// before it is used again.
	defer s.cache.invalidate()
	err := s.guard(ctx, actor, ev, func() error {
		if name == actor.Name && verb != "token.create" {
			return warden.Errorf(warden.EINVALID, "you cannot %s yourself", verb)
		}
		return s.log.Update(ctx, func(tx warden.Tx) error {
			p, err := principalOfKind(tx, kind, name)
			if err != nil {
				return err
			}
			if err := fn(tx, p); err != nil {
				return err
			}
			if info, err = s.loadInfo(tx, p); err != nil {
				return err
			}
			return s.log.Append(tx, ev)
		})
	})
	return info, err
}

func noteContext(principalID int64) string { return "lock-note:" + strconv.FormatInt(principalID, 10) }

// fingerprint labels a presented credential for audit events about failed
// logins: a keyed hash, so that a password pasted as a token cannot be
// recovered by guessing, and the same credential is still recognisable.
func (s *Service) fingerprint(presented string) string {
	return "hmac:" + hex.EncodeToString(s.keys.Index("credential", []byte(presented))[:8])
}
