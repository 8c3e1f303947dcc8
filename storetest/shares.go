package storetest

import (
	"bytes"
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

func testShares(t *testing.T, s warden.Store) {
	now := time.Now().UTC().Truncate(time.Microsecond)
	var wsID, otherID int64
	update(t, s, func(tx warden.Tx) error {
		for _, w := range []*warden.Workspace{{Name: "deal", Label: warden.LabelRestricted, CreatedAt: now}, {Name: "other", Label: warden.LabelInternal, CreatedAt: now}} {
			if err := tx.CreateWorkspace(w); err != nil {
				return err
			}
		}
		a, _ := tx.WorkspaceByName("deal")
		b, _ := tx.WorkspaceByName("other")
		wsID, otherID = a.ID, b.ID
		return nil
	})
	mk := func(id string, ws int64, at time.Time) *warden.ShareRecord {
		return &warden.ShareRecord{ID: id, WorkspaceID: ws, Workspace: "deal", CreatedByID: 7, CreatedBy: "alice", Folder: id == "shr_2",
			Download: true, Watermark: true, MaxViews: 3, CreatedAt: at, ExpiresAt: at.Add(time.Hour), Sealed: []byte("s-" + id)}
	}
	update(t, s, func(tx warden.Tx) error {
		for _, r := range []*warden.ShareRecord{mk("shr_1", wsID, now), mk("shr_2", wsID, now.Add(time.Second)), mk("shr_3", otherID, now.Add(2*time.Second))} {
			if err := tx.CreateShare(r); err != nil {
				return err
			}
		}
		return nil
	})
	wantCode(t, s.Update(ctx, func(tx warden.Tx) error { return tx.CreateShare(mk("shr_1", wsID, now)) }), warden.ECONFLICT)
	view(t, s, func(tx warden.Tx) error {
		r, err := tx.ShareByID("shr_1")
		if err != nil || r.WorkspaceID != wsID || r.Workspace != "deal" || r.CreatedByID != 7 || r.CreatedBy != "alice" || r.Folder ||
			!r.Download || !r.Watermark || r.MaxViews != 3 || r.Views != 0 || !r.CreatedAt.Equal(now) || !r.ExpiresAt.Equal(now.Add(time.Hour)) ||
			!r.RevokedAt.IsZero() || string(r.Sealed) != "s-shr_1" {
			t.Fatalf("ShareByID = %+v, %v", r, err)
		}
		_, err = tx.ShareByID("shr_none")
		wantCode(t, err, warden.ENOTFOUND)
		list, err := tx.Shares(wsID)
		if err != nil || len(list) != 2 || list[0].ID != "shr_2" || list[1].ID != "shr_1" || !list[0].Folder {
			t.Fatalf("Shares(ws) = %v, %v", list, err)
		}
		all, err := tx.Shares(0)
		if err != nil || len(all) != 3 || all[0].ID != "shr_3" {
			t.Fatalf("Shares(0) = %v, %v", all, err)
		}
		return nil
	})
	r := mk("shr_1", wsID, now)
	r.Views, r.RevokedAt, r.RevokedBy = 2, now.Add(time.Minute), "bob"
	update(t, s, func(tx warden.Tx) error { return tx.UpdateShare(r) })
	view(t, s, func(tx warden.Tx) error {
		got, err := tx.ShareByID("shr_1")
		if err != nil || got.Views != 2 || got.RevokedBy != "bob" || !got.RevokedAt.Equal(now.Add(time.Minute)) {
			t.Fatalf("after update = %+v, %v", got, err)
		}
		return nil
	})
	wantCode(t, s.Update(ctx, func(tx warden.Tx) error { return tx.UpdateShare(mk("shr_none", wsID, now)) }), warden.ENOTFOUND)

	// Codes: one per (share, address); a new one replaces the old.
	email := []byte("email-hash")
	code := &warden.ShareCode{ShareID: "shr_2", EmailHash: email, CodeHash: []byte("c1"), Attempts: 2, CreatedAt: now, ExpiresAt: now.Add(10 * time.Minute)}
	update(t, s, func(tx warden.Tx) error { return tx.PutShareCode(code) })
	code2 := *code
	code2.CodeHash, code2.Attempts = []byte("c2"), 0
	update(t, s, func(tx warden.Tx) error { return tx.PutShareCode(&code2) })
	view(t, s, func(tx warden.Tx) error {
		c, err := tx.ShareCode("shr_2", email)
		if err != nil || string(c.CodeHash) != "c2" || c.Attempts != 0 || !c.ExpiresAt.Equal(now.Add(10*time.Minute)) {
			t.Fatalf("ShareCode = %+v, %v", c, err)
		}
		_, err = tx.ShareCode("shr_1", email)
		wantCode(t, err, warden.ENOTFOUND)
		return nil
	})
	update(t, s, func(tx warden.Tx) error { return tx.DeleteShareCode("shr_2", email) })
	update(t, s, func(tx warden.Tx) error { return tx.DeleteShareCode("shr_2", email) })
	view(t, s, func(tx warden.Tx) error {
		_, err := tx.ShareCode("shr_2", email)
		wantCode(t, err, warden.ENOTFOUND)
		return nil
	})

	sess := &warden.ShareSession{Hash: []byte("h1"), ShareID: "shr_2", EmailSealed: []byte("sealed"), CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	update(t, s, func(tx warden.Tx) error { return tx.CreateShareSession(sess) })
	wantCode(t, s.Update(ctx, func(tx warden.Tx) error { return tx.CreateShareSession(sess) }), warden.ECONFLICT)
	view(t, s, func(tx warden.Tx) error {
		got, err := tx.ShareSessionByHash([]byte("h1"))
		if err != nil || got.ShareID != "shr_2" || !bytes.Equal(got.EmailSealed, []byte("sealed")) || !got.ExpiresAt.Equal(now.Add(time.Hour)) {
			t.Fatalf("ShareSessionByHash = %+v, %v", got, err)
		}
		_, err = tx.ShareSessionByHash([]byte("h2"))
		wantCode(t, err, warden.ENOTFOUND)
		return nil
	})
}
