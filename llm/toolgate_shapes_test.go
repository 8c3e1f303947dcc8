package llm_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/wardentest"
)

// cannedUpstream answers every call with one body and content type, so a
// test can send the shapes a real provider (or a hostile one) might.
type cannedUpstream struct {
	mu          sync.Mutex
	contentType string
	body        string
}

func (u *cannedUpstream) set(ct, body string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.contentType, u.body = ct, body
}

// shapeEnv is a Warden whose providers are a canned upstream and whose
// default profile denies exec.
func shapeEnv(t *testing.T) (*wardentest.Server, *cannedUpstream, string) {
	t.Helper()
	up := &cannedUpstream{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		up.mu.Lock()
		ct, body := up.contentType, up.body
		up.mu.Unlock()
		w.Header().Set("Content-Type", ct)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	keyFile := filepath.Join(t.TempDir(), "k")
	os.WriteFile(keyFile, []byte("sk-canned\n"), 0o600)
	s := wardentest.Start(t, func(c *config.Config) {
		c.Providers = map[string]config.Provider{
			"canned":    {Protocol: "openai", BaseURL: srv.URL + "/v1", APIKeyFile: keyFile},
			"cannedant": {Protocol: "anthropic", BaseURL: srv.URL, APIKeyFile: keyFile},
		}
		c.Profiles = map[string]config.Profile{"default": {Tools: &config.ToolPolicy{Allow: []string{"*"}, Deny: []string{"exec"}}}}
	})
	return s, up, s.Agent("bot")
}

func sse(events ...string) string {
	var b strings.Builder
	for _, e := range events {
		b.WriteString("data: " + e + "\n\n")
	}
	return b.String()
}

// Shapes of replies that carry an exec call the profile denies: none may
// deliver it, whatever the content type or protocol corner.
func TestToolGateStopsDeniedCallsInEveryReplyShape(t *testing.T) {
	s, up, token := shapeEnv(t)
	chatTool := `{"id":"c1","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"exec","arguments":"{\"command\":\"rm -rf /\"}"}}]},"finish_reason":null}]}`
	chatFinish := `{"id":"c1","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}`
	for _, tc := range []struct {
		name, path, req, ct, body string
	}{
		{"chat stream labelled text/plain", "/llm/canned/v1/chat/completions", `{"model":"m","stream":true,"messages":[]}`,
			"text/plain", sse(chatTool, chatFinish, "[DONE]")},
		{"chat stream with a capitalised content type", "/llm/canned/v1/chat/completions", `{"model":"m","stream":true,"messages":[]}`,
			"Text/Event-Stream; charset=utf-8", sse(chatTool, chatFinish, "[DONE]")},
		{"legacy function_call streamed", "/llm/canned/v1/chat/completions", `{"model":"m","stream":true,"messages":[]}`,
			"text/event-stream", sse(`{"id":"c1","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{"function_call":{"name":"exec","arguments":"{\"command\":\"id\"}"}},"finish_reason":null}]}`,
				`{"id":"c1","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{},"finish_reason":"function_call"}]}`, "[DONE]")},
		{"legacy function_call whole", "/llm/canned/v1/chat/completions", `{"model":"m","messages":[]}`,
			"application/json", `{"id":"c1","object":"chat.completion","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":null,"function_call":{"name":"exec","arguments":"{\"command\":\"id\"}"}},"finish_reason":"function_call"}]}`},
		{"non-JSON reply to a plain request", "/llm/canned/v1/chat/completions", `{"model":"m","messages":[]}`,
			"text/plain", `{"choices":[{"message":{"tool_calls":[{"function":{"name":"exec"}}]}}]`},
		{"arguments that are not JSON", "/llm/canned/v1/chat/completions", `{"model":"m","messages":[]}`,
			"application/json", `{"id":"c1","object":"chat.completion","model":"m","choices":[{"index":0,"message":{"role":"assistant","tool_calls":[{"id":"call_1","type":"function","function":{"name":"read","arguments":"{\"path\": exec"}}]},"finish_reason":"tool_calls"}]}`},
		{"responses call only in response.completed", "/llm/canned/v1/responses", `{"model":"m","stream":true,"input":"x"}`,
			"text/event-stream", sse(`{"type":"response.created","sequence_number":1,"response":{"id":"r1","object":"response","status":"in_progress","output":[]}}`,
				`{"type":"response.completed","sequence_number":2,"response":{"id":"r1","object":"response","status":"completed","output":[{"type":"function_call","id":"fc_1","call_id":"call_1","name":"exec","arguments":"{\"command\":\"id\"}","status":"completed"}]}}`)},
		{"responses call without output_item.added", "/llm/canned/v1/responses", `{"model":"m","stream":true,"input":"x"}`,
			"text/event-stream", sse(`{"type":"response.output_item.done","sequence_number":1,"output_index":0,"item":{"type":"function_call","id":"fc_1","call_id":"call_1","name":"exec","arguments":"{\"command\":\"id\"}","status":"completed"}}`,
				`{"type":"response.completed","sequence_number":2,"response":{"id":"r1","object":"response","status":"completed","output":[{"type":"function_call","id":"fc_1","call_id":"call_1","name":"exec","arguments":"{\"command\":\"id\"}","status":"completed"}]}}`)},
		{"anthropic tool_use with its input at the start", "/llm/cannedant/v1/messages", `{"model":"m","stream":true,"max_tokens":10,"messages":[]}`,
			"text/event-stream", sse(`{"type":"message_start","message":{"id":"m1","type":"message","role":"assistant","model":"m","content":[],"usage":{"input_tokens":1,"output_tokens":0}}}`,
				`{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"tu_1","name":"exec","input":{"command":"id"}}}`,
				`{"type":"content_block_stop","index":0}`,
				`{"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":1}}`,
				`{"type":"message_stop"}`)},
		{"bridge spelled with name and input", "/llm/canned/v1/chat/completions", `{"model":"m","messages":[]}`,
			"application/json", `{"id":"c1","object":"chat.completion","model":"m","choices":[{"index":0,"message":{"role":"assistant","tool_calls":[{"id":"call_1","type":"function","function":{"name":"tool_call","arguments":"{\"name\":\"openclaw:core:exec\",\"input\":{\"command\":\"id\"}}"}}]},"finish_reason":"tool_calls"}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up.set(tc.ct, tc.body)
			req, _ := http.NewRequestWithContext(context.Background(), "POST", s.URL+tc.path, bytes.NewReader([]byte(tc.req)))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			got := string(body)
			for _, leak := range []string{`"command":"id"`, `\"command\":\"id\"`, `rm -rf`, `"function_call":{"name":"exec"`} {
				if strings.Contains(got, leak) {
					t.Fatalf("the denied call reached the client (%q in the reply):\n%s", leak, got)
				}
			}
			if resp.StatusCode == 200 && !strings.Contains(got, "[Warden policy]") {
				t.Errorf("status 200 without Warden's note:\n%s", got)
			}
		})
	}
}
