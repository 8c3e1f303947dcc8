//go:build linux

package crashtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/wardenhq/warden/apiv1"
	"github.com/wardenhq/warden/client"
	"github.com/wardenhq/warden/wardentest"
)

// ---------------------------------------------------------------------------
// The warden binary, built once per test run.

var (
	binDir  string // removed by TestMain
	binOnce sync.Once
	binPath string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "warden-crashtest-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "crashtest:", err)
		os.Exit(2)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// wardenBinary builds cmd/warden on first use and returns its path.
func wardenBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() { binPath = wardentest.BuildBinary(t, binDir) })
	if binPath == "" {
		t.Fatal("the warden binary could not be built (see the first failing test)")
	}
	return binPath
}

// ---------------------------------------------------------------------------
// A warden server running as a separate process.

// safety is the generous bound on anything that waits; it only turns a hang
// into a failure, it measures nothing.
const safety = 2 * time.Minute

const wsName = "crash"

type server struct {
	t         *testing.T
	bin       string
	root      string // working folder of every subprocess (holds no warden.yaml)
	dir       string // the data folder
	addr      string // 127.0.0.1:port, kept across restarts
	masterKey string
	logPath   string

	adminToken string
	agentToken string

	cmd    *exec.Cmd
	exited chan struct{}
	starts int
}

// newServer generates a master key with `warden keys generate`, initialises
// a data folder with `warden init`, and arranges for any running server to be
// killed when the test ends. It does not start the server.
func newServer(t *testing.T) *server {
	t.Helper()
	root := t.TempDir()
	s := &server{
		t:       t,
		bin:     wardenBinary(t),
		root:    root,
		dir:     filepath.Join(root, "data"),
		addr:    wardentest.FreePort(t),
		logPath: filepath.Join(root, "server.log"),
	}
	t.Cleanup(func() {
		s.kill()
		if t.Failed() {
			if b, err := os.ReadFile(s.logPath); err == nil {
				t.Logf("server log (last 4 KiB):\n%s", tail(b, 4<<10))
			}
		}
	})

	out, errOut, code := s.cli("keys", "generate")
	if code != 0 {
		t.Fatalf("warden keys generate: exit %d: %s", code, errOut)
	}
	s.masterKey = strings.TrimSpace(out)
	tokFile := filepath.Join(root, "admin.token")
	if _, errOut, code := s.cli("init", "--data", s.dir, "--token-file", tokFile); code != 0 {
		t.Fatalf("warden init: exit %d: %s", code, errOut)
	}
	tok, err := os.ReadFile(tokFile)
	if err != nil {
		t.Fatal(err)
	}
	s.adminToken = strings.TrimSpace(string(tok))
	return s
}

// env is the subprocess environment: the test's own minus any WARDEN_*
// setting that could change what is tested, plus the master key.
func (s *server) env() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "WARDEN_") {
			env = append(env, kv)
		}
	}
	return append(env, "WARDEN_MASTER_KEY="+s.masterKey, "WARDEN_LOG_LEVEL=info")
}

// cli runs a short warden command and returns its output and exit code.
func (s *server) cli(args ...string) (stdout, stderr string, code int) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), safety)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.bin, args...)
	cmd.Dir, cmd.Env = s.root, s.env()
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		s.t.Fatalf("run warden %s: %v", strings.Join(args, " "), err)
	}
	return o.String(), e.String(), code
}

func (s *server) url() string { return "http://" + s.addr }

