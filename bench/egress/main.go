// Command egress measures the egress proxy: bulk transfer through an HTTPS
// CONNECT tunnel as a ratio to a direct download on loopback, and against
// stripe/smokescreen (the proxy Warden's is compared with, built from the
// Go module proxy) in the same run; and tunnels opened per second.
//
// A module of its own, so that smokescreen and its dependencies stay out of
// Warden's go.mod:
//
//	cd bench/egress && go run . -size 1GiB -rounds 3
package main

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wardenhq/warden/bench/benchserver"
)

func main() {
	size := flag.Int64("size", 1<<30, "bytes per download")
	rounds := flag.Int("rounds", 3, "downloads per side, alternating")
	conns := flag.Duration("conns", 5*time.Second, "how long to open tunnels for the connections/s figure")
	flag.Parse()
	dir, err := os.MkdirTemp("", "warden-bench-egress-")
	check(err)
	defer os.RemoveAll(dir)

	up := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.ParseInt(r.URL.Query().Get("n"), 10, 64)
		w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
		buf := make([]byte, 256<<10)
		for n > 0 {
			k := min(n, int64(len(buf)))
			if _, err := w.Write(buf[:k]); err != nil {
				return
			}
			n -= k
		}
	}))
	defer up.Close()
	upHost := up.Listener.Addr().String()
	roots := up.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs

	// Warden, the real binary, with the upstream allowed.
	wd := filepath.Join(dir, "server")
	check(os.MkdirAll(wd, 0o700))
	wd, err = filepath.Abs(wd)
	check(err)
	cwd, _ := os.Getwd()
	check(os.Chdir("../.."))
	bin, err := benchserver.Build(dir)
	check(err)
	check(os.Chdir(cwd))
	w, err := benchserver.Start(benchserver.Options{Bin: bin, Dir: wd, Egress: true,
		Config: fmt.Sprintf("egress: {allow: [%q], allow_private: [127.0.0.0/8]}\n", upHost)})
	check(err)
	defer w.Stop()

	// Smokescreen, built from the module proxy and run as its own process
	// like Warden, allowing loopback.
	smoke := filepath.Join(dir, "smokescreen")
	if out, err := exec.Command("go", "build", "-o", smoke, "github.com/stripe/smokescreen").CombinedOutput(); err != nil {
		check(fmt.Errorf("build smokescreen: %v\n%s", err, out))
	}
	sln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	sport := strconv.Itoa(sln.Addr().(*net.TCPAddr).Port)
	sln.Close()
	sc := exec.Command(smoke, "--listen-ip", "127.0.0.1", "--listen-port", sport, "--allow-range", "127.0.0.0/8")
	sc.Stdout, sc.Stderr = io.Discard, io.Discard
	check(sc.Start())
	defer sc.Process.Kill()
	for range 100 {
		if c, err := net.Dial("tcp", "127.0.0.1:"+sport); err == nil {
			c.Close()
			break
		}
		time.Sleep(50 * time.Millisecond)
	}

	wardenURL := &url.URL{Scheme: "http", Host: w.EgressAddr, User: url.UserPassword("bench", w.Agent)}
	smokeURL := &url.URL{Scheme: "http", Host: "127.0.0.1:" + sport}
	sides := []struct {
		name  string
		proxy *url.URL
	}{{"direct", nil}, {"warden", wardenURL}, {"smokescreen", smokeURL}}

	got := map[string][]float64{}
	for r := range *rounds {
		order := slices.Clone(sides)
		if r%2 == 1 {
			slices.Reverse(order)
		}
		for _, s := range order {
			got[s.name] = append(got[s.name], download(up.URL, roots, s.proxy, *size))
		}
	}
	med := func(v []float64) float64 { v = slices.Clone(v); slices.Sort(v); return v[len(v)/2] }
	fmt.Printf("bulk HTTPS download through CONNECT, %d MiB, %d rounds, median MB/s\n", *size>>20, *rounds)
	for _, s := range sides {
		fmt.Printf("  %-12s %8.0f MB/s  %v\n", s.name, med(got[s.name]), rounded(got[s.name]))
	}
	fmt.Printf("  warden / direct       %.2f (goal >= 0.90)\n", med(got["warden"])/med(got["direct"]))
	fmt.Printf("  warden / smokescreen  %.2f (goal >= 1.00)\n", med(got["warden"])/med(got["smokescreen"]))

	fmt.Printf("tunnels opened, one small HTTPS request each, 16 clients, %s per side\n", *conns)
	for _, s := range sides {
		fmt.Printf("  %-12s %8.0f connections/s\n", s.name, tunnels(up.URL, roots, s.proxy, *conns))
	}
}

// download fetches n bytes and returns MB/s.
func download(base string, roots *x509.CertPool, proxy *url.URL, n int64) float64 {
	c := client(roots, proxy, false)
	defer c.CloseIdleConnections()
	start := time.Now()
	resp, err := c.Get(base + "/?n=" + strconv.FormatInt(n, 10))
	check(err)
	k, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	check(err)
	if k != n {
		check(fmt.Errorf("got %d bytes, want %d", k, n))
	}
	return float64(n) / 1e6 / time.Since(start).Seconds()
}

// tunnels opens a new connection per request for d and returns requests/s.
func tunnels(base string, roots *x509.CertPool, proxy *url.URL, d time.Duration) float64 {
	var done atomic.Int64
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	start := time.Now()
	for range 16 {
		wg.Go(func() {
			c := client(roots, proxy, true)
			for time.Now().Before(deadline) {
				resp, err := c.Get(base + "/?n=1024")
				if err != nil {
					check(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				done.Add(1)
			}
		})
	}
	wg.Wait()
	return float64(done.Load()) / time.Since(start).Seconds()
}

func client(roots *x509.CertPool, proxy *url.URL, noReuse bool) *http.Client {
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}, DisableKeepAlives: noReuse}
	if proxy != nil {
		tr.Proxy = http.ProxyURL(proxy)
	}
	return &http.Client{Transport: tr, Timeout: 10 * time.Minute}
}

func rounded(v []float64) []int {
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	return out
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/egress:", err)
		os.Exit(2)
	}
}
