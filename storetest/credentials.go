package storetest

import (
	"bytes"
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

func testCredentials(t *testing.T, s warden.Store) {
	now := time.Now().UTC().Truncate(time.Microsecond)
	var id int64
	update(t, s, func(tx warden.Tx) error {
		p := &warden.Principal{Name: "alice", Kind: warden.KindHuman, Role: warden.HumanApprover, CreatedAt: now, CreatedBy: "t"}
		if err := tx.CreatePrincipal(p); err != nil {
			return err
		}
		id = p.ID
		return nil
	})
	wantCode(t, s.View(ctx, func(tx warden.Tx) error { _, err := tx.HumanCredential(id); return err }), warden.ENOTFOUND)
	update(t, s, func(tx warden.Tx) error {
		return tx.PutHumanCredential(&warden.HumanCredential{PrincipalID: id, PasswordHash: "argon2id$x", ChangedAt: now})
	})
	view(t, s, func(tx warden.Tx) error {
		c, err := tx.HumanCredential(id)
		if err != nil || c.PasswordHash != "argon2id$x" || c.TOTPSealed != nil || c.TOTPLastStep != 0 || !c.ChangedAt.Equal(now) {
			t.Errorf("credential = %+v, %v", c, err)
		}
		return nil
	})
	later := now.Add(time.Minute)
	update(t, s, func(tx warden.Tx) error {
		return tx.PutHumanCredential(&warden.HumanCredential{PrincipalID: id, PasswordHash: "argon2id$y", TOTPSealed: []byte("sealed"), TOTPLastStep: 42, ChangedAt: later})
	})
	view(t, s, func(tx warden.Tx) error {
		c, err := tx.HumanCredential(id)
		if err != nil || c.PasswordHash != "argon2id$y" || !bytes.Equal(c.TOTPSealed, []byte("sealed")) || c.TOTPLastStep != 42 || !c.ChangedAt.Equal(later) {
			t.Errorf("replaced credential = %+v, %v", c, err)
		}
		return nil
	})
}
