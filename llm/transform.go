package llm

import (
	"github.com/wardenhq/warden/dlp"
)

// replySkip are keys of a reply that are identifiers, not model text.
var replySkip = map[string]bool{
	"id": true, "object": true, "model": true, "role": true, "type": true, "finish_reason": true,
	"stop_reason": true, "system_fingerprint": true, "call_id": true, "item_id": true,
	"tool_call_id": true, "name": true, "signature": true, "encrypted_content": true, "status": true,
	"usage": true, "created": true, "created_at": true, "logprobs": true,
}

// jsonTextKeys hold JSON documents written as strings (tool arguments):
// restored values are escaped for them.
var jsonTextKeys = map[string]bool{"arguments": true, "partial_json": true}

// transformer restores placeholders and filters output in a whole reply.
type transformer struct {
	vault   *dlp.Vault
	filter  *dlp.OutputFilter
	masked  map[dlp.Type]int
	blocked *dlp.Finding
}

func (c *call) transformer() *transformer {
	if c.outMasked == nil {
		c.outMasked = map[dlp.Type]int{}
	}
	return &transformer{vault: c.vault, filter: c.outputFilter(), masked: c.outMasked}
}

// outputFilter returns the reply filter for this call.
func (c *call) outputFilter() *dlp.OutputFilter {
	if len(c.p.outPolicy) == 0 {
		return nil
	}
	return &dlp.OutputFilter{Engine: c.p.outDLP, Actions: c.p.outPolicy, FromInput: func(t dlp.Type, v string) bool {
		return c.inputSeen[string(t)+"\x00"+v]
	}}
}

// text restores and filters one complete string.
func (t *transformer) text(s string, jsonText bool) string {
	st := dlp.NewStream(t.vault, t.filter, jsonText)
	out := st.Push(s) + st.Flush()
	for k, n := range st.Masked {
		t.masked[k] += n
	}
	if st.Blocked != nil && t.blocked == nil {
		t.blocked = st.Blocked
	}
	return out
}

// value transforms every model-written string in v, in place.
func (t *transformer) value(v any, key string) any {
	switch x := v.(type) {
	case string:
		return t.text(x, jsonTextKeys[key])
	case []any:
		for i := range x {
			x[i] = t.value(x[i], key)
		}
	case map[string]any:
		if opaqueBlock(x) {
			// Thinking keeps its placeholders: it goes back upstream
			// signed, and must not carry the restored values there.
			return x
		}
		for k, e := range x {
			if !replySkip[k] {
				x[k] = t.value(e, k)
			}
		}
	}
	return v
}
