package web

import (
	"errors"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/wardenhq/warden"
)

// signedIn is the request's session and the principal its token resolves
// to now.
type signedIn struct {
	id   string
	sess session
	user *warden.Principal
}

// Why a request was sent to the sign-in page (?why=).
var whyText = map[string]string{
	"expired":   "Your session has ended. Sign in again.",
	"revoked":   "The token this session used is no longer valid. Sign in with a current token.",
	"locked":    "Your account is locked; an admin must unlock it.",
	"signedout": "You are signed out.",
	"agent":     "This session no longer belongs to a human.",
	"changed":   "Your password or two-factor setting changed, or your account is gone. Sign in again.",
}

// lookup returns the request's live session, if any.
func (h *Handler) lookup(r *http.Request) (string, session, bool) {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return "", session{}, false
	}
	sess, ok := h.sessions.get(c.Value, h.now())
	return c.Value, sess, ok
}

// signedIn finds the request's session and authenticates its token again,
// so a lock or revocation ends the session at once. Otherwise it answers
// (a redirect to the sign-in page, or an error page) and returns false.
func (h *Handler) signedIn(w http.ResponseWriter, r *http.Request) (*signedIn, bool) {
	id, sess, ok := h.lookup(r)
	if !ok {
		why := ""
		if id != "" {
			why = "expired"
		}
		h.toLogin(w, r, why)
		return nil, false
	}
	return h.authenticate(w, r, id, sess)
}

// principalOf checks a session's credential again: its token, or for a
// password session, that its human is still unlocked and has not changed
// password or TOTP since signing in.
func (h *Handler) principalOf(r *http.Request, sess session) (*warden.Principal, error) {
	if sess.token == "" {
		if h.pw == nil {
			return nil, warden.Errorf(warden.EUNAUTHORIZED, "password sign-in is off")
		}
		return h.pw.ResumeHuman(r.Context(), sess.principalID, sess.created)
	}
	p, err := h.ids.Authenticate(r.Context(), sess.token)
	if err == nil && p.Kind != warden.KindHuman {
		err = errNotHuman
	}
	return p, err
}

func (h *Handler) authenticate(w http.ResponseWriter, r *http.Request, id string, sess session) (*signedIn, bool) {
	p, err := h.principalOf(r, sess)
	if err != nil {
		why := ""
		switch {
		case errors.Is(err, errNotHuman):
			why = "agent"
		case warden.IsCode(err, warden.EUNAUTHORIZED) && sess.token == "":
			why = "changed"
		case warden.IsCode(err, warden.EUNAUTHORIZED):
			why = "revoked"
		case warden.IsCode(err, warden.ELOCKED):
			why = "locked"
		default:
			// Throttled, or the store failed: the session may still be
			// good; say what happened and keep it.
			h.failErr(w, r, nil, err)
			return nil, false
		}
		h.sessions.delete(id)
		h.clearCookie(w, r, SessionCookie)
		h.toLogin(w, r, why)
		return nil, false
	}
	return &signedIn{id: id, sess: sess, user: p}, true
}

var errNotHuman = errors.New("not a human")

// post checks a POST from a signed-in human: same origin, a parsable form,
// a live session, its CSRF token, and its token still valid.
func (h *Handler) post(w http.ResponseWriter, r *http.Request) (*signedIn, bool) {
	if !h.postForm(w, r) {
		return nil, false
	}
	id, sess, ok := h.lookup(r)
	if !ok {
		h.toLogin(w, r, "expired")
		return nil, false
	}
	if !equalTokens(r.PostFormValue("csrf"), sess.csrf) {
		h.csrfFailed(w, r, "The form's security token is missing or does not match your session. Reload the page and try again.")
		return nil, false
	}
	return h.authenticate(w, r, id, sess)
}

// postForm checks that a POST comes from the console's own host and parses
// its form (body only; bounded).
func (h *Handler) postForm(w http.ResponseWriter, r *http.Request) bool {
	if !sameOrigin(r) {
		h.csrfFailed(w, r, "This form was posted from another site.")
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			h.fail(w, r, nil, http.StatusRequestEntityTooLarge, "Too large", "The form is larger than the console accepts.")
			return false
		}
		h.fail(w, r, nil, http.StatusBadRequest, "Bad request", "The form could not be read.")
		return false
	}
	return true
}

