// Package client is a Go client for Warden's REST API. The CLI's admin
// commands use it, and so do the end-to-end tests.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/apiv1"
)

// Client talks to one Warden server with one token.
type Client struct {
	base  *url.URL
	token string
	hc    *http.Client
}

// New returns a client for the server at addr (e.g. http://127.0.0.1:8700).
func New(addr, token string, hc *http.Client) (*Client, error) {
	if addr == "" {
		return nil, fmt.Errorf("no server address: set WARDEN_ADDR (e.g. http://127.0.0.1:8700)")
	}
	u, err := url.Parse(addr)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("server address %q: want http(s)://host:port", addr)
	}
	if hc == nil {
		hc = &http.Client{}
	}
	return &Client{base: u, token: token, hc: hc}, nil
}

// Error is an error answer from the server.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s (%d %s)", e.Message, e.Status, e.Code)
}

// Code returns the Warden error code of err, or "" if it is not an *Error.
func Code(err error) string {
	if e, ok := err.(*Error); ok {
		return e.Code
	}
	return ""
}

// escapePath escapes each segment of a workspace file path.
func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// url joins the base address and an already escaped path.
func (c *Client) url(escapedPath string, q url.Values) string {
	u := *c.base
	u.RawPath = strings.TrimSuffix(c.base.EscapedPath(), "/") + escapedPath
	u.Path, _ = url.PathUnescape(u.RawPath) // our own escaping: cannot fail
	u.RawQuery = q.Encode()
	return u.String()
}

// Do sends a request and returns the response if its status is 2xx; any
// other status is turned into an *Error and the body closed.
func (c *Client) Do(ctx context.Context, method, path string, q url.Values, body io.Reader, contentLength int64) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.url(path, q), body)
	if err != nil {
		return nil, err
	}
	if contentLength >= 0 && body != nil {
		req.ContentLength = contentLength
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	var e apiv1.Error
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if json.Unmarshal(b, &e) != nil || e.Error.Code == "" {
		return nil, &Error{Status: resp.StatusCode, Code: "http_" + strconv.Itoa(resp.StatusCode), Message: strings.TrimSpace(string(b))}
	}
	return nil, &Error{Status: resp.StatusCode, Code: e.Error.Code, Message: e.Error.Message}
}

// call sends in as JSON (unless nil) and decodes the answer into out (unless nil).
func (c *Client) call(ctx context.Context, method, path string, q url.Values, in, out any) error {
	var body io.Reader
	n := int64(-1)
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body, n = bytes.NewReader(b), int64(len(b))
	}
	resp, err := c.Do(ctx, method, path, q, body, n)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decode %s %s answer: %w", method, path, err)
	}
	return nil
}

// Health asks /healthz.
func (c *Client) Health(ctx context.Context) (*apiv1.Health, error) {
	var out apiv1.Health
	return &out, c.call(ctx, "GET", "/healthz", nil, nil, &out)
}

// Whoami returns the caller.
func (c *Client) Whoami(ctx context.Context) (*apiv1.Principal, error) {
	var out apiv1.Principal
	return &out, c.call(ctx, "GET", "/api/v1/whoami", nil, nil, &out)
}

// CreateWorkspace creates a workspace.
func (c *Client) CreateWorkspace(ctx context.Context, name, label string) (*apiv1.Workspace, error) {
	var out apiv1.Workspace
	return &out, c.call(ctx, "POST", "/api/v1/workspaces", nil, apiv1.CreateWorkspace{Name: name, Label: label}, &out)
}

// Workspaces lists the workspaces the caller can see.
func (c *Client) Workspaces(ctx context.Context) ([]apiv1.Workspace, error) {
	var out apiv1.Workspaces
	return out.Workspaces, c.call(ctx, "GET", "/api/v1/workspaces", nil, nil, &out)
}

// Workspace returns one workspace.
func (c *Client) Workspace(ctx context.Context, name string) (*apiv1.Workspace, error) {
	var out apiv1.Workspace
	return &out, c.call(ctx, "GET", "/api/v1/workspaces/"+url.PathEscape(name), nil, nil, &out)
}

// SetLabel changes a workspace's label.
func (c *Client) SetLabel(ctx context.Context, name, label string) (*apiv1.Workspace, error) {
	var out apiv1.Workspace
	return &out, c.call(ctx, "PATCH", "/api/v1/workspaces/"+url.PathEscape(name), nil, apiv1.PatchWorkspace{Label: label}, &out)
}

