package injection

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// folded is the view of a text the rules match against: lower case,
// compatibility-decomposed with combining marks dropped, common homoglyphs
// mapped to Latin, whitespace runs collapsed to one ' ' (or '\n' when the run
// held a line break), invisible format characters removed and letter-by-letter
// spacing ("i g n o r e") closed up. Attackers rely on each of these to slip
// past literal matching, and all of them are cheap to undo.
type folded struct {
	b []byte
	// off[i] is the byte offset in the original text of the character that
	// produced b[i]; it is how a match in b becomes a span of the original.
	off []int32
	// invisible holds the original offsets of every invisible character that
	// was dropped, so the hidden-text probes need not walk the text again.
	invisible []int32
}

// reset empties f while keeping its buffers for the next text.
func (f *folded) reset() {
	f.b = f.b[:0]
	f.off = f.off[:0]
	f.invisible = f.invisible[:0]
}

// asciiFold maps each ASCII byte to what the folded view holds for it; 0
// marks whitespace (and control characters, which separate words just as
// well).
var asciiFold = func() (t [utf8.RuneSelf]byte) {
	for c := 0; c < utf8.RuneSelf; c++ {
		switch {
		case c <= ' ' || c == 0x7f:
			t[c] = 0
		case c >= 'A' && c <= 'Z':
			t[c] = byte(c + 'a' - 'A')
		default:
			t[c] = byte(c)
		}
	}
	return t
}()

// fold builds the folded view of text into f.
func fold(f *folded, text string) {
	f.reset()
	// The ASCII path writes by index into buffers sized for the whole text
	// (ASCII never expands), keeping its state in locals the compiler holds
	// in registers; non-ASCII characters go through f.foldRune, which may
	// expand and so grows the buffers as needed.
	b, off := f.b[:0], f.off[:0]
	if cap(b) < len(text) || cap(off) < len(text) {
		b = make([]byte, len(text)+len(text)/8+16)
		off = make([]int32, len(b))
	}
	b, off = fullLen(b, off)
	n := 0
	pending, newline, at := false, false, int32(0)
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c < utf8.RuneSelf {
			fc := asciiFold[c]
			if fc == 0 {
				if !pending {
					pending, at = true, int32(i)
				}
				newline = newline || c == '\n'
				continue
			}
			if pending {
				if n > 0 {
					b[n], off[n] = ' ', at
					if newline {
						b[n] = '\n'
					}
					n++
				}
				pending, newline = false, false
			}
			b[n], off[n] = fc, int32(i)
			n++
			continue
		}
		ws := wsState{pending: pending, newline: newline, at: at}
		f.b, f.off = b[:n], off[:n]
		next := f.foldRune(text, i, &ws)
		pending, newline, at = ws.pending, ws.newline, ws.at
		b, off, n = f.b, f.off, len(f.b)
		// Leave room for the rest of the text at one byte per byte.
		if rest := len(text) - next; cap(b)-n < rest || cap(off)-n < rest {
			b = append(b[:n], make([]byte, rest+16)...)
			off = append(off[:n], make([]int32, rest+16)...)
		}
		b, off = fullLen(b, off)
		i = next - 1
	}
	f.b, f.off = closeSpacedLetters(text, b[:n], off[:n])
	unleet(f.b)
}

// fullLen extends b and off to the capacity they share, for writes by index.
func fullLen(b []byte, off []int32) ([]byte, []int32) {
	n := min(cap(b), cap(off))
	return b[:n], off[:n]
}

// wsState tracks a run of whitespace not yet written: runs collapse to one
// byte, emitted only when a visible character follows.
type wsState struct {
	pending, newline bool
	at               int32
}

func (ws *wsState) flush(b []byte, off []int32) ([]byte, []int32) {
	if len(b) > 0 {
		if ws.newline {
			b = append(b, '\n')
		} else {
			b = append(b, ' ')
		}
		off = append(off, ws.at)
	}
	ws.pending, ws.newline = false, false
	return b, off
}

