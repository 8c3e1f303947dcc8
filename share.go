package warden

import "time"

// ShareRecord is a data-room link as a Store keeps it. The fields filters
// and limits need are in clear; the shared path, the allowed domains and
// addresses, and the password's hash are sealed, since file names and
// addresses are sensitive.
//
// The id is the link's secret part (≥128 random bits): it locates the
// share, and a recipient still proves an allowed address with a one-time
// code before anything is shown.
type ShareRecord struct {
	ID          string // "shr_" + random, URL-safe
	WorkspaceID int64
	Workspace   string // its name, for listing without a join
	CreatedByID int64  // the principal whose access the share reads through
	CreatedBy   string
	Folder      bool // the path is a folder: every file under it is shared
	Download    bool // recipients may download (otherwise view only)
	Watermark   bool
	MaxViews    int // 0: unlimited
	Views       int
	CreatedAt   time.Time
	ExpiresAt   time.Time
	RevokedAt   time.Time // zero while not revoked
	RevokedBy   string
	Sealed      []byte // path, allowed domains and emails, password hash
}

// ShareState is whether a share link still opens.
type ShareState string

// Share states. Only an active share shows anything; the others answer 410.
const (
	ShareActive    ShareState = "active"
	ShareExpired   ShareState = "expired"
	ShareRevoked   ShareState = "revoked"
	ShareExhausted ShareState = "exhausted" // its views are used up
)

// State returns the share's state at now. Revocation wins over expiry so a
// listing says what an admin did.
func (s *ShareRecord) State(now time.Time) ShareState {
	switch {
	case !s.RevokedAt.IsZero():
		return ShareRevoked
	case !now.Before(s.ExpiresAt):
		return ShareExpired
	case s.MaxViews > 0 && s.Views >= s.MaxViews:
		return ShareExhausted
	}
	return ShareActive
}

// ShareCode is a one-time code sent to a recipient's address. Only keyed
// hashes of the address and the code are kept: six digits are too few to
// survive an unkeyed hash.
type ShareCode struct {
	ShareID   string
	EmailHash []byte
	CodeHash  []byte
	Attempts  int // failed attempts so far
	CreatedAt time.Time
	ExpiresAt time.Time
}

// ShareSession is a recipient who proved an address for one share. Hash is
// a hash of the cookie's random value, which is never stored; the address
// is sealed (it is drawn into watermarks).
type ShareSession struct {
	Hash        []byte
	ShareID     string
	EmailSealed []byte
	CreatedAt   time.Time
	ExpiresAt   time.Time
}

// ShareTx keeps shares, their one-time codes and recipients' sessions.
type ShareTx interface {
	// CreateShare stores s; ECONFLICT if its id exists.
	CreateShare(s *ShareRecord) error
	// ShareByID returns one share or ENOTFOUND.
	ShareByID(id string) (*ShareRecord, error)
	// Shares lists a workspace's shares (0 for every workspace), newest
	// first.
	Shares(workspaceID int64) ([]*ShareRecord, error)
	// UpdateShare saves s's views and revocation.
	UpdateShare(s *ShareRecord) error
	// PutShareCode creates or replaces the code for (ShareID, EmailHash).
	PutShareCode(c *ShareCode) error
	// ShareCode returns the code for an address or ENOTFOUND.
	ShareCode(shareID string, emailHash []byte) (*ShareCode, error)
	// DeleteShareCode removes a code; no error if there was none.
	DeleteShareCode(shareID string, emailHash []byte) error
	// CreateShareSession stores a session.
	CreateShareSession(s *ShareSession) error
	// ShareSessionByHash returns a session or ENOTFOUND.
	ShareSessionByHash(hash []byte) (*ShareSession, error)
}
