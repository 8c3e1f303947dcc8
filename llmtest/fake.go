// Package llmtest is a fake model provider for tests: an OpenAI- and
// Anthropic-compatible server on loopback that records every request and
// answers with text chosen by the test, streamed in small pieces so that
// anything a proxy must reassemble straddles chunks.
package llmtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// Request is one request the fake received.
type Request struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
}

// JSON decodes the body.
func (r Request) JSON() map[string]any {
	var m map[string]any
	json.Unmarshal(r.Body, &m)
	return m
}

// ToolCall is a tool call the fake answers with instead of text.
type ToolCall struct {
	Name      string
	Arguments string // JSON text
}

// Fake is a running fake provider.
type Fake struct {
	URL string // base URL without /v1

	mu       sync.Mutex
	requests []Request
	// Reply chooses the reply text for a request; by default it echoes the
	// placeholders it saw ("I saw: <EMAIL_1> <PERSON_1>").
	Reply func(req map[string]any) string
	// Tool, when set, makes replies a tool call (a function_call item on
	// the Responses API).
	Tool *ToolCall
	// ToolFor, when set, chooses the tool call per request (nil: a text
	// reply); it overrides Tool. Agents loop: call a tool, then answer.
	ToolFor func(req map[string]any) *ToolCall
	// ChunkSize is the size of streamed text pieces (default 3 bytes).
	ChunkSize int
	// Delay is slept before each streamed piece.
	Delay time.Duration
	// Status, when set, is returned with an error body instead of a reply.
	Status int
	// ErrorHeader is added to the Status answer (Retry-After, say).
	ErrorHeader http.Header
	// Gate, when set, holds streamed replies part-way until it is released.
	Gate *Gate

	srv *httptest.Server
}

// Placeholder matches the placeholders a proxy might use.
var Placeholder = regexp.MustCompile(`<[A-Z_]+_\d+>`)

// EchoPlaceholders is the default reply: the placeholders in the request.
func EchoPlaceholders(req map[string]any) string {
	seen := map[string]bool{}
	for _, p := range Placeholder.FindAllString(jsonText(req), -1) {
		seen[p] = true
	}
	if len(seen) == 0 {
		return "I saw no placeholders."
	}
	list := make([]string, 0, len(seen))
	for p := range seen {
		list = append(list, p)
	}
	sort.Strings(list)
	return "I saw: " + strings.Join(list, " ")
}

// jsonText returns every string in a decoded JSON value (keys too), one a
// line: what a provider reads, whatever escaping the sender used (<EMAIL_1>
// may travel as \u003cEMAIL_1\u003e).
func jsonText(v any) string {
	var b strings.Builder
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			b.WriteString(x)
			b.WriteByte('\n')
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				b.WriteString(k)
				b.WriteByte('\n')
				walk(x[k])
			}
		}
	}
	walk(v)
	return b.String()
}

// Text is the body as the provider reads it: the raw bytes, then (for a
// JSON body) every decoded string, so a value is found however it was
// escaped.
func (r Request) Text() string {
	var v any
	if json.Unmarshal(r.Body, &v) != nil {
		return string(r.Body)
	}
	return string(r.Body) + "\n" + jsonText(v)
}

// Start starts a fake provider, stopped when the test ends.
func Start(t testing.TB) *Fake {
	f := &Fake{Reply: EchoPlaceholders, ChunkSize: 3}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	f.URL = f.srv.URL
	t.Cleanup(f.srv.Close)
	return f
}

// Requests returns what the fake received so far.
func (f *Fake) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Request(nil), f.requests...)
}

// Last returns the last request; it fails the test if there is none.
func (f *Fake) Last(t testing.TB) Request {
	t.Helper()
	rs := f.Requests()
	if len(rs) == 0 {
		t.Fatal("llmtest: the fake provider received no request")
	}
	return rs[len(rs)-1]
}

