package watermark

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"hash/crc32"
	"html"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/image/draw"
)

func testWatermarker(t testing.TB) *Watermarker {
	t.Helper()
	w, err := New(bytes.Repeat([]byte{0x42}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func testMark() Mark {
	return Mark{Email: "dana@acme.com", IP: "203.0.113.7", Time: time.Date(2026, 11, 25, 16, 40, 5, 0, time.UTC), ShareID: "s_abc123"}
}

// wantMark checks that found holds exactly the test mark.
func wantMark(t *testing.T, w *Watermarker, found []Found, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("Identify: %v", err)
	}
	if len(found) != 1 {
		t.Fatalf("Identify found %d marks, want 1: %+v", len(found), found)
	}
	m := testMark()
	f := found[0]
	if f.ShareID != m.ShareID || f.ViewerTag != w.ViewerTag(m.Email) || !f.Time.Equal(m.Time) {
		t.Fatalf("Identify = %+v, want share %s viewer %s time %s", f, m.ShareID, w.ViewerTag(m.Email), m.Time)
	}
}

func TestLineNamesViewerTimeAndShare(t *testing.T) {
	tests := []struct {
		m    Mark
		want string
	}{
		{testMark(), "dana@acme.com · 203.0.113.7 · 2026-11-25 16:40 UTC · share s_abc123"},
		{Mark{Email: "a@b.c", Time: time.Date(2026, 1, 2, 3, 4, 0, 0, time.FixedZone("X", 3600)), ShareID: "s1"}, "a@b.c · 2026-01-02 02:04 UTC · share s1"},
	}
	for _, tt := range tests {
		if got := tt.m.Line(); got != tt.want {
			t.Errorf("Line() = %q, want %q", got, tt.want)
		}
	}
}

func TestNewRefusesShortKeys(t *testing.T) {
	for _, n := range []int{0, 8, MinKeySize - 1} {
		if _, err := New(make([]byte, n)); err == nil {
			t.Errorf("New(%d-byte key) succeeded", n)
		}
	}
}

func TestInvalidMarksAreRefused(t *testing.T) {
	w := testWatermarker(t)
	tests := map[string]Mark{
		"no email":         {Time: time.Now(), ShareID: "s"},
		"no share":         {Email: "a@b", Time: time.Now()},
		"share with space": {Email: "a@b", Time: time.Now(), ShareID: "s 1"},
		"share too long":   {Email: "a@b", Time: time.Now(), ShareID: strings.Repeat("s", maxShareID+1)},
		"no time":          {Email: "a@b", ShareID: "s"},
		"before 1970":      {Email: "a@b", ShareID: "s", Time: time.Date(1969, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	for name, m := range tests {
		if _, err := w.seal(m); err == nil {
			t.Errorf("%s: seal succeeded", name)
		}
	}
}

func TestPayloadIsSmallSealedAndUnforgeable(t *testing.T) {
	w := testWatermarker(t)
	p, err := w.seal(testMark())
	if err != nil {
		t.Fatal(err)
	}
	if want := minPayload - 1 + len("s_abc123"); len(p) != want {
		t.Errorf("payload is %d bytes, want %d", len(p), want)
	}
	if bytes.Contains(p, []byte("s_abc123")) {
		t.Error("payload shows the share id in clear")
	}
	if _, err := w.open(p); err != nil {
		t.Fatalf("open: %v", err)
	}
	for i := range p {
		for bit := 0; bit < 8; bit++ {
			q := bytes.Clone(p)
			q[i] ^= 1 << bit
			if _, err := w.open(q); err == nil {
				t.Fatalf("payload with byte %d bit %d flipped verified", i, bit)
			}
		}
	}
	other, _ := New(bytes.Repeat([]byte{0x43}, 32))
	if _, err := other.open(p); err == nil {
		t.Error("another install's key verified the mark")
	}
	if w.ViewerTag(" Dana@ACME.com ") != w.ViewerTag("dana@acme.com") {
		t.Error("viewer tag depends on case or spaces")
	}
	if w.ViewerTag("dana@acme.com") == other.ViewerTag("dana@acme.com") {
		t.Error("viewer tag does not depend on the key")
	}
}

const prose = `Quarterly report, third quarter.

Revenue grew by eleven percent over the quarter, driven by the enterprise segment and the new regional offices that opened in the spring. Costs rose more slowly than revenue, mostly in hiring for the support team, and the margin improved for the third quarter in a row. The board approved the budget for next year.

Risks: the largest customer renews in January <and> its contract is under review & may shrink.

Outlook: we expect growth to continue at a similar rate.
`

func TestRenderHTML(t *testing.T) {
	w := testWatermarker(t)
	tests := []struct {
		kind, name, content string
		want                []string // in the page, after escaping
	}{
		{KindText, "report.txt", prose, []string{"&lt;and&gt;", "&amp; may shrink"}},
		{KindMarkdown, "notes.md", "# Title\n\n<script>alert(1)</script>\n\n**bold** [site](javascript:alert(1)) ![px](https://evil.example/p.png) <https://evil.example/a>\n\n- item",
			[]string{"<h1>Title", "<strong>bold</strong>", "site (javascript:alert(1))", "px", "<li>item"}},
		{KindCSV, "data.csv", "name,amount\n\"<b>x</b>\",1\ny,\"2,5\"\n", []string{"<table>", "<th>name", "&lt;b&gt;x&lt;/b&gt;", "<td>2,5</td>"}},
		{KindCode, "main.go", "package main\n\nfunc main() {\n\tprintln(\"</pre><script>\")\n}\n", []string{"&lt;/pre&gt;&lt;script&gt;"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, err := w.RenderHTML(tt.kind, `"><img src=x onerror=alert(1)>`+tt.name, []byte(tt.content), testMark())
			if err != nil {
				t.Fatal(err)
			}
			s := string(page)
			bare := strings.Map(func(r rune) rune {
				if zwSymbol(r) >= 0 {
					return -1
				}
				return r
			}, s)
			for _, want := range tt.want {
				if !strings.Contains(bare, want) {
					t.Errorf("page lacks %q", want)
				}
			}
			allowed := map[string]bool{"!doctype": true, "html": true, "head": true, "meta": true, "title": true, "style": true,
				"body": true, "div": true, "main": true, "pre": true, "table": true, "tr": true, "th": true, "td": true}
			if tt.kind == KindMarkdown {
				// Rendered Markdown: text blocks, never a link, an image or a script.
				for _, tag := range []string{"h1", "p", "strong", "ul", "li", "!"} { // "!": goldmark's <!-- raw HTML omitted -->
					allowed[tag] = true
				}
				body := s[strings.Index(s, "<main>"):]
				if strings.Contains(body, "<script") || strings.Contains(body, "href=") || strings.Contains(body, "src=") {
					t.Error("rendered Markdown carries a script, a link or an image")
				}
			}
			for _, m := range regexp.MustCompile(`<\/?([!a-zA-Z][a-zA-Z0-9]*)`).FindAllStringSubmatch(s, -1) {
				if !allowed[strings.ToLower(m[1])] {
					t.Errorf("page has a <%s> element", m[1])
				}
			}
			if tt.kind != KindMarkdown && regexp.MustCompile(`(?i)javascript:|https?://|url\((?:[^d]|d[^a])`).MatchString(s) {
				t.Error("page refers to something outside itself")
			}
			if !strings.Contains(s, "dana@acme.com · 203.0.113.7 · 2026-11-25 16:40 UTC · share s_abc123") {
				t.Error("page lacks the visible mark line")
			}
			tile := backgroundTile(t, page)
			if inked := inkedPixels(tile); inked < 500 {
				t.Errorf("background tile has %d inked pixels, want the mark drawn", inked)
			}
			found, err := w.Identify(page)
			wantMark(t, w, found, err)
		})
	}
}

// backgroundTile decodes the data: URL background of an HTML preview.
func backgroundTile(t *testing.T, page []byte) image.Image {
	t.Helper()
	m := regexp.MustCompile(`background-image:url\(data:image/png;base64,([A-Za-z0-9+/=]+)\)`).FindSubmatch(page)
	if m == nil {
		t.Fatal("no data: URL background image")
	}
	raw, err := base64.StdEncoding.DecodeString(string(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func inkedPixels(img image.Image) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if _, _, _, a := img.At(x, y).RGBA(); a > 0 {
				n++
			}
		}
	}
	return n
}

// visibleText simulates selecting a page in a browser and copying it: tags
// go, entities are decoded, code points stay.
func visibleText(page []byte) string {
	s := regexp.MustCompile(`(?s)<style>.*?</style>|<[^>]*>`).ReplaceAllString(string(page), "")
	return html.UnescapeString(s)
}

func TestRenderHTMLRefusesUnknownKindsAndHugeFiles(t *testing.T) {
	w := testWatermarker(t)
	if _, err := w.RenderHTML("pdf", "x", []byte("x"), testMark()); err == nil {
		t.Error("unknown kind accepted")
	}
	if _, err := w.RenderHTML(KindText, "x", make([]byte, MaxRenderSize+1), testMark()); err == nil {
		t.Error("oversized document accepted")
	}
}

func TestEmbedTextMarksEveryParagraph(t *testing.T) {
	const mark = "\u200b\u200c"
	got := embedText(prose, mark)
	if strings.ReplaceAll(got, mark, "") != prose {
		t.Fatal("embedText changed the text")
	}
	for i, para := range strings.Split(got, "\n\n") {
		if strings.TrimSpace(para) != "" && !strings.Contains(para, mark) {
			t.Errorf("paragraph %d has no mark: %q", i, para)
		}
	}
	long := strings.Repeat("word ", 1000) // one 5000-byte line
	if n := strings.Count(embedText(long, mark), mark); n < 5000/markGap-1 {
		t.Errorf("a 5000-byte line got %d marks, want one every %d bytes", n, markGap)
	}
}

func uniformPNG(t testing.TB, w, h int, c color.NRGBA) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(c), image.Point{}, draw.Src)
	// Some texture, so a real photo's variety of low bits is present.
	for i := 0; i < len(img.Pix); i += 4 * 7 {
		img.Pix[i] ^= 1
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func decode(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestStampImageDrawsTheMarkInThePixels(t *testing.T) {
	w := testWatermarker(t)
	for _, format := range []string{formatPNG, formatJPEG} {
		for _, bg := range []color.NRGBA{{240, 240, 240, 255}, {20, 30, 40, 255}} {
			src := uniformPNG(t, 900, 600, bg)
			if format == formatJPEG {
				src = toJPEG(t, src)
			}
			out, err := w.StampImage(src, testMark())
			if err != nil {
				t.Fatal(err)
			}
			if got := sniffImage(out); got != format {
				t.Fatalf("stamped %s came back as %q", format, got)
			}
			before, after := decode(t, src), decode(t, out)
			// Where the tiled mask has ink, pixels must have moved by more
			// than the low bit; where neither pass of ink reaches, they must
			// not have moved beyond it (PNG) or beyond JPEG noise.
			size := 600.0 / 36
			mask, err := tileMask(testMark().Line(), size)
			if err != nil {
				t.Fatal(err)
			}
			tb := mask.Bounds()
			inked, moved, bare, still := 0, 0, 0, 0
			for y := 0; y < 600; y++ {
				for x := 0; x < 900; x++ {
					a := mask.AlphaAt(x%tb.Dx(), y%tb.Dy()).A
					d := diff(before.At(x, y), after.At(x, y))
					switch {
					case a > 200:
						inked++
						if d > 3 {
							moved++
						}
					case a == 0 && mask.AlphaAt((x+tb.Dx()-1)%tb.Dx(), (y+tb.Dy()-1)%tb.Dy()).A == 0:
						bare++
						if d <= 1 || format == formatJPEG && d <= 24 {
							still++
						}
					}
				}
			}
			if inked < 2000 || moved < inked*95/100 {
				t.Errorf("%s on %v: %d of %d inked pixels changed visibly", format, bg, moved, inked)
			}
			if still < bare*95/100 {
				t.Errorf("%s on %v: %d of %d pixels away from the text changed", format, bg, bare-still, bare)
			}
			found, err := w.Identify(out)
			wantMark(t, w, found, err)
		}
	}
}

func diff(a, b color.Color) int {
	r1, g1, b1, _ := a.RGBA()
	r2, g2, b2, _ := b.RGBA()
	return max(abs(int(r1>>8)-int(r2>>8)), abs(int(g1>>8)-int(g2>>8)), abs(int(b1>>8)-int(b2>>8)))
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func toJPEG(t testing.TB, pngBytes []byte) []byte {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(pngBytes))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// pngClaiming returns a PNG whose header claims w×h pixels: the shape of a
// decompression bomb, without its bulk.
func pngClaiming(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 2, 0, 0, 0)
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(binary.BigEndian.AppendUint32(nil, uint32(len(ihdr))))
	b.Write(chunk)
	b.Write(binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(chunk)))
	return b.Bytes()
}

func TestImagesOverThePixelLimitAreRefused(t *testing.T) {
	w := testWatermarker(t)
	tests := []struct {
		name string
		img  []byte
	}{
		{"50000x50000 png", pngClaiming(50000, 50000)},
		{"8000x5001 png", pngClaiming(8000, 5001)},
		{"gif", []byte("GIF89a....")},
	}
	for _, tt := range tests {
		if _, err := w.StampImage(tt.img, testMark()); err == nil {
			t.Errorf("%s: StampImage succeeded", tt.name)
		}
		if _, err := w.Identify(tt.img); tt.name != "gif" && err == nil {
			t.Errorf("%s: Identify decoded it", tt.name)
		}
	}
}

func TestRenderPDFStampsEveryPage(t *testing.T) {
	w := testWatermarker(t)
	text := strings.Repeat(prose, 30) + "tab\there, non-Latin: Ωμέγα, symbols € · ©\n"
	pdf, err := w.RenderPDF(KindText, "report.txt", []byte(text), testMark())
	if err != nil {
		t.Fatal(err)
	}
	n := pageCount(t, pdf)
	if n < 3 {
		t.Fatalf("%d pages, want several", n)
	}
	wantStampOnEveryPage(t, pdf, n)
	found, err := w.Identify(pdf)
	wantMark(t, w, found, err)
	for _, where := range []string{"pdf info dictionary", "pdf xmp metadata", "pdf page piece info", "pdf page text"} {
		if !contains(found[0].Where, where) {
			t.Errorf("mark not found in %s: %v", where, found[0].Where)
		}
	}
	if found[0].Count != 2+2*n {
		t.Errorf("found %d copies, want %d (info, xmp, and two per page)", found[0].Count, 2+2*n)
	}
	if !strings.Contains(strings.Join(pageTextStreams(t, pdf, n), ""), `non-Latin: ?????, symbols \200 \267 \251`) {
		t.Error("Windows-1252 text not laid out as expected")
	}
}

// wantStampOnEveryPage checks that each page draws the visible mark line.
func wantStampOnEveryPage(t *testing.T, pdf []byte, pages int) {
	t.Helper()
	want := pdfString(strings.ReplaceAll(testMark().Line(), "·", "\xb7")) // WinAnsi middle dot
	want = strings.ReplaceAll(want, `\267`, "\xb7")                       // pdfcpu writes it raw
	for p := 1; p <= pages; p++ {
		if !strings.Contains(strings.Join(pageTextStreams(t, pdf, p), "\n"), want) {
			t.Errorf("page %d does not draw %q", p, want)
		}
	}
}

func TestStampPDF(t *testing.T) {
	w := testWatermarker(t)
	plain, err := layoutPDF(strings.Repeat("line of an existing document\n", 67*20))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := w.Identify(plain); len(got) != 0 {
		t.Fatalf("unmarked PDF identified: %+v", got)
	}
	out, err := w.StampPDF(plain, testMark())
	if err != nil {
		t.Fatal(err)
	}
	if n := pageCount(t, out); n != 20 {
		t.Fatalf("%d pages, want 20", n)
	}
	wantStampOnEveryPage(t, out, 20)
	found, err := w.Identify(out)
	wantMark(t, w, found, err)
	if found[0].Count != 42 {
		t.Errorf("found %d copies, want 42 (info, xmp, piece info and hidden text on 20 pages)", found[0].Count)
	}
	if _, err := w.StampPDF([]byte("%PDF-1.7\nnot really"), testMark()); err == nil {
		t.Error("StampPDF accepted garbage")
	}
}

func TestIdentifyFindsNothingInCleanFiles(t *testing.T) {
	w := testWatermarker(t)
	for name, data := range map[string][]byte{
		"text":  []byte(prose),
		"empty": nil,
		"png":   uniformPNG(t, 300, 200, color.NRGBA{1, 2, 3, 255}),
		"zw":    []byte(strings.Repeat("\u200b\u200c\u200d\u2060", 40)), // a run that is not a mark
	} {
		found, err := w.Identify(data)
		if err != nil || len(found) != 0 {
			t.Errorf("%s: Identify = %+v, %v; want nothing", name, found, err)
		}
	}
}
