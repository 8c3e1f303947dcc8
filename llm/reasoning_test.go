package llm_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestStreamedReasoningIsRestoredAndFiltered: reasoning text that some
// providers stream beside the answer (reasoning_content) is model output
// too: placeholders are restored and secrets masked, as in content.
func TestStreamedReasoningIsRestoredAndFiltered(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for _, piece := range []string{"Think: mail <EMA", "IL_1> with key AKIAQ3EGRZ", "5LBW7TXN4P then answer."} {
			io.WriteString(w, `data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"reasoning_content":`+quote(piece)+`},"finish_reason":null}]}`+"\n\n")
		}
		io.WriteString(w, `data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Done."},"finish_reason":"stop"}]}`+"\n\ndata: [DONE]\n\n")
	}))
	defer up.Close()
	p := stubProxy(t, up.URL, nil)
	srv := httptest.NewServer(p)
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/llm/up/v1/chat/completions", "application/json",
		strings.NewReader(`{"model":"m","stream":true,"messages":[{"role":"user","content":"write to jane.doe@acme-corp.com"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var reasoning strings.Builder
	for _, line := range strings.Split(string(body), "\n") {
		if i := strings.Index(line, `"reasoning_content":"`); i >= 0 {
			rest := line[i+len(`"reasoning_content":"`):]
			reasoning.WriteString(rest[:strings.Index(rest, `"`)])
		}
	}
	got := reasoning.String()
	if !strings.Contains(got, "jane.doe@acme-corp.com") || strings.Contains(got, "AKIAQ3EGRZ5LBW7TXN4P") || !strings.Contains(got, "[REDACTED SECRET]") {
		t.Fatalf("reasoning relayed as %q", got)
	}
}

func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }
