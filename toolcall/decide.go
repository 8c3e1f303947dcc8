package toolcall

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/policy"
)

// Source says which enforcement point asks for a decision.
type Source string

// Sources of decisions.
const (
	// SourceAPI is any caller of POST /api/v1/decide that is not the plugin.
	SourceAPI Source = "api"
	// SourcePlugin is the OpenClaw plugin's before_tool_call hook.
	SourcePlugin Source = "plugin"
	// SourceModel is the model plane, deciding on a tool call a model
	// emitted before the agent sees it.
	SourceModel Source = "model"
)

// Request is one tool call to decide.
type Request struct {
	Tool       string
	Params     map[string]any
	Session    string
	RunID      string
	ToolCallID string
	Source     Source
}

// Result is a decision and, for an ask, the approval it waits on.
type Result struct {
	warden.Decision
	// Tool is the tool decided on: OpenClaw's bridge tool_call unwrapped,
	// lower-cased.
	Tool string
	// Approval is the approval an ask waits on, or the approval that allowed
	// the call; nil otherwise.
	Approval *Approval
	// Deferred is set when the model plane saw an ask for an agent with a
	// live plugin: the plugin will ask the human when the call runs.
	Deferred bool
}

// Limits on what a decision request may carry.
const (
	maxToolName = 128
	maxIDLen    = 256
)

// Decide decides one tool call by an agent and records the decision. An ask
// finds or creates the approval bound to this exact call: an approved one
// turns the ask into an allow (a one-time approval is used up by it), a
// pending one is returned again, so that retries do not pile up approvals.
//
// From the model plane, an ask for an agent whose plugin is live is only
// recorded (Deferred): the plugin asks when the call is about to run.
func (s *Service) Decide(ctx context.Context, p *warden.Principal, req Request) (*Result, error) {
	tool, params := policy.Unwrap(req.Tool, req.Params)
	tool = strings.ToLower(strings.TrimSpace(tool))
	if params == nil {
		params = map[string]any{}
	}
	ev := event(ctx, p, "tool.decide", cut(tool, maxToolName))
	if req.Source == "" {
		req.Source = SourceAPI
	}
	ev.Details = map[string]any{"source": string(req.Source)}
	if err := validate(tool, req); err != nil {
		return nil, s.invalid(ctx, ev, err)
	}
	if p.Kind != warden.KindAgent {
		return nil, s.refuse(ctx, ev, "tools.agents_only", "tool decisions are for agents; use an agent's token")
	}
	d := s.policy.Decide(policy.Call{Agent: p.Name, Profile: p.Profile, Session: req.Session, Tool: tool, Params: params})
	hash, err := s.actionHash(p.ID, tool, params)
	if err != nil {
		return nil, s.invalid(ctx, ev, err)
	}
	setDetails(ev, p, req, maskParams(params, s.recordView()), hash)
	res := &Result{Decision: d, Tool: tool}
	ev.Decision = d
	if d.Effect != warden.Ask {
		return res, s.audit.Record(ctx, ev)
	}
	if req.Source == SourceModel && s.PluginLive(p.Name) {
		res.Deferred = true
		ev.Details["deferred_to_plugin"] = true
		return res, s.audit.Record(ctx, ev)
	}
	err = s.audit.Update(ctx, func(tx warden.Tx) error {
		res.Decision, res.Approval = d, nil
		ev.Decision = d
		now := s.opts.Now()
		live, err := tx.ApprovalsForAction(p.ID, hash)
		if err != nil {
			return err
		}
		var pending *warden.ApprovalRecord
		for _, a := range live {
			var use bool     // this approval allows the call
			var changed bool // and it must be saved
			note := ""
			switch a.Effective(now) {
			case warden.ApprovalApproved:
				use, changed = true, !a.Always
				if changed {
					if err := s.markUsed(a, req, now); err != nil {
						return err
					}
				}
			case warden.ApprovalUsed:
				if use, err = s.innerOfBridge(a, req, now); err != nil {
					return err
				}
				changed = use
				note = "; the call OpenClaw's approved bridge call carries"
			case warden.ApprovalPending:
				// Returned if nothing below allows the call: an approved
				// one (or the bridge's) may be older than a pending one.
				if pending == nil {
					pending = a
				}
				continue
			case warden.ApprovalExpired:
				a.Status, changed = warden.ApprovalExpired, true
			}
			if changed {
				// Used up, the bridge's pass recorded, or marked expired.
				if err := tx.UpdateApproval(a); err != nil {
					return err
				}
			}
			if !use {
				continue
			}
			if res.Approval, err = s.view(a); err != nil {
				return err
			}
			res.Decision = approvedDecision(res.Approval)
			res.Decision.Reason += note
			break
		}
		if res.Approval == nil && pending != nil {
			if res.Approval, err = s.view(pending); err != nil {
				return err
			}
		}
		if res.Approval == nil {
			n, err := tx.CountPending(p.ID, now)
			if err != nil {
				return err
			}
			if n >= s.opts.MaxPending {
				res.Decision = warden.Decision{Effect: warden.Deny, Rule: "approvals.too_many",
					Reason: fmt.Sprintf("%d approvals of this agent are already waiting for a human; this call is refused until they are decided or expire", n)}
				ev.Decision = res.Decision
				return s.audit.Append(tx, ev)
			}
			a, view, err := s.newApproval(p, tool, hash, maskParams(params, s.approverView()), d, req.Session, now)
			if err != nil {
				return err
			}
			if err := tx.CreateApproval(a); err != nil {
				return err
			}
			res.Approval = view
			rq := event(ctx, p, "approval.request", tool)
			rq.Decision = d
			rq.Details = map[string]any{"approval_id": a.ID, "profile": p.Profile, "source": string(req.Source)}
			if err := s.audit.Append(tx, rq); err != nil {
				return err
			}
		}
		ev.Decision = res.Decision
		ev.Details["approval_id"] = res.Approval.ID
		return s.audit.Append(tx, ev)
	})
	if err != nil {
		return nil, fmt.Errorf("decide %s: %w", tool, err)
	}
	return res, nil
}

