package llm_test

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestStreamEventIsSentWhileTheNextIsHalfReceived: an upstream that sends a
// whole event and the first half of the next in one write, then pauses,
// must not hold the whole event back until the second one completes.
func TestStreamEventIsSentWhileTheNextIsHalfReceived(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		first := `data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"hello there "},"finish_reason":null}]}` + "\n\n"
		half := `data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"del`
		w.Write([]byte(first + half))
		w.(http.Flusher).Flush()
		<-release
		w.Write([]byte(`ta":{"content":"world"},"finish_reason":"stop"}]}` + "\n\ndata: [DONE]\n\n"))
	}))
	defer up.Close()
	p := stubProxy(t, up.URL, nil)
	srv := httptest.NewServer(p)
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/llm/up/v1/chat/completions", "application/json", strings.NewReader(`{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if strings.Contains(sc.Text(), "hello there") {
			close(release) // the first event arrived while the upstream waits
			return
		}
	}
	t.Fatalf("stream ended without the first event: %v", sc.Err())
}