func (s *server) running() bool {
	if s.cmd == nil {
		return false
	}
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

// start runs `warden serve` and waits until /healthz answers 200. If the
// port was taken by someone else while the server was down, it moves to
// another one: clients are made per server start.
func (s *server) start() {
	s.t.Helper()
	for try := 1; ; try++ {
		err := s.tryStart()
		if err == nil {
			return
		}
		if b, _ := os.ReadFile(s.logPath); try < 3 && bytes.Contains(tail(b, 1<<10), []byte("address already in use")) {
			s.t.Logf("port %s was taken while the server was down; moving", s.addr)
			s.addr = wardentest.FreePort(s.t)
			continue
		}
		s.t.Fatal(err)
	}
}

func (s *server) tryStart() error {
	s.t.Helper()
	if s.running() {
		s.t.Fatal("start: the server is already running")
	}
	s.starts++
	logf, err := os.OpenFile(s.logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		s.t.Fatal(err)
	}
	fmt.Fprintf(logf, "=== start %d\n", s.starts)
	cmd := exec.Command(s.bin, "serve", "--data", s.dir, "--listen", s.addr, "--egress-listen", "off", "--allow-root")
	cmd.Dir, cmd.Env = s.root, s.env()
	cmd.Stdout, cmd.Stderr = logf, logf
	// If the test binary itself dies, take the server with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	err = cmd.Start()
	logf.Close()
	if err != nil {
		return fmt.Errorf("start warden serve: %w", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	s.cmd, s.exited = cmd, exited

	hc := &http.Client{Timeout: 5 * time.Second}
	defer hc.CloseIdleConnections()
	deadline := time.Now().Add(safety)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("warden serve (start %d) exited before it was healthy: %v", s.starts, cmd.ProcessState)
		default:
		}
		resp, err := hc.Get(s.url() + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("warden serve (start %d) not healthy within %v", s.starts, safety)
}

// kill sends SIGKILL and waits until the process is gone (and with it the
// data folder lock). It does nothing if the server is not running.
func (s *server) kill() {
	if !s.running() {
		return
	}
	s.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-s.exited:
	case <-time.After(safety):
		s.t.Errorf("warden serve (pid %d) did not die within %v of SIGKILL", s.cmd.Process.Pid, safety)
	}
}

func (s *server) pid() int { return s.cmd.Process.Pid }

// client returns an API client with a transport of its own, so that no
// connection to an earlier, killed process is reused.
func (s *server) client(token string) *client.Client {
	s.t.Helper()
	c, err := client.New(s.url(), token, &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}})
	if err != nil {
		s.t.Fatal(err)
	}
	return c
}

// setup creates the workspace and an editor agent, and returns the agent's client.
func (s *server) setup() {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), safety)
	defer cancel()
	admin := s.client(s.adminToken)
	if _, err := admin.CreateWorkspace(ctx, wsName, "internal"); err != nil {
		s.t.Fatalf("create workspace: %v", err)
	}
	p, err := admin.CreatePrincipal(ctx, "agent", apiv1.CreatePrincipal{Name: "uploader", Grants: []string{wsName + ":editor"}})
	if err != nil {
		s.t.Fatalf("create agent: %v", err)
	}
	s.agentToken = p.Token
}

// tmpFiles lists what is in blobs/tmp, with sizes.
func (s *server) tmpFiles() map[string]int64 {
	s.t.Helper()
	ents, err := os.ReadDir(filepath.Join(s.dir, "blobs", "tmp"))
	if err != nil {
		s.t.Fatalf("read blobs/tmp: %v", err)
	}
	out := map[string]int64{}
	for _, e := range ents {
		if fi, err := e.Info(); err == nil {
			out[e.Name()] = fi.Size()
		}
	}
	return out
}