// Seen reports whether any request (headers or body, raw or decoded)
// contained s.
func (f *Fake) Seen(s string) bool {
	for _, r := range f.Requests() {
		if strings.Contains(r.Text(), s) {
			return true
		}
		for _, vs := range r.Header {
			for _, v := range vs {
				if strings.Contains(v, s) {
					return true
				}
			}
		}
	}
	return false
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.requests = append(f.requests, Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body})
	status, errHeader, reply, tool, size, delay, gate := f.Status, f.ErrorHeader, f.Reply, f.Tool, f.ChunkSize, f.Delay, f.Gate
	toolFor := f.ToolFor
	f.mu.Unlock()
	if size <= 0 {
		size = 3
	}
	if status != 0 {
		for k, vs := range errHeader {
			w.Header()[k] = append([]string(nil), vs...)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"error":{"message":"fake error %d","type":"fake"}}`, status)
		return
	}
	var req map[string]any
	json.Unmarshal(body, &req)
	if toolFor != nil {
		tool = toolFor(req)
	}
	stream, _ := req["stream"].(bool)
	model, _ := req["model"].(string)
	s := &sender{w: w, r: r, size: size, delay: delay, model: model, gate: gate}
	switch {
	case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/models"):
		s.json(map[string]any{"object": "list", "data": []any{map[string]any{"id": "fake-model", "object": "model", "created": 1, "owned_by": "fake"}}})
	case strings.HasSuffix(r.URL.Path, "/chat/completions"):
		s.chat(reply(req), tool, stream, req)
	case strings.HasSuffix(r.URL.Path, "/responses"):
		s.responses(reply(req), tool, stream)
	case strings.HasSuffix(r.URL.Path, "/v1/messages"):
		s.messages(reply(req), tool, stream)
	default:
		http.Error(w, `{"error":{"message":"unknown path"}}`, http.StatusNotFound)
	}
}

// Usage the fake reports on every reply.
const (
	PromptTokens     = 11
	CompletionTokens = 7
)

type sender struct {
	w     http.ResponseWriter
	r     *http.Request
	size  int
	delay time.Duration
	model string
	seq   int
	gate  *Gate
	sent  int // streamed pieces sent so far
}

func (s *sender) json(v any) {
	s.w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(s.w).Encode(v)
}

func (s *sender) startStream() {
	s.w.Header().Set("Content-Type", "text/event-stream")
	s.w.WriteHeader(http.StatusOK)
}

func (s *sender) event(name string, v any) {
	b, _ := json.Marshal(v)
	if name != "" {
		fmt.Fprintf(s.w, "event: %s\n", name)
	}
	fmt.Fprintf(s.w, "data: %s\n\n", b)
	s.w.(http.Flusher).Flush()
}

// pieces splits text into chunks of s.size bytes.
func (s *sender) pieces(text string) []string {
	var out []string
	for i := 0; i < len(text); i += s.size {
		out = append(out, text[i:min(i+s.size, len(text))])
	}
	return out
}

// beforePiece runs before each streamed piece of text or arguments: it
// sleeps for Delay and waits at the gate.
func (s *sender) beforePiece() {
	if s.delay > 0 {
		time.Sleep(s.delay)
	}
	if s.gate != nil && s.sent == s.gate.After {
		s.gate.hold(s.r.Context())
	}
	s.sent++
}

func (s *sender) chat(text string, tool *ToolCall, stream bool, req map[string]any) {
	usage := map[string]any{"prompt_tokens": PromptTokens, "completion_tokens": CompletionTokens, "total_tokens": PromptTokens + CompletionTokens}
	if !stream {
		msg := map[string]any{"role": "assistant", "content": text}
		finish := "stop"
		if tool != nil {
			msg = map[string]any{"role": "assistant", "content": nil, "tool_calls": []any{map[string]any{"id": "call_1", "type": "function",
				"function": map[string]any{"name": tool.Name, "arguments": tool.Arguments}}}}
			finish = "tool_calls"
		}
		s.json(map[string]any{"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": s.model,
			"choices": []any{map[string]any{"index": 0, "message": msg, "finish_reason": finish}}, "usage": usage})
		return
	}
	s.startStream()
	chunk := func(delta map[string]any, finish any) map[string]any {
		return map[string]any{"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": s.model,
			"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}}}
	}
	s.event("", chunk(map[string]any{"role": "assistant", "content": ""}, nil))
	finish := "stop"
	if tool != nil {
		s.event("", chunk(map[string]any{"tool_calls": []any{map[string]any{"index": 0, "id": "call_1", "type": "function",
			"function": map[string]any{"name": tool.Name, "arguments": ""}}}}, nil))
		for _, p := range s.pieces(tool.Arguments) {
			s.beforePiece()
			s.event("", chunk(map[string]any{"tool_calls": []any{map[string]any{"index": 0, "function": map[string]any{"arguments": p}}}}, nil))
		}
		finish = "tool_calls"
	} else {
		for _, p := range s.pieces(text) {
			s.beforePiece()
			s.event("", chunk(map[string]any{"content": p}, nil))
		}
	}
	s.event("", chunk(map[string]any{}, finish))
	if so, _ := req["stream_options"].(map[string]any); so != nil && so["include_usage"] == true {
		s.event("", map[string]any{"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": s.model, "choices": []any{}, "usage": usage})
	}
	fmt.Fprint(s.w, "data: [DONE]\n\n")
}

func (s *sender) next() int { s.seq++; return s.seq }

func (s *sender) responses(text string, tool *ToolCall, stream bool) {
	item := map[string]any{"type": "message", "id": "msg_1", "status": "completed", "role": "assistant",
		"content": []any{map[string]any{"type": "output_text", "text": text, "annotations": []any{}}}}
	if tool != nil {
		item = map[string]any{"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": tool.Name,
			"arguments": tool.Arguments, "status": "completed"}
	}
	resp := map[string]any{"id": "resp_1", "object": "response", "created_at": 1, "status": "completed", "model": s.model,
		"output": []any{item}, "parallel_tool_calls": true, "tool_choice": "auto", "tools": []any{},
		"usage": map[string]any{"input_tokens": PromptTokens, "output_tokens": CompletionTokens, "total_tokens": PromptTokens + CompletionTokens,
			"input_tokens_details": map[string]any{"cached_tokens": 0}, "output_tokens_details": map[string]any{"reasoning_tokens": 0}}}
	if !stream {
		s.json(resp)
		return
	}
	s.startStream()
	created := map[string]any{}
	for k, v := range resp {
		created[k] = v
	}
	created["status"], created["output"] = "in_progress", []any{}
	s.event("response.created", map[string]any{"type": "response.created", "sequence_number": s.next(), "response": created})
	if tool != nil {
		s.event("response.output_item.added", map[string]any{"type": "response.output_item.added", "sequence_number": s.next(), "output_index": 0,
			"item": map[string]any{"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": tool.Name, "arguments": "", "status": "in_progress"}})
		for _, p := range s.pieces(tool.Arguments) {
			s.beforePiece()
			s.event("response.function_call_arguments.delta", map[string]any{"type": "response.function_call_arguments.delta", "sequence_number": s.next(),
				"item_id": "fc_1", "output_index": 0, "delta": p})
		}
		s.event("response.function_call_arguments.done", map[string]any{"type": "response.function_call_arguments.done", "sequence_number": s.next(),
			"item_id": "fc_1", "output_index": 0, "name": tool.Name, "arguments": tool.Arguments})
		s.event("response.output_item.done", map[string]any{"type": "response.output_item.done", "sequence_number": s.next(), "output_index": 0, "item": item})
		s.event("response.completed", map[string]any{"type": "response.completed", "sequence_number": s.next(), "response": resp})
		return
	}
	s.event("response.output_item.added", map[string]any{"type": "response.output_item.added", "sequence_number": s.next(), "output_index": 0,
		"item": map[string]any{"type": "message", "id": "msg_1", "status": "in_progress", "role": "assistant", "content": []any{}}})
	s.event("response.content_part.added", map[string]any{"type": "response.content_part.added", "sequence_number": s.next(), "item_id": "msg_1",
		"output_index": 0, "content_index": 0, "part": map[string]any{"type": "output_text", "text": "", "annotations": []any{}}})
	for _, p := range s.pieces(text) {
		s.beforePiece()
		s.event("response.output_text.delta", map[string]any{"type": "response.output_text.delta", "sequence_number": s.next(), "item_id": "msg_1",
			"output_index": 0, "content_index": 0, "delta": p})
	}
	s.event("response.output_text.done", map[string]any{"type": "response.output_text.done", "sequence_number": s.next(), "item_id": "msg_1",
		"output_index": 0, "content_index": 0, "text": text})
	s.event("response.content_part.done", map[string]any{"type": "response.content_part.done", "sequence_number": s.next(), "item_id": "msg_1",
		"output_index": 0, "content_index": 0, "part": item["content"].([]any)[0]})
	s.event("response.output_item.done", map[string]any{"type": "response.output_item.done", "sequence_number": s.next(), "output_index": 0, "item": item})
	s.event("response.completed", map[string]any{"type": "response.completed", "sequence_number": s.next(), "response": resp})
}

func (s *sender) messages(text string, tool *ToolCall, stream bool) {
	usage := map[string]any{"input_tokens": PromptTokens, "output_tokens": CompletionTokens}
	block := map[string]any{"type": "text", "text": text}
	stop := "end_turn"
	if tool != nil {
		var input any
		json.Unmarshal([]byte(tool.Arguments), &input)
		block = map[string]any{"type": "tool_use", "id": "toolu_1", "name": tool.Name, "input": input}
		stop = "tool_use"
	}
	if !stream {
		s.json(map[string]any{"id": "msg_1", "type": "message", "role": "assistant", "model": s.model,
			"content": []any{block}, "stop_reason": stop, "stop_sequence": nil, "usage": usage})
		return
	}
	s.startStream()
	s.event("message_start", map[string]any{"type": "message_start", "message": map[string]any{"id": "msg_1", "type": "message", "role": "assistant",
		"model": s.model, "content": []any{}, "stop_reason": nil, "stop_sequence": nil, "usage": map[string]any{"input_tokens": PromptTokens, "output_tokens": 0}}})
	if tool != nil {
		s.event("content_block_start", map[string]any{"type": "content_block_start", "index": 0,
			"content_block": map[string]any{"type": "tool_use", "id": "toolu_1", "name": tool.Name, "input": map[string]any{}}})
		for _, p := range s.pieces(tool.Arguments) {
			s.beforePiece()
			s.event("content_block_delta", map[string]any{"type": "content_block_delta", "index": 0, "delta": map[string]any{"type": "input_json_delta", "partial_json": p}})
		}
	} else {
		s.event("content_block_start", map[string]any{"type": "content_block_start", "index": 0, "content_block": map[string]any{"type": "text", "text": ""}})
		for _, p := range s.pieces(text) {
			s.beforePiece()
			s.event("content_block_delta", map[string]any{"type": "content_block_delta", "index": 0, "delta": map[string]any{"type": "text_delta", "text": p}})
		}
	}
	s.event("content_block_stop", map[string]any{"type": "content_block_stop", "index": 0})
	s.event("message_delta", map[string]any{"type": "message_delta", "delta": map[string]any{"stop_reason": stop, "stop_sequence": nil}, "usage": map[string]any{"output_tokens": CompletionTokens}})
	s.event("message_stop", map[string]any{"type": "message_stop"})
}

// Gate holds a streamed reply after its first After pieces (of text or of
// tool arguments) until the test releases it: what reached the client while
// the gate is closed was relayed before the upstream finished.
type Gate struct {
	After int

	reachedOnce, releaseOnce, abandonOnce sync.Once
	reached, release, abandoned           chan struct{}
}

// NewGate returns a gate that holds a stream after n pieces. It is released
// when the test ends, so the fake can shut down.
func NewGate(t testing.TB, n int) *Gate {
	g := &Gate{After: n, reached: make(chan struct{}), release: make(chan struct{}), abandoned: make(chan struct{})}
	t.Cleanup(g.Release)
	return g
}

// Reached is closed once a stream is held at the gate.
func (g *Gate) Reached() <-chan struct{} { return g.reached }

// Abandoned is closed once a held stream's request was cancelled (the
// proxy hung up) before the gate was released.
func (g *Gate) Abandoned() <-chan struct{} { return g.abandoned }

// Release lets held and later streams go on; it may be called more than once.
func (g *Gate) Release() { g.releaseOnce.Do(func() { close(g.release) }) }

// Released reports whether Release was called.
func (g *Gate) Released() bool {
	select {
	case <-g.release:
		return true
	default:
		return false
	}
}

func (g *Gate) hold(ctx context.Context) {
	g.reachedOnce.Do(func() { close(g.reached) })
	select {
	case <-g.release:
	case <-ctx.Done():
		g.abandonOnce.Do(func() { close(g.abandoned) })
	}
}
