// Package apiv1 holds the JSON documents of Warden's REST API, /api/v1. The
// server (package api) writes them and the client (package client) reads
// them, so the two cannot drift apart.
package apiv1

import (
	"encoding/hex"
	"time"

	"github.com/wardenhq/warden"
)

// Error is the body of every error response.
type Error struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is a machine code and a message for people.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Principal is an agent or a human.
type Principal struct {
	Name         string                `json:"name"`
	Kind         warden.PrincipalKind  `json:"kind"`
	Role         warden.HumanRole      `json:"role,omitempty"`
	Profile      string                `json:"profile,omitempty"`
	State        warden.PrincipalState `json:"state"`
	LockNote     string                `json:"lock_note,omitempty"`
	LockedBy     string                `json:"locked_by,omitempty"`
	LockedAt     *time.Time            `json:"locked_at,omitempty"`
	Grants       []string              `json:"grants"`
	ActiveTokens int                   `json:"active_tokens"`
	CreatedAt    time.Time             `json:"created_at"`
	CreatedBy    string                `json:"created_by"`
	Token        string                `json:"token,omitempty"` // only in the answer that issued it
}

// Principals is a list of principals; the key is "agents" or "humans".
type Principals struct {
	Agents []Principal `json:"agents,omitempty"`
	Humans []Principal `json:"humans,omitempty"`
}

// CreatePrincipal is the body of POST /agents and POST /humans.
type CreatePrincipal struct {
	Name    string   `json:"name"`
	Profile string   `json:"profile,omitempty"` // agents
	Role    string   `json:"role,omitempty"`    // humans
	Grants  []string `json:"grants,omitempty"`  // "workspace:role"
}

// Note is the body of lock and unlock.
type Note struct {
	Note string `json:"note"`
}

// Revoked answers a revoke.
type Revoked struct {
	Principal Principal `json:"principal"`
	Revoked   int       `json:"revoked"`
}

// NewToken answers POST .../tokens.
type NewToken struct {
	Name  string `json:"name"`
	Token string `json:"token"`
}

// Token describes an issued token without revealing it.
type Token struct {
	ID        int64      `json:"id"`
	Hint      string     `json:"hint"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// Tokens lists a principal's tokens.
type Tokens struct {
	Tokens []Token `json:"tokens"`
}

// Workspace is a workspace as the caller sees it.
type Workspace struct {
	Name      string       `json:"name"`
	Label     warden.Label `json:"label"`
	Role      warden.Role  `json:"role"` // the caller's role
	CreatedAt time.Time    `json:"created_at"`
	CreatedBy string       `json:"created_by"`
}

// Workspaces lists workspaces.
type Workspaces struct {
	Workspaces []Workspace `json:"workspaces"`
}

// CreateWorkspace is the body of POST /workspaces.
type CreateWorkspace struct {
	Name  string `json:"name"`
	Label string `json:"label,omitempty"`
}

// PatchWorkspace is the body of PATCH /workspaces/{ws}.
type PatchWorkspace struct {
	Label string `json:"label"`
}

// Member is one grant on a workspace.
type Member struct {
	Principal string               `json:"principal"`
	Kind      warden.PrincipalKind `json:"kind"`
	Role      warden.Role          `json:"role"`
}

// Members lists a workspace's grants.
type Members struct {
	Members []Member `json:"members"`
}

// SetMember is the body of PUT /workspaces/{ws}/members/{principal}.
type SetMember struct {
	Role string `json:"role"`
}

// File is the state of one path. An archived file (a deleted file whose
// path was written again; listed for workspace admins with deleted=true)
// carries its id, to reach it with ?file=ID.
type File struct {
	Path      string    `json:"path"`
	Version   int       `json:"version"`
	Size      int64     `json:"size"`
	Deleted   bool      `json:"deleted,omitempty"`
	Protected bool      `json:"protected,omitempty"`
	Archived  bool      `json:"archived,omitempty"`
	FileID    int64     `json:"file_id,omitempty"`
	Modified  time.Time `json:"modified"`
	Author    string    `json:"author"`
}

// Files is one page of a listing; Next is the opaque cursor to pass as
// after= for the next page ("" on the last page).
type Files struct {
	Files []File `json:"files"`
	Next  string `json:"next,omitempty"`
}

// Version is one entry in a file's history.
type Version struct {
	Version      int       `json:"version"`
	Size         int64     `json:"size"`
	Deleted      bool      `json:"deleted,omitempty"`
	RestoredFrom int       `json:"restored_from,omitempty"`
	Created      time.Time `json:"created"`
	Author       string    `json:"author"`
}

// Versions is a file and its history, oldest first.
type Versions struct {
	File     File      `json:"file"`
	Versions []Version `json:"versions"`
}

// Event is one audit event.
type Event struct {
	Seq       int64           `json:"seq"`
	Time      time.Time       `json:"time"`
	RequestID string          `json:"request_id,omitempty"`
	Principal string          `json:"principal"`
	Kind      string          `json:"kind"`
	Action    string          `json:"action"`
	Workspace string          `json:"workspace,omitempty"`
	Target    string          `json:"target,omitempty"`
	Decision  warden.Decision `json:"decision"`
	Error     string          `json:"error,omitempty"`
	Remote    string          `json:"remote,omitempty"`
	Details   map[string]any  `json:"details,omitempty"`
	Hash      string          `json:"hash"`
}

// Events is one page of audit events; Next is the "after" for the next page.
type Events struct {
	Events []Event `json:"events"`
	Next   int64   `json:"next,omitempty"`
}

// Health answers /healthz. It says nothing else to unauthenticated callers.
type Health struct {
	Status string `json:"status"`
}

// EventFrom is an audit event as the API and the sinks show it.
func EventFrom(e *warden.Event) Event {
	return Event{
		Seq: e.Seq, Time: e.Time, RequestID: e.RequestID, Principal: e.Principal, Kind: string(e.Kind), Action: e.Action,
		Workspace: e.Workspace, Target: e.Target, Decision: e.Decision, Error: e.Error, Remote: e.Remote, Details: e.Details,
		Hash: hex.EncodeToString(e.Hash),
	}
}
