package share_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	pngenc "image/png"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/apiv1"
	"github.com/wardenhq/warden/client"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/share"
	"github.com/wardenhq/warden/share/smtptest"
	"github.com/wardenhq/warden/wardentest"
)

var bg = context.Background()

// room is a server with a data room "deal" holding memo.txt and a folder,
// and an SMTP sink that receives the codes.
type room struct {
	*wardentest.Server
	mail *smtptest.Server
}

func start(t *testing.T, opts ...wardentest.Option) *room {
	t.Helper()
	mail := smtptest.Start(t)
	opts = append([]wardentest.Option{func(c *config.Config) {
		c.SMTP = config.SMTP{Host: mail.Host, Port: mail.Port, From: "warden@example.test", StartTLS: false}
	}}, opts...)
	s := wardentest.Start(t, opts...)
	s.CreateWorkspace("deal", "restricted")
	for path, body := range map[string]string{
		"memo.txt":         "ORIGINAL-MEMO-BYTES <script>alert(1)</script> confidential terms",
		"reports/q3.txt":   "Q3 numbers",
		"reports/q4.csv":   "a,b\n1,2\n",
		"reports/logo.bin": "\x00\x01\x02PNG-ish binary",
		"other/secret.txt": "not shared",
	} {
		if _, err := s.Admin.PutFile(bg, "deal", path, strings.NewReader(body), int64(len(body))); err != nil {
			t.Fatal(err)
		}
	}
	return &room{Server: s, mail: mail}
}

func (rm *room) create(t *testing.T, req apiv1.CreateShare) *apiv1.Share {
	t.Helper()
	if req.ExpiresIn == "" {
		req.ExpiresIn = "1h"
	}
	sh, err := rm.Admin.CreateShare(bg, "deal", req)
	if err != nil {
		t.Fatalf("create share %+v: %v", req, err)
	}
	return sh
}

// recipient is a browser: a cookie jar, no automatic redirects.
type recipient struct {
	t    *testing.T
	base string
	hc   *http.Client
}

