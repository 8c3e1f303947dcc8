package warden

import "time"

// HumanCredential is how a human signs in to the console with a password:
// an argon2id hash of the password and, optionally, a TOTP secret. The
// secret reaches the store already sealed; the store never sees it in clear.
type HumanCredential struct {
	PrincipalID  int64
	PasswordHash string // "argon2id$v=19$m=…,t=…,p=…$salt$hash"; "" if none is set
	TOTPSealed   []byte // sealed TOTP secret; nil if TOTP is off
	// TOTPLastStep is the last 30-second step whose code was accepted: a
	// code is good once, so one seen over a shoulder cannot be replayed.
	TOTPLastStep int64
	// ChangedAt is when the password or TOTP last changed; console
	// sessions begun before it end.
	ChangedAt time.Time
}

// CredentialTx keeps humans' console credentials.
type CredentialTx interface {
	// HumanCredential returns a principal's credential or ENOTFOUND.
	HumanCredential(principalID int64) (*HumanCredential, error)
	// PutHumanCredential creates or replaces a principal's credential.
	PutHumanCredential(c *HumanCredential) error
}
