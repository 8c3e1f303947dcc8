package report

import (
	"fmt"
	"net/url"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"
)

// securitySeverity is the score GitHub code scanning reads from a rule's
// properties to rank security alerts.
func securitySeverity(s Severity) string {
	switch s {
	case Low:
		return "3.0"
	case Medium:
		return "5.5"
	case High:
		return "8.0"
	case Critical:
		return "9.5"
	}
	return "0.0"
}

// fallbackURI is where a finding that names no file points (a skill
// without SKILL.md, too many files): GitHub rejects a result without a
// location, and such a finding is about the scanned target as a whole.
func fallbackURI(target string) string {
	t := strings.TrimRight(filepath.ToSlash(target), "/")
	if b := path.Base(t); t != "" && b != "." && b != "/" {
		return b
	}
	return "."
}

func level(s Severity) string {
	switch {
	case s >= High:
		return "error"
	case s == Medium:
		return "warning"
	}
	return "note"
}

// ToSARIF converts r to a SARIF 2.1.0 log with one run. Locations are
// relative to %SRCROOT% (the scanned target) so uploads match repository
// paths; each rule carries security-severity for GitHub.
func ToSARIF(r *Report, version string) (*sarif.Report, error) {
	doc := sarif.NewReport()
	run := sarif.NewRunWithInformationURI("warden", "https://github.com/wardenhq/warden")
	if version != "" {
		run.Tool.Driver.WithVersion(version)
	}
	run.WithAutomationDetails(sarif.NewRunAutomationDetails().WithID("warden/" + r.Tool + "/"))
	rules := map[string]Rule{}
	for _, ru := range r.Rules {
		rules[ru.ID] = ru
	}
	// A rule's default severity is the highest seen, so GitHub ranks it
	// by its worst instance when the catalogue does not name it.
	for _, f := range r.Findings {
		ru, ok := rules[f.RuleID]
		if !ok {
			ru = Rule{ID: f.RuleID, Description: f.Message, Severity: f.Severity}
		} else if f.Severity > ru.Severity && !slices.ContainsFunc(r.Rules, func(x Rule) bool { return x.ID == f.RuleID }) {
			ru.Severity = f.Severity
		}
		rules[f.RuleID] = ru
	}
	ids := make([]string, 0, len(rules))
	for id := range rules {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		ru := rules[id]
		desc := ru.Description
		if desc == "" {
			desc = id
		}
		d := run.AddRule(id).WithDescription(desc).
			WithDefaultConfiguration(sarif.NewReportingConfiguration().WithLevel(level(ru.Severity))).
			WithProperties(sarif.NewPropertyBag().Add("security-severity", securitySeverity(ru.Severity)).Add("tags", []string{"security"}))
		if ru.Help != "" {
			d.WithHelp(sarif.NewMultiformatMessageString().WithText(ru.Help))
		}
		if ru.HelpURI != "" {
			d.WithHelpURI(ru.HelpURI)
		}
	}
	for _, f := range r.Findings {
		msg := f.Message
		if f.Fix != "" {
			msg += " Fix: " + f.Fix
		}
		res := run.CreateResultForRule(f.RuleID).WithLevel(level(f.Severity)).WithMessage(sarif.NewTextMessage(msg))
		uri := fileURI(fallbackURI(r.Target))
		if f.File != "" {
			uri = fileURI(f.File)
		}
		loc := sarif.NewPhysicalLocation().WithArtifactLocation(sarif.NewSimpleArtifactLocation(uri).WithURIBaseID("%SRCROOT%"))
		if f.File != "" && f.Line > 0 {
			reg := sarif.NewRegion().WithStartLine(f.Line)
			if f.Column > 0 {
				reg.WithStartColumn(f.Column)
			}
			loc.WithRegion(reg)
		}
		res.AddLocation(sarif.NewLocationWithPhysicalLocation(loc))
		if f.Fingerprint != "" {
			res.WithPartialFingerprints(map[string]string{"wardenFingerprint/v1": f.Fingerprint})
		}
		props := sarif.NewPropertyBag().Add("severity", f.Severity.String())
		if f.Evidence != "" {
			props.Add("evidence", f.Evidence)
		}
		if f.Commit != "" {
			props.Add("commit", f.Commit)
		}
		for k, v := range f.Properties {
			props.Add(k, v)
		}
		res.WithProperties(props)
	}
	doc.AddRun(run)
	if err := doc.Validate(); err != nil {
		return nil, fmt.Errorf("sarif: the log does not validate: %w", err)
	}
	return doc, nil
}

// fileURI is a relative URI reference for a slash path: escaped, and never
// read as a scheme ("c:x" becomes "./c:x").
func fileURI(p string) string {
	return (&url.URL{Path: p}).String()
}
