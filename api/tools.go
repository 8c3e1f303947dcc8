package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/apiv1"
	"github.com/wardenhq/warden/toolcall"
)

func (s *Server) decideTool(w http.ResponseWriter, r *http.Request, p *warden.Principal) error {
	var req apiv1.DecideRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	src := toolcall.Source(req.Source)
	switch src {
	case "", toolcall.SourceAPI, toolcall.SourcePlugin:
	default:
		return warden.Errorf(warden.EINVALID, "source must be plugin or api")
	}
	res, err := s.tools.Decide(r.Context(), p, toolcall.Request{Tool: req.Tool, Params: req.Params, Session: req.Session,
		RunID: req.RunID, ToolCallID: req.ToolCallID, Source: src})
	if err != nil {
		return err
	}
	out := apiv1.DecideResponse{Decision: res.Effect, Rule: res.Rule, Reason: res.Reason, Tool: res.Tool}
	if a := res.Approval; a != nil {
		out.ApprovalID = a.ID
		if res.Effect == warden.Ask && !a.ExpiresAt.IsZero() {
			t := a.ExpiresAt
			out.ExpiresAt = &t
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func approvalOut(a *toolcall.Approval) apiv1.Approval {
	out := apiv1.Approval{ID: a.ID, Agent: a.Agent, Profile: a.Profile, Tool: a.Tool, Params: a.Params, Rule: a.Rule,
		Reason: a.Reason, Session: a.Session, Status: a.Status, Always: a.Always, CreatedAt: a.CreatedAt, DecidedBy: a.DecidedBy, Note: a.Note}
	if !a.ExpiresAt.IsZero() {
		t := a.ExpiresAt
		out.ExpiresAt = &t
	}
	if !a.DecidedAt.IsZero() {
		t := a.DecidedAt
		out.DecidedAt = &t
	}
	return out
}

func (s *Server) listApprovals(w http.ResponseWriter, r *http.Request, p *warden.Principal) error {
	status, limit, err := listQuery(r, string(warden.ApprovalPending))
	if err != nil {
		return err
	}
	list, err := s.tools.List(r.Context(), p, warden.ApprovalStatus(status), limit)
	if err != nil {
		return err
	}
	out := apiv1.Approvals{Approvals: []apiv1.Approval{}}
	for _, a := range list {
		out.Approvals = append(out.Approvals, approvalOut(a))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getApproval(w http.ResponseWriter, r *http.Request, p *warden.Principal) error {
	wait, err := parseWait(r.URL.Query().Get("wait"))
	if err != nil {
		return err
	}
	a, err := s.tools.Get(r.Context(), p, r.PathValue("id"), wait)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, approvalOut(a))
	return nil
}

// parseWait reads ?wait=30s (a Go duration, or plain seconds).
func parseWait(v string) (time.Duration, error) {
	if v == "" {
		return 0, nil
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil || d < 0 {
		return 0, warden.Errorf(warden.EINVALID, "wait must be a duration like 30s (at most %s is honoured)", toolcall.DefaultMaxWait)
	}
	return d, nil
}

func (s *Server) decideApproval(approve bool) authed {
	return func(w http.ResponseWriter, r *http.Request, p *warden.Principal) error {
		var req apiv1.ApprovalDecision
		if r.ContentLength != 0 {
			if err := decode(w, r, &req); err != nil {
				return err
			}
		}
		var a *toolcall.Approval
		var err error
		if approve {
			a, err = s.tools.Approve(r.Context(), p, r.PathValue("id"), req.Note, req.Always)
		} else {
			if req.Always {
				return warden.Errorf(warden.EINVALID, "always applies to approve only")
			}
			a, err = s.tools.Deny(r.Context(), p, r.PathValue("id"), req.Note)
		}
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, approvalOut(a))
		return nil
	}
}

func (s *Server) registerPlugin(w http.ResponseWriter, r *http.Request, p *warden.Principal) error {
	var req apiv1.PluginRegistration
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if err := s.tools.Register(r.Context(), p, toolcall.Plugin{Name: req.Plugin, Version: req.Version, OpenClawVersion: req.OpenClawVersion}); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, apiv1.PluginRegistered{TTLSeconds: s.tools.PluginTTL()})
	return nil
}

func (s *Server) toolResult(w http.ResponseWriter, r *http.Request, p *warden.Principal) error {
	var req apiv1.ToolResult
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if err := s.tools.RecordResult(r.Context(), p, toolcall.ToolResult(req)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// listQuery reads ?status= (def when absent, "" for "all") and ?limit=
// (0 when absent) of a list endpoint.
func listQuery(r *http.Request, def string) (string, int, error) {
	q := r.URL.Query()
	status := q.Get("status")
	if !q.Has("status") {
		status = def
	} else if status == "all" {
		status = ""
	}
	limit := 0
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			return "", 0, warden.Errorf(warden.EINVALID, "limit must be a positive number")
		}
		limit = n
	}
	return status, limit, nil
}
