package depscan

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wardenhq/warden/report"
)

func link(t *testing.T, target, name string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, name); err != nil {
		t.Skipf("symbolic links: %v", err)
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Dir(dst), 0o755)
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func hasFinding(rep *report.Report, rule, file string) bool {
	return slices.ContainsFunc(rep.Findings, func(f report.Finding) bool { return f.RuleID == rule && f.File == file })
}

// Regression: WalkDir does not follow a root that is a link, so a linked
// project folder was scanned as nothing (0 packages, exit 0).
func TestSymlinkedProjectFolderIsScannedLikeTheFolder(t *testing.T) {
	abs, err := filepath.Abs(project)
	if err != nil {
		t.Fatal(err)
	}
	ln := filepath.Join(t.TempDir(), "projlink")
	link(t, abs, ln)
	db := fixtureDB(t, false)
	direct, linked := scanOffline(t, project, db), scanOffline(t, ln, db)
	if linked.Scanned == 0 || linked.Scanned != direct.Scanned {
		t.Fatalf("linked folder: %d packages, the folder itself %d", linked.Scanned, direct.Scanned)
	}
	if got, want := len(advisoryFindings(linked)), len(advisoryFindings(direct)); got != want {
		t.Fatalf("linked folder: %d advisory findings, want %d", got, want)
	}
	if linked.Target != ln {
		t.Errorf("target %q, want the path as given, %q", linked.Target, ln)
	}
}

// Regression: a linked lockfile was only a "not scanned" line and the scan
// passed. A link that stays in the folder is read; one that leaves it, or
// dangles, is a deps.unreadable finding that fails CI.
func TestLinkedLockfilesAreReadInsideTheFolderAndFindingsOtherwise(t *testing.T) {
	root := filepath.Join(t.TempDir(), "proj")
	outside := filepath.Join(filepath.Dir(root), "outside", "package-lock.json")
	copyFile(t, "testdata/project/web/package-lock.json", filepath.Join(root, "real", "package-lock.json"))
	copyFile(t, "testdata/project/web/package-lock.json", outside)
	copyFile(t, "testdata/project/skills/weather/SKILL.md", filepath.Join(root, "skills", "real", "SKILL.md"))
	link(t, "../real/package-lock.json", filepath.Join(root, "inside", "package-lock.json"))
	link(t, "../../outside/package-lock.json", filepath.Join(root, "out", "package-lock.json"))
	link(t, outside, filepath.Join(root, "abs", "package-lock.json"))
	link(t, "../nowhere.json", filepath.Join(root, "dangling", "package-lock.json"))
	link(t, "../real/SKILL.md", filepath.Join(root, "skills", "linked", "SKILL.md"))
	rep := scanOffline(t, root, fixtureDB(t, false))

	var lodash []string
	for _, f := range advisoryFindings(rep) {
		if f.Properties["package"] == "lodash" {
			lodash = append(lodash, f.File)
		}
	}
	slices.Sort(lodash)
	if want := []string{"inside/package-lock.json", "real/package-lock.json", "skills/linked/SKILL.md", "skills/real/SKILL.md"}; !slices.Equal(lodash, want) {
		t.Errorf("lodash found in %q, want %q", lodash, want)
	}
	for _, f := range []string{"out/package-lock.json", "abs/package-lock.json", "dangling/package-lock.json"} {
		if !hasFinding(rep, RuleUnreadable, f) {
			t.Errorf("%s: no %s finding; findings %v", f, RuleUnreadable, rep.Findings)
		}
	}
	if hasFinding(rep, RuleUnreadable, "inside/package-lock.json") {
		t.Error("a link inside the folder was reported unreadable")
	}
	for _, f := range rep.Findings {
		if strings.Contains(f.Message, "outside/package-lock.json") && f.Properties["package"] != "" {
			t.Errorf("read a lockfile outside the scanned folder: %v", f)
		}
	}
}

// Regression: an offline database with npm alone matched a Python project
// against nothing and passed it, saying nothing.
func TestOfflineDatabaseWithoutAnEcosystemSaysSo(t *testing.T) {
	db := t.TempDir()
	files, _ := filepath.Glob("testdata/osv/npm/*.json")
	writeZip(t, filepath.Join(db, "npm", "all.zip"), files)
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "requirements.txt"), []byte("requests==2.0.0\n"), 0o644)
	copyFile(t, "testdata/project/web/package-lock.json", filepath.Join(root, "web", "package-lock.json"))
	rep := scanOffline(t, root, db)

	var got []report.Finding
	for _, f := range rep.Findings {
		if f.RuleID == RuleNoAdvisories {
			got = append(got, f)
		}
	}
	if len(got) != 1 {
		t.Fatalf("%d %s findings, want one, for PyPI: %v", len(got), RuleNoAdvisories, got)
	}
	f := got[0]
	if f.Severity != report.Medium || f.File != "requirements.txt" || f.Properties["ecosystem"] != "PyPI" ||
		!strings.Contains(f.Message, "PyPI") || !strings.Contains(f.Fix, "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip") ||
		!strings.Contains(f.Fix, filepath.Join(db, "PyPI", "all.zip")) {
		t.Errorf("finding %+v: want a medium PyPI finding naming the file and where to get PyPI/all.zip", f)
	}
	if !rep.Fails(report.Medium) {
		t.Error("a scan that checked nothing of an ecosystem passes --fail-on medium")
	}
	// With the ecosystem in the database, the finding goes away.
	copyFile(t, "testdata/osv/PyPI/PYSEC-2099-1.json", filepath.Join(db, "PyPI", "PYSEC-2099-1.json"))
	if rep := scanOffline(t, root, db); hasFinding(rep, RuleNoAdvisories, "requirements.txt") {
		t.Errorf("PyPI records present, still reported: %v", rep.Findings)
	}
}
