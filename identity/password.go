package identity

import (
	"context"
	"crypto/rand"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/passhash"
)

// Password length bounds, in characters. The maximum only keeps a request
// from making Warden hash a megabyte.
const (
	MinPasswordLength = 12
	MaxPasswordLength = 256
)

// Per-user sign-in budget: failed password sign-ins for one human are
// answered one by one up to this rate, from any number of addresses; past
// it, sign-ins for that human get 429 without their password being looked
// at, which bounds online guessing to a few passwords a minute. (The
// per-address budget is identity's usual one.)
const (
	userFailuresPerMinute = 5
	userFailureBurst      = 10
	// maxHashing bounds concurrent argon2id computations (19 MiB each).
	maxHashing = 4
)

// consoleAuth is the state of password sign-in.
type consoleAuth struct {
	users   *throttle     // failures per human
	hashing chan struct{} // semaphore of argon2id computations
	// dummy is a hash checked for unknown users, so that a sign-in for a
	// name that does not exist takes as long as one with a wrong password.
	// It is made on first use: most Services never see a password.
	dummy func() string
}

func newConsoleAuth() *consoleAuth {
	return &consoleAuth{users: newThrottle(userFailuresPerMinute, userFailureBurst), hashing: make(chan struct{}, maxHashing),
		dummy: sync.OnceValue(func() string { return passhash.Hash("not a password anyone has") })}
}

func totpContext(principalID int64) string { return "totp:" + strconv.FormatInt(principalID, 10) }

// selfOrAdmin allows admins, and a human acting on their own credentials.
func (s *Service) selfOrAdmin(ctx context.Context, actor *warden.Principal, ev *warden.Event, name string, fn func() error) error {
	if actor.IsGlobalAdmin() {
		return s.guard(ctx, actor, ev, fn)
	}
	if actor.Kind != warden.KindHuman || actor.Name != name {
		ev.Decision = warden.Decision{Effect: warden.Deny, Rule: "rbac.global_admin", Reason: "only admins set other humans' credentials"}
		return s.recordFailure(ctx, ev, warden.Errorf(warden.EFORBIDDEN, "only admins may set another human's password or TOTP"))
	}
	ev.Decision = warden.Decision{Effect: warden.Allow, Rule: "self"}
	if err := fn(); err != nil {
		if warden.IsCode(err, warden.EINVALID) {
			ev.Decision = warden.Decision{Effect: warden.Deny, Rule: "input.invalid", Reason: warden.ErrorMessage(err)}
		}
		return s.recordFailure(ctx, ev, err)
	}
	return nil
}

// updateCredential runs fn on a human's credential (a new, empty one if
// none exists) and saves it with ev, in one transaction.
func (s *Service) updateCredential(ctx context.Context, name string, ev *warden.Event, fn func(*warden.Principal, *warden.HumanCredential) error) error {
	return s.log.Update(ctx, func(tx warden.Tx) error {
		p, err := principalOfKind(tx, warden.KindHuman, name)
		if err != nil {
			return err
		}
		c, err := tx.HumanCredential(p.ID)
		if warden.IsCode(err, warden.ENOTFOUND) {
			c, err = &warden.HumanCredential{PrincipalID: p.ID}, nil
		}
		if err != nil {
			return err
		}
		if err := fn(p, c); err != nil {
			return err
		}
		c.ChangedAt = s.opts.Now()
		if err := tx.PutHumanCredential(c); err != nil {
			return err
		}
		return s.log.Append(tx, ev)
	})
}

// SetPassword sets a human's console password. Admins may set anyone's; a
// human may set their own. Console sessions begun before it end.
func (s *Service) SetPassword(ctx context.Context, actor *warden.Principal, name, password string) error {
	ev := s.event(ctx, actor, "human.password.set", name)
	return s.selfOrAdmin(ctx, actor, ev, name, func() error {
		if n := utf8.RuneCountInString(password); n < MinPasswordLength || n > MaxPasswordLength || !utf8.ValidString(password) {
			return warden.Errorf(warden.EINVALID, "a password has %d to %d characters", MinPasswordLength, MaxPasswordLength)
		}
		if err := s.acquireHashing(ctx); err != nil {
			return err
		}
		h := passhash.Hash(password)
		s.releaseHashing()
		return s.updateCredential(ctx, name, ev, func(_ *warden.Principal, c *warden.HumanCredential) error {
			c.PasswordHash = h
			return nil
		})
	})
}

