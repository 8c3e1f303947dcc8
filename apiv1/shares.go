package apiv1

import "time"

// CreateShare is the body of POST /api/v1/workspaces/{ws}/shares.
type CreateShare struct {
	Path      string   `json:"path"`       // a file, or a folder (every file under it)
	ExpiresIn string   `json:"expires_in"` // a Go duration: "72h"; required, at most shares.max_expiry
	MaxViews  int      `json:"max_views,omitempty"`
	Domains   []string `json:"domains,omitempty"` // recipients' allowed email domains
	Emails    []string `json:"emails,omitempty"`  // and exact addresses
	Download  bool     `json:"download,omitempty"`
	Watermark bool     `json:"watermark,omitempty"`
	Password  string   `json:"password,omitempty"`
}

// Share is a data-room link.
type Share struct {
	ID        string     `json:"id"`
	URL       string     `json:"url"`
	Workspace string     `json:"workspace"`
	Path      string     `json:"path"`
	Folder    bool       `json:"folder"`
	Download  bool       `json:"download"`
	Watermark bool       `json:"watermark"`
	Password  bool       `json:"password"`
	Domains   []string   `json:"domains"`
	Emails    []string   `json:"emails"`
	MaxViews  int        `json:"max_views"`
	Views     int        `json:"views"`
	State     string     `json:"state"` // active, expired, revoked, exhausted
	CreatedAt time.Time  `json:"created_at"`
	CreatedBy string     `json:"created_by"`
	ExpiresAt time.Time  `json:"expires_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
	RevokedBy string     `json:"revoked_by,omitempty"`
}

// Shares is a list of shares.
type Shares struct {
	Shares []Share `json:"shares"`
}