func (rm *room) browser(t *testing.T) *recipient {
	jar, _ := cookiejar.New(nil)
	return &recipient{t: t, base: rm.URL, hc: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type page struct {
	status int
	header http.Header
	body   string
}

func (b *recipient) get(path string) page {
	b.t.Helper()
	resp, err := b.hc.Get(b.base + path)
	if err != nil {
		b.t.Fatal(err)
	}
	return read(b.t, resp)
}

func (b *recipient) post(path string, form url.Values) page {
	b.t.Helper()
	req, _ := http.NewRequest("POST", b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.base)
	resp, err := b.hc.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	return read(b.t, resp)
}

func read(t *testing.T, resp *http.Response) page {
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return page{resp.StatusCode, resp.Header, stripZeroWidth(string(body))}
}

// stripZeroWidth drops the forensic mark's zero-width code points, so the
// tests can read rendered text.
func stripZeroWidth(s string) string {
	return strings.NewReplacer("\u200b", "", "\u200c", "", "\u200d", "", "\u2060", "", "\ufeff", "").Replace(s)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrf(t *testing.T, p page) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no CSRF token in page (%d):\n%s", p.status, p.body)
	}
	return m[1]
}

func sharePath(sh *apiv1.Share) string { return "/s/" + sh.ID }

// askCode opens the link and asks for a code for email; it returns the
// answer to the POST.
func (b *recipient) askCode(sh *apiv1.Share, email string) page {
	b.t.Helper()
	landing := b.get(sharePath(sh))
	if landing.status != 200 {
		b.t.Fatalf("landing = %d:\n%s", landing.status, landing.body)
	}
	return b.post(sharePath(sh), url.Values{"csrf": {csrf(b.t, landing)}, "email": {email}})
}

// signIn goes through the whole flow and returns the code POST's answer.
func (rm *room) signIn(t *testing.T, b *recipient, sh *apiv1.Share, email, password string) page {
	t.Helper()
	p := b.askCode(sh, email)
	if p.status != 200 {
		t.Fatalf("code request for %s = %d:\n%s", email, p.status, p.body)
	}
	code := rm.mail.LastCode(email)
	if code == "" {
		t.Fatalf("no code mailed to %s; sink has %+v", email, rm.mail.Messages())
	}
	return b.post(sharePath(sh)+"/code", url.Values{"csrf": {csrf(t, p)}, "email": {email}, "code": {code}, "password": {password}})
}

func TestRecipientOpensAViewOnlyShareWithACodeFromEmail(t *testing.T) {
	rm := start(t)
	sh := rm.create(t, apiv1.CreateShare{Path: "memo.txt", Domains: []string{"acme.com"}, Watermark: true})
	if !strings.HasPrefix(sh.URL, rm.URL+"/s/shr_") || sh.State != "active" || sh.Download {
		t.Fatalf("created = %+v", sh)
	}
	b := rm.browser(t)

	landing := b.get(sharePath(sh))
	if landing.status != 200 || !strings.Contains(landing.body, `name="email"`) || strings.Contains(landing.body, "ORIGINAL-MEMO") {
		t.Fatalf("landing = %d:\n%s", landing.status, landing.body)
	}
	if csp := landing.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe") {
		t.Errorf("CSP = %q", csp)
	}

	// A disallowed address is refused before anything is sent, without
	// naming what is allowed.
	p := b.post(sharePath(sh), url.Values{"csrf": {csrf(t, landing)}, "email": {"mallory@evil.test"}})
	if p.status != 403 || strings.Contains(p.body, "acme.com") {
		t.Fatalf("disallowed = %d:\n%s", p.status, p.body)
	}
	if n := len(rm.mail.Messages()); n != 0 {
		t.Fatalf("%d messages sent for a disallowed address", n)
	}

	p = b.askCode(sh, "Dana@ACME.com")
	if p.status != 200 || !strings.Contains(p.body, `name="code"`) {
		t.Fatalf("code form = %d:\n%s", p.status, p.body)
	}
	msgs := rm.mail.Messages()
	if len(msgs) != 1 || msgs[0].To[0] != "dana@acme.com" || msgs[0].From != "warden@example.test" {
		t.Fatalf("mail = %+v", msgs)
	}
	code := rm.mail.LastCode("dana@acme.com")
	wrong := fmt.Sprintf("%06d", (atoi(code)+1)%1_000_000)
	bad := b.post(sharePath(sh)+"/code", url.Values{"csrf": {csrf(t, p)}, "email": {"dana@acme.com"}, "code": {wrong}})
	if bad.status != 403 || bad.header.Get("Set-Cookie") != "" && strings.Contains(bad.header.Get("Set-Cookie"), share.SessionCookie) {
		t.Fatalf("wrong code = %d %v", bad.status, bad.header)
	}
	ok := b.post(sharePath(sh)+"/code", url.Values{"csrf": {csrf(t, p)}, "email": {"dana@acme.com"}, "code": {code}})
	if ok.status != 303 || ok.header.Get("Location") != sharePath(sh) {
		t.Fatalf("right code = %d %v:\n%s", ok.status, ok.header, ok.body)
	}
	var sess *http.Cookie
	for _, c := range (&http.Response{Header: ok.header}).Cookies() {
		if c.Name == share.SessionCookie {
			sess = c
		}
	}
	if sess == nil || !sess.HttpOnly || sess.SameSite != http.SameSiteStrictMode || sess.Path != sharePath(sh) || sess.Secure || len(sess.Value) < 40 {
		t.Fatalf("session cookie = %+v", sess)
	}
	// The code is used up.
	if again := b.post(sharePath(sh)+"/code", url.Values{"csrf": {csrf(t, p)}, "email": {"dana@acme.com"}, "code": {code}}); again.status != 403 {
		t.Fatalf("code reused = %d", again.status)
	}

	doc := b.get(sharePath(sh))
	if doc.status != 200 || !strings.Contains(doc.body, "ORIGINAL-MEMO-BYTES &lt;script&gt;") || strings.Contains(doc.body, "<script>") ||
		!strings.Contains(doc.body, "dana@acme.com") || !strings.Contains(doc.body, sh.ID) {
		t.Fatalf("document page = %d:\n%s", doc.status, doc.body)
	}
	// View-only: no download, not even by URL.
	if strings.Contains(doc.body, "/download") {
		t.Errorf("view-only page offers a download")
	}
	if d := b.get(sharePath(sh) + "/download"); d.status != 403 || strings.Contains(d.body, "ORIGINAL-MEMO-BYTES") {
		t.Fatalf("download of a view-only share = %d:\n%s", d.status, d.body)
	}
	got, err := rm.Admin.Share(bg, sh.ID)
	if err != nil || got.Views != 1 {
		t.Fatalf("share after one view = %+v, %v", got, err)
	}

	// A fresh browser without the cookie sees only the email form.
	if other := rm.browser(t).get(sharePath(sh)); other.status != 200 || strings.Contains(other.body, "ORIGINAL-MEMO") {
		t.Fatalf("no session = %d:\n%s", other.status, other.body)
	}
	wantActions(t, rm, sh.ID, "share.create", "share.code_request", "share.code_fail", "share.session", "share.view")
}