// EnrollTOTP gives a human a new TOTP secret, sealed at rest, and returns
// its otpauth:// URI: the only time the secret leaves Warden. The human
// needs a password first. From now on a sign-in needs a code too.
func (s *Service) EnrollTOTP(ctx context.Context, actor *warden.Principal, name string) (string, error) {
	ev := s.event(ctx, actor, "human.totp.enroll", name)
	var uri string
	err := s.selfOrAdmin(ctx, actor, ev, name, func() error {
		return s.updateCredential(ctx, name, ev, func(p *warden.Principal, c *warden.HumanCredential) error {
			if c.PasswordHash == "" {
				return warden.Errorf(warden.EINVALID, "human %s has no password: set one first (warden human set-password %s)", name, name)
			}
			secret := make([]byte, totpSecretLen)
			rand.Read(secret)
			c.TOTPSealed, c.TOTPLastStep = s.keys.SealMeta(secret, totpContext(p.ID)), 0
			uri = totpURI(name, secret)
			return nil
		})
	})
	return uri, err
}

// DisableTOTP turns TOTP off for a human.
func (s *Service) DisableTOTP(ctx context.Context, actor *warden.Principal, name string) error {
	ev := s.event(ctx, actor, "human.totp.disable", name)
	return s.selfOrAdmin(ctx, actor, ev, name, func() error {
		return s.updateCredential(ctx, name, ev, func(_ *warden.Principal, c *warden.HumanCredential) error {
			c.TOTPSealed, c.TOTPLastStep = nil, 0
			return nil
		})
	})
}

