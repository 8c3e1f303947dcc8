package warden

import "time"

// ApprovalStatus is where an approval stands.
type ApprovalStatus string

// Approval states. An approval past its expiry counts as expired (and so as
// a denial) whether or not the store has been updated yet.
const (
	ApprovalPending  ApprovalStatus = "pending"
	ApprovalApproved ApprovalStatus = "approved" // not yet used (or, if Always, usable again)
	ApprovalDenied   ApprovalStatus = "denied"
	ApprovalExpired  ApprovalStatus = "expired"
	ApprovalUsed     ApprovalStatus = "used" // approved once and consumed by the call it allowed
)

// ApprovalRecord is a human approval for one exact tool call, as a Store
// keeps it. ActionHash binds it to the call: a keyed hash of the canonical
// tool name and parameters, so a changed call never matches. The parameters
// themselves are kept only masked, and sealed.
type ApprovalRecord struct {
	ID          string // "apr_" + random
	PrincipalID int64  // the agent that asked
	Agent       string
	Tool        string // the tool as decided (OpenClaw's bridge unwrapped)
	ActionHash  []byte
	Status      ApprovalStatus
	Always      bool // approved with "allow always": matches the same call again
	CreatedAt   time.Time
	ExpiresAt   time.Time
	DecidedAt   time.Time
	DecidedBy   string
	Sealed      []byte // masked parameters, rule, reason, session, note
}

// Effective returns the status as of now: a pending approval past its expiry
// is expired, and so is a one-time approval nobody used before its expiry
// (approving one restarts its clock). "Allow always" does not expire.
func (a *ApprovalRecord) Effective(now time.Time) ApprovalStatus {
	live := a.Status == ApprovalPending || (a.Status == ApprovalApproved && !a.Always)
	if live && !now.Before(a.ExpiresAt) {
		return ApprovalExpired
	}
	return a.Status
}

// ApprovalTx keeps approvals.
type ApprovalTx interface {
	// CreateApproval stores a; ECONFLICT if its id exists.
	CreateApproval(a *ApprovalRecord) error
	// ApprovalByID returns one approval or ENOTFOUND.
	ApprovalByID(id string) (*ApprovalRecord, error)
	// UpdateApproval saves a's status, always flag, expiry, decision and
	// sealed part.
	UpdateApproval(a *ApprovalRecord) error
	// ApprovalsForAction returns a principal's newest approvals of one
	// action that are pending, approved or used (at least the newest 32),
	// newest first.
	ApprovalsForAction(principalID int64, actionHash []byte) ([]*ApprovalRecord, error)
	// Approvals returns up to limit approvals created after since, newest
	// first; status "" means any stored status, principalID 0 any agent.
	Approvals(principalID int64, status ApprovalStatus, since time.Time, limit int) ([]*ApprovalRecord, error)
	// CountPending counts a principal's approvals stored as pending that
	// expire after now.
	CountPending(principalID int64, now time.Time) (int, error)
}