func atoi(s string) int {
	n := 0
	fmt.Sscan(s, &n)
	return n
}

// wantActions checks the audit log holds each action about share id.
func wantActions(t *testing.T, rm *room, id string, actions ...string) {
	t.Helper()
	page, err := rm.Admin.Audit(bg, client.AuditQuery{Action: "share.*", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range page.Events {
		if e.Target == id {
			seen[e.Action] = true
			if e.Details != nil {
				for _, v := range e.Details {
					if s, ok := v.(string); ok && strings.Contains(s, "@") {
						t.Errorf("event %s carries an address in its details: %v", e.Action, e.Details)
					}
				}
			}
		}
	}
	for _, a := range actions {
		if !seen[a] {
			t.Errorf("no %s event for the share (saw %v)", a, seen)
		}
	}
}

func TestCodeAttemptsAreLimited(t *testing.T) {
	rm := start(t)
	sh := rm.create(t, apiv1.CreateShare{Path: "memo.txt", Emails: []string{"dana@acme.com"}})
	b := rm.browser(t)
	p := b.askCode(sh, "dana@acme.com")
	code := rm.mail.LastCode("dana@acme.com")
	wrong := fmt.Sprintf("%06d", (atoi(code)+1)%1_000_000)
	for i := 1; i <= share.MaxCodeAttempts; i++ {
		if r := b.post(sharePath(sh)+"/code", url.Values{"csrf": {csrf(t, p)}, "email": {"dana@acme.com"}, "code": {wrong}}); r.status != 403 {
			t.Fatalf("wrong code %d = %d", i, r.status)
		}
	}
	r := b.post(sharePath(sh)+"/code", url.Values{"csrf": {csrf(t, p)}, "email": {"dana@acme.com"}, "code": {code}})
	if r.status != 403 {
		t.Fatalf("right code after %d wrong ones = %d; want 403 (the code is burnt)", share.MaxCodeAttempts, r.status)
	}
	// A new code works.
	if r := rm.signIn(t, b, sh, "dana@acme.com", ""); r.status != 303 {
		t.Fatalf("new code = %d:\n%s", r.status, r.body)
	}
}

func TestFormsNeedTheirCSRFToken(t *testing.T) {
	rm := start(t)
	sh := rm.create(t, apiv1.CreateShare{Path: "memo.txt", Domains: []string{"acme.com"}})
	b := rm.browser(t)
	landing := b.get(sharePath(sh))
	cases := []struct {
		name   string
		form   url.Values
		origin string
	}{
		{"no token", url.Values{"email": {"dana@acme.com"}}, ""},
		{"wrong token", url.Values{"email": {"dana@acme.com"}, "csrf": {strings.Repeat("A", 43)}}, ""},
		{"another site", url.Values{"email": {"dana@acme.com"}, "csrf": {csrf(t, landing)}}, "https://evil.test"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", rm.URL+sharePath(sh), strings.NewReader(c.form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if c.origin != "" {
				req.Header.Set("Origin", c.origin)
			}
			r := read(t, mustDo(t, b.hc, req))
			if r.status != 403 {
				t.Fatalf("status = %d", r.status)
			}
		})
	}
	if n := len(rm.mail.Messages()); n != 0 {
		t.Fatalf("%d codes sent without a valid form", n)
	}
}

