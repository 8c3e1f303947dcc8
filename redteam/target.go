package redteam

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"
)

// Target is a chat endpoint under test: it answers a conversation with one
// reply (text, tool calls or both).
type Target interface {
	Send(ctx context.Context, c Conversation) (Reply, error)
}

// Conversation is what a target is sent: the system prompt, the turns so
// far (the attack's user, assistant and tool turns, and the target's own
// earlier replies as assistant turns), and the tools offered.
type Conversation struct {
	System   string
	Messages []Turn
	Tools    []Tool
}

// Limits of the HTTP targets.
const (
	// MaxReplySize bounds a reply body: a target that streams forever or
	// answers with a huge document cannot exhaust the runner's memory.
	MaxReplySize = 1 << 20
	// errorExcerpt is how much of an error body an error message quotes.
	errorExcerpt = 300
	// defaultAttempts is how often a 429 or 5xx is tried in all.
	defaultAttempts = 4
	// defaultBackoff is the first wait before a retry; it doubles.
	defaultBackoff = 500 * time.Millisecond
	// maxRetryWait bounds a wait, whatever Retry-After asks for.
	maxRetryWait = 30 * time.Second
	// anthropicMaxTokens is the max_tokens the Messages API requires.
	anthropicMaxTokens = 1024
	// anthropicVersion is the API version header the Messages API requires.
	anthropicVersion = "2023-06-01"
)

// endpoint is what the OpenAI and Anthropic targets share: a base URL, a
// credential, a model, and bounded retries of 429 and 5xx answers.
type endpoint struct {
	api, base, token, model string
	client                  *http.Client
	// Attempts is how often a request is tried when the target answers
	// 429 or 5xx (default 4); Backoff the first wait (default 0.5 s,
	// doubling; a Retry-After header wins, up to 30 s).
	Attempts int
	Backoff  time.Duration
}

func newEndpoint(api, base, token, model string, client *http.Client) endpoint {
	if client == nil {
		client = http.DefaultClient
	}
	return endpoint{api: api, base: strings.TrimRight(base, "/"), token: token, model: model, client: client,
		Attempts: defaultAttempts, Backoff: defaultBackoff}
}

// String names the target for reports: API, URL and model, never the token.
func (e *endpoint) String() string { return fmt.Sprintf("%s %s (model %s)", e.api, e.base, e.model) }

// post sends body to url with headers, retrying 429 and 5xx answers and
// transport errors, and returns the (bounded) body of a 2xx answer.
func (e *endpoint) post(ctx context.Context, url string, header http.Header, body []byte) ([]byte, error) {
	attempts := max(e.Attempts, 1)
	wait := e.Backoff
	var last error
	for i := 0; i < attempts; i++ {
		if i > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, fmt.Errorf("%s: %w (after %v)", e.api, ctx.Err(), last)
			case <-t.C:
			}
			wait *= 2
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.api, err)
		}
		req.Header = header.Clone()
		req.Header.Set("Content-Type", "application/json")
		resp, err := e.client.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("%s: %w", e.api, ctx.Err())
			}
			// The client's error names the URL, never the headers.
			last = fmt.Errorf("%s: %w", e.api, err)
			if errors.Is(err, syscall.ECONNREFUSED) {
				return nil, last // nothing listens: waiting will not help
			}
			continue
		}
		b, rerr := readBounded(resp.Body)
		resp.Body.Close()
		if resp.StatusCode/100 == 2 {
			if rerr != nil {
				return nil, fmt.Errorf("%s: reply: %w", e.api, rerr)
			}
			return b, nil
		}
		last = fmt.Errorf("%s: HTTP %d: %s", e.api, resp.StatusCode, e.scrub(excerpt(b)))
		if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode < 500 {
			return nil, last
		}
		if ra := retryAfter(resp.Header.Get("Retry-After")); ra > 0 {
			wait = ra
		}
		wait = min(wait, maxRetryWait)
	}
	return nil, fmt.Errorf("%w (gave up after %d attempts)", last, attempts)
}

// scrub removes the credential from text a server sent back: an error
// body may quote the key it refused, and reports must never print it.
func (e *endpoint) scrub(s string) string {
	if len(e.token) < 4 {
		return s
	}
	return strings.ReplaceAll(s, e.token, "[credential]")
}

// readBounded reads at most MaxReplySize bytes and fails beyond that.
func readBounded(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxReplySize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxReplySize {
		return nil, fmt.Errorf("larger than %d bytes", MaxReplySize)
	}
	return b, nil
}

// excerpt is the start of an error body on one line, for an error message.
func excerpt(b []byte) string {
	s := strings.Join(strings.Fields(strings.ToValidUTF8(string(b), "?")), " ")
	if len(s) > errorExcerpt {
		cut := errorExcerpt
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	if s == "" {
		return "(empty body)"
	}
	return s
}

// retryAfter reads a Retry-After header in seconds (0 when absent or a date).
func retryAfter(h string) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(h))
	if err != nil || n <= 0 {
		return 0
	}
	return time.Duration(n) * time.Second
}

