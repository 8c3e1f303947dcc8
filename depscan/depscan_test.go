package depscan

import (
	"archive/zip"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wardenhq/warden/report"
)

const project = "testdata/project"

// fixtureDB lays testdata/osv out in a temp folder; with zipNPM the npm
// advisories are packed into npm/all.zip as OSV exports them.
func fixtureDB(t testing.TB, zipNPM bool) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir("testdata/osv", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel("testdata/osv", path)
		if zipNPM && filepath.Dir(rel) == "npm" {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		os.MkdirAll(filepath.Join(dst, filepath.Dir(rel)), 0o755)
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	if zipNPM {
		files, _ := filepath.Glob("testdata/osv/npm/*.json")
		writeZip(t, filepath.Join(dst, "npm", "all.zip"), files)
	}
	return dst
}

func writeZip(t testing.TB, path string, files []string) {
	t.Helper()
	os.MkdirAll(filepath.Dir(path), 0o755)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for _, src := range files {
		w, err := zw.Create(filepath.Base(src))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// failingTransport fails the test on any HTTP request.
type failingTransport struct{ t testing.TB }

func (f failingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	f.t.Errorf("offline scan made an HTTP request: %s %s", r.Method, r.URL)
	return nil, fmt.Errorf("no network in offline mode")
}

func scanOffline(t testing.TB, root, db string) *report.Report {
	t.Helper()
	rep, err := Scan(context.Background(), root, Options{OfflineDB: db, HTTPClient: &http.Client{Transport: failingTransport{t}}})
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	return rep
}

// want is one expected finding.
type want struct {
	file, rule, pkg, version string
	sev                      report.Severity
	fix                      string
}

// expected is every advisory finding the fixture project must produce, one
// per lockfile format and skill install kind.
var expected = []want{
	{"web/package-lock.json", "GHSA-test-lod1-0001", "lodash", "4.17.20", report.High, "upgrade lodash to ≥ 4.17.21"},
	{"yarn/yarn.lock", "GHSA-test-lod1-0001", "lodash", "4.17.20", report.High, "upgrade lodash to ≥ 4.17.21"},
	{"pnpm/pnpm-lock.yaml", "GHSA-test-mini-0003", "minimist", "1.2.5", report.Critical, "upgrade minimist to ≥ 1.2.6"},
	{"gomod/go.mod", "GO-2099-0001", "golang.org/x/text", "0.3.7", report.Medium, "upgrade golang.org/x/text to ≥ 0.3.8"},
	{"py/requirements.txt", "PYSEC-2099-1", "jinja2", "2.11.2", report.Medium, "upgrade jinja2 to ≥ 2.11.3"},
	{"poetry/poetry.lock", "PYSEC-2099-1", "Jinja2", "2.11.2", report.Medium, "upgrade Jinja2 to ≥ 2.11.3"},
	{"rust/Cargo.lock", "RUSTSEC-2099-0001", "smallvec", "1.6.0", report.Low, "upgrade smallvec to ≥ 1.6.1"},
	{"skills/weather/SKILL.md", "GHSA-test-lod1-0001", "lodash", "4.17.20", report.High, "upgrade lodash to ≥ 4.17.21"},
	{"skills/weather/SKILL.md", "GO-2099-0002", "github.com/example/tool", "1.0.0", report.Critical, "upgrade github.com/example/tool to ≥ 1.2.0"},
	{"skills/weather/SKILL.md", "PYSEC-2099-1", "Jinja2", "2.11.2", report.Medium, "upgrade Jinja2 to ≥ 2.11.3"},
}

func advisoryFindings(rep *report.Report) []report.Finding {
	var out []report.Finding
	for _, f := range rep.Findings {
		if f.Properties["vulnerability"] != "" {
			out = append(out, f)
		}
	}
	return out
}

func TestEveryLockfileFormatReportsItsVulnerablePackage(t *testing.T) {
	for _, layout := range []struct {
		name   string
		zipNPM bool
	}{{"json files", false}, {"npm/all.zip export", true}} {
		t.Run(layout.name, func(t *testing.T) {
			rep := scanOffline(t, project, fixtureDB(t, layout.zipNPM))
			got := advisoryFindings(rep)
			for _, w := range expected {
				i := slices.IndexFunc(got, func(f report.Finding) bool {
					return f.File == w.file && f.RuleID == w.rule && f.Properties["package"] == w.pkg
				})
				if i < 0 {
					t.Errorf("%s: no %s finding for %s", w.file, w.rule, w.pkg)
					continue
				}
				f := got[i]
				if f.Properties["version"] != w.version || f.Severity != w.sev || f.Fix != w.fix || f.Line <= 0 {
					t.Errorf("%s %s: version %q severity %s fix %q line %d; want %q %s %q and a line",
						w.file, w.rule, f.Properties["version"], f.Severity, f.Fix, f.Line, w.version, w.sev, w.fix)
				}
			}
			if len(got) != len(expected) {
				for _, f := range got {
					t.Logf("got %s %s %s", f.File, f.RuleID, f.Evidence)
				}
				t.Errorf("%d advisory findings, want %d", len(got), len(expected))
			}
		})
	}
}

func TestFindingsCarryAliasesFixedVersionsAndAStableFingerprint(t *testing.T) {
	db := fixtureDB(t, false)
	a, b := scanOffline(t, project, db), scanOffline(t, project, db)
	find := func(rep *report.Report, file string) report.Finding {
		for _, f := range rep.Findings {
			if f.File == file && f.RuleID == "GO-2099-0001" {
				return f
			}
		}
		t.Fatalf("no GO-2099-0001 finding in %s", file)
		return report.Finding{}
	}
	f := find(a, "gomod/go.mod")
	if f.Properties["aliases"] != "CVE-2099-0004,GHSA-test-text-0004" || f.Properties["fixed"] != "0.3.8" {
		t.Errorf("properties = %v", f.Properties)
	}
	if !strings.Contains(f.Message, "CVE-2099-0004") || f.Fingerprint == "" || f.Fingerprint != find(b, "gomod/go.mod").Fingerprint {
		t.Errorf("message %q, fingerprints %q / %q", f.Message, f.Fingerprint, find(b, "gomod/go.mod").Fingerprint)
	}
	// The same advisory on the same package in another file is another finding.
	var lodash []string
	for _, f := range a.Findings {
		if f.RuleID == "GHSA-test-lod1-0001" {
			lodash = append(lodash, f.Fingerprint)
		}
	}
	if len(slices.Compact(slices.Sorted(slices.Values(lodash)))) != 3 {
		t.Errorf("lodash fingerprints %v: want 3 distinct", lodash)
	}
}

func TestFixedWithdrawnAndUnaffectedPackagesAreNotReported(t *testing.T) {
	rep := scanOffline(t, project, fixtureDB(t, false))
	for _, f := range rep.Findings {
		switch {
		case f.File == "fixed/package-lock.json":
			t.Errorf("lodash 4.17.21 (the fixed version) reported: %s", f.Message)
		case f.RuleID == "GHSA-test-wdrn-0002":
			t.Errorf("withdrawn advisory reported: %s", f.Message)
		case slices.Contains([]string{"left-pad", "flask", "MarkupSafe", "github.com/google/uuid"}, f.Properties["package"]):
			t.Errorf("package without an advisory reported: %s", f.Message)
		case strings.HasPrefix(f.File, "node_modules/"):
			t.Errorf("node_modules was scanned: %s", f.File)
		}
	}
}

func TestOnlyTheFixedVersionIsClean(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "app"), 0o755)
	b, _ := os.ReadFile(filepath.Join(project, "fixed", "package-lock.json"))
	os.WriteFile(filepath.Join(root, "app", "package-lock.json"), b, 0o644)
	rep := scanOffline(t, root, fixtureDB(t, true))
	if len(rep.Findings) != 0 || rep.Scanned != 1 {
		t.Fatalf("findings %v, scanned %d: want none of 1", rep.Findings, rep.Scanned)
	}
}

func TestUnreadableLockfileIsAFindingAndLooseRequirementsAreListed(t *testing.T) {
	rep := scanOffline(t, project, fixtureDB(t, false))
	if !slices.ContainsFunc(rep.Findings, func(f report.Finding) bool {
		return f.RuleID == RuleUnreadable && f.File == "bad/package-lock.json" && f.Severity == report.Medium
	}) {
		t.Errorf("findings %v: want %s for bad/package-lock.json", rep.Findings, RuleUnreadable)
	}
	for _, want := range []string{
		"py/requirements.txt: 1 package(s) without an exact version not checked: requests",
	} {
		if !slices.ContainsFunc(rep.Skipped, func(s string) bool { return strings.Contains(s, want) }) {
			t.Errorf("skipped %q: want an entry containing %q", rep.Skipped, want)
		}
	}
}

func TestSkillInstallSpecs(t *testing.T) {
	rep := scanOffline(t, project, fixtureDB(t, false))
	var got []string
	for _, f := range rep.Findings {
		if f.File == "skills/weather/SKILL.md" && f.Properties["vulnerability"] == "" {
			got = append(got, fmt.Sprintf("%s %s %s line %d", f.Severity, f.RuleID, f.Evidence, f.Line))
		}
	}
	slices.Sort(got)
	want := []string{
		"info deps.not_checked brew: example/tap/wx line 16",
		"info deps.not_checked download: https://example.com/wx.tar.gz line 17",
		"low deps.unpinned_install go: github.com/example/other/cmd/o@latest line 15",
		"low deps.unpinned_install node: @example/wx-cli line 14",
	}
	if !slices.Equal(got, want) {
		t.Errorf("skill findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestInstallSpecParsing(t *testing.T) {
	for _, tc := range []struct {
		name      string
		spec      installSpec
		pkgs      []string // ecosystem name version
		finding   string   // rule id, or ""
		pinAdvice string
	}{
		{"scoped npm package pinned", installSpec{Kind: "node", Package: "@scope/cli@2.0.1"}, []string{"npm @scope/cli 2.0.1"}, "", ""},
		{"npm dist-tag is unpinned", installSpec{Kind: "node", Package: "cli@latest"}, nil, RuleUnpinned, "cli@<version>"},
		{"npm range is unpinned", installSpec{Kind: "node", Package: "cli@^1.2.3"}, nil, RuleUnpinned, "cli@<version>"},
		{"go package path tries its parent modules", installSpec{Kind: "go", Module: "github.com/a/b/cmd/c@v1.4.0"},
			[]string{"Go github.com/a/b/cmd/c 1.4.0", "Go github.com/a/b/cmd 1.4.0", "Go github.com/a/b 1.4.0", "Go github.com/a 1.4.0"}, "", ""},
		{"go without a version is unpinned", installSpec{Kind: "go", Module: "github.com/a/b"}, nil, RuleUnpinned, "github.com/a/b@v<version>"},
		{"go pseudo-version is pinned", installSpec{Kind: "go", Module: "example.com/x@v0.0.0-20240101000000-abcdef123456"}, []string{"Go example.com/x 0.0.0-20240101000000-abcdef123456"}, "", ""},
		{"uv == pin with extras", installSpec{Kind: "uv", Package: "Nano_PDF[cli]==1.2.0"}, []string{"PyPI Nano_PDF 1.2.0"}, "", ""},
		{"uv @ pin", installSpec{Kind: "uv", Package: "nano-pdf@1.2.0"}, []string{"PyPI nano-pdf 1.2.0"}, "", ""},
		{"uv lower bound is unpinned", installSpec{Kind: "uv", Package: "nano-pdf>=1.2"}, nil, RuleUnpinned, "nano-pdf==<version>"},
		{"uv wildcard is unpinned", installSpec{Kind: "uv", Package: "nano-pdf==1.*"}, nil, RuleUnpinned, "nano-pdf==<version>"},
		{"brew is not checked", installSpec{Kind: "brew", Formula: "gh"}, nil, RuleNotChecked, ""},
		{"unknown kind is ignored", installSpec{Kind: "apt", Package: "curl"}, nil, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inv := &inventory{}
			inv.addSpec(tc.spec, "SKILL.md", 3)
			var pkgs []string
			for _, p := range inv.pkgs {
				pkgs = append(pkgs, p.Ecosystem+" "+p.Name+" "+p.Version)
			}
			if !slices.Equal(pkgs, tc.pkgs) {
				t.Errorf("packages %q, want %q", pkgs, tc.pkgs)
			}
			switch {
			case tc.finding == "" && len(inv.findings) > 0:
				t.Errorf("unexpected finding %+v", inv.findings[0])
			case tc.finding != "" && (len(inv.findings) != 1 || inv.findings[0].RuleID != tc.finding):
				t.Errorf("findings %+v, want one %s", inv.findings, tc.finding)
			case tc.pinAdvice != "" && !strings.Contains(inv.findings[0].Fix, tc.pinAdvice):
				t.Errorf("fix %q, want it to say %q", inv.findings[0].Fix, tc.pinAdvice)
			}
		})
	}
}

func TestOfflineNeverUsesTheNetwork(t *testing.T) {
	// The default transport fails the test too, for any library code that
	// would reach for http.DefaultClient rather than Options.HTTPClient.
	orig := http.DefaultTransport
	http.DefaultTransport = failingTransport{t}
	t.Cleanup(func() { http.DefaultTransport = orig })
	scanOffline(t, project, fixtureDB(t, true))
}

func TestDatabaseProblemsStopTheScan(t *testing.T) {
	empty := t.TempDir()
	notZip := t.TempDir()
	os.MkdirAll(filepath.Join(notZip, "npm"), 0o755)
	os.WriteFile(filepath.Join(notZip, "npm", "all.zip"), []byte("not a zip"), 0o644)
	for name, dir := range map[string]string{
		"missing folder":  filepath.Join(t.TempDir(), "nope"),
		"no advisories":   empty,
		"corrupt all.zip": notZip,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Scan(context.Background(), project, Options{OfflineDB: dir}); err == nil {
				t.Fatal("Scan succeeded")
			}
		})
	}
	if _, err := Scan(context.Background(), filepath.Join(t.TempDir(), "nope"), Options{OfflineDB: fixtureDB(t, false)}); err == nil {
		t.Error("missing target: Scan succeeded")
	}
}

