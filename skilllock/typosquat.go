package skilllock

import (
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Squat is a name that imitates a known one.
type Squat struct {
	Name   string // the imitating name
	Target string // the known name it imitates
	Kind   string // "homoglyph", "edit-distance", "affix" or "random-suffix"
	Detail string // for humans
}

// confusable maps a letter that renders like a Latin one to it: the
// Cyrillic, Greek and IPA lookalikes of Unicode's confusables list that
// pass for lower-case ASCII in a skill name (the letters of the skill
// scanner's table in scan/normalize.go, and a few more: η, ω), and the
// digit-for-letter swaps
// typosquats use (0 for o; 1, i and l read alike, so all become l).
// Separators fold to "-": weather_tool and weather.tool pass for
// weather-tool.
func confusable(r rune) rune {
	switch r {
	case 'а', 'α', 'ɑ':
		return 'a'
	case 'в', 'β', 'ь':
		return 'b'
	case 'с':
		return 'c'
	case 'ԁ':
		return 'd'
	case 'е', 'ё', 'ε':
		return 'e'
	case 'ɡ':
		return 'g'
	case 'һ', 'н':
		return 'h'
	case 'ј':
		return 'j'
	case 'к', 'κ':
		return 'k'
	case 'і', 'ї', 'ӏ', 'ι', 'ı', 'ɩ', 'ǀ', 'ʟ', 'i', '1', '|':
		return 'l'
	case 'м':
		return 'm'
	case 'η':
		return 'n'
	case 'о', 'ο', '0':
		return 'o'
	case 'р', 'ρ':
		return 'p'
	case 'ԛ':
		return 'q'
	case 'ѕ':
		return 's'
	case 'т', 'τ':
		return 't'
	case 'υ':
		return 'u'
	case 'ν':
		return 'v'
	case 'ԝ', 'ω':
		return 'w'
	case 'х', 'χ':
		return 'x'
	case 'у', 'γ':
		return 'y'
	case '_', '.', ' ':
		return '-'
	}
	return r
}

// capital maps the Greek capitals that look like a Latin capital their
// lower case does not look like (Η is H, η is n): they are read before
// the name is lower-cased, or "ΤΜUΧ" would not fold to "tmux".
func capital(r rune) rune {
	switch r {
	case 'Η':
		return 'h'
	case 'Ν':
		return 'n'
	case 'Υ':
		return 'y'
	case 'Μ':
		return 'm'
	case 'Ζ':
		return 'z'
	}
	return r
}

// Fold returns the skeleton of a name: what it looks like rather than
// what it is. NFKC (fullwidth and compatibility forms to ASCII), lower
// case, accents and invisible format characters (zero-width, bidi, tags)
// dropped, confusables mapped, "rn" read as "m" and "vv" as "w", runs of
// separators collapsed. Two names with one skeleton look alike.
func Fold(s string) string {
	f := foldRunes(s)
	f = strings.ReplaceAll(f, "rn", "m")
	f = strings.ReplaceAll(f, "vv", "w")
	return f
}

// foldRunes is Fold without the two-letter lookalikes, for edit distance:
// "intrenal" is one swap from "internal", but "internal" folds to
// "intemal", two edits from it.
func foldRunes(s string) string {
	s = strings.Map(capital, norm.NFKC.String(s))
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.ToLower(s)) {
		if unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Cf, r) {
			continue
		}
		b.WriteRune(confusable(r))
	}
	f := b.String()
	for strings.Contains(f, "--") {
		f = strings.ReplaceAll(f, "--", "-")
	}
	return strings.Trim(f, "-")
}

// Distance is the Damerau–Levenshtein distance (optimal string alignment:
// insertions, deletions, substitutions and swaps of neighbours) between
// a and b, in runes.
func Distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// Three rows suffice: the swap looks two rows back.
	n := len(rb) + 1
	rows := make([]int, 3*n)
	prev2, prev, cur := rows[:n], rows[n:2*n], rows[2*n:]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// maxDistance is how many edits a name of n runes may be from a known one
// and still be taken for a typosquat of it: none below 5 runes (gh, gog
// and sag are one or two edits from countless unrelated words), one up to
// 8, two from 9. Shorter known names still catch one added digit or
// doubled letter (addedRune).
func maxDistance(n int) int {
	switch {
	case n < 5:
		return 0
	case n <= 8:
		return 1
	}
	return 2
}

// Matcher finds imitations of a set of known names, folded once.
type Matcher struct {
	known []knownName
	exact map[string]bool
}

type knownName struct {
	name, skeleton, runes, lower string // as given, Fold, foldRunes, lowerNFKC
	maxEdits                     int
}

// NewMatcher prepares the known names.
func NewMatcher(known []string) *Matcher {
	m := &Matcher{exact: map[string]bool{}}
	for _, k := range known {
		if m.exact[k] {
			continue
		}
		m.exact[k] = true
		r := foldRunes(k)
		m.known = append(m.known, knownName{name: k, skeleton: Fold(k), runes: r, lower: lowerNFKC(k), maxEdits: maxDistance(len([]rune(r)))})
	}
	return m
}

// FindSquat reports the first known name that name imitates, if any.
func FindSquat(name string, known []string) (Squat, bool) {
	return NewMatcher(known).Find(name)
}

