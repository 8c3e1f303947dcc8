package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/wardenhq/warden"
)

// Audit page bounds.
const (
	auditPageSize = 50
	// chainBudget is how many new events one view of the audit page
	// verifies at most; the check carries on from there at the next view.
	chainBudget = 200_000
)

// auditView is the audit page: the search, one page of events and the
// chain badge.
type auditView struct {
	Principal, Action, Workspace, Decision string
	Events                                 []eventView
	Before                                 int64  // this page's cursor (0: the newest)
	Next                                   string // query of the next (older) page, "" at the end
	Badge                                  *badgeView
}

type badgeView struct {
	OK                              bool
	Through, Head, Signed, FirstBad int64
	Problem                         string
	Partial                         bool // not yet verified up to the head
}

// eventView is one audit event as the pages show it.
type eventView struct {
	Seq                                              int64
	Time, Principal, Kind, Action, Workspace, Target string
	Effect, Rule, Reason, Error, Details             string
}

func eventOf(e *warden.Event) eventView {
	v := eventView{Seq: e.Seq, Time: e.Time.UTC().Format(timeLayout), Principal: e.Principal, Kind: string(e.Kind), Action: e.Action,
		Workspace: e.Workspace, Target: e.Target, Effect: string(e.Decision.Effect), Rule: e.Decision.Rule, Reason: e.Decision.Reason,
		Error: e.Error}
	if len(e.Details) > 0 {
		if b, err := json.Marshal(e.Details); err == nil {
			v.Details = string(b)
		}
	}
	return v
}

// auditPage serves /console/audit: newest first, 50 a page, searched by
// principal, action (exact, or a prefix ending in *), workspace and
// decision; ?before=N pages back from sequence number N. The audit log
// checks the role and records each read (audit.query), as for REST.
func (h *Handler) auditPage(w http.ResponseWriter, r *http.Request) {
	s, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	if h.events == nil {
		h.failErr(w, r, s, warden.Errorf(warden.ENOTFOUND, "the audit page is not served"))
		return
	}
	q := r.URL.Query()
	v := &auditView{Principal: strings.TrimSpace(q.Get("principal")), Action: strings.TrimSpace(q.Get("action")),
		Workspace: strings.TrimSpace(q.Get("workspace")), Decision: q.Get("decision")}
	switch warden.Effect(v.Decision) {
	case "", warden.Allow, warden.Deny, warden.Ask:
	default:
		h.failErr(w, r, s, warden.Errorf(warden.EINVALID, "decision must be allow, deny or ask"))
		return
	}
	if b := q.Get("before"); b != "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n < 1 {
			h.failErr(w, r, s, warden.Errorf(warden.EINVALID, "before must be a sequence number"))
			return
		}
		v.Before = n
	}
	f := warden.EventFilter{Principal: v.Principal, Action: v.Action, Workspace: v.Workspace, Effect: warden.Effect(v.Decision), Limit: auditPageSize + 1}
	evs, err := h.events.Browse(r.Context(), s.user, f, v.Before)
	if err != nil {
		h.failErr(w, r, s, err)
		return
	}
	if len(evs) > auditPageSize {
		evs = evs[:auditPageSize]
		next := url.Values{"before": {strconv.FormatInt(evs[len(evs)-1].Seq, 10)}}
		for k, val := range map[string]string{"principal": v.Principal, "action": v.Action, "workspace": v.Workspace, "decision": v.Decision} {
			if val != "" {
				next.Set(k, val)
			}
		}
		v.Next = "/console/audit?" + next.Encode()
	}
	for _, e := range evs {
		v.Events = append(v.Events, eventOf(e))
	}
	if h.chain != nil {
		st, err := h.chain.Check(r.Context(), chainBudget)
		if err != nil {
			h.failErr(w, r, s, err)
			return
		}
		v.Badge = &badgeView{OK: st.OK(), Through: st.Through, Head: st.Head, Signed: st.SignedThrough, FirstBad: st.FirstBad,
			Problem: st.Problem, Partial: st.Through < st.Head}
	}
	h.render(w, r, http.StatusOK, "audit", &page{Title: "Audit", Nav: "audit", User: s.user, CSRF: s.sess.csrf, Audit: v})
}
