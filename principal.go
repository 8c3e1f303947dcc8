package warden

import (
	"strings"
	"time"
)

// PrincipalKind says whether a principal is software or a person.
type PrincipalKind string

// Principal kinds.
const (
	KindAgent  PrincipalKind = "agent"
	KindHuman  PrincipalKind = "human"
	KindSystem PrincipalKind = "system" // Warden itself: start-up, rotation, detection
	KindNone   PrincipalKind = "anonymous"
)

// HumanRole is a person's global role. It is separate from workspace roles:
// a human may also hold grants on workspaces like any agent.
type HumanRole string

// Global roles of humans. Agents never hold one.
const (
	HumanAdmin    HumanRole = "admin"    // administers everything, including every workspace
	HumanAuditor  HumanRole = "auditor"  // reads audit events and alerts, changes nothing
	HumanApprover HumanRole = "approver" // decides tool-call approvals
	HumanOperator HumanRole = "operator" // no global powers; works through workspace grants
)

// ParseHumanRole validates a global role name.
func ParseHumanRole(s string) (HumanRole, error) {
	switch r := HumanRole(s); r {
	case HumanAdmin, HumanAuditor, HumanApprover, HumanOperator:
		return r, nil
	}
	return "", Errorf(EINVALID, "unknown human role %s (want admin, auditor, approver or operator)", quoteName(s))
}

// PrincipalState is whether a principal may act.
type PrincipalState string

// Principal states. A locked principal's valid tokens are answered with 423.
const (
	StateActive PrincipalState = "active"
	StateLocked PrincipalState = "locked"
)

// DefaultProfile is the agent profile that always exists.
const DefaultProfile = "default"

// Principal is an authenticated identity: an agent or a human.
type Principal struct {
	ID       int64
	Name     string
	Kind     PrincipalKind
	Role     HumanRole // humans only
	Profile  string    // agents only
	State    PrincipalState
	LockNote string // why it was locked; in clear only in memory
	// LockNoteSealed is LockNote as the store keeps it: notes about
	// incidents are sensitive, so they are sealed at rest.
	LockNoteSealed []byte
	LockedBy       string
	LockedAt       time.Time
	CreatedAt      time.Time
	CreatedBy      string

	// TokenID is the token this principal authenticated with for the
	// request at hand (0 if none), so that work which outlives a moment (a
	// long upload) can check at its end that the token still stands.
	TokenID int64
}

// IsGlobalAdmin reports whether p administers every workspace and principal.
func (p *Principal) IsGlobalAdmin() bool {
	return p != nil && p.Kind == KindHuman && p.Role == HumanAdmin
}

// CanReadAudit reports whether p may read the audit log.
func (p *Principal) CanReadAudit() bool {
	return p != nil && p.Kind == KindHuman && (p.Role == HumanAdmin || p.Role == HumanAuditor)
}

// Locked reports whether p is locked.
func (p *Principal) Locked() bool { return p != nil && p.State == StateLocked }

// Token is the stored, non-secret side of an API token.
type Token struct {
	ID          int64
	PrincipalID int64
	Hash        []byte // SHA-256 of the full token string
	Hint        string // the last characters of the token, to tell tokens apart
	CreatedAt   time.Time
	RevokedAt   time.Time // zero while valid
}

// Revoked reports whether the token was revoked.
func (t *Token) Revoked() bool { return !t.RevokedAt.IsZero() }

// Grant gives a principal a role on a workspace. It is written "ws:role".
type Grant struct {
	Workspace string
	Role      Role
}

// String formats the grant as "ws:role".
func (g Grant) String() string { return g.Workspace + ":" + string(g.Role) }

// ParseGrant parses "ws:role".
func ParseGrant(s string) (Grant, error) {
	ws, role, ok := strings.Cut(s, ":")
	if !ok {
		return Grant{}, Errorf(EINVALID, "grant %s: want workspace:role", quoteName(s))
	}
	if err := ValidateName("workspace", ws); err != nil {
		return Grant{}, err
	}
	r, err := ParseRole(role)
	if err != nil {
		return Grant{}, err
	}
	return Grant{Workspace: ws, Role: r}, nil
}
