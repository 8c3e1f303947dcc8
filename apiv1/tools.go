package apiv1

import (
	"time"

	"github.com/wardenhq/warden"
)

// DecideRequest asks whether an agent may make one tool call.
type DecideRequest struct {
	Tool       string         `json:"tool"`
	Params     map[string]any `json:"params,omitempty"`
	Session    string         `json:"session,omitempty"`
	RunID      string         `json:"run_id,omitempty"`
	ToolCallID string         `json:"tool_call_id,omitempty"`
	// Source says who asks: "plugin" (the OpenClaw plugin's before_tool_call)
	// or "api" (anything else; the default).
	Source string `json:"source,omitempty"`
}

// DecideResponse is the decision on one tool call.
type DecideResponse struct {
	Decision   warden.Effect `json:"decision"`
	Rule       string        `json:"rule"`
	Reason     string        `json:"reason,omitempty"`
	Tool       string        `json:"tool"` // the tool decided on (OpenClaw's bridge tool_call unwrapped)
	ApprovalID string        `json:"approval_id,omitempty"`
	ExpiresAt  *time.Time    `json:"expires_at,omitempty"` // of the approval, for ask
}

// Approval is a human approval of one exact tool call.
type Approval struct {
	ID        string                `json:"id"`
	Agent     string                `json:"agent"`
	Profile   string                `json:"profile,omitempty"`
	Tool      string                `json:"tool"`
	Params    map[string]any        `json:"params"` // secrets and personal data masked
	Rule      string                `json:"rule"`
	Reason    string                `json:"reason,omitempty"`
	Session   string                `json:"session,omitempty"`
	Status    warden.ApprovalStatus `json:"status"`
	Always    bool                  `json:"always"`
	CreatedAt time.Time             `json:"created_at"`
	ExpiresAt *time.Time            `json:"expires_at,omitempty"` // none for "allow always"
	DecidedAt *time.Time            `json:"decided_at,omitempty"`
	DecidedBy string                `json:"decided_by,omitempty"`
	Note      string                `json:"note,omitempty"`
}

// Approvals is a list of approvals, newest first.
type Approvals struct {
	Approvals []Approval `json:"approvals"`
}

// ApprovalDecision is the body of approve and deny.
type ApprovalDecision struct {
	Note string `json:"note,omitempty"`
	// Always (approve only) allows the same call again without asking: it
	// adds a standing rule for this agent and exactly this call.
	Always bool `json:"always,omitempty"`
}

// PluginRegistration tells Warden an agent runs with a live plugin.
type PluginRegistration struct {
	Plugin          string `json:"plugin"`
	Version         string `json:"version,omitempty"`
	OpenClawVersion string `json:"openclaw_version,omitempty"`
}

// PluginRegistered says how long a registration lasts unless renewed.
type PluginRegistered struct {
	TTLSeconds int `json:"ttl_seconds"`
}

// ToolResult reports how a tool call that ran ended. It carries the size
// and hash of the result, never the result.
type ToolResult struct {
	Tool         string `json:"tool"`
	ToolCallID   string `json:"tool_call_id,omitempty"`
	RunID        string `json:"run_id,omitempty"`
	Session      string `json:"session,omitempty"`
	DurationMS   int64  `json:"duration_ms,omitempty"`
	Error        string `json:"error,omitempty"`
	ResultBytes  int64  `json:"result_bytes,omitempty"`
	ResultSHA256 string `json:"result_sha256,omitempty"`
}

// ImportRequest asks Warden to fetch a URL into a workspace file.
type ImportRequest struct {
	URL  string `json:"url"`
	Path string `json:"path"`
}

// Import is a URL import and where it stands.
type Import struct {
	ID        string     `json:"id"`
	Workspace string     `json:"workspace"`
	Path      string     `json:"path"`
	Source    string     `json:"source"` // the URL fetched, without query or credentials
	By        string     `json:"by"`
	Status    string     `json:"status"` // running, done, failed
	Error     string     `json:"error,omitempty"`
	Bytes     int64      `json:"bytes"`
	Version   int        `json:"version,omitempty"`
	Started   time.Time  `json:"started"`
	Finished  *time.Time `json:"finished,omitempty"`
}
