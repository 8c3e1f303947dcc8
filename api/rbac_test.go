package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/wardenhq/warden/apiv1"
	"github.com/wardenhq/warden/wardentest"
)

// This file is the end-to-end authorization matrix: every caller against
// every endpoint, on the workspace the caller holds its grant on ("own"), on
// a workspace it has no grant on ("other"), and on the global endpoints. Each
// cell asserts the exact status; denials also assert the error body, that a
// hidden workspace answers byte for byte like one that does not exist, and
// that the denial is on the audit record.

// Callers, in the column order of the want rows below.
const (
	cNoGrant     = iota // agent without any grant
	cViewer             // agent, own:viewer
	cContributor        // agent, own:contributor
	cEditor             // agent, own:editor
	cWSAdmin            // agent, own:admin
	cOperator           // human operator, own:editor
	cGlobalAdmin        // human admin, no grants
	cAuditor            // human auditor, no grants
	nCallers
)

// callerNames are the subtest names and also the principals' names.
var callerNames = [nCallers]string{"no-grant", "viewer", "contributor", "editor", "ws-admin", "operator-editor", "global-admin", "auditor"}

const (
	wsOwn    = "own"
	wsOther  = "other"
	wsGlobal = "global" // not a workspace: the column of the global endpoints
	wsGhost  = "ghost"  // never created
)

// Shorthands for the want rows.
const (
	NF = http.StatusNotFound
	FB = http.StatusForbidden
)

// want is one expected status per caller, indexed by the constants above:
//
//	no-grant, viewer, contributor, editor, ws-admin, operator-editor, global-admin, auditor
type want [nCallers]int

// request is one HTTP request of a cell.
type request struct {
	method, path string
	body         []byte
	wantBody     string // for successful file reads: the exact content
}

// wsEndpoint is an endpoint under /api/v1/workspaces/{ws}. prep builds the
// cell's own fixtures in ws (as the fixture admin) and returns the request.
type wsEndpoint struct {
	name  string
	own   want
	other want
	prep  func(f *fixture, ws string) request
}

// globalEndpoint is an endpoint outside any workspace.
type globalEndpoint struct {
	name string
	want want
	prep func(f *fixture) request
}

const (
	contentV1 = "version one\n"
	contentV2 = "version two\n"
	// Shared, read-only fixtures in each workspace.
	readPath      = "shared/read.txt"      // two versions
	protectedPath = "shared/protected.txt" // one version, protected
	deletedPath   = "shared/deleted.txt"   // one version, then deleted
)

func wsPath(ws, rest string) string { return "/api/v1/workspaces/" + ws + rest }

func filePath(ws, path, query string) string {
	return wsPath(ws, "/files/"+path) + query
}

