// Package wardentest starts real Warden servers for tests: the same app
// wiring as `warden serve`, a fresh data folder, a listener on 127.0.0.1:0,
// real HTTP clients. It also builds the warden binary for tests that need a
// separate process (refusals, kill -9).
package wardentest

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/apiv1"
	"github.com/wardenhq/warden/app"
	"github.com/wardenhq/warden/client"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/detect"
	"github.com/wardenhq/warden/keyring"
)

// Server is a running Warden.
type Server struct {
	URL        string
	EgressURL  string // the egress proxy, "http://127.0.0.1:port" ("" if off)
	Dir        string // the data folder
	MasterKey  string // base64, as WARDEN_MASTER_KEY
	AdminToken string
	Admin      *client.Client
	Config     *config.Config

	t      testing.TB
	app    *app.App
	cancel context.CancelFunc
	done   chan error
}

// Option changes the configuration before start.
type Option func(*config.Config)

// Start starts a server in a new temporary data folder and stops it when the
// test ends.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	cfg := config.Default()
	cfg.Data = filepath.Join(t.TempDir(), "data")
	cfg.Listen = "127.0.0.1:0"
	cfg.Egress.Listen = "127.0.0.1:0"
	cfg.Log.Level = "warn"
	// Detection would lock the agents of tests about other things (an RBAC
	// matrix is a permission-change spree): it is off unless a test sets
	// c.Detect, as the detection tests do.
	cfg.Detect = map[string]config.DetectRule{}
	for _, n := range detect.Names() {
		cfg.Detect[n] = config.DetectRule{Mode: "off"}
	}
	for _, o := range opts {
		o(cfg)
	}
	s := &Server{t: t, Dir: cfg.Data, Config: cfg, MasterKey: keyring.EncodeMasterKey(keyring.GenerateMasterKey())}
	s.start()
	s.AdminToken = s.app.BootstrapToken
	if s.AdminToken == "" {
		t.Fatal("wardentest: no bootstrap token on a fresh data dir")
	}
	s.Admin = s.Client(s.AdminToken)
	t.Cleanup(s.Stop)
	return s
}

// Getenv is the environment the server sees: only the master key.
func (s *Server) Getenv(k string) string {
	if k == "WARDEN_MASTER_KEY" {
		return s.MasterKey
	}
	return ""
}

func (s *Server) start() {
	s.t.Helper()
	a, err := app.Open(context.Background(), app.Options{Config: s.Config, Getenv: s.Getenv, Logger: testLogger(s.t)})
	if err != nil {
		s.t.Fatalf("wardentest: open: %v", err)
	}
	ln, err := net.Listen("tcp", s.Config.Listen)
	if err != nil {
		a.Close(context.Background())
		s.t.Fatalf("wardentest: listen: %v", err)
	}
	// Keep the ports across restarts so clients stay valid.
	s.Config.Listen = ln.Addr().String()
	s.URL = "http://" + ln.Addr().String()
	var eln net.Listener
	if app.EgressEnabled(s.Config) {
		if eln, err = net.Listen("tcp", s.Config.Egress.Listen); err != nil {
			ln.Close()
			a.Close(context.Background())
			s.t.Fatalf("wardentest: egress listen: %v", err)
		}
		s.Config.Egress.Listen = eln.Addr().String()
		s.EgressURL = "http://" + eln.Addr().String()
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.app, s.cancel, s.done = a, cancel, make(chan error, 1)
	go func() { s.done <- a.ServeAll(ctx, ln, eln) }()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(s.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.t.Fatal("wardentest: server not healthy within 10s")
}

// Stop shuts the server down gracefully; it may be called more than once.
func (s *Server) Stop() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	if err := <-s.done; err != nil {
		s.t.Errorf("wardentest: serve: %v", err)
	}
	s.cancel = nil
}

// Restart stops and starts the server on the same data folder and port.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.start()
}

// Client returns an API client with token.
func (s *Server) Client(token string) *client.Client {
	c, err := client.New(s.URL, token, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	return c
}

// CreateWorkspace creates a workspace as the admin.
func (s *Server) CreateWorkspace(name, label string) {
	s.t.Helper()
	if _, err := s.Admin.CreateWorkspace(context.Background(), name, label); err != nil {
		s.t.Fatalf("create workspace %s: %v", name, err)
	}
}

// Agent creates an agent with grants ("ws:role") and returns its token.
func (s *Server) Agent(name string, grants ...string) string {
	s.t.Helper()
	p, err := s.Admin.CreatePrincipal(context.Background(), "agent", apiv1.CreatePrincipal{Name: name, Grants: grants})
	if err != nil {
		s.t.Fatalf("create agent %s: %v", name, err)
	}
	return p.Token
}

// Human creates a human with a global role and grants and returns its token.
func (s *Server) Human(name, role string, grants ...string) string {
	s.t.Helper()
	p, err := s.Admin.CreatePrincipal(context.Background(), "human", apiv1.CreatePrincipal{Name: name, Role: role, Grants: grants})
	if err != nil {
		s.t.Fatalf("create human %s: %v", name, err)
	}
	return p.Token
}

// Response is a raw HTTP answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends a raw request with a bearer token ("" for none) and reads the answer.
func (s *Server) Do(method, path, token string, body []byte) Response {
	s.t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, s.URL+path, r)
	if err != nil {
		s.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil && (strings.HasPrefix(string(body), "{") || strings.HasPrefix(string(body), "[")) {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// BuildBinary builds cmd/warden into dir and returns its path.
func BuildBinary(t testing.TB, dir string) string {
	t.Helper()
	out := filepath.Join(dir, "warden")
	cmd := exec.Command("go", "build", "-o", out, "github.com/wardenhq/warden/cmd/warden")
	cmd.Dir = moduleRoot(t)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build warden: %v\n%s", err, b)
	}
	return out
}

func moduleRoot(t testing.TB) string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("wardentest: cannot find module root")
	}
	return filepath.Dir(filepath.Dir(file))
}

// FreePort returns a loopback address with a port that was free a moment ago.
func FreePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Env returns os.Environ plus extra, for subprocesses.
func Env(extra ...string) []string { return append(os.Environ(), extra...) }
