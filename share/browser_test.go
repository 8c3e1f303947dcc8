package share_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	pngenc "image/png"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"github.com/wardenhq/warden/apiv1"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/keyring"
	"github.com/wardenhq/warden/share/smtptest"
	"github.com/wardenhq/warden/sqlite"
	"github.com/wardenhq/warden/wardentest"
	"github.com/wardenhq/warden/watermark"
)

// chromium finds a Chromium binary: $WARDEN_CHROMIUM, else chromium or
// chromium-browser on PATH. Without one the test is skipped, unless
// WARDEN_REQUIRE_CHROMIUM=1 (CI), where it fails. (The same rule as the
// console's browser test in web/chromium_test.go.)
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("WARDEN_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "no Chromium: set WARDEN_CHROMIUM or install Debian's chromium package (apt-get install -y chromium)"
	if os.Getenv("WARDEN_REQUIRE_CHROMIUM") == "1" {
		t.Fatal(msg + " (WARDEN_REQUIRE_CHROMIUM=1)")
	}
	t.Skip(msg)
	return ""
}

// artifactDir is where the test leaves its screenshots:
// $WARDEN_TEST_ARTIFACTS if set, else a temporary folder (named in the log).
func artifactDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("WARDEN_TEST_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// netResponse is one HTTP response the browser received.
type netResponse struct {
	id      network.RequestID
	method  string
	url     string
	status  int64
	mime    string
	typ     network.ResourceType
	body    []byte // as served, once collected
	hasBody bool
}

// netLog keeps every response the browser received, and their bodies.
type netLog struct {
	mu      sync.Mutex
	methods map[network.RequestID]string
	resps   []*netResponse
}

func (l *netLog) event(ev any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch e := ev.(type) {
	case *network.EventRequestWillBeSent:
		l.methods[e.RequestID] = e.Request.Method
	case *network.EventResponseReceived:
		l.resps = append(l.resps, &netResponse{id: e.RequestID, method: l.methods[e.RequestID], url: e.Response.URL,
			status: e.Response.Status, mime: e.Response.MimeType, typ: e.Type})
	}
}

// collect fetches the bodies of the responses received so far, right after
// each page loads (before the browser may drop them).
func (l *netLog) collect(ctx context.Context) {
	l.mu.Lock()
	var todo []*netResponse
	for _, r := range l.resps {
		if !r.hasBody && (r.status < 300 || r.status >= 400) {
			todo = append(todo, r)
		}
	}
	l.mu.Unlock()
	for _, r := range todo {
		res, err := chromedp.Call(ctx, network.GetResponseBody, network.GetResponseBodyParams{RequestID: r.id})
		if err != nil {
			continue // not a body the browser kept (a download, an aborted load)
		}
		l.mu.Lock()
		r.body, r.hasBody = res.Body, true
		l.mu.Unlock()
	}
}

// last returns the newest response to a GET of url, with its body.
func (l *netLog) last(t *testing.T, url string) *netResponse {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := len(l.resps) - 1; i >= 0; i-- {
		if r := l.resps[i]; r.url == url && r.method == http.MethodGet {
			if !r.hasBody {
				t.Fatalf("the browser kept no body for GET %s (status %d, %s)", url, r.status, r.mime)
			}
			return r
		}
	}
	t.Fatalf("the browser never received GET %s", url)
	return nil
}

func (l *netLog) all() []*netResponse {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.resps)
}

