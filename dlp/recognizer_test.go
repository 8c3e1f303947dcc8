package dlp

import (
	"strings"
	"testing"
)

func newTestEngine(t testing.TB) *Engine {
	t.Helper()
	e, err := New(Options{PhoneRegions: []string{"US", "GB", "DE"}})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestRecognizerExamples runs every recognizer's own positive and negative
// examples through the whole engine: a positive must yield an entity of the
// recognizer's type, a negative must not.
func TestRecognizerExamples(t *testing.T) {
	e := newTestEngine(t)
	for _, r := range e.recognizers {
		if len(r.positives) == 0 || len(r.negatives) == 0 {
			t.Errorf("%s: every recognizer carries positive and negative examples", r.name)
		}
		for _, s := range r.positives {
			if !hasType(e.Scan(s), s, r.typ) {
				t.Errorf("%s: missed in %q (found %s)", r.name, s, describe(e.Scan(s), s))
			}
		}
		for _, s := range r.negatives {
			if hasType(e.Scan(s), s, r.typ) {
				t.Errorf("%s: false positive in %q (found %s)", r.name, s, describe(e.Scan(s), s))
			}
		}
	}
}

func hasType(es []Entity, _ string, t Type) bool {
	for _, e := range es {
		if e.Type == t {
			return true
		}
	}
	return false
}

func describe(es []Entity, s string) string {
	var b strings.Builder
	for _, e := range es {
		b.WriteString(string(e.Type) + "(" + s[e.Start:e.End] + ")")
		b.WriteString(" ")
	}
	if b.Len() == 0 {
		return "nothing"
	}
	return b.String()
}
