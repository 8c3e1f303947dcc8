package injection

import (
	"cmp"
	"math"
	"slices"
	"sync"
)

// Signal is one piece of evidence: which heuristic fired, how much it
// weighs, and where in the scanned text it fired.
type Signal struct {
	ID    string  `json:"id"`    // stable id such as "override.ignore_previous"; the prefix is the family
	Score float64 `json:"score"` // this signal's weight in 0..1, after context discounts
	Start int     `json:"start"` // byte offset in the scanned text where the first match starts
	End   int     `json:"end"`   // byte offset just past the first match
	// Via names the carrier when the signal was found in content decoded
	// from the text ("base64", "unicode_tags", "base64>hex" when nested);
	// Start and End then cover the encoded run, not the decoded words.
	Via string `json:"via,omitempty"`
}

// Verdict is what a caller acts on; the score says how sure.
type Verdict string

// Verdicts, from harmless to hostile.
const (
	VerdictClean      Verdict = "clean"      // nothing worth a second look
	VerdictSuspicious Verdict = "suspicious" // show a human or log, but do not block on this alone
	VerdictInjection  Verdict = "injection"  // treat the content as an attack
)

// Result is the outcome of one Scan.
type Result struct {
	Score   float64  `json:"score"`   // 0..1, the strongest cluster of signals combined by noisy-or
	Verdict Verdict  `json:"verdict"` // Score read against the detector's threshold
	Signals []Signal `json:"signals"` // ordered by Start; never nil, so JSON shows []
}

// Options tunes a Detector; the zero value is the recommended setting.
type Options struct {
	// Threshold is the score at or above which the verdict is "injection";
	// half of it makes "suspicious". Zero means DefaultThreshold.
	Threshold float64
}

// DefaultThreshold balances the evaluation set's precision and recall; lower
// it where a missed injection costs more than a blocked document.
const DefaultThreshold = 0.5

// Detector scores untrusted text. It holds no per-scan state, so one
// Detector serves any number of goroutines.
type Detector struct {
	threshold float64
	pool      sync.Pool // *scratch, so steady-state scans do not allocate buffers
}

// New returns a Detector; its rules are compiled once per process, so New is
// cheap.
func New(opts Options) *Detector {
	t := opts.Threshold
	if t <= 0 || math.IsNaN(t) {
		t = DefaultThreshold
	}
	if t > 1 {
		t = 1
	}
	d := &Detector{threshold: t}
	d.pool.New = func() any { return new(scratch) }
	return d
}

// Scan scores text. It runs in time linear in len(text) (decoding is capped
// per scan), never panics, and is safe for concurrent use. Should a bug
// still panic inside, Scan fails closed: it reports an injection.
func (d *Detector) Scan(text string) (res Result) {
	defer func() {
		if recover() != nil {
			res = Result{Score: 1, Verdict: VerdictInjection, Signals: []Signal{{ID: "internal.error", Score: 1, End: len(text)}}}
		}
	}()
	return d.scanText(text)
}

// scanText is Scan without the safety net, so tests and the fuzzer see
// panics.
func (d *Detector) scanText(text string) Result {
	st := scanState{budget: maxDecodedBytes, attempts: maxDecodeAttempts}
	fs := d.scan(text, 0, &st, nil)
	return d.result(fs)
}

// found is a Signal plus what combine needs to know about it.
type found struct {
	Signal
	// described marks a signal discounted because the text talks about an
	// injection rather than performing one.
	described bool
}

// scratch holds the buffers one scan needs; Detector pools them.
type scratch struct {
	f       folded
	hits    []hit
	best    []int
	needPos [][]int32
	routes  []uint16
	skip    []int32 // per form: keyword hits before this offset are not tried
}

// scanState is shared by a scan and the scans of content decoded from it,
// and is what bounds the work hostile input can cause.
type scanState struct {
	budget   int // decoded bytes left to scan
	attempts int // decode attempts left
}

const (
	maxDepth          = 2 // decode, and decode what that decoded, no further
	maxDecodedBytes   = 64 << 10
	maxDecodeAttempts = 256
	maxPooledBytes    = 1 << 20 // larger buffers go back to the GC, not the pool
)

