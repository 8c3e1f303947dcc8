package llm

import (
	"strings"

	"github.com/wardenhq/warden/dlp"
)

// anthropicStream rewrites Anthropic message events. Text blocks stream
// through restore and filter delta by delta. A tool_use block is held from
// its start to its stop and sent whole, its input restored and filtered:
// a call cut half-way must not reach the agent at all. Thinking passes
// untouched (it is signed, and keeps its placeholders).
type anthropicStream struct {
	c      *call
	out    *flusher
	blocks map[int]*dlp.Stream
	held   map[int]*heldBlock // tool_use blocks being assembled
	maxIdx int
	// used and blocked count tool_use blocks let through and blocked.
	used, blocked int
}

// heldBlock is a tool_use block being assembled.
type heldBlock struct {
	start *event
	input strings.Builder
}

func newAnthropicStream(c *call, out *flusher) *anthropicStream {
	return &anthropicStream{c: c, out: out, blocks: map[int]*dlp.Stream{}, held: map[int]*heldBlock{}, maxIdx: -1}
}

func (s *anthropicStream) handle(ev *event) bool {
	doc, err := decodeObject(ev.Data)
	if err != nil {
		s.out.raw(ev)
		return true
	}
	idx := intOf(doc["index"])
	switch doc["type"] {
	case "message_start":
		s.c.usage(doc)
	case "message_delta":
		s.c.usage(doc)
		if d, _ := doc["delta"].(map[string]any); d != nil && d["stop_reason"] == "tool_use" && s.blocked > 0 && s.used == 0 {
			// Every tool call was blocked: the turn ends with the notes.
			d["stop_reason"] = "end_turn"
			b, _ := marshal(doc)
			s.out.event(ev.Name, b)
			return true
		}
	case "content_block_start":
		s.maxIdx = max(s.maxIdx, idx)
		if cb, ok := doc["content_block"].(map[string]any); ok && cb["type"] == "tool_use" {
			s.held[idx] = &heldBlock{start: ev}
			s.blocks[idx] = s.c.newTextStream(true)
			return true
		}
	case "content_block_delta":
		d, _ := doc["delta"].(map[string]any)
		if h := s.held[idx]; h != nil {
			if pj, ok := d["partial_json"].(string); ok {
				h.input.WriteString(s.blocks[idx].Push(pj))
			}
			return true
		}
		if text, ok := d["text"].(string); ok && d["type"] == "text_delta" {
			st := s.blocks[idx]
			if st == nil {
				st = s.c.newTextStream(false)
				s.blocks[idx] = st
			}
			d["text"] = st.Push(text)
			if st.Blocked != nil {
				s.c.collect(st)
				s.cut(idx, d["text"].(string), true)
				return false
			}
			b, _ := marshal(doc)
			s.out.event(ev.Name, b)
			return true
		}
	case "content_block_stop":
		st := s.blocks[idx]
		if st == nil {
			break
		}
		rest := st.Flush()
		s.c.collect(st)
		if h := s.held[idx]; h != nil {
			delete(s.held, idx)
			if st.Blocked != nil {
				s.cut(idx, "", false)
				return false
			}
			h.input.WriteString(rest)
			if note := s.gateBlock(h); note != "" {
				// The block's index carries the note as text instead.
				s.c.anthropicText(s.out, idx, note, true)
				s.blocked++
				return true
			}
			s.used++
			s.out.raw(h.start)
			s.out.json("content_block_delta", map[string]any{"type": "content_block_delta", "index": idx,
				"delta": map[string]any{"type": "input_json_delta", "partial_json": h.input.String()}})
			break
		}
		if st.Blocked != nil {
			s.cut(idx, rest, true)
			return false
		}
		if rest != "" {
			s.out.json("content_block_delta", map[string]any{"type": "content_block_delta", "index": idx,
				"delta": map[string]any{"type": "text_delta", "text": rest}})
		}
	}
	s.out.raw(ev)
	return true
}

// cut ends the reply: the text released so far (if the block at idx was
// opened), the notice in a text block, and a normal end of message. A held
// tool_use block is never opened: its index carries the notice instead.
func (s *anthropicStream) cut(idx int, released string, opened bool) {
	next := idx
	if opened {
		if released != "" {
			s.out.json("content_block_delta", map[string]any{"type": "content_block_delta", "index": idx,
				"delta": map[string]any{"type": "text_delta", "text": released}})
		}
		s.out.json("content_block_stop", map[string]any{"type": "content_block_stop", "index": idx})
		next = s.maxIdx + 1
	}
	s.c.anthropicText(s.out, next, s.c.outputBlockedText(), true)
	s.out.json("message_delta", map[string]any{"type": "message_delta", "delta": map[string]any{"stop_reason": "end_turn", "stop_sequence": nil}, "usage": map[string]any{"output_tokens": s.c.tokensOut}})
	s.out.json("message_stop", map[string]any{"type": "message_stop"})
}

// gateBlock decides a complete tool_use block; "" lets it through.
func (s *anthropicStream) gateBlock(h *heldBlock) string {
	var name string
	var start map[string]any
	if doc, err := decodeObject(h.start.Data); err == nil {
		if cb, ok := doc["content_block"].(map[string]any); ok {
			name, _ = cb["name"].(string)
			start, _ = cb["input"].(map[string]any)
		}
	}
	input := h.input.String()
	switch {
	case strings.TrimSpace(input) == "" && len(start) > 0:
		// No deltas: clients take the input the block started with.
		b, _ := marshal(start)
		input = string(b)
	case strings.TrimSpace(input) == "":
		input = "{}"
	case len(start) > 0:
		// Both a starting input and deltas: which one a client runs is
		// not Warden's guess to make.
		input = "not one input"
	}
	return s.c.gate(name, input)
}

func (s *anthropicStream) end() {
	for _, st := range s.blocks {
		s.c.collect(st)
	}
}
