package dlp

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/viper"
	"github.com/zricethezav/gitleaks/v8/config"
)

// secretRules runs gitleaks' default rule set (about 220 rules, each with
// keywords, a regular expression, an optional entropy floor and allowlists)
// over text. It reuses gitleaks' rules, not its detector: the detector
// reports lines and columns, logs per rule, and keeps every finding it has
// ever made; Warden needs byte offsets from a stateless, concurrent scan.
type secretRules struct {
	rules    []config.Rule
	plans    []secretPlan
	keywords *keywordIndex
	byWord   [][]int // keyword id → indexes of the rules that need it
	always   []int   // rules with no keywords
	global   []*config.Allowlist
	// globalBySecret is set when every global allowlist looks at the
	// secret alone.
	globalBySecret bool
}

// newSecretRules loads gitleaks' default configuration through a private
// viper instance, so that nothing global is touched, and plans each rule.
func newSecretRules() (*secretRules, error) {
	v := viper.New()
	v.SetConfigType("toml")
	if err := v.ReadConfig(strings.NewReader(config.DefaultConfig)); err != nil {
		return nil, fmt.Errorf("read gitleaks rules: %w", err)
	}
	var vc config.ViperConfig
	if err := v.Unmarshal(&vc); err != nil {
		return nil, fmt.Errorf("decode gitleaks rules: %w", err)
	}
	cfg, err := vc.Translate()
	if err != nil {
		return nil, fmt.Errorf("load gitleaks rules: %w", err)
	}
	s := &secretRules{global: cfg.Allowlists, globalBySecret: true}
	for _, a := range cfg.Allowlists {
		if a.RegexTarget != "" && a.RegexTarget != "secret" {
			s.globalBySecret = false
		}
	}
	ids := make([]string, 0, len(cfg.Rules))
	for id := range cfg.Rules {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	wordID := map[string]int{}
	var words []string
	for _, id := range ids {
		r := cfg.Rules[id]
		// Path rules are about file names; SkipReport rules only support
		// composite rules; neither says anything about a text on its own.
		if r.Regex == nil || r.Path != nil || r.SkipReport {
			continue
		}
		n := len(s.rules)
		s.rules = append(s.rules, r)
		s.plans = append(s.plans, planRule(r.Regex.String(), r.SecretGroup, r.Keywords))
		if len(r.Keywords) == 0 {
			s.always = append(s.always, n)
			continue
		}
		for _, k := range r.Keywords {
			k = strings.ToLower(k)
			w, ok := wordID[k]
			if !ok {
				w = len(words)
				wordID[k] = w
				words = append(words, k)
				s.byWord = append(s.byWord, nil)
			}
			if l := s.byWord[w]; len(l) == 0 || l[len(l)-1] != n {
				s.byWord[w] = append(l, n)
			}
		}
	}
	if s.keywords, err = newKeywordIndex(words); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *secretRules) recognizer() *recognizer {
	return &recognizer{
		typ: Secret, name: "gitleaks",
		find: plain(s.find),
		positives: []string{
			"Key: AKIAZ4TRWQ6PLM2KX7BN",
			"export GITHUB_TOKEN=ghp_Xq7bN2mK9vR4tY6wZ8aC1dE3fG5hJ0kL2pS4",
			`stripe.api_key = "sk_live_51HxQ2bK9mN3pR7tV1wY5zA8cE4gJ6"`,
			"slack xoxb-2493816357-4820751936208-QwErTyUiOpAsDfGhJkLzXcVb",
		},
		negatives: []string{
			"the AWS access key id goes in AWS_ACCESS_KEY_ID",
			"token = os.Getenv(\"TOKEN\")",
			"password: ${DB_PASSWORD}",
			"api_key = \"your-api-key-here\"",
		},
	}
}

// maxWindows bounds the windows one rule gets in one text; past it the
// rule runs over the whole text once.
const maxWindows = 256

// ruleWindow is a stretch of text where a rule could match.
type ruleWindow struct{ rule, start, end int }

// find runs each rule whose keyword occurs over the stretches its plan
// allows (see secretplan.go), in rule order, so the results are those of
// running every such rule over the whole text.
func (s *secretRules) find(text string, out []Entity) []Entity {
	var whole [4]uint64 // rules to run over the whole text, as bits
	var wins []ruleWindow
	hits := make([]int, len(s.rules)) // windows per rule
	s.keywords.find(text, func(at, w int) {
		klen := len(s.keywords.words[w])
		for _, r := range s.byWord[w] {
			p := &s.plans[r]
			if p.whole {
				whole[r>>6] |= 1 << (r & 63)
				continue
			}
			if whole[r>>6]&(1<<(r&63)) != 0 {
				return // already to be run over the whole text
			}
			ws, we, ok, long := p.window(text, at, klen)
			if long || hits[r] >= maxWindows {
				// A run longer than any secret, or so many hits that
				// windows would cost more than one pass: run the rule over
				// the whole text instead, in linear time.
				whole[r>>6] |= 1 << (r & 63)
				return
			}
			if ok {
				hits[r]++
				wins = append(wins, ruleWindow{r, ws, we})
			}
		}
	})
	for _, r := range s.always {
		whole[r>>6] |= 1 << (r & 63)
	}
	if len(wins) == 0 && whole == [4]uint64{} {
		return out
	}
	slices.SortFunc(wins, func(a, b ruleWindow) int {
		return cmp.Or(cmp.Compare(a.rule, b.rule), cmp.Compare(a.start, b.start))
	})
	sc := &secretScan{secretRules: s, text: text}
	for r := range s.rules {
		if whole[r>>6]&(1<<(r&63)) != 0 {
			out = sc.apply(r, out)
			for len(wins) > 0 && wins[0].rule == r {
				wins = wins[1:]
			}
			continue
		}
		n := len(out)
		for len(wins) > 0 && wins[0].rule == r {
			// Merge the windows that overlap or touch.
			ws, we := wins[0].start, wins[0].end
			wins = wins[1:]
			for len(wins) > 0 && wins[0].rule == r && wins[0].start <= we {
				we = max(we, wins[0].end)
				wins = wins[1:]
			}
			var edge bool
			if out, edge = sc.applyWindowOnce(r, ws, we, out); edge {
				// A match reached the edge of the window: the plan's bounds
				// do not hold for it, so run the rule as gitleaks would.
				for len(wins) > 0 && wins[0].rule == r {
					wins = wins[1:]
				}
				out = sc.apply(r, out[:n])
			}
		}
	}
	return out
}

// secretScan is one text being run through the rules. A text that repeats
// itself — a conversation resends its history with every turn — is
// searched once: it remembers what a rule found in a window, by the text
// of the lines the window is in (gitleaks' allowlists see the match and
// its line, nothing further), and the global allowlist's verdict on each
// secret.
type secretScan struct {
	*secretRules
	text    string
	windows map[windowKey]windowFound
	global  map[string]bool // secret → allowed by the global allowlist
	// The last line a match was in, and allowlists' verdicts on lines:
	// many matches on one long line (minified JSON) would otherwise each
	// search the line for its ends and run the line expressions over it.
	lineStart, lineEnd int
	lineOne            bool // the remembered span is one line
	lineVerdict        map[lineVerdictKey]bool
}

type lineVerdictKey struct {
	a          *config.Allowlist
	start, end int
}

// lineAround returns the line text[start:end] is in.
func (sc *secretScan) lineAround(start, end int) string {
	text := sc.text
	if sc.lineOne && start >= sc.lineStart && end <= sc.lineEnd {
		return text[sc.lineStart:sc.lineEnd]
	}
	ls := strings.LastIndexByte(text[:start], '\n') + 1
	le := len(text)
	if k := strings.IndexByte(text[end:], '\n'); k >= 0 {
		le = end + k
	}
	// Only a single line is reused: a match over several lines sees
	// them all, a later match on one of them only its own.
	sc.lineStart, sc.lineEnd, sc.lineOne = ls, le, strings.IndexByte(text[ls:le], '\n') < 0
	return text[ls:le]
}

// allowedBy is allowedBy with the verdicts of line expressions remembered
// for the current line.
func (sc *secretScan) allowedBy(lists []*config.Allowlist, secret, match, line string) bool {
	return allowedByWith(lists, secret, match, line, func(a *config.Allowlist) bool {
		k := lineVerdictKey{a, sc.lineStart, sc.lineEnd}
		if v, ok := sc.lineVerdict[k]; ok {
			return v
		}
		v := a.RegexAllowed(line)
		if sc.lineVerdict == nil {
			sc.lineVerdict = map[lineVerdictKey]bool{}
		}
		sc.lineVerdict[k] = v
		return v
	})
}

type windowKey struct {
	rule        int
	lines       string // the whole lines the window is in
	start, end  int    // the window, within them
	first, last bool   // the window begins, ends the text
}

type windowFound struct {
	found []Entity // offsets within the lines
	edge  bool
}

// maxMemoLines bounds the lines a window is remembered by: hashing a long
// minified line for every window in it would cost more than it saves.
const maxMemoLines = 4 << 10

// applyWindowOnce is applyWindow, remembered.
func (sc *secretScan) applyWindowOnce(r, ws, we int, out []Entity) ([]Entity, bool) {
	text := sc.text
	ls := strings.LastIndexByte(text[:ws], '\n') + 1
	le := len(text)
	if k := strings.IndexByte(text[we:], '\n'); k >= 0 {
		le = we + k
	}
	if le-ls > maxMemoLines {
		return sc.applyWindow(r, ws, we, out)
	}
	key := windowKey{r, text[ls:le], ws - ls, we - ls, ws == 0, we == len(text)}
	if f, ok := sc.windows[key]; ok {
		for _, e := range f.found {
			e.Start += ls
			e.End += ls
			out = append(out, e)
		}
		return out, f.edge
	}
	n := len(out)
	out, edge := sc.applyWindow(r, ws, we, out)
	f := windowFound{found: make([]Entity, len(out)-n), edge: edge}
	for i, e := range out[n:] {
		e.Start -= ls
		e.End -= ls
		f.found[i] = e
	}
	if sc.windows == nil {
		sc.windows = map[windowKey]windowFound{}
	}
	sc.windows[key] = f
	return out, edge
}

// applyWindow runs rule r over text[ws:we]. edge reports a match that
// touches an end of the window that is not an end of the text; the
// entities are then incomplete and the caller discards them.
func (sc *secretScan) applyWindow(r, ws, we int, out []Entity) (_ []Entity, edge bool) {
	for _, m := range sc.rules[r].Regex.FindAllStringSubmatchIndex(sc.text[ws:we], -1) {
		if m[0] == 0 && ws > 0 || m[1] == we-ws && we < len(sc.text) {
			return out, true
		}
		for i := range m {
			if m[i] >= 0 {
				m[i] += ws
			}
		}
		out = sc.report(&sc.rules[r], m, out)
	}
	return out, false
}

// apply runs rule r over the whole text, as gitleaks does.
func (sc *secretScan) apply(r int, out []Entity) []Entity {
	for _, m := range sc.rules[r].Regex.FindAllStringSubmatchIndex(sc.text, -1) {
		out = sc.report(&sc.rules[r], m, out)
	}
	return out
}

// report turns one match into an entity: the secret is the rule's
// SecretGroup, or else the first non-empty group, or else the whole match.
func (sc *secretScan) report(r *config.Rule, m []int, out []Entity) []Entity {
	text := sc.text
	ms, me := m[0], m[1]
	for me > ms && text[me-1] == '\n' {
		me--
	}
	ss, se := ms, me
	if g := r.SecretGroup; g > 0 && 2*g+1 < len(m) && m[2*g] >= 0 {
		ss, se = m[2*g], m[2*g+1]
	} else if g == 0 {
		for k := 2; k+1 < len(m); k += 2 {
			if m[k] >= 0 && m[k+1] > m[k] {
				ss, se = m[k], m[k+1]
				break
			}
		}
	}
	if se <= ss {
		return out
	}
	secret := text[ss:se]
	if r.Entropy > 0 && entropy(secret) <= r.Entropy {
		return out
	}
	line := sc.lineAround(ms, me)
	if sc.globallyAllowed(secret, text[ms:me], line) || sc.allowedBy(r.Allowlists, secret, text[ms:me], line) {
		return out
	}
	score := 0.9
	if strings.HasPrefix(r.RuleID, "generic") {
		score = 0.7
	}
	return append(out, Entity{Type: Secret, Start: ss, End: se, Score: score, Rule: "gitleaks:" + r.RuleID})
}

// globallyAllowed applies the global allowlist; when it looks at the
// secret alone, as gitleaks' default does, its verdict is remembered.
func (sc *secretScan) globallyAllowed(secret, match, line string) bool {
	if !sc.globalBySecret {
		return allowedBy(sc.secretRules.global, secret, match, line)
	}
	if v, ok := sc.global[secret]; ok {
		return v
	}
	v := allowedBy(sc.secretRules.global, secret, match, line)
	if sc.global == nil {
		sc.global = map[string]bool{}
	}
	sc.global[secret] = v
	return v
}

// allowedBy applies gitleaks allowlists the way its detector does for a
// text with no file path or commit: a list whose condition needs a path or
// commit never matches. Stop words are looked up before expressions are
// run: the same verdict, and the cheaper test first.
func allowedBy(lists []*config.Allowlist, secret, match, line string) bool {
	return allowedByWith(lists, secret, match, line, func(a *config.Allowlist) bool { return a.RegexAllowed(line) })
}

// allowedByWith is allowedBy with lineAllowed judging line expressions.
func allowedByWith(lists []*config.Allowlist, secret, match, line string, lineAllowed func(*config.Allowlist) bool) bool {
	regexAllowed := func(a *config.Allowlist) bool {
		switch a.RegexTarget {
		case "match":
			return a.RegexAllowed(match)
		case "line":
			return lineAllowed(a)
		}
		return a.RegexAllowed(secret)
	}
	for _, a := range lists {
		if a.MatchCondition == config.AllowlistMatchAnd {
			if len(a.Commits) > 0 || len(a.Paths) > 0 || len(a.Regexes) == 0 && len(a.StopWords) == 0 {
				continue
			}
			if len(a.StopWords) > 0 {
				if stop, _ := a.ContainsStopWord(secret); !stop {
					continue
				}
			}
			if len(a.Regexes) > 0 && !regexAllowed(a) {
				continue
			}
			return true
		}
		if stop, _ := a.ContainsStopWord(secret); stop || regexAllowed(a) {
			return true
		}
	}
	return false
}

// entropy is the Shannon entropy of s in bits per character, as gitleaks
// computes it for its entropy floors.
func entropy(s string) float64 {
	var counts [256]int
	n := 0
	other := map[rune]int{}
	for _, c := range s {
		if c < 256 {
			counts[c]++
		} else {
			other[c]++
		}
		n++
	}
	h := 0.0
	add := func(c int) {
		if c > 0 {
			p := float64(c) / float64(n)
			h -= p * math.Log2(p)
		}
	}
	for _, c := range counts {
		add(c)
	}
	for _, c := range other {
		add(c)
	}
	return h
}

// keywordIndex finds every occurrence of a set of lowercase keywords in a
// text, ASCII letters folded, in one pass and without a lowercased copy.
// Each byte has a class: a letter (case folded), digits, '_', '-', '.',
// another byte some keyword has, or none. A table of the triples of
// classes says whether a keyword can begin with one (a two-byte keyword
// with any third), so most positions cost a look-up and no branch taken;
// the rare candidates are checked against the keywords that begin with
// their triple.
type keywordIndex struct {
	words  []string
	class  [256]uint8           // byte → class, 0 if in no keyword
	starts [32 * 32 * 32]uint16 // class triple → 1 + index into lists, 0 if no keyword begins so
	lists  [][]keywordEntry     // the keywords that begin with a triple
}

type keywordEntry struct {
	word string
	id   int
}

func newKeywordIndex(words []string) (*keywordIndex, error) {
	k := &keywordIndex{words: words}
	for _, w := range words {
		if len(w) < 2 {
			return nil, fmt.Errorf("gitleaks keyword %q is shorter than two bytes", w)
		}
		for i := 0; i < len(w); i++ {
			switch c := w[i]; {
			case 'a' <= c && c <= 'z':
				k.class[c] = c - 'a' + 1
				k.class[c-'a'+'A'] = c - 'a' + 1
			case isDigit(c):
				k.class[c] = 27
			case c == '_':
				k.class[c] = 28
			case c == '-':
				k.class[c] = 29
			case c == '.':
				k.class[c] = 30
			default:
				k.class[c] = 31
			}
		}
	}
	for id, w := range words {
		p := int(k.class[w[0]])<<5 | int(k.class[w[1]])
		if len(w) == 2 {
			for c := range 32 {
				k.add(p<<5|c, id)
			}
		} else {
			k.add(p<<5|int(k.class[w[2]]), id)
		}
	}
	return k, nil
}

// add files keyword id under the class triple t.
func (k *keywordIndex) add(t, id int) {
	if k.starts[t] == 0 {
		k.lists = append(k.lists, nil)
		k.starts[t] = uint16(len(k.lists))
	}
	k.lists[k.starts[t]-1] = append(k.lists[k.starts[t]-1], keywordEntry{k.words[id], id})
}

// find calls fn with the offset and id of every occurrence of every
// keyword, overlapping ones included, in order of offset.
func (k *keywordIndex) find(text string, fn func(at, id int)) {
	if len(text) < 2 {
		return
	}
	// A keyword can begin at i-2 if the classes of text[i-2], text[i-1]
	// and text[i] are a triple one begins with. The classes are kept one
	// to a register, so that no step waits on the step before.
	c0, c1 := int(k.class[text[0]]), int(k.class[text[1]])
	for i := 2; i < len(text); i++ {
		c2 := int(k.class[text[i]])
		if l := k.starts[c0<<10|c1<<5|c2]; l != 0 {
			k.check(text, i-2, l, fn)
		}
		c0, c1 = c1, c2
	}
	// The last two bytes can still hold a two-byte keyword.
	if l := k.starts[c0<<10|c1<<5]; l != 0 {
		k.check(text, len(text)-2, l, fn)
	}
}

// check calls fn for the keywords of list l (plus one) that begin at
// text[at:].
func (k *keywordIndex) check(text string, at int, l uint16, fn func(at, id int)) {
	for _, e := range k.lists[l-1] {
		if hasLowerPrefix(text[at:], e.word) {
			fn(at, e.id)
		}
	}
}

// hasLowerPrefix reports whether s begins with the lowercase word w, ASCII
// letters of s folded.
func hasLowerPrefix(s, w string) bool {
	if len(s) < len(w) {
		return false
	}
	for i := 0; i < len(w); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != w[i] {
			return false
		}
	}
	return true
}
