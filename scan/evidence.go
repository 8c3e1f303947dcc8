package scan

import (
	"strings"

	"github.com/wardenhq/warden/report"
)

// Evidence is what a finding quotes of the line that earned it. The line
// can hold a credential next to the payload — curl -H "Authorization:
// Bearer ghp_…" http://… | sh — and the evidence goes to terminals, CI
// logs, SARIF uploads and OpenClaw, so every secret the secret scanner
// recognises in the line is masked before anything is quoted. The whole
// line is searched, not the quoted window, so a key cut in half by the
// window is still recognised.

// span is one secret in a line and the mask that stands for it.
type span struct {
	start, end int
	mask       string
}

// evidence is the match at loc in text with a little context, bounded,
// secrets masked and control characters made visible.
func (w *walker) evidence(text string, loc []int) string {
	start, end := max(0, loc[0]-40), min(len(text), loc[1]+40)
	var b strings.Builder
	i := start
	for _, sp := range w.secretSpans(text) {
		if sp.end <= start || sp.start >= end || sp.end <= i {
			continue
		}
		if sp.start > i {
			b.WriteString(text[i:sp.start])
		}
		b.WriteString(sp.mask)
		i = sp.end
	}
	if i < end {
		b.WriteString(text[i:end])
	}
	s := strings.ToValidUTF8(b.String(), "")
	if len(s) > maxEvidence {
		s = strings.ToValidUTF8(s[:maxEvidence], "") + "…"
	}
	return strings.TrimSpace(report.Sanitize(s))
}

// secretSpans finds the secrets in one line, remembering the last line
// asked (several rules often quote the same one).
func (w *walker) secretSpans(text string) []span {
	if text == w.spanText && w.spans != nil {
		return w.spans
	}
	spans := []span{}
	for _, f := range w.secrets.ScanBytes("evidence", []byte(text)) {
		if f.Line != 1 || f.Column < 1 || f.Column > len(text) {
			continue
		}
		start := f.Column - 1
		spans = append(spans, span{start: start, end: tokenEnd(text, start), mask: f.Evidence})
	}
	w.spanText, w.spans = text, spans
	return spans
}

// tokenEnd is where the token starting at i ends: the secret scanner
// tells where a secret starts, and a secret runs to the next space, quote
// or bracket. Masking a little more than the secret is harmless.
func tokenEnd(text string, i int) int {
	for i < len(text) && !strings.ContainsRune(" \t\"'`,;()[]{}<>|&", rune(text[i])) {
		i++
	}
	return i
}