// TestRecipientInChromium drives a data room's recipient pages in a real
// headless Chromium against a real server, with codes delivered to an SMTP
// sink on loopback: a disallowed address is refused before any code is
// sent; an allowed one gets a code by email, enters it, and is shown a text
// file, an image and a PDF, each watermarked in the bytes the browser was
// served (visible mark in the pixels or page content, forensic mark that
// watermark.Identify recovers with the server's key), never the originals;
// an expired link shows only its 410 page.
func TestRecipientInChromium(t *testing.T) {
	bin := chromium(t)
	mail := smtptest.Start(t)
	srv := wardentest.Start(t, func(c *config.Config) {
		c.SMTP = config.SMTP{Host: mail.Host, Port: mail.Port, From: "warden@example.test", StartTLS: false}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	wm := serverWatermarker(t, ctx, srv)

	// The data room: a text file, a PNG and a two-page PDF.
	notes := "Quarterly results for the board.\nRevenue grew in every region.\n\nDo not forward this memo outside the deal team.\n"
	chart := sourcePNG(t)
	terms := minimalPDF("Term sheet page one", "Term sheet page two")
	srv.CreateWorkspace("deal", "restricted")
	for name, body := range map[string][]byte{"room/notes.txt": []byte(notes), "room/chart.png": chart, "room/terms.pdf": terms} {
		if _, err := srv.Admin.PutFile(ctx, "deal", name, bytes.NewReader(body), int64(len(body))); err != nil {
			t.Fatalf("put %s: %v", name, err)
		}
	}
	sh, err := srv.Admin.CreateShare(ctx, "deal", apiv1.CreateShare{Path: "room", ExpiresIn: "1h", Domains: []string{"acme.com"}, Watermark: true})
	if err != nil {
		t.Fatalf("create share: %v", err)
	}
	// A link that expires in a second; it is opened at the end, two
	// seconds or more after it was made.
	expiringMade := time.Now()
	expiring, err := srv.Admin.CreateShare(ctx, "deal", apiv1.CreateShare{Path: "room/notes.txt", ExpiresIn: "1s", Domains: []string{"acme.com"}})
	if err != nil {
		t.Fatalf("create expiring share: %v", err)
	}
	if sh.Download || !strings.HasPrefix(sh.URL, srv.URL+"/s/") {
		t.Fatalf("share: %+v", sh)
	}
	base := sh.URL // http://127.0.0.1:port/s/{id}

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.Headless,
		chromedp.DisableGPU, chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-background-networking", true), chromedp.WindowSize(1000, 700))
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // Chromium's sandbox refuses to run as root
	}
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()

	nl := &netLog{methods: map[network.RequestID]string{}}
	ic := &intercepted{bodies: map[string][]byte{}, errs: map[string]error{}}
	var mu sync.Mutex
	var console []string
	err = chromedp.Listen(bctx, func(ev any) {
		nl.event(ev)
		if e, ok := ev.(*fetch.EventRequestPaused); ok {
			go ic.take(bctx, e)
		}
		var msg string
		switch e := ev.(type) {
		case *log.EventEntryAdded:
			msg = string(e.Entry.Level) + ": " + e.Entry.Text
		case *runtime.EventExceptionThrown:
			msg = "exception: " + e.ExceptionDetails.Text
		default:
			return
		}
		mu.Lock()
		console = append(console, msg)
		mu.Unlock()
	})
	if err != nil {
		t.Fatalf("start chromium (%s): %v", bin, err)
	}
	tctx, tcancel := context.WithTimeout(bctx, 60*time.Second)
	defer tcancel()
	fail := func(step string, err error) {
		t.Helper()
		dctx, dcancel := context.WithTimeout(bctx, 5*time.Second)
		defer dcancel()
		loc, _ := chromedp.Run(dctx, chromedp.Location())
		body, _ := chromedp.Run(dctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
		mu.Lock()
		logged := strings.Join(console, "\n")
		mu.Unlock()
		t.Fatalf("chromium, %s: %v\nat %s:\n%s\nbrowser log:\n%s", step, err, loc, body, logged)
	}
	// open runs steps that load a page and returns the page's response.
	open := func(step string, steps ...chromedp.Action[chromedp.Void]) *network.Response {
		t.Helper()
		resp, err := chromedp.RunResponse(tctx, steps...)
		if err != nil {
			fail(step, err)
		}
		nl.collect(tctx)
		return resp
	}
	text := func(step, sel string) string {
		t.Helper()
		s, err := chromedp.Run(tctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			fail(step, err)
		}
		return s
	}
	do := func(step string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(tctx, steps...); err != nil {
			fail(step, err)
		}
	}

	// 1. A disallowed domain: refused with a visible message, no code sent.
	if r := open("open the link", chromedp.Navigate(base)); r.Status != 200 {
		t.Fatalf("GET %s: %d", base, r.Status)
	}
	do("type a disallowed address", chromedp.SendKeys(chromedp.CSS("#email"), "mallory@evil.test"))
	if r := open("submit a disallowed address", chromedp.Click(chromedp.CSS(`form[action$="`+sh.ID+`"] button`))); r.Status != http.StatusForbidden {
		t.Errorf("a disallowed address: %d, want 403", r.Status)
	}
	if msg := text("the refusal", ".error"); msg != "this address may not open this link" {
		t.Errorf("refusal shown: %q", msg)
	}
	// The page's stylesheet applied under its CSP: the refusal is red.
	errColor, err := chromedp.Run(tctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector(".error")).color`))
	if err != nil {
		fail("the refusal's colour", err)
	}
	if errColor != "rgb(164, 14, 38)" {
		t.Errorf("the refusal is not styled (colour %q): did the page's style apply?", errColor)
	}
	if hasCode, err := chromedp.Run(tctx, chromedp.Evaluate[bool](`document.getElementById("code") !== null`)); err != nil || hasCode {
		t.Errorf("a disallowed address was offered a code field (%v)", err)
	}
	if n := len(mail.Messages()); n != 0 {
		t.Fatalf("the sink received %d messages after a disallowed address, want none: %+v", n, mail.Messages())
	}

	// 2. An allowed address: a code by email, entered in the page.
	open("open the link again", chromedp.Navigate(base))
	do("type dana's address", chromedp.SendKeys(chromedp.CSS("#email"), "dana@acme.com"))
	if r := open("ask for a code", chromedp.Click(chromedp.CSS(`form[action$="`+sh.ID+`"] button`))); r.Status != 200 {
		t.Fatalf("asking for a code: %d", r.Status)
	}
	do("the code form", chromedp.WaitVisible(chromedp.CSS("#code")))
	msgs := mail.Messages()
	if len(msgs) != 1 || len(msgs[0].To) != 1 || msgs[0].To[0] != "dana@acme.com" {
		t.Fatalf("the sink received %+v, want one message to dana@acme.com", msgs)
	}
	code := mail.LastCode("dana@acme.com")
	if !regexp.MustCompile(`^\d{6}$`).MatchString(code) {
		t.Fatalf("no 6-digit code in the message:\n%s", msgs[0].Data)
	}
	do("type the code", chromedp.SendKeys(chromedp.CSS("#code"), code))
	if r := open("submit the code", chromedp.Click(chromedp.CSS(`form[action$="/code"] button`))); r.Status != 200 || r.URL != base {
		t.Fatalf("after the code: %d at %s, want 200 at %s", r.Status, r.URL, base)
	}
	if who := text("the folder page", ".who"); !strings.Contains(who, "dana@acme.com") {
		t.Errorf("folder page names %q", who)
	}
	cookies, err := chromedp.Call(tctx, network.GetCookies, network.GetCookiesParams{URLs: []string{base}})
	if err != nil {
		fail("read cookies", err)
	}
	var session *network.Cookie
	for _, c := range cookies.Cookies {
		if c.Name == "warden_share" {
			session = c
		}
	}
	if session == nil || !session.HTTPOnly || session.SameSite != network.CookieSameSiteStrict || session.Path != "/s/"+sh.ID {
		t.Errorf("session cookie: %+v, want HttpOnly, SameSite=Strict, Path=/s/%s", session, sh.ID)
	}
	arts := artifactDir(t)
	shotLogged := map[string]bool{}
	shot := func(name string) []byte {
		t.Helper()
		png, err := chromedp.Run(tctx, chromedp.CaptureScreenshot())
		if err != nil {
			fail("screenshot", err)
		}
		p := filepath.Join(arts, name)
		if err := os.WriteFile(p, png, 0o644); err != nil {
			t.Fatal(err)
		}
		if !shotLogged[name] {
			t.Logf("screenshot: %s", p)
			shotLogged[name] = true
		}
		return png
	}
	dana := wm.ViewerTag("dana@acme.com")
	wantMark := func(what string, data []byte) watermark.Found {
		t.Helper()
		found, err := wm.Identify(data)
		if err != nil || len(found) != 1 {
			t.Fatalf("%s: identify found %+v, %v; want one mark", what, found, err)
		}
		if f := found[0]; f.ShareID != sh.ID || f.ViewerTag != dana {
			t.Fatalf("%s: mark names share %s viewer %s, want %s and dana@acme.com's %s", what, f.ShareID, f.ViewerTag, sh.ID, dana)
		}
		return found[0]
	}

	// 3. The text file: an HTML page rendered by the server, the mark tiled
	// behind it as a data: PNG and woven into the text.
	notesURL := base + "/view/notes.txt"
	if r := open("open notes.txt", chromedp.Click(chromedp.CSS(`a[href="/s/`+sh.ID+`/view/notes.txt"]`))); r.Status != 200 || r.MimeType != "text/html" {
		t.Fatalf("notes.txt: %d %s", r.Status, r.MimeType)
	}
	page := nl.last(t, notesURL).body
	pageShot := shot("share-notes.png")
	f := wantMark("the served notes.txt page", page)
	if !slices.Contains(f.Where, "text zero-width characters") {
		t.Errorf("page mark found in %v", f.Where)
	}
	markLine := watermark.Mark{Email: "dana@acme.com", IP: "127.0.0.1", Time: f.Time, ShareID: sh.ID}.Line()
	if !strings.Contains(stripZW(string(page)), markLine) {
		t.Errorf("the page lacks the visible mark line %q", markLine)
	}
	// The text is all there, with the mark woven into every paragraph.
	if bytes.Contains(page, []byte(notes)) {
		t.Error("the page carries the original text unmarked")
	}
	for _, first := range []string{"Quarterly results", "Do not forward"} {
		if strings.Contains(string(page), first) || !strings.Contains(stripZW(string(page)), first) {
			t.Errorf("the paragraph starting %q is missing or carries no mark", first)
		}
	}
	m := regexp.MustCompile(`background-image:url\(data:image/png;base64,([A-Za-z0-9+/=]+)\)`).FindSubmatch(page)
	if m == nil {
		t.Fatal("the page has no data: PNG background")
	}
	tileBytes, err := base64.StdEncoding.DecodeString(string(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	tile, err := pngenc.Decode(bytes.NewReader(tileBytes))
	if err != nil {
		t.Fatalf("decode the background tile: %v", err)
	}
	if inked, total := inkedPixels(tile); inked < 500 || inked > total/2 {
		t.Errorf("background tile: %d of %d pixels inked, want the mark's text drawn", inked, total)
	}
	// The tile is the mark line drawn for dana at this time and address:
	// the same rendering with that mark has the same background.
	again, err := wm.RenderHTML(watermark.KindText, "notes.txt", []byte(notes), watermark.Mark{Email: "dana@acme.com", IP: "127.0.0.1", Time: f.Time, ShareID: sh.ID})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, page) {
		t.Errorf("the served page differs from the page rendered for dana@acme.com, 127.0.0.1, %s, %s", f.Time, sh.ID)
	}
	// The browser applied the background (the page's CSP let it load) and
	// drew it: the screenshot's empty lower part shows the grey mark.
	bgImage, err := chromedp.Run(tctx, chromedp.Evaluate[string](`getComputedStyle(document.body).backgroundImage`))
	if err != nil {
		fail("computed background", err)
	}
	if !strings.HasPrefix(bgImage, `url("data:image/png;base64,`) {
		t.Errorf("the browser's body background: %.80q", bgImage)
	}
	if grey, total := greyPixels(t, pageShot, 0.5); grey < total/200 {
		t.Errorf("the lower half of the screenshot has %d of %d grey pixels: is the mark drawn?", grey, total)
	}
	// Text copied out of the page keeps the forensic mark.
	copied := text("copy the text", "pre")
	wantMark("text copied from the page", []byte(copied))

	// 4. The image: the mark tiled across its pixels and in their low bits.
	open("back to the folder", chromedp.Navigate(base))
	chartURL := base + "/view/chart.png"
	if r := open("open chart.png", chromedp.Click(chromedp.CSS(`a[href="/s/`+sh.ID+`/view/chart.png"]`))); r.Status != 200 || r.MimeType != "image/png" {
		t.Fatalf("chart.png: %d %s", r.Status, r.MimeType)
	}
	shot("share-chart.png")
	servedPNG := nl.last(t, chartURL).body
	f = wantMark("the served chart.png", servedPNG)
	orig, _ := pngenc.Decode(bytes.NewReader(chart))
	got, err := pngenc.Decode(bytes.NewReader(servedPNG))
	if err != nil {
		t.Fatalf("decode the served chart.png: %v", err)
	}
	if got.Bounds() != orig.Bounds() {
		t.Fatalf("served image is %v, original %v", got.Bounds(), orig.Bounds())
	}
	// Tiled: the overlay changes pixels in every quarter of the image (the
	// forensic LSBs alone change a channel by at most 1).
	b := orig.Bounds()
	for q := range 4 {
		cell := image.Rect(b.Dx()*(q%2)/2, b.Dy()*(q/2)/2, b.Dx()*(q%2+1)/2, b.Dy()*(q/2+1)/2)
		if n := changedPixels(orig, got, cell); n < cell.Dx()*cell.Dy()/100 {
			t.Errorf("quarter %v: %d pixels carry the visible mark, want it tiled across the image", cell, n)
		}
	}
	want, err := wm.StampImage(chart, watermark.Mark{Email: "dana@acme.com", IP: "127.0.0.1", Time: f.Time, ShareID: sh.ID})
	if err != nil {
		t.Fatal(err)
	}
	if wantImg, _ := pngenc.Decode(bytes.NewReader(want)); !samePixels(wantImg, got) {
		t.Error("the served pixels are not the original's stamped for dana@acme.com at 127.0.0.1")
	}

	// 5. The PDF: every page stamped, the forensic mark in its objects.
	// Chromium hands a PDF to its viewer, and the network log then holds
	// the viewer's page, so the PDF's bytes are taken as they arrive, by
	// pausing the response (Fetch domain) and letting it go on unchanged.
	open("back to the folder", chromedp.Navigate(base))
	if _, err := chromedp.Call(tctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{
		{URLPattern: "*/view/terms.pdf", RequestStage: fetch.RequestStageResponse}}}); err != nil {
		fail("intercept the PDF", err)
	}
	if r := open("open terms.pdf", chromedp.Click(chromedp.CSS(`a[href="/s/`+sh.ID+`/view/terms.pdf"]`))); r.Status != 200 || r.MimeType != "application/pdf" {
		t.Fatalf("terms.pdf: %d %s", r.Status, r.MimeType)
	}
	if _, err := chromedp.Call(tctx, fetch.Disable, cdp.Empty{}); err != nil {
		fail("stop intercepting", err)
	}
	servedPDF := ic.body(t, base+"/view/terms.pdf")
	// The viewer draws the pages a moment after the load: the screenshot
	// (an artifact, not an assertion) waits until a white page shows.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		png := shot("share-terms.png")
		if white, total := whitePixels(t, png); white > total/10 || time.Now().After(deadline) {
			break
		}
	}
	wantMark("the served terms.pdf", servedPDF)
	pages := pdfPageTexts(t, servedPDF)
	if len(pages) != 2 {
		t.Fatalf("served PDF has %d pages, want 2", len(pages))
	}
	for i, p := range pages {
		if !strings.Contains(p, "dana@acme.com \xb7 127.0.0.1 \xb7 ") || !strings.Contains(p, "share "+sh.ID) {
			t.Errorf("served PDF page %d does not draw the mark line", i+1)
		}
	}

	// 6. View-only: no download, and no response carried an original.
	dl := base + "/download/chart.png"
	if r := open("try a download", chromedp.Navigate(dl)); r.Status != http.StatusForbidden {
		t.Errorf("GET %s: %d, want 403", dl, r.Status)
	}
	if msg := text("the download refusal", "main p"); msg != "this link is view-only" {
		t.Errorf("download refusal: %q", msg)
	}
	served := [][]byte{servedPDF}
	for _, r := range nl.all() {
		switch {
		case strings.HasPrefix(r.url, srv.URL+"/"):
		case strings.HasPrefix(r.url, "data:"), strings.HasPrefix(r.url, "chrome-extension:"): // the page's tile; the PDF viewer
			continue
		default:
			t.Errorf("the browser fetched %.80s, outside the server", r.url)
		}
		served = append(served, r.body)
	}
	for _, body := range served {
		for name, o := range map[string][]byte{"notes.txt": []byte(notes), "chart.png": chart, "terms.pdf": terms} {
			if bytes.Contains(body, o) {
				t.Errorf("a response carried the original %s", name)
			}
		}
	}

	// 7. The expired link: 410 and nothing else.
	time.Sleep(time.Until(expiringMade.Add(2 * time.Second)))
	r := open("open the expired link", chromedp.Navigate(expiring.URL))
	if r.Status != http.StatusGone {
		t.Errorf("expired link: %d, want 410", r.Status)
	}
	if h := text("the expired page", "h1"); h != "This link no longer opens" {
		t.Errorf("expired page title: %q", h)
	}
	if msg := text("the expired page", "main p"); msg != "this link has expired" {
		t.Errorf("expired page says %q", msg)
	}
	if body := nl.last(t, expiring.URL).body; bytes.Contains(body, []byte("<form")) || bytes.Contains(body, []byte("email")) {
		t.Errorf("the expired page shows more than that it expired:\n%s", body)
	}
	if n := len(mail.Messages()); n != 1 {
		t.Errorf("the sink received %d messages in all, want the one code", n)
	}

	mu.Lock()
	logged := strings.Join(console, "\n")
	mu.Unlock()
	if strings.Contains(logged, "Content Security Policy") {
		t.Errorf("the browser reported CSP violations:\n%s", logged)
	}
}

