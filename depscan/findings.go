package depscan

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/google/osv-scalibr/semantic"
	osvpb "github.com/ossf/osv-schema/bindings/go/osvschema"
	gocvss20 "github.com/pandatix/go-cvss/20"
	gocvss30 "github.com/pandatix/go-cvss/30"
	gocvss31 "github.com/pandatix/go-cvss/31"
	gocvss40 "github.com/pandatix/go-cvss/40"

	"github.com/wardenhq/warden/report"
)

// rules is the catalogue of the non-advisory rules.
func rules() []report.Rule {
	return []report.Rule{
		{ID: RuleUnpinned, Severity: report.Low, Description: "A skill installs a package without an exact version",
			Help: "Pin the version in metadata.openclaw.install (npm name@1.2.3, go module@v1.2.3, uv name==1.2.3) so what was reviewed is what gets installed."},
		{ID: RuleUnreadable, Severity: report.Medium, Description: "A lockfile that could not be read, so its dependencies were not checked",
			Help: "Fix or regenerate the lockfile (npm install, go mod tidy, poetry lock, …); a lockfile the scanner cannot read may also be one a package manager reads differently."},
		{ID: RuleNoAdvisories, Severity: report.Medium, Description: "The offline OSV database holds no advisories for an ecosystem the project uses, so its packages were not checked",
			Help: "Add that ecosystem's export to the database: https://osv-vulnerabilities.storage.googleapis.com/<Ecosystem>/all.zip into DIR/<Ecosystem>/all.zip."},
		{ID: RuleNotChecked, Severity: report.Info, Description: "A skill install that OSV cannot check (Homebrew formula or download)",
			Help: "Review what the formula or download installs by other means; OSV has no data for it."},
	}
}

// advisoryRule describes one advisory for SARIF's rule catalogue.
func advisoryRule(v *osvpb.Vulnerability) report.Rule {
	desc := v.GetSummary()
	if desc == "" {
		desc = firstLine(v.GetDetails(), 200)
	}
	if desc == "" {
		desc = "Known vulnerability " + v.GetId()
	}
	return report.Rule{
		ID: v.GetId(), Description: desc, Severity: severity(v, nil),
		Help:    "Upgrade the package to a fixed version, or remove it.",
		HelpURI: "https://osv.dev/vulnerability/" + v.GetId(),
	}
}

func dedupeRules(rs []report.Rule) []report.Rule {
	seen := map[string]bool{}
	out := rs[:0]
	for _, r := range rs {
		if !seen[r.ID] {
			seen[r.ID] = true
			out = append(out, r)
		}
	}
	return out
}

// vulnFindings makes one finding per advisory, package, version and file.
func vulnFindings(hits []hit) []report.Finding {
	var out []report.Finding
	seen := map[string]bool{}
	for _, h := range hits {
		v, p := h.vuln, h.pkg
		if v == nil {
			continue
		}
		fp := fingerprint(v.GetId(), p.Ecosystem, p.Name, p.Version, p.File)
		if seen[fp] {
			continue
		}
		seen[fp] = true
		aff := affectedFor(v, p)
		fixed := fixedVersions(aff)
		next := nextFix(fixed, p)
		aliases := slices.Clone(v.GetAliases())
		slices.Sort(aliases)

		id := v.GetId()
		if len(aliases) > 0 {
			id += " (" + strings.Join(aliases, ", ") + ")"
		}
		msg := fmt.Sprintf("%s %s %s is affected by %s", p.Ecosystem, p.Name, p.Version, id)
		if s := v.GetSummary(); s != "" {
			msg += ": " + s
		}
		fix := fmt.Sprintf("upgrade %s to ≥ %s", p.Name, next)
		if next == "" {
			fix = fmt.Sprintf("no fixed version of %s is published: remove or replace it", p.Name)
		}
		out = append(out, report.Finding{
			RuleID:      v.GetId(),
			Severity:    severity(v, aff),
			Message:     msg,
			File:        p.File,
			Line:        p.Line,
			Evidence:    p.Name + "@" + p.Version,
			Fingerprint: fp,
			Fix:         fix,
			Properties: map[string]string{
				"vulnerability": v.GetId(),
				"aliases":       strings.Join(aliases, ","),
				"ecosystem":     p.Ecosystem,
				"package":       p.Name,
				"version":       p.Version,
				"fixed":         strings.Join(fixed, ","),
				"url":           "https://osv.dev/vulnerability/" + v.GetId(),
			},
		})
	}
	return out
}