// auditVerify runs `warden audit verify` with the master key and fails the
// test unless it exits 0.
func (s *server) auditVerify(when string) {
	s.t.Helper()
	out, errOut, code := s.cli("audit", "verify", "--data", s.dir, "--require-master-key")
	if code != 0 {
		s.t.Errorf("warden audit verify (%s): exit %d\n%s%s", when, code, out, errOut)
		return
	}
	s.t.Logf("audit verify (%s): %s", when, strings.ReplaceAll(strings.TrimSpace(out), "\n", "; "))
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// ---------------------------------------------------------------------------
// Deterministic content: each upload is a header naming its path, attempt and
// nonce, then pseudo-random bulk derived from them, generated on the fly.

type content struct {
	path    string
	attempt int
	nonce   uint64
	size    int64 // total bytes
}

// sizes are the upload sizes: a few bytes (0 stands for a compact
// "attempt.nonce" tag instead of the header; attempts are numbered across
// paths) up to a few MiB, around and above the 64 KiB chunk size.
var sizes = []int64{0, 1 << 10, 64<<10 - 1, 64 << 10, 64<<10 + 1, 300 << 10, 1 << 20, 3<<20 + 12345}

func newContent(path string, attempt int, nonce uint64, size int64) content {
	c := content{path: path, attempt: attempt, nonce: nonce, size: size}
	if size == 0 {
		c.size = int64(len(c.prefix()))
	}
	return c
}

func (c content) prefix() []byte {
	if c.size < 1<<10 {
		return fmt.Appendf(nil, "%d.%x", c.attempt, uint32(c.nonce))
	}
	return fmt.Appendf(nil, "warden-crashtest path=%q attempt=%d nonce=%016x size=%d\n", c.path, c.attempt, c.nonce, c.size)
}

func (c content) seed() [32]byte {
	return sha256.Sum256(fmt.Appendf(nil, "%s\x00%d\x00%d", c.path, c.attempt, c.nonce))
}

func (c content) String() string {
	return fmt.Sprintf("%s attempt %d (%d bytes)", c.path, c.attempt, c.size)
}

// reader generates the content; it never holds more than the caller's buffer.
func (c content) reader() io.Reader { return newGen(c.prefix(), c.seed(), c.size) }

func (c content) sum() [32]byte {
	h := sha256.New()
	if _, err := io.Copy(h, c.reader()); err != nil {
		panic(err)
	}
	return [32]byte(h.Sum(nil))
}

// gen is an io.Reader of n deterministic bytes: prefix, then ChaCha8 output.
type gen struct {
	prefix []byte
	rng    *rand.ChaCha8
	left   int64
}

func newGen(prefix []byte, seed [32]byte, n int64) *gen {
	return &gen{prefix: prefix, rng: rand.NewChaCha8(seed), left: n}
}

func (g *gen) Read(p []byte) (int, error) {
	if g.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > g.left {
		p = p[:g.left]
	}
	n := copy(p, g.prefix)
	g.prefix = g.prefix[n:]
	if n < len(p) {
		g.rng.Read(p[n:])
		n = len(p)
	}
	g.left -= int64(n)
	return n, nil
}

// ---------------------------------------------------------------------------
// The ledger: what was attempted, what was acknowledged, what was read back.

type ack struct {
	c   content
	sum [32]byte
}

type ledger struct {
	mu        sync.Mutex
	attempted map[string]map[[32]byte]content // path -> content hash -> content
	acked     map[string]map[int]ack          // path -> version -> upload
	seen      map[string]map[int][32]byte     // path -> version -> hash read back
	nAttempts int
}

func newLedger() *ledger {
	return &ledger{attempted: map[string]map[[32]byte]content{}, acked: map[string]map[int]ack{}, seen: map[string]map[int][32]byte{}}
}

func (l *ledger) attempt(c content, sum [32]byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.attempted[c.path] == nil {
		l.attempted[c.path] = map[[32]byte]content{}
	}
	l.attempted[c.path][sum] = c
	l.nAttempts++
}

// ack records an acknowledged upload; it returns an error if the version was
// already acknowledged to another upload.
func (l *ledger) ack(c content, sum [32]byte, version int) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.acked[c.path] == nil {
		l.acked[c.path] = map[int]ack{}
	}
	if prev, ok := l.acked[c.path][version]; ok {
		return fmt.Errorf("version %d of %s was acknowledged twice: to %v and to %v", version, c.path, prev.c, c)
	}
	l.acked[c.path][version] = ack{c: c, sum: sum}
	return nil
}

func (l *ledger) counts() (attempts, acks int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, m := range l.acked {
		acks += len(m)
	}
	return l.nAttempts, acks
}

// readVersion downloads version (0: the head) of path and returns the
// version served, its SHA-256 and its length. A body cut short (as the
// server does when content fails authentication mid-stream) is an error.
func readVersion(ctx context.Context, c *client.Client, path string, version int) (int, [32]byte, int64, error) {
	resp, err := c.GetFile(ctx, wsName, path, version)
	if err != nil {
		return 0, [32]byte{}, 0, err
	}
	defer resp.Body.Close()
	served, err := strconv.Atoi(resp.Header.Get("X-Warden-Version"))
	if err != nil {
		return 0, [32]byte{}, 0, fmt.Errorf("bad X-Warden-Version %q", resp.Header.Get("X-Warden-Version"))
	}
	h := sha256.New()
	n, err := io.Copy(h, resp.Body)
	if err != nil {
		return served, [32]byte{}, n, fmt.Errorf("read body after %d bytes: %w", n, err)
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return served, [32]byte{}, n, fmt.Errorf("body is %d bytes, Content-Length said %d", n, resp.ContentLength)
	}
	return served, [32]byte(h.Sum(nil)), n, nil
}

