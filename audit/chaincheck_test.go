package audit_test

import (
	"context"
	"database/sql"
	"net/url"
	"slices"
	"testing"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/audit"
)

// rawDB opens the store's file through a second, plain connection while the
// store stays open, as an attacker with write access to the file would.
func (e *env) rawDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: e.path}).EscapedPath()+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func check(t *testing.T, c *audit.ChainCheck, budget int64) audit.ChainStatus {
	t.Helper()
	st, err := c.Check(context.Background(), budget)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	return st
}

// The console's badge verifies a budget of events a view, carries on from
// there, and catches both a rewritten history and a modified new event.
func TestChainCheckIsIncrementalAndCatchesTampering(t *testing.T) {
	e := newEnv(t)
	l := e.buildChain(t, 25, 10, true)
	c := audit.NewChainCheck(e.store, e.keys.PublicKey())
	if st := check(t, c, 10); !st.OK() || st.Through != 10 || st.Head != 25 || st.SignedThrough != 0 {
		t.Fatalf("first view: %+v, want through 10 of 25 (the newest checkpoint, at 25, comes later)", st)
	}
	if st := check(t, c, 1000); !st.OK() || st.Through != 25 || st.SignedThrough != 25 {
		t.Fatalf("second view: %+v, want through 25, signed through 25", st)
	}
	for i := 26; i <= 30; i++ {
		e.append(t, l, sampleEvent(i))
	}
	if st := check(t, c, 1000); !st.OK() || st.Through != 30 || st.Head != 30 || st.SignedThrough != 25 {
		t.Fatalf("after 5 more events: %+v", st)
	}

	t.Run("rewritten history", func(t *testing.T) {
		e := newEnv(t)
		e.buildChain(t, 25, 10, true)
		c := audit.NewChainCheck(e.store, e.keys.PublicKey())
		check(t, c, 1000)
		db := e.rawDB(t)
		r := rawEvent(t, db, 5)
		r.Rule = "rbac.admin"
		writeEvent(t, db, r)
		rehashFrom(t, db, 5)
		st := check(t, c, 1000)
		if st.OK() || st.FirstBad != 25 {
			t.Fatalf("after a rewrite: %+v, want broken at 25 (its hash changed after it was verified)", st)
		}
		if again := check(t, c, 1000); again.FirstBad != 25 {
			t.Fatalf("a problem found must stay: %+v", again)
		}
	})
	t.Run("modified new event", func(t *testing.T) {
		e := newEnv(t)
		l := e.buildChain(t, 25, 10, true)
		c := audit.NewChainCheck(e.store, e.keys.PublicKey())
		check(t, c, 1000)
		e.append(t, l, sampleEvent(26))
		db := e.rawDB(t)
		r := rawEvent(t, db, 26)
		r.Effect = warden.Deny
		writeEvent(t, db, r)
		if st := check(t, c, 1000); st.OK() || st.FirstBad != 26 || st.Through != 25 {
			t.Fatalf("after modifying event 26: %+v", st)
		}
	})
}

// forwardOnly hides the store's backwards read, so Newest takes its
// fallback path.
type forwardOnly struct{ warden.Store }

func (s forwardOnly) View(ctx context.Context, fn func(warden.Tx) error) error {
	return s.Store.View(ctx, func(tx warden.Tx) error { return fn(struct{ warden.Tx }{tx}) })
}

func seqs(evs []*warden.Event) []int64 {
	out := make([]int64, len(evs))
	for i, e := range evs {
		out[i] = e.Seq
	}
	return out
}

func TestNewestPagesBackwards(t *testing.T) {
	e := newEnv(t)
	e.buildChain(t, 25, 10, false)
	ctx := context.Background()
	for name, l := range map[string]*audit.Log{"sqlite": e.newLog(t, 256),
		"fallback": audit.New(forwardOnly{e.store}, e.keys, audit.Options{CheckpointEvery: 256})} {
		t.Run(name, func(t *testing.T) {
			evs, err := l.Newest(ctx, warden.EventFilter{Limit: 4}, 0)
			if err != nil || !slices.Equal(seqs(evs), []int64{25, 24, 23, 22}) {
				t.Fatalf("newest 4: %v, %v", seqs(evs), err)
			}
			// sampleEvent's principals cycle alice, bob, carol: alice is i%3 == 0.
			evs, err = l.Newest(ctx, warden.EventFilter{Principal: "alice", Limit: 3}, 18)
			if err != nil || !slices.Equal(seqs(evs), []int64{15, 12, 9}) {
				t.Fatalf("alice before 18: %v, %v", seqs(evs), err)
			}
			if evs[0].Target != "docs/15.txt" {
				t.Fatalf("sealed part not opened: %+v", evs[0])
			}
			seen, err := l.LastSeen(ctx, []string{"bob", "nobody"})
			if _, ok := seen["nobody"]; err != nil || ok || seen["bob"].IsZero() {
				t.Fatalf("LastSeen: %v, %v", seen, err)
			}
		})
	}
}
