package injection

import (
	"bytes"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// rule is one text signal, written the way gitleaks writes a secret rule: an
// id, a weight, the keywords a match must start with, a pattern, and the
// examples that prove it. The engine in this file is generic; the knowledge
// is in the tables (rules_*.go).
type rule struct {
	id    string
	score float64
	// keywords are folded words (see fold) at which a match may begin. A
	// keyword that starts with a letter or digit only counts at the start of
	// a word, and one that ends with a letter or digit only as a whole word,
	// unless it ends in "*" ("send*" also starts "sends"). The pattern is
	// tried only where a keyword occurs.
	keywords []string
	// pattern is a regular expression over the folded text, anchored where
	// the keyword starts. A space in it (outside a character class) is one
	// whitespace character, which is all folding leaves between words; " ?"
	// is optional whitespace. "{kw}" stands for the word the keyword starts
	// (the keyword set has already checked it), which keeps the compiled
	// program small enough for the regexp backtracker.
	pattern string
	// spaced makes every space in the rule's patterns optional, so
	// "ignore all" also matches "ignoreall", which is what letter-spaced
	// evasions ("i g n o r e a l l") fold to. It doubles the cost of a
	// match attempt, so only the phrasings attackers bother to space out
	// use it.
	spaced bool
	// then, when set, must match right where pattern's match ends, within
	// the same window. Splitting a long pattern this way keeps each compiled
	// program small, and the second half only runs after the first matched.
	then string
	// more are further phrasings of the same signal, each with its own
	// keywords: one small pattern per phrasing keeps every compiled program
	// small enough for the backtracker, and routes each keyword only to the
	// phrasings that can start with it.
	more []form
	// maxLen bounds how far past the keyword a match may reach; 0 means
	// defaultMaxLen. It is what keeps every attempt cheap.
	maxLen int
	// need, when set, lists folded words one of which must start inside the
	// window (with the same word-start rule as keywords) before the pattern
	// is tried. Need words are found by the same single pass as keywords, so
	// the check is a binary search; it spares the regexp engine most keyword
	// hits in ordinary text.
	need []string
	// refine, when set, sees the match and returns its weight: the rule's
	// score adjusted for context, or 0 to reject the match.
	refine func(m *match) float64
	// literal rules (special tokens, delimiters) are not discounted when
	// quoted or described: a quoted "<|im_start|>" still reaches the model.
	literal bool
	// tp must produce this signal; fp must not.
	tp, fp []string

	needGroup int // index of need in the rule set's need groups, or -1
}

// form is one phrasing of a rule: the keywords it starts with and its
// pattern, written as for rule.pattern.
type form struct {
	keywords []string
	pattern  string
	then     string   // as rule.then, for this phrasing
	need     []string // as rule.need, for this phrasing, on top of the rule's
}

// compiledForm is a form ready to run, pointing back at its rule.
type compiledForm struct {
	rule      int
	index     int // 0 for the rule's own pattern, 1... for more
	re, then  *regexp.Regexp
	needGroup int // as rule.needGroup, for form.need
}

// defaultMaxLen keeps windows short: the regexp engine's backtracker, the
// fast one, only runs when pattern size times window length is small.
const defaultMaxLen = 120

// formMaxLen is the window of the first half of a rule that has a then
// pattern.
const formMaxLen = 96

// match is a rule match in the folded text, handed to refine.
type match struct {
	b          []byte // the whole folded text
	start, end int    // the match, in b
	sub        []int  // submatch indices, in b
	re         *regexp.Regexp
	thenSub    []int // the same for the rule's then pattern, if any
	thenRe     *regexp.Regexp
	form       int     // which phrasing matched: 0 for pattern, i for more[i-1]
	orig       string  // the original text
	off        []int32 // folded offset → original offset
}

// original is the matched span of the original text, for the rare rule
// that needs the case folding removed.
func (m *match) original() string {
	return m.orig[m.off[m.start]:origEnd(m.orig, m.off[m.end-1])]
}

// text is the matched folded text.
func (m *match) text() string { return string(m.b[m.start:m.end]) }

// group is the text of the named submatch, or "".
func (m *match) group(name string) string {
	re, sub := m.re, m.sub
	i := re.SubexpIndex(name)
	if i < 0 && m.thenRe != nil {
		re, sub = m.thenRe, m.thenSub
		i = re.SubexpIndex(name)
	}
	if i < 0 || sub[2*i] < 0 {
		return ""
	}
	return string(m.b[sub[2*i]:sub[2*i+1]])
}

// before is up to n folded bytes preceding the match.
func (m *match) before(n int) []byte { return m.b[max(0, m.start-n):m.start] }

// after is up to n folded bytes following the match.
func (m *match) after(n int) []byte { return m.b[m.end:min(len(m.b), m.end+n)] }

// near reports whether any of words occurs within n bytes either side of the
// match.
func (m *match) near(n int, words ...string) bool {
	return containsAny(m.before(n), words) || containsAny(m.after(n), words) || containsAny(m.b[m.start:m.end], words)
}

// sentence is the folded text from the start of the match's sentence (at
// most 120 bytes back) to the match.
func (m *match) sentence() []byte {
	s := m.before(120)
	if i := bytes.LastIndexAny(s, ".!?\n;"); i >= 0 {
		s = s[i+1:]
	}
	return s
}

// negated reports a negation or warning just before the match ("never run
// rm -rf /", "do not ignore previous instructions"), which is how
// documentation talks about dangerous things.
func (m *match) negated() bool {
	return containsAny(m.sentence(), negations)
}

var negations = []string{"never ", "don't ", "do not ", "dont ", "avoid ", "not ", "careful", "warning", "beware", "dangerous", "won't ", "cannot ", "can't ", "should not ", "shouldn't "}

// aiWords name the reader an injection is written for.
var aiWords = []string{" ai ", " ai,", " ai:", "ai agent", "ai assistant", "llm", "language model", "chatgpt", "gpt", "claude", "gemini", "copilot", "openai", "anthropic", "assistant", "chatbot", "the model", "your model"}

func containsAny(b []byte, words []string) bool {
	for _, w := range words {
		if bytes.Contains(b, []byte(w)) {
			return true
		}
	}
	return false
}

// describedCues before a match mark prose about injection rather than
// injection itself: security articles, research, detector documentation.
// Words an attack could use in passing ("malicious", "filter", "detect")
// are left out, since each cue is a way to switch the discount on.
var describedCues = []string{
	"for example", "for instance", "e.g.", "such as", "example of", "examples", "an example",
	"attacker", "adversar", "prompt injection", "injection attack", "jailbreak prompt",
	"known as", "phrases like", "phrase like", "strings like", "string like", "text like", "prompts like",
	"commands like", "instructions like", "sentences like", "messages like", "lines like",
	"researchers", "research", "technique", "payload", "exploit", "classic", "red team", "red-team",
	"might say", "may say", "could say", "might contain", "may contain", "could contain", "might read",
	"classifier", "the phrase", "the string",
	// Test suites and corpora of detectors hold payloads as data.
	"tests = [", "test_", "_test", "testcase", "test case", "fixture", "corpus", "dataset", "samples = [", "examples = [", "payloads = [",
}

// addressedCues before a match mean the text is talking to the model, which
// cancels the descriptive discount: a jailbreak that says "known as DAN"
// still says "you are about to" first.
var addressedCues = []string{
	"you are going to", "you're going to", "you are about to", "you will ", "you must", "your task", "your goal",
	"from now on", "hello chatgpt", "hi chatgpt", "hey chatgpt", "dear ai", "you have to", "you need to",
}

// describedAfter are cues that follow a quoted payload in descriptive prose.
var describedAfter = []string{
	"is a classic", "is a common", "is an example", "is a well-known", "is a known", "are common",
	"are examples", "are classic", "style attack", "attacks", "jailbreak technique", "injection payload",
	"were used", "was used", "is used by attackers", "technique",
	"assert", "expect(", "want:", "want =", "should be flagged", "should be blocked", "should be detected",
}

// framing discounts a match that is quoted or described rather than
// addressed to the reader. Descriptions are cheap to fake, so the discount
// caps a lone signal at "suspicious" rather than erasing it, and described
// signals do not corroborate each other (see combine).
func framing(m *match) (factor float64, described bool) {
	described = (containsAny(m.before(160), describedCues) || containsAny(m.after(80), describedAfter)) &&
		!containsAny(m.before(240), addressedCues)
	quoted := false
	pre := m.before(4)
	for i := len(pre) - 1; i >= 0; i-- {
		c := pre[i]
		if c == ' ' || c == '(' || c == ':' {
			continue
		}
		quoted = c == '"' || c == '\'' || c == '`'
		break
	}
	switch {
	case described && quoted:
		return 0.4, true
	case described:
		return 0.55, true
	case quoted:
		return 0.85, false
	}
	return 1, false
}

// compileRules prepares a rule table at package initialisation and builds
// the keyword trie that routes keyword hits to rules and need words to
// need groups.
func compileRules(rs []rule) *ruleSet {
	set := &ruleSet{rules: rs}
	var words []string
	index := map[string]int{}
	var word func(string) int
	needGroup := func(need []string) int {
		if len(need) == 0 {
			return -1
		}
		g := set.groups
		for _, w := range need {
			j := word(w)
			set.needOf[j] = append(set.needOf[j], uint16(g))
		}
		set.groups++
		return g
	}
	word = func(w string) int {
		w = foldKeyword(w)
		j, ok := index[w]
		if !ok {
			j = len(words)
			index[w] = j
			words = append(words, w)
			set.routes = append(set.routes, nil)
			set.prefixRoutes = append(set.prefixRoutes, nil)
			set.needOf = append(set.needOf, nil)
		}
		return j
	}
	for i := range rs {
		r := &rs[i]
		r.needGroup = needGroup(r.need)
		if r.maxLen == 0 {
			r.maxLen = defaultMaxLen
		}
		for k, fm := range append([]form{{keywords: r.keywords, pattern: r.pattern, then: r.then}}, r.more...) {
			if fm.pattern == "" {
				continue // a rule may keep all its phrasings in more
			}
			fi := uint16(len(set.forms))
			cf := compiledForm{rule: i, index: k, re: compilePattern(fm.pattern, r.spaced), needGroup: needGroup(fm.need)}
			if fm.then != "" {
				cf.then = compilePattern(fm.then, r.spaced)
			}
			set.forms = append(set.forms, cf)
			for _, kw := range fm.keywords {
				if w, ok := strings.CutSuffix(kw, "*"); ok {
					j := word(w)
					set.prefixRoutes[j] = append(set.prefixRoutes[j], fi)
					continue
				}
				j := word(kw)
				set.routes[j] = append(set.routes[j], fi)
			}
		}
	}
	set.kw = newKeywordSet(words)
	return set
}

// compilePattern compiles a rule pattern anchored at the window start.
func compilePattern(p string, spaced bool) *regexp.Regexp {
	return regexp.MustCompile(`^(?:` + expandPattern(foldPattern(p), spaced) + `)`)
}

// expandPattern turns each space outside a character class into one
// whitespace character, or optional whitespace when spaced (or written
// " ?").
func expandPattern(p string, spaced bool) string {
	p = strings.ReplaceAll(p, "{kw}", `[a-z0-9'_-]+\b`)
	var sb strings.Builder
	class := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\\' && i+1 < len(p):
			sb.WriteByte(c)
			i++
			sb.WriteByte(p[i])
			continue
		case c == '[' && !class:
			class = true
		case c == ']' && class:
			class = false
		case c == ' ' && !class:
			switch {
			case i+1 < len(p) && p[i+1] == '?':
				sb.WriteString(`\s?`)
				i++ // "\s??" would make it lazy
			case spaced:
				sb.WriteString(`\s?`)
			default:
				sb.WriteString(`\s`)
			}
			continue
		}
		sb.WriteByte(c)
	}
	return sb.String()
}

