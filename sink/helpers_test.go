package sink_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/apiv1"
	"github.com/wardenhq/warden/audit"
	"github.com/wardenhq/warden/keyring"
	"github.com/wardenhq/warden/sink"
	"github.com/wardenhq/warden/sqlite"
)

var bg = context.Background()

// waitLimit only turns a hang into a failure; nothing is timed against it.
const waitLimit = 30 * time.Second

// env is a real store, keyring and audit log in a temporary folder. reopen
// closes and opens all three again on the same files, as a restart does.
type env struct {
	path   string
	master []byte
	db     *sqlite.DB
	keys   *keyring.Keyring
	log    *audit.Log
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{path: filepath.Join(t.TempDir(), "warden.db"), master: keyring.GenerateMasterKey()}
	e.open(t)
	t.Cleanup(func() { e.close(t) })
	return e
}

func (e *env) open(t *testing.T) {
	t.Helper()
	db, err := sqlite.Open(bg, e.path, sqlite.Options{})
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	keys, err := keyring.Open(bg, db, e.master)
	if err != nil {
		db.Close()
		t.Fatalf("keyring.Open: %v", err)
	}
	e.db, e.keys = db, keys
	e.log = audit.New(db, keys, audit.Options{CheckpointInterval: time.Hour})
}

func (e *env) close(t *testing.T) {
	t.Helper()
	if e.log != nil {
		if err := e.log.Close(bg); err != nil {
			t.Errorf("audit close: %v", err)
		}
		e.log = nil
	}
	if e.db != nil {
		if err := e.db.Close(); err != nil {
			t.Errorf("store close: %v", err)
		}
		e.db = nil
	}
}

func (e *env) reopen(t *testing.T) {
	t.Helper()
	e.close(t)
	e.open(t)
}

// runner wires a runner as the app does (subscribed, then started) and
// closes it when the test ends unless the test closes it first. Runners
// must be made before events are recorded on the current log.
func (e *env) runner(t *testing.T, name string, d sink.Destination, f sink.Filter, o sink.Options) *sink.Runner {
	t.Helper()
	r := sink.NewRunner(name, d, f, e.db, e.log, o)
	e.log.Subscribe(r.Observe)
	r.Start()
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { r.Close() }) })
	return r
}

// record appends one event per action and returns their sequence numbers.
func (e *env) record(t *testing.T, effect warden.Effect, actions ...string) []int64 {
	t.Helper()
	var seqs []int64
	for i, a := range actions {
		ev := &warden.Event{Principal: "bot", Kind: warden.KindAgent, Action: a, Workspace: "ws",
			Target: "t/" + a, RequestID: "req-" + a, Decision: warden.Decision{Effect: effect, Rule: "test"},
			Details: map[string]any{"i": i, "note": "ünïcode \"quoted\"\n"}}
		if err := e.log.Record(bg, ev); err != nil {
			t.Fatalf("record %s: %v", a, err)
		}
		seqs = append(seqs, ev.Seq)
	}
	return seqs
}

// recordN records n events with action "file.read".
func (e *env) recordN(t *testing.T, n int) []int64 {
	t.Helper()
	actions := make([]string, n)
	for i := range actions {
		actions[i] = "file.read"
	}
	return e.record(t, warden.Allow, actions...)
}

// waitCursor polls until r's cursor reaches at least want.
func waitCursor(t *testing.T, r *sink.Runner, want int64) {
	t.Helper()
	waitFor(t, "the sink cursor to reach "+itoa(want), func() bool {
		c, err := r.Cursor(bg)
		if err != nil {
			t.Fatalf("cursor: %v", err)
		}
		return c >= want
	})
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", waitLimit, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// newSecret returns a fresh Standard Webhooks secret and its key.
func newSecret(t *testing.T, n int) (string, []byte) {
	t.Helper()
	key := make([]byte, n)
	rand.Read(key)
	return "whsec_" + base64.StdEncoding.EncodeToString(key), key
}

// loopback starts an HTTP server on 127.0.0.1 only.
func loopback(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// memDest is an in-memory destination.
type memDest struct {
	mu  sync.Mutex
	evs []apiv1.Event
}

func (m *memDest) Deliver(_ context.Context, evs []apiv1.Event) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.evs = append(m.evs, evs...)
	return len(evs), nil
}

func (m *memDest) Close() error { return nil }

func (m *memDest) seqs() []int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]int64, len(m.evs))
	for i, ev := range m.evs {
		out[i] = ev.Seq
	}
	return out
}
