package llm

import (
	"net/http"

	"github.com/wardenhq/warden/dlp"
)

// responsesStream rewrites OpenAI Responses events: text and argument
// deltas are streamed through restore and filter; the events that repeat
// the whole text (*.done, response.completed) are transformed whole.
//
// A function call item is held from output_item.added to output_item.done
// (its events transformed as usual, into a buffer) and then either sent on
// or, if the tool plane blocks it, replaced by a message item whose text
// names the rule; response.completed then carries the same replacement.
type responsesStream struct {
	c    *call
	out  *flusher               // where the event being handled goes
	base *flusher               // the agent
	text map[[2]int]*dlp.Stream // by output index and content index
	args map[int]*dlp.Stream    // by output index
	held map[int]*heldItem      // function calls being assembled, by output index
	// replaced maps the id of each blocked function call item to the
	// message item that took its place; allowed holds the ids let through.
	replaced map[string]map[string]any
	allowed  map[string]bool
}

// heldItem is a function call item's events, transformed and buffered.
type heldItem struct {
	buf *bufferWriter
	out *flusher
}

func newResponsesStream(c *call, out *flusher) *responsesStream {
	return &responsesStream{c: c, out: out, base: out, text: map[[2]int]*dlp.Stream{}, args: map[int]*dlp.Stream{},
		held: map[int]*heldItem{}, replaced: map[string]map[string]any{}, allowed: map[string]bool{}}
}

func (s *responsesStream) handle(ev *event) bool {
	doc, err := decodeObject(ev.Data)
	if err != nil {
		s.out.raw(ev)
		return true
	}
	oi := intOf(doc["output_index"])
	typ := doc["type"]
	if item, ok := doc["item"].(map[string]any); ok && item["type"] == "function_call" && s.held[oi] == nil &&
		(typ == "response.output_item.added" || typ == "response.output_item.done") {
		// Held from its announcement; a call that was never announced is
		// held for its one event, so that it is decided all the same.
		buf := &bufferWriter{h: http.Header{}}
		s.held[oi] = &heldItem{buf: buf, out: newFlusher(buf)}
	}
	_, hasIndex := doc["output_index"]
	h := s.held[oi]
	if h == nil || !hasIndex {
		return s.handleDoc(ev, doc)
	}
	s.out = h.out
	cont := s.handleDoc(ev, doc)
	s.out = s.base
	if cont && typ == "response.output_item.done" {
		delete(s.held, oi)
		item, _ := doc["item"].(map[string]any)
		name, _ := item["name"].(string)
		args, _ := item["arguments"].(string)
		if note := s.c.gate(name, args); note != "" {
			s.writeNote(oi, item, note, doc["sequence_number"])
		} else {
			id, _ := item["id"].(string)
			s.allowed[id] = true
			s.out.bytes(h.buf.Bytes())
		}
	}
	return cont
}

// writeNote sends, at output index oi, the message item that replaces a
// blocked function call.
func (s *responsesStream) writeNote(oi int, call map[string]any, note string, seq any) {
	item := noteItem(call, note)
	id, _ := call["id"].(string)
	s.replaced[id] = item
	part := item["content"].([]any)[0]
	open := map[string]any{"type": "message", "id": item["id"], "status": "in_progress", "role": "assistant", "content": []any{}}
	s.out.json("response.output_item.added", map[string]any{"type": "response.output_item.added", "sequence_number": seq, "output_index": oi, "item": open})
	s.out.json("response.content_part.added", map[string]any{"type": "response.content_part.added", "sequence_number": seq, "item_id": item["id"],
		"output_index": oi, "content_index": 0, "part": map[string]any{"type": "output_text", "text": "", "annotations": []any{}}})
	s.out.json("response.output_text.delta", map[string]any{"type": "response.output_text.delta", "sequence_number": seq, "item_id": item["id"],
		"output_index": oi, "content_index": 0, "delta": note})
	s.out.json("response.output_text.done", map[string]any{"type": "response.output_text.done", "sequence_number": seq, "item_id": item["id"],
		"output_index": oi, "content_index": 0, "text": note})
	s.out.json("response.content_part.done", map[string]any{"type": "response.content_part.done", "sequence_number": seq, "item_id": item["id"],
		"output_index": oi, "content_index": 0, "part": part})
	s.out.json("response.output_item.done", map[string]any{"type": "response.output_item.done", "sequence_number": seq, "output_index": oi, "item": item})
}