// intercepted holds the bodies of responses paused by the Fetch domain.
type intercepted struct {
	mu     sync.Mutex
	bodies map[string][]byte
	errs   map[string]error
}

// take reads a paused response's body and lets the response go on as it was.
func (ic *intercepted) take(ctx context.Context, e *fetch.EventRequestPaused) {
	res, err := chromedp.Call(ctx, fetch.GetResponseBody, fetch.GetResponseBodyParams{RequestID: e.RequestID})
	ic.mu.Lock()
	ic.bodies[e.Request.URL], ic.errs[e.Request.URL] = res.Body, err
	ic.mu.Unlock()
	_, _ = chromedp.Call(ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: e.RequestID})
}

func (ic *intercepted) body(t *testing.T, url string) []byte {
	t.Helper()
	ic.mu.Lock()
	defer ic.mu.Unlock()
	b, ok := ic.bodies[url]
	if !ok || ic.errs[url] != nil {
		t.Fatalf("the response to %s was not intercepted (%v)", url, ic.errs[url])
	}
	return b
}

// serverWatermarker derives the server's watermark key from its data
// folder's keyring, as app/shares.go (and `warden watermark identify
// --data`) do.
func serverWatermarker(t *testing.T, ctx context.Context, srv *wardentest.Server) *watermark.Watermarker {
	t.Helper()
	master, err := keyring.ParseMasterKey(srv.MasterKey)
	if err != nil {
		t.Fatal(err)
	}
	store, err := sqlite.Open(ctx, filepath.Join(srv.Dir, "warden.db"), sqlite.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("open the server's store: %v", err)
	}
	defer store.Close()
	keys, err := keyring.OpenExisting(ctx, store, master)
	if err != nil {
		t.Fatalf("open the server's keyring: %v", err)
	}
	w, err := watermark.New(keys.Index(watermark.KeyringContext))
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// sourcePNG is a 480x320 picture: a gradient with a dark band, so both of
// the overlay's inks show.
func sourcePNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 480, 320))
	for y := range 320 {
		for x := range 480 {
			c := color.NRGBA{uint8(x * 255 / 480), uint8(y * 255 / 320), 180, 255}
			if y > 200 && y < 240 {
				c = color.NRGBA{20, 20, 40, 255}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := pngenc.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// minimalPDF writes a PDF with one page of Helvetica text per argument.
func minimalPDF(pages ...string) []byte {
	n := len(pages)
	// Objects: 1 catalog, 2 pages, 3 font, then a page and its content
	// stream for each page.
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	}
	var kids []string
	for i, text := range pages {
		page, content := 4+2*i, 5+2*i
		kids = append(kids, fmt.Sprintf("%d 0 R", page))
		stream := fmt.Sprintf("BT /F1 24 Tf 72 700 Td (%s) Tj ET", text)
		objs = append(objs,
			fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>", content),
			fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(stream), stream))
	}
	objs[1] = fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), n)
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