// check reads back the history of every path and compares it with the
// ledger. With all, versions already read in an earlier check are read
// again (and must not have changed); otherwise only new ones are read.
// It returns how many versions committed without their acknowledgement
// reaching the client.
func (l *ledger) check(t *testing.T, c *client.Client, paths []string, all bool) (unacked int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), safety)
	defer cancel()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, path := range paths {
		acked := l.acked[path]
		maxAck := 0
		for v := range acked {
			maxAck = max(maxAck, v)
		}
		vs, err := c.Versions(ctx, wsName, path, 0)
		if err != nil {
			if client.Code(err) == "not_found" && maxAck == 0 {
				continue // nothing of it ever committed
			}
			t.Errorf("%s: list versions: %v (highest acknowledged version %d)", path, err, maxAck)
			continue
		}
		head := vs.File.Version
		if head < maxAck {
			t.Errorf("%s: LOST WRITE: head is version %d but version %d was acknowledged", path, head, maxAck)
		}
		if len(vs.Versions) != head {
			t.Errorf("%s: history has %d versions, head is %d", path, len(vs.Versions), head)
		}
		if l.seen[path] == nil {
			l.seen[path] = map[int][32]byte{}
		}
		present := map[int]bool{}
		hashes := map[[32]byte]int{}
		for i, v := range vs.Versions {
			present[v.Version] = true
			if v.Version != i+1 {
				t.Errorf("%s: history entry %d is version %d", path, i, v.Version)
			}
			if v.Deleted {
				t.Errorf("%s: version %d is a deletion; nothing was deleted", path, v.Version)
				continue
			}
			prevSum, wasSeen := l.seen[path][v.Version]
			if wasSeen && !all {
				hashes[prevSum] = v.Version
				continue
			}
			served, sum, n, err := readVersion(ctx, c, path, v.Version)
			if err != nil {
				t.Errorf("%s: read version %d: %v", path, v.Version, err)
				continue
			}
			if served != v.Version {
				t.Errorf("%s: asked for version %d, got %d", path, v.Version, served)
			}
			if n != v.Size {
				t.Errorf("%s: version %d is %d bytes, its record says %d", path, v.Version, n, v.Size)
			}
			if wasSeen && sum != prevSum {
				t.Errorf("%s: version %d changed across a restart", path, v.Version)
			}
			l.seen[path][v.Version] = sum
			if other, dup := hashes[sum]; dup {
				t.Errorf("%s: versions %d and %d hold the same upload: one upload committed twice", path, other, v.Version)
			}
			hashes[sum] = v.Version
			if a, ok := acked[v.Version]; ok {
				if sum != a.sum || n != a.c.size {
					got := "garbage"
					if g, ok := l.attempted[path][sum]; ok {
						got = g.String()
					}
					t.Errorf("%s: version %d was acknowledged for %v but holds %s (%d bytes)", path, v.Version, a.c, got, n)
				}
				continue
			}
			if _, ok := l.attempted[path][sum]; !ok {
				t.Errorf("%s: version %d (%d bytes, sha256 %s) is none of the contents uploaded to this path", path, v.Version, n, hex.EncodeToString(sum[:8]))
			}
		}
		for v, a := range acked {
			if !present[v] {
				t.Errorf("%s: LOST WRITE: acknowledged version %d (%v) is not in the history", path, v, a.c)
			}
		}
		for v := range vs.Versions {
			if _, ok := acked[v+1]; !ok {
				unacked++
			}
		}
		// The head itself opens and is the last version in the history.
		served, sum, _, err := readVersion(ctx, c, path, 0)
		switch {
		case err != nil:
			t.Errorf("%s: read head: %v", path, err)
		case served != head:
			t.Errorf("%s: head read served version %d, history says %d", path, served, head)
		case sum != l.seen[path][head]:
			t.Errorf("%s: head read differs from version %d read", path, head)
		}
	}
	return unacked
}

// ---------------------------------------------------------------------------
// The tests.

var paths = []string{"notes/todo.md", "data/blob.bin", "a", "deep/nested/dir/file.dat", "reports/q1.csv"}