// gateFinal makes the final response agree with what was streamed: a
// blocked call is replaced by its note, and a function call the stream
// never showed is decided now.
func (s *responsesStream) gateFinal(doc map[string]any) {
	resp, _ := doc["response"].(map[string]any)
	out, _ := resp["output"].([]any)
	for i, it := range out {
		item, ok := it.(map[string]any)
		if !ok || item["type"] != "function_call" {
			continue
		}
		id, _ := item["id"].(string)
		switch {
		case s.replaced[id] != nil:
			out[i] = s.replaced[id]
		case !s.allowed[id]:
			name, _ := item["name"].(string)
			args, _ := item["arguments"].(string)
			if note := s.c.gate(name, args); note != "" {
				out[i] = noteItem(item, note)
				s.replaced[id] = out[i].(map[string]any)
			} else {
				s.allowed[id] = true
			}
		}
	}
}

func (s *responsesStream) handleDoc(ev *event, doc map[string]any) bool {
	oi, ci := intOf(doc["output_index"]), intOf(doc["content_index"])
	switch doc["type"] {
	case "response.output_text.delta":
		st := s.textStream(oi, ci)
		doc["delta"] = st.Push(str(doc["delta"]))
		return s.emit(ev, doc, st)
	case "response.function_call_arguments.delta":
		st := s.argStream(oi)
		doc["delta"] = st.Push(str(doc["delta"]))
		return s.emit(ev, doc, st)
	case "response.output_text.done":
		if st := s.text[[2]int{oi, ci}]; st != nil {
			if rest := st.Flush(); rest != "" {
				s.out.json("response.output_text.delta", map[string]any{"type": "response.output_text.delta", "item_id": doc["item_id"],
					"output_index": oi, "content_index": ci, "delta": rest, "sequence_number": doc["sequence_number"]})
			}
			s.c.collect(st)
			if s.c.outBlocked != "" {
				s.cut()
				return false
			}
		}
		return s.whole(ev, doc)
	case "response.function_call_arguments.done":
		if st := s.args[oi]; st != nil {
			if rest := st.Flush(); rest != "" {
				s.out.json("response.function_call_arguments.delta", map[string]any{"type": "response.function_call_arguments.delta", "item_id": doc["item_id"],
					"output_index": oi, "delta": rest, "sequence_number": doc["sequence_number"]})
			}
			s.c.collect(st)
			if s.c.outBlocked != "" {
				s.cut()
				return false
			}
		}
		return s.whole(ev, doc)
	case "response.completed", "response.incomplete", "response.failed":
		s.c.usage(doc)
		return s.whole(ev, doc)
	case "response.output_item.done", "response.content_part.done":
		return s.whole(ev, doc)
	}
	s.out.raw(ev)
	return true
}

// emit relays a delta event, or cuts the reply if its stream blocked.
func (s *responsesStream) emit(ev *event, doc map[string]any, st *dlp.Stream) bool {
	if st.Blocked != nil {
		s.c.collect(st)
		if d := str(doc["delta"]); d != "" {
			b, _ := marshal(doc)
			s.out.event(ev.Name, b)
		}
		s.cut()
		return false
	}
	b, _ := marshal(doc)
	s.out.event(ev.Name, b)
	return true
}

// whole transforms an event that carries complete text. The masking it
// does was already counted on the deltas.
func (s *responsesStream) whole(ev *event, doc map[string]any) bool {
	t := &transformer{vault: s.c.vault, filter: s.c.outputFilter(), masked: map[dlp.Type]int{}}
	for _, k := range []string{"text", "arguments", "item", "part", "response"} {
		if v, ok := doc[k]; ok {
			doc[k] = t.value(v, k)
		}
	}
	if t.blocked != nil {
		if s.c.outBlocked == "" {
			s.c.outBlocked = t.blocked.Type
		}
		s.cut()
		return false
	}
	switch doc["type"] {
	case "response.completed", "response.incomplete", "response.failed":
		// After the transform: calls are decided on restored arguments.
		s.gateFinal(doc)
	}
	b, _ := marshal(doc)
	s.out.event(ev.Name, b)
	return true
}

func (s *responsesStream) textStream(oi, ci int) *dlp.Stream {
	k := [2]int{oi, ci}
	st := s.text[k]
	if st == nil {
		st = s.c.newTextStream(false)
		s.text[k] = st
	}
	return st
}

func (s *responsesStream) argStream(oi int) *dlp.Stream {
	st := s.args[oi]
	if st == nil {
		st = s.c.newTextStream(true)
		s.args[oi] = st
	}
	return st
}

// cut ends the reply with a completed response whose only text is the
// notice.
func (s *responsesStream) cut() {
	text := s.c.outputBlockedText()
	resp := responseObject("cut-"+newNonce(), s.c.model, s.c.start.Unix(), text)
	s.base.json("response.completed", map[string]any{"type": "response.completed", "response": resp})
}

func (s *responsesStream) end() {
	for _, st := range s.text {
		s.c.collect(st)
	}
	for _, st := range s.args {
		s.c.collect(st)
	}
}

func str(v any) string { s, _ := v.(string); return s }
