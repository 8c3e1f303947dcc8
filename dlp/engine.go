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
	"bytes"
	"cmp"
	"fmt"
	"slices"
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
	find func(t *textScan, out []Entity) []Entity
	// context words near a candidate (lowercase, within contextWindow bytes
	// before it) raise its score by boost.
	context      []string
	contextWords [][]byte // context as bytes, made by New
	boost        float64
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
		r.contextWords = byteWords(r.context)
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

// textScan is one text being scanned, with what several recognizers look
// for in it, found once, when first asked for.
type textScan struct {
	text      string
	minScore  float64 // the engine's: a candidate below it will be dropped
	digits    []int32 // where each run of digits starts
	digitsSet bool
	nums      []digitRun // runs of digit groups long enough for an SSN or a card
	numsSet   bool
}

// digitRuns returns the offsets where runs of ASCII digits start, in order.
func (t *textScan) digitRuns() []int32 {
	if !t.digitsSet {
		t.digitsSet = true
		t.digits = digitRunStarts(t.text, make([]int32, 0, len(t.text)/32+16))
	}
	return t.digits
}

// plain adapts a recognizer that needs the text alone.
func plain(find func(text string, out []Entity) []Entity) func(*textScan, []Entity) []Entity {
	return func(t *textScan, out []Entity) []Entity { return find(t.text, out) }
}

// contextWindow is how far before a candidate context words are looked for.
const contextWindow = 48

// negativeContext marks a candidate as an illustration rather than data.
var negativeContext = []string{"example", "sample", "dummy", "placeholder", "fake", "test ", "e.g.", "such as"}

var negativeWords = byteWords(negativeContext)

// Scan returns the entities in text, sorted by offset and not overlapping;
// nil if there are none.
func (e *Engine) Scan(text string) []Entity {
	cands := make([]Entity, 0, 16+len(text)/256) // about what prose and code hold
	var buf [contextWindow]byte
	t := &textScan{text: text, minScore: e.minScore}
	for _, r := range e.recognizers {
		n := len(cands)
		cands = r.find(t, cands)
		for i := n; i < len(cands); i++ {
			c := &cands[i]
			if c.Type == "" {
				c.Type = r.typ
			}
			if c.Rule == "" {
				c.Rule = r.name
			}
			if c.Score+r.boost < e.minScore {
				continue // no context can save it
			}
			// The words before the candidate, lowercased.
			before := buf[:0]
			for _, b := range []byte(text[max(0, c.Start-contextWindow):c.Start]) {
				if 'A' <= b && b <= 'Z' {
					b += 'a' - 'A'
				}
				before = append(before, b)
			}
			if r.boost > 0 && containsAny(before, r.contextWords) {
				c.Score += r.boost
			}
			if containsAny(before, negativeWords) {
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
	if len(kept) == 0 {
		return nil
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

func containsAny(s []byte, words [][]byte) bool {
	for _, w := range words {
		if bytes.Contains(s, w) {
			return true
		}
	}
	return false
}

func byteWords(words []string) [][]byte {
	out := make([][]byte, len(words))
	for i, w := range words {
		out[i] = []byte(w)
	}
	return out
}

func clamp01(f float64) float64 { return min(1, max(0, f)) }

// lookupLower looks s up in m by its ASCII-lowercased form, without
// allocating for words of up to 32 bytes.
func lookupLower[V any](m map[string]V, s string) V {
	var buf [32]byte
	if len(s) > len(buf) {
		return m[asciiLower(s)]
	}
	b := buf[:len(s)]
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	return m[string(b)]
}

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
