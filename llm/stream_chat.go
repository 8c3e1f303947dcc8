package llm

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"github.com/wardenhq/warden/dlp"
)

// chatStream rewrites OpenAI chat completion chunks. Text (delta.content)
// streams through restore and filter piece by piece. Tool calls are held
// until their choice finishes and then sent whole: a call cut half-way
// (its arguments held a private key) must not reach the agent at all, and
// agents act on a tool call only once it is complete anyway.
type chatStream struct {
	c    *call
	out  *flusher
	text map[int]*dlp.Stream // by choice
	// reasoning streams, by choice and field
	reasoning map[reasoningKey]*dlp.Stream
	calls     map[[2]int]*heldCall
	last      map[string]any // the last chunk, a template for our own
	// lastRaw is the last chunk when the fast path did not decode it.
	lastRaw []byte
}

// fast handles the common chunk — one choice, a text delta, no tool calls,
// no finish, no usage — by splicing the released text into the chunk's
// bytes. done is false when the chunk needs the full path.
func (s *chatStream) fast(ev *event) (done, cont bool) {
	d := ev.Data
	if _, _, ok := valueSpan(d, "choices", 1); ok {
		return false, false
	}
	if us, ue, ok := valueSpan(d, "usage"); ok && !isNull(d, us, ue) {
		return false, false
	}
	if fs, fe, ok := valueSpan(d, "choices", 0, "finish_reason"); ok && !isNull(d, fs, fe) {
		return false, false
	}
	for _, k := range []string{"tool_calls", "function_call", "reasoning_content", "reasoning"} {
		if _, _, ok := valueSpan(d, "choices", 0, "delta", k); ok {
			return false, false
		}
	}
	cs, ce, ok := valueSpan(d, "choices", 0, "delta", "content")
	if !ok || d[cs] != '"' {
		return false, false
	}
	is, ie, ok := valueSpan(d, "choices", 0, "index")
	if !ok {
		return false, false
	}
	var text string
	var idx int
	if json.Unmarshal(d[cs:ce], &text) != nil || json.Unmarshal(d[is:ie], &idx) != nil {
		return false, false
	}
	st := s.stream(idx)
	released := st.Push(text)
	if st.Blocked != nil {
		// The cut needs the chunk as a document.
		chunk, err := decodeObject(d)
		if err != nil {
			return false, false
		}
		s.c.collect(st)
		choice := chunk["choices"].([]any)[0].(map[string]any)
		choice["delta"].(map[string]any)["content"] = released
		s.last = chunk
		s.cut(chunk, choice)
		return true, false
	}
	s.last, s.lastRaw = nil, d
	if released == text {
		s.out.raw(ev)
		return true, true
	}
	q, err := marshal(released)
	if err != nil {
		return false, false
	}
	out := make([]byte, 0, len(d)-(ce-cs)+len(q))
	out = append(append(append(out, d[:cs]...), q...), d[ce:]...)
	s.out.event(ev.Name, out)
	return true, true
}

// template returns the last chunk as a document, for chunks of our own.
func (s *chatStream) template() map[string]any {
	if s.last == nil && s.lastRaw != nil {
		s.last, _ = decodeObject(s.lastRaw)
		s.lastRaw = nil
	}
	if s.last == nil {
		return map[string]any{}
	}
	return s.last
}

// legacyCall is the held-call index of the legacy delta.function_call.
const legacyCall = -1

// heldCall is a tool call being assembled: its fields from the first
// chunk, its arguments restored and filtered as they arrive.
type heldCall struct {
	fields map[string]any // id, type, function.name ...
	args   *dlp.Stream
	buf    strings.Builder
}

func newChatStream(c *call, out *flusher) *chatStream {
	return &chatStream{c: c, out: out, text: map[int]*dlp.Stream{}, calls: map[[2]int]*heldCall{}, reasoning: map[reasoningKey]*dlp.Stream{}}
}

type reasoningKey struct {
	choice int
	field  string
}

func (s *chatStream) reasoningStream(idx int, field string) *dlp.Stream {
	k := reasoningKey{idx, field}
	st := s.reasoning[k]
	if st == nil {
		st = s.c.newTextStream(false)
		s.reasoning[k] = st
	}
	return st
}