func TestBadAdvisoryIsSkippedNotFatal(t *testing.T) {
	db := fixtureDB(t, false)
	os.WriteFile(filepath.Join(db, "npm", "broken.json"), []byte(`{"id": "X", "affected": [`), 0o644)
	os.WriteFile(filepath.Join(db, "npm", "badrange.json"), []byte(`{"id": "GHSA-test-badr-0007", "affected": [{"package": {"ecosystem": "npm", "name": "lodash"}, "ranges": "no"}]}`), 0o644)
	rep := scanOffline(t, project, db)
	for _, name := range []string{"broken.json", "badrange.json"} {
		if !slices.ContainsFunc(rep.Skipped, func(s string) bool { return strings.Contains(s, name) }) {
			t.Errorf("skipped %q: want %s named", rep.Skipped, name)
		}
	}
	if len(advisoryFindings(rep)) != len(expected) {
		t.Errorf("%d advisory findings, want %d", len(advisoryFindings(rep)), len(expected))
	}
}

func TestOddVersionIsMatchedOrSkippedNotACrash(t *testing.T) {
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "requirements.txt"), []byte("jinja2===not!a!version\n"), 0o644)
	db := t.TempDir()
	os.WriteFile(filepath.Join(db, "a.json"), []byte(`{"id": "PYSEC-2099-9", "affected": [{"package": {"ecosystem": "PyPI", "name": "jinja2"},
		"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.11.3"}]}]}]}`), 0o644)
	rep := scanOffline(t, root, db)
	t.Logf("findings %v skipped %q", rep.Findings, rep.Skipped)
	if len(rep.Findings) == 0 && !slices.ContainsFunc(rep.Skipped, func(s string) bool { return strings.Contains(s, "jinja2") }) {
		t.Error("the package was neither matched nor reported as skipped")
	}
}

