package share

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"errors"
	"html/template"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/httpstatus"
	"github.com/wardenhq/warden/watermark"
)

//go:embed templates/*.html
var templates embed.FS

// Cookie names. Both are HttpOnly, SameSite=Strict, Secure over TLS, and
// scoped to one share's path, so a session opens only the share it was
// made for.
const (
	SessionCookie = "warden_share"
	CSRFCookie    = "warden_share_csrf"
)

// style is the pages' only CSS; the CSP allows exactly it by its hash.
const style = `body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1b1f24}
main{max-width:60rem;margin:2rem auto;padding:1.5rem 2rem;background:#fff;border:1px solid #d8dde3;border-radius:6px}
h1{font-size:1.4rem;margin-top:0}label{display:block;margin:.8rem 0 .2rem}input{font:inherit;padding:.4rem;width:20rem;max-width:100%}
button{font:inherit;margin-top:.8rem;padding:.4rem 1rem}.error{color:#a40e26}.who{color:#57606a;font-size:.9rem}
pre{white-space:pre-wrap;word-break:break-word;background:#f6f8fa;padding:1rem;border:1px solid #d8dde3}`

const maxForm = 16 << 10

// Pages serves the recipients' pages under /s/: no script, a strict CSP,
// CSRF tokens on both forms.
type Pages struct {
	svc   *Service
	log   *slog.Logger
	pages map[string]*template.Template
	csp   string
	mux   *http.ServeMux
}

// NewPages returns the handler for /s/.
func NewPages(svc *Service, log *slog.Logger) *Pages {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	sum := sha256.Sum256([]byte(style))
	p := &Pages{svc: svc, log: log, pages: map[string]*template.Template{}, mux: http.NewServeMux(),
		csp: "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; img-src 'self'; " +
			"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"}
	base := template.Must(template.ParseFS(templates, "templates/layout.html"))
	for _, n := range []string{"email", "code", "view", "folder", "message"} {
		p.pages[n] = template.Must(template.Must(base.Clone()).ParseFS(templates, "templates/"+n+".html"))
	}
	m := p.mux
	m.HandleFunc("GET /s/{id}", p.landing)
	m.HandleFunc("POST /s/{id}", p.email)
	m.HandleFunc("POST /s/{id}/code", p.code)
	m.HandleFunc("GET /s/{id}/view/{path...}", p.viewFile)
	m.HandleFunc("GET /s/{id}/pdf", p.pdf)
	m.HandleFunc("GET /s/{id}/pdf/{path...}", p.pdf)
	m.HandleFunc("GET /s/{id}/download", p.download)
	m.HandleFunc("GET /s/{id}/download/{path...}", p.download)
	m.HandleFunc("/s/", func(w http.ResponseWriter, r *http.Request) {
		p.message(w, r, http.StatusNotFound, "Not found", "There is no such page.")
	})
	return p
}

// ServeHTTP sets the pages' security headers and serves the request.
func (p *Pages) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", p.csp)
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	// "same-origin" keeps Origin on the pages' own posts (under
	// "no-referrer" browsers send "Origin: null") and sends the link to no
	// other site.
	h.Set("Referrer-Policy", "same-origin")
	p.mux.ServeHTTP(w, r)
}

// page is what every template gets.
type page struct {
	Title, ID, CSRF, Email, Error, Message string
	Password, Folder, Download, NoPreview  bool
	Time, Text, Name, DownloadURL          string
	Entries                                []entryView

	// Style is the constant stylesheet, trusted as CSS: as a plain string
	// html/template would put "ZgotmplZ" inside <style> instead.
	Style template.CSS
}

type entryView struct {
	Path, Href string
	Size       int64
	Text       bool // rendered as text, so also offered as a PDF
}

