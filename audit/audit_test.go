package audit_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/audit"
	"github.com/wardenhq/warden/keyring"
	"github.com/wardenhq/warden/sqlite"
)

var t0 = time.Date(2025, 3, 14, 9, 26, 53, 589793238, time.UTC)

// clock is a fake Now that advances one millisecond per call.
type clock struct{ n atomic.Int64 }

func (c *clock) Now() time.Time { return t0.Add(time.Duration(c.n.Add(1)) * time.Millisecond) }

// env is a real SQLite store in a temporary folder with a keyring.
type env struct {
	path   string
	master []byte
	store  *sqlite.DB
	keys   *keyring.Keyring
	clock  *clock
}

func newEnv(t testing.TB) *env {
	t.Helper()
	e := &env{path: filepath.Join(t.TempDir(), "warden.db"), master: keyring.GenerateMasterKey(), clock: &clock{}}
	e.open(t)
	k, err := keyring.Open(context.Background(), e.store, e.master)
	if err != nil {
		t.Fatalf("keyring.Open: %v", err)
	}
	e.keys = k
	return e
}

func (e *env) open(t testing.TB) {
	t.Helper()
	s, err := sqlite.Open(context.Background(), e.path, sqlite.Options{})
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	e.store = s
	t.Cleanup(func() { s.Close() })
}

// newLog starts a Log whose timed checkpoints never fire during a test.
func (e *env) newLog(t testing.TB, every int) *audit.Log {
	t.Helper()
	l := audit.New(e.store, e.keys, audit.Options{CheckpointEvery: every, CheckpointInterval: time.Hour, Now: e.clock.Now})
	t.Cleanup(func() { l.Close(context.Background()) })
	return l
}

func (e *env) verify(t testing.TB, keys *keyring.Keyring) *audit.Report {
	t.Helper()
	rep, err := audit.Verify(context.Background(), e.store, e.keys.PublicKey(), keys)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return rep
}

// append writes one event in its own transaction through Append.
func (e *env) append(t testing.TB, l *audit.Log, ev *warden.Event) {
	t.Helper()
	if err := e.store.Update(context.Background(), func(tx warden.Tx) error { return l.Append(tx, ev) }); err != nil {
		t.Fatalf("Append: %v", err)
	}
}

func sampleEvent(i int) *warden.Event {
	return &warden.Event{
		RequestID: fmt.Sprintf("req-%d", i),
		Principal: []string{"alice", "bob", "carol"}[i%3],
		Kind:      warden.KindAgent,
		Action:    []string{"file.read", "file.write", "llm.request"}[i%3],
		Workspace: "ws",
		Target:    fmt.Sprintf("docs/%d.txt", i),
		Decision:  warden.Decision{Effect: warden.Allow, Rule: "rbac.editor", Reason: "editor may write"},
		Remote:    "10.0.0.1:5555",
		Details:   map[string]any{"i": float64(i)},
	}
}

// buildChain writes n events through Append with a checkpoint every
// `every` events; with signHead the head is signed too. The Log is closed
// first, so no background checkpoint can happen: Append keeps working.
func (e *env) buildChain(t testing.TB, n, every int, signHead bool) *audit.Log {
	t.Helper()
	ctx := context.Background()
	l := audit.New(e.store, e.keys, audit.Options{CheckpointEvery: every, CheckpointInterval: time.Hour, Now: e.clock.Now})
	if err := l.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= n; i++ {
		e.append(t, l, sampleEvent(i))
	}
	if signHead {
		if err := l.Checkpoint(ctx); err != nil {
			t.Fatal(err)
		}
	}
	return l
}

// chainTemplate builds the 25-event chain once and closes its store, so
// each subtest can start from a copy of the file (see clone) instead of
// writing the chain again.
func chainTemplate(t testing.TB, signHead bool) *env {
	t.Helper()
	e := newEnv(t)
	e.buildChain(t, 25, 10, signHead)
	if err := e.store.Close(); err != nil {
		t.Fatal(err)
	}
	return e
}

