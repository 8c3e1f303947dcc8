package secretscan

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAllowlistSkipsPathsRegexesAndFingerprints(t *testing.T) {
	base := testScanner(t)
	aws := fake(20, "AKIA", upperDigits, 16)
	stripe := fake(21, "sk_live_", alnum, 30)
	text := []byte("A=" + aws + "\nB=\"" + stripe + "\"\n")
	all := base.ScanBytes("config/app.env", text)
	if len(all) != 2 {
		t.Fatalf("want two findings without an allowlist, got %+v", all)
	}
	awsFP := all[0].Fingerprint
	cases := []struct {
		name, list, path string
		want             int
	}{
		{"no entries", "# nothing\n\n", "config/app.env", 2},
		{"folder glob", "path: config/**", "config/app.env", 0},
		{"glob elsewhere", "path: testdata/**", "config/app.env", 2},
		{"base name glob", "path: *.env", "deep/er/app.env", 0},
		{"folder name anywhere", "path: fixtures", "a/fixtures/b/app.env", 0},
		{"regex on the secret", "regex: ^sk_live_", "config/app.env", 1},
		{"one fingerprint", "fingerprint: " + awsFP, "config/app.env", 1},
		{"fingerprint of another file", "fingerprint: " + awsFP, "config/other.env", 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, err := ParseAllowlist([]byte(c.list))
			if err != nil {
				t.Fatal(err)
			}
			s := &Scanner{engine: base.engine, rules: base.rules, allowlist: a}
			if got := s.ScanBytes(c.path, text); len(got) != c.want {
				t.Errorf("%d findings, want %d: %+v", len(got), c.want, got)
			}
		})
	}
}

func TestAllowlistRejectsWhatItCannotRead(t *testing.T) {
	for _, list := range []string{
		"paths: config/**",      // unknown entry
		"config/**",             // no kind
		"regex: (unclosed",      // bad expression
		"path: [",               // bad glob
		"fingerprint:",          // no value
		"ok: x\npath: config/*", // first line wrong
	} {
		if _, err := ParseAllowlist([]byte(list)); err == nil {
			t.Errorf("%q: accepted", list)
		} else if !strings.Contains(err.Error(), "line ") {
			t.Errorf("%q: error %q does not say which line", list, err)
		}
	}
}

func TestLoadAllowlistNamesTheFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), AllowlistFile)
	if err := os.WriteFile(p, []byte("bogus\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadAllowlist(p); err == nil || !strings.Contains(err.Error(), p) {
		t.Fatalf("error %v should name %s", err, p)
	}
}

func TestGlobMatch(t *testing.T) {
	for _, c := range []struct {
		glob, path string
		want       bool
	}{
		{"docs/**", "docs/a/b.md", true},
		{"docs/**", "src/docs.md", false},
		{"docs/", "docs/x", true},
		{"**/test_*.py", "a/b/test_x.py", true},
		{"**/test_*.py", "test_x.py", true},
		{"src/*.go", "src/a.go", true},
		{"src/*.go", "src/x/a.go", false},
		{"*.pem", "keys/dev.pem", true},
		{"./cfg/dev.env", "cfg/dev.env", true},
	} {
		if got := globMatch(c.glob, c.path); got != c.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", c.glob, c.path, got, c.want)
		}
	}
}
