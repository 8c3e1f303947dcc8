package warden

import (
	"context"
	"sync/atomic"
	"time"
)

// Effect is the outcome of a decision.
type Effect string

// Effects. Ask means a human must approve before the action runs.
const (
	Allow Effect = "allow"
	Deny  Effect = "deny"
	Ask   Effect = "ask"
)

// Decision is what RBAC or a policy decided about one action, and why.
type Decision struct {
	Effect Effect `json:"effect"`
	Rule   string `json:"rule,omitempty"`   // the rule that decided, e.g. "rbac.editor" or "policy.devops.2"
	Reason string `json:"reason,omitempty"` // human-readable; may name the target, so it is sealed at rest
}

// Allowed reports whether the action may go ahead.
func (d Decision) Allowed() bool { return d.Effect == Allow }

// Event is one action, allowed or denied, as the audit chain records it. Every
// plane appends events of this one type: the data plane ("file.write"), the
// model plane ("llm.request"), the tool plane ("tool.decide"), the network
// plane ("egress.connect"), detection ("detect.alert").
//
// Principal, Action, Workspace, Decision.Effect, Decision.Rule and Error are
// stored in clear so they can be filtered; Target, Decision.Reason, Remote and
// Details are sealed at rest.
type Event struct {
	Seq       int64          `json:"seq"` // assigned by the audit log; 1, 2, 3... without gaps
	Time      time.Time      `json:"time"`
	RequestID string         `json:"request_id,omitempty"`
	Principal string         `json:"principal"` // name; empty for an unauthenticated caller
	Kind      PrincipalKind  `json:"kind"`
	Action    string         `json:"action"` // "<noun>.<verb>", e.g. "file.read", "agent.lock"
	Workspace string         `json:"workspace,omitempty"`
	Target    string         `json:"target,omitempty"` // what was acted on: a path, a principal, a URL, a tool
	Decision  Decision       `json:"decision"`
	Error     string         `json:"error,omitempty"`  // error code if the allowed action still failed
	Remote    string         `json:"remote,omitempty"` // client address
	Details   map[string]any `json:"details,omitempty"`
	PrevHash  []byte         `json:"prev_hash,omitempty"`
	Hash      []byte         `json:"hash,omitempty"`
}

// EventFilter selects events from the audit log. Zero fields match anything.
type EventFilter struct {
	AfterSeq  int64 // only events with Seq > AfterSeq
	Since     time.Time
	Until     time.Time
	Principal string
	Action    string // exact, or a prefix ending in '*' ("file.*")
	Workspace string
	Effect    Effect
	Limit     int
}

// EventRecord is an event as a Store keeps it: the fields that filters use in
// clear, the rest sealed, and the chain hashes.
type EventRecord struct {
	Seq        int64
	Time       time.Time
	RequestID  string
	Principal  string
	Kind       PrincipalKind
	Action     string
	Workspace  string
	Effect     Effect
	Rule       string
	Error      string
	TargetHash []byte // keyed hash of Target, for lookups without decrypting
	Sealed     []byte // Target, Reason, Remote and Details, sealed
	PrevHash   []byte
	Hash       []byte
}

// Checkpoint is a signed statement that the chain up to Seq ends in Hash.
type Checkpoint struct {
	Seq       int64
	Hash      []byte
	Time      time.Time
	KeyID     string // fingerprint of the public key that signed
	Signature []byte
}

// RequestInfo describes the request an action came from.
type RequestInfo struct {
	ID        string
	Remote    string
	UserAgent string
}

type requestKey struct{}

// requestState is what a context knows about the request it serves.
type requestState struct {
	info    RequestInfo
	audited atomic.Bool
}

// WithRequest returns a context carrying info for one request.
func WithRequest(ctx context.Context, info RequestInfo) context.Context {
	return context.WithValue(ctx, requestKey{}, &requestState{info: info})
}

// RequestFrom returns the RequestInfo in ctx, or the zero value.
func RequestFrom(ctx context.Context) RequestInfo {
	if st, ok := ctx.Value(requestKey{}).(*requestState); ok {
		return st.info
	}
	return RequestInfo{}
}

// MarkAudited notes that an event about the request in ctx is durably on the
// record. The HTTP layer records a fallback event for any request that ends
// without one, so that every action leaves a trace.
func MarkAudited(ctx context.Context) {
	if st, ok := ctx.Value(requestKey{}).(*requestState); ok {
		st.audited.Store(true)
	}
}

// Audited reports whether MarkAudited was called for the request in ctx.
func Audited(ctx context.Context) bool {
	st, ok := ctx.Value(requestKey{}).(*requestState)
	return ok && st.audited.Load()
}