func (h *Handler) csrfFailed(w http.ResponseWriter, r *http.Request, msg string) {
	h.log.Warn("console: CSRF check failed", "request_id", warden.RequestFrom(r.Context()).ID, "route", r.Pattern,
		"origin", r.Header.Get("Origin"))
	h.fail(w, r, nil, http.StatusForbidden, "Forbidden", msg)
}

// sameOrigin reports whether a POST comes from a page on the host it is
// sent to: its Origin (or, without one, its Referer) names the request's
// host. Browsers send Origin on every POST; a request with neither header
// did not come from another site's page, and still needs its CSRF token.
func sameOrigin(r *http.Request) bool {
	src := r.Header.Get("Origin")
	if src == "" {
		src = r.Header.Get("Referer")
		if src == "" {
			return true
		}
	}
	if src == "null" {
		return false
	}
	u, err := url.Parse(src)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	return strings.EqualFold(u.Host, r.Host)
}

// toLogin redirects to the sign-in page, saying why.
func (h *Handler) toLogin(w http.ResponseWriter, r *http.Request, why string) {
	target := "/console/login"
	if why != "" {
		target += "?why=" + url.QueryEscape(why)
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

func (h *Handler) setCookie(w http.ResponseWriter, r *http.Request, name, value string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/console", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
}

func (h *Handler) clearCookie(w http.ResponseWriter, r *http.Request, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/console", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
}

// loginPage shows the sign-in form. The form's CSRF token is a random value
// also set as a cookie (double submit): a page on another site can neither
// read the cookie nor, with SameSite=Strict, have it sent.
func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) {
	if _, _, ok := h.lookup(r); ok {
		http.Redirect(w, r, "/console/", http.StatusSeeOther)
		return
	}
	h.renderLogin(w, r, http.StatusOK, whyText[r.URL.Query().Get("why")])
}

func (h *Handler) renderLogin(w http.ResponseWriter, r *http.Request, status int, msg string) {
	tok := ""
	if c, err := r.Cookie(LoginCookie); err == nil && wellFormed(c.Value) {
		tok = c.Value
	} else {
		tok = randomToken()
		h.setCookie(w, r, LoginCookie, tok)
	}
	h.render(w, r, status, "login", &page{Title: "Sign in", CSRF: tok, Error: msg, Passwords: h.pw != nil,
		Username: strings.TrimSpace(r.PostFormValue("username"))})
}

// login signs a human in with a name and password (and TOTP code), or
// with a token: the form posted says which.
func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	if !h.postForm(w, r) {
		return
	}
	c, err := r.Cookie(LoginCookie)
	if err != nil || !equalTokens(r.PostFormValue("csrf"), c.Value) {
		h.csrfFailed(w, r, "The sign-in form's security token is missing or does not match. Reload the sign-in page and try again.")
		return
	}
	if _, ok := r.PostForm["username"]; ok {
		h.passwordLogin(w, r)
		return
	}
	tok := strings.TrimSpace(r.PostFormValue("token"))
	if tok == "" {
		h.renderLogin(w, r, http.StatusUnauthorized, "Enter your token.")
		return
	}
	p, err := h.ids.Authenticate(r.Context(), tok)
	if err != nil {
		switch code := warden.ErrorCode(err); code {
		case warden.EUNAUTHORIZED, warden.ELOCKED, warden.ERATELIMIT:
			msg := "Sign-in failed: " + warden.ErrorMessage(err) + "."
			if code == warden.EUNAUTHORIZED {
				msg = "Sign-in failed: that token is not valid (" + warden.ErrorMessage(err) + ")."
			}
			h.renderLogin(w, r, statusOf(err), msg)
		default:
			h.failErr(w, r, nil, err)
		}
		return
	}
	if p.Kind != warden.KindHuman {
		if err := h.record(r, p, "console.login", warden.Decision{Effect: warden.Deny, Rule: "console.humans_only", Reason: "an agent's token"}); err != nil {
			h.failErr(w, r, nil, err)
			return
		}
		h.renderLogin(w, r, http.StatusForbidden, "That is an agent's token. The console is for humans: sign in with a human's token.")
		return
	}
	h.startSession(w, r, p, tok, "token")
}

