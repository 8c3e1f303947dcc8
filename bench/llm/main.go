// Command llm measures what the model plane adds to a model call: a fake
// provider on loopback is called directly and through a real `warden serve`
// process (every DLP recognizer on), in the same run, alternating.
//
//	go run ./bench/llm -requests 2000 -streams 256 -duration 10s
//
// Latency: sequential non-streamed chat calls with an 8 KB request (prose
// with personal data, and code), p50 and p99 of each side and of the added
// time. Throughput: 256 concurrent clients streaming replies for a fixed
// time, completed streams per second through Warden as a ratio to direct;
// -pace spaces the pieces as a model writing tokens would, so the run
// measures Warden under many open streams rather than a CPU race between
// the fake, the client and Warden on the same cores.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
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
	requests := flag.Int("requests", 2000, "sequential calls per side for latency")
	streams := flag.Int("streams", 256, "concurrent streaming clients for throughput")
	duration := flag.Duration("duration", 10*time.Second, "throughput run per side")
	chunks := flag.Int("chunks", 64, "pieces per streamed reply")
	pace := flag.Duration("pace", 0, "pause between streamed pieces (a real model writes ~50-100 tokens/s; 0 = as fast as the CPU allows)")
	bin := flag.String("warden", "", "warden binary (default: build ./cmd/warden)")
	unique := flag.Bool("unique", false, "make every request's system prompt unique, so Warden's scan cache never helps (the cold worst case)")
	flag.Parse()
	dir, err := os.MkdirTemp("", "warden-bench-llm-")
	check(err)
	defer os.RemoveAll(dir)
	if *bin == "" {
		*bin, err = benchserver.Build(dir)
		check(err)
	}
	up := startUpstream(*chunks, *pace)
	defer up.Close()
	w, err := benchserver.Start(benchserver.Options{Bin: *bin, Dir: dir, Env: []string{"BENCH_UPSTREAM_KEY=k"},
		Config: fmt.Sprintf("providers:\n  bench: {protocol: openai, base_url: %q, api_key_env: BENCH_UPSTREAM_KEY}\n"+
			"llm:\n  limits: {requests_per_minute: 100000000, tokens_per_day: 1000000000000}\n", up.URL+"/v1")})
	check(err)
	defer w.Stop()

	bodies := make([][]byte, *requests)
	for i := range bodies {
		bodies[i] = requestBody(8<<10, i, *unique)
	}
	body := bodies[0]
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1024, MaxIdleConns: 1024}}
	direct := func(b []byte) (*http.Request, error) {
		return http.NewRequest("POST", up.URL+"/v1/chat/completions", bytes.NewReader(b))
	}
	via := func(b []byte) (*http.Request, error) {
		r, err := http.NewRequest("POST", w.Addr+"/llm/bench/v1/chat/completions", bytes.NewReader(b))
		if r != nil {
			r.Header.Set("Authorization", "Bearer "+w.Agent)
		}
		return r, err
	}
	// Warm both paths.
	for range 50 {
		check(call(hc, direct, body))
		check(call(hc, via, body))
	}
	var dl, wl, added []time.Duration
	for i := range *requests {
		sides := []struct {
			f   func([]byte) (*http.Request, error)
			out *[]time.Duration
		}{{direct, &dl}, {via, &wl}}
		if i%2 == 1 {
			slices.Reverse(sides)
		}
		var d [2]time.Duration
		for j, s := range sides {
			t := time.Now()
			check(call(hc, s.f, bodies[i]))
			d[j] = time.Since(t)
			*s.out = append(*s.out, d[j])
		}
		if i%2 == 1 {
			d[0], d[1] = d[1], d[0]
		}
		added = append(added, d[1]-d[0])
	}
	fmt.Printf("request size           %d bytes, non-streamed, every recognizer on, unique system prompts: %v\n", len(body), *unique)
	fmt.Printf("direct   p50 %8s  p99 %8s\n", pct(dl, 50), pct(dl, 99))
	fmt.Printf("warden   p50 %8s  p99 %8s\n", pct(wl, 50), pct(wl, 99))
	fmt.Printf("added    p50 %8s  p99 %8s   (goal p50 <= 0.5ms, p99 <= 2ms)\n", pct(added, 50), pct(added, 99))
	fmt.Printf("latency ratio p50      %.2f\n", float64(pct(wl, 50))/float64(pct(dl, 50)))

	sbody := streamBody(2<<10, *unique)
	ds := throughput(hc, direct, sbody, *streams, *duration)
	ws := throughput(hc, via, sbody, *streams, *duration)
	ds2 := throughput(hc, direct, sbody, *streams, *duration)
	fmt.Printf("streams                %d concurrent, %d pieces each, %s apart, %s per side\n", *streams, *chunks, *pace, *duration)
	fmt.Printf("direct                 %.0f streams/s (before) %.0f streams/s (after)\n", ds, ds2)
	fmt.Printf("warden                 %.0f streams/s\n", ws)
	fmt.Printf("throughput ratio       %.2f (goal >= 0.80)\n", ws/((ds+ds2)/2))
}

