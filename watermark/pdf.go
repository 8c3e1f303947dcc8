package watermark

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
	"golang.org/x/text/encoding/charmap"
)

// Where the forensic mark sits in a PDF. Each is a separate copy, so a tool
// that drops one (a metadata scrubber, a re-distiller) may leave another.
const (
	pdfInfoKey   = "WardenMark" // custom key of the document Info dictionary
	pdfPieceKey  = "Warden"     // application entry of every page's /PieceInfo
	xmpNamespace = "https://wardenhq.dev/ns/watermark/1.0/"
	// textToken starts the mark where it is written as text: in invisible
	// (render mode 3) text on each page RenderPDF lays out, so it comes
	// along when text is selected and copied out of a viewer.
	textToken = "wdnmark:"
)

// pdfConfig is pdfcpu's default configuration built here rather than by
// model.NewDefaultConfiguration, which creates a configuration directory in
// the user's home on first use; a server must not write there.
func pdfConfig() *model.Configuration {
	return &model.Configuration{
		CreationDate:                    time.Now().Format("2006-01-02 15:04"),
		Version:                         model.VersionStr,
		CheckFileNameExt:                true,
		Reader15:                        true,
		ValidationMode:                  model.ValidationRelaxed,
		UnsupportedResourcePolicy:       model.UnsupportedResourceSkip,
		Eol:                             types.EolLF,
		WriteObjectStream:               true,
		WriteXRefStream:                 true,
		EncryptUsingAES:                 true,
		EncryptKeyLength:                256,
		Permissions:                     model.PermissionsPrint,
		TimestampFormat:                 "2006-01-02 15:04",
		DateFormat:                      "2006-01-02",
		Optimize:                        true,
		OptimizeBeforeWriting:           true,
		OptimizeResourceDicts:           true,
		OptimizeDuplicateContentStreams: false,
		MergeBookmarkMode:               model.MergeBookmarkModeWrap,
		Offline:                         true, // never fetch anything a document points at
		Timeout:                         5,
		Limits:                          model.DefaultResourceLimits(),
	}
}

// StampPDF stamps every page of a PDF with the visible mark (a diagonal,
// semi-transparent text watermark drawn by pdfcpu over the page content)
// and writes the forensic mark into the Info dictionary, the XMP metadata,
// every page's /PieceInfo and every page's content as invisible text (so
// text copied out of a viewer takes it along). Encrypted PDFs are refused.
func (w *Watermarker) StampPDF(pdf []byte, m Mark) (_ []byte, err error) {
	defer recoverPDF(&err)
	payload, err := w.seal(m)
	if err != nil {
		return nil, err
	}
	conf := pdfConfig()
	conf.Cmd = model.ADDWATERMARKS
	ctx, err := api.ReadValidateAndOptimize(bytes.NewReader(pdf), conf)
	if err != nil {
		return nil, fmt.Errorf("watermark: read pdf: %w", err)
	}
	if ctx.Encrypt != nil {
		return nil, errors.New("watermark: encrypted PDFs cannot be stamped")
	}
	wm, err := pdfcpu.ParseTextWatermarkDetails(m.Line(), "fontname:Helvetica, points:18, diagonal:1, scalefactor:0.85 rel, opacity:0.35, fillcolor:#808080", true, types.POINTS)
	if err != nil {
		return nil, fmt.Errorf("watermark: pdf watermark: %w", err)
	}
	if err := pdfcpu.AddWatermarks(ctx, nil, wm); err != nil {
		return nil, fmt.Errorf("watermark: stamp pdf: %w", err)
	}
	enc := base64.RawURLEncoding.EncodeToString(payload)
	if err := markPDF(ctx, enc, m.Time); err != nil {
		return nil, err
	}
	if err := addHiddenText(ctx, textToken+enc); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := api.WriteContext(ctx, &out); err != nil {
		return nil, fmt.Errorf("watermark: write pdf: %w", err)
	}
	return out.Bytes(), nil
}

