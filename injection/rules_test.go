package injection

import (
	"regexp/syntax"
	"strings"
	"testing"
)

// TestSignalExamples runs every rule's and probe's own examples: each
// positive must raise the signal, each negative must not raise it to a
// weight that matters.
func TestSignalExamples(t *testing.T) {
	type example struct {
		id, text string
		want     bool
	}
	var all []example
	ids := map[string]bool{}
	add := func(id string, tp, fp []string) {
		if ids[id] {
			t.Errorf("signal id %s is defined twice", id)
		}
		ids[id] = true
		if len(tp) == 0 || len(fp) == 0 {
			t.Errorf("%s: needs at least one positive and one negative example", id)
		}
		for _, s := range tp {
			all = append(all, example{id, s, true})
		}
		for _, s := range fp {
			all = append(all, example{id, s, false})
		}
	}
	for _, r := range textRules.rules {
		add(r.id, r.tp, r.fp)
	}
	for _, p := range hiddenProbes {
		add(p.id, p.tp, p.fp)
	}
	for _, p := range encodedProbes {
		add(p.id, p.tp, p.fp)
	}
	d := New(Options{})
	for _, ex := range all {
		res := d.scanText(ex.text)
		// A negative may leave a faint trace (weights under 0.25 exist to
		// corroborate other signals) but must not by itself make the text
		// suspicious.
		got := false
		for _, s := range res.Signals {
			if s.ID == ex.id && (ex.want || s.Score >= 0.25) {
				got = true
			}
		}
		if got != ex.want {
			var fired []string
			for _, s := range res.Signals {
				fired = append(fired, s.ID+"("+s.Via+")")
			}
			t.Errorf("%s want=%v got=%v: %q\n\tsignals: %s", ex.id, ex.want, got, ex.text, strings.Join(fired, ", "))
		}
	}
}

// TestRulePatternsStayOnTheFastPath keeps every compiled pattern small
// enough for Go's backtracking matcher (500 instructions); larger programs
// fall back to the NFA, which made a scan several times slower when this
// package was tuned. Split a pattern with then or more rather than raise
// this.
func TestRulePatternsStayOnTheFastPath(t *testing.T) {
	const limit = 500 // regexp's maxBacktrackProg
	for _, f := range textRules.forms {
		for _, re := range []string{f.re.String(), func() string {
			if f.then != nil {
				return f.then.String()
			}
			return ""
		}()} {
			if re == "" {
				continue
			}
			p, err := syntax.Parse(re, syntax.Perl)
			if err != nil {
				t.Fatal(err)
			}
			prog, err := syntax.Compile(p.Simplify())
			if err != nil {
				t.Fatal(err)
			}
			if n := len(prog.Inst); n > limit {
				t.Errorf("%s phrasing %d compiles to %d instructions; keep it under %d", textRules.rules[f.rule].id, f.index, n, limit)
			}
		}
	}
}