func mustDo(t *testing.T, hc *http.Client, req *http.Request) *http.Response {
	t.Helper()
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestGoneLinksSayOnlyThat(t *testing.T) {
	rm := start(t)
	revoked := rm.create(t, apiv1.CreateShare{Path: "memo.txt", Domains: []string{"acme.com"}})
	if _, err := rm.Admin.RevokeShare(bg, revoked.ID); err != nil {
		t.Fatal(err)
	}
	once := rm.create(t, apiv1.CreateShare{Path: "memo.txt", Domains: []string{"acme.com"}, MaxViews: 1})
	b := rm.browser(t)
	if r := rm.signIn(t, b, once, "dana@acme.com", ""); r.status != 303 {
		t.Fatalf("sign in = %d", r.status)
	}
	if r := b.get(sharePath(once)); r.status != 200 || !strings.Contains(r.body, "ORIGINAL-MEMO-BYTES") {
		t.Fatalf("the one view = %d", r.status)
	}
	expiring := rm.create(t, apiv1.CreateShare{Path: "memo.txt", Domains: []string{"acme.com"}, ExpiresIn: "1s"})
	// Wait until the expiry has passed by the wall clock; nothing below
	// depends on how long that took.
	time.Sleep(time.Until(expiring.ExpiresAt) + 50*time.Millisecond)

	cases := []struct {
		name string
		sh   *apiv1.Share
		b    *recipient
		want string
	}{
		{"revoked", revoked, rm.browser(t), "revoked"},
		{"views used up, with a session", once, b, "viewed as many times"},
		{"views used up, no session", once, rm.browser(t), "viewed as many times"},
		{"expired", expiring, rm.browser(t), "expired"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := c.b.get(sharePath(c.sh))
			if r.status != 410 || !strings.Contains(r.body, c.want) || strings.Contains(r.body, "ORIGINAL-MEMO") || strings.Contains(r.body, `name="email"`) {
				t.Fatalf("GET = %d:\n%s", r.status, r.body)
			}
			post := c.b.post(sharePath(c.sh), url.Values{"email": {"dana@acme.com"}})
			if post.status != 403 && post.status != 410 {
				t.Fatalf("POST = %d", post.status)
			}
		})
	}
	list, err := rm.Admin.Shares(bg, "deal")
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]string{}
	for _, s := range list {
		states[s.ID] = s.State
	}
	if states[revoked.ID] != "revoked" || states[once.ID] != "exhausted" || states[expiring.ID] != "expired" {
		t.Fatalf("states = %v", states)
	}
	wantActions(t, rm, revoked.ID, "share.revoke")
}

func TestSessionsAreBoundToTheirShare(t *testing.T) {
	rm := start(t)
	a := rm.create(t, apiv1.CreateShare{Path: "memo.txt", Domains: []string{"acme.com"}})
	other := rm.create(t, apiv1.CreateShare{Path: "reports/q3.txt", Domains: []string{"acme.com"}})
	b := rm.browser(t)
	ok := rm.signIn(t, b, a, "dana@acme.com", "")
	var val string
	for _, c := range (&http.Response{Header: ok.header}).Cookies() {
		if c.Name == share.SessionCookie {
			val = c.Value
		}
	}
	// The cookie of share a, sent on purpose to share b.
	req, _ := http.NewRequest("GET", rm.URL+sharePath(other), nil)
	req.AddCookie(&http.Cookie{Name: share.SessionCookie, Value: val})
	r := read(t, mustDo(t, http.DefaultClient, req))
	if r.status != 200 || strings.Contains(r.body, "Q3 numbers") || !strings.Contains(r.body, `name="email"`) {
		t.Fatalf("foreign session = %d:\n%s", r.status, r.body)
	}
}

func TestPasswordIsCheckedWithTheCode(t *testing.T) {
	rm := start(t)
	sh := rm.create(t, apiv1.CreateShare{Path: "memo.txt", Domains: []string{"acme.com"}, Password: "correct horse"})
	b := rm.browser(t)
	if r := rm.signIn(t, b, sh, "dana@acme.com", "wrong horse"); r.status != 403 {
		t.Fatalf("wrong password = %d", r.status)
	}
	if r := rm.signIn(t, b, sh, "dana@acme.com", "correct horse"); r.status != 303 {
		t.Fatalf("right password = %d:\n%s", r.status, r.body)
	}
	if got, _ := rm.Admin.Share(bg, sh.ID); !got.Password {
		t.Fatalf("share does not say it has a password: %+v", got)
	}
}

func TestFolderShareServesEachFileUnderTheSameRules(t *testing.T) {
	rm := start(t)
	sh := rm.create(t, apiv1.CreateShare{Path: "reports", Domains: []string{"acme.com"}, Download: true})
	if !sh.Folder {
		t.Fatalf("folder share = %+v", sh)
	}
	b := rm.browser(t)
	rm.signIn(t, b, sh, "dana@acme.com", "")
	list := b.get(sharePath(sh))
	for _, want := range []string{"q3.txt", "q4.csv", "logo.bin"} {
		if !strings.Contains(list.body, want) {
			t.Errorf("listing lacks %s:\n%s", want, list.body)
		}
	}
	if strings.Contains(list.body, "secret.txt") || strings.Contains(list.body, "memo.txt") {
		t.Fatalf("listing shows files outside the folder:\n%s", list.body)
	}
	if r := b.get(sharePath(sh) + "/view/q3.txt"); r.status != 200 || !strings.Contains(r.body, "Q3 numbers") {
		t.Fatalf("view q3 = %d:\n%s", r.status, r.body)
	}
	if r := b.get(sharePath(sh) + "/view/logo.bin"); r.status != 200 || strings.Contains(r.body, "PNG-ish") {
		t.Fatalf("view of a binary = %d:\n%s", r.status, r.body)
	}
	d := b.get(sharePath(sh) + "/download/q4.csv")
	if d.status != 200 || d.body != "a,b\n1,2\n" || !strings.HasPrefix(d.header.Get("Content-Disposition"), "attachment") ||
		d.header.Get("Content-Type") != "application/octet-stream" {
		t.Fatalf("download = %d %v %q", d.status, d.header, d.body)
	}
	for _, p := range []string{"/view/../other/secret.txt", "/view/%2e%2e/other/secret.txt", "/view/nope.txt", "/download/../memo.txt"} {
		if r := b.get(sharePath(sh) + p); r.status == 200 || strings.Contains(r.body, "not shared") || strings.Contains(r.body, "ORIGINAL") {
			t.Errorf("%s = %d:\n%s", p, r.status, r.body)
		}
	}
	if got, _ := rm.Admin.Share(bg, sh.ID); got.Views != 3 {
		t.Fatalf("views = %d, want 3 (two views and a download)", got.Views)
	}
	wantActions(t, rm, sh.ID, "share.view", "share.download")
}