// markPDF writes the encoded mark into the Info dictionary, the XMP packet
// and every page dictionary.
func markPDF(ctx *model.Context, enc string, t time.Time) error {
	if ctx.XRefTable.Version() < model.V20 { // PDF 2.0 deprecates Info; XMP carries it there
		if err := pdfcpu.PropertiesAdd(ctx, map[string]string{pdfInfoKey: enc}); err != nil {
			return fmt.Errorf("watermark: pdf info: %w", err)
		}
	}
	if err := addXMP(ctx, enc); err != nil {
		return err
	}
	piece := types.Dict{pdfPieceKey: types.Dict{
		"LastModified": types.StringLiteral(types.DateString(t)),
		"Private":      types.StringLiteral(enc),
	}}
	for p := 1; p <= ctx.PageCount; p++ {
		d, _, _, err := ctx.PageDict(p, false)
		if err != nil || d == nil {
			return fmt.Errorf("watermark: page %d: %w", p, err)
		}
		d["PieceInfo"] = piece.Clone()
		d["LastModified"] = types.StringLiteral(types.DateString(t))
	}
	return nil
}

// addHiddenText appends to every page a content stream that writes text in
// render mode 3 (invisible), with a Helvetica font resource added to the
// page's resources. Unlike /PieceInfo, which pdfcpu's own optimizer strips,
// content survives any rewrite that keeps the page, and it comes along when
// the text of a page is copied out of a viewer.
func addHiddenText(ctx *model.Context, text string) error {
	font, err := ctx.IndRefForNewObject(types.Dict{
		"Type": types.Name("Font"), "Subtype": types.Name("Type1"),
		"BaseFont": types.Name("Helvetica"), "Encoding": types.Name("WinAnsiEncoding"),
	})
	if err != nil {
		return fmt.Errorf("watermark: pdf font: %w", err)
	}
	content := []byte("q BT 3 Tr /WdnMark 1 Tf 1 0 0 1 2 2 Tm " + pdfString(text) + " Tj ET Q\n")
	for p := 1; p <= ctx.PageCount; p++ {
		d, _, _, err := ctx.PageDict(p, false)
		if err != nil || d == nil {
			return fmt.Errorf("watermark: page %d: %w", p, err)
		}
		res, err := ctx.DereferenceDict(d["Resources"])
		if err != nil || res == nil {
			continue // inherits its resources: leave it to the other carriers
		}
		fonts, err := ctx.DereferenceDict(res["Font"])
		if err != nil {
			continue
		}
		if fonts == nil {
			fonts = types.Dict{}
			res["Font"] = fonts
		}
		fonts["WdnMark"] = *font
		sd, err := ctx.NewStreamDictForBuf(content)
		if err != nil {
			return fmt.Errorf("watermark: page %d: %w", p, err)
		}
		if err := sd.Encode(); err != nil {
			return fmt.Errorf("watermark: page %d: %w", p, err)
		}
		ref, err := ctx.IndRefForNewObject(*sd)
		if err != nil {
			return fmt.Errorf("watermark: page %d: %w", p, err)
		}
		switch c := d["Contents"].(type) {
		case types.IndirectRef:
			if o, err := ctx.Dereference(c); err == nil {
				if arr, ok := o.(types.Array); ok {
					ctx.Table[c.ObjectNumber.Value()].Object = append(arr, *ref)
					continue
				}
			}
			d["Contents"] = types.Array{c, *ref}
		case types.Array:
			d["Contents"] = append(c, *ref)
		default:
			d["Contents"] = *ref
		}
	}
	return nil
}

func xmpDescription(enc string) string {
	return `<rdf:Description rdf:about="" xmlns:warden="` + xmpNamespace + `"><warden:mark>` + enc + `</warden:mark></rdf:Description>`
}