// toolCallID is the id of the synthetic call that carries tool turn i.
func toolCallID(i int) string { return fmt.Sprintf("call_redteam_%d", i+1) }

// assistantText is how a reply goes back into the history: its text, or a
// note of the calls it made (the runner executes no tool, and a reply with
// neither would be an empty message, which APIs refuse).
func assistantText(r Reply) string {
	if strings.TrimSpace(r.Text) != "" {
		return r.Text
	}
	if len(r.ToolCalls) == 0 {
		return "(no answer)"
	}
	var names []string
	for _, c := range r.ToolCalls {
		names = append(names, c.Name)
	}
	return "(called " + strings.Join(names, ", ") + "; the call was not run)"
}

// decodeJSON decodes a target's reply, naming the API on failure.
func decodeJSON(api string, b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: reply is not the expected JSON: %w (%s)", api, err, excerpt(b))
	}
	return nil
}

// OpenAI is a target speaking OpenAI's chat completions: a model, Warden's
// model plane (/llm/<provider>/v1), OpenClaw's gateway (/v1), or any
// compatible server.
type OpenAI struct{ endpoint }

// NewOpenAI returns a target that posts to baseURL + "/chat/completions"
// with token as a bearer credential ("" sends none). A nil client is
// http.DefaultClient.
func NewOpenAI(baseURL, token, model string, client *http.Client) *OpenAI {
	return &OpenAI{newEndpoint("openai", baseURL, token, model, client)}
}

type oaiMessage struct {
	Role       string        `json:"role"`
	Content    *string       `json:"content"`
	ToolCalls  []oaiToolCall `json:"tool_calls,omitempty"`
	ToolCallID string        `json:"tool_call_id,omitempty"`
}

type oaiToolCall struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

type oaiTool struct {
	Type     string      `json:"type"`
	Function oaiFunction `json:"function"`
}

type oaiFunction struct {
	Name        string         `json:"name"`
	Description string         `json:"description,omitempty"`
	Parameters  map[string]any `json:"parameters,omitempty"`
}

type oaiRequest struct {
	Model    string       `json:"model"`
	Messages []oaiMessage `json:"messages"`
	Tools    []oaiTool    `json:"tools,omitempty"`
	Stream   bool         `json:"stream"`
}

// openAIRequest builds the request body for c.
func (t *OpenAI) openAIRequest(c Conversation) oaiRequest {
	text := func(s string) *string { return &s }
	req := oaiRequest{Model: t.model}
	if c.System != "" {
		req.Messages = append(req.Messages, oaiMessage{Role: "system", Content: text(c.System)})
	}
	for i, m := range c.Messages {
		switch m.Role {
		case "tool":
			// A tool result needs the call it answers: the assistant
			// is shown calling the tool (with no arguments), then the
			// result follows.
			call := oaiToolCall{ID: toolCallID(i), Type: "function"}
			call.Function.Name, call.Function.Arguments = m.Tool, "{}"
			req.Messages = append(req.Messages,
				oaiMessage{Role: "assistant", ToolCalls: []oaiToolCall{call}},
				oaiMessage{Role: "tool", ToolCallID: call.ID, Content: text(m.Content)})
		default:
			req.Messages = append(req.Messages, oaiMessage{Role: m.Role, Content: text(m.Content)})
		}
	}
	for _, tl := range c.Tools {
		req.Tools = append(req.Tools, oaiTool{Type: "function", Function: oaiFunction(tl)})
	}
	return req
}

// Send posts the conversation and reads the first choice.
func (t *OpenAI) Send(ctx context.Context, c Conversation) (Reply, error) {
	body, err := json.Marshal(t.openAIRequest(c))
	if err != nil {
		return Reply{}, fmt.Errorf("openai: %w", err)
	}
	h := http.Header{}
	if t.token != "" {
		h.Set("Authorization", "Bearer "+t.token)
	}
	b, err := t.post(ctx, t.base+"/chat/completions", h, body)
	if err != nil {
		return Reply{}, err
	}
	var resp struct {
		Choices []struct {
			Message struct {
				Content      json.RawMessage `json:"content"`
				Refusal      string          `json:"refusal"`
				ToolCalls    []oaiToolCall   `json:"tool_calls"`
				FunctionCall *struct {
					Name      string `json:"name"`
					Arguments string `json:"arguments"`
				} `json:"function_call"`
			} `json:"message"`
		} `json:"choices"`
	}
	if err := decodeJSON("openai", b, &resp); err != nil {
		return Reply{}, err
	}
	if len(resp.Choices) == 0 {
		return Reply{}, fmt.Errorf("openai: reply has no choices (%s)", excerpt(b))
	}
	m := resp.Choices[0].Message
	r := Reply{Text: openAIContent(m.Content)}
	if r.Text == "" && m.Refusal != "" {
		r.Text = m.Refusal
	}
	for _, tc := range m.ToolCalls {
		r.ToolCalls = append(r.ToolCalls, ToolCall{Name: tc.Function.Name, Arguments: tc.Function.Arguments})
	}
	if m.FunctionCall != nil {
		r.ToolCalls = append(r.ToolCalls, ToolCall{Name: m.FunctionCall.Name, Arguments: m.FunctionCall.Arguments})
	}
	return r, nil
}

