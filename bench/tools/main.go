// Command tools measures the tool plane's decision point over HTTP: a real
// `warden serve` process with a profile of 50 CEL rules (none matching, so
// every rule is evaluated) answers POST /api/v1/decide from concurrent
// keep-alive clients. Each decision is authenticated, decided, its
// parameters masked and the decision made durable in the audit chain before
// the answer. Baselines in the same run: GET /healthz (the HTTP floor: no
// auth, no record) and GET /api/v1/whoami (auth and one audit record, no
// policy).
//
//	go run ./bench/tools -clients 64 -duration 10s -requests 3000
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wardenhq/warden/bench/benchserver"
)

func main() {
	clients := flag.Int("clients", 64, "concurrent keep-alive clients for throughput")
	duration := flag.Duration("duration", 10*time.Second, "throughput run per endpoint")
	requests := flag.Int("requests", 3000, "sequential decisions for latency")
	bin := flag.String("warden", "", "warden binary (default: build ./cmd/warden)")
	flag.Parse()
	dir, err := os.MkdirTemp("", "warden-bench-tools-")
	check(err)
	defer os.RemoveAll(dir)
	if *bin == "" {
		*bin, err = benchserver.Build(dir)
		check(err)
	}
	bs, err := benchserver.Start(benchserver.Options{Bin: *bin, Dir: dir, Config: policyYAML(), Profile: "bench"})
	check(err)
	defer bs.Stop()
	w := server{bs}

	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1024, MaxIdleConns: 1024}}
	allow := []byte(`{"tool":"exec","params":{"command":"git status --short && go test ./..."},"session":"agent:main:bench","source":"plugin"}`)
	deny := []byte(`{"tool":"exec","params":{"command":"git push origin main"},"session":"agent:main:bench","source":"plugin"}`)
	kinds := []struct {
		name string
		mk   func() *http.Request
	}{
		{"GET /healthz (HTTP floor)", func() *http.Request { r, _ := http.NewRequest("GET", w.Addr+"/healthz", nil); return r }},
		{"GET /api/v1/whoami (auth + record)", func() *http.Request { return w.req("GET", "/api/v1/whoami", nil) }},
		{"POST /api/v1/decide allow (50 rules)", func() *http.Request { return w.req("POST", "/api/v1/decide", allow) }},
		{"POST /api/v1/decide deny (rule 50)", func() *http.Request { return w.req("POST", "/api/v1/decide", deny) }},
	}
	for _, k := range kinds {
		for range 200 {
			check(do(hc, k.mk()))
		}
	}

	var lat []time.Duration
	for range *requests {
		t := time.Now()
		check(do(hc, kinds[2].mk()))
		lat = append(lat, time.Since(t))
	}
	fmt.Printf("latency, sequential allow decisions over HTTP (%d): p50 %s  p99 %s\n", *requests, pct(lat, 50), pct(lat, 99))

	fmt.Printf("throughput, %d clients, %s each\n", *clients, *duration)
	rates := make([]float64, len(kinds))
	for i, k := range kinds {
		rates[i] = throughput(hc, k.mk, *clients, *duration)
		fmt.Printf("  %-40s %8.0f req/s  (ratio to healthz %.2f)\n", k.name, rates[i], rates[i]/rates[0])
	}
	fmt.Printf("decisions/s (allow)      %.0f  (goal >= 20000)\n", rates[2])
	fmt.Printf("decide / whoami          %.2f  (what the policy and masking add to an authenticated, recorded request)\n", rates[2]/rates[1])
}

func do(hc *http.Client, r *http.Request) error {
	resp, err := hc.Do(r)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != 200 {
		return fmt.Errorf("%s %s: status %d", r.Method, r.URL.Path, resp.StatusCode)
	}
	return nil
}

func throughput(hc *http.Client, mk func() *http.Request, n int, d time.Duration) float64 {
	var done atomic.Int64
	var failed atomic.Value
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	start := time.Now()
	for range n {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				if err := do(hc, mk()); err != nil {
					failed.Store(err)
					return
				}
				done.Add(1)
			}
		})
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		check(err)
	}
	return float64(done.Load()) / time.Since(start).Seconds()
}

func pct(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)].Round(time.Microsecond)
}

type server struct{ *benchserver.Server }

func (s server) req(method, path string, body []byte) *http.Request {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	r, _ := http.NewRequest(method, s.Addr+path, rd)
	r.Header.Set("Authorization", "Bearer "+s.Agent)
	if body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	return r
}

// policyYAML is a profile whose 50 rules are all evaluated on an allowed
// exec; the last denies pushes to main.
func policyYAML() string {
	var y strings.Builder
	y.WriteString("profiles:\n  bench:\n    tools:\n      allow: [exec, read]\n      rules:\n")
	for i := range 49 {
		fmt.Fprintf(&y, "        - {when: 'tool == \"exec\" && params.command.matches(\"^forbidden-%d\\\\s\")', decision: deny}\n", i)
	}
	y.WriteString("        - {when: 'tool == \"exec\" && params.command.matches(\"git\\\\s+push.*\\\\b(main|master)\\\\b\")', decision: deny, reason: push to a branch}\n")
	return y.String()
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/tools:", err)
		os.Exit(2)
	}
}