// addXMP adds the mark to the catalog's XMP packet, creating one when the
// document has none.
func addXMP(ctx *model.Context, enc string) error {
	root, err := ctx.Catalog()
	if err != nil {
		return fmt.Errorf("watermark: pdf catalog: %w", err)
	}
	if ref := root.IndirectRefEntry("Metadata"); ref != nil {
		sd, _, err := ctx.DereferenceStreamDict(*ref)
		if err == nil && sd != nil && sd.Decode() == nil {
			if i := bytes.LastIndex(sd.Content, []byte("</rdf:RDF>")); i >= 0 {
				c := append([]byte(nil), sd.Content[:i]...)
				c = append(c, xmpDescription(enc)...)
				c = append(c, sd.Content[i:]...)
				sd.Content = c
				if err := sd.Encode(); err != nil {
					return fmt.Errorf("watermark: pdf xmp: %w", err)
				}
				ctx.Table[ref.ObjectNumber.Value()].Object = *sd
				return nil
			}
		}
		// An XMP packet we cannot parse is replaced: the mark matters more.
	}
	packet := `<?xpacket begin="` + "\ufeff" + `" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">` + xmpDescription(enc) + `</rdf:RDF></x:xmpmeta>
<?xpacket end="w"?>`
	sd, err := ctx.NewStreamDictForBuf([]byte(packet))
	if err != nil {
		return fmt.Errorf("watermark: pdf xmp: %w", err)
	}
	sd.InsertName("Type", "Metadata")
	sd.InsertName("Subtype", "XML")
	// Uncompressed, as XMP is meant to be: tools that scan files for
	// packets without parsing the PDF find it, and so does identifyRawPDF.
	sd.FilterPipeline = nil
	sd.Delete("Filter")
	if err := sd.Encode(); err != nil {
		return fmt.Errorf("watermark: pdf xmp: %w", err)
	}
	ir, err := ctx.IndRefForNewObject(*sd)
	if err != nil {
		return fmt.Errorf("watermark: pdf xmp: %w", err)
	}
	root["Metadata"] = *ir
	return nil
}

// Page layout of RenderPDF: A4, Courier (a standard font every viewer has,
// so nothing is embedded, and fixed-width, so wrapping is a byte count).
const (
	pageW, pageH  = 595.0, 842.0
	margin        = 48.0
	fontSize      = 9.0
	leading       = 11.0
	charW         = 0.6 * fontSize // every Courier glyph is 600/1000 em wide
	lineChars     = 91             // ⌊(pageW - 2·margin) / charW⌋
	linesPerPage  = 67             // ⌊(pageH - 2·margin) / leading⌋
	tabWidth      = 4
	maxRenderPage = 5000
)

// RenderPDF lays out a text, Markdown, CSV or code document as PDF pages of
// Courier text (Markdown and CSV as their source), then stamps it as
// StampPDF does. Characters outside Windows-1252 are shown as "?".
func (w *Watermarker) RenderPDF(kind, name string, content []byte, m Mark) ([]byte, error) {
	if err := checkRender(kind, content); err != nil {
		return nil, err
	}
	if err := m.validate(); err != nil {
		return nil, err
	}
	raw, err := layoutPDF(string(content))
	if err != nil {
		return nil, err
	}
	return w.StampPDF(raw, m)
}

