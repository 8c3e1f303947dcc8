package depscan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/google/osv-scalibr/extractor"
	"github.com/google/osv-scalibr/purl"

	"github.com/wardenhq/warden/report"
	"github.com/wardenhq/warden/scan"
)

// maxSkillMD bounds the SKILL.md read for its frontmatter.
const maxSkillMD = 4 << 20

// installSpec is one entry of metadata.openclaw.install[] in a SKILL.md
// (OpenClaw's kinds: brew, node, go, uv, download).
type installSpec struct {
	Kind    string `json:"kind" yaml:"kind"`
	Package string `json:"package" yaml:"package"` // node: npm spec; uv: PyPI requirement
	Module  string `json:"module" yaml:"module"`   // go: module or package path @version
	Formula string `json:"formula" yaml:"formula"` // brew
	URL     string `json:"url" yaml:"url"`         // download
}

var (
	// exactSemver is a version npm or Go would install as such, not a
	// range, dist-tag or branch.
	exactSemver = regexp.MustCompile(`^v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$`)
	// exactPEP440 is a PyPI version without wildcards.
	exactPEP440 = regexp.MustCompile(`^[0-9][0-9A-Za-z.!+_-]*$`)
)

// readSkill turns a SKILL.md's install specs into packages to match, and
// findings for what cannot be matched.
func (inv *inventory) readSkill(path, rel string) {
	f, _, err := openRegular(path)
	if err != nil {
		inv.findings = append(inv.findings, unreadable(rel, err.Error()))
		return
	}
	defer f.Close()
	md, err := io.ReadAll(io.LimitReader(f, maxSkillMD))
	if err != nil {
		inv.skipped = append(inv.skipped, fmt.Sprintf("%s: %v", rel, err))
		return
	}
	specs, err := installSpecs(md)
	if err != nil {
		inv.skipped = append(inv.skipped, fmt.Sprintf("%s: install specs not read: %v", rel, err))
		return
	}
	for _, s := range specs {
		inv.addSpec(s, rel, lineOf(md, s))
	}
}

// installSpecs reads metadata.openclaw.install[] through the skill
// scanner's SKILL.md reader (YAML frontmatter, JSON5 block). A SKILL.md
// without frontmatter has none (the skill scanner reports that).
func installSpecs(md []byte) ([]installSpec, error) {
	fm, err := scan.ParseFrontmatter(md)
	if errors.Is(err, scan.ErrNoFrontmatter) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	raw, ok := fm.OpenClaw["install"]
	if !ok || raw == nil {
		return nil, nil
	}
	// Round-trip through JSON to get typed specs from whatever YAML or
	// JSON5 produced.
	b, err := json.Marshal(raw)
	if err != nil {
		return nil, fmt.Errorf("metadata.openclaw.install: %v", err)
	}
	var specs []installSpec
	if err := json.Unmarshal(b, &specs); err != nil {
		return nil, fmt.Errorf("metadata.openclaw.install is not a list of install specs: %v", err)
	}
	return specs, nil
}

// addSpec records one install spec.
func (inv *inventory) addSpec(s installSpec, rel string, line int) {
	switch strings.ToLower(strings.TrimSpace(s.Kind)) {
	case "node":
		name, version := splitAt(strings.TrimSpace(s.Package))
		if name == "" {
			return
		}
		if !exactSemver.MatchString(version) {
			inv.findings = append(inv.findings, unpinned(rel, line, "node", s.Package, name+"@<version>"))
			return
		}
		inv.pkgs = append(inv.pkgs, skillPackage("npm", purl.TypeNPM, name, strings.TrimPrefix(version, "v"), rel, line, false))
	case "go":
		path, version := splitAt(strings.TrimSpace(s.Module))
		if path == "" {
			return
		}
		if !exactSemver.MatchString(version) || !strings.HasPrefix(version, "v") {
			inv.findings = append(inv.findings, unpinned(rel, line, "go", s.Module, path+"@v<version>"))
			return
		}
		// go install names a package; OSV names the module that holds
		// it, which is the path or one of its parents.
		for i, cand := range goModuleCandidates(path) {
			inv.pkgs = append(inv.pkgs, skillPackage("Go", purl.TypeGolang, cand, strings.TrimPrefix(version, "v"), rel, line, i > 0))
		}
	case "uv":
		name, version, ok := splitPyPI(strings.TrimSpace(s.Package))
		if name == "" {
			return
		}
		if !ok {
			inv.findings = append(inv.findings, unpinned(rel, line, "uv", s.Package, name+"==<version>"))
			return
		}
		inv.pkgs = append(inv.pkgs, skillPackage("PyPI", purl.TypePyPi, name, version, rel, line, false))
	case "brew":
		inv.findings = append(inv.findings, notChecked(rel, line, "brew", s.Formula, "Homebrew formulae are not in OSV"))
	case "download":
		inv.findings = append(inv.findings, notChecked(rel, line, "download", s.URL, "a downloaded file has no package identity OSV can match"))
	}
}

