package dlp

import (
	"math"
	"regexp/syntax"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A gitleaks rule is a regular expression, and on ordinary text most of
// its keywords ("key", "token", "api", "ey", "s.") occur with no secret
// near them. Running the expression over the whole text for each of them
// costs far more than everything else the engine does, so each rule is
// read once, when the engine is built, for what any match must look like
// around the keyword, and the expression runs only where the text can
// give such a match.
//
// Every gitleaks expression is a sequence of parts with the secret as one
// of them (a capture group, or the whole match): the parts before it, the
// secret, the parts after it. The plan records, in characters, how long
// the parts before and after can be; the secret's shortest length and the
// bytes it can be made of; and which part must hold one of the rule's
// keywords — proved from the expression, or there is no plan. Then a
// keyword found in the text passes only if:
//
//   - the keyword is in the secret (ghp_..., AKIA...): the run of secret
//     bytes around it is long enough, and (where the expression says what
//     must follow the secret) followed by it; or
//   - the keyword is before the secret (api_key = "..."): after it, within
//     reach, come bytes of the parts that can be empty (the rest of a
//     name, quotes), then bytes of the parts that cannot (the "=" or ":"),
//     then again of parts that can (quotes), and then a run of secret
//     bytes long enough, followed as it must be.
//
// These are necessary conditions of a match, so no match is lost. The
// expression then runs over the stretch a match could occupy, one
// character wider on each side; if a match touches either end, the rule
// runs over the whole text after all, as gitleaks would. A rule with no
// plan (its secret nested in a group, its keyword after the secret or in
// no part for certain, a part with no longest match before or after the
// secret) runs over the whole text whenever its keyword occurs.
// TestSecretPlansFindWhatWholeTextFinds holds the two ways to the same
// results.

// secretPlan is what one rule's expression says about its matches.
type secretPlan struct {
	whole bool // no usable plan: run over the whole text

	inSecret bool // the keyword is part of the secret; else before it

	before, after int // most characters before and after the secret
	minSecret     int // fewest characters in the secret
	alphabet      byteSet

	// The bytes the parts before and after the secret can be made of, and
	// the most characters the parts up to the keyword's take.
	beforeAlphabet, afterAlphabet byteSet
	keyAlphabet                   byteSet // of the parts up to the keyword's
	toKeyword                     int

	// Where the keyword is before the secret, the parts from the one with
	// the keyword up to the secret, in three stretches: the parts that
	// can be empty (a name, quotes), the first to the last part that
	// cannot (the "=" or ":"), and the parts that can again be empty (more
	// quotes) — each as the bytes it can be made of and its most
	// characters.
	lead, op, trail                byteSet
	leadWidth, opWidth, trailWidth int

	// What must follow the secret, if it is known: one of follow, or the
	// end of the text when followEnd.
	followKnown bool
	follow      byteSet
	followEnd   bool
}

// byteSet is a set of bytes. A rune beyond ASCII is represented by all
// bytes from 0x80: the plans work on bytes and must not miss one.
type byteSet [4]uint64

func (s *byteSet) add(b byte)      { s[b>>6] |= 1 << (b & 63) }
func (s *byteSet) has(b byte) bool { return s[b>>6]&(1<<(b&63)) != 0 }
func (s *byteSet) union(o byteSet) { s[0] |= o[0]; s[1] |= o[1]; s[2] |= o[2]; s[3] |= o[3] }
func (s *byteSet) intersects(o byteSet) bool {
	return s[0]&o[0] != 0 || s[1]&o[1] != 0 || s[2]&o[2] != 0 || s[3]&o[3] != 0
}

func (s *byteSet) addRune(r rune) {
	if r < utf8.RuneSelf {
		s.add(byte(r))
		return
	}
	s[2], s[3] = math.MaxUint64, math.MaxUint64
}

func (s *byteSet) addRange(lo, hi rune) {
	for r := lo; r <= hi && r < utf8.RuneSelf; r++ {
		s.add(byte(r))
	}
	if hi >= utf8.RuneSelf {
		s.addRune(hi)
	}
}

// unbounded stands for a part with no longest match.
const unbounded = math.MaxInt32

// planRule reads a rule's expression. The plan is whole when the
// expression does not fit the description above.
func planRule(src string, secretGroup int, keywords []string) secretPlan {
	whole := secretPlan{whole: true}
	re, err := syntax.Parse(src, syntax.Perl)
	if err != nil {
		return whole
	}
	parts := []*syntax.Regexp{re}
	if re.Op == syntax.OpConcat {
		parts = re.Sub
	}
	// The secret: the group gitleaks reports, or the first group, or the
	// whole match.
	si := -1
	for i, p := range parts {
		if p.Op == syntax.OpCapture && (p.Cap == secretGroup || secretGroup == 0 && p.Cap == 1) {
			si = i
			break
		}
	}
	if si < 0 {
		if re.MaxCap() > 0 {
			return whole // the secret is inside a part: too deep to plan
		}
		parts, si = []*syntax.Regexp{re}, 0
	}
	lower := make([]string, len(keywords))
	for i, k := range keywords {
		lower[i] = strings.ToLower(k)
	}
	ki := -1
	for i, p := range parts {
		if mustContain(p, lower) {
			ki = i
			break
		}
	}
	if ki < 0 || ki > si {
		return whole
	}
	p := secretPlan{
		inSecret:  ki == si,
		before:    widthOf(parts[:si], maxWidth),
		after:     widthOf(parts[si+1:], maxWidth),
		minSecret: minWidth(parts[si]),
		alphabet:  alphabetOf(parts[si]),
	}
	if p.before == unbounded || p.after == unbounded {
		return whole
	}
	for _, q := range parts[:si] {
		p.beforeAlphabet.union(alphabetOf(q))
	}
	for _, q := range parts[si+1:] {
		p.afterAlphabet.union(alphabetOf(q))
	}
	for _, q := range parts[:ki+1] {
		p.keyAlphabet.union(alphabetOf(q))
	}
	p.toKeyword = widthOf(parts[:ki+1], maxWidth)
	if !p.inSecret {
		// The keyword's own part goes with the lead: the keyword can be
		// in the middle of it.
		first, last := -1, -1
		for i := ki + 1; i < si; i++ {
			if minWidth(parts[i]) > 0 {
				if first < 0 {
					first = i
				}
				last = i
			}
		}
		if first < 0 {
			first, last = si, si-1 // nothing in between must show up
		}
		for _, q := range parts[ki:first] {
			p.lead.union(alphabetOf(q))
		}
		for _, q := range parts[first : last+1] {
			p.op.union(alphabetOf(q))
		}
		for _, q := range parts[last+1 : si] {
			p.trail.union(alphabetOf(q))
		}
		p.leadWidth = widthOf(parts[ki:first], maxWidth)
		p.opWidth = widthOf(parts[first:last+1], maxWidth)
		p.trailWidth = widthOf(parts[last+1:si], maxWidth)
		if p.leadWidth == unbounded || p.opWidth == unbounded || p.trailWidth == unbounded {
			return whole
		}
	}
	if si+1 < len(parts) {
		f, end, ok := firstOf(parts[si+1])
		if ok && !f.intersects(p.alphabet) {
			p.followKnown, p.follow, p.followEnd = true, f, end
		}
	}
	return p
}

func widthOf(parts []*syntax.Regexp, width func(*syntax.Regexp) int) int {
	n := 0
	for _, p := range parts {
		n = addWidth(n, width(p))
	}
	return n
}

func addWidth(a, b int) int {
	if a == unbounded || b == unbounded {
		return unbounded
	}
	return a + b
}

func mulWidth(a, n int) int {
	if a == unbounded {
		return unbounded
	}
	return min(a*n, unbounded)
}

// maxWidth is the most characters re can match.
func maxWidth(re *syntax.Regexp) int {
	switch re.Op {
	case syntax.OpLiteral:
		return len(re.Rune)
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return 1
	case syntax.OpCapture, syntax.OpQuest:
		return maxWidth(re.Sub[0])
	case syntax.OpStar, syntax.OpPlus:
		if maxWidth(re.Sub[0]) == 0 {
			return 0
		}
		return unbounded
	case syntax.OpRepeat:
		if re.Max < 0 {
			if maxWidth(re.Sub[0]) == 0 {
				return 0
			}
			return unbounded
		}
		return mulWidth(maxWidth(re.Sub[0]), re.Max)
	case syntax.OpConcat:
		return widthOf(re.Sub, maxWidth)
	case syntax.OpAlternate:
		n := 0
		for _, s := range re.Sub {
			n = max(n, maxWidth(s))
		}
		return n
	}
	return 0 // empty matches and assertions
}

// minWidth is the fewest characters re can match.
func minWidth(re *syntax.Regexp) int {
	switch re.Op {
	case syntax.OpLiteral:
		return len(re.Rune)
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return 1
	case syntax.OpCapture, syntax.OpPlus:
		return minWidth(re.Sub[0])
	case syntax.OpRepeat:
		return mulWidth(minWidth(re.Sub[0]), re.Min)
	case syntax.OpConcat:
		return widthOf(re.Sub, minWidth)
	case syntax.OpAlternate:
		n := unbounded
		for _, s := range re.Sub {
			n = min(n, minWidth(s))
		}
		return n
	}
	return 0
}

// alphabetOf is every byte a match of re can contain.
func alphabetOf(re *syntax.Regexp) byteSet {
	var s byteSet
	var walk func(*syntax.Regexp)
	walk = func(re *syntax.Regexp) {
		switch re.Op {
		case syntax.OpLiteral:
			for _, r := range re.Rune {
				s.addRune(r)
				if re.Flags&syntax.FoldCase != 0 {
					for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
						s.addRune(f)
					}
				}
			}
		case syntax.OpCharClass:
			for i := 0; i+1 < len(re.Rune); i += 2 {
				s.addRange(re.Rune[i], re.Rune[i+1])
			}
		case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
			s = byteSet{math.MaxUint64, math.MaxUint64, math.MaxUint64, math.MaxUint64}
		}
		for _, sub := range re.Sub {
			walk(sub)
		}
	}
	walk(re)
	return s
}

