package watermark

import (
	"strings"
	"unicode/utf8"
)

// The zero-width alphabet: four code points that render as nothing in
// browsers, editors and PDF viewers and survive copy and paste, each
// carrying two bits. A mark is a run of them; no delimiter is needed because
// nothing else produces runs of these, and a run that does not verify is
// ignored. U+FEFF is left out: many tools strip it as a byte order mark.
const zwAlphabet = "\u200b\u200c\u200d\u2060"

func zwSymbol(r rune) int {
	switch r {
	case '\u200b':
		return 0
	case '\u200c':
		return 1
	case '\u200d':
		return 2
	case '\u2060':
		return 3
	}
	return -1
}

// zeroWidth encodes p as zero-width code points, most significant bits
// first.
func zeroWidth(p []byte) string {
	alphabet := []rune(zwAlphabet)
	var b strings.Builder
	b.Grow(len(p) * 4 * 3)
	for _, c := range p {
		for shift := 6; shift >= 0; shift -= 2 {
			b.WriteRune(alphabet[c>>shift&3])
		}
	}
	return b.String()
}

// markGap is how many bytes of text may pass between two copies of the
// mark: a paragraph copied out of a page carries at least one, and the page
// does not grow without bound (a copy is about 360 bytes of UTF-8).
const markGap = 400

// embedText inserts mark into text at the first word break of every
// paragraph (a block of lines after a blank line), and again at the next
// word break once markGap bytes have passed since the last copy, so a
// partial copy of a long paragraph or a long line still carries it.
func embedText(text, mark string) string {
	var b strings.Builder
	b.Grow(len(text) + len(text)/markGap*len(mark) + len(mark))
	since := markGap // force a mark in the first paragraph
	paragraphStart := true
	for line := range strings.Lines(text) {
		body := strings.TrimRight(line, "\r\n")
		if strings.TrimSpace(body) == "" {
			paragraphStart = true
			b.WriteString(line)
			since += len(line)
			continue
		}
		due := paragraphStart || since >= markGap
		paragraphStart = false
		seenWord := false
		for i := 0; i < len(line); {
			r, n := utf8.DecodeRuneInString(line[i:])
			if r == ' ' || r == '\t' {
				if seenWord && due {
					b.WriteString(mark)
					since, due = 0, false
				}
			} else if r != '\n' && r != '\r' {
				seenWord = true
			}
			if r == '\n' || r == '\r' {
				if due {
					b.WriteString(mark) // a line of one word
					since, due = 0, false
				}
			}
			b.WriteString(line[i : i+n])
			since += n
			i += n
			if !due && since >= markGap {
				due = true
			}
		}
		if due && !strings.HasSuffix(line, "\n") && seenWord {
			b.WriteString(mark) // last line without a newline
			since = 0
		}
	}
	return b.String()
}

// zwRuns returns the payloads encoded by the runs of zero-width code points
// in s, at most limit of them. Runs too short or too long to be a payload,
// or of a length that is not whole bytes, are skipped.
func zwRuns(s string, limit int) [][]byte {
	var out [][]byte
	var cur []byte
	var acc byte
	nsym := 0
	flush := func() {
		if nsym%4 == 0 && len(cur) >= minPayload && len(cur) <= maxPayload {
			out = append(out, cur)
		}
		cur, acc, nsym = nil, 0, 0
	}
	for _, r := range s {
		v := zwSymbol(r)
		if v < 0 {
			if nsym > 0 {
				flush()
				if len(out) >= limit {
					return out
				}
			}
			continue
		}
		acc = acc<<2 | byte(v)
		nsym++
		if nsym%4 == 0 {
			if len(cur) > maxPayload { // keep counting, but stop storing
				continue
			}
			cur = append(cur, acc)
			acc = 0
		}
	}
	if nsym > 0 {
		flush()
	}
	return out
}

// identifyText looks for zero-width marks in text (plain, HTML or anything
// else that keeps code points).
func (c *collector) identifyText(s, where string) {
	for _, p := range zwRuns(s, maxCandidates) {
		c.add(p, where)
	}
}

// maxCandidates bounds the work Identify does on a hostile input.
const maxCandidates = 10000
