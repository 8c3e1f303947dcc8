// Package api is Warden's HTTP surface: the REST API under /api/v1, health,
// and (in later planes) the model proxy and console. Handlers decode input,
// call a service, and encode its answer; the services decide and audit.
package api

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"sync/atomic"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/apiv1"
	"github.com/wardenhq/warden/audit"
	"github.com/wardenhq/warden/detect"
	"github.com/wardenhq/warden/identity"
	"github.com/wardenhq/warden/share"
	"github.com/wardenhq/warden/toolcall"
	"github.com/wardenhq/warden/urlimport"
	"github.com/wardenhq/warden/workspace"
)

// Config holds what the Server needs.
type Config struct {
	Identity    *identity.Service
	Workspaces  *workspace.Service
	Audit       *audit.Log
	Logger      *slog.Logger
	MaxFileSize int64
	// Model serves the model plane under /llm/ (it authenticates and
	// audits on its own, in the providers' protocols); nil: not served.
	Model http.Handler
	// Tools decides tool calls and keeps approvals; nil: the tool plane's
	// routes are not served.
	Tools *toolcall.Service
	// Metrics serves /metrics (Prometheus); nil: not served.
	Metrics http.Handler
	// Alerts serves detection's alerts; nil: the routes are not served.
	Alerts *detect.Alerts
	// Imports fetches URLs into workspaces; nil: the route is not served.
	Imports *urlimport.Service
	// Console serves the admin console under /console/ (it authenticates
	// with its own sessions and sets its own headers); nil: not served.
	Console http.Handler
	// Shares serves data-room links (the API) and SharePages the
	// recipients' pages under /s/; nil: neither is served.
	Shares     *share.Service
	SharePages http.Handler
	// PublicURL is the origin share links are built on; "" uses the
	// address a request came to.
	PublicURL string
	// MCP serves the agents' MCP endpoint at /mcp; nil: not served.
	MCP MCPServer
}

// Server serves the API.
type Server struct {
	ids     *identity.Service
	ws      *workspace.Service
	audit   *audit.Log
	log     *slog.Logger
	maxFile int64
	model   http.Handler
	tools   *toolcall.Service
	console http.Handler
	imports *urlimport.Service
	alerts  *detect.Alerts
	metrics http.Handler
	// shares, sharePages and publicURL: see Config.
	shares     *share.Service
	sharePages http.Handler
	publicURL  string
	mcp        MCPServer
	mux        *http.ServeMux
	ready      atomic.Bool
}

// New returns a Server. It answers /healthz with 503 until SetReady.
func New(c Config) *Server {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{ids: c.Identity, ws: c.Workspaces, audit: c.Audit, log: c.Logger, maxFile: c.MaxFileSize, model: c.Model, tools: c.Tools, console: c.Console, imports: c.Imports, alerts: c.Alerts, metrics: c.Metrics, mux: http.NewServeMux(),
		shares: c.Shares, sharePages: c.SharePages, publicURL: c.PublicURL, mcp: c.MCP}
	s.routes()
	return s
}

// SetReady makes /healthz answer 200 (or 503 again with false, on shutdown).
func (s *Server) SetReady(ok bool) { s.ready.Store(ok) }

// authed is a handler that runs for an authenticated principal.
type authed func(w http.ResponseWriter, r *http.Request, p *warden.Principal) error