// affectedFor is the advisory's entries for this package.
func affectedFor(v *osvpb.Vulnerability, p Package) []*osvpb.Affected {
	k := keyOf(p.Ecosystem, p.Name)
	var out []*osvpb.Affected
	for _, a := range v.GetAffected() {
		if keyOf(a.GetPackage().GetEcosystem(), a.GetPackage().GetName()) == k {
			out = append(out, a)
		}
	}
	return out
}

// fixedVersions lists every "fixed" event of the entries.
func fixedVersions(aff []*osvpb.Affected) []string {
	var out []string
	for _, a := range aff {
		for _, r := range a.GetRanges() {
			for _, e := range r.GetEvents() {
				if f := e.GetFixed(); f != "" && !slices.Contains(out, f) {
					out = append(out, f)
				}
			}
		}
	}
	return out
}

// nextFix is the lowest fixed version above the installed one, in the
// ecosystem's own ordering (osv-scalibr's semantic package); "" if none.
func nextFix(fixed []string, p Package) (next string) {
	// The ecosystem parsers panic on some malformed versions; no fix
	// advice is better than no report.
	defer func() {
		if recover() != nil {
			next = ""
		}
	}()
	installed, err := semantic.Parse(p.Version, p.Ecosystem)
	if err != nil {
		return ""
	}
	var above []semantic.Version
	var names []string
	for _, f := range fixed {
		fv, err := semantic.Parse(f, p.Ecosystem)
		if err != nil {
			continue
		}
		if c, err := installed.Compare(fv); err == nil && c < 0 {
			above = append(above, fv)
			names = append(names, f)
		}
	}
	if len(names) == 0 {
		return ""
	}
	best := 0
	for i := 1; i < len(above); i++ {
		if c, err := above[i].Compare(above[best]); err == nil && c < 0 {
			best = i
		}
	}
	return names[best]
}

// severity reads, in order: the severity the database states for the
// affected package (GHSA's "MODERATE" and the like), the advisory's, then
// the highest CVSS base score of the advisory or the package; medium when
// nothing says.
func severity(v *osvpb.Vulnerability, aff []*osvpb.Affected) report.Severity {
	for _, a := range aff {
		for _, s := range []string{
			a.GetDatabaseSpecific().GetFields()["severity"].GetStringValue(),
			a.GetEcosystemSpecific().GetFields()["severity"].GetStringValue(),
		} {
			if sev, err := report.ParseSeverity(s); s != "" && err == nil {
				return sev
			}
		}
	}
	if s := v.GetDatabaseSpecific().GetFields()["severity"].GetStringValue(); s != "" {
		if sev, err := report.ParseSeverity(s); err == nil {
			return sev
		}
	}
	scores := v.GetSeverity()
	for _, a := range aff {
		scores = append(slices.Clone(scores), a.GetSeverity()...)
	}
	best := -1.0
	for _, s := range scores {
		best = max(best, cvssScore(s))
	}
	if best < 0 {
		return report.Medium
	}
	return fromScore(best)
}

// cvssScore is the base score of a CVSS vector, -1 if it is none or
// cannot be read.
func cvssScore(s *osvpb.Severity) float64 {
	vec := s.GetScore()
	switch s.GetType() {
	case osvpb.Severity_CVSS_V2:
		if c, err := gocvss20.ParseVector(vec); err == nil {
			return c.BaseScore()
		}
	case osvpb.Severity_CVSS_V3:
		switch {
		case strings.HasPrefix(vec, "CVSS:3.0/"):
			if c, err := gocvss30.ParseVector(vec); err == nil {
				return c.BaseScore()
			}
		case strings.HasPrefix(vec, "CVSS:3.1/"):
			if c, err := gocvss31.ParseVector(vec); err == nil {
				return c.BaseScore()
			}
		}
	case osvpb.Severity_CVSS_V4:
		if c, err := gocvss40.ParseVector(vec); err == nil {
			return c.Score()
		}
	}
	return -1
}

// fromScore uses the CVSS v3 rating bands.
func fromScore(score float64) report.Severity {
	switch {
	case score >= 9:
		return report.Critical
	case score >= 7:
		return report.High
	case score >= 4:
		return report.Medium
	case score > 0:
		return report.Low
	}
	return report.Info
}

// fingerprint is stable across runs and machines: it hashes what identifies
// the finding, never where or when the scan ran.
func fingerprint(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:16])
}

func firstLine(s string, n int) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len([]rune(s)) > n {
		s = string([]rune(s)[:n]) + "…"
	}
	return s
}
