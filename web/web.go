// Package web is Warden's admin console: server-rendered pages under
// /console/, built with html/template from templates and a stylesheet
// embedded in the binary. Every page works without JavaScript; the
// approvals and alerts pages load one small script of the console's own
// (static/live.js) that follows GET /console/events (server-sent events) to
// refresh their list when it changes.
//
// A human signs in with a name, password and TOTP code, or with an API
// token; the console keeps the token (or the human's id) in a server-side
// session and checks it again on every request, so a lock, revocation or
// password change takes effect at once. Every form carries the session's CSRF
// token, and every POST must come from the console's own host. The services
// (identity, toolcall) decide and audit; the console only shows and asks.
package web

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/httpstatus"
	"github.com/wardenhq/warden/toolcall"
)

//go:embed templates/*.html static/*.css static/*.svg static/*.js
var assets embed.FS

// Authenticator resolves a token to its principal (*identity.Service).
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (*warden.Principal, error)
}

// Passwords signs humans in with a password and TOTP code, and checks on
// each request that a password session still stands (*identity.Service).
type Passwords interface {
	SignIn(ctx context.Context, name, password, code string) (*warden.Principal, error)
	ResumeHuman(ctx context.Context, principalID int64, since time.Time) (*warden.Principal, error)
}

// Recorder puts an event on the audit record.
type Recorder interface {
	Record(ctx context.Context, ev *warden.Event) error
}

// Approvals lists and decides tool-call approvals (*toolcall.Service).
type Approvals interface {
	List(ctx context.Context, p *warden.Principal, status warden.ApprovalStatus, limit int) ([]*toolcall.Approval, error)
	Approve(ctx context.Context, p *warden.Principal, id, note string, always bool) (*toolcall.Approval, error)
	Deny(ctx context.Context, p *warden.Principal, id, note string) (*toolcall.Approval, error)
}

// Options configure the console. Identity and Tools are required.
type Options struct {
	Identity Authenticator
	Tools    Approvals
	// Passwords enables password sign-in; nil offers token sign-in only.
	Passwords Passwords
	// Alerts serves the alerts page; nil leaves it out.
	Alerts AlertService
	// Unlocker lets admins unlock an agent a detection locked.
	Unlocker Unlocker
	// Agents serves the agents page and the overview's agents: the roster
	// (admins and auditors), lock and unlock (admins). It also unlocks when
	// Unlocker is nil.
	Agents AgentService
	// Events serves the audit page, the overview's recent denials and
	// sink lag, and the agents' last activity; nil leaves them out. If it
	// is also a Subscriber (*audit.Log is), New subscribes the live
	// updates (Observe) to it; otherwise call Observe from a subscription.
	Events EventService
	// Chain verifies the audit chain for the audit page's badge; nil
	// shows no badge.
	Chain ChainChecker
	// Sinks reports each audit sink's delivery cursor for the overview.
	Sinks func() []SinkHealth
	// Audit records sign-ins and sign-outs (the approvals service records
	// what is done with them); nil records nothing.
	Audit  Recorder
	Logger *slog.Logger
	Now    func() time.Time
	// MaxSessions bounds the signed-in sessions kept; past it the least
	// recently used is dropped. Default 10,000.
	MaxSessions int
}

// Session lifetimes: a session ends 8 hours after sign-in, or after 30
// minutes without a request.
const (
	SessionLifetime = 8 * time.Hour
	SessionIdle     = 30 * time.Minute
)

// Cookie names. Both are HttpOnly, SameSite=Strict, Path=/console.
const (
	SessionCookie = "warden_session"
	LoginCookie   = "warden_login_csrf"
)

// CSP is the Content-Security-Policy of console responses: no script at
// all, styles and images from the console only, forms post only to it, and
// no framing.
const CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// LiveCSP is the policy of the pages that update live (approvals, alerts):
// CSP plus the console's own script file and its event stream. Never
// inline script.
const LiveCSP = CSP + "; script-src 'self'; connect-src 'self'"

const (
	maxForm      = 64 << 10 // bytes of a POSTed form
	historyLimit = 200      // approvals shown with ?status=all
)

// Handler serves the console under /console/.
type Handler struct {
	ids      Authenticator
	pw       Passwords
	alerts   AlertService
	unlocker Unlocker
	agents   AgentService
	events   EventService
	chain    ChainChecker
	sinks    func() []SinkHealth
	audit    Recorder
	tools    Approvals
	log      *slog.Logger
	now      func() time.Time
	sessions *sessions
	pages    map[string]*template.Template
	mux      *http.ServeMux
	live     *liveHub
}