func (s *Service) acquireHashing(ctx context.Context) error {
	select {
	case s.console.hashing <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Service) releaseHashing() { <-s.console.hashing }

// errSignIn is the one answer to a wrong name, password or code: which of
// them was wrong is for the audit record, not for the person guessing.
func errSignIn() error {
	return warden.Errorf(warden.EUNAUTHORIZED, "wrong name, password or code")
}

// SignIn checks a human's name, password and (if they enrolled one) TOTP
// code, and returns the human. A code is accepted once: the step it
// belongs to is saved, and codes of that step or earlier are refused.
// Failures are recorded and throttled per address like token failures, and
// also per human; once throttled, a sign-in gets ERATELIMIT without its
// password being checked.
func (s *Service) SignIn(ctx context.Context, name, password, code string) (*warden.Principal, error) {
	now := s.opts.Now()
	remote := warden.RequestFrom(ctx).Remote
	if d, over := s.throttle.over(remote, now); over {
		return nil, s.signInFailed(ctx, nil, "auth.throttle", warden.Errorf(warden.ERATELIMIT, "too many failed sign-ins; try again later"), d)
	}
	var p *warden.Principal
	var c *warden.HumanCredential
	err := s.store.View(ctx, func(tx warden.Tx) error {
		var err error
		if p, err = principalOfKind(tx, warden.KindHuman, name); err != nil {
			return err
		}
		c, err = tx.HumanCredential(p.ID)
		return err
	})
	switch {
	case warden.IsCode(err, warden.ENOTFOUND):
		p, c = nil, nil
	case err != nil:
		return nil, fmt.Errorf("sign in: %w", err)
	}
	if p != nil {
		if d, over := s.console.users.over(p.Name, now); over {
			return nil, s.signInFailed(ctx, p, "auth.throttle.user", warden.Errorf(warden.ERATELIMIT, "too many failed sign-ins for %s; try again later", p.Name), d)
		}
	}
	if err := s.acquireHashing(ctx); err != nil {
		return nil, err
	}
	hash := s.console.dummy()
	if c != nil && c.PasswordHash != "" {
		hash = c.PasswordHash
	}
	ok := passhash.Check(hash, password) && c != nil && c.PasswordHash != ""
	s.releaseHashing()
	switch {
	case p == nil:
		return nil, s.signInFailed(ctx, nil, "auth.password.unknown", errSignIn(), 0)
	case !ok:
		return nil, s.signInFailed(ctx, p, "auth.password.wrong", errSignIn(), 0)
	}
	if len(c.TOTPSealed) > 0 {
		rule, err := s.useTOTP(ctx, p, strings.TrimSpace(code), now)
		if err != nil {
			return nil, err
		}
		if rule != "" {
			return nil, s.signInFailed(ctx, p, rule, errSignIn(), 0)
		}
	}
	if p.Locked() {
		return nil, s.signInFailed(ctx, p, "auth.locked", warden.Errorf(warden.ELOCKED, "human %s is locked; an admin must unlock it", p.Name), 0)
	}
	return p, nil
}

// useTOTP checks code and burns its step. It returns the rule of a refusal,
// or "" when the code is good.
func (s *Service) useTOTP(ctx context.Context, p *warden.Principal, code string, now time.Time) (string, error) {
	rule := ""
	err := s.store.Update(ctx, func(tx warden.Tx) error {
		// Read again inside the write transaction: two sign-ins racing
		// with the same code are serialised here, and only one wins.
		c, err := tx.HumanCredential(p.ID)
		if err != nil {
			return err
		}
		secret, err := s.keys.OpenMeta(c.TOTPSealed, totpContext(p.ID))
		if err != nil {
			return fmt.Errorf("open TOTP secret of %s: %w", p.Name, err)
		}
		step, ok := checkTOTP(secret, code, now)
		switch {
		case code == "":
			rule = "auth.totp.missing"
		case !ok:
			rule = "auth.totp.wrong"
		case step <= c.TOTPLastStep:
			rule = "auth.totp.replay"
		default:
			c.TOTPLastStep = step
			return tx.PutHumanCredential(c)
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("sign in: %w", err)
	}
	return rule, nil
}

// signInFailed records a failed sign-in (one by one within the per-address
// and per-human budgets, as summaries past them) and returns the error to
// answer with: err, or ERATELIMIT once over a budget.
func (s *Service) signInFailed(ctx context.Context, p *warden.Principal, rule string, err error, retry time.Duration) error {
	now := s.opts.Now()
	req := warden.RequestFrom(ctx)
	if warden.IsCode(err, warden.ERATELIMIT) {
		// Already over a budget: count it, as Authenticate does.
		v := s.throttle.failure(req.Remote, now)
		e := &warden.Error{Code: warden.ERATELIMIT, Message: warden.ErrorMessage(err), RetryAfter: max(retry, v.retryAfter)}
		if v.announce {
			if rerr := s.recordThrottle(ctx, v.host, 0, "throttling starts"); rerr != nil {
				return fmt.Errorf("%w (and recording it failed: %v)", e, rerr)
			}
		}
		return e
	}
	v := s.throttle.failure(req.Remote, now)
	if p != nil {
		uv := s.console.users.failure(p.Name, now)
		v.record = v.record && uv.record
	}
	if !v.record {
		if v.announce {
			if rerr := s.recordThrottle(ctx, v.host, 0, "throttling starts"); rerr != nil {
				return fmt.Errorf("%w (and recording it failed: %v)", err, rerr)
			}
		}
		return err
	}
	ev := &warden.Event{RequestID: req.ID, Remote: req.Remote, Kind: warden.KindNone, Action: "auth.signin",
		Decision: warden.Decision{Effect: warden.Deny, Rule: rule, Reason: warden.ErrorMessage(err)}, Error: warden.ErrorCode(err)}
	if p != nil {
		ev.Principal, ev.Kind = p.Name, p.Kind
	}
	if rerr := s.log.Record(ctx, ev); rerr != nil {
		return fmt.Errorf("%w (and recording it failed: %v)", err, rerr)
	}
	return err
}

// ResumeHuman returns the human a console session signed in as with a
// password at since, if the session still stands: the human exists, is not
// locked, and has not changed password or TOTP since. The console calls it
// on every request, so a lock or a password change ends sessions at once.
func (s *Service) ResumeHuman(ctx context.Context, principalID int64, since time.Time) (*warden.Principal, error) {
	var p *warden.Principal
	var c *warden.HumanCredential
	err := s.store.View(ctx, func(tx warden.Tx) error {
		var err error
		if p, err = tx.PrincipalByID(principalID); err != nil {
			return err
		}
		c, err = tx.HumanCredential(principalID)
		return err
	})
	switch {
	case warden.IsCode(err, warden.ENOTFOUND) || (err == nil && p.Kind != warden.KindHuman):
		return nil, warden.Errorf(warden.EUNAUTHORIZED, "no such human")
	case err != nil:
		return nil, fmt.Errorf("resume session: %w", err)
	case c.PasswordHash == "" || c.ChangedAt.After(since):
		return nil, warden.Errorf(warden.EUNAUTHORIZED, "the password or TOTP changed since sign-in")
	case p.Locked():
		return nil, warden.Errorf(warden.ELOCKED, "human %s is locked; an admin must unlock it", p.Name)
	}
	return p, nil
}

// over reports whether failures from remote (a client address, or any key)
// are past their own budget, and when they will not be, without spending
// any of it. The all-addresses budget is left out on purpose: a flood from
// many addresses must not stop every human from signing in.
func (t *throttle) over(remote string, now time.Time) (time.Duration, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	st, ok := t.hosts[hostKey(remote)]
	if !ok && len(t.hosts) >= t.maxHost {
		st, ok = t.hosts[overflowHost]
	}
	if !ok || st.lim.TokensAt(now) >= 1 {
		return 0, false
	}
	return t.delay(st.lim, now), true
}