// openAIContent reads message.content: a string, null, or (from some
// compatible servers) an array of text parts.
func openAIContent(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if json.Unmarshal(raw, &parts) != nil {
		return ""
	}
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p.Text)
	}
	return b.String()
}

// Anthropic is a target speaking Anthropic's Messages API: Anthropic, or
// Warden's model plane (/llm/<provider>).
type Anthropic struct{ endpoint }

// NewAnthropic returns a target that posts to baseURL + "/v1/messages"
// (baseURL as the Anthropic SDKs take it; a base already ending in /v1 is
// accepted too) with token in x-api-key, which both Anthropic and Warden's
// model plane read. A nil client is http.DefaultClient.
func NewAnthropic(baseURL, token, model string, client *http.Client) *Anthropic {
	e := newEndpoint("anthropic", baseURL, token, model, client)
	e.base = strings.TrimSuffix(e.base, "/v1")
	return &Anthropic{e}
}

type antBlock struct {
	Type      string `json:"type"`
	Text      string `json:"text,omitempty"`
	ID        string `json:"id,omitempty"`
	Name      string `json:"name,omitempty"`
	Input     any    `json:"input,omitempty"`
	ToolUseID string `json:"tool_use_id,omitempty"`
	Content   string `json:"content,omitempty"`
}

type antMessage struct {
	Role    string     `json:"role"`
	Content []antBlock `json:"content"`
}

type antTool struct {
	Name        string         `json:"name"`
	Description string         `json:"description,omitempty"`
	InputSchema map[string]any `json:"input_schema"`
}

type antRequest struct {
	Model     string       `json:"model"`
	MaxTokens int          `json:"max_tokens"`
	System    string       `json:"system,omitempty"`
	Messages  []antMessage `json:"messages"`
	Tools     []antTool    `json:"tools,omitempty"`
}

// anthropicRequest builds the request body for c. The Messages API wants
// alternating roles starting with the user, so consecutive messages of one
// role are merged, and a conversation that opens with a tool result gets a
// neutral user opening.
func (t *Anthropic) anthropicRequest(c Conversation) antRequest {
	req := antRequest{Model: t.model, MaxTokens: anthropicMaxTokens, System: c.System}
	add := func(role string, b ...antBlock) {
		if n := len(req.Messages); n > 0 && req.Messages[n-1].Role == role {
			req.Messages[n-1].Content = append(req.Messages[n-1].Content, b...)
			return
		}
		req.Messages = append(req.Messages, antMessage{Role: role, Content: b})
	}
	for i, m := range c.Messages {
		switch m.Role {
		case "tool":
			if len(req.Messages) == 0 {
				add("user", antBlock{Type: "text", Text: "Go ahead."})
			}
			id := fmt.Sprintf("toolu_redteam_%d", i+1)
			add("assistant", antBlock{Type: "tool_use", ID: id, Name: m.Tool, Input: map[string]any{}})
			add("user", antBlock{Type: "tool_result", ToolUseID: id, Content: m.Content})
		case "assistant":
			if len(req.Messages) == 0 {
				add("user", antBlock{Type: "text", Text: "Go ahead."})
			}
			add("assistant", antBlock{Type: "text", Text: m.Content})
		default:
			add("user", antBlock{Type: "text", Text: m.Content})
		}
	}
	for _, tl := range c.Tools {
		schema := tl.Parameters
		if schema == nil {
			schema = map[string]any{"type": "object"}
		}
		req.Tools = append(req.Tools, antTool{Name: tl.Name, Description: tl.Description, InputSchema: schema})
	}
	return req
}

// Send posts the conversation and reads its text and tool_use blocks.
func (t *Anthropic) Send(ctx context.Context, c Conversation) (Reply, error) {
	body, err := json.Marshal(t.anthropicRequest(c))
	if err != nil {
		return Reply{}, fmt.Errorf("anthropic: %w", err)
	}
	h := http.Header{}
	h.Set("anthropic-version", anthropicVersion)
	if t.token != "" {
		h.Set("x-api-key", t.token)
	}
	b, err := t.post(ctx, t.base+"/v1/messages", h, body)
	if err != nil {
		return Reply{}, err
	}
	var resp struct {
		Type    string `json:"type"`
		Content []struct {
			Type  string          `json:"type"`
			Text  string          `json:"text"`
			Name  string          `json:"name"`
			Input json.RawMessage `json:"input"`
		} `json:"content"`
	}
	if err := decodeJSON("anthropic", b, &resp); err != nil {
		return Reply{}, err
	}
	if resp.Type != "message" {
		return Reply{}, fmt.Errorf("anthropic: reply is not a message (%s)", excerpt(b))
	}
	var r Reply
	for _, blk := range resp.Content {
		switch blk.Type {
		case "text":
			r.Text += blk.Text
		case "tool_use":
			args := string(blk.Input)
			if args == "" || args == "null" {
				args = "{}"
			}
			r.ToolCalls = append(r.ToolCalls, ToolCall{Name: blk.Name, Arguments: args})
		}
	}
	return r, nil
}
