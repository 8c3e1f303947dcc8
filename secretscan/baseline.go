package secretscan

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/wardenhq/warden/report"
)

// Baseline is a set of accepted findings, by fingerprint: a team adopting
// the scanner accepts what is already there (or rotates it) and fails CI
// only on new secrets. Fingerprints hold no line number, so editing around
// an accepted secret does not make it new.
type Baseline map[string]bool

// baselineFile is what a baseline file holds. Any `warden scan secrets
// --format json` report reads as a baseline too: only the fingerprints
// are used.
type baselineFile struct {
	Tool     string           `json:"tool"`
	Findings []report.Finding `json:"findings"`
}

// LoadBaseline reads a baseline file.
func LoadBaseline(name string) (Baseline, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	var f baselineFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("baseline %s: %w", name, err)
	}
	bl := Baseline{}
	for i, x := range f.Findings {
		if x.Fingerprint == "" {
			return nil, fmt.Errorf("baseline %s: finding %d has no fingerprint", name, i+1)
		}
		bl[x.Fingerprint] = true
	}
	return bl, nil
}

// New returns the findings the baseline does not hold.
func (b Baseline) New(fs []report.Finding) []report.Finding {
	out := make([]report.Finding, 0, len(fs))
	for _, f := range fs {
		if !b[f.Fingerprint] {
			out = append(out, f)
		}
	}
	return out
}

// WriteBaseline writes findings as a baseline, replacing the file whole
// (a temporary file renamed into place) so an interrupted write leaves the
// old one. Evidence in it is masked like everywhere else.
func WriteBaseline(name string, fs []report.Finding) error {
	rep := &report.Report{Tool: "secrets", Findings: fs}
	rep.Sort()
	b, err := json.MarshalIndent(baselineFile{Tool: rep.Tool, Findings: rep.Findings}, "", "  ")
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), ".baseline-*")
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("baseline: %w", err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("baseline: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	return nil
}
