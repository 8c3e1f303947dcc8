package depscan

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzInstallSpecs feeds arbitrary SKILL.md text to the install-spec
// reader: it may refuse, never crash.
func FuzzInstallSpecs(f *testing.F) {
	seed, _ := os.ReadFile(filepath.Join(project, "skills", "weather", "SKILL.md"))
	f.Add(seed)
	f.Add([]byte("---\nmetadata: '{\"openclaw\": {\"install\": [{\"kind\": \"go\", \"module\": \"@\"}]}}'\n---\n"))
	f.Add([]byte("---\nmetadata:\n  openclaw:\n    install:\n      - kind: uv\n        package: 'x==[1'\n---\n"))
	f.Fuzz(func(t *testing.T, md []byte) {
		specs, err := installSpecs(md)
		if err != nil {
			return
		}
		inv := &inventory{}
		for _, s := range specs {
			inv.addSpec(s, "SKILL.md", lineOf(md, s))
		}
		for _, p := range inv.pkgs {
			if p.Name == "" || p.Version == "" || p.pkg == nil {
				t.Fatalf("package without name or version: %+v", p)
			}
		}
	})
}

// FuzzOSVRecord feeds arbitrary advisories to the database loader and the
// matcher: a hostile record is skipped or matched, never a crash.
func FuzzOSVRecord(f *testing.F) {
	files, _ := filepath.Glob("testdata/osv/*/*.json")
	for _, p := range files {
		b, _ := os.ReadFile(p)
		f.Add(b)
	}
	f.Add([]byte(`{"id":"X","affected":[{"package":{"ecosystem":"PyPI","name":"jinja2"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"last_affected":"9!x"}]}]}]}`))
	pkgs := []Package{
		skillPackage("npm", "npm", "lodash", "4.17.20", "f", 1, false),
		skillPackage("PyPI", "pypi", "jinja2", "2.11.2", "f", 1, false),
		skillPackage("Go", "golang", "golang.org/x/text", "0.3.7", "f", 1, false),
		skillPackage("crates.io", "cargo", "smallvec", "1.6.0", "f", 1, false),
	}
	f.Fuzz(func(t *testing.T, rec []byte) {
		db := newDB()
		if db.add(rec, wantedNames(pkgs)) != nil {
			return
		}
		for _, p := range pkgs {
			vulns, err := affecting(db.index[keyOf(p.Ecosystem, p.Name)], p)
			if err != nil {
				continue
			}
			for _, v := range vulns {
				aff := affectedFor(v, p)
				severity(v, aff)
				nextFix(fixedVersions(aff), p)
				advisoryRule(v)
			}
		}
	})
}
