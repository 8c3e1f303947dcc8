// Package report is the one output shape of Warden's offline scanners
// (skills, secrets, dependencies, host checks): findings with a rule id, a
// severity on one scale, a location and evidence, written as a table, JSON
// or SARIF 2.1.0, and the exit code that --fail-on asks for. One package so
// that every scanner's SARIF is accepted by GitHub code scanning the same
// way and every --fail-on means the same thing.
package report

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Severity is a finding's weight, from Info to Critical.
type Severity int

// Severities, lowest first. The zero value is Info.
const (
	Info Severity = iota
	Low
	Medium
	High
	Critical
)

var severityNames = [...]string{"info", "low", "medium", "high", "critical"}

// String is the lower-case name.
func (s Severity) String() string {
	if s < Info || s > Critical {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// ParseSeverity reads a severity name. "warn" and "warning" are Medium and
// "error" is High, so the skill scanner's words (OpenClaw's info, warn,
// critical) work in --fail-on too.
func ParseSeverity(s string) (Severity, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "info", "note":
		return Info, nil
	case "low":
		return Low, nil
	case "medium", "moderate", "warn", "warning":
		return Medium, nil
	case "high", "error":
		return High, nil
	case "critical":
		return Critical, nil
	}
	return Info, fmt.Errorf("severity %q: want info, low, medium, high or critical", s)
}

// MarshalText writes the name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a name (see ParseSeverity).
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Finding is one thing a scanner found. Evidence must already be masked
// when it could hold a secret: every format prints it as given.
type Finding struct {
	RuleID      string            `json:"ruleId"`
	Severity    Severity          `json:"severity"`
	Message     string            `json:"message"`
	File        string            `json:"file,omitempty"` // slash-separated, relative to the target; "a.zip!/x" inside archives
	Line        int               `json:"line,omitempty"`
	Column      int               `json:"column,omitempty"`
	Evidence    string            `json:"evidence,omitempty"`
	Commit      string            `json:"commit,omitempty"`      // git commit the finding was seen in
	Fingerprint string            `json:"fingerprint,omitempty"` // stable across runs, for baselines
	Fix         string            `json:"fix,omitempty"`
	Properties  map[string]string `json:"properties,omitempty"` // scanner-specific: package, version, aliases…
}

// Where is file:line (and @commit), for humans.
func (f Finding) Where() string {
	w := f.File
	if f.Line > 0 {
		w += fmt.Sprintf(":%d", f.Line)
	}
	if f.Commit != "" {
		w += "@" + f.Commit[:min(len(f.Commit), 12)]
	}
	return w
}

// Rule describes a rule for SARIF's rule catalogue.
type Rule struct {
	ID          string
	Description string
	Help        string // what to do about it
	HelpURI     string
	Severity    Severity
}

// Report is one scan's result.
type Report struct {
	Tool     string         `json:"tool"`   // "skill", "secrets", "deps", "check"…
	Target   string         `json:"target"` // what was scanned, as the user named it
	Scanned  int            `json:"scanned"`
	Unit     string         `json:"unit,omitempty"` // what Scanned counts: files, packages, commits
	Verdict  string         `json:"verdict,omitempty"`
	Reason   string         `json:"reason,omitempty"`
	Skipped  []string       `json:"skipped,omitempty"` // what was not read, and why
	Findings []Finding      `json:"findings"`
	Summary  map[string]int `json:"summary"` // findings per severity name; Sort fills it
	Rules    []Rule         `json:"-"`
}

// Sort orders findings most severe first, then by place, and fills Summary.
func (r *Report) Sort() {
	slices.SortStableFunc(r.Findings, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(b.Severity, a.Severity), cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.RuleID, b.RuleID))
	})
	if r.Findings == nil {
		r.Findings = []Finding{}
	}
	r.Summary = map[string]int{}
	for _, n := range severityNames {
		r.Summary[n] = 0
	}
	for _, f := range r.Findings {
		r.Summary[f.Severity.String()]++
	}
}

// Fails reports whether any finding is at or above min.
func (r *Report) Fails(min Severity) bool {
	for _, f := range r.Findings {
		if f.Severity >= min {
			return true
		}
	}
	return false
}

// Exit codes every scanner command uses.
const (
	ExitClean    = 0 // nothing at or above --fail-on
	ExitFindings = 1 // findings at or above --fail-on
	ExitError    = 2 // the scan could not run (bad flags, unreadable input)
)
