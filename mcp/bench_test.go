package mcp_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/wardenhq/warden/wardentest"
)

// BenchmarkFileReadOverhead measures an MCP file_read (a reused session)
// against the equivalent REST GET of the same 4 KiB text file, by the same
// agent on the same server, interleaved so both see the same load. Both
// authenticate, decide, record a durable file.read and decrypt; MCP adds
// JSON-RPC, the schema check and the injection scan. It reports ns/op of
// each and their ratio (mcp/rest; the goal is at most 1.2).
//
//	go test ./mcp -run '^$' -bench FileReadOverhead -benchtime 2000x
func BenchmarkFileReadOverhead(b *testing.B) {
	s := wardentest.Start(b)
	s.CreateWorkspace("research", "internal")
	text := strings.Repeat("Warden keeps agents' files in workspaces. ", 100)[:4096]
	if _, err := s.Admin.PutFile(context.Background(), "research", "notes/plan.md", strings.NewReader(text), int64(len(text))); err != nil {
		b.Fatal(err)
	}
	token := s.Agent("bench", "research:viewer")
	cs := mustConnect(b, s, token)
	hc := &http.Client{}
	restReq, _ := http.NewRequest("GET", s.URL+"/api/v1/workspaces/research/files/notes/plan.md", nil)
	restReq.Header.Set("Authorization", "Bearer "+token)
	args := &sdk.CallToolParams{Name: "file_read", Arguments: map[string]any{"workspace": "research", "path": "notes/plan.md"}}
	rest := func() {
		resp, err := hc.Do(restReq)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || n != int64(len(text)) {
			b.Fatalf("REST: %d, %d bytes", resp.StatusCode, n)
		}
	}
	viaMCP := func() {
		res, err := cs.CallTool(context.Background(), args)
		if err != nil || res.IsError || len(res.Content) != 1 || len(res.Content[0].(*sdk.TextContent).Text) != len(text) {
			b.Fatalf("MCP: %v %+v", err, res)
		}
	}
	for range 20 { // warm connections, caches and statements
		rest()
		viaMCP()
	}
	var tRest, tMCP time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		// Alternate which goes first, so neither always follows the other's
		// group commit.
		first, second, t1, t2 := rest, viaMCP, &tRest, &tMCP
		if i%2 == 1 {
			first, second, t1, t2 = viaMCP, rest, &tMCP, &tRest
		}
		start := time.Now()
		first()
		mid := time.Now()
		second()
		*t1 += mid.Sub(start)
		*t2 += time.Since(mid)
	}
	n := float64(b.N)
	b.ReportMetric(float64(tRest.Nanoseconds())/n, "rest-ns/op")
	b.ReportMetric(float64(tMCP.Nanoseconds())/n, "mcp-ns/op")
	b.ReportMetric(float64(tMCP)/float64(tRest), "mcp/rest")
}