func TestWatermarkedSharesServeOnlyMarkedCopies(t *testing.T) {
	rm := start(t)
	var png bytes.Buffer
	img := image.NewNRGBA(image.Rect(0, 0, 64, 48))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	if err := pngenc.Encode(&png, img); err != nil {
		t.Fatal(err)
	}
	if _, err := rm.Admin.PutFile(bg, "deal", "pics/chart.png", bytes.NewReader(png.Bytes()), int64(png.Len())); err != nil {
		t.Fatal(err)
	}
	file := rm.create(t, apiv1.CreateShare{Path: "memo.txt", Domains: []string{"acme.com"}, Download: true, Watermark: true})
	b := rm.browser(t)
	rm.signIn(t, b, file, "dana@acme.com", "")
	d := b.get(sharePath(file) + "/download")
	if d.status != 200 || !strings.HasPrefix(d.body, "%PDF-") || strings.Contains(d.body, "ORIGINAL-MEMO-BYTES <script>") {
		t.Fatalf("watermarked download of text = %d, starts %.20q", d.status, d.body)
	}

	folder := rm.create(t, apiv1.CreateShare{Path: "pics", Domains: []string{"acme.com"}})
	rm.signIn(t, b, folder, "dana@acme.com", "")
	v := b.get(sharePath(folder) + "/view/chart.png")
	if v.status != 200 || v.header.Get("Content-Type") != "image/png" || v.body == png.String() || len(v.body) == 0 {
		t.Fatalf("view-only image = %d %s (%d bytes, original %d)", v.status, v.header.Get("Content-Type"), len(v.body), png.Len())
	}
	if _, err := pngenc.Decode(strings.NewReader(v.body)); err != nil {
		t.Fatalf("served image does not decode: %v", err)
	}
	bin := rm.create(t, apiv1.CreateShare{Path: "reports", Domains: []string{"acme.com"}, Download: true, Watermark: true})
	rm.signIn(t, b, bin, "dana@acme.com", "")
	if r := b.get(sharePath(bin) + "/download/logo.bin"); r.status != 403 || strings.Contains(r.body, "PNG-ish") {
		t.Fatalf("watermarked download of a kind that cannot be marked = %d", r.status)
	}
}

func TestCodeRequestsAreRateLimitedPerAddress(t *testing.T) {
	rm := start(t)
	sh := rm.create(t, apiv1.CreateShare{Path: "memo.txt", Domains: []string{"acme.com"}})
	b := rm.browser(t)
	landing := b.get(sharePath(sh))
	tok := csrf(t, landing)
	limited := 0
	for i := 0; i < 12; i++ {
		r := b.post(sharePath(sh), url.Values{"csrf": {tok}, "email": {fmt.Sprintf("u%d@evil.test", i)}})
		if r.status == 429 {
			limited++
			if r.header.Get("Retry-After") == "" {
				t.Errorf("429 without Retry-After")
			}
		} else if r.status != 403 {
			t.Fatalf("request %d = %d", i, r.status)
		}
	}
	if limited != 2 {
		t.Fatalf("%d of 12 requests limited; want 2 (burst 10)", limited)
	}
}

