package storetest

import (
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

func testAlerts(t *testing.T, s warden.Store) {
	now := time.Now().UTC().Truncate(time.Microsecond)
	mk := func(id string, st warden.AlertStatus, at time.Time) *warden.AlertRecord {
		return &warden.AlertRecord{ID: id, Rule: "mass_delete", Principal: "bot", Kind: warden.KindAgent, Severity: "high", Action: "lock",
			Status: st, CreatedAt: at, Sealed: []byte("s-" + id)}
	}
	update(t, s, func(tx warden.Tx) error {
		for _, a := range []*warden.AlertRecord{mk("alt_1", warden.AlertOpen, now), mk("alt_2", warden.AlertResolved, now.Add(time.Second)), mk("alt_3", warden.AlertOpen, now.Add(2*time.Second))} {
			if err := tx.CreateAlert(a); err != nil {
				return err
			}
		}
		return nil
	})
	wantCode(t, s.Update(ctx, func(tx warden.Tx) error { return tx.CreateAlert(mk("alt_1", warden.AlertOpen, now)) }), warden.ECONFLICT)
	view(t, s, func(tx warden.Tx) error {
		a, err := tx.AlertByID("alt_1")
		if err != nil || a.Rule != "mass_delete" || a.Principal != "bot" || a.Kind != warden.KindAgent || a.Severity != "high" || a.Action != "lock" ||
			a.Status != warden.AlertOpen || !a.CreatedAt.Equal(now) || string(a.Sealed) != "s-alt_1" {
			t.Fatalf("AlertByID = %+v, %v", a, err)
		}
		_, err = tx.AlertByID("alt_none")
		wantCode(t, err, warden.ENOTFOUND)
		open, err := tx.Alerts(warden.AlertOpen, 0)
		if err != nil || len(open) != 2 || open[0].ID != "alt_3" || open[1].ID != "alt_1" {
			t.Fatalf("Alerts(open) = %v, %v", open, err)
		}
		all, err := tx.Alerts("", 2)
		if err != nil || len(all) != 2 || all[0].ID != "alt_3" {
			t.Fatalf("Alerts(all, 2) = %v, %v", all, err)
		}
		return nil
	})
	a := mk("alt_1", warden.AlertAcknowledged, now)
	a.UpdatedAt, a.UpdatedBy, a.Sealed = now.Add(time.Minute), "alice", []byte("new")
	update(t, s, func(tx warden.Tx) error { return tx.UpdateAlert(a) })
	view(t, s, func(tx warden.Tx) error {
		got, err := tx.AlertByID("alt_1")
		if err != nil || got.Status != warden.AlertAcknowledged || got.UpdatedBy != "alice" || !got.UpdatedAt.Equal(now.Add(time.Minute)) || string(got.Sealed) != "new" {
			t.Fatalf("after update = %+v, %v", got, err)
		}
		return nil
	})
	wantCode(t, s.Update(ctx, func(tx warden.Tx) error { return tx.UpdateAlert(mk("alt_none", warden.AlertOpen, now)) }), warden.ENOTFOUND)
}
