package toolcall

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/wardenhq/warden"
)

// Approval is an approval as callers see it: the masked call, the rule that
// asked, and where it stands.
type Approval struct {
	ID        string
	Agent     string
	Profile   string
	Tool      string
	Params    map[string]any // masked
	Rule      string
	Reason    string
	Session   string
	Status    warden.ApprovalStatus
	Always    bool
	CreatedAt time.Time
	ExpiresAt time.Time // zero for "allow always"
	DecidedAt time.Time
	DecidedBy string
	Note      string
}

// sealed is the part of an approval kept sealed at rest.
type sealed struct {
	Params  map[string]any `json:"params"`
	Profile string         `json:"profile,omitempty"`
	Rule    string         `json:"rule"`
	Reason  string         `json:"reason,omitempty"`
	Session string         `json:"session,omitempty"`
	Note    string         `json:"note,omitempty"`
	// Use is how a one-time approval was used, for OpenClaw's bridge: the
	// plugin's hook runs for the bridge call and again for the call it
	// carries, which is the same action and must not need a second human.
	Use *use `json:"use,omitempty"`
}

// use is the call that used a one-time approval.
type use struct {
	At         time.Time `json:"at"`
	RunID      string    `json:"run_id,omitempty"`
	ToolCallID string    `json:"tool_call_id,omitempty"`
	Bridge     bool      `json:"bridge,omitempty"`     // it was the bridge tool_call
	InnerDone  bool      `json:"inner_done,omitempty"` // its inner call has passed too
}

// bridgeWindow is how long after a bridge call used its approval the call
// it carries may pass under the same approval.
const bridgeWindow = time.Minute

func sealContext(id string) string { return "approval:" + id }

func (s *Service) newApproval(p *warden.Principal, tool string, hash []byte, masked map[string]any, d warden.Decision, session string, now time.Time) (*warden.ApprovalRecord, *Approval, error) {
	a := &warden.ApprovalRecord{ID: newApprovalID(), PrincipalID: p.ID, Agent: p.Name, Tool: tool, ActionHash: hash,
		Status: warden.ApprovalPending, CreatedAt: now.UTC(), ExpiresAt: now.UTC().Add(s.opts.ApprovalTTL)}
	if err := s.seal(a, sealed{Params: masked, Profile: p.Profile, Rule: d.Rule, Reason: d.Reason, Session: session}); err != nil {
		return nil, nil, err
	}
	v, err := s.view(a)
	return a, v, err
}

func (s *Service) seal(a *warden.ApprovalRecord, sd sealed) error {
	b, err := json.Marshal(sd)
	if err != nil {
		return fmt.Errorf("seal approval: %w", err)
	}
	a.Sealed = s.keys.SealMeta(b, sealContext(a.ID))
	return nil
}

func (s *Service) unseal(a *warden.ApprovalRecord) (sealed, error) {
	var sd sealed
	b, err := s.keys.OpenMeta(a.Sealed, sealContext(a.ID))
	if err != nil {
		return sd, fmt.Errorf("open approval %s: %w", a.ID, err)
	}
	if err := json.Unmarshal(b, &sd); err != nil {
		return sd, fmt.Errorf("open approval %s: %w", a.ID, err)
	}
	return sd, nil
}

// view opens a stored approval for callers.
func (s *Service) view(a *warden.ApprovalRecord) (*Approval, error) {
	sd, err := s.unseal(a)
	if err != nil {
		return nil, err
	}
	v := &Approval{ID: a.ID, Agent: a.Agent, Profile: sd.Profile, Tool: a.Tool, Params: sd.Params, Rule: sd.Rule, Reason: sd.Reason,
		Session: sd.Session, Status: a.Effective(s.opts.Now()), Always: a.Always, CreatedAt: a.CreatedAt, DecidedAt: a.DecidedAt,
		DecidedBy: a.DecidedBy, Note: sd.Note}
	if !(a.Always && a.Status == warden.ApprovalApproved) {
		v.ExpiresAt = a.ExpiresAt
	}
	if v.Params == nil {
		v.Params = map[string]any{}
	}
	return v, nil
}

// canRead reports whether p may see approvals other than its own.
func canReadAll(p *warden.Principal) bool {
	return p.Kind == warden.KindHuman && (p.Role == warden.HumanAdmin || p.Role == warden.HumanApprover || p.Role == warden.HumanAuditor)
}

// canDecide reports whether p may approve or deny.
func canDecide(p *warden.Principal) bool {
	return p.Kind == warden.KindHuman && (p.Role == warden.HumanAdmin || p.Role == warden.HumanApprover)
}

// listWindow is how far back List looks.
const listWindow = 30 * 24 * time.Hour

