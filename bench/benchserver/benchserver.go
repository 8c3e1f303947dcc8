// Package benchserver starts a real `warden serve` process for the
// benchmarks: what they measure is the shipped binary, over loopback.
package benchserver

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/apiv1"
	"github.com/wardenhq/warden/client"
	"github.com/wardenhq/warden/keyring"
)

// Options describe the server to start.
type Options struct {
	Bin    string   // the warden binary
	Dir    string   // a folder of its own: data, token, config go there
	Config string   // warden.yaml contents
	Env    []string // added to the environment
	// Profile is the profile of the agent created for the benchmark.
	Profile string
	// Egress serves the egress proxy too (on a free port).
	Egress bool
}

// Server is a running warden with one agent.
type Server struct {
	cmd *exec.Cmd
	// Addr is the base URL, "http://127.0.0.1:port".
	Addr string
	// Agent is the token of the benchmark's agent.
	Agent string
	// EgressAddr is the proxy's host:port, when Options.Egress.
	EgressAddr string
}

// Build builds ./cmd/warden into dir and returns the binary's path.
func Build(dir string) (string, error) {
	bin := filepath.Join(dir, "warden")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/warden").CombinedOutput(); err != nil {
		return "", fmt.Errorf("build: %v\n%s", err, out)
	}
	return bin, nil
}

// Start initialises a data folder, serves it on a free loopback port with a
// fresh master key, waits for /healthz and creates the agent.
func Start(o Options) (*Server, error) {
	data := filepath.Join(o.Dir, "data")
	tokFile := filepath.Join(o.Dir, "admin.token")
	cfg := filepath.Join(o.Dir, "warden.yaml")
	if err := os.WriteFile(cfg, []byte(o.Config), 0o600); err != nil {
		return nil, err
	}
	env := append(os.Environ(), "WARDEN_MASTER_KEY="+keyring.EncodeMasterKey(keyring.GenerateMasterKey()), "WARDEN_LOG_LEVEL=warn")
	env = append(env, o.Env...)
	initCmd := exec.Command(o.Bin, "init", "--data", data, "--token-file", tokFile, "--config", cfg)
	initCmd.Env = env
	if out, err := initCmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("init: %v\n%s", err, out)
	}
	tok, err := os.ReadFile(tokFile)
	if err != nil {
		return nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	egressAddr := "off"
	if o.Egress {
		if egressAddr, err = freeAddr(); err != nil {
			return nil, err
		}
	}
	cmd := exec.Command(o.Bin, "serve", "--data", data, "--listen", addr, "--egress-listen", egressAddr, "--allow-root", "--config", cfg)
	cmd.Env = env
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &Server{cmd: cmd, Addr: "http://" + addr}
	if o.Egress {
		s.EgressAddr = egressAddr
	}
	profile := o.Profile
	if profile == "" {
		profile = warden.DefaultProfile
	}
	c, _ := client.New(s.Addr, strings.TrimSpace(string(tok)), nil)
	for range 200 {
		if h, err := c.Health(context.Background()); err == nil && h.Status == "ok" {
			p, err := c.CreatePrincipal(context.Background(), warden.KindAgent, apiv1.CreatePrincipal{Name: "bench", Profile: profile})
			if err != nil {
				s.Stop()
				return nil, err
			}
			s.Agent = p.Token
			return s, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.Stop()
	return nil, fmt.Errorf("warden did not start")
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// Stop shuts the server down gracefully and waits for it.
func (s *Server) Stop() {
	s.cmd.Process.Signal(os.Interrupt)
	s.cmd.Wait()
}