// scan collects the signals of one text: the rules over its folded view,
// then the hidden-text and encoded-payload probes, which may scan decoded
// content in turn.
func (d *Detector) scan(text string, depth int, st *scanState, fs []found) []found {
	sc := d.pool.Get().(*scratch)
	fold(&sc.f, text)
	fs = matchRules(&sc.f, text, sc, fs)
	fs = d.probeHidden(text, sc.f.invisible, depth, st, fs)
	if cap(sc.f.b) <= maxPooledBytes {
		d.pool.Put(sc)
	}
	return d.probeEncoded(text, depth, st, fs)
}

// scanDecoded scans content decoded from text[start:end] and reports its
// signals at that span. It reports whether the content held anything that
// reads as an instruction.
func (d *Detector) scanDecoded(decoded, via string, start, end, depth int, st *scanState, fs []found) ([]found, bool) {
	if depth >= maxDepth || st.budget <= 0 || decoded == "" {
		return fs, false
	}
	if len(decoded) > st.budget {
		decoded = decoded[:st.budget]
	}
	st.budget -= len(decoded)
	inner := d.scan(decoded, depth+1, st, nil)
	instructive := false
	for _, s := range inner {
		s.Start, s.End = start, end
		if s.Via == "" {
			s.Via = via
		} else {
			s.Via = via + ">" + s.Via
		}
		if s.Score >= 0.25 {
			instructive = true
		}
		fs = append(fs, s)
	}
	return fs, instructive
}

// clusterGap is how far apart two signals may be and still count as one
// payload. Injections are compact; a long manual that says "run this
// installer" in one place and "delete the cache" ten paragraphs later is
// not corroborating itself.
const clusterGap = 512

// result orders the signals and combines them into a score and a verdict.
func (d *Detector) result(fs []found) Result {
	res := Result{Signals: []Signal{}, Verdict: VerdictClean}
	if len(fs) == 0 {
		return res
	}
	slices.SortStableFunc(fs, func(a, b found) int {
		return cmp.Or(cmp.Compare(a.Start, b.Start), cmp.Compare(b.Score, a.Score), cmp.Compare(a.ID, b.ID), cmp.Compare(a.Via, b.Via))
	})
	// One signal per id and carrier: repeating a phrase is not more evidence.
	seen := make(map[[2]string]int, len(fs))
	kept := fs[:0]
	for _, s := range fs {
		k := [2]string{s.ID, s.Via}
		if i, ok := seen[k]; ok {
			if s.Score > kept[i].Score {
				kept[i].Score, kept[i].described = s.Score, s.described
			}
			continue
		}
		seen[k] = len(kept)
		kept = append(kept, s)
	}
	// One phrase is one piece of evidence even when two rules read it.
	// (Signals from decoded content share the encoded run's span on purpose
	// and are kept apart.)
	spans := make([]found, 0, len(kept))
	for _, s := range kept {
		if n := len(spans); n > 0 && spans[n-1].Start == s.Start && spans[n-1].End == s.End && s.Via == "" && spans[n-1].Via == "" {
			if s.Score > spans[n-1].Score {
				spans[n-1] = s
			}
			continue
		}
		spans = append(spans, s)
	}
	best := 0.0
	for i := 0; i < len(spans); {
		j, end := i, spans[i].End
		for j < len(spans) && spans[j].Start <= end+clusterGap {
			end = max(end, spans[j].End)
			j++
		}
		best = max(best, combine(spans[i:j]))
		i = j
	}
	res.Score = round3(best)
	for _, s := range kept {
		s.Score = round3(s.Score)
		res.Signals = append(res.Signals, s.Signal)
	}
	switch {
	case res.Score >= d.threshold:
		res.Verdict = VerdictInjection
	case res.Score >= d.threshold/2:
		res.Verdict = VerdictSuspicious
	}
	return res
}

// combine is a noisy-or over independent evidence, except that described
// signals (quoted in an article, say) count only once between them: an
// article that quotes three jailbreaks is not three times as hostile.
func combine(fs []found) float64 {
	miss, described := 1.0, 0.0
	for _, s := range fs {
		if s.described {
			described = max(described, s.Score)
			continue
		}
		miss *= 1 - min(max(s.Score, 0), 1)
	}
	miss *= 1 - described
	return min(max(1-miss, 0), 1)
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }
