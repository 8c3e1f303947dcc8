package deploy

import (
	"bufio"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// node finds a Node.js to run the relay with: the e2e one, else PATH's.
func node(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("WARDEN_OPENCLAW_NODE_DIR"); d != "" {
		return filepath.Join(d, "node")
	}
	n, err := exec.LookPath("node")
	if err != nil {
		t.Skip("no node on PATH and no WARDEN_OPENCLAW_NODE_DIR: the relay runs in the node image")
	}
	return n
}

func TestRelayCarriesBothWays(t *testing.T) {
	bin := node(t)
	echo, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer echo.Close()
	go func() {
		for {
			c, err := echo.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()
	// A port free a moment ago for the relay to listen on.
	probe, _ := net.Listen("tcp", "127.0.0.1:0")
	listen := probe.Addr().String()
	probe.Close()

	cmd := exec.Command(bin, "relay.mjs", listen+"="+echo.Addr().String())
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	// The relay says it listens once it does.
	line, err := bufio.NewReader(stderr).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "relay ") {
		t.Fatalf("relay did not start: %q %v", line, err)
	}
	c, err := net.DialTimeout("tcp", listen, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	msg := "GET /healthz HTTP/1.1\r\n\r\n"
	c.Write([]byte(msg))
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil || string(got) != msg {
		t.Errorf("through the relay: %q %v", got, err)
	}
}

func TestRelayRefusesBadArguments(t *testing.T) {
	bin := node(t)
	for _, args := range [][]string{nil, {"127.0.0.1=127.0.0.1:1"}, {"127.0.0.1:99999=127.0.0.1:1"}} {
		out, err := exec.Command(bin, append([]string{"relay.mjs"}, args...)...).CombinedOutput()
		if err == nil {
			t.Errorf("%v: accepted\n%s", args, out)
		}
	}
}