// layoutPDF writes text as pages of Courier. pdfcpu builds the objects and
// writes the file; only the page content streams are written here.
func layoutPDF(text string) ([]byte, error) {
	lines := layoutLines(strings.ToValidUTF8(text, "\uFFFD"))
	pages := (len(lines) + linesPerPage - 1) / linesPerPage
	if pages == 0 {
		pages = 1
	}
	if pages > maxRenderPage {
		return nil, fmt.Errorf("watermark: document would be %d pages, over the %d-page preview limit", pages, maxRenderPage)
	}

	xt, err := pdfcpu.CreateXRefTableWithRootDict()
	if err != nil {
		return nil, fmt.Errorf("watermark: new pdf: %w", err)
	}
	font, err := xt.IndRefForNewObject(types.Dict{
		"Type": types.Name("Font"), "Subtype": types.Name("Type1"),
		"BaseFont": types.Name("Courier"), "Encoding": types.Name("WinAnsiEncoding"),
	})
	if err != nil {
		return nil, fmt.Errorf("watermark: pdf font: %w", err)
	}
	tree := types.Dict{"Type": types.Name("Pages"), "Count": types.Integer(pages), "MediaBox": types.RectForDim(pageW, pageH).Array()}
	treeRef, err := xt.IndRefForNewObject(tree)
	if err != nil {
		return nil, fmt.Errorf("watermark: pdf page tree: %w", err)
	}
	kids := make(types.Array, 0, pages)
	var cs bytes.Buffer
	for p := range pages {
		cs.Reset()
		fmt.Fprintf(&cs, "BT\n/F1 %g Tf\n%g TL\n%g %g Td\n", fontSize, leading, margin, pageH-margin-fontSize)
		for _, l := range lines[min(p*linesPerPage, len(lines)):min((p+1)*linesPerPage, len(lines))] {
			cs.WriteString(l)
			cs.WriteString(" Tj T*\n")
		}
		cs.WriteString("ET\n")
		sd, err := xt.NewStreamDictForBuf(append([]byte(nil), cs.Bytes()...))
		if err != nil {
			return nil, fmt.Errorf("watermark: pdf page %d: %w", p+1, err)
		}
		if err := sd.Encode(); err != nil {
			return nil, fmt.Errorf("watermark: pdf page %d: %w", p+1, err)
		}
		contents, err := xt.IndRefForNewObject(*sd)
		if err != nil {
			return nil, fmt.Errorf("watermark: pdf page %d: %w", p+1, err)
		}
		page, err := xt.IndRefForNewObject(types.Dict{
			"Type": types.Name("Page"), "Parent": *treeRef, "Contents": *contents,
			// Each page its own resources: the stamp adds its form to
			// them, and a shared dictionary would collect every page's.
			"Resources": types.Dict{"Font": types.Dict{"F1": *font}},
		})
		if err != nil {
			return nil, fmt.Errorf("watermark: pdf page %d: %w", p+1, err)
		}
		kids = append(kids, *page)
	}
	tree["Kids"] = kids
	root, err := xt.Catalog()
	if err != nil {
		return nil, fmt.Errorf("watermark: pdf catalog: %w", err)
	}
	root["Pages"] = *treeRef
	xt.PageCount = pages
	ctx := pdfcpu.CreateContext(xt, pdfConfig())
	var raw bytes.Buffer
	if err := api.WriteContext(ctx, &raw); err != nil {
		return nil, fmt.Errorf("watermark: write pdf: %w", err)
	}
	return raw.Bytes(), nil
}

