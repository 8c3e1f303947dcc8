package llm

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/dlp"
)

// flusher writes server-sent events to the agent, each flushed as soon as
// it is written: a stream is relayed event by event, never buffered.
type flusher struct {
	w   http.ResponseWriter
	rc  *http.ResponseController
	err error
	// manual leaves flushing to the caller, who flushes whenever it would
	// otherwise wait for the upstream: events that arrived together leave
	// together, and none waits for a later one.
	manual bool
}

func newFlusher(w http.ResponseWriter) *flusher {
	return &flusher{w: w, rc: http.NewResponseController(w)}
}

func (f *flusher) flush() {
	if f.err == nil {
		if err := f.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
			f.err = err
		}
	}
}

func (f *flusher) event(name string, data []byte) {
	if f.err == nil {
		f.err = writeEvent(f.w, name, data)
		if !f.manual {
			f.flush()
		}
	}
}

func (f *flusher) json(name string, v any) {
	b, err := marshal(v)
	if err != nil {
		f.err = err
		return
	}
	f.event(name, b)
}

func (f *flusher) raw(ev *event) {
	if f.err == nil {
		f.err = writeRaw(f.w, ev)
		if !f.manual {
			f.flush()
		}
	}
}

// bytes writes events already in wire form.
func (f *flusher) bytes(b []byte) {
	if f.err == nil && len(b) > 0 {
		_, f.err = f.w.Write(b)
		if !f.manual {
			f.flush()
		}
	}
}

// bufferWriter collects events to be sent later (or never).
type bufferWriter struct {
	bytes.Buffer
	h http.Header
}

func (b *bufferWriter) Header() http.Header { return b.h }
func (b *bufferWriter) WriteHeader(int)     {}

func (f *flusher) done() { f.event("", []byte("[DONE]")) }

// streamHandler rewrites one protocol's events. handle returns false to
// stop relaying (the reply was cut).
type streamHandler interface {
	handle(ev *event) bool
	// end runs when the upstream stream ends; it releases anything held.
	end()
}

// relayStream relays a streamed reply event by event, restoring
// placeholders and filtering output on the way.
func (c *call) relayStream(resp *http.Response) {
	h := c.w.Header()
	copyHeaders(h, resp.Header)
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	c.w.WriteHeader(resp.StatusCode)
	out := newFlusher(c.w)
	out.flush()
	if c.outMasked == nil {
		c.outMasked = map[dlp.Type]int{}
	}
	var sh streamHandler
	switch {
	case c.protocol == protoAnthropic:
		sh = newAnthropicStream(c, out)
	case c.ep == epResponses:
		sh = newResponsesStream(c, out)
	default:
		sh = newChatStream(c, out)
	}
	rd := newSSEReader(resp.Body)
	out.manual = true
	for out.err == nil {
		if !rd.eventReady() {
			out.flush() // about to wait for the upstream: send what we have
		}
		ev, err := rd.Next()
		if err != nil {
			if !errors.Is(err, io.EOF) && c.r.Context().Err() == nil {
				c.errCode = warden.EUNAVAILABLE
				c.p.log.Warn("model stream ended early", "provider", c.prov.name, "err", err)
			}
			break
		}
		if !sh.handle(ev) {
			break
		}
	}
	sh.end()
	out.flush()
	if (out.err != nil || c.r.Context().Err() != nil) && c.errCode == "" {
		c.errCode = "client_gone"
	}
	if c.outBlocked != "" {
		c.decision = warden.Decision{Effect: warden.Deny, Rule: "llm.output", Reason: "the reply contained " + describeTypes([]dlp.Type{c.outBlocked})}
	}
}

// newTextStream returns a restoring, filtering stream for one channel of
// model text.
func (c *call) newTextStream(jsonText bool) *dlp.Stream {
	return dlp.NewStream(c.vault, c.outputFilter(), jsonText)
}

// collect adds a finished stream's masking counts to the call and notes
// a block.
func (c *call) collect(s *dlp.Stream) {
	for t, n := range s.Masked {
		c.outMasked[t] += n
	}
	s.Masked = map[dlp.Type]int{}
	if s.Blocked != nil && c.outBlocked == "" {
		c.outBlocked = s.Blocked.Type
	}
}

// usage reads token counts from a reply or a stream event in any of the
// three shapes.
func (c *call) usage(doc map[string]any) {
	var u map[string]any
	switch {
	case doc["usage"] != nil:
		u, _ = doc["usage"].(map[string]any)
	case doc["message"] != nil: // Anthropic message_start
		if m, ok := doc["message"].(map[string]any); ok {
			u, _ = m["usage"].(map[string]any)
		}
	case doc["response"] != nil: // Responses completed
		if r, ok := doc["response"].(map[string]any); ok {
			u, _ = r["usage"].(map[string]any)
		}
	}
	if u == nil {
		return
	}
	if n := num(u["prompt_tokens"]) + num(u["input_tokens"]) + num(u["cache_creation_input_tokens"]) + num(u["cache_read_input_tokens"]); n > 0 {
		c.tokensIn = n
	}
	if n := num(u["completion_tokens"]) + num(u["output_tokens"]); n > 0 {
		c.tokensOut = n
	}
}

func num(v any) int64 {
	switch x := v.(type) {
	case json.Number:
		n, _ := x.Int64()
		return n
	case float64:
		return int64(x)
	case int:
		return int64(x)
	}
	return 0
}

func intOf(v any) int { return int(num(v)) }