// List returns approvals of the last 30 days in a status ("" for all,
// newest first, at most limit). Admins, approvers and auditors see every approval; an agent sees
// its own.
func (s *Service) List(ctx context.Context, p *warden.Principal, status warden.ApprovalStatus, limit int) ([]*Approval, error) {
	ev := event(ctx, p, "approval.list", "")
	switch status {
	case "", warden.ApprovalPending, warden.ApprovalApproved, warden.ApprovalDenied, warden.ApprovalExpired, warden.ApprovalUsed:
	default:
		return nil, s.invalid(ctx, ev, warden.Errorf(warden.EINVALID, "unknown status %q (want pending, approved, denied, expired or used)", status))
	}
	all := canReadAll(p)
	if !all && p.Kind != warden.KindAgent {
		return nil, s.refuse(ctx, ev, "rbac.approvals", "only admins, approvers and auditors see approvals")
	}
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	now := s.opts.Now()
	var out []*Approval
	err := s.store.View(ctx, func(tx warden.Tx) error {
		// An expired approval may still be stored as pending: ask for the
		// stored status that can become the one wanted, then filter.
		stored := status
		if status == warden.ApprovalExpired {
			stored = ""
		}
		var who int64
		if !all {
			who = p.ID
		}
		recs, err := tx.Approvals(who, stored, now.Add(-listWindow), 0)
		if err != nil {
			return err
		}
		for _, a := range recs {
			if !all && a.PrincipalID != p.ID {
				continue
			}
			if status != "" && a.Effective(now) != status {
				continue
			}
			v, err := s.view(a)
			if err != nil {
				return err
			}
			out = append(out, v)
			if len(out) == limit {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	ev.Decision = warden.Decision{Effect: warden.Allow, Rule: map[bool]string{true: "rbac.approvals", false: "rbac.own_approvals"}[all]}
	ev.Details = map[string]any{"status": string(status), "count": len(out)}
	return out, s.audit.Record(ctx, ev)
}

// Get returns one approval. With wait > 0 it first waits, up to wait (at
// most MaxWait) or the approval's expiry, for a pending approval to be
// decided. An agent may read only its own approvals; others' are not found.
func (s *Service) Get(ctx context.Context, p *warden.Principal, id string, wait time.Duration) (*Approval, error) {
	ev := event(ctx, p, "approval.read", id)
	if !validID(id) {
		return nil, s.invalid(ctx, ev, warden.Errorf(warden.ENOTFOUND, "no such approval"))
	}
	if !canReadAll(p) && p.Kind != warden.KindAgent {
		return nil, s.refuse(ctx, ev, "rbac.approvals", "only admins, approvers and auditors see approvals")
	}
	wait = min(wait, s.opts.MaxWait)
	deadline := s.opts.Now().Add(wait)
	for {
		a, done, err := s.poll(ctx, p, id, deadline)
		if err != nil {
			if warden.IsCode(err, warden.ENOTFOUND) {
				ev.Decision = warden.Decision{Effect: warden.Deny, Rule: "approvals.not_found"}
				ev.Error = warden.ENOTFOUND
				if rerr := s.audit.Record(ctx, ev); rerr != nil {
					return nil, rerr
				}
			}
			return nil, err
		}
		if done {
			v, err := s.view(a)
			if err != nil {
				return nil, err
			}
			ev.Decision = warden.Decision{Effect: warden.Allow, Rule: "rbac.approvals"}
			ev.Details = map[string]any{"status": string(v.Status), "wait_ms": wait.Milliseconds()}
			// Recorded even if the caller went away while waiting.
			return v, s.audit.Record(context.WithoutCancel(ctx), ev)
		}
	}
}

// poll reads approval id and, if it is still pending and there is time
// left, waits for a decision, the deadline or the expiry. done says the
// approval read is the answer.
func (s *Service) poll(ctx context.Context, p *warden.Principal, id string, deadline time.Time) (*warden.ApprovalRecord, bool, error) {
	// Hold the waiter before reading, so a decision between the read and
	// the wait is not missed.
	ch := s.waiter(id)
	defer s.release(id, ch)
	// Read even if the caller has gone: its last read is still answered
	// (to no one) and recorded.
	a, err := s.load(context.WithoutCancel(ctx), id)
	if err == nil && !canReadAll(p) && a.PrincipalID != p.ID {
		err = warden.Errorf(warden.ENOTFOUND, "no such approval")
	}
	if err != nil {
		return nil, false, err
	}
	now := s.opts.Now()
	left := deadline.Sub(now)
	if a.Effective(now) != warden.ApprovalPending || left <= 0 || ctx.Err() != nil {
		return a, true, nil
	}
	t := time.NewTimer(min(left, a.ExpiresAt.Sub(now)+time.Millisecond))
	defer t.Stop()
	select {
	case <-ch:
	case <-t.C:
	case <-ctx.Done():
	}
	return nil, false, nil
}

func (s *Service) load(ctx context.Context, id string) (*warden.ApprovalRecord, error) {
	var a *warden.ApprovalRecord
	err := s.store.View(ctx, func(tx warden.Tx) error {
		var err error
		a, err = tx.ApprovalByID(id)
		return err
	})
	return a, err
}

// Approve approves a pending approval: the exact call it holds may run once,
// or, with always, every time. Only admins and approvers decide.
func (s *Service) Approve(ctx context.Context, p *warden.Principal, id, note string, always bool) (*Approval, error) {
	return s.decide(ctx, p, id, note, warden.ApprovalApproved, always)
}

// Deny denies a pending approval (the waiting call is refused), or revokes
// an approval not used yet, or an "allow always".
func (s *Service) Deny(ctx context.Context, p *warden.Principal, id, note string) (*Approval, error) {
	return s.decide(ctx, p, id, note, warden.ApprovalDenied, false)
}

const maxNote = 1000

func (s *Service) decide(ctx context.Context, p *warden.Principal, id, note string, to warden.ApprovalStatus, always bool) (*Approval, error) {
	verb := map[warden.ApprovalStatus]string{warden.ApprovalApproved: "approve", warden.ApprovalDenied: "deny"}[to]
	ev := event(ctx, p, "approval."+verb, id)
	if !validID(id) {
		return nil, s.invalid(ctx, ev, warden.Errorf(warden.ENOTFOUND, "no such approval"))
	}
	if len(note) > maxNote || !utf8.ValidString(note) {
		return nil, s.invalid(ctx, ev, warden.Errorf(warden.EINVALID, "note must be valid UTF-8 of at most %d bytes", maxNote))
	}
	if !canDecide(p) {
		return nil, s.refuse(ctx, ev, "rbac.approvers", "only admins and approvers decide approvals")
	}
	ev.Decision = warden.Decision{Effect: warden.Allow, Rule: "rbac.approvers"}
	var out *Approval
	err := s.audit.Update(ctx, func(tx warden.Tx) error {
		a, err := tx.ApprovalByID(id)
		if err != nil {
			return err
		}
		now := s.opts.Now()
		cur := a.Effective(now)
		// Denying an approved call that has not run yet (or an "allow
		// always") takes the approval back.
		revoke := to == warden.ApprovalDenied && cur == warden.ApprovalApproved
		if cur != warden.ApprovalPending && !revoke {
			return warden.Errorf(warden.ECONFLICT, "approval %s is %s, not pending", id, cur)
		}
		sd, err := s.unseal(a)
		if err != nil {
			return err
		}
		sd.Note = note
		a.Status, a.Always, a.DecidedAt, a.DecidedBy = to, always && to == warden.ApprovalApproved, now.UTC(), p.Name
		if a.Status == warden.ApprovalApproved && !a.Always {
			// The agent gets as long to use the approval as the human had
			// to give it.
			a.ExpiresAt = now.UTC().Add(s.opts.ApprovalTTL)
		}
		if err := s.seal(a, sd); err != nil {
			return err
		}
		if err := tx.UpdateApproval(a); err != nil {
			return err
		}
		if out, err = s.view(a); err != nil {
			return err
		}
		ev.Details = map[string]any{"agent": a.Agent, "tool": a.Tool, "always": a.Always, "revoked": revoke}
		return s.audit.Append(tx, ev)
	})
	if err != nil {
		ev.Error = warden.ErrorCode(err)
		if ev.Error == warden.ENOTFOUND || ev.Error == warden.ECONFLICT {
			ev.Decision = warden.Decision{Effect: warden.Deny, Rule: "approvals.state", Reason: warden.ErrorMessage(err)}
		}
		if rerr := s.audit.Record(ctx, ev); rerr != nil {
			return nil, rerr
		}
		return nil, err
	}
	s.wake(id)
	return out, nil
}

func validID(id string) bool {
	if len(id) != len("apr_")+24 || id[:4] != "apr_" {
		return false
	}
	return !slices.ContainsFunc([]byte(id[4:]), func(c byte) bool { return !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') })
}

// waiter returns a channel closed when approval id is next decided; the
// caller must release it.
func (s *Service) waiter(id string) chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.waiters[id]
	if w == nil {
		w = &waiters{ch: make(chan struct{})}
		s.waiters[id] = w
	}
	w.n++
	return w.ch
}

// release drops one hold on ch; the last one forgets it, so approvals that
// are never decided leave nothing behind.
func (s *Service) release(id string, ch chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if w := s.waiters[id]; w != nil && w.ch == ch {
		if w.n--; w.n == 0 {
			delete(s.waiters, id)
		}
	}
}

func (s *Service) wake(id string) {
	s.mu.Lock()
	w := s.waiters[id]
	delete(s.waiters, id)
	s.mu.Unlock()
	if w != nil {
		close(w.ch)
	}
}