func (s *Server) routes() {
	m := s.mux
	m.HandleFunc("GET /healthz", s.healthz)

	m.Handle("GET /api/v1/whoami", s.auth(s.whoami))

	m.Handle("POST /api/v1/workspaces", s.auth(s.createWorkspace))
	m.Handle("GET /api/v1/workspaces", s.auth(s.listWorkspaces))
	m.Handle("GET /api/v1/workspaces/{ws}", s.auth(s.getWorkspace))
	m.Handle("PATCH /api/v1/workspaces/{ws}", s.auth(s.patchWorkspace))
	m.Handle("GET /api/v1/workspaces/{ws}/members", s.auth(s.listMembers))
	m.Handle("PUT /api/v1/workspaces/{ws}/members/{principal}", s.auth(s.putMember))
	m.Handle("DELETE /api/v1/workspaces/{ws}/members/{principal}", s.auth(s.deleteMember))

	m.Handle("GET /api/v1/workspaces/{ws}/files", s.auth(s.listFiles))
	m.Handle("GET /api/v1/workspaces/{ws}/files/{path...}", s.auth(s.getFile))
	m.Handle("PUT /api/v1/workspaces/{ws}/files/{path...}", s.auth(s.putFile))
	m.Handle("DELETE /api/v1/workspaces/{ws}/files/{path...}", s.auth(s.deleteFile))
	m.Handle("POST /api/v1/workspaces/{ws}/files/{path...}", s.auth(s.postFile))

	for _, kind := range []warden.PrincipalKind{warden.KindAgent, warden.KindHuman} {
		base := "/api/v1/" + string(kind) + "s"
		m.Handle("POST "+base, s.auth(s.createPrincipal(kind)))
		m.Handle("GET "+base, s.auth(s.listPrincipals(kind)))
		m.Handle("GET "+base+"/{name}", s.auth(s.getPrincipal(kind)))
		m.Handle("POST "+base+"/{name}/lock", s.auth(s.lockPrincipal(kind, true)))
		m.Handle("POST "+base+"/{name}/unlock", s.auth(s.lockPrincipal(kind, false)))
		m.Handle("POST "+base+"/{name}/revoke", s.auth(s.revokePrincipal(kind)))
		m.Handle("POST "+base+"/{name}/tokens", s.auth(s.newToken(kind)))
		m.Handle("GET "+base+"/{name}/tokens", s.auth(s.listTokens(kind)))
	}

	s.credentialRoutes(m)
	m.Handle("GET /api/v1/audit", s.auth(s.queryAudit))

	if s.metrics != nil {
		m.HandleFunc("GET /metrics", s.serveMetrics)
	}
	if s.alerts != nil {
		m.Handle("GET /api/v1/alerts", s.auth(s.listAlerts))
		m.Handle("GET /api/v1/alerts/{id}", s.auth(s.getAlert))
		m.Handle("POST /api/v1/alerts/{id}/acknowledge", s.auth(s.updateAlert(warden.AlertAcknowledged)))
		m.Handle("POST /api/v1/alerts/{id}/resolve", s.auth(s.updateAlert(warden.AlertResolved)))
	}
	if s.imports != nil {
		m.Handle("POST /api/v1/workspaces/{ws}/imports", s.auth(s.startImport))
		m.Handle("GET /api/v1/workspaces/{ws}/imports/{id}", s.auth(s.getImport))
	}

	if s.tools != nil {
		m.Handle("POST /api/v1/decide", s.auth(s.decideTool))
		m.Handle("GET /api/v1/approvals", s.auth(s.listApprovals))
		m.Handle("GET /api/v1/approvals/{id}", s.auth(s.getApproval))
		m.Handle("POST /api/v1/approvals/{id}/approve", s.auth(s.decideApproval(true)))
		m.Handle("POST /api/v1/approvals/{id}/deny", s.auth(s.decideApproval(false)))
		m.Handle("POST /api/v1/plugins/register", s.auth(s.registerPlugin))
		m.Handle("POST /api/v1/tools/result", s.auth(s.toolResult))
	}

	if s.model != nil {
		m.Handle("/llm/", s.model)
	}

	s.shareRoutes()
	s.mcpRoutes()

	if s.console != nil {
		m.Handle("/console/", s.console)
		m.HandleFunc("GET /console", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/console/", http.StatusFound)
		})
	}
}

// ServeHTTP adds a request id, refuses non-canonical paths, logs the request
// (by route pattern, never by path, since paths name files) and recovers
// from panics.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := newRequestID()
	info := warden.RequestInfo{ID: id, Remote: r.RemoteAddr, UserAgent: r.UserAgent()}
	r = r.WithContext(warden.WithRequest(r.Context(), info))
	rw := &recorder{ResponseWriter: w, status: http.StatusOK}
	h := rw.Header()
	h.Set("X-Request-Id", id)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.log.Error("panic serving request", "request_id", id, "route", r.Pattern, "panic", fmt.Sprint(p))
			if !rw.wrote {
				s.writeError(rw, r, errors.New("panic"))
			}
		}
		s.log.Debug("request", "request_id", id, "method", r.Method, "route", r.Pattern, "status", rw.status,
			"bytes", rw.bytes, "duration", time.Since(start).Round(time.Microsecond))
	}()
	// The standard mux would answer a non-canonical path ("a/../b", "a//b")
	// with a redirect to a cleaned path, which for a file API silently
	// changes which file a write goes to. Refuse instead.
	if p := r.URL.Path; p != "/" && strings.HasPrefix(p, "/api/") && (path.Clean(p) != p && path.Clean(p)+"/" != p) {
		// Probes for traversal are worth a record: authenticate the caller
		// (failures are recorded and throttled there), then refuse.
		s.auth(func(http.ResponseWriter, *http.Request, *warden.Principal) error {
			return warden.Errorf(warden.EINVALID, "the URL path is not canonical (it has '.', '..' or empty segments)")
		}).ServeHTTP(rw, r)
		return
	}
	// Handler only looks the route up; the mux still serves the request below,
	// because only its ServeHTTP sets r.Pattern and the path values.
	handler, pattern := s.mux.Handler(r)
	if pattern == "" {
		// No route: let the mux pick 404 or 405 (with Allow), but answer in JSON.
		probe := &statusProbe{header: http.Header{}}
		handler.ServeHTTP(probe, r)
		if allow := probe.header.Get("Allow"); allow != "" {
			rw.Header().Set("Allow", allow)
		}
		if probe.status == http.StatusMethodNotAllowed {
			s.writeError(rw, r, warden.Errorf(warden.EMETHOD, "method not allowed on this endpoint"))
			return
		}
		s.writeError(rw, r, warden.Errorf(warden.ENOTFOUND, "no such endpoint"))
		return
	}
	s.mux.ServeHTTP(rw, r)
}

// auth authenticates the bearer token and runs h; errors h returns are
// written as JSON. A request that ends without an event on the record (the
// handler refused bad input before reaching a service) gets a generic one,
// so that every action by a principal leaves a trace.
func (s *Server) auth(h authed) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A missing header goes through Authenticate too, so that it is
		// recorded like any other failed authentication.
		p, err := s.ids.Authenticate(r.Context(), bearer(r))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		err = h(w, r, p)
		if !warden.Audited(r.Context()) {
			if rerr := s.recordRequest(r, p, err); rerr != nil && err == nil && !headersSent(w) {
				err = rerr
			}
		}
		if err != nil {
			s.writeError(w, r, err)
		}
	})
}

// recordRequest records a request that no service recorded: the route, not
// the raw path (which may name a file), goes in clear; the path is sealed.
func (s *Server) recordRequest(r *http.Request, p *warden.Principal, err error) error {
	req := warden.RequestFrom(r.Context())
	ev := &warden.Event{
		RequestID: req.ID, Remote: req.Remote, Principal: p.Name, Kind: p.Kind, Action: "api.request",
		Target:   r.URL.Path,
		Decision: warden.Decision{Effect: warden.Allow, Rule: "api"},
		Details:  map[string]any{"route": r.Pattern, "method": r.Method},
	}
	if ws := r.PathValue("ws"); warden.ValidateName("workspace", ws) == nil {
		ev.Workspace = ws
	}
	if err != nil {
		ev.Error = warden.ErrorCode(err)
		if code := ev.Error; code == warden.EINVALID || code == warden.ETOOLARGE {
			ev.Decision = warden.Decision{Effect: warden.Deny, Rule: "input.invalid", Reason: warden.ErrorMessage(err)}
		}
	}
	return s.audit.Record(r.Context(), ev)
}

// headersSent reports whether a response is already under way.
func headersSent(w http.ResponseWriter) bool {
	rec, ok := w.(*recorder)
	return ok && rec.wrote
}

// bearer returns the token of an "Authorization: Bearer" header, or "".
func bearer(r *http.Request) string {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	if !s.ready.Load() {
		writeJSON(w, http.StatusServiceUnavailable, apiv1.Health{Status: "starting"})
		return
	}
	writeJSON(w, http.StatusOK, apiv1.Health{Status: "ok"})
}

func newRequestID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// maxJSONBody bounds request bodies that are JSON documents.
const maxJSONBody = 1 << 20

// decode reads a JSON body into v, refusing unknown fields and trailing data.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxJSONBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			return warden.Errorf(warden.ETOOLARGE, "request body is larger than %d bytes", maxJSONBody)
		case errors.Is(err, io.EOF):
			return warden.Errorf(warden.EINVALID, "request body is empty; expected a JSON object")
		}
		return warden.Errorf(warden.EINVALID, "request body is not valid JSON for this endpoint: %s", jsonErr(err))
	}
	if dec.More() {
		return warden.Errorf(warden.EINVALID, "request body has data after the JSON object")
	}
	return nil
}

// jsonErr shortens a decoding error to something safe to echo.
func jsonErr(err error) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "json: ")
	if len(msg) > 200 {
		msg = msg[:200]
	}
	return msg
}

// recorder remembers the status and size of a response for the log.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
	wrote  bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	r.wrote = true
	n, err := r.ResponseWriter.Write(p)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// statusProbe captures what the mux would answer for an unknown route.
type statusProbe struct {
	header http.Header
	status int
}

func (p *statusProbe) Header() http.Header         { return p.header }
func (p *statusProbe) Write(b []byte) (int, error) { return len(b), nil }
func (p *statusProbe) WriteHeader(code int)        { p.status = code }