func (p *Pages) render(w http.ResponseWriter, r *http.Request, status int, name string, pg *page) {
	pg.Style = template.CSS(style)
	var buf bytes.Buffer
	if err := p.pages[name].ExecuteTemplate(&buf, "layout", pg); err != nil {
		p.log.Error("share: render", "request_id", warden.RequestFrom(r.Context()).ID, "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (p *Pages) message(w http.ResponseWriter, r *http.Request, status int, title, msg string) {
	p.render(w, r, status, "message", &page{Title: title, Message: msg})
}

// fail shows a service error: its status from the shared table and its
// caller-safe message. A share that no longer opens shows only that.
func (p *Pages) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := warden.ErrorCode(err)
	status := httpstatus.For(code)
	if status >= 500 && code != warden.EUNAVAILABLE {
		p.log.Error("share: request failed", "request_id", warden.RequestFrom(r.Context()).ID, "route", r.Pattern, "code", code, "err", err)
	}
	title := http.StatusText(status)
	switch code {
	case warden.EGONE:
		title = "This link no longer opens"
	case warden.ENOTFOUND:
		title = "Not found"
	case warden.ERATELIMIT:
		secs := int(warden.RetryAfter(err).Seconds() + 0.999)
		w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
	}
	p.message(w, r, status, title, warden.ErrorMessage(err))
}

func cookiePath(id string) string { return "/s/" + id }

func (p *Pages) setCookie(w http.ResponseWriter, r *http.Request, id, name, value string, expires time.Time) {
	c := &http.Cookie{Name: name, Value: value, Path: cookiePath(id), HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil}
	if !expires.IsZero() {
		c.Expires = expires
		c.MaxAge = max(int(time.Until(expires).Seconds()), 1)
	}
	http.SetCookie(w, c)
}

// csrfToken returns the request's form token (double submit: a random
// value in a cookie that another site can neither read nor, with
// SameSite=Strict, have sent), setting the cookie if there is none.
func (p *Pages) csrfToken(w http.ResponseWriter, r *http.Request, id string) string {
	if c, err := r.Cookie(CSRFCookie); err == nil && wellFormed(c.Value) {
		return c.Value
	}
	tok := randomString(32)
	p.setCookie(w, r, id, CSRFCookie, tok, time.Time{})
	return tok
}

func wellFormed(v string) bool {
	if len(v) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(v)
	return err == nil
}

// checkPost checks a form POST: same origin, bounded, parsable, and its
// CSRF token matching the cookie.
func (p *Pages) checkPost(w http.ResponseWriter, r *http.Request) bool {
	if !sameOrigin(r) {
		p.message(w, r, http.StatusForbidden, "Forbidden", "This form was posted from another site.")
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			p.message(w, r, http.StatusRequestEntityTooLarge, "Too large", "The form is larger than this page accepts.")
			return false
		}
		p.message(w, r, http.StatusBadRequest, "Bad request", "The form could not be read.")
		return false
	}
	c, err := r.Cookie(CSRFCookie)
	if err != nil || !wellFormed(c.Value) || !equal(r.PostFormValue("csrf"), c.Value) {
		p.message(w, r, http.StatusForbidden, "Forbidden", "The form's security token is missing or does not match. Open the link again and retry.")
		return false
	}
	return true
}

