package api

import (
	"net/http"

	"github.com/wardenhq/warden"
)

// MCPServer serves the agents' MCP endpoint for a principal the API has
// authenticated (package mcp implements it; api does not import it, so the
// HTTP layer stays free of the MCP SDK).
type MCPServer interface {
	ServeMCP(w http.ResponseWriter, r *http.Request, p *warden.Principal)
}

// mcpRoutes mounts /mcp. Every HTTP request of an MCP session is
// authenticated like any API request — an unknown or revoked token gets 401
// and a locked principal 423, as JSON, before the MCP layer sees a byte — so
// a lock or a revocation ends a session at its next request. Unlike s.auth
// it records no fallback event per HTTP request: the MCP layer records each
// tool call itself (protocol chatter such as pings changes nothing).
func (s *Server) mcpRoutes() {
	if s.mcp == nil {
		return
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.ids.Authenticate(r.Context(), bearer(r))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		s.mcp.ServeMCP(w, r, p)
	})
	s.mux.Handle("/mcp", h)
}
