package warden

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCleanPathAcceptsOrdinaryPaths(t *testing.T) {
	cases := map[string]string{
		"q3.xlsx":                       "q3.xlsx",
		"reports/q3.xlsx":               "reports/q3.xlsx",
		"a/b/c/d.txt":                   "a/b/c/d.txt",
		"..hidden":                      "..hidden",
		"a/.b":                          "a/.b",
		"spaces are fine.txt":           "spaces are fine.txt",
		"e\u0301te\u0301.txt":           "\u00e9t\u00e9.txt", // NFD becomes NFC
		"日本語/ファイル.md":                   "日本語/ファイル.md",
		strings.Repeat("x", 255):        strings.Repeat("x", 255),
		"trailing dot.":                 "trailing dot.",
		"percent%2Fstays%20literal.txt": "percent%2Fstays%20literal.txt",
	}
	for in, want := range cases {
		got, err := CleanPath(in)
		if err != nil {
			t.Errorf("CleanPath(%q) = error %v", in, err)
			continue
		}
		if got != want {
			t.Errorf("CleanPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCleanPathRejectsAmbiguousOrHostilePaths(t *testing.T) {
	cases := map[string]string{
		"":                              "empty",
		"/etc/passwd":                   "leading '/'",
		"../../etc/passwd":              `".."`,
		"a/../b":                        `".."`,
		"./a":                           `"."`,
		"a/./b":                         `"."`,
		"a//b":                          "empty segment",
		"a/":                            "trailing",
		"a\x00b":                        "NUL",
		"a\nb":                          "control",
		"a\x7fb":                        "control",
		"a\u0085b":                      "control",
		"a\\b":                          "backslash",
		"..\\..\\windows":               "backslash",
		"\xff\xfe":                      "UTF-8",
		strings.Repeat("x", 256):        "segment",
		strings.Repeat("a/", 600) + "b": "longer",
		strings.Repeat("a/", 64) + "b":  "deep",
	}
	for in, wantMsg := range cases {
		_, err := CleanPath(in)
		if err == nil {
			t.Errorf("CleanPath(%q) = nil error", in)
			continue
		}
		if ErrorCode(err) != EINVALID {
			t.Errorf("CleanPath(%q) code = %s, want %s", in, ErrorCode(err), EINVALID)
		}
		if !strings.Contains(err.Error(), wantMsg) {
			t.Errorf("CleanPath(%q) = %q, want message mentioning %q", in, err, wantMsg)
		}
	}
}

func TestCleanPrefixAllowsFolderPrefix(t *testing.T) {
	for in, want := range map[string]string{"": "", "reports/": "reports/", "reports/q": "reports/q"} {
		got, err := CleanPrefix(in)
		if err != nil || got != want {
			t.Errorf("CleanPrefix(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"/", "../", "a//"} {
		if _, err := CleanPrefix(in); err == nil {
			t.Errorf("CleanPrefix(%q) accepted", in)
		}
	}
}

// FuzzCleanPath checks the invariants every accepted path keeps: it is valid
// NFC UTF-8, relative, has no dot segments, NUL, backslash or control
// characters, stays within the limits, and cleaning it again changes nothing.
func FuzzCleanPath(f *testing.F) {
	for _, s := range []string{"a/b.txt", "../x", "a//b", "/abs", "e\u0301", "a\x00", "日本/語", "a/./b", "..", "x\\y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := CleanPath(in)
		if err != nil {
			if ErrorCode(err) != EINVALID {
				t.Fatalf("CleanPath(%q): code %s", in, ErrorCode(err))
			}
			return
		}
		if !utf8.ValidString(out) || out == "" || len(out) > MaxPathLen {
			t.Fatalf("CleanPath(%q) = %q: invalid or too long", in, out)
		}
		if strings.HasPrefix(out, "/") || strings.HasSuffix(out, "/") || strings.ContainsAny(out, "\x00\\") {
			t.Fatalf("CleanPath(%q) = %q", in, out)
		}
		for _, seg := range strings.Split(out, "/") {
			if seg == "" || seg == "." || seg == ".." || len(seg) > MaxSegmentLen {
				t.Fatalf("CleanPath(%q) = %q has segment %q", in, out, seg)
			}
		}
		for _, r := range out {
			if r < 0x20 || r == 0x7f {
				t.Fatalf("CleanPath(%q) = %q has control %U", in, out, r)
			}
		}
		again, err := CleanPath(out)
		if err != nil || again != out {
			t.Fatalf("CleanPath not idempotent: %q -> %q -> %q, %v", in, out, again, err)
		}
	})
}