func equal(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// sameOrigin: a POST's Origin (or Referer) names the host it is sent to;
// with neither it did not come from another site's page and still needs
// its token.
func sameOrigin(r *http.Request) bool {
	src := r.Header.Get("Origin")
	if src == "" {
		if src = r.Header.Get("Referer"); src == "" {
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

// recipient returns the request's session for share id. Without one it
// answers with the email form and returns nil; a share that no longer
// opens gets its 410.
func (p *Pages) recipient(w http.ResponseWriter, r *http.Request, id string) *Recipient {
	cookie := ""
	if c, err := r.Cookie(SessionCookie); err == nil {
		cookie = c.Value
	}
	rc, err := p.svc.Recipient(r.Context(), id, cookie)
	if err == nil {
		return rc
	}
	if warden.IsCode(err, warden.ENOTFOUND) && cookie != "" {
		// A session for another share, or an expired one: start again.
		if _, cerr := p.svc.Check(r.Context(), id); cerr == nil {
			p.askEmail(w, r, id, http.StatusOK, "", "")
			return nil
		}
	}
	if warden.IsCode(err, warden.ENOTFOUND) && cookie == "" {
		if _, cerr := p.svc.Check(r.Context(), id); cerr == nil {
			p.askEmail(w, r, id, http.StatusOK, "", "")
			return nil
		} else {
			err = cerr
		}
	}
	p.fail(w, r, err)
	return nil
}

func (p *Pages) askEmail(w http.ResponseWriter, r *http.Request, id string, status int, email, msg string) {
	p.render(w, r, status, "email", &page{Title: "Open a shared document", ID: id, CSRF: p.csrfToken(w, r, id), Email: email, Error: msg})
}

// landing is the link itself: the email form, or with a session the
// document (a file share) or its files (a folder share).
func (p *Pages) landing(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	rc := p.recipient(w, r, id)
	if rc == nil {
		return
	}
	if rc.Folder {
		entries, err := p.svc.Files(r.Context(), rc)
		if err != nil {
			p.fail(w, r, err)
			return
		}
		pg := &page{Title: "Shared folder", ID: id, Email: rc.Email, Download: rc.Download}
		for _, e := range entries {
			pg.Entries = append(pg.Entries, entryView{Path: e.Path, Href: escapePath(e.Path), Size: e.Size, Text: watermark.KindForName(e.Path) != ""})
		}
		p.render(w, r, http.StatusOK, "folder", pg)
		return
	}
	p.show(w, r, rc, "")
}

func (p *Pages) viewFile(w http.ResponseWriter, r *http.Request) {
	rc := p.recipient(w, r, r.PathValue("id"))
	if rc == nil {
		return
	}
	if !rc.Folder {
		p.message(w, r, http.StatusNotFound, "Not found", "There is no such page.")
		return
	}
	p.show(w, r, rc, r.PathValue("path"))
}

// show serves one document for viewing: the Marker's rendering as is, or
// the text page.
func (p *Pages) show(w http.ResponseWriter, r *http.Request, rc *Recipient, rel string) {
	doc, err := p.svc.Open(r.Context(), rc, rel, false)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	defer doc.Close()
	if doc.Body != nil {
		// A rendering made for this recipient; never the original bytes.
		w.Header().Set("Content-Type", doc.ContentType)
		w.Header().Set("Content-Disposition", "inline")
		// A rendered HTML page may carry its watermark image inline.
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'; sandbox")
		w.Header().Set("Content-Length", strconv.Itoa(len(doc.Body)))
		_, _ = w.Write(doc.Body)
		return
	}
	pg := &page{Title: doc.Name, ID: rc.ShareID, Email: rc.Email, Folder: rc.Folder, Download: rc.Download, NoPreview: doc.NoPreview,
		Text: doc.Text, Name: doc.Name, Time: time.Now().UTC().Format("2006-01-02 15:04 UTC")}
	pg.DownloadURL = "/s/" + rc.ShareID + "/download"
	if rel != "" {
		pg.DownloadURL += "/" + escapePath(rel)
	}
	p.render(w, r, http.StatusOK, "view", pg)
}

// pdf serves a text document as its watermarked PDF, inline: the
// browser's viewer shows it, the page cannot script Warden's origin.
func (p *Pages) pdf(w http.ResponseWriter, r *http.Request) {
	rc := p.recipient(w, r, r.PathValue("id"))
	if rc == nil {
		return
	}
	doc, err := p.svc.OpenPDF(r.Context(), rc, r.PathValue("path"))
	if err != nil {
		p.fail(w, r, err)
		return
	}
	defer doc.Close()
	h := w.Header()
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": strings.TrimSuffix(doc.Name, path.Ext(doc.Name)) + ".pdf"}))
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Content-Length", strconv.Itoa(len(doc.Body)))
	_, _ = w.Write(doc.Body)
}

func (p *Pages) download(w http.ResponseWriter, r *http.Request) {
	rc := p.recipient(w, r, r.PathValue("id"))
	if rc == nil {
		return
	}
	doc, err := p.svc.Open(r.Context(), rc, r.PathValue("path"), true)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	defer doc.Close()
	h := w.Header()
	// Never rendered on Warden's origin.
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": doc.Name}))
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Content-Length", strconv.FormatInt(doc.Size, 10))
	if doc.Body != nil {
		_, _ = w.Write(doc.Body)
		return
	}
	_, _ = io.Copy(w, doc.Reader)
}

// email handles the address form: a code goes out if the address may open
// the link.
func (p *Pages) email(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !p.checkPost(w, r) {
		return
	}
	addr := strings.TrimSpace(r.PostFormValue("email"))
	err := p.svc.RequestCode(r.Context(), id, addr)
	switch {
	case err == nil:
	case warden.IsCode(err, warden.EINVALID), warden.IsCode(err, warden.EFORBIDDEN):
		status := httpstatus.For(warden.ErrorCode(err))
		p.askEmail(w, r, id, status, addr, warden.ErrorMessage(err))
		return
	default:
		p.fail(w, r, err)
		return
	}
	pub, err := p.svc.Check(r.Context(), id)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.render(w, r, http.StatusOK, "code", &page{Title: "Enter your code", ID: id, CSRF: p.csrfToken(w, r, id), Email: addr, Password: pub.Password})
}

// code handles the code form: right, and a session cookie is set.
func (p *Pages) code(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !p.checkPost(w, r) {
		return
	}
	addr := strings.TrimSpace(r.PostFormValue("email"))
	sess, err := p.svc.Verify(r.Context(), id, addr, r.PostFormValue("code"), r.PostFormValue("password"))
	if err != nil {
		if warden.IsCode(err, warden.EFORBIDDEN) || warden.IsCode(err, warden.EINVALID) {
			pub, cerr := p.svc.Check(r.Context(), id)
			if cerr != nil {
				p.fail(w, r, cerr)
				return
			}
			p.render(w, r, httpstatus.For(warden.ErrorCode(err)), "code", &page{Title: "Enter your code", ID: id, CSRF: p.csrfToken(w, r, id),
				Email: addr, Password: pub.Password, Error: warden.ErrorMessage(err)})
			return
		}
		p.fail(w, r, err)
		return
	}
	p.setCookie(w, r, id, SessionCookie, sess.Cookie, sess.ExpiresAt)
	http.Redirect(w, r, "/s/"+id, http.StatusSeeOther)
}

func escapePath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = url.PathEscape(s)
	}
	return strings.Join(parts, "/")
}
