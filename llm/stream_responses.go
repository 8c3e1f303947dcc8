package llm

import (
	"github.com/wardenhq/warden/dlp"
)

// responsesStream rewrites OpenAI Responses events: text and argument
// deltas are streamed through restore and filter; the events that repeat
// the whole text (*.done, response.completed) are transformed whole.
type responsesStream struct {
	c    *call
	out  *flusher
	text map[[2]int]*dlp.Stream // by output index and content index
	args map[int]*dlp.Stream    // by output index
}

func newResponsesStream(c *call, out *flusher) *responsesStream {
	return &responsesStream{c: c, out: out, text: map[[2]int]*dlp.Stream{}, args: map[int]*dlp.Stream{}}
}

func (s *responsesStream) handle(ev *event) bool {
	doc, err := decodeObject(ev.Data)
	if err != nil {
		s.out.raw(ev)
		return true
	}
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
	s.out.json("response.completed", map[string]any{"type": "response.completed", "response": resp})
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
