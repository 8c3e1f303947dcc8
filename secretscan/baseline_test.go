package secretscan

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBaselineReportsOnlyNewFindings(t *testing.T) {
	s := testScanner(t)
	old := fake(30, "AKIA", upperDigits, 16)
	before := s.ScanBytes("app.env", []byte("KEY="+old+"\n"))
	p := filepath.Join(t.TempDir(), "baseline.json")
	if err := WriteBaseline(p, before); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), old) {
		t.Fatal("the baseline file holds the secret")
	}
	bl, err := LoadBaseline(p)
	if err != nil {
		t.Fatal(err)
	}
	// The accepted secret moved down and a new one came in.
	added := fake(31, "AKIA", upperDigits, 16)
	after := s.ScanBytes("app.env", []byte("# header\n\nKEY="+old+"\nNEW="+added+"\n"))
	if len(after) != 2 {
		t.Fatalf("want two findings, got %+v", after)
	}
	fresh := bl.New(after)
	if len(fresh) != 1 || fresh[0].Line != 4 {
		t.Fatalf("want only the new secret on line 4, got %+v", fresh)
	}
}

func TestBaselineRefusesFindingsWithoutFingerprints(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"not-json.json":   "{",
		"no-fp.json":      `{"findings":[{"ruleId":"x"}]}`,
		"wrong-type.json": `{"findings":{}}`,
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadBaseline(p); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := LoadBaseline(filepath.Join(dir, "missing.json")); err == nil {
		t.Error("a missing baseline was accepted")
	}
}