func envInt(t *testing.T, name string, def int64) int64 {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

func newRand(t *testing.T) *rand.Rand {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("WARDEN_TEST_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("WARDEN_TEST_SEED=%q: %v", v, err)
		}
		seed = n
	}
	t.Logf("random seed %d (set WARDEN_TEST_SEED to repeat)", seed)
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// TestKillDuringConcurrentUploads kills the server with SIGKILL at random
// moments while several clients upload new versions of a few paths, restarts
// it on the same data folder, and checks after every restart that every
// acknowledged version reads back byte for byte, that every other version is
// one of the uploads (never garbage or a partial body), that the heads open,
// and that the crashes left nothing in blobs/tmp. At the end the audit chain
// must verify, both on the crashed folder and after a restart.
func TestKillDuringConcurrentUploads(t *testing.T) {
	rounds := int(envInt(t, "WARDEN_TEST_CRASH_ROUNDS", 5))
	const uploaders = 4
	rng := newRand(t)
	var rngMu sync.Mutex
	s := newServer(t)
	// Four agents overwriting files as fast as they can is what detection's
	// mass_delete rule locks; this test is about crashes, not detection.
	if err := os.WriteFile(filepath.Join(s.root, "warden.yaml"), []byte("detect: {mass_delete: {mode: off}}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s.start()
	s.setup()
	led := newLedger()
	var attemptSeq atomic.Int64

	for round := 1; round <= rounds; round++ {
		c := s.client(s.agentToken)
		ctx, cancel := context.WithCancel(context.Background())
		var killed atomic.Bool
		var roundAcks atomic.Int64
		firstAck := make(chan struct{})
		var firstOnce sync.Once
		var wg sync.WaitGroup
		for u := range uploaders {
			rngMu.Lock()
			urng := rand.New(rand.NewPCG(rng.Uint64(), uint64(u)))
			rngMu.Unlock()
			wg.Go(func() {
				for ctx.Err() == nil && !killed.Load() {
					path := paths[urng.IntN(len(paths))]
					ct := newContent(path, int(attemptSeq.Add(1)), urng.Uint64(), sizes[urng.IntN(len(sizes))])
					sum := ct.sum()
					led.attempt(ct, sum)
					f, err := c.PutFile(ctx, wsName, path, ct.reader(), ct.size)
					if err != nil {
						var ce *client.Error
						if errors.As(err, &ce) || !killed.Load() {
							// The server answered with an error, or the
							// connection failed while it was up.
							t.Errorf("round %d: upload %v failed while the server was up: %v", round, ct, err)
						}
						return
					}
					if f.Path != path || f.Size != ct.size {
						t.Errorf("round %d: upload %v acknowledged as %s, %d bytes", round, ct, f.Path, f.Size)
					}
					if err := led.ack(ct, sum, f.Version); err != nil {
						t.Error(err)
					}
					roundAcks.Add(1)
					firstOnce.Do(func() { close(firstAck) })
				}
			})
		}

		allDone := make(chan struct{})
		go func() { wg.Wait(); close(allDone) }()

		// Kill at a random moment once uploads are flowing.
		select {
		case <-firstAck:
		case <-allDone: // every uploader failed; the errors are reported
		case <-time.After(safety):
			t.Errorf("round %d: no upload acknowledged within %v", round, safety)
		}
		rngMu.Lock()
		delay := time.Duration(rng.Int64N(int64(800 * time.Millisecond)))
		rngMu.Unlock()
		time.Sleep(delay)
		killed.Store(true)
		pid := s.pid()
		s.kill()
		cancel()
		<-allDone
		if t.Failed() {
			t.FailNow()
		}
		left := s.tmpFiles()
		if round == rounds {
			// The audit chain of a folder just left by kill -9.
			s.auditVerify("on the folder left by the last kill, server down")
		}

		s.start()
		if n := len(s.tmpFiles()); n != 0 {
			t.Errorf("round %d: %d files in blobs/tmp after restart", round, n)
		}
		unacked := led.check(t, s.client(s.agentToken), paths, false)
		attempts, acks := led.counts()
		t.Logf("round %d: killed pid %d %v after the first ack; %d acks this round; %d partial uploads left in blobs/tmp by the kill; totals: %d attempted, %d acknowledged, %d committed without ack",
			round, pid, delay.Round(time.Millisecond), roundAcks.Load(), len(left), attempts, acks, unacked)
		if t.Failed() {
			t.FailNow()
		}
	}

	// A final pass re-reads every version, and the chain verifies with the
	// restarted server running.
	led.check(t, s.client(s.agentToken), paths, true)
	s.auditVerify("after restart, server running")
	if _, acks := led.counts(); acks == 0 {
		t.Error("no upload was acknowledged in any round")
	}
}

// stallReader produces a large deterministic body but stops after stallAt
// bytes: it signals stalled and blocks until release is closed, then fails.
// It stands for a slow client that is halfway through its upload.
type stallReader struct {
	g       *gen
	sent    int64
	stallAt int64
	stalled chan struct{}
	release chan struct{}
}

func (r *stallReader) Read(p []byte) (int, error) {
	if r.sent >= r.stallAt {
		if r.stalled != nil {
			close(r.stalled)
			r.stalled = nil
		}
		<-r.release
		return 0, errors.New("client gave up")
	}
	p = p[:min(int64(len(p)), r.stallAt-r.sent, 64<<10)]
	n, err := r.g.Read(p)
	r.sent += int64(n)
	return n, err
}

// TestKillDuringLargeUpload kills the server while a 64 MiB upload is
// halfway through (part of it already in blobs/tmp) and checks that after a
// restart the previous version is intact and still the head, the earlier
// history is intact, the partial upload is gone, and writes work again.
func TestKillDuringLargeUpload(t *testing.T) {
	const big = 64 << 20
	rng := newRand(t)
	s := newServer(t)
	s.start()
	s.setup()
	c := s.client(s.agentToken)
	ctx, cancel := context.WithTimeout(context.Background(), safety)
	defer cancel()
	const path = "big/model.bin"

	led := newLedger()
	for i, size := range []int64{100 << 10, 1<<20 + 7} {
		ct := newContent(path, i+1, rng.Uint64(), size)
		sum := ct.sum()
		led.attempt(ct, sum)
		f, err := c.PutFile(ctx, wsName, path, ct.reader(), ct.size)
		if err != nil {
			t.Fatalf("upload %v: %v", ct, err)
		}
		if f.Version != i+1 {
			t.Fatalf("upload %v got version %d", ct, f.Version)
		}
		if err := led.ack(ct, sum, f.Version); err != nil {
			t.Fatal(err)
		}
	}

	// Kill the server halfway through a large upload.
	ct := newContent(path, 3, rng.Uint64(), big)
	stallAt := 8<<20 + rng.Int64N(40<<20)
	stalled := make(chan struct{})
	sr := &stallReader{g: newGen(ct.prefix(), ct.seed(), ct.size), stallAt: stallAt, stalled: stalled, release: make(chan struct{})}
	putErr := make(chan error, 1)
	go func() {
		_, err := c.PutFile(ctx, wsName, path, sr, ct.size)
		putErr <- err
	}()
	// The client's transport waits for the body reader before it reports a
	// broken connection, so the reader is released right after the kill.
	var releaseOnce sync.Once
	release := func() { releaseOnce.Do(func() { close(sr.release) }) }
	defer release()

	select {
	case <-stalled:
	case err := <-putErr:
		t.Fatalf("the large upload ended before stalling: %v", err)
	case <-time.After(safety):
		t.Fatal("the large upload did not reach its stall point")
	}
	// Wait until the server has written at least half of what was sent to
	// blobs/tmp, so the kill lands in the middle of sealing the upload.
	var partial int64
	for deadline := time.Now().Add(safety); partial < stallAt/2; {
		if time.Now().After(deadline) {
			t.Fatalf("no partial upload of %d+ bytes appeared in blobs/tmp (largest %d)", stallAt/2, partial)
		}
		time.Sleep(10 * time.Millisecond)
		for _, size := range s.tmpFiles() {
			partial = max(partial, size)
		}
	}
	s.kill()
	release()
	select {
	case err := <-putErr:
		if err == nil {
			t.Fatal("the upload killed midway was acknowledged")
		}
	case <-time.After(safety):
		t.Fatal("the upload killed midway did not fail")
	}
	t.Logf("killed after %d of %d bytes were sent; %d sealed bytes were in blobs/tmp", stallAt, big, partial)

	s.start()
	if n := len(s.tmpFiles()); n != 0 {
		t.Errorf("%d files in blobs/tmp after restart", n)
	}
	c = s.client(s.agentToken)
	vs, err := c.Versions(ctx, wsName, path, 0)
	if err != nil {
		t.Fatal(err)
	}
	if vs.File.Version != 2 || len(vs.Versions) != 2 {
		t.Fatalf("after the crash the head is version %d with %d versions; want the previous version 2", vs.File.Version, len(vs.Versions))
	}
	led.check(t, c, []string{path}, true)

	// The server takes writes again.
	ct = newContent(path, 4, rng.Uint64(), 70<<10)
	sum := ct.sum()
	led.attempt(ct, sum)
	f, err := c.PutFile(ctx, wsName, path, ct.reader(), ct.size)
	if err != nil {
		t.Fatalf("upload after restart: %v", err)
	}
	if f.Version != 3 {
		t.Errorf("upload after restart got version %d, want 3", f.Version)
	}
	if err := led.ack(ct, sum, f.Version); err != nil {
		t.Fatal(err)
	}
	led.check(t, c, []string{path}, true)
	s.auditVerify("after the crash")
}

// TestClientAbandonsUpload is the gentler case: clients give up on large
// uploads midway while the server stays up. Each upload must fail, leave
// the head and history as they were (the abandoned content is not in the
// ledger, so a version holding it is reported as garbage) and leave nothing
// in blobs/tmp; and, as every operation is audited, each failed write must
// be on the audit record.
func TestClientAbandonsUpload(t *testing.T) {
	const big = 64 << 20
	const abandoned = 4
	rng := newRand(t)
	s := newServer(t)
	s.start()
	s.setup()
	c := s.client(s.agentToken)
	admin := s.client(s.adminToken)
	ctx, cancel := context.WithTimeout(context.Background(), safety)
	defer cancel()
	const path = "big/abandoned.bin"

	led := newLedger()
	for i, size := range []int64{64<<10 + 1, 1 << 20} {
		ct := newContent(path, i+1, rng.Uint64(), size)
		sum := ct.sum()
		led.attempt(ct, sum)
		f, err := c.PutFile(ctx, wsName, path, ct.reader(), ct.size)
		if err != nil {
			t.Fatalf("upload %v: %v", ct, err)
		}
		if err := led.ack(ct, sum, f.Version); err != nil {
			t.Fatal(err)
		}
	}

	// failedWrites counts the abandoned uploads the server is done with: on
	// the audit record as failed writes, or logged as not recordable.
	failedWrites := func() (recorded, unrecorded int) {
		page, err := admin.Audit(ctx, client.AuditQuery{Action: "file.write", Workspace: wsName, Limit: 1000})
		if err != nil {
			t.Fatalf("audit query: %v", err)
		}
		for _, e := range page.Events {
			if e.Error != "" {
				recorded++
			}
		}
		log, err := os.ReadFile(s.logPath)
		if err != nil {
			t.Fatal(err)
		}
		unrecorded = bytes.Count(log, []byte(`msg="audit record failed; refusing the operation" action=file.write`))
		return recorded, unrecorded
	}

	for i := 1; i <= abandoned; i++ {
		ab := newContent(path, 100+i, rng.Uint64(), big)
		gaveUp := make(chan struct{})
		close(gaveUp)
		ar := &stallReader{g: newGen(ab.prefix(), ab.seed(), ab.size), stallAt: 1<<20 + rng.Int64N(4<<20), release: gaveUp}
		if _, err := c.PutFile(ctx, wsName, path, ar, ab.size); err == nil {
			t.Fatalf("upload %d, abandoned by its client after %d bytes, was acknowledged", i, ar.stallAt)
		}
		for deadline := time.Now().Add(safety); ; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("the server did not finish with abandoned upload %d within %v", i, safety)
			}
			if r, u := failedWrites(); r+u >= i && len(s.tmpFiles()) == 0 {
				break
			}
		}
	}
	if vs, err := c.Versions(ctx, wsName, path, 0); err != nil || vs.File.Version != 2 {
		t.Fatalf("after the abandoned uploads: %+v, %v; want head version 2", vs, err)
	}
	led.check(t, c, []string{path}, true)
	if tmp := s.tmpFiles(); len(tmp) > 0 {
		t.Errorf("abandoned uploads left %d files in blobs/tmp", len(tmp))
	}
	s.auditVerify("after abandoned uploads")

	recorded, unrecorded := failedWrites()
	t.Logf("%d abandoned uploads: %d failed writes on the audit record, %d not recorded", abandoned, recorded, unrecorded)
	if unrecorded > 0 || recorded != abandoned {
		t.Errorf("%d of %d uploads abandoned by their clients are not on the audit record", abandoned-recorded, abandoned)
	}
}