var wsEndpoints = []wsEndpoint{
	{
		name:  "GET workspace",
		own:   want{NF, 200, 200, 200, 200, 200, 200, NF},
		other: want{NF, NF, NF, NF, NF, NF, 200, NF},
		prep:  func(f *fixture, ws string) request { return request{method: "GET", path: wsPath(ws, "")} },
	},
	{
		name:  "PATCH label",
		own:   want{NF, FB, FB, FB, 200, FB, 200, NF},
		other: want{NF, NF, NF, NF, NF, NF, 200, NF},
		prep: func(f *fixture, ws string) request {
			return request{method: "PATCH", path: wsPath(ws, ""), body: []byte(`{"label":"confidential"}`)}
		},
	},
	{
		name:  "GET members",
		own:   want{NF, FB, FB, FB, 200, FB, 200, NF},
		other: want{NF, NF, NF, NF, NF, NF, 200, NF},
		prep:  func(f *fixture, ws string) request { return request{method: "GET", path: wsPath(ws, "/members")} },
	},
	{
		name:  "PUT member",
		own:   want{NF, FB, FB, FB, 200, FB, 200, NF},
		other: want{NF, NF, NF, NF, NF, NF, 200, NF},
		prep: func(f *fixture, ws string) request {
			target := f.newAgent() // no grant yet
			return request{method: "PUT", path: wsPath(ws, "/members/"+target), body: []byte(`{"role":"viewer"}`)}
		},
	},
	{
		name:  "DELETE member",
		own:   want{NF, FB, FB, FB, 204, FB, 204, NF},
		other: want{NF, NF, NF, NF, NF, NF, 204, NF},
		prep: func(f *fixture, ws string) request {
			target := f.newAgent(ws + ":viewer")
			return request{method: "DELETE", path: wsPath(ws, "/members/"+target)}
		},
	},
	{
		name:  "GET files",
		own:   want{NF, 200, 200, 200, 200, 200, 200, NF},
		other: want{NF, NF, NF, NF, NF, NF, 200, NF},
		prep:  func(f *fixture, ws string) request { return request{method: "GET", path: wsPath(ws, "/files")} },
	},
	{
		name:  "GET file",
		own:   want{NF, 200, 200, 200, 200, 200, 200, NF},
		other: want{NF, NF, NF, NF, NF, NF, 200, NF},
		prep: func(f *fixture, ws string) request {
			return request{method: "GET", path: filePath(ws, readPath, ""), wantBody: contentV2}
		},
	},
	{
		name:  "GET versions",
		own:   want{NF, 200, 200, 200, 200, 200, 200, NF},
		other: want{NF, NF, NF, NF, NF, NF, 200, NF},
		prep: func(f *fixture, ws string) request {
			return request{method: "GET", path: filePath(ws, readPath, "?versions")}
		},
	},
	{
		name:  "GET version=1",
		own:   want{NF, 200, 200, 200, 200, 200, 200, NF},
		other: want{NF, NF, NF, NF, NF, NF, 200, NF},
		prep: func(f *fixture, ws string) request {
			return request{method: "GET", path: filePath(ws, readPath, "?version=1"), wantBody: contentV1}
		},
	},
	{
		name:  "GET protected file",
		own:   want{NF, 200, 200, 200, 200, 200, 200, NF},
		other: want{NF, NF, NF, NF, NF, NF, 200, NF},
		prep: func(f *fixture, ws string) request {
			return request{method: "GET", path: filePath(ws, protectedPath, ""), wantBody: contentV1}
		},
	},
	{
		name:  "PUT new file",
		own:   want{NF, FB, 201, 201, 201, 201, 201, NF},
		other: want{NF, NF, NF, NF, NF, NF, 201, NF},
		prep: func(f *fixture, ws string) request {
			return request{method: "PUT", path: filePath(ws, f.newPath(), ""), body: []byte("new\n")}
		},
	},
	{
		name:  "PUT overwrite",
		own:   want{NF, FB, FB, 200, 200, 200, 200, NF},
		other: want{NF, NF, NF, NF, NF, NF, 200, NF},
		prep: func(f *fixture, ws string) request {
			p := f.newPath()
			f.put(ws, p, contentV1, 201)
			return request{method: "PUT", path: filePath(ws, p, ""), body: []byte(contentV2)}
		},
	},
	{
		name:  "PUT over deleted",
		own:   want{NF, FB, 201, 201, 201, 201, 201, NF},
		other: want{NF, NF, NF, NF, NF, NF, 201, NF},
		prep: func(f *fixture, ws string) request {
			p := f.newPath()
			f.put(ws, p, contentV1, 201)
			f.do("DELETE", filePath(ws, p, ""), nil, 200)
			return request{method: "PUT", path: filePath(ws, p, ""), body: []byte(contentV2)}
		},
	},
	{
		name:  "DELETE file",
		own:   want{NF, FB, FB, 200, 200, 200, 200, NF},
		other: want{NF, NF, NF, NF, NF, NF, 200, NF},
		prep: func(f *fixture, ws string) request {
			p := f.newPath()
			f.put(ws, p, contentV1, 201)
			return request{method: "DELETE", path: filePath(ws, p, "")}
		},
	},
	{
		name:  "POST restore=1",
		own:   want{NF, FB, FB, 200, 200, 200, 200, NF},
		other: want{NF, NF, NF, NF, NF, NF, 200, NF},
		prep: func(f *fixture, ws string) request {
			p := f.newPath()
			f.put(ws, p, contentV1, 201)
			f.put(ws, p, contentV2, 200)
			return request{method: "POST", path: filePath(ws, p, "?restore=1")}
		},
	},
	{
		name:  "POST protect",
		own:   want{NF, FB, FB, FB, 200, FB, 200, NF},
		other: want{NF, NF, NF, NF, NF, NF, 200, NF},
		prep: func(f *fixture, ws string) request {
			p := f.newPath()
			f.put(ws, p, contentV1, 201)
			return request{method: "POST", path: filePath(ws, p, "?protect")}
		},
	},
	{
		name:  "POST protect=false",
		own:   want{NF, FB, FB, FB, 200, FB, 200, NF},
		other: want{NF, NF, NF, NF, NF, NF, 200, NF},
		prep: func(f *fixture, ws string) request {
			p := f.newPath()
			f.put(ws, p, contentV1, 201)
			f.do("POST", filePath(ws, p, "?protect"), nil, 200)
			return request{method: "POST", path: filePath(ws, p, "?protect=false")}
		},
	},
	{
		name:  "PUT protected",
		own:   want{NF, FB, FB, FB, 200, FB, 200, NF},
		other: want{NF, NF, NF, NF, NF, NF, 200, NF},
		prep: func(f *fixture, ws string) request {
			p := f.newPath()
			f.put(ws, p, contentV1, 201)
			f.do("POST", filePath(ws, p, "?protect"), nil, 200)
			return request{method: "PUT", path: filePath(ws, p, ""), body: []byte(contentV2)}
		},
	},
	{
		name:  "DELETE protected",
		own:   want{NF, FB, FB, FB, 200, FB, 200, NF},
		other: want{NF, NF, NF, NF, NF, NF, 200, NF},
		prep: func(f *fixture, ws string) request {
			p := f.newPath()
			f.put(ws, p, contentV1, 201)
			f.do("POST", filePath(ws, p, "?protect"), nil, 200)
			return request{method: "DELETE", path: filePath(ws, p, "")}
		},
	},
	{
		name:  "POST restore=1 protected",
		own:   want{NF, FB, FB, FB, 200, FB, 200, NF},
		other: want{NF, NF, NF, NF, NF, NF, 200, NF},
		prep: func(f *fixture, ws string) request {
			p := f.newPath()
			f.put(ws, p, contentV1, 201)
			f.put(ws, p, contentV2, 200)
			f.do("POST", filePath(ws, p, "?protect"), nil, 200)
			return request{method: "POST", path: filePath(ws, p, "?restore=1")}
		},
	},
	{
		// The head of a deleted file is a tombstone with no content, so
		// "reading a deleted file" reads its last live version.
		name:  "GET deleted file version=1",
		own:   want{NF, NF, NF, NF, 200, NF, 200, NF},
		other: want{NF, NF, NF, NF, NF, NF, 200, NF},
		prep: func(f *fixture, ws string) request {
			return request{method: "GET", path: filePath(ws, deletedPath, "?version=1"), wantBody: contentV1}
		},
	},
	{
		name:  "GET deleted versions",
		own:   want{NF, NF, NF, NF, 200, NF, 200, NF},
		other: want{NF, NF, NF, NF, NF, NF, 200, NF},
		prep: func(f *fixture, ws string) request {
			return request{method: "GET", path: filePath(ws, deletedPath, "?versions")}
		},
	},
	{
		name:  "GET files deleted=true",
		own:   want{NF, FB, FB, FB, 200, FB, 200, NF},
		other: want{NF, NF, NF, NF, NF, NF, 200, NF},
		prep: func(f *fixture, ws string) request {
			return request{method: "GET", path: wsPath(ws, "/files?deleted=true")}
		},
	},
	{
		name:  "POST restore=1 deleted",
		own:   want{NF, FB, FB, NF, 200, NF, 200, NF}, // a deleted file is gone below admin: 404, as if it never existed
		other: want{NF, NF, NF, NF, NF, NF, 200, NF},
		prep: func(f *fixture, ws string) request {
			p := f.newPath()
			f.put(ws, p, contentV1, 201)
			f.do("DELETE", filePath(ws, p, ""), nil, 200)
			return request{method: "POST", path: filePath(ws, p, "?restore=1")}
		},
	},
}

