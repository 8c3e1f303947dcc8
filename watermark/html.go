package watermark

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"fmt"
	"html"
	"regexp"
	"strings"

	"github.com/yuin/goldmark/ast"
	gmtext "github.com/yuin/goldmark/text"

	"github.com/yuin/goldmark"
)

// MaxRenderSize bounds the documents RenderHTML and RenderPDF lay out; a
// preview of more is not a preview.
const MaxRenderSize = 16 << 20

// RenderHTML lays out a text, Markdown, CSV or code document as a
// self-contained HTML page: strictly escaped, no script, no external
// resource, the visible mark tiled behind the content as a PNG drawn here
// and embedded as a data: URL, and the forensic mark woven into the text as
// zero-width code points every paragraph.
//
// Markdown is rendered with goldmark in its safe mode (raw HTML dropped,
// javascript: and similar links emptied) and the page's CSP allows no
// script and no image but the data: tile, so a document cannot run code
// or call home; the forensic mark closes every block.
func (w *Watermarker) RenderHTML(kind, name string, content []byte, m Mark) ([]byte, error) {
	if err := checkRender(kind, content); err != nil {
		return nil, err
	}
	payload, err := w.seal(m)
	if err != nil {
		return nil, err
	}
	zw := zeroWidth(payload)
	tile, err := tilePNG(m.Line())
	if err != nil {
		return nil, err
	}
	text := strings.ToValidUTF8(string(content), "\uFFFD")

	var b bytes.Buffer
	b.Grow(len(content)*2 + len(tile)*4/3 + 2048)
	b.WriteString(`<!doctype html>
<html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
<title>`)
	b.WriteString(html.EscapeString(name))
	b.WriteString(`</title>
<style>
html,body{margin:0;padding:0}
body{background-color:#fff;color:#111;font:14px/1.45 system-ui,sans-serif;background-image:url(data:image/png;base64,`)
	b.WriteString(base64.StdEncoding.EncodeToString(tile))
	b.WriteString(`);background-repeat:repeat;background-attachment:local}
.mark{position:sticky;top:0;background:#fff8;border-bottom:1px solid #ccc;padding:4px 12px;font-size:12px;color:#555}
main{padding:12px}
pre{margin:0;font:13px/1.45 ui-monospace,Menlo,Consolas,monospace;white-space:pre-wrap;overflow-wrap:anywhere}
table{border-collapse:collapse;font-size:13px}
td,th{border:1px solid #bbb;padding:2px 6px;vertical-align:top;text-align:left;white-space:pre-wrap}
th{background:#eee8}
</style></head>
<body><div class="mark">`)
	b.WriteString(html.EscapeString(m.Line()))
	b.WriteString(zw)
	b.WriteString("</div>\n<main>")
	switch {
	case kind == KindCSV && writeCSVTable(&b, text, zw):
	case kind == KindMarkdown && writeMarkdown(&b, text, zw):
	default:
		writePre(&b, text, zw)
	}
	b.WriteString("</main></body></html>\n")
	return b.Bytes(), nil
}

func checkRender(kind string, content []byte) error {
	switch kind {
	case KindText, KindMarkdown, KindCSV, KindCode:
	default:
		return fmt.Errorf("watermark: cannot lay out kind %q", kind)
	}
	if len(content) > MaxRenderSize {
		return fmt.Errorf("watermark: document of %d bytes is over the %d-byte preview limit", len(content), MaxRenderSize)
	}
	return nil
}

// blockEnd finds the closing tags of the blocks goldmark writes: the
// forensic mark goes just inside each, into text a copy carries along.
var blockEnd = regexp.MustCompile(`</(p|li|h[1-6]|td|th|blockquote|pre)>`)

// writeMarkdown renders text as Markdown; false, having written nothing,
// when goldmark fails.
func writeMarkdown(b *bytes.Buffer, text, zw string) bool {
	md := goldmark.New()
	src := []byte(text)
	doc := md.Parser().Parse(gmtext.NewReader(src))
	inert(doc, src)
	var out bytes.Buffer
	if err := md.Renderer().Render(&out, src, doc); err != nil {
		return false
	}
	b.Write(blockEnd.ReplaceAllFunc(out.Bytes(), func(tag []byte) []byte {
		return append([]byte(zw), tag...)
	}))
	return true
}

// inert turns links and images into plain text (the link text and its
// address in parentheses; an image's alt text): a preview in a data room
// loads nothing and sends its reader nowhere, and the address stays
// readable.
func inert(doc ast.Node, src []byte) {
	var swap []ast.Node
	ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n.(type) {
		case *ast.Link, *ast.Image, *ast.AutoLink:
			swap = append(swap, n)
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	for _, n := range swap {
		var label string
		switch v := n.(type) {
		case *ast.Link:
			label = string(nodeText(v, src)) + " (" + string(v.Destination) + ")"
		case *ast.Image:
			label = string(nodeText(v, src))
		case *ast.AutoLink:
			label = string(v.URL(src))
		}
		n.Parent().ReplaceChild(n.Parent(), n, ast.NewString([]byte(label)))
	}
}

// nodeText is the plain text under n.
func nodeText(n ast.Node, src []byte) []byte {
	var b []byte
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch v := c.(type) {
		case *ast.Text:
			b = append(b, v.Segment.Value(src)...)
		case *ast.String:
			b = append(b, v.Value...)
		default:
			b = append(b, nodeText(c, src)...)
		}
	}
	return b
}

func writePre(b *bytes.Buffer, text, zw string) {
	b.WriteString("<pre>")
	b.WriteString(html.EscapeString(embedText(text, zw)))
	b.WriteString("</pre>")
}

// writeCSVTable writes text as a table, the mark appended to the first cell
// of the first row and of a row every markGap bytes after. It reports false,
// having written nothing, when text is not CSV.
func writeCSVTable(b *bytes.Buffer, text, zw string) bool {
	r := csv.NewReader(strings.NewReader(text))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	r.ReuseRecord = false
	rows, err := r.ReadAll()
	if err != nil || len(rows) == 0 {
		return false
	}
	b.WriteString("<table>")
	since := markGap
	for i, row := range rows {
		b.WriteString("<tr>")
		cell := "td"
		if i == 0 {
			cell = "th"
		}
		for j, v := range row {
			b.WriteString("<" + cell + ">")
			b.WriteString(html.EscapeString(v))
			since += len(v)
			if j == 0 && since >= markGap {
				b.WriteString(zw)
				since = 0
			}
			b.WriteString("</" + cell + ">")
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</table>")
	return true
}
