package skilllock

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// writeFiles writes path → content under dir, making folders as needed.
func writeFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func mustHash(t *testing.T, dir string) *Tree {
	t.Helper()
	tr, err := HashTree(dir)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestTreeDigestFollowsTheDocumentedFormat(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"SKILL.md": "---\nname: a\n---\n", "bin/run.sh": "echo hi\n"})
	if err := os.Chmod(filepath.Join(dir, "bin/run.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	sum := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
	md, sh := sum("f\x00---\nname: a\n---\n"), sum("x\x00echo hi\n")
	want := sum("warden-skill-tree-v1\nSKILL.md\x00" + md + "\nbin/run.sh\x00" + sh + "\n")
	tr := mustHash(t, dir)
	if tr.Files["SKILL.md"] != md || tr.Files["bin/run.sh"] != sh || tr.SHA256 != want {
		t.Fatalf("got %+v, want files %s %s and tree %s", tr, md, sh, want)
	}
}

func TestHashIgnoresLineEndsOrderTimesAndPermissionsButNotTheExecBit(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	writeFiles(t, a, map[string]string{"SKILL.md": "line one\nline two\n", "x/y.py": "print(1)\n", "z.txt": "z"})
	// b: CRLF line ends, files created in another order, other times and modes.
	writeFiles(t, b, map[string]string{"z.txt": "z"})
	writeFiles(t, b, map[string]string{"x/y.py": "print(1)\r\n"})
	writeFiles(t, b, map[string]string{"SKILL.md": "line one\r\nline two\r\n"})
	old := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, p := range []string{"SKILL.md", "x/y.py", "z.txt"} {
		if err := os.Chtimes(filepath.Join(b, p), old, old); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(b, "z.txt"), 0o600); err != nil {
		t.Fatal(err)
	}
	ha, hb := mustHash(t, a), mustHash(t, b)
	if ha.SHA256 != hb.SHA256 {
		t.Fatalf("same content hashed differently:\n%v\n%v", ha.Files, hb.Files)
	}
	if err := os.Chmod(filepath.Join(b, "z.txt"), 0o700); err != nil {
		t.Fatal(err)
	}
	if hx := mustHash(t, b); hx.SHA256 == ha.SHA256 || hx.Files["z.txt"] == ha.Files["z.txt"] {
		t.Fatal("making a file executable did not change its digest")
	}
}

func TestHashKeepsLoneCRAndBinaryBytes(t *testing.T) {
	for _, c := range []struct{ name, a, b string }{
		{"lone CR is not a line end", "ls\rrm -rf x\n", "ls\nrm -rf x\n"},
		{"binary CRLF is data", "\x00\x01\r\n", "\x00\x01\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			a, b := t.TempDir(), t.TempDir()
			writeFiles(t, a, map[string]string{"f": c.a})
			writeFiles(t, b, map[string]string{"f": c.b})
			if mustHash(t, a).SHA256 == mustHash(t, b).SHA256 {
				t.Fatalf("%q and %q hashed the same", c.a, c.b)
			}
		})
	}
}

func TestHashExcludesVCSFinderAndOriginButNotTheRestOfDotClawhub(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"SKILL.md": "x"})
	base := mustHash(t, dir).SHA256
	writeFiles(t, dir, map[string]string{
		".git/HEAD": "ref", ".DS_Store": "finder", "sub/.DS_Store": "finder",
		".clawhub/origin.json": `{"installedAt": 2}`, ".clawdhub/origin.json": "{}",
	})
	if got := mustHash(t, dir).SHA256; got != base {
		t.Fatal("excluded files changed the digest")
	}
	writeFiles(t, dir, map[string]string{".clawhub/payload.sh": "curl x | sh"})
	if got := mustHash(t, dir); got.SHA256 == base || got.Files[".clawhub/payload.sh"] == "" {
		t.Fatal("a file hidden in .clawhub/ was not hashed")
	}
}

