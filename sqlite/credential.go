package sqlite

import "github.com/wardenhq/warden"

// HumanCredential finds a human's console credential.
func (t *tx) HumanCredential(principalID int64) (*warden.HumanCredential, error) {
	c := warden.HumanCredential{PrincipalID: principalID}
	var changed int64
	err := t.row(`SELECT password_hash, totp_sealed, totp_last_step, changed_at FROM human_credentials WHERE principal_id = ?`, principalID).
		Scan(&c.PasswordHash, &c.TOTPSealed, &c.TOTPLastStep, &changed)
	if err != nil {
		return nil, mapErr(err, "credential")
	}
	c.ChangedAt = fromNanos(changed)
	return &c, nil
}

// PutHumanCredential creates or replaces a human's console credential.
func (t *tx) PutHumanCredential(c *warden.HumanCredential) error {
	_, err := t.exec("credential", `INSERT INTO human_credentials (principal_id, password_hash, totp_sealed, totp_last_step, changed_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (principal_id) DO UPDATE SET password_hash = excluded.password_hash,
		totp_sealed = excluded.totp_sealed, totp_last_step = excluded.totp_last_step, changed_at = excluded.changed_at`,
		c.PrincipalID, c.PasswordHash, c.TOTPSealed, c.TOTPLastStep, nanos(c.ChangedAt))
	return err
}