// New returns the console handler; mount it at /console/.
func New(o Options) *Handler {
	if o.Identity == nil || o.Tools == nil {
		panic("web.New: Identity and Tools are required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxSessions <= 0 {
		o.MaxSessions = 10_000
	}
	if o.Unlocker == nil && o.Agents != nil {
		o.Unlocker = o.Agents
	}
	h := &Handler{ids: o.Identity, pw: o.Passwords, alerts: o.Alerts, unlocker: o.Unlocker, agents: o.Agents, events: o.Events, chain: o.Chain,
		sinks: o.Sinks, audit: o.Audit, tools: o.Tools, log: o.Logger, now: o.Now,
		sessions: newSessions(o.MaxSessions, SessionLifetime, SessionIdle), pages: parsePages(), mux: http.NewServeMux(), live: newLiveHub()}
	if sub, ok := o.Events.(Subscriber); ok {
		sub.Subscribe(h.Observe)
	}
	static, err := fs.Sub(assets, "static")
	if err != nil {
		panic(err)
	}
	m := h.mux
	m.HandleFunc("GET /console/{$}", h.overview)
	m.Handle("GET /console/static/", http.StripPrefix("/console/static/", http.FileServerFS(static)))
	m.HandleFunc("GET /console/login", h.loginPage)
	m.HandleFunc("POST /console/login", h.login)
	m.HandleFunc("POST /console/logout", h.logout)
	m.HandleFunc("GET /console/approvals", h.approvals)
	m.HandleFunc("POST /console/approvals/{id}/approve", h.decide(true))
	m.HandleFunc("POST /console/approvals/{id}/deny", h.decide(false))
	m.HandleFunc("GET /console/alerts", h.alertsPage)
	m.HandleFunc("POST /console/alerts/{id}/acknowledge", h.updateAlert(warden.AlertAcknowledged))
	m.HandleFunc("POST /console/alerts/{id}/resolve", h.updateAlert(warden.AlertResolved))
	m.HandleFunc("GET /console/agents", h.agentsPage)
	m.HandleFunc("POST /console/agents/{name}/lock", h.lockAgent)
	m.HandleFunc("POST /console/agents/{name}/unlock", h.unlockAgent)
	m.HandleFunc("GET /console/audit", h.auditPage)
	m.HandleFunc("GET /console/events", h.liveStream)
	// Unknown pages are behind sign-in too: who is signed out learns
	// nothing about which pages exist.
	m.HandleFunc("/console/", func(w http.ResponseWriter, r *http.Request) {
		s, ok := h.signedIn(w, r)
		if !ok {
			return
		}
		h.fail(w, r, s, http.StatusNotFound, "Not found", "There is no such page in the console.")
	})
	return h
}

// ServeHTTP sets the console's security headers and serves the request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", CSP)
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	// The API answers with "no-referrer", under which browsers send
	// "Origin: null" on form posts; "same-origin" keeps Origin (and
	// Referer) on the console's own posts and sends nothing elsewhere.
	hd.Set("Referrer-Policy", "same-origin")
	h.mux.ServeHTTP(w, r)
}

// page is what every template gets.
type page struct {
	Title string
	Nav   string            // the nav entry of this page, marked aria-current
	Live  string            // "approval" or "alert": the page loads live.js and follows those events
	User  *warden.Principal // nil when signed out
	CSRF  string            // the session's (or the login form's) token
	// login page
	Passwords bool   // password sign-in is offered
	Username  string // kept after a failed password sign-in
	Flash     string
	Error     string
	// error page
	Status  int
	Code    string
	Message string
	// approvals page
	Filter    string // "pending" or "all"
	Approvals []approvalView
	CanDecide bool
	// alerts page
	Alerts []alertView
	// overview, agents and audit pages
	Overview *overviewView
	Agents   []agentView
	Audit    *auditView
}

// approvalView is one approval as the page shows it.
type approvalView struct {
	ID, Agent, Profile, Tool, Params, Rule, Reason, Session string
	Status, Created, Expires, Decided, DecidedBy, Note      string
	Always, Pending                                         bool
}

func parsePages() map[string]*template.Template {
	base := template.Must(template.ParseFS(assets, "templates/layout.html"))
	pages := map[string]*template.Template{}
	for _, name := range []string{"login", "overview", "approvals", "alerts", "agents", "audit", "error"} {
		pages[name] = template.Must(template.Must(base.Clone()).ParseFS(assets, "templates/"+name+".html"))
	}
	return pages
}

// render writes a page; it renders to a buffer first so a template error is
// a clean 500.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	var buf bytes.Buffer
	if err := h.pages[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		h.log.Error("console: render", "request_id", warden.RequestFrom(r.Context()).ID, "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if p.Live != "" {
		w.Header().Set("Content-Security-Policy", LiveCSP)
	}
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// fail renders the error page.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, s *signedIn, status int, title, msg string) {
	p := &page{Title: title, Status: status, Message: msg}
	if s != nil {
		p.User, p.CSRF = s.user, s.sess.csrf
	}
	h.render(w, r, status, "error", p)
}

