package identity

import (
	"context"

	"github.com/wardenhq/warden"
)

// Roster returns every principal of a kind with grants and tokens, for the
// console's overview and agents page: like List, but auditors may read it
// too (read-only oversight, as for audit and alerts). The read, allowed or
// refused, is recorded as List's is.
func (s *Service) Roster(ctx context.Context, actor *warden.Principal, kind warden.PrincipalKind) ([]*Info, error) {
	if actor.IsGlobalAdmin() {
		return s.List(ctx, actor, kind)
	}
	ev := s.event(ctx, actor, string(kind)+".list", "")
	if !actor.CanReadAudit() {
		ev.Decision = warden.Decision{Effect: warden.Deny, Rule: "rbac.auditor", Reason: "only admins and auditors see the roster"}
		return nil, s.recordFailure(ctx, ev, warden.Errorf(warden.EFORBIDDEN, "only admins and auditors may list principals"))
	}
	ev.Decision = warden.Decision{Effect: warden.Allow, Rule: "rbac.auditor"}
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