// firstOf is the set of bytes a match of re can begin with; end reports
// that re can also match nothing, but only at the end of the text. ok is
// false when re can match nothing elsewhere, or is too intricate to tell.
func firstOf(re *syntax.Regexp) (first byteSet, end, ok bool) {
	switch re.Op {
	case syntax.OpLiteral:
		r := re.Rune[0]
		first.addRune(r)
		if re.Flags&syntax.FoldCase != 0 {
			for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
				first.addRune(f)
			}
		}
		return first, false, true
	case syntax.OpCharClass:
		return alphabetOf(re), false, true
	case syntax.OpEndText:
		return first, true, true
	case syntax.OpCapture:
		return firstOf(re.Sub[0])
	case syntax.OpConcat:
		if minWidth(re.Sub[0]) == 0 {
			return first, false, false
		}
		return firstOf(re.Sub[0])
	case syntax.OpAlternate:
		for _, s := range re.Sub {
			f, e, ok := firstOf(s)
			if !ok {
				return first, false, false
			}
			first.union(f)
			end = end || e
		}
		return first, end, true
	}
	return first, false, false
}

// maxLanguage bounds the strings finiteLanguage enumerates.
const maxLanguage = 256

// mustContain reports whether every match of re contains one of the
// keywords (lowercase), as gitleaks' keywords are meant to be.
func mustContain(re *syntax.Regexp, keywords []string) bool {
	if lang, ok := finiteLanguage(re); ok {
		return allContain(lang, keywords)
	}
	switch re.Op {
	case syntax.OpCapture, syntax.OpPlus:
		return mustContain(re.Sub[0], keywords)
	case syntax.OpRepeat:
		return re.Min > 0 && mustContain(re.Sub[0], keywords)
	case syntax.OpAlternate:
		for _, s := range re.Sub {
			if !mustContain(s, keywords) {
				return false
			}
		}
		return true
	case syntax.OpConcat:
		// One part, or a stretch of parts with few strings between them
		// ("A" then "KIA|SIA|BIA|CCA"), must hold a keyword.
		for i := range re.Sub {
			if mustContain(re.Sub[i], keywords) {
				return true
			}
			lang := []string{""}
			for j := i; j < len(re.Sub); j++ {
				l, ok := finiteLanguage(re.Sub[j])
				if !ok {
					// The stretch ends here, but this part's matches still
					// begin in few ways ("3T" of "3T[0-9A-Z]").
					l = prefixes(re.Sub[j])
				}
				if len(lang)*len(l) > maxLanguage {
					break
				}
				lang = product(lang, l)
				if allContain(lang, keywords) {
					return true
				}
				if !ok {
					break
				}
			}
		}
	}
	return false
}

