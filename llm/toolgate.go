package llm

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/wardenhq/warden"
)

// ToolGate decides the tool calls a model emits, before the agent sees
// them: the model plane's enforcement of the tool plane's policy, which
// holds even for an agent whose plugin failed to load or that has none.
type ToolGate interface {
	// GateTool decides one complete call (arguments as the model wrote
	// them, a JSON document). It returns "" to let the call through, or the
	// assistant text that replaces it, naming the rule that stopped it.
	GateTool(ctx context.Context, p *warden.Principal, session, tool, arguments string) string
}

// gate decides one tool call; "" lets it through.
func (c *call) gate(name, arguments string) string {
	c.toolCalls++
	if c.p.opts.Tools == nil || c.principal == nil {
		return ""
	}
	text := c.p.opts.Tools.GateTool(c.r.Context(), c.principal, c.session, name, arguments)
	if text != "" {
		c.toolsCut++
	}
	return text
}

// joinNotes joins the texts of blocked calls into one message.
func joinNotes(prev string, notes []string) string {
	if len(notes) == 0 {
		return prev
	}
	all := strings.Join(notes, "\n")
	if prev != "" {
		return prev + "\n\n" + all
	}
	return all
}

// gateReply decides the tool calls of a whole (non-streamed) reply in
// place: a blocked call is removed and its text added as assistant text.
func (c *call) gateReply(doc map[string]any) {
	switch {
	case c.protocol == protoAnthropic:
		c.gateAnthropicReply(doc)
	case c.ep == epResponses:
		c.gateResponsesReply(doc)
	default:
		c.gateChatReply(doc)
	}
}

func (c *call) gateChatReply(doc map[string]any) {
	for _, choice := range objects(doc["choices"]) {
		msg, _ := choice["message"].(map[string]any)
		if msg == nil {
			continue
		}
		if fc, ok := msg["function_call"].(map[string]any); ok {
			// The legacy single function call.
			name, _ := fc["name"].(string)
			args, _ := fc["arguments"].(string)
			if note := c.gate(name, args); note != "" {
				delete(msg, "function_call")
				prev, _ := msg["content"].(string)
				msg["content"] = joinNotes(prev, []string{note})
				if choice["finish_reason"] == "function_call" {
					choice["finish_reason"] = "stop"
				}
			}
		}
		calls := objects(msg["tool_calls"])
		if len(calls) == 0 {
			continue
		}
		var kept []any
		var notes []string
		for _, tc := range calls {
			fn, _ := tc["function"].(map[string]any)
			name, _ := fn["name"].(string)
			args, _ := fn["arguments"].(string)
			if note := c.gate(name, args); note != "" {
				notes = append(notes, note)
				continue
			}
			kept = append(kept, tc)
		}
		if len(notes) == 0 {
			continue
		}
		prev, _ := msg["content"].(string)
		msg["content"] = joinNotes(prev, notes)
		if len(kept) == 0 {
			delete(msg, "tool_calls")
			if choice["finish_reason"] == "tool_calls" {
				choice["finish_reason"] = "stop"
			}
		} else {
			msg["tool_calls"] = kept
		}
	}
}

func (c *call) gateResponsesReply(doc map[string]any) {
	out, _ := doc["output"].([]any)
	for i, it := range out {
		item, _ := it.(map[string]any)
		if item == nil || item["type"] != "function_call" {
			continue
		}
		name, _ := item["name"].(string)
		args, _ := item["arguments"].(string)
		if note := c.gate(name, args); note != "" {
			out[i] = noteItem(item, note)
		}
	}
}

// noteItem is the assistant message that replaces a blocked function call.
func noteItem(call map[string]any, note string) map[string]any {
	id, _ := call["id"].(string)
	return map[string]any{"type": "message", "id": "msg_warden_" + strings.TrimPrefix(id, "fc_"), "status": "completed", "role": "assistant",
		"content": []any{map[string]any{"type": "output_text", "text": note, "annotations": []any{}}}}
}

func (c *call) gateAnthropicReply(doc map[string]any) {
	content, _ := doc["content"].([]any)
	used, cut := 0, 0
	for i, b := range content {
		block, _ := b.(map[string]any)
		if block == nil || block["type"] != "tool_use" {
			continue
		}
		name, _ := block["name"].(string)
		input, _ := json.Marshal(block["input"])
		if note := c.gate(name, string(input)); note != "" {
			content[i] = map[string]any{"type": "text", "text": note}
			cut++
			continue
		}
		used++
	}
	if cut > 0 && used == 0 && doc["stop_reason"] == "tool_use" {
		doc["stop_reason"] = "end_turn"
	}
}