// passwordLogin signs a human in with their name, password and, if they
// enrolled TOTP, a code. Identity checks, throttles and records failures;
// every failure gets the same message, whichever part was wrong.
func (h *Handler) passwordLogin(w http.ResponseWriter, r *http.Request) {
	if h.pw == nil {
		h.renderLogin(w, r, http.StatusBadRequest, "Password sign-in is not available: sign in with your token.")
		return
	}
	name := strings.TrimSpace(r.PostFormValue("username"))
	pw := r.PostFormValue("password")
	if name == "" || pw == "" {
		h.renderLogin(w, r, http.StatusUnauthorized, "Enter your name and password.")
		return
	}
	p, err := h.pw.SignIn(r.Context(), name, pw, strings.TrimSpace(r.PostFormValue("code")))
	if err != nil {
		switch warden.ErrorCode(err) {
		case warden.EUNAUTHORIZED, warden.ELOCKED, warden.ERATELIMIT:
			if ra := warden.RetryAfter(err); ra > 0 {
				w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(ra.Seconds()))))
			}
			h.renderLogin(w, r, statusOf(err), "Sign-in failed: "+warden.ErrorMessage(err)+".")
		default:
			h.failErr(w, r, nil, err)
		}
		return
	}
	h.startSession(w, r, p, "", "password")
}

// startSession records a sign-in and starts its session: with the token a
// human signed in with, or for a password sign-in, their principal id.
func (h *Handler) startSession(w http.ResponseWriter, r *http.Request, p *warden.Principal, tok, method string) {
	// On the record before the session exists: a sign-in Warden cannot
	// record does not happen.
	if err := h.record(r, p, "console.login", warden.Decision{Effect: warden.Allow, Rule: "console.humans", Reason: method}); err != nil {
		h.failErr(w, r, nil, err)
		return
	}
	// A new session id at every sign-in: a session id planted before it
	// is worth nothing.
	if old, err := r.Cookie(SessionCookie); err == nil {
		h.sessions.delete(old.Value)
	}
	var pid int64
	if tok == "" {
		pid = p.ID
	}
	id, _ := h.sessions.create(tok, pid, h.now())
	h.setCookie(w, r, SessionCookie, id)
	h.clearCookie(w, r, LoginCookie)
	h.log.Info("console: signed in", "request_id", warden.RequestFrom(r.Context()).ID, "principal", p.Name, "role", string(p.Role), "method", method)
	http.Redirect(w, r, "/console/", http.StatusSeeOther)
}

// logout ends the session.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	if !h.postForm(w, r) {
		return
	}
	id, sess, ok := h.lookup(r)
	if !ok {
		h.clearCookie(w, r, SessionCookie)
		h.toLogin(w, r, "signedout")
		return
	}
	if !equalTokens(r.PostFormValue("csrf"), sess.csrf) {
		h.csrfFailed(w, r, "The form's security token is missing or does not match your session. Reload the page and try again.")
		return
	}
	h.sessions.delete(id)
	h.clearCookie(w, r, SessionCookie)
	if p, err := h.principalOf(r, sess); err == nil {
		if err := h.record(r, p, "console.logout", warden.Decision{Effect: warden.Allow, Rule: "console.humans"}); err != nil {
			h.log.Error("console: recording a sign-out failed", "request_id", warden.RequestFrom(r.Context()).ID, "err", err)
		}
	}
	h.toLogin(w, r, "signedout")
}

// record puts a console action by p on the audit record.
func (h *Handler) record(r *http.Request, p *warden.Principal, action string, d warden.Decision) error {
	if h.audit == nil {
		return nil
	}
	req := warden.RequestFrom(r.Context())
	return h.audit.Record(r.Context(), &warden.Event{RequestID: req.ID, Remote: req.Remote, Principal: p.Name, Kind: p.Kind,
		Action: action, Decision: d, Details: map[string]any{"user_agent": req.UserAgent}})
}