func TestSeverity(t *testing.T) {
	for _, tc := range []struct {
		name, record string
		want         report.Severity
	}{
		{"GHSA moderate", `{"id":"A","database_specific":{"severity":"MODERATE"}}`, report.Medium},
		{"per-package severity wins", `{"id":"A","database_specific":{"severity":"LOW"},"affected":[{"package":{"ecosystem":"npm","name":"p"},"database_specific":{"severity":"CRITICAL"}}]}`, report.Critical},
		{"CVSS 3.1 critical", `{"id":"A","severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]}`, report.Critical},
		{"CVSS 3.0 medium", `{"id":"A","severity":[{"type":"CVSS_V3","score":"CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:L/A:N"}]}`, report.Medium},
		{"CVSS 4.0 high", `{"id":"A","severity":[{"type":"CVSS_V4","score":"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N"}]}`, report.High},
		{"CVSS 2 high", `{"id":"A","severity":[{"type":"CVSS_V2","score":"AV:N/AC:L/Au:N/C:P/I:P/A:P"}]}`, report.High},
		{"highest of several vectors", `{"id":"A","severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N"},{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]}`, report.Critical},
		{"unreadable vector is unknown", `{"id":"A","severity":[{"type":"CVSS_V3","score":"CVSS:3.1/garbage"}]}`, report.Medium},
		{"nothing stated is medium", `{"id":"A"}`, report.Medium},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := newDB()
			rec := tc.record
			if !strings.Contains(rec, `"affected"`) {
				rec = strings.Replace(rec, `{"id":"A"`, `{"id":"A","affected":[{"package":{"ecosystem":"npm","name":"p"}}]`, 1)
			}
			if err := db.add([]byte(rec), map[key]bool{{"npm", "p"}: true}); err != nil {
				t.Fatal(err)
			}
			v := db.index[key{"npm", "p"}][0]
			if got := severity(v, affectedFor(v, Package{Ecosystem: "npm", Name: "p"})); got != tc.want {
				t.Errorf("severity %s, want %s", got, tc.want)
			}
		})
	}
}