// layoutLines expands tabs, wraps at lineChars and returns each line as a
// PDF string literal in Windows-1252.
func layoutLines(text string) []string {
	enc := charmap.Windows1252
	var out []string
	text = strings.TrimSuffix(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	for line := range strings.SplitSeq(text, "\n") {
		var b []byte
		col := 0
		flush := func() {
			out = append(out, pdfString(string(b)))
			b, col = b[:0], 0
		}
		for _, r := range line {
			if r == '\t' {
				for n := tabWidth - col%tabWidth; n > 0; n-- {
					b = append(b, ' ')
					col++
				}
			} else {
				c, ok := enc.EncodeRune(r)
				if !ok || c < 0x20 && r != '\t' {
					c = '?'
				}
				b = append(b, c)
				col++
			}
			if col >= lineChars {
				flush()
			}
		}
		if col > 0 || len(b) == 0 {
			flush()
		}
	}
	return out
}

// pdfString writes bytes as a PDF literal string, escaping what the syntax
// reserves and anything outside printable ASCII as octal.
func pdfString(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('(')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '(' || c == ')' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c > 0x7e:
			b.WriteByte('\\')
			b.WriteString(strconv.FormatInt(int64(c)+01000, 8)[1:])
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte(')')
	return b.String()
}

// identifyPDF reads a PDF and collects the marks in its Info dictionary,
// XMP packet, page dictionaries and page content (the invisible text).
func (c *collector) identifyPDF(data []byte) (err error) {
	defer recoverPDF(&err)
	conf := pdfConfig()
	conf.Cmd = model.VALIDATE
	conf.Optimize = false
	ctx, err := api.ReadAndValidate(bytes.NewReader(data), conf)
	if err != nil {
		return fmt.Errorf("watermark: read pdf: %w", err)
	}
	addEnc := func(enc, where string) {
		if p, err := base64.RawURLEncoding.DecodeString(strings.TrimSpace(enc)); err == nil {
			c.add(p, where)
		}
	}
	if ctx.Info != nil {
		if d, err := ctx.DereferenceDict(*ctx.Info); err == nil {
			if o, ok := d[pdfInfoKey]; ok {
				if s, err := pdfText(ctx, o); err == nil {
					addEnc(s, "pdf info dictionary")
				}
			}
		}
	}
	if root, err := ctx.Catalog(); err == nil {
		if o, ok := root["Metadata"]; ok {
			if sd, _, err := ctx.DereferenceStreamDict(o); err == nil && sd != nil && sd.Decode() == nil {
				for _, enc := range between(string(sd.Content), "<warden:mark>", "</warden:mark>") {
					addEnc(enc, "pdf xmp metadata")
				}
			}
		}
	}
	for p := 1; p <= ctx.PageCount && len(c.found) < 64; p++ {
		d, _, _, err := ctx.PageDict(p, false)
		if err != nil || d == nil {
			continue
		}
		if pi, err := ctx.DereferenceDict(d["PieceInfo"]); err == nil && pi != nil {
			if app, err := ctx.DereferenceDict(pi[pdfPieceKey]); err == nil && app != nil {
				if s, err := pdfText(ctx, app["Private"]); err == nil {
					addEnc(s, "pdf page piece info")
				}
			}
		}
		if content, err := ctx.PageContent(d, p); err == nil {
			c.identifyTokens(string(content), "pdf page text")
		}
	}
	return nil
}

// pdfText returns the value of a PDF string object.
func pdfText(ctx *model.Context, o types.Object) (string, error) {
	o, err := ctx.Dereference(o)
	if err != nil {
		return "", err
	}
	switch s := o.(type) {
	case types.StringLiteral:
		return types.StringLiteralToString(s)
	case types.HexLiteral:
		b, err := s.Bytes()
		return string(b), err
	}
	return "", errors.New("not a string")
}

// between returns every substring of s between start and end.
func between(s, start, end string) []string {
	var out []string
	for len(out) < maxCandidates {
		i := strings.Index(s, start)
		if i < 0 {
			return out
		}
		s = s[i+len(start):]
		j := strings.Index(s, end)
		if j < 0 {
			return out
		}
		out = append(out, s[:j])
		s = s[j+len(end):]
	}
	return out
}

// identifyTokens finds marks written as textToken + base64url in text, such
// as the invisible text of a rendered PDF copied out of a viewer.
func (c *collector) identifyTokens(s, where string) {
	for n := 0; n < maxCandidates; n++ {
		i := strings.Index(s, textToken)
		if i < 0 {
			return
		}
		s = s[i+len(textToken):]
		j := 0
		for j < len(s) && j < 2*maxPayload && isB64URL(s[j]) {
			j++
		}
		if p, err := base64.RawURLEncoding.DecodeString(s[:j]); err == nil {
			c.add(p, where)
		}
		s = s[j:]
	}
}

func isB64URL(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// recoverPDF turns a panic inside pdfcpu, a large parser fed untrusted
// files, into an error for this one document instead of a crashed server.
func recoverPDF(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("watermark: malformed pdf: %v", r)
	}
}
