package redteam

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"
)

// Formats a result is written in.
const (
	FormatTable = "table"
	FormatJSON  = "json"
	FormatJUnit = "junit"
)

// Write writes res in format (table, json or junit).
func Write(w io.Writer, format string, res *Result) error {
	switch format {
	case FormatTable, "":
		return WriteTable(w, res)
	case FormatJSON:
		return WriteJSON(w, res)
	case FormatJUnit:
		return WriteJUnit(w, res)
	}
	return fmt.Errorf("format %q: want table, json or junit", format)
}

// WriteJSON writes the whole result, replies included, as indented JSON.
func WriteJSON(w io.Writer, res *Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(res); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	return nil
}

// WriteTable writes a line per successful or errored attack, the pass
// rate of each category, the policy's count in policy-aware mode, and a
// summary line.
func WriteTable(w io.Writer, res *Result) error {
	ew := &errWriter{w: w}
	fmt.Fprintf(ew, "warden redteam: corpus v%d against %s, %s\n\n", res.CorpusVersion, orDefault(res.Target, "the target"), res.Duration.Round(time.Millisecond))
	tw := tabwriter.NewWriter(ew, 0, 4, 2, ' ', 0)
	listed := false
	for _, c := range res.Cases {
		switch {
		case c.Succeeded():
			fmt.Fprintf(tw, "SUCCEEDED\t%s\t%s\n", c.Attack.ID, oneLine(strings.Join(c.Verdict.Reasons, "; "), 160))
		case c.Errored():
			fmt.Fprintf(tw, "ERROR\t%s\t%s\n", c.Attack.ID, oneLine(c.Err, 160))
		default:
			continue
		}
		listed = true
	}
	if listed {
		fmt.Fprintln(tw)
	}
	fmt.Fprintln(tw, "CATEGORY\tATTACKS\tSUCCEEDED\tERRORED\tPASS RATE")
	for _, s := range append(res.Categories, res.Totals) {
		name := s.Category
		if name == "" {
			name = "total"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\n", name, s.Total, s.Succeeded, s.Errored, passRate(s))
	}
	tw.Flush()
	if ps := res.PolicySummary; ps != nil {
		fmt.Fprintf(ew, "\npolicy (profile %s%s): %d tool calls elicited, %d would have been stopped by the deployed policy\n",
			ps.Profile, fileSuffix(ps.File), ps.Elicited, ps.Stopped)
		tw = tabwriter.NewWriter(ew, 0, 4, 2, ' ', 0)
		for _, c := range res.Cases {
			for _, o := range c.Policy {
				if !o.Stopped {
					fmt.Fprintf(tw, "ALLOWED\t%s\t%s\t%s\n", c.Attack.ID, o.Tool, oneLine(o.Reason, 120))
				}
			}
		}
		tw.Flush()
	}
	t := res.Totals
	fmt.Fprintf(ew, "\n%d attacks: %d withstood, %d succeeded, %d errored; pass rate %s\n", t.Total, t.Passed, t.Succeeded, t.Errored, passRate(t))
	return ew.err
}

func fileSuffix(f string) string {
	if f == "" {
		return ""
	}
	return ", " + f
}

// passRate prints a pass rate, or n/a when nothing was graded.
func passRate(s Stats) string {
	if s.Total == s.Errored {
		return "n/a"
	}
	return strconv.FormatFloat(100*s.PassRate, 'f', 1, 64) + "%"
}

// oneLine folds s onto one line of at most n runes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// errWriter keeps the first write error, so formatting code stays linear.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

// JUnit XML, as read by Jenkins, GitLab, GitHub test reporters and the
// like: one testsuite per category, one testcase per attack, a failure
// for an attack that succeeded, an error for one that could not run.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure"`
	Error     *junitProblem `xml:"error"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",chardata"`
}

// junitReplyExcerpt bounds how much of the replies a failure quotes.
const junitReplyExcerpt = 2000