func call(hc *http.Client, mk func([]byte) (*http.Request, error), body []byte) error {
	r, err := mk(body)
	if err != nil {
		return err
	}
	r.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(r)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	n, _ := io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != 200 || n == 0 {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

// throughput runs n clients streaming for d and returns completed streams
// per second.
func throughput(hc *http.Client, mk func([]byte) (*http.Request, error), body []byte, n int, d time.Duration) float64 {
	var done atomic.Int64
	var failed atomic.Int64
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var wg sync.WaitGroup
	start := time.Now()
	for range n {
		wg.Go(func() {
			for ctx.Err() == nil {
				if err := call(hc, mk, body); err != nil {
					failed.Add(1)
					continue
				}
				done.Add(1)
			}
		})
	}
	wg.Wait()
	if f := failed.Load(); f > 0 {
		fmt.Fprintf(os.Stderr, "warning: %d calls failed\n", f)
	}
	return float64(done.Load()) / time.Since(start).Seconds()
}

func pct(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := min(len(s)-1, len(s)*p/100)
	return s[i].Round(time.Microsecond)
}

// requestBody is an OpenClaw-like chat request of about size bytes: a
// system prompt of prose and code, a user message with personal data.
func requestBody(size, i int, unique bool) []byte {
	var sys strings.Builder
	if unique {
		fmt.Fprintf(&sys, "Conversation %d. ", i)
	}
	para := "You are a careful assistant working in a repository. Read files before editing them, keep changes small, and explain each step. " +
		"func handler(w http.ResponseWriter, r *http.Request) { if err := r.ParseForm(); err != nil { http.Error(w, err.Error(), 400); return } }\n" +
		"Logs: 2026-11-25T10:00:00Z INFO request id=8f3a2c status=200 duration=12ms path=/api/v1/items\n"
	for sys.Len() < size-600 {
		sys.WriteString(para)
	}
	user := fmt.Sprintf("Request %d: please email jane.doe@acme-corp.com or call +1 (415) 555-0132 about card 4539 1488 0343 6467. Regards, Margaret Thompson.\n"+
		"Runtime: agent=main | session=agent:main:bench | sessionId=1", i)
	b, _ := json.Marshal(map[string]any{"model": "fake-model", "messages": []any{
		map[string]any{"role": "system", "content": sys.String()},
		map[string]any{"role": "user", "content": user},
	}})
	return b
}

func streamBody(size int, unique bool) []byte {
	var m map[string]any
	json.Unmarshal(requestBody(size, 0, unique), &m)
	m["stream"] = true
	m["stream_options"] = map[string]any{"include_usage": true}
	b, _ := json.Marshal(m)
	return b
}

// upstream is the fake provider: a fixed reply that names placeholders,
// non-streamed or in pieces.
type upstream struct {
	*http.Server
	URL string
}

func startUpstream(chunks int, pace time.Duration) *upstream {
	text := "I saw: <EMAIL_1> and <PERSON_1>. Here is a summary of the repository layout and what to change next, step by step. "
	for len(text) < chunks*8 {
		text += "The handler parses the form and returns errors as plain text; switch it to JSON. "
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Stream bool `json:"stream"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		if !req.Stream {
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(map[string]any{"id": "c1", "object": "chat.completion", "created": 1, "model": "fake-model",
				"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": text}, "finish_reason": "stop"}},
				"usage":   map[string]any{"prompt_tokens": 2000, "completion_tokens": 100, "total_tokens": 2100}})
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fl := w.(http.Flusher)
		piece := len(text) / chunks
		for i := 0; i < chunks; i++ {
			p := text[i*piece : (i+1)*piece]
			b, _ := json.Marshal(map[string]any{"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "fake-model",
				"choices": []any{map[string]any{"index": 0, "delta": map[string]any{"content": p}, "finish_reason": nil}}})
			if pace > 0 && i > 0 {
				time.Sleep(pace)
			}
			fmt.Fprintf(w, "data: %s\n\n", b)
			fl.Flush()
		}
		fmt.Fprintf(w, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"fake-model\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n")
		fmt.Fprintf(w, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"fake-model\",\"choices\":[],\"usage\":{\"prompt_tokens\":2000,\"completion_tokens\":100,\"total_tokens\":2100}}\n\n")
		fmt.Fprint(w, "data: [DONE]\n\n")
	})
	s := &upstream{Server: &http.Server{Handler: mux}, URL: "http://" + ln.Addr().String()}
	go s.Serve(ln)
	return s
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/llm:", err)
		os.Exit(2)
	}
}