func TestNextFixPicksTheFixOfTheInstalledBranch(t *testing.T) {
	for _, tc := range []struct {
		eco, version string
		fixed        []string
		want         string
	}{
		{"npm", "1.2.5", []string{"0.2.4", "1.2.6"}, "1.2.6"},
		{"npm", "0.1.0", []string{"1.2.6", "0.2.4"}, "0.2.4"},
		{"PyPI", "2.11.2", []string{"2.11.3", "3.0.0rc1"}, "2.11.3"},
		{"Go", "0.3.7", []string{"0.3.10", "0.3.8"}, "0.3.8"},
		{"npm", "9.0.0", []string{"1.2.6"}, ""},
	} {
		if got := nextFix(tc.fixed, Package{Ecosystem: tc.eco, Name: "p", Version: tc.version}); got != tc.want {
			t.Errorf("%s %s with fixes %v: %q, want %q", tc.eco, tc.version, tc.fixed, got, tc.want)
		}
	}
}

func TestReadsOSVScannersOwnCacheLayout(t *testing.T) {
	// osv-scanner keeps its downloads at <dir>/osv-scalibr/<Ecosystem>/all.zip.
	db := t.TempDir()
	files, _ := filepath.Glob("testdata/osv/npm/*.json")
	writeZip(t, filepath.Join(db, "osv-scalibr", "npm", "all.zip"), files)
	root := t.TempDir()
	b, _ := os.ReadFile(filepath.Join(project, "web", "package-lock.json"))
	os.WriteFile(filepath.Join(root, "package-lock.json"), b, 0o644)
	rep := scanOffline(t, root, db)
	if len(rep.Findings) != 1 || rep.Findings[0].RuleID != "GHSA-test-lod1-0001" {
		t.Fatalf("findings %+v", rep.Findings)
	}
}
