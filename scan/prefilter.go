package scan

import (
	"regexp/syntax"
	"slices"
	"strings"
	"unicode/utf8"
)

// Most lines of a skill are prose or ordinary code that no rule is about,
// and running every rule's regular expression on each of them is what made
// the scanner read ~140 KB/s. A prefilter is what a line must hold before
// the expression is worth running: at least one of a few literal strings
// (lower-cased; "curl", "wget", "| sh"…) and at least a minimum length. It
// is derived from the expression's syntax tree, never written by hand, so
// it cannot drift from the rule: whatever the expression matches contains
// one of the literals (the argument of Russ Cox's trigram index, with
// whole literals instead of trigrams).

// maxExact bounds the strings tracked for a sub-expression that matches a
// finite set (curl|wget, -[ce]): past it, the set is reduced to what every
// match must contain.
const maxExact = 64

// prefilter is what a line must hold for an expression to match it.
type prefilter struct {
	// any lists literals (ASCII-lower-cased) one of which every match
	// contains; nil when the expression requires none.
	any []string
	// pairs holds each literal's byte pairs, tested against the line's
	// (a bit each) before the literal is searched for: most literals are
	// ruled out by one bit test.
	pairs [][]uint16
	// minLen is the fewest bytes a match can have.
	minLen int
}

// admits reports whether the expression may match a line. lower is the
// line with ASCII letters lower-cased (asciiLower) and seen its byte
// pairs, or nil to search for every literal.
func (p prefilter) admits(lower string, seen *pairSet) bool {
	if len(lower) < p.minLen {
		return false
	}
	if p.any == nil {
		return true
	}
next:
	for i, lit := range p.any {
		if seen != nil {
			for _, k := range p.pairs[i] {
				if !seen.has(k) {
					continue next
				}
			}
		}
		if strings.Contains(lower, lit) {
			return true
		}
	}
	return false
}

// pairSet is the set of adjacent byte pairs of one line, a bit each.
type pairSet [1 << 16 / 64]uint64

func pair(a, b byte) uint16 { return uint16(a)<<8 | uint16(b) }

func (s *pairSet) has(k uint16) bool { return s[k>>6]&(1<<(k&63)) != 0 }

// add records the pairs of line.
func (s *pairSet) add(line string) {
	for i := 1; i < len(line); i++ {
		k := pair(line[i-1], line[i])
		s[k>>6] |= 1 << (k & 63)
	}
}

// remove forgets the pairs of line, so the set can serve the next one
// without clearing 8 KB.
func (s *pairSet) remove(line string) {
	for i := 1; i < len(line); i++ {
		k := pair(line[i-1], line[i])
		s[k>>6] = 0
	}
}

func pairsOf(lits []string) [][]uint16 {
	out := make([][]uint16, len(lits))
	for i, lit := range lits {
		for j := 1; j < len(lit); j++ {
			out[i] = append(out[i], pair(lit[j-1], lit[j]))
		}
	}
	return out
}

// newPrefilter derives the prefilter of a Go regular expression. An
// expression that does not parse gets the empty prefilter (it admits
// everything), which is always sound.
func newPrefilter(expr string) prefilter {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return prefilter{}
	}
	re = re.Simplify()
	any := needOf(analyse(re))
	return prefilter{any: any, pairs: pairsOf(any), minLen: minLen(re)}
}

// litInfo describes a sub-expression: either the finite set of strings it
// matches (exact, when ok), or the literals one of which each of its
// matches contains (need; nil for none).
type litInfo struct {
	ok    bool
	exact []string
	need  []string
}

func exactly(s ...string) litInfo { return litInfo{ok: true, exact: s} }

func analyse(re *syntax.Regexp) litInfo {
	switch re.Op {
	case syntax.OpNoMatch:
		return exactly()
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return exactly("")
	case syntax.OpLiteral:
		s := string(re.Rune)
		if re.Flags&syntax.FoldCase != 0 && !isASCII(s) {
			// (?i)é also matches É, which asciiLower leaves alone.
			return litInfo{}
		}
		return exactly(asciiLower(s))
	case syntax.OpCharClass:
		return charClass(re)
	case syntax.OpCapture:
		return analyse(re.Sub[0])
	case syntax.OpQuest:
		in := analyse(re.Sub[0])
		if !in.ok {
			return litInfo{}
		}
		return exactly(union(in.exact, []string{""})...)
	case syntax.OpPlus:
		return litInfo{need: needOf(analyse(re.Sub[0]))}
	case syntax.OpRepeat:
		if re.Min == 0 {
			return litInfo{}
		}
		return litInfo{need: needOf(analyse(re.Sub[0]))}
	case syntax.OpConcat:
		return concat(re.Sub)
	case syntax.OpAlternate:
		return alternate(re.Sub)
	}
	return litInfo{} // OpAnyChar, OpAnyCharNotNL, OpStar: nothing required
}