// Members lists a workspace's grants.
func (c *Client) Members(ctx context.Context, ws string) ([]apiv1.Member, error) {
	var out apiv1.Members
	return out.Members, c.call(ctx, "GET", "/api/v1/workspaces/"+url.PathEscape(ws)+"/members", nil, nil, &out)
}

// Grant gives principal a role on ws.
func (c *Client) Grant(ctx context.Context, ws, principal string, role warden.Role) (*apiv1.Member, error) {
	var out apiv1.Member
	return &out, c.call(ctx, "PUT", "/api/v1/workspaces/"+url.PathEscape(ws)+"/members/"+url.PathEscape(principal), nil, apiv1.SetMember{Role: string(role)}, &out)
}

// Ungrant removes principal's grant on ws.
func (c *Client) Ungrant(ctx context.Context, ws, principal string) error {
	return c.call(ctx, "DELETE", "/api/v1/workspaces/"+url.PathEscape(ws)+"/members/"+url.PathEscape(principal), nil, nil, nil)
}

func kindPath(kind warden.PrincipalKind) string { return "/api/v1/" + string(kind) + "s" }

// CreatePrincipal creates an agent or a human; the answer carries its token.
func (c *Client) CreatePrincipal(ctx context.Context, kind warden.PrincipalKind, req apiv1.CreatePrincipal) (*apiv1.Principal, error) {
	var out apiv1.Principal
	return &out, c.call(ctx, "POST", kindPath(kind), nil, req, &out)
}

// Principals lists agents or humans.
func (c *Client) Principals(ctx context.Context, kind warden.PrincipalKind) ([]apiv1.Principal, error) {
	var out apiv1.Principals
	err := c.call(ctx, "GET", kindPath(kind), nil, nil, &out)
	if kind == warden.KindAgent {
		return out.Agents, err
	}
	return out.Humans, err
}

// Principal returns one agent or human.
func (c *Client) Principal(ctx context.Context, kind warden.PrincipalKind, name string) (*apiv1.Principal, error) {
	var out apiv1.Principal
	return &out, c.call(ctx, "GET", kindPath(kind)+"/"+url.PathEscape(name), nil, nil, &out)
}

// Lock locks a principal, with a note for the record.
func (c *Client) Lock(ctx context.Context, kind warden.PrincipalKind, name, note string) (*apiv1.Principal, error) {
	var out apiv1.Principal
	return &out, c.call(ctx, "POST", kindPath(kind)+"/"+url.PathEscape(name)+"/lock", nil, apiv1.Note{Note: note}, &out)
}

// Unlock unlocks a principal.
func (c *Client) Unlock(ctx context.Context, kind warden.PrincipalKind, name, note string) (*apiv1.Principal, error) {
	var out apiv1.Principal
	return &out, c.call(ctx, "POST", kindPath(kind)+"/"+url.PathEscape(name)+"/unlock", nil, apiv1.Note{Note: note}, &out)
}

// Revoke revokes every token of a principal.
func (c *Client) Revoke(ctx context.Context, kind warden.PrincipalKind, name string) (*apiv1.Revoked, error) {
	var out apiv1.Revoked
	return &out, c.call(ctx, "POST", kindPath(kind)+"/"+url.PathEscape(name)+"/revoke", nil, nil, &out)
}

// NewToken issues another token for a principal.
func (c *Client) NewToken(ctx context.Context, kind warden.PrincipalKind, name string) (*apiv1.NewToken, error) {
	var out apiv1.NewToken
	return &out, c.call(ctx, "POST", kindPath(kind)+"/"+url.PathEscape(name)+"/tokens", nil, nil, &out)
}

// Tokens lists a principal's tokens.
func (c *Client) Tokens(ctx context.Context, kind warden.PrincipalKind, name string) ([]apiv1.Token, error) {
	var out apiv1.Tokens
	return out.Tokens, c.call(ctx, "GET", kindPath(kind)+"/"+url.PathEscape(name)+"/tokens", nil, nil, &out)
}

func filePath(ws, path string) string {
	return "/api/v1/workspaces/" + url.PathEscape(ws) + "/files/" + escapePath(path)
}