// pdfPageTexts returns, for each page of a PDF, its decoded content and that
// of every form XObject it draws (pdfcpu draws its watermark as one).
func pdfPageTexts(t *testing.T, pdf []byte) []string {
	t.Helper()
	api.DisableConfigDir() // pdfcpu would otherwise write a configuration into $HOME
	conf := model.NewDefaultConfiguration()
	conf.Cmd = model.VALIDATE
	ctx, err := api.ReadAndValidate(bytes.NewReader(pdf), conf)
	if err != nil {
		t.Fatalf("read the served PDF: %v", err)
	}
	var out []string
	for n := 1; n <= ctx.PageCount; n++ {
		d, _, _, err := ctx.PageDict(n, true)
		if err != nil || d == nil {
			t.Fatalf("page %d: %v", n, err)
		}
		c, err := ctx.PageContent(d, n)
		if err != nil {
			t.Fatalf("page %d content: %v", n, err)
		}
		parts := []string{string(c)}
		res, _ := ctx.DereferenceDict(d["Resources"])
		xo, _ := ctx.DereferenceDict(res["XObject"])
		for _, o := range xo {
			sd, _, err := ctx.DereferenceStreamDict(o)
			if err == nil && sd != nil && sd.Decode() == nil {
				parts = append(parts, string(sd.Content))
			}
		}
		out = append(out, strings.Join(parts, "\n"))
	}
	return out
}