func TestSymlinkIsHashedAsItsTargetAndNeverFollowed(t *testing.T) {
	dir, outside := t.TempDir(), t.TempDir()
	writeFiles(t, dir, map[string]string{"SKILL.md": "x"})
	writeFiles(t, outside, map[string]string{"secret": "one", "d/f": "inner"})
	if err := os.Symlink(filepath.Join(outside, "secret"), filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "d"), filepath.Join(dir, "dirlink")); err != nil {
		t.Fatal(err)
	}
	before := mustHash(t, dir)
	if len(before.Files) != 3 || before.Files["dirlink/f"] != "" {
		t.Fatalf("files %v: a linked folder was walked", before.Files)
	}
	writeFiles(t, outside, map[string]string{"secret": "two", "d/f": "changed"})
	if mustHash(t, dir).SHA256 != before.SHA256 {
		t.Fatal("the digest depends on what a link points to: it was followed")
	}
	os.Remove(filepath.Join(dir, "link"))
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if mustHash(t, dir).SHA256 == before.SHA256 {
		t.Fatal("pointing a link elsewhere did not change the digest")
	}
}

func TestHashRefusesTreesPastTheBounds(t *testing.T) {
	t.Run("files", func(t *testing.T) {
		dir := t.TempDir()
		for i := range MaxFiles + 1 {
			if err := os.WriteFile(filepath.Join(dir, strconv.Itoa(i)), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := HashTree(dir); !errors.Is(err, ErrLimit) {
			t.Fatalf("err %v, want ErrLimit", err)
		}
	})
	t.Run("bytes", func(t *testing.T) {
		dir := t.TempDir()
		f, err := os.Create(filepath.Join(dir, "big"))
		if err != nil {
			t.Fatal(err)
		}
		// Sparse: the size is what counts, the bytes are never read.
		if err := f.Truncate(MaxTotalBytes + 1); err != nil {
			t.Fatal(err)
		}
		f.Close()
		if _, err := HashTree(dir); !errors.Is(err, ErrLimit) {
			t.Fatalf("err %v, want ErrLimit", err)
		}
	})
}

// Regression: a file or folder named .git at any depth was left out of
// the hash, so a payload under sub/.git could change unnoticed.
func TestOnlyTheTopLevelGitFolderIsExcluded(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"SKILL.md": "x", ".git/HEAD": "ref"})
	base := mustHash(t, dir)
	for _, p := range []string{"sub/.git/hooks/run.sh", "sub/.git"} {
		t.Run(p, func(t *testing.T) {
			d := t.TempDir()
			writeFiles(t, d, map[string]string{"SKILL.md": "x", ".git/HEAD": "ref", p: "curl x | sh"})
			got := mustHash(t, d)
			if got.SHA256 == base.SHA256 || got.Files[p] == "" {
				t.Fatalf("%s was not hashed: files %v", p, got.Files)
			}
		})
	}
	writeFiles(t, dir, map[string]string{".git/objects/ab/cdef": "blob"})
	if mustHash(t, dir).SHA256 != base.SHA256 {
		t.Fatal("the top-level .git changed the digest")
	}
}

func TestLinksOutOfTheFolderAreListed(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "skill")
	writeFiles(t, dir, map[string]string{"SKILL.md": "x", "lib/a.sh": "a", "c/x": "x"})
	writeFiles(t, parent, map[string]string{"outside/helper.sh": "h"})
	for name, target := range map[string]string{
		"abs":          filepath.Join(parent, "outside", "helper.sh"),
		"abs-inside":   filepath.Join(dir, "lib", "a.sh"), // absolute, even if it names the folder itself
		"lib/up":       "../../outside/helper.sh",
		"lib/ok":       "a.sh",
		"ok2":          "lib/a.sh",
		"dangling":     "lib/none.sh", // inside by name: if created, it is hashed
		"lib/b":        "../c",        // lib/b is c, at the top
		"through-link": "lib/b/..",    // by name lib, but lib/b is c, so c/.. is the folder itself
		"escape":       "lib/b/../..", // by name ".", but through lib/b it is the parent: out
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.Symlink(filepath.FromSlash(target), p); err != nil {
			t.Skip(err)
		}
	}
	got := mustHash(t, dir).LinksOut
	var names []string
	for _, l := range got {
		names = append(names, l[:strings.Index(l, " -> ")])
	}
	if want := []string{"abs", "abs-inside", "escape", "lib/up"}; !slices.Equal(names, want) {
		t.Fatalf("links out %q, want those of %q", got, want)
	}
}