func skillPackage(eco, purlType, name, version, rel string, line int, alias bool) Package {
	return Package{
		Ecosystem: eco, Name: name, Version: version, File: rel, Line: line, alias: alias,
		pkg: &extractor.Package{Name: name, Version: version, PURLType: purlType, Location: extractor.LocationFromPathAndLine(rel, line)},
	}
}

// splitAt splits "name@version" where a scoped npm name starts with "@".
func splitAt(spec string) (name, version string) {
	i := strings.LastIndex(spec, "@")
	if i <= 0 {
		return spec, ""
	}
	return spec[:i], spec[i+1:]
}

// splitPyPI reads "name==1.2.3", "name[extra]==1.2.3" or "name@1.2.3" (uv
// accepts both); ok is false for anything but one exact version.
func splitPyPI(spec string) (name, version string, ok bool) {
	name, version, found := strings.Cut(spec, "==")
	if !found {
		name, version, found = strings.Cut(spec, "@")
	}
	for _, op := range []string{">", "<", "~", "!", ";", " "} {
		if i := strings.Index(name, op); i >= 0 {
			name, found = name[:i], false
		}
	}
	if i := strings.Index(name, "["); i >= 0 {
		name = name[:i]
	}
	name = strings.TrimSpace(name)
	version = strings.TrimPrefix(strings.TrimSpace(version), "=")
	ok = found && exactPEP440.MatchString(version)
	return name, version, ok
}

// goModuleCandidates is path and its parents of at least two elements,
// longest first: the module is one of them.
func goModuleCandidates(path string) []string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	var out []string
	for n := len(parts); n >= 2; n-- {
		out = append(out, strings.Join(parts[:n], "/"))
	}
	if len(out) == 0 {
		out = []string{path}
	}
	return out
}

// lineOf finds the line of the spec's value in the file, 0 if not found.
func lineOf(md []byte, s installSpec) int {
	for _, v := range []string{s.Package, s.Module, s.Formula, s.URL} {
		if v == "" {
			continue
		}
		if i := bytes.Index(md, []byte(v)); i >= 0 {
			return bytes.Count(md[:i], []byte("\n")) + 1
		}
	}
	return 0
}

func unpinned(rel string, line int, kind, value, pin string) report.Finding {
	return report.Finding{
		RuleID:   RuleUnpinned,
		Severity: report.Low,
		Message: fmt.Sprintf("the skill installs %s %q without an exact version: what it installs changes over time and cannot be checked against OSV",
			kind, value),
		File: rel, Line: line,
		Evidence:    kind + ": " + value,
		Fingerprint: fingerprint(RuleUnpinned, kind, value, rel),
		Fix:         "pin an exact version: " + pin,
		Properties:  map[string]string{"kind": kind, "spec": value},
	}
}

func notChecked(rel string, line int, kind, value, why string) report.Finding {
	return report.Finding{
		RuleID:   RuleNotChecked,
		Severity: report.Info,
		Message:  fmt.Sprintf("the skill's %s install %q is not checked for vulnerabilities: %s", kind, value, why),
		File:     rel, Line: line,
		Evidence:    kind + ": " + value,
		Fingerprint: fingerprint(RuleNotChecked, kind, value, rel),
		Properties:  map[string]string{"kind": kind, "spec": value},
	}
}
