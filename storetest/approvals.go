package storetest

import (
	"bytes"
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

func testApprovals(t *testing.T, s warden.Store) {
	now := time.Now().UTC().Truncate(time.Microsecond)
	agent := &warden.Principal{Name: "bot", Kind: warden.KindAgent, Profile: "default", CreatedAt: now, CreatedBy: "admin"}
	update(t, s, func(tx warden.Tx) error { return tx.CreatePrincipal(agent) })
	mk := func(id string, hash string, status warden.ApprovalStatus, created time.Time) *warden.ApprovalRecord {
		return &warden.ApprovalRecord{ID: id, PrincipalID: agent.ID, Agent: "bot", Tool: "exec", ActionHash: []byte(hash),
			Status: status, CreatedAt: created, ExpiresAt: created.Add(10 * time.Minute), Sealed: []byte("sealed-" + id)}
	}
	a1 := mk("apr_1", "h1", warden.ApprovalPending, now)
	a2 := mk("apr_2", "h1", warden.ApprovalDenied, now.Add(time.Second))
	a3 := mk("apr_3", "h2", warden.ApprovalPending, now.Add(2*time.Second))
	a4 := mk("apr_4", "h1", warden.ApprovalApproved, now.Add(3*time.Second))
	update(t, s, func(tx warden.Tx) error {
		for _, a := range []*warden.ApprovalRecord{a1, a2, a3, a4} {
			if err := tx.CreateApproval(a); err != nil {
				return err
			}
		}
		return nil
	})
	err := s.Update(ctx, func(tx warden.Tx) error { return tx.CreateApproval(mk("apr_1", "h9", warden.ApprovalPending, now)) })
	wantCode(t, err, warden.ECONFLICT)

	view(t, s, func(tx warden.Tx) error {
		got, err := tx.ApprovalByID("apr_1")
		if err != nil || got.Agent != "bot" || got.Tool != "exec" || !bytes.Equal(got.ActionHash, []byte("h1")) || got.Status != warden.ApprovalPending ||
			!got.CreatedAt.Equal(now) || !got.ExpiresAt.Equal(now.Add(10*time.Minute)) || string(got.Sealed) != "sealed-apr_1" || got.Always {
			t.Fatalf("ApprovalByID = %+v, %v", got, err)
		}
		_, err = tx.ApprovalByID("apr_nope")
		wantCode(t, err, warden.ENOTFOUND)
		live, err := tx.ApprovalsForAction(agent.ID, []byte("h1"))
		if err != nil || len(live) != 2 || live[0].ID != "apr_4" || live[1].ID != "apr_1" {
			t.Fatalf("ApprovalsForAction = %v, %v (want apr_4, apr_1: live ones, newest first)", ids(live), err)
		}
		pending, err := tx.Approvals(0, warden.ApprovalPending, time.Time{}, 0)
		if err != nil || len(pending) != 2 || pending[0].ID != "apr_3" || pending[1].ID != "apr_1" {
			t.Fatalf("Approvals(pending) = %v, %v", ids(pending), err)
		}
		all, err := tx.Approvals(0, "", now, 2)
		if err != nil || len(all) != 2 || all[0].ID != "apr_4" || all[1].ID != "apr_3" {
			t.Fatalf("Approvals(all, since, 2) = %v, %v", ids(all), err)
		}
		if mine, err := tx.Approvals(agent.ID, "", time.Time{}, 0); err != nil || len(mine) != 4 {
			t.Fatalf("Approvals(agent) = %v, %v", ids(mine), err)
		}
		if none, err := tx.Approvals(agent.ID+1000, "", time.Time{}, 0); err != nil || len(none) != 0 {
			t.Fatalf("Approvals(another principal) = %v, %v", ids(none), err)
		}
		if n, err := tx.CountPending(agent.ID, now.Add(time.Minute)); err != nil || n != 2 {
			t.Fatalf("CountPending = %d, %v; want 2", n, err)
		}
		if n, err := tx.CountPending(agent.ID, now.Add(time.Hour)); err != nil || n != 0 {
			t.Fatalf("CountPending after expiry = %d, %v; want 0", n, err)
		}
		return nil
	})

	a1.Status, a1.Always, a1.DecidedAt, a1.DecidedBy, a1.Sealed = warden.ApprovalApproved, true, now.Add(time.Minute), "alice", []byte("new")
	update(t, s, func(tx warden.Tx) error { return tx.UpdateApproval(a1) })
	view(t, s, func(tx warden.Tx) error {
		got, err := tx.ApprovalByID("apr_1")
		if err != nil || got.Status != warden.ApprovalApproved || !got.Always || got.DecidedBy != "alice" || !got.DecidedAt.Equal(now.Add(time.Minute)) || string(got.Sealed) != "new" {
			t.Fatalf("after update = %+v, %v", got, err)
		}
		return nil
	})
	err = s.Update(ctx, func(tx warden.Tx) error { return tx.UpdateApproval(mk("apr_missing", "h", warden.ApprovalDenied, now)) })
	wantCode(t, err, warden.ENOTFOUND)

	if st := a3.Effective(now.Add(11 * time.Minute)); st != warden.ApprovalExpired {
		t.Fatalf("pending past expiry = %s, want expired", st)
	}
	if st := a2.Effective(now.Add(11 * time.Minute)); st != warden.ApprovalDenied {
		t.Fatalf("denied past expiry = %s, want denied", st)
	}
}

func ids(as []*warden.ApprovalRecord) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.ID)
	}
	return out
}