func TestShareManagementAPI(t *testing.T) {
	rm := start(t, func(c *config.Config) { c.Shares.EditorWorkspaces = []string{"open"} })
	rm.CreateWorkspace("open", "internal")
	if _, err := rm.Admin.PutFile(bg, "open", "f.txt", strings.NewReader("x"), 1); err != nil {
		t.Fatal(err)
	}
	tokens := map[string]string{
		"wsadmin":     rm.Human("wsadmin", "operator", "deal:admin"),
		"editor":      rm.Human("editor", "operator", "deal:editor", "open:editor"),
		"contributor": rm.Agent("contrib", "deal:contributor", "open:contributor"),
		"viewer":      rm.Agent("viewer", "deal:viewer", "open:viewer"),
		"stranger":    rm.Agent("stranger"),
		"admin":       rm.AdminToken,
	}
	body := `{"path":"f.txt","expires_in":"2h","domains":["acme.com"]}`
	dealBody := `{"path":"memo.txt","expires_in":"2h","domains":["acme.com"]}`
	cases := []struct {
		who, ws, body string
		want          int
	}{
		{"admin", "deal", dealBody, 201},
		{"wsadmin", "deal", dealBody, 201},
		{"editor", "deal", dealBody, 403},
		{"editor", "open", body, 201},
		{"contributor", "deal", dealBody, 403},
		{"contributor", "open", body, 403},
		{"viewer", "deal", dealBody, 403},
		{"stranger", "deal", dealBody, 404},
		{"admin", "nope", dealBody, 404},
		{"admin", "deal", `{"path":"missing.txt","expires_in":"2h","domains":["acme.com"]}`, 404},
		{"admin", "deal", `{"path":"memo.txt","domains":["acme.com"]}`, 422},
		{"admin", "deal", `{"path":"memo.txt","expires_in":"soon","domains":["acme.com"]}`, 422},
		{"admin", "deal", `{"path":"memo.txt","expires_in":"721h","domains":["acme.com"]}`, 422},
		{"admin", "deal", `{"path":"memo.txt","expires_in":"-1h","domains":["acme.com"]}`, 422},
		{"admin", "deal", `{"path":"memo.txt","expires_in":"2h"}`, 422},
		{"admin", "deal", `{"path":"memo.txt","expires_in":"2h","domains":["not a domain"]}`, 422},
		{"admin", "deal", `{"path":"memo.txt","expires_in":"2h","emails":["Dana <d@acme.com>"]}`, 422},
		{"admin", "deal", `{"path":"memo.txt","expires_in":"2h","domains":["acme.com"],"max_views":-1}`, 422},
		{"admin", "deal", `{"path":"memo.txt","expires_in":"2h","domains":["acme.com"],"password":"short"}`, 422},
		{"admin", "deal", `{"path":"../memo.txt","expires_in":"2h","domains":["acme.com"]}`, 422},
		{"admin", "deal", `{"path":"memo.txt","expires_in":"2h","domains":["acme.com"],"extra":1}`, 422},
		{"admin", "deal", `{"path":"memo.txt","expires_in":"2h","domains":["acme.com"],"password":"` + strings.Repeat("x", 2<<20) + `"}`, 413},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s %s %.60s", c.who, c.ws, c.body), func(t *testing.T) {
			r := rm.Do("POST", "/api/v1/workspaces/"+c.ws+"/shares", tokens[c.who], []byte(c.body))
			if r.Status != c.want {
				t.Fatalf("status = %d, want %d: %s", r.Status, c.want, r.Body)
			}
			if c.want >= 400 {
				var e apiv1.Error
				if json.Unmarshal(r.Body, &e) != nil || e.Error.Code == "" {
					t.Fatalf("error body = %s", r.Body)
				}
			}
		})
	}
	list, err := rm.Admin.Shares(bg, "deal")
	if err != nil || len(list) != 2 {
		t.Fatalf("list = %v, %v", list, err)
	}
	if _, err := rm.Client(tokens["viewer"]).Shares(bg, "deal"); client.Code(err) != "forbidden" {
		t.Fatalf("viewer lists shares: %v", err)
	}
	if _, err := rm.Client(tokens["stranger"]).Share(bg, list[0].ID); client.Code(err) != "not_found" {
		t.Fatalf("stranger reads a share: %v", err)
	}
	if _, err := rm.Client(tokens["viewer"]).RevokeShare(bg, list[0].ID); client.Code(err) != "forbidden" {
		t.Fatalf("viewer revokes a share: %v", err)
	}
	got, err := rm.Client(tokens["wsadmin"]).RevokeShare(bg, list[0].ID)
	if err != nil || got.State != "revoked" || got.RevokedBy != "wsadmin" || got.RevokedAt == nil {
		t.Fatalf("revoke = %+v, %v", got, err)
	}
	if _, err := rm.Admin.Share(bg, "shr_doesnotexist"); client.Code(err) != "not_found" {
		t.Fatalf("unknown id: %v", err)
	}
}

