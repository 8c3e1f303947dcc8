package api

import (
	"net/http"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/apiv1"
	"github.com/wardenhq/warden/detect"
)

func alertOut(a *detect.AlertView) apiv1.Alert {
	out := apiv1.Alert{ID: a.ID, Rule: a.Rule, Principal: a.Principal, Kind: a.Kind, Severity: a.Severity, Action: a.Action,
		Status: a.Status, Reason: a.Reason, Events: a.Events, Note: a.Note, CreatedAt: a.CreatedAt, UpdatedBy: a.UpdatedBy}
	if out.Events == nil {
		out.Events = []int64{}
	}
	if !a.UpdatedAt.IsZero() {
		t := a.UpdatedAt
		out.UpdatedAt = &t
	}
	return out
}

func (s *Server) listAlerts(w http.ResponseWriter, r *http.Request, p *warden.Principal) error {
	status, limit, err := listQuery(r, "")
	if err != nil {
		return err
	}
	list, err := s.alerts.List(r.Context(), p, warden.AlertStatus(status), limit)
	if err != nil {
		return err
	}
	out := apiv1.Alerts{Alerts: []apiv1.Alert{}}
	for _, a := range list {
		out.Alerts = append(out.Alerts, alertOut(a))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getAlert(w http.ResponseWriter, r *http.Request, p *warden.Principal) error {
	a, err := s.alerts.Get(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, alertOut(a))
	return nil
}

func (s *Server) updateAlert(to warden.AlertStatus) authed {
	return func(w http.ResponseWriter, r *http.Request, p *warden.Principal) error {
		var req apiv1.Note
		if r.ContentLength != 0 {
			if err := decode(w, r, &req); err != nil {
				return err
			}
		}
		a, err := s.alerts.Update(r.Context(), p, r.PathValue("id"), to, req.Note)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, alertOut(a))
		return nil
	}
}
