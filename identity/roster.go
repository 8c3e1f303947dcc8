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
	return s.listed(ctx, ev, kind)
}