// markUsed spends a one-time approval on the call req.
func (s *Service) markUsed(a *warden.ApprovalRecord, req Request, now time.Time) error {
	sd, err := s.unseal(a)
	if err != nil {
		return err
	}
	sd.Use = &use{At: now.UTC(), RunID: req.RunID, ToolCallID: req.ToolCallID, Bridge: strings.EqualFold(strings.TrimSpace(req.Tool), "tool_call")}
	a.Status = warden.ApprovalUsed
	return s.seal(a, sd)
}

// innerOfBridge reports whether req is the call carried by the bridge call
// that used approval a (same agent and action, as the hash already says;
// same run; the tool-call id OpenClaw derives from the bridge call's,
// tool_search_code:<outer>:<tool>:<n>; within
// bridgeWindow; once), and if so records that it passed.
func (s *Service) innerOfBridge(a *warden.ApprovalRecord, req Request, now time.Time) (bool, error) {
	if req.RunID == "" || req.ToolCallID == "" || strings.EqualFold(strings.TrimSpace(req.Tool), "tool_call") {
		return false, nil
	}
	sd, err := s.unseal(a)
	if err != nil {
		return false, err
	}
	u := sd.Use
	if u == nil || !u.Bridge || u.InnerDone || u.RunID != req.RunID || u.ToolCallID == "" ||
		!strings.HasPrefix(req.ToolCallID, "tool_search_code:"+u.ToolCallID+":") || now.Sub(u.At) > bridgeWindow {
		return false, nil
	}
	u.InnerDone = true
	return true, s.seal(a, sd)
}

// approvedDecision is the allow an approval grants.
func approvedDecision(a *Approval) warden.Decision {
	if a.Always {
		return warden.Decision{Effect: warden.Allow, Rule: "approvals.always",
			Reason: fmt.Sprintf("%s allowed this exact call always (approval %s)", a.DecidedBy, a.ID)}
	}
	return warden.Decision{Effect: warden.Allow, Rule: "approvals.once",
		Reason: fmt.Sprintf("%s approved this exact call once (approval %s)", a.DecidedBy, a.ID)}
}

func validate(tool string, req Request) error {
	if tool == "" {
		return warden.Errorf(warden.EINVALID, "tool is required")
	}
	if len(tool) > maxToolName || !utf8.ValidString(tool) || strings.IndexFunc(tool, func(r rune) bool { return !unicode.IsPrint(r) || unicode.IsSpace(r) }) >= 0 {
		return warden.Errorf(warden.EINVALID, "tool must be a name of at most %d printable characters without spaces", maxToolName)
	}
	for name, v := range map[string]string{"session": req.Session, "run_id": req.RunID, "tool_call_id": req.ToolCallID} {
		if len(v) > maxIDLen || !utf8.ValidString(v) {
			return warden.Errorf(warden.EINVALID, "%s must be valid UTF-8 of at most %d bytes", name, maxIDLen)
		}
	}
	switch req.Source {
	case SourceAPI, SourcePlugin, SourceModel:
	default:
		return warden.Errorf(warden.EINVALID, "source must be plugin or api")
	}
	return nil
}

func setDetails(ev *warden.Event, p *warden.Principal, req Request, masked map[string]any, hash []byte) {
	ev.Details["profile"] = p.Profile
	ev.Details["params"] = masked
	ev.Details["action"] = hex.EncodeToString(hash[:12])
	if req.Tool != "" && !strings.EqualFold(strings.TrimSpace(req.Tool), ev.Target) {
		ev.Details["via"] = req.Tool
	}
	for k, v := range map[string]string{"session": req.Session, "run_id": req.RunID, "tool_call_id": req.ToolCallID} {
		if v != "" {
			ev.Details[k] = v
		}
	}
}

// cut shortens s to at most n bytes of valid UTF-8, for recording input
// that was refused for being too long.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

func newApprovalID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return "apr_" + hex.EncodeToString(b)
}