// charClass is exact for a small class ([ce], [Dd]), lower-cased.
func charClass(re *syntax.Regexp) litInfo {
	n := 0
	for i := 0; i < len(re.Rune); i += 2 {
		n += int(re.Rune[i+1]-re.Rune[i]) + 1
		if n > 16 {
			return litInfo{}
		}
	}
	var out []string
	for i := 0; i < len(re.Rune); i += 2 {
		for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
			s := string(r)
			if r < utf8.RuneSelf {
				s = asciiLower(s)
			}
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return exactly(out...)
}

// concat joins neighbouring exact sets by their cross product while it
// stays small; otherwise each run is a candidate requirement and the most
// selective one wins.
func concat(subs []*syntax.Regexp) litInfo {
	cur, all := []string{""}, true
	var candidates [][]string
	flush := func() {
		candidates = append(candidates, needOf(exactly(cur...)))
		cur = []string{""}
	}
	for _, sub := range subs {
		in := analyse(sub)
		switch {
		case in.ok && len(cur)*len(in.exact) <= maxExact:
			cur = cross(cur, in.exact)
		case in.ok:
			all = false
			flush()
			cur = in.exact
		default:
			all = false
			flush()
			candidates = append(candidates, in.need)
		}
	}
	if all {
		return exactly(cur...)
	}
	flush()
	return litInfo{need: best(candidates)}
}

func alternate(subs []*syntax.Regexp) litInfo {
	infos := make([]litInfo, len(subs))
	total, allExact := 0, true
	for i, sub := range subs {
		infos[i] = analyse(sub)
		total += len(infos[i].exact)
		allExact = allExact && infos[i].ok
	}
	var exact, need []string
	for _, in := range infos {
		if allExact && total <= maxExact {
			exact = union(exact, in.exact)
			continue
		}
		n := needOf(in)
		if n == nil {
			return litInfo{} // one branch requires nothing
		}
		need = union(need, n)
	}
	if allExact && total <= maxExact {
		return exactly(exact...)
	}
	return litInfo{need: prune(need)}
}

// needOf is what every match of a sub-expression contains: its exact set
// unless that includes the empty string.
func needOf(in litInfo) []string {
	if !in.ok {
		return in.need
	}
	if slices.Contains(in.exact, "") {
		return nil
	}
	return prune(append([]string{}, in.exact...))
}

// best picks the most selective requirement: the longest shortest
// literal, then the fewest literals.
func best(cands [][]string) []string {
	var out []string
	score := func(c []string) int {
		m := 1 << 30
		for _, s := range c {
			m = min(m, len(s))
		}
		return m
	}
	for _, c := range cands {
		if c == nil {
			continue
		}
		if out == nil || score(c) > score(out) || (score(c) == score(out) && len(c) < len(out)) {
			out = c
		}
	}
	return out
}

func cross(a, b []string) []string {
	out := make([]string, 0, len(a)*len(b))
	for _, x := range a {
		for _, y := range b {
			if s := x + y; !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}

func union(a, b []string) []string {
	out := append([]string{}, a...)
	for _, s := range b {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// prune drops a literal that contains another of the set: a line holding
// it holds the shorter one too, so the requirement is the same.
func prune(set []string) []string {
	if set == nil {
		return nil
	}
	set = union(nil, set)
	out := []string{}
	for i, s := range set {
		redundant := false
		for j, t := range set {
			if i != j && strings.Contains(s, t) {
				redundant = true
				break
			}
		}
		if !redundant {
			out = append(out, s)
		}
	}
	return out
}

// minLen is the fewest bytes a match of re can have (each rune counted as
// one byte: case folding can change a rune's length).
func minLen(re *syntax.Regexp) int {
	const big = 1 << 20
	switch re.Op {
	case syntax.OpLiteral:
		return len(re.Rune)
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return 1
	case syntax.OpCapture, syntax.OpPlus:
		return minLen(re.Sub[0])
	case syntax.OpRepeat:
		return min(big, re.Min*minLen(re.Sub[0]))
	case syntax.OpConcat:
		n := 0
		for _, sub := range re.Sub {
			n = min(big, n+minLen(sub))
		}
		return n
	case syntax.OpAlternate:
		n := big
		for _, sub := range re.Sub {
			n = min(n, minLen(sub))
		}
		return n
	}
	return 0 // empty-width, quest, star, no match
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// asciiLower lower-cases ASCII letters only, byte for byte, so a substring
// of a line is still a substring of the lowered line. fold has already
// turned the non-ASCII letters that (?i) equates with ASCII ones (the
// Kelvin sign, the long s) into ASCII.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
