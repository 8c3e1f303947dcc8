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
		line += "; verdict " + Sanitize(r.Verdict)
		if r.Reason != "" {
			line += " — " + oneLine(r.Reason, 1000)
		}
	}
	if _, err := fmt.Fprintln(w, line); err != nil {
		return err
	}
	for _, s := range r.Skipped {
		if _, err := fmt.Fprintln(w, "  not scanned:", oneLine(s, 300)); err != nil {
			return err
		}
	}
	return nil
}

// oneLine keeps a table cell on one line and bounded, so a finding's text
// cannot forge table rows or flood a terminal.
func oneLine(s string, max int) string {
	s = Sanitize(s)
	if len([]rune(s)) > max {
		s = string([]rune(s)[:max]) + "…"
	}
	return s
}

// Sanitize makes a text from a scanned file safe to print on a terminal:
// line breaks and tabs become spaces, and every other character a
// terminal acts on — C0 controls (ESC starts colour, cursor and erase
// sequences), DEL, C1 controls (U+009B is a one-character CSI) and the
// bidirectional controls that reorder what is shown — becomes '?'.
// Invalid UTF-8 (a lone 0x9B byte) becomes U+FFFD. An archive member's
// name is a scanned text like any other.
func Sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f),
			r == 0x061c || r == 0x200e || r == 0x200f || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069):
			return '?'
		}
		return r
	}, s)
}