// clone copies a closed template's database into a new folder and opens it.
// The copy is the same install, so the template's keyring opens it.
func (e *env) clone(t testing.TB) *env {
	t.Helper()
	c := &env{path: filepath.Join(t.TempDir(), "warden.db"), master: e.master, keys: e.keys, clock: e.clock}
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(e.path + suffix)
		if errors.Is(err, fs.ErrNotExist) && suffix != "" {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(c.path+suffix, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	c.open(t)
	return c
}

// tamper closes the store, runs fn on the database file through a plain
// SQL connection, and opens the store again.
func (e *env) tamper(t testing.TB, fn func(db *sql.DB)) {
	t.Helper()
	if err := e.store.Close(); err != nil {
		t.Fatal(err)
	}
	// Subtest names can put '#' in the path: escape it for the URI.
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: e.path}).EscapedPath()+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	fn(db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	e.open(t)
}

const eventCols = `seq, time, request_id, principal, kind, action, workspace, effect, rule, error, target_hash, sealed, prev_hash, hash`

func mustExec(t testing.TB, db *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func rawEvent(t testing.TB, db *sql.DB, seq int64) *warden.EventRecord {
	t.Helper()
	var r warden.EventRecord
	var at int64
	err := db.QueryRow(`SELECT `+eventCols+` FROM audit_events WHERE seq = ?`, seq).Scan(
		&r.Seq, &at, &r.RequestID, &r.Principal, &r.Kind, &r.Action, &r.Workspace, &r.Effect, &r.Rule, &r.Error,
		&r.TargetHash, &r.Sealed, &r.PrevHash, &r.Hash)
	if err != nil {
		t.Fatalf("read event %d: %v", seq, err)
	}
	r.Time = time.Unix(0, at).UTC()
	if r.PrevHash == nil {
		r.PrevHash = []byte{} // the column is NOT NULL; the first event's is empty
	}
	return &r
}

// writeEvent replaces every column of the row with seq = r.Seq.
func writeEvent(t testing.TB, db *sql.DB, r *warden.EventRecord) {
	t.Helper()
	mustExec(t, db, `UPDATE audit_events SET time = ?, request_id = ?, principal = ?, kind = ?, action = ?, workspace = ?,
		effect = ?, rule = ?, error = ?, target_hash = ?, sealed = ?, prev_hash = ?, hash = ? WHERE seq = ?`,
		r.Time.UnixNano(), r.RequestID, r.Principal, r.Kind, r.Action, r.Workspace, r.Effect, r.Rule, r.Error,
		r.TargetHash, r.Sealed, r.PrevHash, r.Hash, r.Seq)
}

func insertEvent(t testing.TB, db *sql.DB, r *warden.EventRecord) {
	t.Helper()
	mustExec(t, db, `INSERT INTO audit_events (`+eventCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.Seq, r.Time.UnixNano(), r.RequestID, r.Principal, r.Kind, r.Action, r.Workspace, r.Effect, r.Rule, r.Error,
		r.TargetHash, r.Sealed, r.PrevHash, r.Hash)
}

func maxSeq(t testing.TB, db *sql.DB) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(`SELECT COALESCE(MAX(seq), 0) FROM audit_events`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// rehashFrom recomputes prev_hash and hash of every event from seq on, as
// an attacker who can write the database (but cannot sign) would.
func rehashFrom(t testing.TB, db *sql.DB, from int64) {
	t.Helper()
	prev := []byte{}
	if from > 1 {
		prev = rawEvent(t, db, from-1).Hash
	}
	for s := from; s <= maxSeq(t, db); s++ {
		r := rawEvent(t, db, s)
		r.PrevHash = prev
		r.Hash = audit.RecordHash(r)
		writeEvent(t, db, r)
		prev = r.Hash
	}
}

func checkpointSeqs(t testing.TB, store warden.Store) []int64 {
	t.Helper()
	var out []int64
	err := store.View(context.Background(), func(tx warden.Tx) error {
		return tx.ScanCheckpoints(func(c *warden.Checkpoint) error { out = append(out, c.Seq); return nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func allRecords(t testing.TB, store warden.Store) []*warden.EventRecord {
	t.Helper()
	var out []*warden.EventRecord
	err := store.View(context.Background(), func(tx warden.Tx) error {
		return tx.ScanEvents(0, func(r *warden.EventRecord) error { out = append(out, r); return nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func assertIntact(t testing.TB, rep *audit.Report, events int64) {
	t.Helper()
	if !rep.OK() || rep.FirstBad != 0 || rep.Problem != "" {
		t.Fatalf("Verify of an untampered log: FirstBad %d, problem %q", rep.FirstBad, rep.Problem)
	}
	if rep.Events != events || rep.Head != events {
		t.Fatalf("Verify read %d events up to %d, want %d", rep.Events, rep.Head, events)
	}
}

func TestAppendChainsEventsInsideTheCallersTransaction(t *testing.T) {
	e := newEnv(t)
	l := e.newLog(t, 100)
	ctx := context.Background()
	var prev []byte = []byte{}
	for i := 1; i <= 5; i++ {
		ev := sampleEvent(i)
		e.append(t, l, ev)
		if ev.Seq != int64(i) {
			t.Fatalf("event %d got Seq %d", i, ev.Seq)
		}
		if !bytes.Equal(ev.PrevHash, prev) || len(ev.Hash) != 32 {
			t.Fatalf("event %d: PrevHash %x (want %x), Hash %x", i, ev.PrevHash, prev, ev.Hash)
		}
		prev = ev.Hash
	}
	// An Append whose transaction does not commit leaves no event.
	abort := errors.New("abort")
	err := e.store.Update(ctx, func(tx warden.Tx) error {
		if err := l.Append(tx, sampleEvent(6)); err != nil {
			return err
		}
		return abort
	})
	if !errors.Is(err, abort) {
		t.Fatalf("Update = %v", err)
	}
	ev := sampleEvent(7)
	e.append(t, l, ev)
	if ev.Seq != 6 || !bytes.Equal(ev.PrevHash, prev) {
		t.Fatalf("after a rolled-back Append the next event got Seq %d", ev.Seq)
	}
	// Several Appends in one transaction chain too.
	err = e.store.Update(ctx, func(tx warden.Tx) error {
		for i := range 3 {
			if err := l.Append(tx, sampleEvent(10+i)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	recs := allRecords(t, e.store)
	if len(recs) != 9 {
		t.Fatalf("%d records stored, want 9", len(recs))
	}
	for i, r := range recs {
		if r.Seq != int64(i+1) || !bytes.Equal(r.Hash, audit.RecordHash(r)) {
			t.Fatalf("record %d: seq %d, hash ok %v", i, r.Seq, bytes.Equal(r.Hash, audit.RecordHash(r)))
		}
	}
	assertIntact(t, e.verify(t, e.keys), 9)
}

func TestAppendFillsDefaultsAndRejectsBadEvents(t *testing.T) {
	e := newEnv(t)
	l := e.newLog(t, 100)
	ctx := context.Background()
	ev := &warden.Event{Action: "agent.lock", Time: t0.In(time.FixedZone("X", 3600))}
	e.append(t, l, ev)
	bare := &warden.Event{Action: "system.start"}
	e.append(t, l, bare)
	got, err := l.Query(ctx, warden.EventFilter{})
	if err != nil || len(got) != 2 {
		t.Fatalf("Query = %d events, %v", len(got), err)
	}
	if got[0].Kind != warden.KindNone || got[0].Decision.Effect != warden.Allow {
		t.Errorf("defaults: kind %q effect %q, want %q and %q", got[0].Kind, got[0].Decision.Effect, warden.KindNone, warden.Allow)
	}
	if !got[0].Time.Equal(t0) || got[0].Time.Location() != time.UTC {
		t.Errorf("time = %v, want %v in UTC", got[0].Time, t0)
	}
	if got[1].Time.IsZero() || got[1].Time.Before(t0) {
		t.Errorf("an event without a time got %v, want the Log's clock", got[1].Time)
	}
	bad := []*warden.Event{
		{Action: ""},
		{Action: "x.y", Details: map[string]any{"ch": make(chan int)}},
		{Action: "x.y", Details: map[string]any{"f": func() {}}},
	}
	for _, b := range bad {
		if err := e.store.Update(ctx, func(tx warden.Tx) error { return l.Append(tx, b) }); err == nil {
			t.Errorf("Append(%+v) succeeded", b)
		}
		if err := l.Record(ctx, b); err == nil {
			t.Errorf("Record(%+v) succeeded", b)
		}
	}
	if n := len(allRecords(t, e.store)); n != 2 {
		t.Fatalf("%d events stored after rejected ones, want 2", n)
	}
}

func TestRecordFromManyGoroutinesGivesGaplessSequence(t *testing.T) {
	e := newEnv(t)
	const every = 16
	l := e.newLog(t, every)
	ctx := context.Background()
	const workers, perWorker = 50, 10
	const appenders = 2 // also write through Append concurrently
	var mu sync.Mutex
	var seqs []int64
	var wg sync.WaitGroup
	errs := make(chan error, workers*perWorker+appenders*perWorker)
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				ev := sampleEvent(w*perWorker + i)
				if err := l.Record(ctx, ev); err != nil {
					errs <- err
					return
				}
				if ev.Seq == 0 || len(ev.Hash) != 32 {
					errs <- fmt.Errorf("Record returned without setting Seq/Hash: %d %x", ev.Seq, ev.Hash)
				}
				mu.Lock()
				seqs = append(seqs, ev.Seq)
				mu.Unlock()
			}
		})
	}
	for a := range appenders {
		wg.Go(func() {
			for i := range perWorker {
				ev := sampleEvent(10000 + a*perWorker + i)
				if err := e.store.Update(ctx, func(tx warden.Tx) error { return l.Append(tx, ev) }); err != nil {
					errs <- err
					return
				}
				mu.Lock()
				seqs = append(seqs, ev.Seq)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	const n = (workers + appenders) * perWorker
	slices.Sort(seqs)
	for i, s := range seqs {
		if s != int64(i+1) {
			t.Fatalf("sequence numbers handed out: %v...; want 1..%d without gaps or repeats", seqs[max(0, i-2):i+1], n)
		}
	}
	recs := allRecords(t, e.store)
	if len(recs) != n || recs[n-1].Seq != n {
		t.Fatalf("%d records stored (last %d), want %d", len(recs), recs[len(recs)-1].Seq, n)
	}
	// Checkpoints fall exactly every `every` events, however commits were batched.
	var want []int64
	for s := int64(1); s <= n; s += every {
		want = append(want, s)
	}
	if got := checkpointSeqs(t, e.store); !slices.Equal(got, want) {
		t.Fatalf("checkpoints at %v, want %v", got, want)
	}
	rep := e.verify(t, e.keys)
	assertIntact(t, rep, n)
	if rep.SignedThrough != want[len(want)-1] || rep.UnsignedTailLen != n-want[len(want)-1] {
		t.Fatalf("SignedThrough %d, UnsignedTailLen %d", rep.SignedThrough, rep.UnsignedTailLen)
	}
	if err := l.Close(ctx); err != nil {
		t.Fatal(err)
	}
	rep = e.verify(t, nil)
	assertIntact(t, rep, n)
	if rep.SignedThrough != n || rep.UnsignedTailLen != 0 {
		t.Fatalf("after Close: SignedThrough %d, UnsignedTailLen %d; want the head signed", rep.SignedThrough, rep.UnsignedTailLen)
	}
}

// poisonStore fails InsertEvent for events whose action is "poison".
type poisonStore struct{ warden.Store }

type poisonTx struct{ warden.Tx }

func (s poisonStore) Update(ctx context.Context, fn func(warden.Tx) error) error {
	return s.Store.Update(ctx, func(tx warden.Tx) error { return fn(poisonTx{tx}) })
}

func (tx poisonTx) InsertEvent(r *warden.EventRecord) error {
	if r.Action == "poison" {
		return errors.New("poisoned insert")
	}
	return tx.Tx.InsertEvent(r)
}

// TestRecordOneFailingEventDoesNotFailItsBatch: a group commit that fails
// is retried event by event, so only the bad event reports an error and
// the chain stays gapless.
func TestRecordOneFailingEventDoesNotFailItsBatch(t *testing.T) {
	e := newEnv(t)
	l := audit.New(poisonStore{e.store}, e.keys, audit.Options{CheckpointEvery: 7, CheckpointInterval: time.Hour, Now: e.clock.Now})
	t.Cleanup(func() { l.Close(context.Background()) })
	ctx := context.Background()
	const n = 60
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			ev := sampleEvent(i)
			if i%10 == 3 {
				ev.Action = "poison"
			}
			errs[i] = l.Record(ctx, ev)
		})
	}
	wg.Wait()
	good := 0
	for i, err := range errs {
		if i%10 == 3 {
			if err == nil {
				t.Errorf("the poisoned event %d was recorded", i)
			}
			continue
		}
		if err != nil {
			t.Errorf("event %d failed with its batch: %v", i, err)
		}
		good++
	}
	rep := e.verify(t, e.keys)
	assertIntact(t, rep, int64(good))
}

func TestCheckpointsAreWrittenEveryCheckpointEvery(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		every, events int
		want          []int64
	}{
		{1, 4, []int64{1, 2, 3, 4}},
		{5, 23, []int64{1, 6, 11, 16, 21}},
		{5, 21, []int64{1, 6, 11, 16, 21}},
		{10, 9, []int64{1}},
		{256, 3, []int64{1}},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("every %d, %d events", c.every, c.events), func(t *testing.T) {
			e := newEnv(t)
			l := e.newLog(t, c.every)
			for i := range c.events {
				if err := l.Record(ctx, sampleEvent(i)); err != nil {
					t.Fatal(err)
				}
			}
			if got := checkpointSeqs(t, e.store); !slices.Equal(got, c.want) {
				t.Fatalf("checkpoints at %v, want %v", got, c.want)
			}
			rep := e.verify(t, nil)
			assertIntact(t, rep, int64(c.events))
			last := c.want[len(c.want)-1]
			if rep.Checkpoints != len(c.want) || rep.SignedThrough != last || rep.UnsignedTailLen != int64(c.events)-last {
				t.Fatalf("report: %d checkpoints, signed through %d, tail %d", rep.Checkpoints, rep.SignedThrough, rep.UnsignedTailLen)
			}
			if rep.KeyID != keyring.KeyID(e.keys.PublicKey()) {
				t.Fatalf("report KeyID %q", rep.KeyID)
			}
			// Checkpoint signs the head once; a second call adds nothing.
			for range 2 {
				if err := l.Checkpoint(ctx); err != nil {
					t.Fatal(err)
				}
			}
			want := c.want
			if last != int64(c.events) {
				want = append(slices.Clone(want), int64(c.events))
			}
			if got := checkpointSeqs(t, e.store); !slices.Equal(got, want) {
				t.Fatalf("after Checkpoint: checkpoints at %v, want %v", got, want)
			}
		})
	}
	t.Run("empty log", func(t *testing.T) {
		e := newEnv(t)
		l := e.newLog(t, 5)
		if err := l.Checkpoint(ctx); err != nil {
			t.Fatal(err)
		}
		if got := checkpointSeqs(t, e.store); len(got) != 0 {
			t.Fatalf("Checkpoint of an empty log wrote %v", got)
		}
		if err := l.Close(ctx); err != nil {
			t.Fatal(err)
		}
		rep := e.verify(t, e.keys)
		assertIntact(t, rep, 0)
	})
}

func TestRecordAfterCloseFailsUnavailable(t *testing.T) {
	e := newEnv(t)
	l := e.newLog(t, 100)
	ctx := context.Background()
	for i := range 3 {
		if err := l.Record(ctx, sampleEvent(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got := checkpointSeqs(t, e.store); !slices.Equal(got, []int64{1, 3}) {
		t.Fatalf("checkpoints after Close at %v, want [1 3] (Close signs the head)", got)
	}
	err := l.Record(ctx, sampleEvent(4))
	if warden.ErrorCode(err) != warden.EUNAVAILABLE {
		t.Fatalf("Record after Close = %v, want EUNAVAILABLE", err)
	}
	if err := l.Close(ctx); err != nil {
		t.Fatalf("second Close = %v, want nil", err)
	}
	// Append still works after Close: it runs in the caller's transaction.
	ev := sampleEvent(5)
	e.append(t, l, ev)
	if ev.Seq != 4 {
		t.Fatalf("Append after Close got Seq %d, want 4", ev.Seq)
	}
	assertIntact(t, e.verify(t, e.keys), 4)
}

func TestRecordIsDurableWhenItReturns(t *testing.T) {
	e := newEnv(t)
	l := e.newLog(t, 100)
	ctx := context.Background()
	ev := sampleEvent(1)
	if err := l.Record(ctx, ev); err != nil {
		t.Fatal(err)
	}
	// A second store on the same file sees the event at once.
	other, err := sqlite.Open(ctx, e.path, sqlite.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	recs := allRecords(t, other)
	if len(recs) != 1 || recs[0].Seq != ev.Seq || !bytes.Equal(recs[0].Hash, ev.Hash) {
		t.Fatalf("a fresh reader sees %d records", len(recs))
	}
}

func TestQueryFiltersAndDecodes(t *testing.T) {
	e := newEnv(t)
	l := e.newLog(t, 100)
	ctx := context.Background()
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Second) }
	events := []*warden.Event{
		{Time: at(0), Principal: "alice", Kind: warden.KindAgent, Action: "file.read", Workspace: "ws1", Decision: warden.Decision{Effect: warden.Allow}},
		{Time: at(1), Principal: "alice", Kind: warden.KindAgent, Action: "file.write", Workspace: "ws1", Decision: warden.Decision{Effect: warden.Deny, Rule: "policy.ws1.2", Reason: "protected path"}},
		{Time: at(2), Principal: "bob", Kind: warden.KindHuman, Action: "file.read", Workspace: "ws2", Decision: warden.Decision{Effect: warden.Allow}},
		{Time: at(3), Principal: "bob", Kind: warden.KindHuman, Action: "files.list", Workspace: "ws2", Decision: warden.Decision{Effect: warden.Allow}},
		{Time: at(4), Principal: "carol", Kind: warden.KindAgent, Action: "llm.request", Decision: warden.Decision{Effect: warden.Ask}},
		{Time: at(5), Principal: "alice", Kind: warden.KindAgent, Action: "file.delete", Workspace: "ws2", Decision: warden.Decision{Effect: warden.Deny}},
		{Time: at(6), Principal: "alice", Kind: warden.KindAgent, Action: "filexread", Workspace: "ws1", Decision: warden.Decision{Effect: warden.Allow}},
		{Time: at(7), Principal: "warden", Kind: warden.KindSystem, Action: "agent.lock", Decision: warden.Decision{Effect: warden.Allow}},
	}
	for i, ev := range events {
		ev.Target = fmt.Sprintf("target-%d", i+1)
		ev.RequestID = fmt.Sprintf("req-%d", i+1)
		if i%2 == 0 {
			e.append(t, l, ev)
		} else if err := l.Record(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name string
		f    warden.EventFilter
		want []int64
	}{
		{"everything", warden.EventFilter{}, []int64{1, 2, 3, 4, 5, 6, 7, 8}},
		{"principal", warden.EventFilter{Principal: "alice"}, []int64{1, 2, 6, 7}},
		{"unknown principal", warden.EventFilter{Principal: "mallory"}, nil},
		{"action exact", warden.EventFilter{Action: "file.read"}, []int64{1, 3}},
		{"action exact is not a prefix", warden.EventFilter{Action: "file"}, nil},
		{"action prefix", warden.EventFilter{Action: "file.*"}, []int64{1, 2, 3, 6}},
		{"action prefix without dot", warden.EventFilter{Action: "file*"}, []int64{1, 2, 3, 4, 6, 7}},
		{"action star alone", warden.EventFilter{Action: "*"}, []int64{1, 2, 3, 4, 5, 6, 7, 8}},
		{"action with SQL wildcards is literal", warden.EventFilter{Action: "file._ead"}, nil},
		{"action prefix with SQL wildcard is literal", warden.EventFilter{Action: "file%*"}, nil},
		{"workspace", warden.EventFilter{Workspace: "ws2"}, []int64{3, 4, 6}},
		{"effect deny", warden.EventFilter{Effect: warden.Deny}, []int64{2, 6}},
		{"effect ask", warden.EventFilter{Effect: warden.Ask}, []int64{5}},
		{"since is inclusive", warden.EventFilter{Since: at(2)}, []int64{3, 4, 5, 6, 7, 8}},
		{"until is exclusive", warden.EventFilter{Until: at(2)}, []int64{1, 2}},
		{"since and until", warden.EventFilter{Since: at(2), Until: at(5)}, []int64{3, 4, 5}},
		{"since in another zone", warden.EventFilter{Since: at(7).In(time.FixedZone("Y", -5*3600))}, []int64{8}},
		{"after and limit", warden.EventFilter{AfterSeq: 3, Limit: 2}, []int64{4, 5}},
		{"after the head", warden.EventFilter{AfterSeq: 8}, nil},
		{"limit", warden.EventFilter{Limit: 3}, []int64{1, 2, 3}},
		{"limit above the cap", warden.EventFilter{Limit: audit.MaxQueryLimit + 1}, []int64{1, 2, 3, 4, 5, 6, 7, 8}},
		{"combined", warden.EventFilter{Principal: "alice", Action: "file.*", Effect: warden.Deny}, []int64{2, 6}},
		{"combined with after", warden.EventFilter{Principal: "alice", Action: "file.*", AfterSeq: 2, Limit: 1}, []int64{6}},
	}
	for _, c := range cases {
		got, err := l.Query(ctx, c.f)
		if err != nil {
			t.Fatalf("%s: Query: %v", c.name, err)
		}
		var seqs []int64
		for _, ev := range got {
			seqs = append(seqs, ev.Seq)
		}
		if !slices.Equal(seqs, c.want) {
			t.Errorf("%s: Query = %v, want %v", c.name, seqs, c.want)
		}
	}

	// Decoding restores every field, sealed ones included.
	all, err := l.Query(ctx, warden.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	recs := allRecords(t, e.store)
	for i, ev := range all {
		in := events[i]
		want := warden.Event{
			Seq: int64(i + 1), Time: in.Time, RequestID: in.RequestID, Principal: in.Principal, Kind: in.Kind,
			Action: in.Action, Workspace: in.Workspace, Target: in.Target, Decision: in.Decision,
			PrevHash: recs[i].PrevHash, Hash: recs[i].Hash,
		}
		if !reflect.DeepEqual(*ev, want) {
			t.Errorf("event %d decoded as\n%+v\nwant\n%+v", i+1, *ev, want)
		}
	}
}

func TestQueryDecodesSealedDetails(t *testing.T) {
	e := newEnv(t)
	l := e.newLog(t, 100)
	ctx := context.Background()
	in := &warden.Event{
		Time: t0, RequestID: "r1", Principal: "alice", Kind: warden.KindAgent, Action: "tool.decide", Workspace: "ws",
		Target:   "rm -rf /tmp/x",
		Decision: warden.Decision{Effect: warden.Deny, Rule: "policy.ws.1", Reason: "destructive command"},
		Error:    warden.EFORBIDDEN,
		Remote:   "192.0.2.7:41000",
		Details:  map[string]any{"size": 3, "ok": true, "name": "x", "list": []string{"a", "b"}, "nested": map[string]int{"n": 1}},
	}
	if err := l.Record(ctx, in); err != nil {
		t.Fatal(err)
	}
	// The sensitive fields are not stored in clear.
	rec := allRecords(t, e.store)[0]
	for _, s := range []string{"rm -rf", "destructive", "192.0.2.7", "nested"} {
		if bytes.Contains(rec.Sealed, []byte(s)) {
			t.Errorf("the stored record contains %q in clear", s)
		}
	}
	if !bytes.Equal(rec.TargetHash, e.keys.Index("audit-target", []byte(in.Target))) {
		t.Error("TargetHash is not the keyed index of the target")
	}
	got, err := l.Query(ctx, warden.EventFilter{})
	if err != nil || len(got) != 1 {
		t.Fatalf("Query = %v, %v", got, err)
	}
	ev := got[0]
	if ev.Target != in.Target || ev.Decision != in.Decision || ev.Remote != in.Remote || ev.Error != in.Error {
		t.Errorf("decoded %+v", ev)
	}
	wantDetails := map[string]any{"size": float64(3), "ok": true, "name": "x", "list": []any{"a", "b"}, "nested": map[string]any{"n": float64(1)}}
	if !reflect.DeepEqual(ev.Details, wantDetails) {
		t.Errorf("Details = %#v, want %#v", ev.Details, wantDetails)
	}
	// Decode with another install's keys fails as an integrity error.
	other := newEnv(t)
	if _, err := audit.Decode(other.keys, rec); warden.ErrorCode(err) != warden.EINTEGRITY {
		t.Errorf("Decode with the wrong keys = %v, want EINTEGRITY", err)
	}
}

// TestEventAtUnixEpochVerifies: an event or a checkpoint whose time is
// exactly the Unix epoch must hash, sign and verify like any other.
func TestEventAtUnixEpochVerifies(t *testing.T) {
	epoch := time.Unix(0, 0)
	t.Run("event", func(t *testing.T) {
		e := newEnv(t)
		l := e.newLog(t, 100)
		e.append(t, l, &warden.Event{Action: "x.y", Time: epoch})
		rep := e.verify(t, e.keys)
		if !rep.OK() {
			t.Fatalf("an event at the epoch fails Verify: %s", rep.Problem)
		}
		got, err := l.Query(context.Background(), warden.EventFilter{})
		if err != nil || len(got) != 1 || !got[0].Time.Equal(epoch) {
			t.Fatalf("Query = %v, %v; want the event at the epoch", got, err)
		}
	})
	t.Run("checkpoint", func(t *testing.T) {
		e := newEnv(t)
		l := audit.New(e.store, e.keys, audit.Options{CheckpointInterval: time.Hour, Now: func() time.Time { return epoch }})
		t.Cleanup(func() { l.Close(context.Background()) })
		e.append(t, l, &warden.Event{Action: "x.y", Time: t0})
		if rep := e.verify(t, nil); !rep.OK() {
			t.Fatalf("a checkpoint signed at the epoch fails Verify: %s", rep.Problem)
		}
	})
}

func TestUntamperedLogVerifiesWithAndWithoutKeys(t *testing.T) {
	e := newEnv(t)
	e.buildChain(t, 25, 10, true)
	for _, keys := range []*keyring.Keyring{nil, e.keys} {
		rep := e.verify(t, keys)
		assertIntact(t, rep, 25)
		if rep.SealedChecked != (keys != nil) {
			t.Errorf("SealedChecked = %v with keys %v", rep.SealedChecked, keys != nil)
		}
		if rep.Checkpoints != 4 || rep.SignedThrough != 25 || rep.UnsignedTailLen != 0 {
			t.Errorf("report %+v", rep)
		}
	}
	// The offline path: a read-only store and the public key stored in it.
	ctx := context.Background()
	ro, err := sqlite.Open(ctx, e.path, sqlite.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	var pub ed25519.PublicKey
	if err := ro.View(ctx, func(tx warden.Tx) error {
		var err error
		pub, err = keyring.StoredPublicKey(tx)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	rep, err := audit.Verify(ctx, ro, pub, nil)
	if err != nil {
		t.Fatal(err)
	}
	assertIntact(t, rep, 25)
}

// Tamper tests. The chain is 25 events with checkpoints at 1, 11 and 21,
// plus 25 when the head is signed.

func TestVerifyFindsModifiedColumns(t *testing.T) {
	tmpl := map[bool]*env{true: chainTemplate(t, true), false: chainTemplate(t, false)}
	type mod struct {
		col string
		val any
	}
	mods := []mod{
		{"action", "file.delete"},
		{"principal", "mallory"},
		{"request_id", "req-x"},
		{"kind", "human"},
		{"workspace", "other"},
		{"effect", "deny"},
		{"rule", "rbac.admin"},
		{"error", "forbidden"},
		{"time", int64(0)},
		{"target_hash", []byte("forged")},
		{"target_hash", nil},
		{"sealed", []byte{1, 2, 3}},
		{"prev_hash", make([]byte, 32)},
		{"hash", make([]byte, 32)},
	}
	for _, k := range []int64{1, 7, 11, 25} {
		for _, m := range mods {
			t.Run(fmt.Sprintf("event %d %s", k, m.col), func(t *testing.T) {
				e := tmpl[true].clone(t)
				e.tamper(t, func(db *sql.DB) {
					mustExec(t, db, `UPDATE audit_events SET `+m.col+` = ? WHERE seq = ?`, m.val, k)
				})
				for _, keys := range []*keyring.Keyring{nil, e.keys} {
					rep := e.verify(t, keys)
					if rep.OK() || rep.FirstBad != k {
						t.Fatalf("keys %v: FirstBad %d (%s), want %d", keys != nil, rep.FirstBad, rep.Problem, k)
					}
				}
			})
		}
	}
	t.Run("time by one nanosecond", func(t *testing.T) {
		e := tmpl[false].clone(t)
		e.tamper(t, func(db *sql.DB) { mustExec(t, db, `UPDATE audit_events SET time = time + 1 WHERE seq = 23`) })
		if rep := e.verify(t, nil); rep.FirstBad != 23 {
			t.Fatalf("FirstBad %d (%s), want 23", rep.FirstBad, rep.Problem)
		}
	})
}

func TestVerifyFindsDeletedEvents(t *testing.T) {
	tmpl := map[bool]*env{true: chainTemplate(t, true), false: chainTemplate(t, false)}
	cases := []struct {
		name      string
		signHead  bool
		deleteSQL string
		want      int64
	}{
		{"first", false, `seq = 1`, 1},
		{"middle", false, `seq = 13`, 13},
		{"at a checkpoint", false, `seq = 11`, 11},
		{"a range", false, `seq BETWEEN 5 AND 15`, 5},
		{"last, head signed", true, `seq = 25`, 25},
		{"last three, head signed", true, `seq >= 23`, 23},
		{"everything after a checkpoint, head signed", true, `seq > 21`, 22},
		{"everything, head signed", true, `seq >= 1`, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := tmpl[c.signHead].clone(t)
			e.tamper(t, func(db *sql.DB) { mustExec(t, db, `DELETE FROM audit_events WHERE `+c.deleteSQL) })
			rep := e.verify(t, nil)
			if rep.OK() || rep.FirstBad != c.want {
				t.Fatalf("FirstBad %d (%s), want %d", rep.FirstBad, rep.Problem, c.want)
			}
		})
	}
	t.Run("deleted and renumbered", func(t *testing.T) {
		e := tmpl[false].clone(t)
		e.tamper(t, func(db *sql.DB) {
			mustExec(t, db, `DELETE FROM audit_events WHERE seq = 14`)
			for s := int64(15); s <= 25; s++ {
				mustExec(t, db, `UPDATE audit_events SET seq = seq - 1 WHERE seq = ?`, s)
			}
		})
		if rep := e.verify(t, nil); rep.FirstBad != 14 {
			t.Fatalf("FirstBad %d (%s), want 14", rep.FirstBad, rep.Problem)
		}
	})
}

// insertAt shifts events k.. up by one and inserts a well-formed event at k
// that links to event k-1.
func insertAt(t testing.TB, db *sql.DB, k int64) {
	for s := maxSeq(t, db); s >= k; s-- {
		mustExec(t, db, `UPDATE audit_events SET seq = seq + 1 WHERE seq = ?`, s)
	}
	r := rawEvent(t, db, k-1)
	r.Seq, r.Action, r.Principal, r.Time = k, "grant.set", "mallory", r.Time.Add(time.Microsecond)
	r.PrevHash = r.Hash
	r.Hash = audit.RecordHash(r)
	insertEvent(t, db, r)
}

func TestVerifyFindsInsertedEvents(t *testing.T) {
	tmpl := map[bool]*env{false: chainTemplate(t, false)}
	cases := []struct {
		name string
		k    int64
		want int64
	}{
		{"between checkpoints", 15, 15},
		{"right after a checkpoint", 12, 12},
		{"in the unsigned tail", 23, 23},
		// Event 11 is signed: the inserted event no longer matches its
		// checkpoint, so everything after the previous good checkpoint is
		// suspect.
		{"at a checkpointed position", 11, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := tmpl[false].clone(t)
			e.tamper(t, func(db *sql.DB) { insertAt(t, db, c.k) })
			rep := e.verify(t, nil)
			if rep.OK() || rep.FirstBad != c.want {
				t.Fatalf("FirstBad %d (%s), want %d", rep.FirstBad, rep.Problem, c.want)
			}
			if rep.Events != c.k+1 && c.want == c.k {
				t.Fatalf("Verify stopped after %d events, want %d", rep.Events, c.k+1)
			}
		})
	}
	t.Run("three inserted events", func(t *testing.T) {
		e := tmpl[false].clone(t)
		e.tamper(t, func(db *sql.DB) {
			insertAt(t, db, 15)
			insertAt(t, db, 16)
			insertAt(t, db, 17)
		})
		rep := e.verify(t, nil)
		if rep.FirstBad != 15 || !strings.Contains(rep.Problem, "15 to 17") {
			t.Fatalf("FirstBad %d (%s), want 15 and the range 15 to 17", rep.FirstBad, rep.Problem)
		}
	})
}

func TestVerifyFindsReorderedEvents(t *testing.T) {
	tmpl := map[bool]*env{true: chainTemplate(t, true)}
	for _, k := range []int64{1, 10, 15, 24} {
		t.Run(fmt.Sprint(k), func(t *testing.T) {
			e := tmpl[true].clone(t)
			e.tamper(t, func(db *sql.DB) {
				a, b := rawEvent(t, db, k), rawEvent(t, db, k+1)
				a.Seq, b.Seq = b.Seq, a.Seq
				writeEvent(t, db, a)
				writeEvent(t, db, b)
			})
			rep := e.verify(t, nil)
			if rep.OK() || rep.FirstBad != k {
				t.Fatalf("FirstBad %d (%s), want %d", rep.FirstBad, rep.Problem, k)
			}
		})
	}
}

// TestVerifyFindsRewrittenChainBeforeACheckpoint: an attacker without the
// signing key rewrites events from k on and recomputes every hash. The next
// signed checkpoint no longer matches, and everything after the last good
// checkpoint is reported.
func TestVerifyFindsRewrittenChainBeforeACheckpoint(t *testing.T) {
	tmpl := map[bool]*env{true: chainTemplate(t, true), false: chainTemplate(t, false)}
	cases := []struct {
		name     string
		k        int64
		signHead bool
		want     int64
		signed   int64 // SignedThrough
	}{
		{"from 15, checkpoint at 21", 15, false, 12, 11},
		{"from 12, checkpoint at 21", 12, false, 12, 11},
		{"from 11, the checkpointed event itself", 11, false, 2, 1},
		{"from 2", 2, false, 2, 1},
		{"from 22, head signed at 25", 22, true, 22, 21},
		{"from 25, head signed at 25", 25, true, 22, 21},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := tmpl[c.signHead].clone(t)
			e.tamper(t, func(db *sql.DB) {
				mustExec(t, db, `UPDATE audit_events SET action = action || '!', effect = 'allow' WHERE seq >= ?`, c.k)
				rehashFrom(t, db, c.k)
			})
			for _, keys := range []*keyring.Keyring{nil, e.keys} {
				rep := e.verify(t, keys)
				if rep.OK() || rep.FirstBad != c.want || rep.SignedThrough != c.signed {
					t.Fatalf("FirstBad %d (%s), SignedThrough %d; want %d and %d", rep.FirstBad, rep.Problem, rep.SignedThrough, c.want, c.signed)
				}
				if !strings.Contains(rep.Problem, "rewritten") {
					t.Fatalf("problem %q does not say the chain was rewritten", rep.Problem)
				}
			}
		})
	}
}

// TestVerifyCannotSeeARewriteOfTheUnsignedTail documents the limit stated
// on Verify: events after the newest checkpoint can be rewritten with
// recomputed hashes unnoticed, and UnsignedTailLen says how many there are.
func TestVerifyCannotSeeARewriteOfTheUnsignedTail(t *testing.T) {
	tmpl := map[bool]*env{false: chainTemplate(t, false)}
	e := tmpl[false].clone(t)
	e.tamper(t, func(db *sql.DB) {
		mustExec(t, db, `UPDATE audit_events SET principal = 'someone-else' WHERE seq >= 22`)
		rehashFrom(t, db, 22)
	})
	rep := e.verify(t, nil)
	if !rep.OK() || rep.SignedThrough != 21 || rep.UnsignedTailLen != 4 {
		t.Fatalf("report %+v; want OK with an unsigned tail of 4 after 21", rep)
	}
}

func TestVerifyFindsForgedCheckpoints(t *testing.T) {
	tmpl := map[bool]*env{true: chainTemplate(t, true), false: chainTemplate(t, false)}
	cases := []struct {
		name string
		sql  string
		args []any
		want int64
	}{
		{"signature bit flipped", `UPDATE audit_checkpoints SET signature = ? WHERE seq = 11`, nil, 11},
		{"hash changed", `UPDATE audit_checkpoints SET hash = zeroblob(32) WHERE seq = 11`, nil, 11},
		{"time changed", `UPDATE audit_checkpoints SET time = time + 1 WHERE seq = 21`, nil, 21},
		{"key id changed", `UPDATE audit_checkpoints SET key_id = '0000000000000000' WHERE seq = 21`, nil, 21},
		{"seq moved", `UPDATE audit_checkpoints SET seq = 12 WHERE seq = 11`, nil, 12},
		{"fabricated checkpoint", `INSERT INTO audit_checkpoints (seq, hash, time, key_id, signature) SELECT 5, e.hash, c.time, c.key_id, zeroblob(64) FROM audit_events e, audit_checkpoints c WHERE e.seq = 5 AND c.seq = 1`, nil, 5},
		{"copied signature", `INSERT INTO audit_checkpoints (seq, hash, time, key_id, signature) SELECT 5, e.hash, c.time, c.key_id, c.signature FROM audit_events e, audit_checkpoints c WHERE e.seq = 5 AND c.seq = 1`, nil, 5},
		{"the head checkpoint", `UPDATE audit_checkpoints SET signature = zeroblob(64) WHERE seq = 25`, nil, 25},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := tmpl[true].clone(t)
			e.tamper(t, func(db *sql.DB) {
				args := c.args
				if c.name == "signature bit flipped" {
					var sig []byte
					if err := db.QueryRow(`SELECT signature FROM audit_checkpoints WHERE seq = 11`).Scan(&sig); err != nil {
						t.Fatal(err)
					}
					sig[7] ^= 0x20
					args = []any{sig}
				}
				mustExec(t, db, c.sql, args...)
			})
			rep := e.verify(t, nil)
			if rep.OK() || rep.FirstBad != c.want || !strings.Contains(rep.Problem, "signature") {
				t.Fatalf("FirstBad %d (%s), want %d with an invalid signature", rep.FirstBad, rep.Problem, c.want)
			}
		})
	}
	t.Run("checkpoint of another install", func(t *testing.T) {
		other := newEnv(t)
		other.buildChain(t, 25, 10, true)
		var cp warden.Checkpoint
		if err := other.store.View(context.Background(), func(tx warden.Tx) error {
			return tx.ScanCheckpoints(func(c *warden.Checkpoint) error {
				if c.Seq == 11 {
					cp = *c
				}
				return nil
			})
		}); err != nil {
			t.Fatal(err)
		}
		e := tmpl[false].clone(t)
		e.tamper(t, func(db *sql.DB) {
			mustExec(t, db, `DELETE FROM audit_checkpoints WHERE seq = 11`)
			mustExec(t, db, `INSERT INTO audit_checkpoints (seq, hash, time, key_id, signature) VALUES (?, ?, ?, ?, ?)`,
				cp.Seq, cp.Hash, cp.Time.UnixNano(), cp.KeyID, cp.Signature)
		})
		if rep := e.verify(t, nil); rep.FirstBad != 11 {
			t.Fatalf("FirstBad %d (%s), want 11", rep.FirstBad, rep.Problem)
		}
	})
	t.Run("verified with the wrong public key", func(t *testing.T) {
		e := tmpl[true].clone(t)
		other := newEnv(t)
		rep, err := audit.Verify(context.Background(), e.store, other.keys.PublicKey(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if rep.FirstBad != 1 || rep.SignedThrough != 0 {
			t.Fatalf("FirstBad %d, SignedThrough %d; want every checkpoint rejected", rep.FirstBad, rep.SignedThrough)
		}
	})
}

// TestVerifyFindsCorruptSealedDetailsOnlyWithKeys: sealed parts are hashed
// as ciphertext, so an attacker who corrupts one in the unsigned tail and
// recomputes the hashes is caught only by opening it.
func TestVerifyFindsCorruptSealedDetailsOnlyWithKeys(t *testing.T) {
	tmpl := map[bool]*env{false: chainTemplate(t, false)}
	cases := []struct {
		name   string
		damage func(t testing.TB, db *sql.DB)
		want   int64
	}{
		{"bit flipped in event 23", func(t testing.TB, db *sql.DB) {
			r := rawEvent(t, db, 23)
			r.Sealed[len(r.Sealed)-3] ^= 4
			writeEvent(t, db, r)
		}, 23},
		{"sealed parts of 22 and 23 swapped", func(t testing.TB, db *sql.DB) {
			a, b := rawEvent(t, db, 22), rawEvent(t, db, 23)
			a.Sealed, b.Sealed = b.Sealed, a.Sealed
			writeEvent(t, db, a)
			writeEvent(t, db, b)
		}, 22},
		{"sealed part truncated in event 25", func(t testing.TB, db *sql.DB) {
			r := rawEvent(t, db, 25)
			r.Sealed = r.Sealed[:10]
			writeEvent(t, db, r)
		}, 25},
		{"sealed part of another install", func(t testing.TB, db *sql.DB) {
			r := rawEvent(t, db, 24)
			other := newEnv(t)
			r.Sealed = other.keys.SealAudit([]byte(`{"target":"forged"}`), "event:24")
			writeEvent(t, db, r)
		}, 24},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := tmpl[false].clone(t)
			e.tamper(t, func(db *sql.DB) {
				c.damage(t, db)
				rehashFrom(t, db, 22)
			})
			if rep := e.verify(t, nil); !rep.OK() {
				t.Fatalf("without keys: FirstBad %d (%s); the hashes were recomputed, so only keys can tell", rep.FirstBad, rep.Problem)
			}
			rep := e.verify(t, e.keys)
			if rep.OK() || rep.FirstBad != c.want || !strings.Contains(rep.Problem, "sealed") {
				t.Fatalf("with keys: FirstBad %d (%s), want %d with sealed details failing", rep.FirstBad, rep.Problem, c.want)
			}
			// Decoding the damaged event is an integrity error too.
			for _, r := range allRecords(t, e.store) {
				_, err := audit.Decode(e.keys, r)
				if r.Seq == c.want && warden.ErrorCode(err) != warden.EINTEGRITY {
					t.Fatalf("Decode of damaged event %d = %v, want EINTEGRITY", r.Seq, err)
				}
				if r.Seq < c.want && err != nil {
					t.Fatalf("Decode of intact event %d = %v", r.Seq, err)
				}
			}
		})
	}
}

func TestQueryReportsIntegrityErrorForCorruptSealedPart(t *testing.T) {
	e := newEnv(t)
	e.buildChain(t, 5, 10, false)
	e.tamper(t, func(db *sql.DB) {
		mustExec(t, db, `UPDATE audit_events SET sealed = zeroblob(40) WHERE seq = 3`)
	})
	l := e.newLog(t, 10) // a Log on the reopened store
	if _, err := l.Query(context.Background(), warden.EventFilter{}); warden.ErrorCode(err) != warden.EINTEGRITY {
		t.Fatalf("Query over a corrupt event = %v, want EINTEGRITY", err)
	}
	got, err := l.Query(context.Background(), warden.EventFilter{AfterSeq: 3})
	if err != nil || len(got) != 2 {
		t.Fatalf("Query of the intact events = %d, %v", len(got), err)
	}
}