// stripZW removes the zero-width code points of the forensic mark.
func stripZW(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '\u200b', '\u200c', '\u200d', '\u2060':
			return -1
		}
		return r
	}, s)
}

// inkedPixels counts the pixels of img that are not fully transparent.
func inkedPixels(img image.Image) (inked, total int) {
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if _, _, _, a := img.At(x, y).RGBA(); a != 0 {
				inked++
			}
		}
	}
	return inked, b.Dx() * b.Dy()
}

// greyPixels counts the pixels below the fraction from of a screenshot
// that are neither white nor near it.
func greyPixels(t *testing.T, shot []byte, from float64) (grey, total int) {
	t.Helper()
	img, err := pngenc.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("decode screenshot: %v", err)
	}
	b := img.Bounds()
	for y := b.Min.Y + int(float64(b.Dy())*from); y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r>>8 < 245 && g>>8 < 245 && bl>>8 < 245 {
				grey++
			}
			total++
		}
	}
	return grey, total
}

// whitePixels counts the white pixels of a screenshot.
func whitePixels(t *testing.T, shot []byte) (white, total int) {
	t.Helper()
	img, err := pngenc.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("decode screenshot: %v", err)
	}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if r, g, bl, _ := img.At(x, y).RGBA(); r>>8 == 255 && g>>8 == 255 && bl>>8 == 255 {
				white++
			}
		}
	}
	return white, b.Dx() * b.Dy()
}

// changedPixels counts the pixels of r whose colour differs between a and b
// by more than the forensic mark's least significant bit.
func changedPixels(a, b image.Image, r image.Rectangle) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			ca := color.NRGBAModel.Convert(a.At(x, y)).(color.NRGBA)
			cb := color.NRGBAModel.Convert(b.At(x, y)).(color.NRGBA)
			if absDiff(ca.R, cb.R) > 1 || absDiff(ca.G, cb.G) > 1 || absDiff(ca.B, cb.B) > 1 {
				n++
			}
		}
	}
	return n
}

// samePixels reports whether a and b have the same size and colours.
func samePixels(a, b image.Image) bool {
	if a == nil || b == nil || a.Bounds() != b.Bounds() {
		return false
	}
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if color.NRGBAModel.Convert(a.At(x, y)) != color.NRGBAModel.Convert(b.At(x, y)) {
				return false
			}
		}
	}
	return true
}

func absDiff(a, b uint8) uint8 {
	if a > b {
		return a - b
	}
	return b - a
}