func TestPublicURLBuildsLinks(t *testing.T) {
	rm := start(t, func(c *config.Config) { c.PublicURL = "https://warden.example.com" })
	sh := rm.create(t, apiv1.CreateShare{Path: "memo.txt", Domains: []string{"acme.com"}})
	if sh.URL != "https://warden.example.com/s/"+sh.ID {
		t.Fatalf("url = %s", sh.URL)
	}
	if len(sh.ID) < 4+22 {
		t.Fatalf("id %q carries fewer than 128 bits", sh.ID)
	}
}

// Every share API request is on the record by the service's own event
// before it is answered, never only by the API's generic fallback.
func TestEveryShareRequestIsOnTheRecord(t *testing.T) {
	rm := start(t)
	sh := rm.create(t, apiv1.CreateShare{Path: "memo.txt", Domains: []string{"acme.com"}})
	ids := map[string]string{}
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/api/v1/workspaces/deal/shares", `{"path":"memo.txt","expires_in":"1h","domains":["acme.com"]}`},
		{"GET", "/api/v1/workspaces/deal/shares", ""},
		{"GET", "/api/v1/shares/" + sh.ID, ""},
		{"POST", "/api/v1/shares/" + sh.ID + "/revoke", ""},
	} {
		var body []byte
		if c.body != "" {
			body = []byte(c.body)
		}
		r := rm.Do(c.method, c.path, rm.AdminToken, body)
		if r.Status/100 != 2 {
			t.Fatalf("%s %s = %d %s", c.method, c.path, r.Status, r.Body)
		}
		ids[r.Header.Get("X-Request-Id")] = c.method + " " + c.path
	}
	page, err := rm.Admin.Audit(bg, client.AuditQuery{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, e := range page.Events {
		if _, ok := ids[e.RequestID]; ok && strings.HasPrefix(e.Action, "share.") {
			seen[e.RequestID] = e.Action
		}
	}
	for id, what := range ids {
		if seen[id] == "" {
			t.Errorf("%s: no share.* event", what)
		}
	}
}

// A text document of a view-only share is also offered as a watermarked
// PDF — a rendering, so view-only allows it — and never for binaries.
func TestViewOnlyTextIsAlsoAvailableAsAWatermarkedPDF(t *testing.T) {
	rm := start(t)
	sh := rm.create(t, apiv1.CreateShare{Path: "reports", Domains: []string{"acme.com"}})
	b := rm.browser(t)
	rm.signIn(t, b, sh, "dana@acme.com", "")
	if list := b.get(sharePath(sh)); !strings.Contains(list.body, "/pdf/q3.txt") || strings.Contains(list.body, "/pdf/logo.bin") {
		t.Fatalf("listing offers PDFs wrongly:\n%s", list.body)
	}
	r := b.get(sharePath(sh) + "/pdf/q3.txt")
	if r.status != 200 || !strings.HasPrefix(r.body, "%PDF-") || r.header.Get("Content-Type") != "application/pdf" ||
		!strings.HasPrefix(r.header.Get("Content-Disposition"), "inline") {
		t.Fatalf("pdf of text = %d %v, starts %.20q", r.status, r.header, r.body)
	}
	if r := b.get(sharePath(sh) + "/pdf/logo.bin"); r.status != 404 || strings.Contains(r.body, "PNG-ish") {
		t.Fatalf("pdf of a binary = %d", r.status)
	}
	if r := b.get(sharePath(sh) + "/download/q3.txt"); r.status != 403 {
		t.Fatalf("download from a view-only share = %d", r.status)
	}
}