// Only global admins manage workspaces and identities; the audit log is for
// global admins and auditors; anyone may see itself and its workspaces.
var (
	adminOnly   = want{FB, FB, FB, FB, FB, FB, 200, FB}
	adminOnly21 = want{FB, FB, FB, FB, FB, FB, 201, FB}
	everyone    = want{200, 200, 200, 200, 200, 200, 200, 200}
)

var globalEndpoints = []globalEndpoint{
	{"GET whoami", everyone, func(f *fixture) request { return request{method: "GET", path: "/api/v1/whoami"} }},
	{"GET workspaces", everyone, func(f *fixture) request { return request{method: "GET", path: "/api/v1/workspaces"} }},
	{"POST workspaces", adminOnly21, func(f *fixture) request {
		return request{method: "POST", path: "/api/v1/workspaces", body: fmt.Appendf(nil, `{"name":%q}`, f.newName("ws"))}
	}},
	{"POST agents", adminOnly21, func(f *fixture) request {
		return request{method: "POST", path: "/api/v1/agents", body: fmt.Appendf(nil, `{"name":%q,"grants":["own:viewer"]}`, f.newName("ag"))}
	}},
	{"GET agents", adminOnly, func(f *fixture) request { return request{method: "GET", path: "/api/v1/agents"} }},
	{"GET another agent", adminOnly, func(f *fixture) request {
		return request{method: "GET", path: "/api/v1/agents/" + f.newAgent()}
	}},
	{"GET another agent's tokens", adminOnly, func(f *fixture) request {
		return request{method: "GET", path: "/api/v1/agents/" + f.newAgent() + "/tokens"}
	}},
	{"POST token for another agent", adminOnly21, func(f *fixture) request {
		return request{method: "POST", path: "/api/v1/agents/" + f.newAgent() + "/tokens"}
	}},
	{"POST lock another agent", adminOnly, func(f *fixture) request {
		return request{method: "POST", path: "/api/v1/agents/" + f.newAgent() + "/lock", body: []byte(`{"note":"rbac test"}`)}
	}},
	{"POST unlock another agent", adminOnly, func(f *fixture) request {
		a := f.newAgent()
		f.do("POST", "/api/v1/agents/"+a+"/lock", nil, 200)
		return request{method: "POST", path: "/api/v1/agents/" + a + "/unlock", body: []byte(`{"note":"rbac test"}`)}
	}},
	{"POST revoke another agent", adminOnly, func(f *fixture) request {
		return request{method: "POST", path: "/api/v1/agents/" + f.newAgent() + "/revoke"}
	}},
	{"POST humans", adminOnly21, func(f *fixture) request {
		return request{method: "POST", path: "/api/v1/humans", body: fmt.Appendf(nil, `{"name":%q,"role":"operator"}`, f.newName("hu"))}
	}},
	{"GET humans", adminOnly, func(f *fixture) request { return request{method: "GET", path: "/api/v1/humans"} }},
	{"POST lock another human", adminOnly, func(f *fixture) request {
		return request{method: "POST", path: "/api/v1/humans/" + f.newHuman() + "/lock"}
	}},
	{"GET audit", want{FB, FB, FB, FB, FB, FB, 200, 200}, func(f *fixture) request {
		return request{method: "GET", path: "/api/v1/audit?limit=1"}
	}},
}

// fixture builds state as the bootstrap admin, who is none of the callers.
type fixture struct {
	t *testing.T
	s *wardentest.Server
	n int
}

func (f *fixture) do(method, path string, body []byte, wantStatus int) wardentest.Response {
	f.t.Helper()
	r := f.s.Do(method, path, f.s.AdminToken, body)
	if r.Status != wantStatus {
		f.t.Fatalf("fixture %s %s: status %d, want %d: %s", method, path, r.Status, wantStatus, r.Body)
	}
	return r
}

func (f *fixture) put(ws, path, content string, wantStatus int) {
	f.t.Helper()
	f.do("PUT", filePath(ws, path, ""), []byte(content), wantStatus)
}

func (f *fixture) newName(prefix string) string {
	f.n++
	return fmt.Sprintf("%s-%04d", prefix, f.n)
}

func (f *fixture) newPath() string { return "cells/" + f.newName("file") + ".txt" }

func (f *fixture) newAgent(grants ...string) string {
	f.t.Helper()
	name := f.newName("target")
	f.s.Agent(name, grants...)
	return name
}

func (f *fixture) newHuman() string {
	f.t.Helper()
	name := f.newName("person")
	f.s.Human(name, "operator")
	return name
}

// shared creates the read-only files every read cell of ws uses.
func (f *fixture) shared(ws string) {
	f.t.Helper()
	f.put(ws, readPath, contentV1, 201)
	f.put(ws, readPath, contentV2, 200)
	f.put(ws, protectedPath, contentV1, 201)
	f.do("POST", filePath(ws, protectedPath, "?protect"), nil, 200)
	f.put(ws, deletedPath, contentV1, 201)
	f.do("DELETE", filePath(ws, deletedPath, ""), nil, 200)
}

// cell is one entry of the matrix.
type cell struct {
	endpoint string
	caller   int
	ws       string // wsOwn, wsOther or wsGlobal
	want     int
	req      request

	// filled in by the run
	requestID string
	ran       bool // the request was sent
	ghostRan  bool // the same request was sent to the ghost workspace
}

// denied reports whether the cell is a refusal: 403, or a 404 that hides a
// workspace or a deleted file from the caller. (No cell expects a plain
// "no such thing" 404.)
func (c *cell) denied() bool { return c.want == FB || c.want == NF }

// hidesWorkspace reports whether the workspace of the cell is invisible to
// the caller: no grant on it and not a global admin.
func (c *cell) hidesWorkspace() bool {
	if c.ws == wsGlobal || c.caller == cGlobalAdmin {
		return false
	}
	return c.ws == wsOther || c.caller == cNoGrant || c.caller == cAuditor
}

// ghostPath is req's path on a workspace that does not exist.
func (c *cell) ghostPath() string {
	prefix := "/api/v1/workspaces/" + c.ws
	rest, ok := strings.CutPrefix(c.req.path, prefix)
	if !ok {
		panic("not a workspace path: " + c.req.path)
	}
	return "/api/v1/workspaces/" + wsGhost + rest
}

func errCodeFor(status int) string {
	switch status {
	case FB:
		return "forbidden"
	case NF:
		return "not_found"
	}
	return ""
}

// checkErrorBody asserts the body is exactly {"error":{"code","message"}}.
func checkErrorBody(t *testing.T, r wardentest.Response, wantCode string) {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("error Content-Type = %q, want application/json", ct)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(r.Body, &top); err != nil {
		t.Fatalf("error body is not a JSON object: %v: %s", err, r.Body)
	}
	if len(top) != 1 || top["error"] == nil {
		t.Fatalf("error body has keys %v, want only \"error\": %s", keys(top), r.Body)
	}
	var detail map[string]any
	if err := json.Unmarshal(top["error"], &detail); err != nil {
		t.Fatalf("error.error is not an object: %v: %s", err, r.Body)
	}
	if len(detail) != 2 {
		t.Errorf("error object has keys %v, want code and message: %s", keys(detail), r.Body)
	}
	if code, _ := detail["code"].(string); code != wantCode {
		t.Errorf("error.code = %v, want %q", detail["code"], wantCode)
	}
	if msg, _ := detail["message"].(string); msg == "" {
		t.Errorf("error.message = %v, want a non-empty string", detail["message"])
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// headerKeys are the names of the headers that do not vary per request.
func headerKeys(h http.Header) []string {
	var out []string
	for k := range h {
		switch k {
		case "Date", "X-Request-Id", "Content-Length":
			continue
		}
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// auditEvents returns every audit event matching query, reading all pages.
func auditEvents(t *testing.T, s *wardentest.Server, query string) []apiv1.Event {
	t.Helper()
	var out []apiv1.Event
	var after int64
	for {
		r := s.Do("GET", "/api/v1/audit?limit=1000&after="+strconv.FormatInt(after, 10)+"&"+query, s.AdminToken, nil)
		if r.Status != 200 {
			t.Fatalf("audit query: status %d: %s", r.Status, r.Body)
		}
		var page apiv1.Events
		if err := json.Unmarshal(r.Body, &page); err != nil {
			t.Fatalf("audit query: %v", err)
		}
		out = append(out, page.Events...)
		if page.Next == 0 {
			return out
		}
		after = page.Next
	}
}

func TestRBACMatrix(t *testing.T) {
	s := wardentest.Start(t)
	f := &fixture{t: t, s: s}

	s.CreateWorkspace(wsOwn, "")
	s.CreateWorkspace(wsOther, "")
	var tokens [nCallers]string
	tokens[cNoGrant] = s.Agent(callerNames[cNoGrant])
	tokens[cViewer] = s.Agent(callerNames[cViewer], wsOwn+":viewer")
	tokens[cContributor] = s.Agent(callerNames[cContributor], wsOwn+":contributor")
	tokens[cEditor] = s.Agent(callerNames[cEditor], wsOwn+":editor")
	tokens[cWSAdmin] = s.Agent(callerNames[cWSAdmin], wsOwn+":admin")
	tokens[cOperator] = s.Human(callerNames[cOperator], "operator", wsOwn+":editor")
	tokens[cGlobalAdmin] = s.Human(callerNames[cGlobalAdmin], "admin")
	tokens[cAuditor] = s.Human(callerNames[cAuditor], "auditor")
	for _, ws := range []string{wsOwn, wsOther} {
		f.shared(ws)
	}

	// Build the matrix and every cell's fixtures before any cell runs, so no
	// cell sees another's side effects. Cells are grouped by caller and
	// workspace so the subtest names nest as caller/workspace/endpoint.
	var cells []*cell
	for caller := range nCallers {
		for _, ws := range []string{wsOwn, wsOther} {
			for _, ep := range wsEndpoints {
				w := ep.own
				if ws == wsOther {
					w = ep.other
				}
				cells = append(cells, &cell{endpoint: ep.name, caller: caller, ws: ws, want: w[caller], req: ep.prep(f, ws)})
			}
		}
		for _, ep := range globalEndpoints {
			cells = append(cells, &cell{endpoint: ep.name, caller: caller, ws: wsGlobal, want: ep.want[caller], req: ep.prep(f)})
		}
	}

	denyBefore := len(auditEvents(t, s, "decision=deny"))

	for caller := range nCallers {
		t.Run(callerNames[caller], func(t *testing.T) {
			for _, ws := range []string{wsOwn, wsOther, wsGlobal} {
				t.Run(ws, func(t *testing.T) {
					for _, c := range cells {
						if c.caller != caller || c.ws != ws {
							continue
						}
						t.Run(c.endpoint, func(t *testing.T) { runCell(t, s, tokens[caller], c) })
					}
				})
			}
		})
	}

	// Every refusal must be on the record as a deny, attributed to the
	// caller, in the event of the very request that was refused.
	denials := auditEvents(t, s, "decision=deny")
	byRequest := map[string][]apiv1.Event{}
	for _, e := range denials {
		byRequest[e.RequestID] = append(byRequest[e.RequestID], e)
	}
	// Every request of the run that must have been refused: the denied cells
	// and their requests to the ghost workspace.
	expectedDenials := 0
	for _, c := range cells {
		if c.ran && c.denied() {
			expectedDenials++
		}
		if c.ghostRan {
			expectedDenials++
		}
	}
	t.Run("audit", func(t *testing.T) {
		for caller := range nCallers {
			t.Run(callerNames[caller], func(t *testing.T) {
				for _, ws := range []string{wsOwn, wsOther, wsGlobal} {
					t.Run(ws, func(t *testing.T) {
						for _, c := range cells {
							if c.caller != caller || c.ws != ws || !c.denied() {
								continue
							}
							t.Run(c.endpoint, func(t *testing.T) {
								if !c.ran || c.requestID == "" {
									t.Skip("the cell did not get an answer with a request id")
								}
								evs := byRequest[c.requestID]
								if len(evs) == 0 {
									t.Fatalf("no audit event with decision deny for request %s (%s %s)", c.requestID, c.req.method, c.req.path)
								}
								for _, e := range evs {
									if e.Principal != callerNames[c.caller] {
										t.Errorf("deny event %d has principal %q, want %q", e.Seq, e.Principal, callerNames[c.caller])
									}
									if e.Decision.Rule == "" {
										t.Errorf("deny event %d has no rule", e.Seq)
									}
								}
							})
						}
					})
				}
			})
		}

		t.Run("deny count", func(t *testing.T) {
			grew := len(denials) - denyBefore
			t.Logf("deny events grew by %d; refused requests: %d", grew, expectedDenials)
			if grew >= expectedDenials {
				return
			}
			t.Errorf("deny events grew by %d, want at least %d", grew, expectedDenials)
		})
	})

	n := 0
	for _, c := range cells {
		if c.denied() {
			n++
		}
	}
	t.Logf("matrix: %d cells (%d denied)", len(cells), n)
}

func runCell(t *testing.T, s *wardentest.Server, token string, c *cell) {
	r := s.Do(c.req.method, c.req.path, token, c.req.body)
	c.ran = true
	c.requestID = r.Header.Get("X-Request-Id")
	if r.Status != c.want {
		t.Fatalf("%s %s: status %d, want %d: %s", c.req.method, c.req.path, r.Status, c.want, r.Body)
	}
	if !c.denied() {
		if c.req.wantBody != "" && string(r.Body) != c.req.wantBody {
			t.Errorf("body = %q, want %q", r.Body, c.req.wantBody)
		}
		return
	}
	checkErrorBody(t, r, errCodeFor(c.want))
	if !c.hidesWorkspace() {
		return
	}
	// A workspace the caller has no grant on must be indistinguishable
	// from one that does not exist: same status, headers and body, apart
	// from the name.
	g := s.Do(c.req.method, c.ghostPath(), token, c.req.body)
	c.ghostRan = true
	if g.Status != r.Status {
		t.Errorf("ghost workspace: status %d, hidden workspace %d", g.Status, r.Status)
	}
	quoted := func(name string) []byte { return []byte(`\"` + name + `\"`) }
	if !bytes.Contains(r.Body, quoted(c.ws)) {
		t.Errorf("404 body does not name the workspace %q: %s", c.ws, r.Body)
	}
	if got := bytes.ReplaceAll(r.Body, quoted(c.ws), quoted(wsGhost)); !bytes.Equal(got, g.Body) {
		t.Errorf("hidden workspace body differs from a missing workspace's:\nhidden: %s\nghost:  %s", r.Body, g.Body)
	}
	if hk, gk := headerKeys(r.Header), headerKeys(g.Header); !slices.Equal(hk, gk) {
		t.Errorf("header names differ: hidden %v, ghost %v", hk, gk)
	}
	if r.Header.Get("Content-Type") != g.Header.Get("Content-Type") {
		t.Errorf("Content-Type differs: hidden %q, ghost %q", r.Header.Get("Content-Type"), g.Header.Get("Content-Type"))
	}
}