func allContain(lang, keywords []string) bool {
	for _, s := range lang {
		found := false
		for _, k := range keywords {
			if strings.Contains(s, k) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func product(a, b []string) []string {
	out := make([]string, 0, len(a)*len(b))
	for _, x := range a {
		for _, y := range b {
			out = append(out, x+y)
		}
	}
	return out
}

// prefixes lists, lowercased, strings one of which begins every match of
// re; at worst the empty string.
func prefixes(re *syntax.Regexp) []string {
	if l, ok := finiteLanguage(re); ok {
		return l
	}
	switch re.Op {
	case syntax.OpCapture, syntax.OpPlus:
		return prefixes(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min > 0 {
			return prefixes(re.Sub[0])
		}
	case syntax.OpConcat:
		lang := []string{""}
		for _, sub := range re.Sub {
			l, ok := finiteLanguage(sub)
			if !ok {
				l = prefixes(sub)
			}
			if len(lang)*len(l) > maxLanguage {
				return lang
			}
			lang = product(lang, l)
			if !ok {
				return lang
			}
		}
		return lang
	case syntax.OpAlternate:
		var out []string
		for _, sub := range re.Sub {
			out = append(out, prefixes(sub)...)
		}
		if len(out) <= maxLanguage {
			return out
		}
	}
	return []string{""}
}

// finiteLanguage lists, lowercased, every string re matches, if they are
// few.
func finiteLanguage(re *syntax.Regexp) ([]string, bool) {
	switch re.Op {
	case syntax.OpEmptyMatch, syntax.OpWordBoundary, syntax.OpNoWordBoundary,
		syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText:
		return []string{""}, true
	case syntax.OpLiteral:
		return []string{strings.ToLower(string(re.Rune))}, true
	case syntax.OpCharClass:
		var out []string
		seen := map[string]bool{}
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if re.Rune[i+1]-re.Rune[i] > 8 {
				return nil, false
			}
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				s := strings.ToLower(string(r))
				if !seen[s] {
					seen[s] = true
					out = append(out, s)
				}
			}
		}
		return out, len(out) <= 8
	case syntax.OpCapture:
		return finiteLanguage(re.Sub[0])
	case syntax.OpQuest:
		l, ok := finiteLanguage(re.Sub[0])
		return append([]string{""}, l...), ok
	case syntax.OpRepeat:
		if re.Max < 0 || re.Max > 4 {
			return nil, false
		}
		l, ok := finiteLanguage(re.Sub[0])
		if !ok {
			return nil, false
		}
		var out []string
		cur := []string{""}
		for n := 0; n <= re.Max; n++ {
			if n >= re.Min {
				out = append(out, cur...)
			}
			if len(cur)*len(l) > maxLanguage {
				return nil, false
			}
			cur = product(cur, l)
		}
		return out, len(out) <= maxLanguage
	case syntax.OpConcat:
		out := []string{""}
		for _, s := range re.Sub {
			l, ok := finiteLanguage(s)
			if !ok || len(out)*len(l) > maxLanguage {
				return nil, false
			}
			out = product(out, l)
		}
		return out, true
	case syntax.OpAlternate:
		var out []string
		for _, s := range re.Sub {
			l, ok := finiteLanguage(s)
			if !ok {
				return nil, false
			}
			out = append(out, l...)
		}
		return out, len(out) <= maxLanguage
	}
	return nil, false
}

// maxRun bounds how far window walks a run of secret bytes. No secret is
// this long; a longer run (1 MB of "eyeyey...") would make every keyword
// hit in it walk the whole run. Past it, window gives up (errRunTooLong)
// and the caller runs the rule over the whole text once, which Go's
// regular expressions do in linear time.
const maxRun = 8 << 10

// window returns the stretch of text a match could occupy given a keyword
// at [k, k+klen), or ok false when no match can use that keyword. long
// reports a run of secret bytes longer than maxRun: the plan's shortcut
// does not pay there.
func (p *secretPlan) window(text string, k, klen int) (start, end int, ok, long bool) {
	if p.inSecret {
		// The run of secret bytes around the keyword.
		rs, re := k, k
		for rs > 0 && p.alphabet.has(text[rs-1]) {
			if rs--; k-rs > maxRun {
				return 0, 0, false, true
			}
		}
		for re < len(text) && p.alphabet.has(text[re]) {
			if re++; re-k > maxRun {
				return 0, 0, false, true
			}
		}
		if re-rs < p.minSecret || re-k < klen || !p.followed(text, re) {
			return 0, 0, false, false
		}
		start, end = p.extend(text, rs, p.before, &p.beforeAlphabet, re)
		return start, end, true, false
	}
	// The keyword is before the secret: the lead, then the operator, then
	// the trail, then a run of secret bytes long enough.
	end = -1
	chars := klen // characters from k to o (keywords are ASCII)
	for o := k + klen; o <= len(text) && chars <= p.leadWidth; o++ {
		if o > k+klen && utf8.RuneStart(text[o-1]) {
			chars++
			if chars > p.leadWidth {
				break
			}
		}
		if p.opWidth == 0 {
			// Nothing must stand between the keyword and the secret.
			e := p.secretRun(text, o)
			if e == runTooLong {
				return 0, 0, false, true
			}
			if e >= 0 {
				end = max(end, e)
			}
		} else if o < len(text) && p.op.has(text[o]) {
			ops := forwardChars(text, o, p.opWidth)
			for t := o + 1; t <= ops && t <= len(text); t++ {
				if !p.op.has(text[t-1]) {
					break
				}
				trail := forwardChars(text, t, p.trailWidth)
				for v := t; v <= trail && v <= len(text); v++ {
					if v > t && !p.trail.has(text[v-1]) {
						break
					}
					e := p.secretRun(text, v)
					if e == runTooLong {
						return 0, 0, false, true
					}
					if e >= 0 {
						end = max(end, e)
					}
				}
			}
		}
		if o == len(text) || !p.lead.has(text[o]) {
			break
		}
	}
	if end < 0 {
		return 0, 0, false, false
	}
	start, end = p.extend(text, k, p.toKeyword, &p.keyAlphabet, end)
	return start, end, true, false
}

// runTooLong is secretRun's answer for a run longer than maxRun.
const runTooLong = -2

// secretRun returns the end of a run of secret bytes at v long enough for
// the secret and followed as it must be, or -1 (or runTooLong).
func (p *secretPlan) secretRun(text string, v int) int {
	e := v
	for e < len(text) && p.alphabet.has(text[e]) {
		if e++; e-v > maxRun {
			return runTooLong
		}
	}
	if e-v < p.minSecret || !p.followed(text, e) {
		return -1
	}
	return e
}

// extend widens [start, end) by the parts a match can have around it:
// back at most back characters over bytes of before, on at most p.after
// characters over bytes of the parts after the secret, and one character
// more each way, so that a match cut short by the window shows by
// touching its edge.
func (p *secretPlan) extend(text string, start, back int, before *byteSet, end int) (int, int) {
	for ; back > 0 && start > 0 && before.has(text[start-1]); back-- {
		start = backChars(text, start, 1)
	}
	for n := p.after; n > 0 && end < len(text) && p.afterAlphabet.has(text[end]); n-- {
		end = forwardChars(text, end, 1)
	}
	return backChars(text, start, 1), forwardChars(text, end, 1)
}

// followed reports whether what follows a run of secret bytes ending at i
// can follow the secret.
func (p *secretPlan) followed(text string, i int) bool {
	if !p.followKnown {
		return true
	}
	if i == len(text) {
		return p.followEnd
	}
	return p.follow.has(text[i])
}

// backChars moves n characters back from i (at most to 0).
func backChars(text string, i, n int) int {
	for ; n > 0 && i > 0; n-- {
		i--
		for i > 0 && !utf8.RuneStart(text[i]) {
			i--
		}
	}
	return i
}

// forwardChars moves n characters on from i (at most to the end).
func forwardChars(text string, i, n int) int {
	for ; n > 0 && i < len(text); n-- {
		i++
		for i < len(text) && !utf8.RuneStart(text[i]) {
			i++
		}
	}
	return i
}
