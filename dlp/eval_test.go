package dlp

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

//go:generate go run ./testdata/gen -o testdata/eval.jsonl

var evalVerbose = flag.Bool("eval.v", false, "TestEvaluation logs every miss and false positive")

// evalExample is one line of testdata/eval.jsonl.
type evalExample struct {
	Text     string `json:"text"`
	Entities []struct {
		Type       Type `json:"type"`
		Start, End int
	} `json:"entities"`
}

// evalGoals are the figures the engine must reach on the evaluation set.
var (
	evalMinRecall = map[Type]float64{
		Email: 0.95, CreditCard: 0.95, SSN: 0.95, IBAN: 0.95, Phone: 0.95,
		Person: 0.85,
	}
	evalMinPrecision = 0.9
)

// evalCount tallies one type. A prediction matches a gold entity of its
// type when it covers at least half of the gold span; each gold entity is
// matched at most once. exact counts matches with the same bounds.
type evalCount struct {
	gold, pred, tp, exact int
}

func (c evalCount) precision() float64 { return ratio(c.tp, c.pred) }
func (c evalCount) recall() float64    { return ratio(c.tp, c.gold) }

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

// TestEvaluation scores the engine on the labelled set in
// testdata/eval.jsonl (made by testdata/gen) and holds it to the goals:
// recall of at least 0.95 for emails, cards, SSNs, IBANs and phones and
// 0.85 for names, and precision of at least 0.9 for every type.
func TestEvaluation(t *testing.T) {
	examples := readEvalSet(t, "testdata/eval.jsonl")
	e, err := New(Options{PhoneRegions: []string{"US", "GB", "DE"}})
	if err != nil {
		t.Fatal(err)
	}
	counts := map[Type]*evalCount{}
	for _, typ := range Types() {
		counts[typ] = &evalCount{}
	}
	var misses, falsePositives, inexact []string
	for _, ex := range examples {
		got := e.Scan(ex.Text)
		used := make([]bool, len(got))
		for _, g := range ex.Entities {
			c := counts[g.Type]
			c.gold++
			found := false
			for i, p := range got {
				if used[i] || p.Type != g.Type || 2*overlap(p.Start, p.End, g.Start, g.End) < g.End-g.Start {
					continue
				}
				used[i], found = true, true
				c.tp++
				if p.Start == g.Start && p.End == g.End {
					c.exact++
				} else {
					inexact = append(inexact, fmt.Sprintf("%s %q found as %q", g.Type, ex.Text[g.Start:g.End], ex.Text[p.Start:p.End]))
				}
				break
			}
			if !found {
				misses = append(misses, fmt.Sprintf("%s %q in %q (found %s)", g.Type, ex.Text[g.Start:g.End], ex.Text, describe(got, ex.Text)))
			}
		}
		for i, p := range got {
			counts[p.Type].pred++
			if !used[i] {
				falsePositives = append(falsePositives, fmt.Sprintf("%s %q (%s, %.2f) in %q", p.Type, ex.Text[p.Start:p.End], p.Rule, p.Score, ex.Text))
			}
		}
	}

	var table strings.Builder
	fmt.Fprintf(&table, "%d texts\n%-16s %5s %5s %5s %9s %7s %8s %8s\n", len(examples), "type", "gold", "pred", "tp", "precision", "recall", "exact-P", "exact-R")
	for _, typ := range Types() {
		c := counts[typ]
		fmt.Fprintf(&table, "%-16s %5d %5d %5d %9.3f %7.3f %8.3f %8.3f\n", typ, c.gold, c.pred, c.tp, c.precision(), c.recall(), ratio(c.exact, c.pred), ratio(c.exact, c.gold))
	}
	t.Log("\n" + table.String())
	if *evalVerbose || t.Failed() {
		for _, m := range misses {
			t.Log("miss:", m)
		}
		for _, f := range falsePositives {
			t.Log("false positive:", f)
		}
		for _, f := range inexact {
			t.Log("inexact:", f)
		}
	}

	for _, typ := range Types() {
		c := counts[typ]
		if c.gold == 0 {
			t.Errorf("%s: the evaluation set has no examples", typ)
		}
		if p := c.precision(); p < evalMinPrecision {
			t.Errorf("%s: precision %.3f, want at least %.2f", typ, p, evalMinPrecision)
		}
		if want, ok := evalMinRecall[typ]; ok && c.recall() < want {
			t.Errorf("%s: recall %.3f, want at least %.2f", typ, c.recall(), want)
		}
	}
	if t.Failed() && !*evalVerbose {
		t.Log("run with -eval.v to list every miss and false positive")
	}
}

func overlap(aStart, aEnd, bStart, bEnd int) int {
	return max(0, min(aEnd, bEnd)-max(aStart, bStart))
}

func readEvalSet(t *testing.T, path string) []evalExample {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []evalExample
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for line := 1; sc.Scan(); line++ {
		var ex evalExample
		if err := json.Unmarshal(sc.Bytes(), &ex); err != nil {
			t.Fatalf("%s:%d: %v", path, line, err)
		}
		for _, g := range ex.Entities {
			if g.Start < 0 || g.End > len(ex.Text) || g.Start >= g.End {
				t.Fatalf("%s:%d: span %d-%d outside the text", path, line, g.Start, g.End)
			}
			if _, err := ParseType(string(g.Type)); err != nil {
				t.Fatalf("%s:%d: %v", path, line, err)
			}
		}
		out = append(out, ex)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