// foldPattern folds the non-ASCII letters of a pattern the way fold folds
// text, so patterns for other scripts can be written naturally; ASCII is
// left alone because it carries the regexp syntax.
func foldPattern(p string) string {
	if isASCII(p) {
		return p
	}
	var f folded
	var sb strings.Builder
	for _, r := range p {
		if r < utf8.RuneSelf {
			sb.WriteRune(r)
			continue
		}
		fold(&f, string(r))
		sb.Write(f.b)
	}
	return sb.String()
}

// foldKeyword folds a keyword exactly as the text it must be found in.
func foldKeyword(kw string) string {
	var f folded
	fold(&f, kw)
	return string(f.b)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// matchRules runs the rule table over a folded text and appends what it
// finds. Each rule reports its strongest match once; the search for a rule
// stops at its first match that is not discounted by framing.
func matchRules(f *folded, text string, sc *scratch, fs []found) []found {
	rs := textRules
	sc.hits = rs.kw.find(f.b, sc.hits[:0])
	if len(sc.hits) == 0 {
		return fs
	}
	if cap(sc.best) < len(rs.rules) {
		sc.best = make([]int, len(rs.rules))
	}
	best := sc.best[:len(rs.rules)]
	for i := range best {
		best[i] = -1
	}
	if cap(sc.skip) < len(rs.forms) {
		sc.skip = make([]int32, len(rs.forms))
	}
	sc.skip = sc.skip[:len(rs.forms)]
	clear(sc.skip)
	// First where the need words are, then the rules.
	if len(sc.needPos) < rs.groups {
		sc.needPos = make([][]int32, rs.groups)
	}
	needPos := sc.needPos[:rs.groups]
	for g := range needPos {
		needPos[g] = needPos[g][:0]
	}
	for _, h := range sc.hits {
		for _, g := range rs.needOf[h.kw] {
			needPos[g] = append(needPos[g], h.pos)
		}
	}
	for _, h := range sc.hits {
		routes := rs.prefixRoutes[h.kw]
		if h.whole {
			routes = append(sc.routes[:0], rs.routes[h.kw]...)
			routes = append(routes, rs.prefixRoutes[h.kw]...)
			sc.routes = routes
		}
		for _, fi := range routes {
			if h.pos < sc.skip[fi] {
				continue
			}
			fm := &rs.forms[fi]
			ri := fm.rule
			if b := best[ri]; b >= 0 && !fs[b].described && fs[b].Score >= rs.rules[ri].score {
				continue
			}
			r := &rs.rules[ri]
			start := int(h.pos)
			win := f.b[start:min(len(f.b), start+r.maxLen)]
			if r.needGroup >= 0 && !anyIn(needPos[r.needGroup], h.pos, int32(start+len(win))) ||
				fm.needGroup >= 0 && !anyIn(needPos[fm.needGroup], h.pos, int32(start+len(win))) {
				continue
			}
			fwin := win
			if fm.then != nil && len(fwin) > formMaxLen {
				fwin = fwin[:formMaxLen] // the first half is short; then gets the rest
			}
			// Match is twice as fast as FindSubmatchIndex and nearly every
			// attempt fails, so it goes first.
			if !fm.re.Match(fwin) {
				continue
			}
			loc := fm.re.FindSubmatchIndex(fwin)
			for i := range loc {
				if loc[i] >= 0 {
					loc[i] += start
				}
			}
			m := match{b: f.b, start: start, end: loc[1], sub: loc, re: fm.re, form: fm.index, orig: text, off: f.off}
			if fm.then != nil {
				tl := fm.then.FindSubmatchIndex(f.b[m.end : start+len(win)])
				if tl == nil {
					continue
				}
				for i := range tl {
					if tl[i] >= 0 {
						tl[i] += m.end
					}
				}
				m.end, m.thenSub, m.thenRe = tl[1], tl, fm.then
			}
			if m.end <= m.start {
				continue
			}
			score := r.score
			if r.refine != nil {
				score = r.refine(&m)
			}
			if score <= 0 {
				// A rejected match is rejected for every keyword inside it
				// too; skipping them keeps repetitive input linear.
				sc.skip[fi] = int32(m.end)
				continue
			}
			described := false
			if !r.literal {
				var factor float64
				factor, described = framing(&m)
				score *= factor
			}
			s := found{
				Signal:    Signal{ID: r.id, Score: score, Start: int(f.off[m.start]), End: origEnd(text, f.off[m.end-1])},
				described: described,
			}
			if b := best[ri]; b >= 0 {
				if score > fs[b].Score || (fs[b].described && !described) {
					fs[b] = s
				}
				continue
			}
			best[ri] = len(fs)
			fs = append(fs, s)
		}
	}
	return fs
}

// anyIn reports whether the sorted positions hold one in [lo, hi).
func anyIn(pos []int32, lo, hi int32) bool {
	i, _ := slices.BinarySearch(pos, lo)
	return i < len(pos) && pos[i] < hi
}

// origEnd is the end of the original character that starts at off.
func origEnd(text string, off int32) int {
	_, size := utf8.DecodeRuneInString(text[off:])
	return int(off) + size
}

// ruleSet is the compiled rule table with its keyword router.
type ruleSet struct {
	rules        []rule
	kw           *keywordSet
	forms        []compiledForm
	routes       [][]uint16 // word id → forms whose match may start at it as a whole word
	prefixRoutes [][]uint16 // word id → forms whose match may start at it as a word prefix
	needOf       [][]uint16 // word id → need groups it belongs to
	groups       int        // number of need groups
}

// textRules is every text rule, compiled once and only read afterwards.
var textRules = newRuleSet(overrideRules, jailbreakRules, exfilRules, toolRules)

func newRuleSet(tables ...[]rule) *ruleSet {
	return compileRules(slices.Concat(tables...))
}
