package scan

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// fold undoes the Unicode tricks that hide a command from a pattern while
// leaving it readable to a person or runnable after a copy and paste:
// compatibility forms (fullwidth ｃｕｒｌ, mathematical 𝐜𝐮𝐫𝐥, ligatures),
// letters from other scripts that look Latin (Cyrillic с, Greek ο),
// accents added to Latin letters, and invisible characters inside a word
// (cu\u200brl). The rules are written in ASCII, so they match the folded
// line. at maps each byte of the folded text back to the byte of s it
// came from (at[len(folded)] = len(s)), so evidence quotes what the file
// really holds; at is nil when s is ASCII and nothing changed.
func fold(s string) (folded string, at []int) {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return s, nil
	}
	out := make([]byte, 0, len(s))
	at = make([]int, 0, len(s)+1)
	for i, r := range s {
		for _, c := range foldRune(r) {
			n := len(out)
			out = utf8.AppendRune(out, c)
			for range len(out) - n {
				at = append(at, i)
			}
		}
	}
	at = append(at, len(s))
	return string(out), at
}

// foldRune is one rune's replacement: nothing for an invisible character,
// its Latin look-alike, or its compatibility decomposition without the
// combining marks.
func foldRune(r rune) []rune {
	if r < utf8.RuneSelf {
		return []rune{r}
	}
	if unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Variation_Selector, r) {
		return nil // zero-width, bidi controls, tags, soft hyphen
	}
	if c, ok := confusables[r]; ok {
		return []rune{c}
	}
	var out []rune
	for _, c := range norm.NFKD.String(string(r)) {
		if unicode.Is(unicode.Mn, c) {
			continue
		}
		if l, ok := confusables[c]; ok {
			c = l
		}
		out = append(out, c)
	}
	return out
}

// confusables are the look-alikes of the ASCII letters and shell
// punctuation that NFKD leaves alone: Unicode's confusables.txt reduced to
// the scripts and symbols seen in lures (Cyrillic, Greek, a few IPA
// letters and punctuation).
var confusables = map[rune]rune{
	// Cyrillic
	'а': 'a', 'в': 'b', 'е': 'e', 'ё': 'e', 'к': 'k', 'м': 'm', 'н': 'h', 'о': 'o', 'р': 'p', 'с': 'c',
	'т': 't', 'у': 'y', 'х': 'x', 'ѕ': 's', 'і': 'i', 'ї': 'i', 'ј': 'j', 'һ': 'h', 'ԁ': 'd', 'ԛ': 'q',
	'ԝ': 'w', 'ӏ': 'l', 'ь': 'b', 'ɡ': 'g',
	'А': 'A', 'В': 'B', 'Е': 'E', 'К': 'K', 'М': 'M', 'Н': 'H', 'О': 'O', 'Р': 'P', 'С': 'C', 'Т': 'T',
	'У': 'Y', 'Х': 'X', 'Ѕ': 'S', 'І': 'I', 'Ј': 'J', 'Ԁ': 'D', 'Ԛ': 'Q', 'Ԝ': 'W', 'Ӏ': 'l',
	// Greek
	'α': 'a', 'β': 'b', 'ε': 'e', 'ι': 'i', 'κ': 'k', 'ν': 'v', 'ο': 'o', 'ρ': 'p', 'τ': 't', 'υ': 'u',
	'χ': 'x', 'γ': 'y',
	'Α': 'A', 'Β': 'B', 'Ε': 'E', 'Ζ': 'Z', 'Η': 'H', 'Ι': 'I', 'Κ': 'K', 'Μ': 'M', 'Ν': 'N', 'Ο': 'O',
	'Ρ': 'P', 'Τ': 'T', 'Υ': 'Y', 'Χ': 'X',
	// Latin and IPA look-alikes
	'ı': 'i', 'ɑ': 'a', 'ɩ': 'i', 'ʟ': 'L', 'ǀ': '|', 'ℓ': 'l',
	// punctuation a command needs
	'∣': '|', '│': '|', '∕': '/', '⁄': '/', '‐': '-', '‑': '-', '‒': '-', '–': '-', '—': '-',
	'−': '-', '꞉': ':', '˸': ':', '‚': ',', '＄': '$', '‹': '<', '›': '>',
}