func (s *chatStream) handle(ev *event) bool {
	if string(ev.Data) == "[DONE]" {
		s.out.raw(ev)
		return true
	}
	if done, cont := s.fast(ev); done {
		return cont
	}
	chunk, err := decodeObject(ev.Data)
	if err != nil {
		s.out.raw(ev)
		return true
	}
	s.last, s.lastRaw = chunk, nil
	s.c.usage(chunk)
	choices, _ := chunk["choices"].([]any)
	if len(choices) == 0 && chunk["usage"] != nil && s.c.usageAdded {
		return true // usage Warden asked for; the client did not
	}
	changed, empty := false, len(choices) > 0
	for _, ch := range choices {
		choice, ok := ch.(map[string]any)
		if !ok {
			empty = false
			continue
		}
		idx := intOf(choice["index"])
		delta, _ := choice["delta"].(map[string]any)
		if delta == nil {
			delta = map[string]any{}
			choice["delta"] = delta
		}
		if text, ok := delta["content"].(string); ok {
			delta["content"] = s.stream(idx).Push(text)
			changed = true
		}
		// Reasoning text some providers stream beside the answer is model
		// output like any other: restored and filtered on its own channel.
		for _, k := range []string{"reasoning_content", "reasoning"} {
			if text, ok := delta[k].(string); ok {
				delta[k] = s.reasoningStream(idx, k).Push(text)
				changed = true
			}
		}
		if tcs, ok := delta["tool_calls"]; ok {
			s.hold(idx, tcs)
			delete(delta, "tool_calls")
			changed = true
		}
		if fc, ok := delta["function_call"].(map[string]any); ok {
			// The legacy single function call: held and decided the same
			// way, under index -1.
			s.hold(idx, []any{map[string]any{"index": legacyCall, "function": fc}})
			delete(delta, "function_call")
			changed = true
		}
		finished := choice["finish_reason"] != nil
		if finished {
			changed = true
			if !s.finishChoice(idx, chunk, choice) {
				return false
			}
		}
		if st := s.text[idx]; st != nil && st.Blocked != nil {
			s.c.collect(st)
			s.cut(chunk, choice)
			return false
		}
		for k, st := range s.reasoning {
			if k.choice == idx && st.Blocked != nil {
				s.c.collect(st)
				delete(delta, k.field)
				s.cut(chunk, choice)
				return false
			}
		}
		if len(delta) > 0 && (len(delta) > 1 || delta["content"] != "") || finished || choice["logprobs"] != nil {
			empty = false
		}
	}
	switch {
	case empty:
		return true // only held tool call pieces: nothing to send yet
	case !changed:
		s.out.raw(ev)
	default:
		b, err := marshal(chunk)
		if err != nil {
			s.out.raw(ev)
			return true
		}
		s.out.event(ev.Name, b)
	}
	return true
}

func (s *chatStream) stream(idx int) *dlp.Stream {
	st := s.text[idx]
	if st == nil {
		st = s.c.newTextStream(false)
		s.text[idx] = st
	}
	return st
}

// hold adds tool call pieces to the calls being assembled.
func (s *chatStream) hold(choice int, tcs any) {
	for _, tc := range objects(tcs) {
		k := [2]int{choice, intOf(tc["index"])}
		h := s.calls[k]
		if h == nil {
			h = &heldCall{fields: map[string]any{}, args: s.c.newTextStream(true)}
			s.calls[k] = h
		}
		for f, v := range tc {
			if f != "function" && f != "index" {
				h.fields[f] = v
			}
		}
		fn, _ := tc["function"].(map[string]any)
		if name, ok := fn["name"].(string); ok && name != "" {
			h.fields["name"] = name
		}
		if a, ok := fn["arguments"].(string); ok {
			h.buf.WriteString(h.args.Push(a))
		}
	}
}