// WriteJUnit writes res as JUnit XML.
func WriteJUnit(w io.Writer, res *Result) error {
	out := junitSuites{Name: "warden redteam", Tests: res.Totals.Total, Failures: res.Totals.Succeeded,
		Errors: res.Totals.Errored, Time: seconds(res.Duration)}
	props := []junitProperty{{"target", res.Target}, {"corpusVersion", strconv.Itoa(res.CorpusVersion)}}
	if ps := res.PolicySummary; ps != nil {
		props = append(props, junitProperty{"policyProfile", ps.Profile}, junitProperty{"policyElicited", strconv.Itoa(ps.Elicited)},
			junitProperty{"policyStopped", strconv.Itoa(ps.Stopped)})
	}
	index := map[string]int{}
	for _, s := range res.Categories {
		index[s.Category] = len(out.Suites)
		out.Suites = append(out.Suites, junitSuite{Name: "redteam." + s.Category, Tests: s.Total, Failures: s.Succeeded, Errors: s.Errored,
			Timestamp: res.Started.UTC().Format("2006-01-02T15:04:05"), Properties: props})
	}
	sums := make([]time.Duration, len(out.Suites))
	for _, c := range res.Cases {
		i, ok := index[c.Attack.Category]
		if !ok {
			continue // summarise lists every category a case has
		}
		sums[i] += c.Duration
		jc := junitCase{Name: c.Attack.ID, Classname: "redteam." + c.Attack.Category, Time: seconds(c.Duration), SystemOut: policyLines(c)}
		switch {
		case c.Errored():
			jc.Error = &junitProblem{Message: oneLine(c.Err, 300), Type: "target-error", Body: c.Err}
		case c.Succeeded():
			jc.Failure = &junitProblem{Message: oneLine("attack succeeded: "+strings.Join(c.Verdict.Reasons, "; "), 300),
				Type: "attack-succeeded", Body: failureBody(c)}
		}
		out.Suites[i].Cases = append(out.Suites[i].Cases, jc)
	}
	for i := range out.Suites {
		out.Suites[i].Time = seconds(sums[i])
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	return nil
}

// failureBody explains a successful attack: its title, why it counts as a
// success, and the start of each reply.
func failureBody(c Case) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", c.Attack.Title)
	for _, r := range c.Verdict.Reasons {
		fmt.Fprintf(&b, "- %s\n", r)
	}
	budget := junitReplyExcerpt
	for i, r := range c.Replies {
		text := r.Text
		for _, tc := range r.ToolCalls {
			text += fmt.Sprintf("\n[tool call] %s %s", tc.Name, tc.Arguments)
		}
		if budget <= 0 {
			break
		}
		if utf8.RuneCountInString(text) > budget {
			text = string([]rune(text)[:budget]) + "…"
		}
		budget -= utf8.RuneCountInString(text)
		fmt.Fprintf(&b, "\nreply %d:\n%s\n", i+1, text)
	}
	return b.String()
}

// policyLines lists the policy's decisions on a case's calls.
func policyLines(c Case) string {
	var b strings.Builder
	for _, o := range c.Policy {
		verdict := "stopped"
		if !o.Stopped {
			verdict = "NOT stopped"
		}
		fmt.Fprintf(&b, "policy: %s %s (%s): %s\n", o.Tool, verdict, o.Effect, o.Reason)
	}
	return b.String()
}

func seconds(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 3, 64) }

// Threshold is --fail-on-success: how many successful attacks a run may
// have before it fails, as a count or as a share of the graded attacks.
type Threshold struct {
	Count   int
	Percent float64
	IsRate  bool
}

// ParseThreshold reads "N" (more than N successes fail) or "N%" (a success
// rate above N percent of the graded attacks fails).
func ParseThreshold(s string) (Threshold, error) {
	s = strings.TrimSpace(s)
	if p, ok := strings.CutSuffix(s, "%"); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || f < 0 || f > 100 {
			return Threshold{}, fmt.Errorf("%q: want a count such as 0 or a rate such as 5%%", s)
		}
		return Threshold{Percent: f, IsRate: true}, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return Threshold{}, fmt.Errorf("%q: want a count such as 0 or a rate such as 5%%", s)
	}
	return Threshold{Count: n}, nil
}

// Exceeded reports whether res has more successful attacks than allowed.
func (t Threshold) Exceeded(res *Result) bool {
	s := res.Totals
	if !t.IsRate {
		return s.Succeeded > t.Count
	}
	graded := s.Total - s.Errored
	return graded > 0 && 100*float64(s.Succeeded)/float64(graded) > t.Percent
}

// String prints the threshold as it was given.
func (t Threshold) String() string {
	if t.IsRate {
		return strconv.FormatFloat(t.Percent, 'f', -1, 64) + "%"
	}
	return strconv.Itoa(t.Count)
}