// foldRune folds the non-ASCII character at text[i:] and returns the offset
// after it.
func (f *folded) foldRune(text string, i int, ws *wsState) int {
	r, size := utf8.DecodeRuneInString(text[i:])
	at := int32(i)
	if isInvisible(r) {
		f.invisible = append(f.invisible, at)
		return i + size
	}
	var dec []byte
	if r != utf8.RuneError {
		dec = norm.NFKD.PropertiesString(text[i:]).Decomposition()
	}
	if len(dec) == 0 {
		f.emit(r, at, ws)
		return i + size
	}
	for len(dec) > 0 {
		dr, ds := utf8.DecodeRune(dec)
		f.emit(dr, at, ws)
		dec = dec[ds:]
	}
	return i + size
}

// emit appends one decomposed character produced by the original character
// at offset at.
func (f *folded) emit(r rune, at int32, ws *wsState) {
	if unicode.Is(unicode.Mn, r) || isInvisible(r) {
		return
	}
	if unicode.IsSpace(r) {
		if !ws.pending {
			ws.pending, ws.at = true, at
		}
		if r == '\u2028' || r == '\u2029' || r == '\u0085' {
			ws.newline = true
		}
		return
	}
	if ws.pending {
		f.b, f.off = ws.flush(f.b, f.off)
	}
	r = unicode.ToLower(lookalike(r))
	if r < utf8.RuneSelf {
		if fc := asciiFold[r]; fc != 0 {
			f.b = append(f.b, fc)
			f.off = append(f.off, at)
		}
		return
	}
	n := len(f.b)
	f.b = utf8.AppendRune(f.b, r)
	for ; n < len(f.b); n++ {
		f.off = append(f.off, at)
	}
}

// closeSpacedLetters closes up runs of four or more single letters split by
// one or two separators ("i g n o r e", "i.g.n.o.r.e."), the cheapest way
// to defeat keyword filters. Where the original put more between two letters
// than the separator around a single letter ("i g n o r e   a l l"), the
// word break is kept as one space; where it did not ("i g n o r e a l l"),
// the words run together, and rule patterns, which treat spaces between
// words as optional, still match. It works in place.
func closeSpacedLetters(text string, b []byte, off []int32) ([]byte, []int32) {
	n := len(b)
	w := 0
	for i := 0; i < n; {
		if isLower(b[i]) && (i == 0 || byteKind[b[i-1]]&wordish == 0) && (i+1 == n || byteKind[b[i+1]]&wordish == 0) {
			// Measure the run, counting letters; j is the last letter.
			j, letters := i, 1
			for {
				k, sep := j+1, 0
				for k < n && sep < 2 && isSpacer(b[k]) {
					k++
					sep++
				}
				if sep == 0 || k >= n || !isLower(b[k]) || (k+1 < n && isWordByte(b[k+1])) {
					break
				}
				j = k
				letters++
			}
			if letters >= 4 {
				for k := i; k <= j; {
					b[w], off[w] = b[k], off[k]
					w++
					next := k + 1
					for next <= j && !isLower(b[next]) {
						next++
					}
					if next > j {
						break
					}
					// A word break: two separators in the folded view, or a
					// gap in the original wider than one separator.
					if next-k > 2 || int(off[next])-origEnd(text, off[k]) > 1 {
						b[w], off[w] = ' ', off[k+1]
						w++
					}
					k = next
				}
				i = j + 1
				continue
			}
		}
		if w != i {
			b[w], off[w] = b[i], off[i]
		}
		w++
		i++
	}
	return b[:w], off[:w]
}

// leet maps the digits of leetspeak to the letters they stand for.
var leet = [10]byte{'o', 'i', 0, 'e', 'a', 's', 0, 't', 0, 0}

// unleet rewrites leetspeak words ("1gn0r3", "pr3v10u5", "4ll") in place.
// A word qualifies when it mixes letters with mappable digits, has no more
// digits than letters, and has a letter after a digit, which leaves
// numbers, hex hashes, versions and most identifiers alone. The mapping is
// byte for byte, so offsets are kept.
func unleet(b []byte) {
	for i := 0; i < len(b); i++ {
		if c := b[i]; c < '0' || c > '9' {
			continue
		}
		// A digit: find its word and judge it whole.
		start, end := i, i
		for start > 0 && byteKind[b[start-1]]&wordish != 0 {
			start--
		}
		for end < len(b) && byteKind[b[end]]&wordish != 0 {
			end++
		}
		i = end
		letters, digits, mapped, lettersAfterDigit := 0, 0, 0, false
		for _, c := range b[start:end] {
			switch {
			case c >= '0' && c <= '9':
				digits++
				if leet[c-'0'] != 0 {
					mapped++
				}
			case c >= 'a' && c <= 'z':
				letters++
				lettersAfterDigit = lettersAfterDigit || digits > 0
			default:
				letters = -len(b) // a non-ASCII or other byte: not leetspeak
			}
		}
		// Digits only at the end ("go1", "sha256", "utf8") are a version
		// or a variant, not a disguise.
		if letters >= 2 && mapped > 0 && mapped == digits && digits <= letters && lettersAfterDigit {
			for k := start; k < end; k++ {
				if c := b[k]; c >= '0' && c <= '9' {
					b[k] = leet[c-'0']
				}
			}
		}
	}
}

func isSpacer(c byte) bool {
	return c == ' ' || c == '.' || c == '-' || c == '_' || c == '*' || c == '\n' || c == '/' || c == '|'
}

func isLower(c byte) bool { return c >= 'a' && c <= 'z' }

// isWordByte reports whether c can be part of a word; bytes of multi-byte
// characters count, so a keyword never starts inside a non-ASCII word.
func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= utf8.RuneSelf
}

// isInvisible reports format characters that render as nothing. They are
// dropped from the folded view (so "ig\u200bnore" reads as "ignore") and
// handed to the hidden-text probes.
func isInvisible(r rune) bool {
	switch {
	case r < 0xad:
		return false
	case r == 0xad, r == 0x61c, r == 0x180e, r == 0xfeff:
		return true
	case r >= 0x200b && r <= 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2060 && r <= 0x206f:
		return true
	case r >= 0xfe00 && r <= 0xfe0f, r >= 0xfff9 && r <= 0xfffb:
		return true
	case r >= 0xe0000 && r <= 0xe007f, r >= 0xe0100 && r <= 0xe01ef:
		return true
	}
	return false
}

// lookalike maps the Cyrillic and Greek letters that are drawn exactly like
// Latin ones, and typographic quotes and dashes, to their ASCII twins. It is
// deliberately a short list: the common homoglyph swaps, not Unicode's full
// confusables table.
func lookalike(r rune) rune {
	if r < 0xab {
		return r
	}
	switch r {
	// Cyrillic.
	case 'а', 'А':
		return 'a'
	case 'В', 'в':
		return 'b'
	case 'с', 'С':
		return 'c'
	case 'ԁ':
		return 'd'
	case 'е', 'Е', 'ё', 'Ё':
		return 'e'
	case 'һ', 'Һ', 'Н', 'н':
		return 'h'
	case 'і', 'І', 'ї', 'Ї', 'ӏ', 'Ӏ':
		return 'i'
	case 'ј', 'Ј':
		return 'j'
	case 'К', 'к':
		return 'k'
	case 'М', 'м':
		return 'm'
	case 'о', 'О':
		return 'o'
	case 'р', 'Р':
		return 'p'
	case 'ԛ':
		return 'q'
	case 'ѕ', 'Ѕ':
		return 's'
	case 'Т', 'т':
		return 't'
	case 'у', 'У':
		return 'y'
	case 'х', 'Х':
		return 'x'
	case 'ԝ', 'Ԝ':
		return 'w'
	// Greek.
	case 'Α', 'α':
		return 'a'
	case 'Β', 'β':
		return 'b'
	case 'Ε', 'ε':
		return 'e'
	case 'Η':
		return 'h'
	case 'Ι', 'ι':
		return 'i'
	case 'Κ', 'κ':
		return 'k'
	case 'Μ':
		return 'm'
	case 'Ν':
		return 'n'
	case 'Ο', 'ο':
		return 'o'
	case 'Ρ', 'ρ':
		return 'p'
	case 'Τ', 'τ':
		return 't'
	case 'υ':
		return 'u'
	case 'ν':
		return 'v'
	case 'Χ', 'χ':
		return 'x'
	case 'Υ':
		return 'y'
	case 'Ζ':
		return 'z'
	// Punctuation.
	case '\u2018', '\u2019', '\u201a', '\u201b', '\u2032', '\u02bc':
		return '\''
	case '\u201c', '\u201d', '\u201e', '\u201f', '\u00ab', '\u00bb', '\u2033':
		return '"'
	case '\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2015', '\u2212':
		return '-'
	}
	return r
}
