package dlp

import (
	"fmt"
	"math"
	"sort"
	"strings"

	ahocorasick "github.com/BobuSumisu/aho-corasick"
	"github.com/spf13/viper"
	"github.com/zricethezav/gitleaks/v8/config"
)

// secretRules runs gitleaks' default rule set (about 220 rules, each with
// keywords, a regular expression, an optional entropy floor and allowlists)
// over text. It reuses gitleaks' rules, not its detector: the detector
// reports lines and columns, logs per rule, and keeps every finding it has
// ever made; Warden needs byte offsets from a stateless, concurrent scan.
type secretRules struct {
	rules     []config.Rule
	byKeyword map[string][]int // keyword → indexes of rules that need it
	always    []int            // rules with no keywords
	prefilter *ahocorasick.Trie
	global    []*config.Allowlist
}

// newSecretRules loads gitleaks' default configuration through a private
// viper instance, so that nothing global is touched.
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
	s := &secretRules{byKeyword: map[string][]int{}, global: cfg.Allowlists}
	ids := make([]string, 0, len(cfg.Rules))
	for id := range cfg.Rules {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var keywords []string
	for _, id := range ids {
		r := cfg.Rules[id]
		// Path rules are about file names; SkipReport rules only support
		// composite rules; neither says anything about a text on its own.
		if r.Regex == nil || r.Path != nil || r.SkipReport {
			continue
		}
		n := len(s.rules)
		s.rules = append(s.rules, r)
		if len(r.Keywords) == 0 {
			s.always = append(s.always, n)
			continue
		}
		for _, k := range r.Keywords {
			k = strings.ToLower(k)
			if _, ok := s.byKeyword[k]; !ok {
				keywords = append(keywords, k)
			}
			s.byKeyword[k] = append(s.byKeyword[k], n)
		}
	}
	s.prefilter = ahocorasick.NewTrieBuilder().AddStrings(keywords).Build()
	return s, nil
}

func (s *secretRules) recognizer() *recognizer {
	return &recognizer{
		typ: Secret, name: "gitleaks",
		find: s.find,
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

func (s *secretRules) find(text string, out []Entity) []Entity {
	lower := asciiLower(text)
	var run map[int]bool
	for _, m := range s.prefilter.MatchString(lower) {
		for _, r := range s.byKeyword[string(m.Match())] {
			if run == nil {
				run = map[int]bool{}
			}
			run[r] = true
		}
	}
	for _, r := range s.always {
		if run == nil {
			run = map[int]bool{}
		}
		run[r] = true
	}
	if len(run) == 0 {
		return out
	}
	idx := make([]int, 0, len(run))
	for r := range run {
		idx = append(idx, r)
	}
	sort.Ints(idx) // deterministic results whatever the map order
	for _, ri := range idx {
		out = s.apply(&s.rules[ri], text, out)
	}
	return out
}

// apply runs one rule: the secret is its SecretGroup, or else the first
// non-empty group, or else the whole match.
func (s *secretRules) apply(r *config.Rule, text string, out []Entity) []Entity {
	for _, m := range r.Regex.FindAllStringSubmatchIndex(text, -1) {
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
			continue
		}
		secret := text[ss:se]
		if r.Entropy > 0 && entropy(secret) <= r.Entropy {
			continue
		}
		line := lineAround(text, ms, me)
		if allowedBy(s.global, secret, text[ms:me], line) || allowedBy(r.Allowlists, secret, text[ms:me], line) {
			continue
		}
		score := 0.9
		if strings.HasPrefix(r.RuleID, "generic") {
			score = 0.7
		}
		out = append(out, Entity{Type: Secret, Start: ss, End: se, Score: score, Rule: "gitleaks:" + r.RuleID})
	}
	return out
}

// allowedBy applies gitleaks allowlists the way its detector does for a
// text with no file path or commit: a list whose condition needs a path or
// commit never matches.
func allowedBy(lists []*config.Allowlist, secret, match, line string) bool {
	for _, a := range lists {
		target := secret
		switch a.RegexTarget {
		case "match":
			target = match
		case "line":
			target = line
		}
		regex := a.RegexAllowed(target)
		stop, _ := a.ContainsStopWord(secret)
		if a.MatchCondition == config.AllowlistMatchAnd {
			if len(a.Commits) > 0 || len(a.Paths) > 0 {
				continue
			}
			ok := len(a.Regexes) > 0 || len(a.StopWords) > 0
			if len(a.Regexes) > 0 && !regex || len(a.StopWords) > 0 && !stop {
				ok = false
			}
			if ok {
				return true
			}
			continue
		}
		if regex || stop {
			return true
		}
	}
	return false
}

func lineAround(text string, start, end int) string {
	ls := strings.LastIndexByte(text[:start], '\n') + 1
	le := strings.IndexByte(text[end:], '\n')
	if le < 0 {
		return text[ls:]
	}
	return text[ls : end+le]
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
