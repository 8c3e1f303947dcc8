package main

import (
	"fmt"

	"github.com/wardenhq/warden/report"
)

// parseOutputFlags reads the --format and --fail-on every scanner command
// takes; a bad value is an *exitError with code 2 naming the flag.
func parseOutputFlags(format, failOn string) (report.Format, report.Severity, error) {
	f, err := report.ParseFormat(format)
	if err != nil {
		return f, 0, &exitError{code: report.ExitError, err: fmt.Errorf("--format: %w", err)}
	}
	min, err := report.ParseSeverity(failOn)
	if err != nil {
		return f, 0, &exitError{code: report.ExitError, err: fmt.Errorf("--fail-on: %w", err)}
	}
	return f, min, nil
}

// failures is nil when no finding of rep is at or above min, else an
// *exitError with code 1 that counts them.
func failures(rep *report.Report, min report.Severity) error {
	if !rep.Fails(min) {
		return nil
	}
	n := 0
	for _, f := range rep.Findings {
		if f.Severity >= min {
			n++
		}
	}
	return &exitError{code: report.ExitFindings, err: fmt.Errorf("%d finding(s) at or above %s", n, min)}
}
