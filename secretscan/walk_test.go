package secretscan

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestScanPathsWalksFoldersAndSkipsWhatItShould(t *testing.T) {
	s := testScanner(t)
	root := t.TempDir()
	key := func(n uint64) string { return "KEY=" + fake(n, "AKIA", upperDigits, 16) + "\n" }
	writeFiles(t, root, map[string]string{
		"app/config.env":            key(40),
		"app/deep/er/settings.py":   "x = 1\n" + key(41),
		"clean.md":                  "# nothing here\n",
		".git/config":               key(42),
		"node_modules/pkg/index.js": key(43),
		"vendor/lib/x.go":           key(44),
		"image.bin":                 "\x00\x01" + key(45),
	})
	big := filepath.Join(root, "big.log")
	if err := os.WriteFile(big, []byte(strings.Repeat("a", MaxFileSize+1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, "app", "config.env"), filepath.Join(root, "link.env")); err != nil {
		t.Fatal(err)
	}
	rep, err := s.ScanPaths(context.Background(), []string{root}, Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, f := range rep.Findings {
		files = append(files, f.File)
	}
	slices.Sort(files)
	if want := []string{"app/config.env", "app/deep/er/settings.py"}; !slices.Equal(files, want) {
		t.Errorf("findings in %v, want %v", files, want)
	}
	if rep.Scanned != 3 {
		t.Errorf("scanned %d files, want 3 (two with keys and clean.md)", rep.Scanned)
	}
	if len(rep.Skipped) != 1 || !strings.HasPrefix(rep.Skipped[0], "big.log: larger than 8 MiB") {
		t.Errorf("skipped %q, want big.log alone", rep.Skipped)
	}
}

func TestScanPathsNamesFilesByTheirPathWithSeveralArguments(t *testing.T) {
	s := testScanner(t)
	root := t.TempDir()
	writeFiles(t, root, map[string]string{"a/x.env": "K=" + fake(46, "AKIA", upperDigits, 16), "b.env": "K=" + fake(47, "AKIA", upperDigits, 16)})
	rep, err := s.ScanPaths(context.Background(), []string{filepath.Join(root, "a"), filepath.Join(root, "b.env")}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, f := range rep.Findings {
		files = append(files, f.File)
	}
	slices.Sort(files)
	want := []string{filepath.ToSlash(filepath.Join(root, "a", "x.env")), filepath.ToSlash(filepath.Join(root, "b.env"))}
	if !slices.Equal(files, want) {
		t.Errorf("files %v, want %v", files, want)
	}
}

func TestScanPathsFailsOnAMissingPath(t *testing.T) {
	if _, err := testScanner(t).ScanPaths(context.Background(), []string{filepath.Join(t.TempDir(), "nope")}, Options{}); err == nil {
		t.Fatal("a missing path scanned without error")
	}
}
