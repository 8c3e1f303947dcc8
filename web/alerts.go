package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/detect"
	"github.com/wardenhq/warden/identity"
)

// AlertService lists and updates detection alerts (*detect.Alerts).
type AlertService interface {
	List(ctx context.Context, p *warden.Principal, status warden.AlertStatus, limit int) ([]*detect.AlertView, error)
	Update(ctx context.Context, p *warden.Principal, id string, to warden.AlertStatus, note string) (*detect.AlertView, error)
}

// Unlocker unlocks a principal (*identity.Service).
type Unlocker interface {
	Unlock(ctx context.Context, actor *warden.Principal, kind warden.PrincipalKind, name, note string) (*identity.Info, error)
}

// alertView is one alert as the page shows it.
type alertView struct {
	ID, Rule, Principal, Kind, Severity, Action, Status, Reason, Created, Updated, Note string
	Events                                                                              string
	Open, Acknowledged                                                                  bool
	Locked                                                                              bool // the alert locked an agent
}

func (h *Handler) alertsPage(w http.ResponseWriter, r *http.Request) {
	s, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	if h.alerts == nil {
		h.failErr(w, r, s, warden.Errorf(warden.ENOTFOUND, "alerts are not served"))
		return
	}
	filter, status := "open", warden.AlertOpen
	if r.URL.Query().Get("status") == "all" {
		filter, status = "all", ""
	}
	list, err := h.alerts.List(r.Context(), s.user, status, historyLimit)
	if err != nil {
		h.failErr(w, r, s, err)
		return
	}
	p := &page{Title: "Alerts", Nav: "alerts", Live: "alert", User: s.user, CSRF: s.sess.csrf, Filter: filter, Flash: alertFlash(r.URL.Query().Get("done")),
		CanDecide: s.user.IsGlobalAdmin()}
	for _, a := range list {
		ev := make([]string, len(a.Events))
		for i, n := range a.Events {
			ev[i] = fmt.Sprint(n)
		}
		v := alertView{ID: a.ID, Rule: a.Rule, Principal: a.Principal, Kind: string(a.Kind), Severity: a.Severity, Action: a.Action,
			Status: string(a.Status), Reason: a.Reason, Created: a.CreatedAt.Local().Format(time.DateTime), Note: a.Note,
			Events: strings.Join(ev, ", "), Open: a.Status == warden.AlertOpen, Acknowledged: a.Status == warden.AlertAcknowledged,
			Locked: a.Action == "lock" && a.Kind == warden.KindAgent}
		if !a.UpdatedAt.IsZero() {
			v.Updated = a.UpdatedAt.Local().Format(time.DateTime) + " by " + a.UpdatedBy
		}
		p.Alerts = append(p.Alerts, v)
	}
	h.render(w, r, http.StatusOK, "alerts", p)
}

// updateAlert handles the acknowledge and resolve forms.
func (h *Handler) updateAlert(to warden.AlertStatus) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, ok := h.post(w, r)
		if !ok {
			return
		}
		if h.alerts == nil {
			h.failErr(w, r, s, warden.Errorf(warden.ENOTFOUND, "alerts are not served"))
			return
		}
		id := r.PathValue("id")
		if _, err := h.alerts.Update(r.Context(), s.user, id, to, strings.TrimSpace(r.PostFormValue("note"))); err != nil {
			h.failErr(w, r, s, err)
			return
		}
		http.Redirect(w, r, "/console/alerts?"+url.Values{"done": {string(to) + ":" + id}}.Encode(), http.StatusSeeOther)
	}
}

// unlockAgent handles the unlock form: an admin, with a note.
func (h *Handler) unlockAgent(w http.ResponseWriter, r *http.Request) {
	s, ok := h.post(w, r)
	if !ok {
		return
	}
	if h.unlocker == nil {
		h.failErr(w, r, s, warden.Errorf(warden.ENOTFOUND, "unlocking is not served"))
		return
	}
	name := r.PathValue("name")
	if _, err := h.unlocker.Unlock(r.Context(), s.user, warden.KindAgent, name, strings.TrimSpace(r.PostFormValue("note"))); err != nil {
		h.failErr(w, r, s, err)
		return
	}
	back := "/console/alerts?"
	if r.PostFormValue("from") == "agents" {
		back = "/console/agents?"
	}
	http.Redirect(w, r, back+url.Values{"done": {"unlocked:" + name}}.Encode(), http.StatusSeeOther)
}

func alertFlash(done string) string {
	verb, id, ok := strings.Cut(done, ":")
	if !ok || id == "" || len(id) > 64 {
		return ""
	}
	switch warden.AlertStatus(verb) {
	case warden.AlertAcknowledged:
		return "Acknowledged " + id + "."
	case warden.AlertResolved:
		return "Resolved " + id + "."
	case "unlocked":
		return "Unlocked agent " + id + "."
	}
	return ""
}
