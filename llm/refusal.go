package llm

import (
	"encoding/json"
	"net/http"
)

// writeRefusal answers with one assistant message carrying text, in the
// shape of the endpoint called, streamed if the request streamed.
func (c *call) writeRefusal(text string) {
	id := "warden-" + newNonce()
	model := c.model
	if model == "" {
		model = "warden"
	}
	created := c.start.Unix()
	h := c.w.Header()
	if !c.stream {
		h.Set("Content-Type", "application/json")
		c.w.WriteHeader(http.StatusOK)
		var body any
		switch {
		case c.protocol == protoAnthropic:
			body = anthropicMessage(id, model, text)
		case c.ep == epResponses:
			body = responseObject(id, model, created, text)
		default:
			body = map[string]any{
				"id": id, "object": "chat.completion", "created": created, "model": model,
				"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": text}, "finish_reason": "stop"}},
				"usage":   map[string]any{"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
			}
		}
		json.NewEncoder(c.w).Encode(body)
		return
	}
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	c.w.WriteHeader(http.StatusOK)
	out := newFlusher(c.w)
	switch {
	case c.protocol == protoAnthropic:
		out.json("message_start", map[string]any{"type": "message_start", "message": anthropicStart(id, model)})
		c.anthropicText(out, 0, text, true)
		out.json("message_delta", map[string]any{"type": "message_delta", "delta": map[string]any{"stop_reason": "end_turn", "stop_sequence": nil}, "usage": map[string]any{"output_tokens": 0}})
		out.json("message_stop", map[string]any{"type": "message_stop"})
	case c.ep == epResponses:
		resp := responseObject(id, model, created, text)
		inProgress := responseObject(id, model, created, "")
		inProgress["status"] = "in_progress"
		inProgress["output"] = []any{}
		item := resp["output"].([]any)[0].(map[string]any)
		part := item["content"].([]any)[0]
		seq := 0
		next := func() int { seq++; return seq }
		out.json("response.created", map[string]any{"type": "response.created", "sequence_number": next(), "response": inProgress})
		out.json("response.output_item.added", map[string]any{"type": "response.output_item.added", "sequence_number": next(), "output_index": 0,
			"item": map[string]any{"type": "message", "id": item["id"], "status": "in_progress", "role": "assistant", "content": []any{}}})
		out.json("response.content_part.added", map[string]any{"type": "response.content_part.added", "sequence_number": next(), "item_id": item["id"], "output_index": 0, "content_index": 0,
			"part": map[string]any{"type": "output_text", "text": "", "annotations": []any{}}})
		out.json("response.output_text.delta", map[string]any{"type": "response.output_text.delta", "sequence_number": next(), "item_id": item["id"], "output_index": 0, "content_index": 0, "delta": text})
		out.json("response.output_text.done", map[string]any{"type": "response.output_text.done", "sequence_number": next(), "item_id": item["id"], "output_index": 0, "content_index": 0, "text": text})
		out.json("response.content_part.done", map[string]any{"type": "response.content_part.done", "sequence_number": next(), "item_id": item["id"], "output_index": 0, "content_index": 0, "part": part})
		out.json("response.output_item.done", map[string]any{"type": "response.output_item.done", "sequence_number": next(), "output_index": 0, "item": item})
		out.json("response.completed", map[string]any{"type": "response.completed", "sequence_number": next(), "response": resp})
	default:
		chunk := func(delta map[string]any, finish any) map[string]any {
			return map[string]any{"id": id, "object": "chat.completion.chunk", "created": created, "model": model,
				"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}}}
		}
		out.json("", chunk(map[string]any{"role": "assistant", "content": text}, nil))
		out.json("", chunk(map[string]any{}, "stop"))
		out.json("", map[string]any{"id": id, "object": "chat.completion.chunk", "created": created, "model": model, "choices": []any{},
			"usage": map[string]any{"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}})
		out.done()
	}
}

// anthropicText writes a whole text content block at index.
func (c *call) anthropicText(out *flusher, index int, text string, open bool) {
	if open {
		out.json("content_block_start", map[string]any{"type": "content_block_start", "index": index, "content_block": map[string]any{"type": "text", "text": ""}})
	}
	out.json("content_block_delta", map[string]any{"type": "content_block_delta", "index": index, "delta": map[string]any{"type": "text_delta", "text": text}})
	out.json("content_block_stop", map[string]any{"type": "content_block_stop", "index": index})
}

func anthropicStart(id, model string) map[string]any {
	return map[string]any{"id": id, "type": "message", "role": "assistant", "model": model, "content": []any{},
		"stop_reason": nil, "stop_sequence": nil, "usage": map[string]any{"input_tokens": 0, "output_tokens": 0}}
}

func anthropicMessage(id, model, text string) map[string]any {
	return map[string]any{"id": id, "type": "message", "role": "assistant", "model": model,
		"content":     []any{map[string]any{"type": "text", "text": text}},
		"stop_reason": "end_turn", "stop_sequence": nil, "usage": map[string]any{"input_tokens": 0, "output_tokens": 0}}
}

func responseObject(id, model string, created int64, text string) map[string]any {
	return map[string]any{
		"id": "resp_" + id, "object": "response", "created_at": created, "status": "completed", "model": model,
		"output": []any{map[string]any{
			"type": "message", "id": "msg_" + id, "status": "completed", "role": "assistant",
			"content": []any{map[string]any{"type": "output_text", "text": text, "annotations": []any{}}},
		}},
		"parallel_tool_calls": true, "tool_choice": "auto", "tools": []any{},
		"usage": map[string]any{"input_tokens": 0, "output_tokens": 0, "total_tokens": 0,
			"input_tokens_details": map[string]any{"cached_tokens": 0}, "output_tokens_details": map[string]any{"reasoning_tokens": 0}},
	}
}
