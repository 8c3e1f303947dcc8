package main

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"
)

const (
	depsProject = "../../depscan/testdata/project"
	depsDB      = "../../depscan/testdata/osv"
)

// cleanDepsProject is a folder whose only lockfile pins the fixed lodash.
func cleanDepsProject(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	b, err := os.ReadFile(filepath.Join(depsProject, "fixed", "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(root, "package-lock.json"), b, 0o644)
	return root
}

func TestScanDepsExitCodes(t *testing.T) {
	// Offline runs must not need the network: any proxied request fails.
	t.Setenv("HTTPS_PROXY", "http://127.0.0.1:1")
	t.Setenv("HTTP_PROXY", "http://127.0.0.1:1")
	clean := cleanDepsProject(t)
	brewOnly := t.TempDir()
	os.WriteFile(filepath.Join(brewOnly, "SKILL.md"), []byte("---\nname: gh\nmetadata: {\"openclaw\": {\"install\": [{\"kind\": \"brew\", \"formula\": \"gh\"}]}}\n---\n# gh\n"), 0o644)
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"clean project", []string{clean, "--offline-db", depsDB}, 0, "no findings (1 packages scanned)", ""},
		{"vulnerable project", []string{depsProject, "--offline-db", depsDB}, 1, "GHSA-test-lod1-0001", "at or above low"},
		{"critical findings fail at critical", []string{depsProject, "--offline-db", depsDB, "--fail-on", "critical"}, 1, "RUSTSEC-2099-0001", "2 finding(s) at or above critical"},
		{"info findings pass at low", []string{brewOnly, "--offline-db", depsDB, "--fail-on", "low"}, 0, "deps.not_checked", ""},
		{"info findings fail at info", []string{brewOnly, "--offline-db", depsDB, "--fail-on", "info"}, 1, "deps.not_checked", ""},
		{"missing database", []string{depsProject, "--offline-db", filepath.Join(t.TempDir(), "nope")}, 2, "", "offline OSV database"},
		{"empty database", []string{depsProject, "--offline-db", t.TempDir()}, 2, "", "no OSV advisories"},
		{"missing folder", []string{filepath.Join(t.TempDir(), "nope"), "--offline-db", depsDB}, 2, "", "no such file"},
		{"bad format", []string{depsProject, "--offline-db", depsDB, "--format", "xml"}, 2, "", "--format"},
		{"bad fail-on", []string{depsProject, "--offline-db", depsDB, "--fail-on", "severe"}, 2, "", "--fail-on"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := newCLI(t, nil).run("", append([]string{"scan", "deps"}, tc.args...)...)
			if code != tc.code || !strings.Contains(out, tc.stdout) || !strings.Contains(errs, tc.stderr) {
				t.Fatalf("exit %d (want %d)\nstdout: %s\nstderr: %s", code, tc.code, out, errs)
			}
		})
	}
}

func TestScanDepsCriticalOnlyPassesWhenNothingIsCritical(t *testing.T) {
	root := t.TempDir()
	b, _ := os.ReadFile(filepath.Join(depsProject, "web", "package-lock.json"))
	os.WriteFile(filepath.Join(root, "package-lock.json"), b, 0o644)
	// lodash's fixture advisory is high: it fails at high, not at critical.
	if code, out, _ := newCLI(t, nil).run("", "scan", "deps", root, "--offline-db", depsDB, "--fail-on", "critical"); code != 0 {
		t.Fatalf("--fail-on critical: exit %d\n%s", code, out)
	}
	if code, _, _ := newCLI(t, nil).run("", "scan", "deps", root, "--offline-db", depsDB, "--fail-on", "high"); code != 1 {
		t.Fatalf("--fail-on high: exit %d", code)
	}
}