// failErr renders the error page for a service error: its code, and its
// caller-safe message.
func (h *Handler) failErr(w http.ResponseWriter, r *http.Request, s *signedIn, err error) {
	code := warden.ErrorCode(err)
	status := statusOf(err)
	if status >= 500 {
		h.log.Error("console: request failed", "request_id", warden.RequestFrom(r.Context()).ID, "route", r.Pattern, "code", code, "err", err)
	}
	p := &page{Title: http.StatusText(status), Status: status, Code: code, Message: warden.ErrorMessage(err)}
	if s != nil {
		p.User, p.CSRF = s.user, s.sess.csrf
	}
	h.render(w, r, status, "error", p)
}

func (h *Handler) approvals(w http.ResponseWriter, r *http.Request) {
	s, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	filter, status, limit := "pending", warden.ApprovalPending, 0
	if q.Get("status") == "all" {
		filter, status, limit = "all", "", historyLimit
	}
	list, err := h.tools.List(r.Context(), s.user, status, limit)
	if err != nil {
		h.failErr(w, r, s, err)
		return
	}
	p := &page{Title: "Approvals", Nav: "approvals", Live: "approval", User: s.user, CSRF: s.sess.csrf, Filter: filter, Flash: flash(q.Get("done")),
		CanDecide: canDecide(s.user)}
	now := h.now()
	for _, a := range list {
		p.Approvals = append(p.Approvals, h.view(a, now))
	}
	h.render(w, r, http.StatusOK, "approvals", p)
}

// decide handles the approve and deny forms.
func (h *Handler) decide(approve bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, ok := h.post(w, r)
		if !ok {
			return
		}
		id, note := r.PathValue("id"), strings.TrimSpace(r.PostFormValue("note"))
		var err error
		verb := "denied"
		if approve {
			verb = "approved"
			_, err = h.tools.Approve(r.Context(), s.user, id, note, r.PostFormValue("always") == "on")
		} else {
			_, err = h.tools.Deny(r.Context(), s.user, id, note)
		}
		if err != nil {
			h.failErr(w, r, s, err)
			return
		}
		q := url.Values{"done": {verb + ":" + id}}
		if r.PostFormValue("filter") == "all" {
			q.Set("status", "all")
		}
		http.Redirect(w, r, "/console/approvals?"+q.Encode(), http.StatusSeeOther)
	}
}

// flash turns ?done=approved:apr_x into a message; anything else is ignored.
// The template escapes it.
func flash(done string) string {
	verb, id, ok := strings.Cut(done, ":")
	if !ok || id == "" || len(id) > 64 {
		return ""
	}
	switch verb {
	case "approved":
		return "Approved " + id + "."
	case "denied":
		return "Denied " + id + "."
	}
	return ""
}

// statusOf is the HTTP status of a service error (the shared table).
func statusOf(err error) int { return httpstatus.For(warden.ErrorCode(err)) }

func canDecide(p *warden.Principal) bool {
	return p.Kind == warden.KindHuman && (p.Role == warden.HumanAdmin || p.Role == warden.HumanApprover)
}

const timeLayout = "2006-01-02 15:04:05 UTC"

func (h *Handler) view(a *toolcall.Approval, now time.Time) approvalView {
	v := approvalView{ID: a.ID, Agent: a.Agent, Profile: a.Profile, Tool: a.Tool, Params: prettyJSON(a.Params), Rule: a.Rule,
		Reason: a.Reason, Session: a.Session, Status: string(a.Status), Created: a.CreatedAt.UTC().Format(timeLayout),
		DecidedBy: a.DecidedBy, Note: a.Note, Always: a.Always, Pending: a.Status == warden.ApprovalPending}
	switch {
	case a.ExpiresAt.IsZero():
		v.Expires = "never"
	case a.ExpiresAt.After(now):
		v.Expires = a.ExpiresAt.UTC().Format(timeLayout) + " (in " + a.ExpiresAt.Sub(now).Round(time.Second).String() + ")"
	default:
		v.Expires = a.ExpiresAt.UTC().Format(timeLayout)
	}
	if !a.DecidedAt.IsZero() {
		v.Decided = a.DecidedAt.UTC().Format(timeLayout)
	}
	return v
}

// prettyJSON indents the (already masked) parameters; the template escapes
// the result.
func prettyJSON(v map[string]any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return "(parameters cannot be shown)"
	}
	return strings.TrimSpace(buf.String())
}