// Find reports the first known name that name imitates, if any. A name
// that is itself one of the known names imitates nothing: it is the name
// (whether the publisher is the right one is the allowlist's job).
func (m *Matcher) Find(name string) (Squat, bool) {
	if m.exact[name] {
		return Squat{}, false
	}
	fn, rn, lower := Fold(name), foldRunes(name), lowerNFKC(name)
	// Suffixes are judged before folding, which would turn the digits 0
	// and 1 into letters.
	cloneBase, suffix, clone := cutRandomSuffix(lower)
	if clone {
		cloneBase = Fold(cloneBase)
	}
	affixBase, affix, affixed := cutAffix(lower)
	if affixed {
		affixBase = Fold(affixBase)
	}
	ln := len([]rune(rn))
	for _, k := range m.known {
		if fn == k.skeleton {
			return Squat{Name: name, Target: k.name, Kind: "homoglyph", Detail: fmt.Sprintf("%+q looks like %+q (confusable characters)", name, k.name)}, true
		}
		// Lengths further apart than the edits allowed cannot be close:
		// skip the quadratic distance for them.
		if k.maxEdits > 0 && abs(ln-len([]rune(k.runes))) <= k.maxEdits {
			d := Distance(rn, k.runes)
			if fn != rn || k.skeleton != k.runes {
				d = min(d, Distance(fn, k.skeleton))
			}
			if d > 0 && d <= k.maxEdits {
				return Squat{Name: name, Target: k.name, Kind: "edit-distance", Detail: fmt.Sprintf("%+q is %d edit(s) from %+q", name, d, k.name)}, true
			}
		}
		if k.maxEdits == 0 && ln >= 4 {
			if r, ok := addedRune(rn, k.runes); ok {
				return Squat{Name: name, Target: k.name, Kind: "edit-distance", Detail: fmt.Sprintf("%+q is %+q with %+q added", name, k.name, r)}, true
			}
			if r, ok := addedRune(lower, k.lower); ok {
				return Squat{Name: name, Target: k.name, Kind: "edit-distance", Detail: fmt.Sprintf("%+q is %+q with %+q added", name, k.name, r)}, true
			}
		}
		if affixed && affixBase == k.skeleton {
			return Squat{Name: name, Target: k.name, Kind: "affix", Detail: fmt.Sprintf("%+q is %+q with the word %+q added (the shape of \"official\" and \"pro\" clones)", name, k.name, affix)}, true
		}
		if clone && cloneBase == k.skeleton {
			return Squat{Name: name, Target: k.name, Kind: "random-suffix", Detail: fmt.Sprintf("%+q is %+q with the random-looking suffix %+q (a clone)", name, k.name, suffix)}, true
		}
	}
	return Squat{}, false
}

// lowerNFKC is a name in lower case with compatibility forms folded, its
// digits kept as digits.
func lowerNFKC(s string) string {
	return strings.ToLower(norm.NFKC.String(s))
}

// addedRune reports the rune name has in addition to known when that is
// one added digit or one letter doubled ("tmux2", "tmuxx", "gog2"): the
// single edits a short name can take and still read as the name, unlike
// an added letter that makes another word ("sage" of "sag", "tmuxp" of
// "tmux"). A known name shorter than 3 runes is too short to judge.
func addedRune(name, known string) (rune, bool) {
	n, k := []rune(name), []rune(known)
	if len(k) < 3 || len(n) != len(k)+1 {
		return 0, false
	}
	i := 0
	for i < len(k) && n[i] == k[i] {
		i++
	}
	if string(n[i+1:]) != string(k[i:]) {
		return 0, false
	}
	r := n[i]
	doubled := (i > 0 && n[i-1] == r) || (i+1 < len(n) && n[i+1] == r)
	return r, unicode.IsDigit(r) || (doubled && unicode.IsLetter(r))
}

// cutAffix splits "github-official" into "github" and "official": a last
// segment that marks a clone passing for an edition of the real thing.
// A word like this after a well-known name is how mass-published
// impostors are named ("brave-search-pro", "weather-v2").
func cutAffix(name string) (base, word string, ok bool) {
	i := strings.LastIndexAny(name, "-_.")
	if i <= 0 {
		return "", "", false
	}
	base, word = name[:i], name[i+1:]
	switch word {
	case "official", "pro", "cli", "app", "ai", "plus", "free", "premium", "new", "latest":
		return base, word, true
	}
	if len(word) >= 2 && word[0] == 'v' && strings.Trim(word[1:], "0123456789") == "" {
		return base, word, true // v2, v10
	}
	return "", "", false
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// cutRandomSuffix splits "weather-x7k2" into "weather" and "x7k2": a last
// segment of 2 to 12 letters and digits with at least one of each, the
// shape of the generated suffixes mass-published clones carry (as short
// as "x9"). A plain number ("weather-2") is not one; a word is cutAffix's.
func cutRandomSuffix(name string) (base, suffix string, ok bool) {
	i := strings.LastIndexAny(name, "-_.")
	if i <= 0 {
		return "", "", false
	}
	base, suffix = name[:i], name[i+1:]
	if len(suffix) < 2 || len(suffix) > 12 {
		return "", "", false
	}
	var letters, digits int
	for _, r := range suffix {
		switch {
		case r >= 'a' && r <= 'z':
			letters++
		case r >= '0' && r <= '9':
			digits++
		default:
			return "", "", false
		}
	}
	return base, suffix, letters > 0 && digits > 0
}
