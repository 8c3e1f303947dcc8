package secretscan

import (
	"strconv"
	"strings"
	"testing"
)

func parseAll(t testing.TB, diff string) []diffChunk {
	t.Helper()
	var out []diffChunk
	if err := parseDiff(strings.NewReader(diff), func(c diffChunk) error {
		out = append(out, c)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestParseDiffKeepsAddedLinesWithTheirNumbers(t *testing.T) {
	diff := `commit 1111111111111111111111111111111111111111
diff --git a/app.env b/app.env
new file mode 100644
index 0000000..e69de29
--- /dev/null
+++ b/app.env
@@ -0,0 +1,3 @@
+A=1
++++ looks like a header
+commit not a commit
commit 2222222222222222222222222222222222222222
diff --git a/app.env b/app.env
index e69de29..1234567 100644
--- a/app.env
+++ b/app.env
@@ -2 +2,0 @@
-++++ looks like a header
@@ -5,0 +5,2 @@ func x() {
+B=2
+C=3
\ No newline at end of file
diff --git a/gone.txt b/gone.txt
deleted file mode 100644
--- a/gone.txt
+++ /dev/null
@@ -1 +0,0 @@
-bye
diff --git "a/caf\303\251.txt" "b/caf\303\251.txt"
--- "a/caf\303\251.txt"
+++ "b/caf\303\251.txt"
@@ -0,0 +7 @@
+D=4
Binary files a/x.png and b/x.png differ
`
	got := parseAll(t, diff)
	want := []struct {
		commit, file, text string
		lines              []int
	}{
		{"1111111111111111111111111111111111111111", "app.env", "A=1\n+++ looks like a header\ncommit not a commit", []int{1, 2, 3}},
		{"2222222222222222222222222222222222222222", "app.env", "B=2\nC=3", []int{5, 6}},
		{"2222222222222222222222222222222222222222", "café.txt", "D=4", []int{7}},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d chunks: %+v", len(got), got)
	}
	for i, w := range want {
		g := got[i]
		if g.commit != w.commit || g.file != w.file || string(g.text) != w.text || len(g.lines) != len(w.lines) {
			t.Errorf("chunk %d: got %q %q %q %v, want %+v", i, g.commit, g.file, g.text, g.lines, w)
			continue
		}
		for j := range w.lines {
			if g.lines[j] != w.lines[j] {
				t.Errorf("chunk %d: lines %v, want %v", i, g.lines, w.lines)
			}
		}
	}
}

func TestParseDiffSplitsAChunkLargerThanAFile(t *testing.T) {
	line := "+" + strings.Repeat("x", 1<<20-100) + "\n"
	n := MaxFileSize/(1<<20) + 3
	diff := "diff --git a/big b/big\n+++ b/big\n@@ -0,0 +1," + strconv.Itoa(n) + " @@\n" + strings.Repeat(line, n)
	got := parseAll(t, diff)
	if len(got) < 2 {
		t.Fatalf("%d chunks, want the lines split over two or more", len(got))
	}
	total := 0
	for _, c := range got {
		if len(c.text) > MaxFileSize {
			t.Errorf("a chunk of %d bytes", len(c.text))
		}
		total += len(c.lines)
	}
	if total != n || got[1].lines[0] != len(got[0].lines)+1 {
		t.Errorf("lines lost or misnumbered across the split: %d of %d", total, n)
	}
}

func TestParseDiffCutsOverlongLines(t *testing.T) {
	diff := "+++ b/min.js\n@@ -0,0 +1,2 @@\n+" + strings.Repeat("a", 3*maxDiffLine) + "\n+second\n"
	got := parseAll(t, diff)
	if len(got) != 1 || len(got[0].lines) != 2 || !strings.HasSuffix(string(got[0].text), "\nsecond") {
		t.Fatalf("got %d chunks", len(got))
	}
	if first := strings.IndexByte(string(got[0].text), '\n'); first > maxDiffLine {
		t.Errorf("a line of %d bytes was kept", first)
	}
}

func FuzzParseDiff(f *testing.F) {
	f.Add("commit abc\ndiff --git a/x b/x\n+++ b/x\n@@ -0,0 +1,2 @@\n+a\n+b\n")
	f.Add("+++ \"b/\\303\\251\"\n@@ -1,2 +3 @@\n-x\n-y\n+z\n\\ No newline at end of file\n")
	f.Add("@@ -99999999999999999999 +1 @@\n+x\n")
	f.Add("@@ -0,0 +1,5 @@\n+a\ncommit x\n+++ b/y\n")
	f.Fuzz(func(t *testing.T, diff string) {
		err := parseDiff(strings.NewReader(diff), func(c diffChunk) error {
			if c.file == "" || len(c.lines) == 0 {
				t.Fatalf("empty chunk %+v", c)
			}
			if n := strings.Count(string(c.text), "\n") + 1; n != len(c.lines) {
				t.Fatalf("%d lines of text, %d numbers", n, len(c.lines))
			}
			if len(c.text) > MaxFileSize {
				t.Fatalf("chunk of %d bytes", len(c.text))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
