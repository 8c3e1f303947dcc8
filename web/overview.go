package web

import (
	"context"
	"net/http"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/audit"
)

// EventService reads the audit log (*audit.Log). Browse checks the role
// (admins and auditors) and records the read as the REST query does.
type EventService interface {
	Browse(ctx context.Context, p *warden.Principal, f warden.EventFilter, before int64) ([]*warden.Event, error)
	LastSeen(ctx context.Context, names []string) (map[string]time.Time, error)
	Head(ctx context.Context) (int64, error)
}

// ChainChecker verifies the audit chain incrementally (*audit.ChainCheck).
type ChainChecker interface {
	Check(ctx context.Context, budget int64) (audit.ChainStatus, error)
}

// SinkHealth is one audit sink's progress: the last sequence number it
// delivered (or dead-lettered).
type SinkHealth struct {
	Name      string
	Delivered int64
}

// overviewView is what the overview shows. A section the user's role may
// not see is left out (nil or false), and the page says so.
type overviewView struct {
	ShowAgents     bool
	Active, Locked int
	LockedNames    []string
	Pending        int
	ShowAlerts     bool
	OpenAlerts     int
	ShowDenials    bool
	Denials        []eventView
	Sinks          []sinkView
	Head           int64
}

type sinkView struct {
	Name           string
	Delivered, Lag int64
}

const recentDenials = 10

// overview serves /console/. The tool plane's approvals list is the gate
// (admins, approvers, auditors; operators get its 403). Sections other
// roles may not read (agents, alerts, audit: admins and auditors) are not
// asked for at all, so an approver's visit leaves no string of refusals on
// the record; the services still check every read they are asked for.
func (h *Handler) overview(w http.ResponseWriter, r *http.Request) {
	s, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	pending, err := h.tools.List(ctx, s.user, warden.ApprovalPending, 0)
	if err != nil {
		h.failErr(w, r, s, err)
		return
	}
	o := &overviewView{Pending: len(pending)}
	oversight := s.user.CanReadAudit()
	if oversight && h.agents != nil {
		infos, err := h.agents.Roster(ctx, s.user, warden.KindAgent)
		if err != nil {
			h.failErr(w, r, s, err)
			return
		}
		o.ShowAgents = true
		for _, in := range infos {
			if in.Principal.Locked() {
				o.Locked++
				o.LockedNames = append(o.LockedNames, in.Principal.Name)
			} else {
				o.Active++
			}
		}
	}
	if oversight && h.alerts != nil {
		open, err := h.alerts.List(ctx, s.user, warden.AlertOpen, 0)
		if err != nil {
			h.failErr(w, r, s, err)
			return
		}
		o.ShowAlerts, o.OpenAlerts = true, len(open)
	}
	if oversight && h.events != nil {
		evs, err := h.events.Browse(ctx, s.user, warden.EventFilter{Effect: warden.Deny, Limit: recentDenials}, 0)
		if err != nil {
			h.failErr(w, r, s, err)
			return
		}
		o.ShowDenials = true
		for _, e := range evs {
			o.Denials = append(o.Denials, eventOf(e))
		}
		if h.sinks != nil {
			if o.Head, err = h.events.Head(ctx); err != nil {
				h.failErr(w, r, s, err)
				return
			}
			for _, sk := range h.sinks() {
				o.Sinks = append(o.Sinks, sinkView{Name: sk.Name, Delivered: sk.Delivered, Lag: max(o.Head-sk.Delivered, 0)})
			}
		}
	}
	h.render(w, r, http.StatusOK, "overview", &page{Title: "Overview", Nav: "overview", User: s.user, CSRF: s.sess.csrf, Overview: o})
}