// finishChoice releases what a choice holds as its stream ends: the rest of
// its text into the finishing chunk, and its tool calls, whole, in a chunk
// of their own before it. It returns false if the reply was cut.
func (s *chatStream) finishChoice(idx int, chunk, choice map[string]any) bool {
	delta := choice["delta"].(map[string]any)
	if st := s.text[idx]; st != nil {
		if rest := st.Flush(); rest != "" {
			prev, _ := delta["content"].(string)
			delta["content"] = prev + rest
		}
		s.c.collect(st)
		if st.Blocked != nil {
			s.cut(chunk, choice)
			return false
		}
	}
	for k, st := range s.reasoning {
		if k.choice != idx {
			continue
		}
		if rest := st.Flush(); rest != "" {
			prev, _ := delta[k.field].(string)
			delta[k.field] = prev + rest
		}
		s.c.collect(st)
		if st.Blocked != nil {
			s.cut(chunk, choice)
			return false
		}
	}
	var keys [][2]int
	for k := range s.calls {
		if k[0] == idx {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b [2]int) int { return a[1] - b[1] })
	var calls []any
	var notes []string
	var legacy map[string]any
	for _, k := range keys {
		h := s.calls[k]
		delete(s.calls, k)
		h.buf.WriteString(h.args.Flush())
		s.c.collect(h.args)
		if h.args.Blocked != nil {
			s.cut(chunk, choice)
			return false
		}
		tc := maps.Clone(h.fields)
		name, _ := tc["name"].(string)
		delete(tc, "name")
		if note := s.c.gate(name, h.buf.String()); note != "" {
			notes = append(notes, note)
			continue
		}
		fn := map[string]any{"name": name, "arguments": h.buf.String()}
		if k[1] == legacyCall {
			legacy = fn
			continue
		}
		// Kept calls are renumbered: a client may expect indexes 0, 1, ...
		tc["index"] = len(calls)
		tc["function"] = fn
		calls = append(calls, tc)
	}
	if len(calls) > 0 {
		s.out.json("", s.chunk(map[string]any{"index": idx, "delta": map[string]any{"tool_calls": calls}, "finish_reason": nil}))
	}
	if legacy != nil {
		s.out.json("", s.chunk(map[string]any{"index": idx, "delta": map[string]any{"function_call": legacy}, "finish_reason": nil}))
	}
	if len(notes) > 0 {
		// A blocked call becomes assistant text naming the rule; if no
		// call is left, the turn ends instead of waiting for tool results.
		prev, _ := delta["content"].(string)
		delta["content"] = joinNotes(prev, notes)
		if fr := choice["finish_reason"]; (fr == "tool_calls" && len(calls) == 0) || (fr == "function_call" && legacy == nil) {
			choice["finish_reason"] = "stop"
		}
	}
	return true
}

// chunk makes a chunk of our own, shaped like the upstream's.
func (s *chatStream) chunk(choices ...any) map[string]any {
	t := s.template()
	return map[string]any{"id": t["id"], "object": "chat.completion.chunk", "created": t["created"], "model": t["model"], "choices": choices}
}

// cut ends the reply: what was released so far, then a notice in place of
// the rest, a stop, and [DONE]. Held tool calls are dropped unsent.
func (s *chatStream) cut(chunk, choice map[string]any) {
	delta, _ := choice["delta"].(map[string]any)
	prev, _ := delta["content"].(string)
	delta["content"] = prev + "\n\n" + s.c.outputBlockedText()
	delete(delta, "tool_calls")
	choice["finish_reason"] = "stop"
	chunk["choices"] = []any{choice}
	s.out.json("", chunk)
	s.out.done()
}

// end releases text still held if the upstream ended without a finish
// reason. Unfinished tool calls are dropped: half a call is not a call.
func (s *chatStream) end() {
	for idx, st := range s.text {
		if st.Pending() && s.c.outBlocked == "" && s.out.err == nil && (s.last != nil || s.lastRaw != nil) {
			rest := st.Flush()
			if rest != "" && st.Blocked == nil {
				s.out.json("", s.chunk(map[string]any{"index": idx, "delta": map[string]any{"content": rest}, "finish_reason": nil}))
			}
		}
		s.c.collect(st)
	}
	for _, h := range s.calls {
		s.c.collect(h.args)
	}
	for _, st := range s.reasoning {
		s.c.collect(st)
	}
}
