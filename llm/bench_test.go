package llm_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/dlp"
	"github.com/wardenhq/warden/injection"
	"github.com/wardenhq/warden/llm"
)

type benchAuth struct{}

func (benchAuth) Authenticate(context.Context, string) (*warden.Principal, error) {
	return &warden.Principal{Name: "bench", Kind: warden.KindAgent, Profile: "default"}, nil
}

type benchAudit struct{}

func (benchAudit) Record(context.Context, *warden.Event) error { return nil }

// stubProxy is a proxy in front of one OpenAI-protocol upstream ("up"),
// with authentication and audit stubbed out and limits out of the way.
func stubProxy(tb testing.TB, upstreamURL string, score func(string) llm.InjectionResult) *llm.Proxy {
	tb.Helper()
	engine, err := dlp.New(dlp.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	cfg := config.Default()
	cfg.LLM.Limits = config.LLMLimits{RequestsPerMinute: 1 << 30, TokensPerDay: 1 << 60}
	p, err := llm.New(llm.Options{
		Providers: map[string]config.Provider{"up": {Protocol: "openai", BaseURL: upstreamURL + "/v1"}},
		LLM:       cfg.LLM, Auth: benchAuth{}, Audit: benchAudit{}, DLP: engine, Injection: score,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// benchRequest is an OpenClaw-like chat request of about size bytes.
func benchRequest(size int, stream bool) []byte {
	var sys strings.Builder
	para := "You are a careful assistant working in a repository. Read files before editing them, keep changes small, and explain each step. " +
		"func handler(w http.ResponseWriter, r *http.Request) { if err := r.ParseForm(); err != nil { http.Error(w, err.Error(), 400); return } }\n" +
		"Logs: 2026-11-25T10:00:00Z INFO request id=8f3a2c status=200 duration=12ms path=/api/v1/items\n"
	for sys.Len() < size-600 {
		sys.WriteString(para)
	}
	user := "Please email jane.doe@acme-corp.com or call +1 (415) 555-0132 about card 4539 1488 0343 6467. Regards, Margaret Thompson.\n" +
		"Runtime: agent=main | session=agent:main:bench | sessionId=1"
	m := map[string]any{"model": "fake-model", "messages": []any{
		map[string]any{"role": "system", "content": sys.String()},
		map[string]any{"role": "user", "content": user},
		map[string]any{"role": "tool", "tool_call_id": "c1", "content": "README.md\ngo.mod\ncmd/\n" + sys.String()[:1000]},
	}}
	if stream {
		m["stream"] = true
	}
	b, _ := json.Marshal(m)
	return b
}

// BenchmarkProxyOverhead measures the proxy's own work on an 8 KB chat
// request (every recognizer on, injection scoring on, audit stubbed out):
// the in-process cost behind bench/llm's added latency.
func BenchmarkProxyOverhead(b *testing.B) {
	reply := []byte(`{"id":"c1","object":"chat.completion","created":1,"model":"fake-model","choices":[{"index":0,"message":{"role":"assistant","content":"I saw <EMAIL_1> and <PERSON_1>."},"finish_reason":"stop"}],"usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15}}`)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Write(reply)
	}))
	defer up.Close()
	det := injection.New(injection.Options{})
	p := stubProxy(b, up.URL, func(s string) llm.InjectionResult { r := det.Scan(s); return llm.InjectionResult{Score: r.Score} })
	body := benchRequest(8<<10, false)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		r := httptest.NewRequest("POST", "/llm/up/v1/chat/completions", bytes.NewReader(body))
		w := httptest.NewRecorder()
		p.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}

// BenchmarkProxyStream measures the proxy's work on a streamed reply of 64
// pieces (restore and output filter on every piece), calls in parallel.
func BenchmarkProxyStream(b *testing.B) {
	text := "I saw: <EMAIL_1> and <PERSON_1>. Here is a summary of the repository layout and what to change next, step by step. "
	for len(text) < 64*8 {
		text += "The handler parses the form and returns errors as plain text; switch it to JSON. "
	}
	var events bytes.Buffer
	piece := len(text) / 64
	for i := range 64 {
		c, _ := json.Marshal(map[string]any{"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "fake-model",
			"choices": []any{map[string]any{"index": 0, "delta": map[string]any{"content": text[i*piece : (i+1)*piece]}, "finish_reason": nil}}})
		events.WriteString("data: " + string(c) + "\n\n")
	}
	events.WriteString(`data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"fake-model","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}` + "\n\n")
	events.WriteString(`data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"fake-model","choices":[],"usage":{"prompt_tokens":2000,"completion_tokens":100,"total_tokens":2100}}` + "\n\ndata: [DONE]\n\n")
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write(events.Bytes())
	}))
	defer up.Close()
	p := stubProxy(b, up.URL, nil)
	body := benchRequest(2<<10, true)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := httptest.NewRequest("POST", "/llm/up/v1/chat/completions", bytes.NewReader(body))
			w := httptest.NewRecorder()
			p.ServeHTTP(w, r)
			if w.Code != 200 {
				b.Fatalf("status %d: %s", w.Code, w.Body)
			}
		}
	})
}
