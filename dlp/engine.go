// Package dlp finds sensitive values in text — personal data, payment data,
// credentials — and redacts them reversibly, masks them or blocks them. One
// engine serves every plane: the model proxy, output filtering, and the
// offline `warden redact` command.
//
// Each recognizer finds candidates with a cheap byte-level scan, then
// validates them (Luhn for cards, mod-97 for IBANs, number plans for phones
// and SSNs, a gazetteer for names) before scoring; no recognizer is a bare
// regular expression. Words near a candidate move its score: "SSN:" raises
// it, "example" lowers it. Secrets reuse gitleaks' maintained rule set.
package dlp

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// DefaultMinScore is the score below which a candidate is not reported.
const DefaultMinScore = 0.5

// Options configure an Engine.
type Options struct {
	// Types to look for; all when empty.
	Types []Type
	// MinScore is the score at or above which a candidate is an entity;
	// DefaultMinScore when zero.
	MinScore float64
	// PhoneRegions are the ISO 3166 regions whose national phone formats
	// are recognised (international "+CC ..." numbers always are); US when
	// empty.
	PhoneRegions []string
}

// Engine scans text for entities. It is safe for concurrent use.
type Engine struct {
	recognizers []*recognizer
	minScore    float64
}

// recognizer finds candidates of one kind. find appends candidates with a
// base score; the engine then applies context and the threshold.
type recognizer struct {
	typ  Type
	name string
	find func(text string, out []Entity) []Entity
	// context words near a candidate (lowercase, within contextWindow bytes
	// before it) raise its score by boost.
	context []string
	boost   float64
	// Examples that must be found, and hard negatives that must not, kept
	// next to the recognizer; one test runs them all.
	positives, negatives []string
}

// New builds an engine.
func New(opts Options) (*Engine, error) {
	e := &Engine{minScore: opts.MinScore}
	if e.minScore == 0 {
		e.minScore = DefaultMinScore
	}
	if e.minScore < 0 || e.minScore > 1 {
		return nil, fmt.Errorf("dlp: min score %v is not between 0 and 1", opts.MinScore)
	}
	want := map[Type]bool{}
	for _, t := range opts.Types {
		if _, err := ParseType(string(t)); err != nil {
			return nil, fmt.Errorf("dlp: %w", err)
		}
		want[t] = true
	}
	all, err := recognizers(opts)
	if err != nil {
		return nil, fmt.Errorf("dlp: %w", err)
	}
	for _, r := range all {
		if len(want) == 0 || want[r.typ] {
			e.recognizers = append(e.recognizers, r)
		}
	}
	return e, nil
}

// recognizers builds every recognizer.
func recognizers(opts Options) ([]*recognizer, error) {
	secrets, err := newSecretRules()
	if err != nil {
		return nil, err
	}
	phones, err := newPhoneRecognizer(opts.PhoneRegions)
	if err != nil {
		return nil, err
	}
	names, err := newNameRecognizer()
	if err != nil {
		return nil, err
	}
	return []*recognizer{
		emailRecognizer(),
		phones,
		cardRecognizer(),
		ssnRecognizer(),
		ibanRecognizer(),
		ipRecognizer(),
		secrets.recognizer(),
		privateKeyRecognizer(),
		jwtRecognizer(),
		urlCredentialsRecognizer(),
		names,
		addressRecognizer(),
	}, nil
}

// contextWindow is how far before a candidate context words are looked for.
const contextWindow = 48

// negativeContext marks a candidate as an illustration rather than data.
var negativeContext = []string{"example", "sample", "dummy", "placeholder", "fake", "test ", "e.g.", "such as"}

// Scan returns the entities in text, sorted by offset and not overlapping.
func (e *Engine) Scan(text string) []Entity {
	var cands []Entity
	var lower string // the text lowercased, made once if any context is read
	for _, r := range e.recognizers {
		n := len(cands)
		cands = r.find(text, cands)
		if len(cands) == n {
			continue
		}
		if lower == "" {
			lower = asciiLower(text)
		}
		for i := n; i < len(cands); i++ {
			c := &cands[i]
			if c.Type == "" {
				c.Type = r.typ
			}
			if c.Rule == "" {
				c.Rule = r.name
			}
			before := lower[max(0, c.Start-contextWindow):c.Start]
			if r.boost > 0 && containsAny(before, r.context) {
				c.Score += r.boost
			}
			if containsAny(before, negativeContext) {
				c.Score -= 0.3
			}
			c.Score = clamp01(c.Score)
		}
	}
	kept := cands[:0]
	for _, c := range cands {
		if c.Score >= e.minScore && c.Start < c.End {
			kept = append(kept, c)
		}
	}
	return resolveOverlaps(kept)
}

// resolveOverlaps keeps, of entities that overlap, the one with the higher
// score (then the longer one).
func resolveOverlaps(es []Entity) []Entity {
	slices.SortFunc(es, func(a, b Entity) int {
		return cmp.Or(cmp.Compare(a.Start, b.Start), cmp.Compare(b.End, a.End))
	})
	out := es[:0]
	for _, c := range es {
		if len(out) > 0 && c.Start < out[len(out)-1].End {
			last := &out[len(out)-1]
			if c.Score > last.Score || c.Score == last.Score && c.End-c.Start > last.End-last.Start {
				*last = c
			}
			continue
		}
		out = append(out, c)
	}
	// Replacing a kept entity by a later, longer one can make it overlap its
	// predecessor; one more pass settles that.
	for i := 1; i < len(out); i++ {
		if out[i].Start < out[i-1].End {
			return resolveOverlaps(out)
		}
	}
	return out
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

func clamp01(f float64) float64 { return min(1, max(0, f)) }

// asciiLower lowercases ASCII letters only, so byte offsets are unchanged.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}