func TestScanDepsSARIFValidates(t *testing.T) {
	code, out, errs := newCLI(t, nil).run("", "scan", "deps", depsProject, "--offline-db", depsDB, "--format", "sarif")
	if code != 1 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	doc, err := sarif.FromString(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(); err != nil {
		t.Fatalf("schema: %v", err)
	}
	run := doc.Runs[0]
	rules := map[string]bool{}
	for _, r := range run.Tool.Driver.Rules {
		rules[*r.ID] = true
		if *r.ID == "GHSA-test-lod1-0001" && (r.HelpURI == nil || !strings.Contains(*r.HelpURI, "osv.dev")) {
			t.Errorf("advisory rule without an OSV link: %+v", r)
		}
	}
	for _, id := range []string{"GHSA-test-lod1-0001", "GO-2099-0001", "PYSEC-2099-1", "RUSTSEC-2099-0001", "deps.unpinned_install", "deps.not_checked"} {
		if !rules[id] {
			t.Errorf("rule %s missing from the SARIF catalogue", id)
		}
	}
	if len(run.Results) < 10 {
		t.Errorf("%d results", len(run.Results))
	}
}

func TestScanDepsJSON(t *testing.T) {
	_, out, _ := newCLI(t, nil).run("", "scan", "deps", depsProject, "--offline-db", depsDB, "--format", "json")
	var rep struct {
		Tool     string
		Findings []struct {
			RuleID      string `json:"ruleId"`
			File        string
			Fingerprint string
			Fix         string
			Properties  map[string]string
		}
		Skipped []string
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	found := false
	for _, f := range rep.Findings {
		if f.RuleID == "GO-2099-0001" && f.File == "gomod/go.mod" && f.Fix == "upgrade golang.org/x/text to ≥ 0.3.8" && f.Fingerprint != "" && f.Properties["aliases"] != "" {
			found = true
		}
	}
	if rep.Tool != "deps" || !found || len(rep.Skipped) == 0 {
		t.Fatalf("report: %s", out)
	}
}

// Regression: `scan deps projlink` on a linked project folder reported 0
// packages and exit 0.
func TestScanDepsFollowsALinkedProjectFolder(t *testing.T) {
	abs, err := filepath.Abs(depsProject)
	if err != nil {
		t.Fatal(err)
	}
	ln := filepath.Join(t.TempDir(), "projlink")
	if err := os.Symlink(abs, ln); err != nil {
		t.Skip(err)
	}
	code, out, errs := newCLI(t, nil).run("", "scan", "deps", ln, "--offline-db", depsDB)
	if code != 1 || !strings.Contains(out, "GHSA-test-lod1-0001") {
		t.Fatalf("exit %d (want 1)\n%s%s", code, out, errs)
	}
}

func TestScanDepsSARIFRecordsTheVersionNumber(t *testing.T) {
	_, out, _ := newCLI(t, nil).run("", "scan", "deps", cleanDepsProject(t), "--offline-db", depsDB, "--format", "sarif")
	doc, err := sarif.FromString(out)
	if err != nil {
		t.Fatal(err)
	}
	if v := doc.Runs[0].Tool.Driver.Version; v == nil || *v != versionNumber() {
		t.Fatalf("tool.driver.version %v, want %q (the number alone)", v, versionNumber())
	}
}

func TestParseOutputFlags(t *testing.T) {
	for _, tc := range []struct {
		format, failOn string
		ok             bool
		flag           string
	}{
		{"table", "low", true, ""},
		{"sarif", "warn", true, ""},
		{"xml", "low", false, "--format"},
		{"json", "severe", false, "--fail-on"},
	} {
		_, _, err := parseOutputFlags(tc.format, tc.failOn)
		if tc.ok != (err == nil) {
			t.Errorf("%s/%s: err %v", tc.format, tc.failOn, err)
			continue
		}
		if err == nil {
			continue
		}
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != 2 || !strings.Contains(err.Error(), tc.flag) {
			t.Errorf("%s/%s: err %v, want an exit-2 error naming %s", tc.format, tc.failOn, err, tc.flag)
		}
	}
}
