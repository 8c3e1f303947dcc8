package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/apiv1"
	"github.com/wardenhq/warden/audit"
)

// queryAudit serves GET /api/v1/audit: admins and auditors only. The query
// itself is recorded.
func (s *Server) queryAudit(w http.ResponseWriter, r *http.Request, p *warden.Principal) error {
	q := r.URL.Query()
	f := warden.EventFilter{Principal: q.Get("principal"), Action: q.Get("action"), Workspace: q.Get("workspace"), Effect: warden.Effect(q.Get("decision"))}
	var err error
	if f.AfterSeq, err = intParam(q.Get("after"), "after"); err != nil {
		return err
	}
	limit, err := intParam(q.Get("limit"), "limit")
	if err != nil {
		return err
	}
	switch {
	case limit == 0:
		f.Limit = 100
	case limit > audit.MaxQueryLimit:
		return warden.Errorf(warden.EINVALID, "limit must be at most %d", audit.MaxQueryLimit)
	default:
		f.Limit = int(limit)
	}
	if f.Since, err = timeParam(q.Get("since"), "since"); err != nil {
		return err
	}
	if f.Until, err = timeParam(q.Get("until"), "until"); err != nil {
		return err
	}
	switch f.Effect {
	case "", warden.Allow, warden.Deny, warden.Ask:
	default:
		return warden.Errorf(warden.EINVALID, "decision must be allow, deny or ask")
	}
	req := warden.RequestFrom(r.Context())
	ev := &warden.Event{RequestID: req.ID, Remote: req.Remote, Principal: p.Name, Kind: p.Kind, Action: "audit.query",
		Details: map[string]any{"principal": f.Principal, "action": f.Action, "after": f.AfterSeq}}
	if !p.CanReadAudit() {
		ev.Decision = warden.Decision{Effect: warden.Deny, Rule: "rbac.auditor", Reason: "only admins and auditors read the audit log"}
		ev.Error = warden.EFORBIDDEN
		if err := s.audit.Record(r.Context(), ev); err != nil {
			return err
		}
		return warden.Errorf(warden.EFORBIDDEN, "only admins and auditors read the audit log")
	}
	ev.Decision = warden.Decision{Effect: warden.Allow, Rule: "rbac." + string(p.Role)}
	events, err := s.audit.Query(r.Context(), f)
	if err != nil {
		return err
	}
	if err := s.audit.Record(r.Context(), ev); err != nil {
		return err
	}
	out := apiv1.Events{Events: make([]apiv1.Event, 0, len(events))}
	for _, e := range events {
		out.Events = append(out.Events, apiv1.EventFrom(e))
	}
	if len(events) > 0 && len(events) == f.Limit {
		out.Next = events[len(events)-1].Seq
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func intParam(v, name string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, warden.Errorf(warden.EINVALID, "%s must be a non-negative number", name)
	}
	return n, nil
}

// timeParam accepts RFC 3339 or a duration back from now ("15m", "24h").
func timeParam(v, name string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(v); err == nil && d > 0 {
		return time.Now().Add(-d), nil
	}
	return time.Time{}, warden.Errorf(warden.EINVALID, "%s must be an RFC 3339 time or a duration like 24h", name)
}
