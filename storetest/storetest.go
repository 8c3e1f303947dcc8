// Package storetest is the contract every warden.Store implementation must
// meet, as one table of tests. An implementation's own test calls Run with a
// function that opens a fresh, empty store.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

// Opener returns a new, empty store; it is closed by the caller's cleanup.
type Opener func(t *testing.T) warden.Store

// Run runs every contract test against stores from open.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s warden.Store)
	}{
		{"MetaRoundTrip", testMeta},
		{"UpdateRollsBackOnError", testRollback},
		{"UpdatesAreSerialised", testSerialised},
		{"PrincipalsAndTokens", testPrincipals},
		{"WorkspacesAndGrants", testWorkspaces},
		{"FilesAndVersions", testFiles},
		{"VersionKeysPage", testVersionKeys},
		{"AuditAppendAndFilter", testAudit},
		{"Checkpoints", testCheckpoints},
		{"Approvals", testApprovals},
		{"Alerts", testAlerts},
		{"Shares", testShares},
		{"Credentials", testCredentials},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

var ctx = context.Background()

func update(t *testing.T, s warden.Store, fn func(warden.Tx) error) {
	t.Helper()
	if err := s.Update(ctx, fn); err != nil {
		t.Fatalf("update: %v", err)
	}
}

func view(t *testing.T, s warden.Store, fn func(warden.Tx) error) {
	t.Helper()
	if err := s.View(ctx, fn); err != nil {
		t.Fatalf("view: %v", err)
	}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if warden.ErrorCode(err) != code {
		t.Fatalf("error = %v (code %q), want code %q", err, warden.ErrorCode(err), code)
	}
}

func testMeta(t *testing.T, s warden.Store) {
	view(t, s, func(tx warden.Tx) error {
		_, err := tx.Meta("missing")
		wantCode(t, err, warden.ENOTFOUND)
		return nil
	})
	update(t, s, func(tx warden.Tx) error { return tx.SetMeta("k", []byte("v1")) })
	update(t, s, func(tx warden.Tx) error { return tx.SetMeta("k", []byte("v2")) })
	view(t, s, func(tx warden.Tx) error {
		v, err := tx.Meta("k")
		if err != nil || string(v) != "v2" {
			t.Fatalf("Meta = %q, %v", v, err)
		}
		return nil
	})
}

func testRollback(t *testing.T, s warden.Store) {
	boom := errors.New("boom")
	err := s.Update(ctx, func(tx warden.Tx) error {
		if err := tx.SetMeta("k", []byte("v")); err != nil {
			return err
		}
		if err := tx.CreateWorkspace(&warden.Workspace{Name: "w", Label: warden.LabelInternal, CreatedBy: "t"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update error = %v, want boom", err)
	}
	view(t, s, func(tx warden.Tx) error {
		_, err := tx.Meta("k")
		wantCode(t, err, warden.ENOTFOUND)
		_, err = tx.WorkspaceByName("w")
		wantCode(t, err, warden.ENOTFOUND)
		return nil
	})
}

// testSerialised runs read-modify-write transactions concurrently: with
// serialised updates no increment is lost.
func testSerialised(t *testing.T, s warden.Store) {
	update(t, s, func(tx warden.Tx) error { return tx.SetMeta("n", []byte("0")) })
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.Update(ctx, func(tx warden.Tx) error {
				v, err := tx.Meta("n")
				if err != nil {
					return err
				}
				n, _ := strconv.Atoi(string(v))
				return tx.SetMeta("n", []byte(strconv.Itoa(n+1)))
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	view(t, s, func(tx warden.Tx) error {
		v, _ := tx.Meta("n")
		if string(v) != "40" {
			t.Fatalf("counter = %s, want 40", v)
		}
		return nil
	})
}

func testPrincipals(t *testing.T, s warden.Store) {
	now := time.Now().UTC().Truncate(time.Microsecond)
	a := &warden.Principal{Name: "bot", Kind: warden.KindAgent, Profile: "default", CreatedAt: now, CreatedBy: "admin"}
	h := &warden.Principal{Name: "alice", Kind: warden.KindHuman, Role: warden.HumanAdmin, CreatedAt: now, CreatedBy: "warden"}
	update(t, s, func(tx warden.Tx) error {
		if err := tx.CreatePrincipal(a); err != nil {
			return err
		}
		return tx.CreatePrincipal(h)
	})
	if a.ID == 0 || h.ID == 0 || a.ID == h.ID {
		t.Fatalf("ids not assigned: %d %d", a.ID, h.ID)
	}
	err := s.Update(ctx, func(tx warden.Tx) error {
		return tx.CreatePrincipal(&warden.Principal{Name: "bot", Kind: warden.KindHuman, CreatedBy: "x"})
	})
	wantCode(t, err, warden.ECONFLICT)

	tok := &warden.Token{PrincipalID: a.ID, Hash: []byte("hash-1"), Hint: "abcd", CreatedAt: now}
	tok2 := &warden.Token{PrincipalID: a.ID, Hash: []byte("hash-2"), Hint: "efgh", CreatedAt: now}
	update(t, s, func(tx warden.Tx) error {
		if err := tx.CreateToken(tok); err != nil {
			return err
		}
		return tx.CreateToken(tok2)
	})
	view(t, s, func(tx warden.Tx) error {
		p, err := tx.PrincipalByName("bot")
		if err != nil || p.ID != a.ID || p.Kind != warden.KindAgent || p.Profile != "default" || p.State != warden.StateActive || !p.CreatedAt.Equal(now) {
			t.Fatalf("PrincipalByName = %+v, %v", p, err)
		}
		if p, err := tx.PrincipalByID(h.ID); err != nil || p.Name != "alice" || p.Role != warden.HumanAdmin {
			t.Fatalf("PrincipalByID = %+v, %v", p, err)
		}
		_, err = tx.PrincipalByName("nobody")
		wantCode(t, err, warden.ENOTFOUND)
		agents, err := tx.Principals(warden.KindAgent)
		if err != nil || len(agents) != 1 || agents[0].Name != "bot" {
			t.Fatalf("Principals(agent) = %v, %v", agents, err)
		}
		all, err := tx.Principals("")
		if err != nil || len(all) != 2 || all[0].Name != "alice" {
			t.Fatalf("Principals(all) = %v, %v (want sorted by name)", all, err)
		}
		got, err := tx.TokenByHash([]byte("hash-1"))
		if err != nil || got.PrincipalID != a.ID || got.Hint != "abcd" || got.Revoked() {
			t.Fatalf("TokenByHash = %+v, %v", got, err)
		}
		_, err = tx.TokenByHash([]byte("nope"))
		wantCode(t, err, warden.ENOTFOUND)
		if byID, err := tx.TokenByID(tok.ID); err != nil || !bytes.Equal(byID.Hash, []byte("hash-1")) {
			t.Fatalf("TokenByID = %+v, %v", byID, err)
		}
		_, err = tx.TokenByID(9999)
		wantCode(t, err, warden.ENOTFOUND)
		ts, err := tx.Tokens(a.ID)
		if err != nil || len(ts) != 2 || ts[0].ID != tok2.ID {
			t.Fatalf("Tokens = %v, %v (want newest first)", ts, err)
		}
		return nil
	})

	a.State, a.LockNoteSealed, a.LockedBy, a.LockedAt = warden.StateLocked, []byte("sealed note"), "alice", now
	update(t, s, func(tx warden.Tx) error { return tx.UpdatePrincipal(a) })
	var revoked int
	update(t, s, func(tx warden.Tx) error {
		var err error
		revoked, err = tx.RevokeTokens(a.ID, now)
		return err
	})
	if revoked != 2 {
		t.Fatalf("RevokeTokens = %d, want 2", revoked)
	}
	view(t, s, func(tx warden.Tx) error {
		p, _ := tx.PrincipalByName("bot")
		if !p.Locked() || string(p.LockNoteSealed) != "sealed note" || p.LockedBy != "alice" || !p.LockedAt.Equal(now) {
			t.Fatalf("after lock: %+v", p)
		}
		got, _ := tx.TokenByHash([]byte("hash-1"))
		if !got.Revoked() {
			t.Fatal("token not revoked")
		}
		n, err := tx.RevokeTokens(a.ID, now)
		if err != nil || n != 0 {
			// View transactions may refuse writes; both outcomes are fine
			// as long as nothing is revoked twice.
			if err == nil {
				t.Fatalf("second revoke = %d", n)
			}
		}
		return nil
	})
}

func testWorkspaces(t *testing.T, s warden.Store) {
	ws := &warden.Workspace{Name: "finance", Label: warden.LabelConfidential, CreatedAt: time.Now().UTC(), CreatedBy: "admin"}
	p := &warden.Principal{Name: "bot", Kind: warden.KindAgent, CreatedBy: "admin"}
	update(t, s, func(tx warden.Tx) error {
		if err := tx.CreateWorkspace(ws); err != nil {
			return err
		}
		if err := tx.CreateWorkspace(&warden.Workspace{Name: "hr", Label: warden.LabelRestricted, CreatedBy: "admin"}); err != nil {
			return err
		}
		return tx.CreatePrincipal(p)
	})
	err := s.Update(ctx, func(tx warden.Tx) error {
		return tx.CreateWorkspace(&warden.Workspace{Name: "finance", Label: warden.LabelPublic, CreatedBy: "x"})
	})
	wantCode(t, err, warden.ECONFLICT)

	update(t, s, func(tx warden.Tx) error { return tx.SetGrant(ws.ID, p.ID, warden.RoleViewer) })
	update(t, s, func(tx warden.Tx) error { return tx.SetGrant(ws.ID, p.ID, warden.RoleEditor) })
	ws.Label = warden.LabelRestricted
	update(t, s, func(tx warden.Tx) error { return tx.UpdateWorkspace(ws) })
	view(t, s, func(tx warden.Tx) error {
		r, err := tx.GrantRole(ws.ID, p.ID)
		if err != nil || r != warden.RoleEditor {
			t.Fatalf("GrantRole = %q, %v (a second SetGrant replaces)", r, err)
		}
		hr, _ := tx.WorkspaceByName("hr")
		if r, err := tx.GrantRole(hr.ID, p.ID); err != nil || r != "" {
			t.Fatalf("GrantRole without grant = %q, %v", r, err)
		}
		ms, err := tx.Members(ws.ID)
		if err != nil || len(ms) != 1 || ms[0] != (warden.Member{Principal: "bot", Kind: warden.KindAgent, Role: warden.RoleEditor}) {
			t.Fatalf("Members = %v, %v", ms, err)
		}
		gs, err := tx.GrantsOf(p.ID)
		if err != nil || len(gs) != 1 || gs[0].String() != "finance:editor" {
			t.Fatalf("GrantsOf = %v, %v", gs, err)
		}
		all, err := tx.Workspaces()
		if err != nil || len(all) != 2 || all[0].Name != "finance" || all[0].Label != warden.LabelRestricted {
			t.Fatalf("Workspaces = %v, %v", all, err)
		}
		return nil
	})
	update(t, s, func(tx warden.Tx) error { return tx.DeleteGrant(ws.ID, p.ID) })
	err = s.Update(ctx, func(tx warden.Tx) error { return tx.DeleteGrant(ws.ID, p.ID) })
	wantCode(t, err, warden.ENOTFOUND)
}

func addFile(t *testing.T, s warden.Store, wsID int64, path string, versions int) *warden.FileRecord {
	t.Helper()
	f := &warden.FileRecord{WorkspaceID: wsID, PathHash: []byte("h:" + path), PathSealed: []byte("sealed:" + path)}
	update(t, s, func(tx warden.Tx) error {
		if err := tx.CreateFile(f); err != nil {
			return err
		}
		for v := 1; v <= versions; v++ {
			if err := tx.AddVersion(&warden.FileVersion{FileID: f.ID, Version: v, Size: int64(v * 10), CreatedAt: time.Now().UTC(), Author: "bot",
				BlobID: fmt.Sprintf("%s-%d", path, v), WrappedKey: []byte("key"), KEKGen: 1}); err != nil {
				return err
			}
		}
		f.Head = versions
		return tx.UpdateFile(f)
	})
	return f
}

func testFiles(t *testing.T, s warden.Store) {
	ws := &warden.Workspace{Name: "w", Label: warden.LabelInternal, CreatedBy: "a"}
	update(t, s, func(tx warden.Tx) error { return tx.CreateWorkspace(ws) })
	f := addFile(t, s, ws.ID, "a.txt", 3)
	g := addFile(t, s, ws.ID, "b.txt", 1)

	err := s.Update(ctx, func(tx warden.Tx) error {
		return tx.AddVersion(&warden.FileVersion{FileID: f.ID, Version: 2, Author: "x"})
	})
	wantCode(t, err, warden.ECONFLICT)
	err = s.Update(ctx, func(tx warden.Tx) error {
		return tx.CreateFile(&warden.FileRecord{WorkspaceID: ws.ID, PathHash: []byte("h:a.txt"), PathSealed: []byte("x")})
	})
	wantCode(t, err, warden.ECONFLICT)

	// Tombstone on b.
	update(t, s, func(tx warden.Tx) error {
		if err := tx.AddVersion(&warden.FileVersion{FileID: g.ID, Version: 2, Tombstone: true, Author: "bot"}); err != nil {
			return err
		}
		g.Head, g.Deleted, g.Protected = 2, true, true
		return tx.UpdateFile(g)
	})
	view(t, s, func(tx warden.Tx) error {
		got, err := tx.FileByPathHash(ws.ID, []byte("h:a.txt"))
		if err != nil || got.ID != f.ID || got.Head != 3 || !bytes.Equal(got.PathSealed, []byte("sealed:a.txt")) {
			t.Fatalf("FileByPathHash = %+v, %v", got, err)
		}
		_, err = tx.FileByPathHash(ws.ID+1, []byte("h:a.txt"))
		wantCode(t, err, warden.ENOTFOUND)
		if byID, err := tx.FileByID(g.ID); err != nil || !byID.Deleted || !byID.Protected || byID.WorkspaceID != ws.ID {
			t.Fatalf("FileByID = %+v, %v", byID, err)
		}
		_, err = tx.FileByID(9999)
		wantCode(t, err, warden.ENOTFOUND)
		live, err := tx.Files(ws.ID, false)
		if err != nil || len(live) != 1 || live[0].File.ID != f.ID || live[0].Head.Version != 3 || live[0].Head.Size != 30 {
			t.Fatalf("Files(live) = %+v, %v", live, err)
		}
		all, err := tx.Files(ws.ID, true)
		if err != nil || len(all) != 2 || !all[1].File.Deleted || !all[1].File.Protected || !all[1].Head.Tombstone {
			t.Fatalf("Files(all) = %+v, %v", all, err)
		}
		vs, err := tx.Versions(f.ID)
		if err != nil || len(vs) != 3 || vs[0].Version != 1 || vs[2].BlobID != "a.txt-3" {
			t.Fatalf("Versions = %v, %v", vs, err)
		}
		v, err := tx.Version(g.ID, 2)
		if err != nil || !v.Tombstone || v.WrappedKey != nil || v.BlobID != "" {
			t.Fatalf("Version(tombstone) = %+v, %v", v, err)
		}
		_, err = tx.Version(f.ID, 9)
		wantCode(t, err, warden.ENOTFOUND)
		ids := map[string]bool{}
		if err := tx.ForEachBlobID(func(id string) error { ids[id] = true; return nil }); err != nil {
			return err
		}
		if len(ids) != 4 || !ids["b.txt-1"] || ids[""] {
			t.Fatalf("ForEachBlobID = %v", ids)
		}
		return nil
	})
}

func testVersionKeys(t *testing.T, s warden.Store) {
	ws := &warden.Workspace{Name: "w", Label: warden.LabelInternal, CreatedBy: "a"}
	update(t, s, func(tx warden.Tx) error { return tx.CreateWorkspace(ws) })
	for i := range 5 {
		addFile(t, s, ws.ID, fmt.Sprintf("f%d", i), 3)
	}
	var n int64
	view(t, s, func(tx warden.Tx) error {
		var err error
		n, err = tx.CountVersionKeys()
		return err
	})
	if n != 15 {
		t.Fatalf("CountVersionKeys = %d", n)
	}
	seen := 0
	var af int64
	var av int
	for {
		var batch []warden.VersionKey
		update(t, s, func(tx warden.Tx) error {
			var err error
			if batch, err = tx.VersionKeys(af, av, 4); err != nil {
				return err
			}
			for _, k := range batch {
				if err := tx.SetVersionKey(k.FileID, k.Version, []byte("rewrapped"), 2); err != nil {
					return err
				}
			}
			return nil
		})
		if len(batch) == 0 {
			break
		}
		if len(batch) > 4 {
			t.Fatalf("page of %d > limit", len(batch))
		}
		seen += len(batch)
		af, av = batch[len(batch)-1].FileID, batch[len(batch)-1].Version
	}
	if seen != 15 {
		t.Fatalf("paged through %d keys, want 15", seen)
	}
	view(t, s, func(tx warden.Tx) error {
		ks, _ := tx.VersionKeys(0, 0, 100)
		for _, k := range ks {
			if string(k.Wrapped) != "rewrapped" || k.KEKGen != 2 || k.BlobID == "" {
				t.Fatalf("key not rewritten: %+v", k)
			}
		}
		return nil
	})
}

func record(seq int64, at time.Time, principal, action, ws string, effect warden.Effect) *warden.EventRecord {
	return &warden.EventRecord{Seq: seq, Time: at, RequestID: "r" + strconv.FormatInt(seq, 10), Principal: principal, Kind: warden.KindAgent,
		Action: action, Workspace: ws, Effect: effect, Rule: "rbac", Sealed: []byte{1, 2, 3}, PrevHash: []byte("p"), Hash: []byte("h" + strconv.FormatInt(seq, 10))}
}

func testAudit(t *testing.T, s warden.Store) {
	view(t, s, func(tx warden.Tx) error {
		seq, hash, err := tx.LastEvent()
		if err != nil || seq != 0 || hash != nil {
			t.Fatalf("LastEvent on empty = %d, %x, %v", seq, hash, err)
		}
		return nil
	})
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	recs := []*warden.EventRecord{
		record(1, base, "bot", "file.read", "w", warden.Allow),
		record(2, base.Add(time.Minute), "bot", "file.write", "w", warden.Deny),
		record(3, base.Add(2*time.Minute), "alice", "agent.lock", "", warden.Allow),
		record(4, base.Add(3*time.Minute), "bot", "file.read", "x", warden.Allow),
	}
	recs[2].TargetHash = []byte("target")
	update(t, s, func(tx warden.Tx) error {
		for _, r := range recs {
			if err := tx.InsertEvent(r); err != nil {
				return err
			}
		}
		return nil
	})
	err := s.Update(ctx, func(tx warden.Tx) error { return tx.InsertEvent(record(2, base, "x", "y", "", warden.Allow)) })
	wantCode(t, err, warden.ECONFLICT)

	cases := []struct {
		f    warden.EventFilter
		want []int64
	}{
		{warden.EventFilter{}, []int64{1, 2, 3, 4}},
		{warden.EventFilter{AfterSeq: 2}, []int64{3, 4}},
		{warden.EventFilter{Principal: "bot"}, []int64{1, 2, 4}},
		{warden.EventFilter{Action: "file.read"}, []int64{1, 4}},
		{warden.EventFilter{Action: "file.*"}, []int64{1, 2, 4}},
		{warden.EventFilter{Action: "*"}, []int64{1, 2, 3, 4}},
		{warden.EventFilter{Workspace: "w"}, []int64{1, 2}},
		{warden.EventFilter{Effect: warden.Deny}, []int64{2}},
		{warden.EventFilter{Since: base.Add(time.Minute), Until: base.Add(3 * time.Minute)}, []int64{2, 3}},
		{warden.EventFilter{Limit: 2}, []int64{1, 2}},
		{warden.EventFilter{Principal: "bot", Action: "file.read", Workspace: "x"}, []int64{4}},
	}
	view(t, s, func(tx warden.Tx) error {
		seq, hash, err := tx.LastEvent()
		if err != nil || seq != 4 || string(hash) != "h4" {
			t.Fatalf("LastEvent = %d, %s, %v", seq, hash, err)
		}
		for _, c := range cases {
			got, err := tx.Events(c.f)
			if err != nil {
				t.Fatalf("Events(%+v): %v", c.f, err)
			}
			var seqs []int64
			for _, r := range got {
				seqs = append(seqs, r.Seq)
			}
			if fmt.Sprint(seqs) != fmt.Sprint(c.want) {
				t.Errorf("Events(%+v) = %v, want %v", c.f, seqs, c.want)
			}
		}
		var scanned []*warden.EventRecord
		if err := tx.ScanEvents(1, func(r *warden.EventRecord) error { scanned = append(scanned, r); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(scanned) != 3 || scanned[0].Seq != 2 {
			t.Fatalf("ScanEvents(1) = %d records", len(scanned))
		}
		r := scanned[1]
		if r.Principal != "alice" || r.Action != "agent.lock" || r.Rule != "rbac" || !bytes.Equal(r.TargetHash, []byte("target")) ||
			!bytes.Equal(r.Sealed, []byte{1, 2, 3}) || !r.Time.Equal(base.Add(2*time.Minute)) || r.RequestID != "r3" {
			t.Fatalf("record round trip: %+v", r)
		}
		stop := errors.New("stop")
		n := 0
		err = tx.ScanEvents(0, func(*warden.EventRecord) error { n++; return stop })
		if !errors.Is(err, stop) || n != 1 {
			t.Fatalf("ScanEvents must stop on the callback's error: %v after %d", err, n)
		}
		return nil
	})
}

func testCheckpoints(t *testing.T, s warden.Store) {
	view(t, s, func(tx warden.Tx) error {
		c, err := tx.LastCheckpoint()
		if err != nil || c != nil {
			t.Fatalf("LastCheckpoint on empty = %v, %v", c, err)
		}
		return nil
	})
	at := time.Date(2026, 2, 3, 4, 5, 6, 7, time.UTC)
	update(t, s, func(tx warden.Tx) error {
		for _, seq := range []int64{256, 512} {
			if err := tx.InsertCheckpoint(&warden.Checkpoint{Seq: seq, Hash: []byte("h"), Time: at, KeyID: "k", Signature: []byte("sig")}); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx warden.Tx) error {
		c, err := tx.LastCheckpoint()
		if err != nil || c.Seq != 512 || !c.Time.Equal(at) || c.KeyID != "k" || string(c.Signature) != "sig" {
			t.Fatalf("LastCheckpoint = %+v, %v", c, err)
		}
		var seqs []int64
		if err := tx.ScanCheckpoints(func(c *warden.Checkpoint) error { seqs = append(seqs, c.Seq); return nil }); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(seqs) != "[256 512]" {
			t.Fatalf("ScanCheckpoints = %v", seqs)
		}
		return nil
	})
}
