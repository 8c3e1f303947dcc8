package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Format is an output format.
type Format string

// Formats.
const (
	Table Format = "table"
	JSON  Format = "json"
	SARIF Format = "sarif"
)

// ParseFormat reads --format.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(s)); f {
	case Table, JSON, SARIF:
		return f, nil
	}
	return "", fmt.Errorf("format %q: want table, json or sarif", s)
}

// Write sorts r and writes it in format f. version is Warden's version,
// recorded in SARIF.
func Write(w io.Writer, f Format, r *Report, version string) error {
	r.Sort()
	switch f {
	case JSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case SARIF:
		doc, err := ToSARIF(r, version)
		if err != nil {
			return err
		}
		return doc.PrettyWrite(w)
	case Table, "":
		return writeTable(w, r)
	}
	return fmt.Errorf("format %q: want table, json or sarif", f)
}

func writeTable(w io.Writer, r *Report) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if len(r.Findings) > 0 {
		fmt.Fprintln(tw, "SEVERITY\tRULE\tWHERE\tWHAT")
	}
	for _, f := range r.Findings {
		what := oneLine(f.Message, 200)
		if f.Evidence != "" {
			what += ": " + oneLine(f.Evidence, 100)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Severity, f.RuleID, oneLine(f.Where(), 80), what)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	unit := r.Unit
	if unit == "" {
		unit = "items"
	}
	var counts []string
	for _, n := range []string{"critical", "high", "medium", "low", "info"} {
		if c := r.Summary[n]; c > 0 {
			counts = append(counts, fmt.Sprintf("%d %s", c, n))
		}
	}
	if len(counts) == 0 {
		counts = []string{"no findings"}
	}
	line := fmt.Sprintf("\n%s: %s (%d %s scanned)", r.Tool, strings.Join(counts, ", "), r.Scanned, unit)
	if r.Verdict != "" {
		line += "; verdict " + r.Verdict
		if r.Reason != "" {
			line += " — " + r.Reason
		}
	}
	_, err := fmt.Fprintln(w, line)
	for _, s := range r.Skipped {
		fmt.Fprintln(w, "  not scanned:", s)
	}
	return err
}

// oneLine keeps a table cell on one line and bounded, so a finding's text
// cannot forge table rows or flood a terminal.
func oneLine(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\t' || r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len([]rune(s)) > max {
		s = string([]rune(s)[:max]) + "…"
	}
	return s
}