// PutFile uploads r as a new version of path; size may be -1 if unknown.
func (c *Client) PutFile(ctx context.Context, ws, path string, r io.Reader, size int64) (*apiv1.File, error) {
	resp, err := c.Do(ctx, "PUT", filePath(ws, path), nil, r, size)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out apiv1.File
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("decode upload answer: %w", err)
	}
	return &out, nil
}

// FileRef selects what a read, history or restore is about: a version (0
// for the latest) of the current file at a path, or of the archived file
// with id Archived (workspace admins).
type FileRef struct {
	Version  int
	Archived int64
}

func (r FileRef) query(q url.Values) url.Values {
	if r.Version > 0 {
		q.Set("version", strconv.Itoa(r.Version))
	}
	if r.Archived > 0 {
		q.Set("file", strconv.FormatInt(r.Archived, 10))
	}
	return q
}

// GetFile opens version (0 for the latest) of path. The caller closes the body.
func (c *Client) GetFile(ctx context.Context, ws, path string, version int) (*http.Response, error) {
	return c.GetFileRef(ctx, ws, path, FileRef{Version: version})
}

// GetFileRef opens the version ref names. The caller closes the body.
func (c *Client) GetFileRef(ctx context.Context, ws, path string, ref FileRef) (*http.Response, error) {
	return c.Do(ctx, "GET", filePath(ws, path), ref.query(url.Values{}), nil, -1)
}

// ListOptions select files for Files.
type ListOptions struct {
	Prefix, Query, After string
	Limit                int
	Deleted              bool
}

// Files lists one page of files.
func (c *Client) Files(ctx context.Context, ws string, o ListOptions) (*apiv1.Files, error) {
	q := url.Values{}
	for k, v := range map[string]string{"prefix": o.Prefix, "q": o.Query, "after": o.After} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.Deleted {
		q.Set("deleted", "true")
	}
	var out apiv1.Files
	return &out, c.call(ctx, "GET", "/api/v1/workspaces/"+url.PathEscape(ws)+"/files", q, nil, &out)
}

// Versions returns a file's history (of an archived file if archived > 0).
func (c *Client) Versions(ctx context.Context, ws, path string, archived int64) (*apiv1.Versions, error) {
	var out apiv1.Versions
	q := FileRef{Archived: archived}.query(url.Values{"versions": {""}})
	return &out, c.call(ctx, "GET", filePath(ws, path), q, nil, &out)
}

// DeleteFile deletes a file (a tombstone version; history stays).
func (c *Client) DeleteFile(ctx context.Context, ws, path string) (*apiv1.File, error) {
	var out apiv1.File
	return &out, c.call(ctx, "DELETE", filePath(ws, path), nil, nil, &out)
}

// Restore makes version n the new head of path; with archived > 0, version
// n of that archived file.
func (c *Client) Restore(ctx context.Context, ws, path string, n int, archived int64) (*apiv1.File, error) {
	var out apiv1.File
	q := FileRef{Archived: archived}.query(url.Values{"restore": {strconv.Itoa(n)}})
	return &out, c.call(ctx, "POST", filePath(ws, path), q, nil, &out)
}

// Protect sets or clears a file's protection.
func (c *Client) Protect(ctx context.Context, ws, path string, on bool) (*apiv1.File, error) {
	var out apiv1.File
	return &out, c.call(ctx, "POST", filePath(ws, path), url.Values{"protect": {strconv.FormatBool(on)}}, nil, &out)
}

// AuditQuery selects audit events.
type AuditQuery struct {
	After                                  int64
	Since, Until                           string // RFC 3339 or a duration back from now
	Principal, Action, Workspace, Decision string
	Limit                                  int
}

// Audit returns one page of audit events.
func (c *Client) Audit(ctx context.Context, a AuditQuery) (*apiv1.Events, error) {
	q := url.Values{}
	for k, v := range map[string]string{"since": a.Since, "until": a.Until, "principal": a.Principal, "action": a.Action, "workspace": a.Workspace, "decision": a.Decision} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if a.After > 0 {
		q.Set("after", strconv.FormatInt(a.After, 10))
	}
	if a.Limit > 0 {
		q.Set("limit", strconv.Itoa(a.Limit))
	}
	var out apiv1.Events
	return &out, c.call(ctx, "GET", "/api/v1/audit", q, nil, &out)
}
