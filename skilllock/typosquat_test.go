package skilllock

import (
	"slices"
	"strings"
	"testing"
)

func TestFindSquat(t *testing.T) {
	known := []string{"weather", "summarize", "github", "notion", "obsidian", "gog", "my-internal-tool",
		"tmux", "xurl", "sag", "brave-search", "tavily-search"}
	for _, c := range []struct {
		name, target, kind string // target "" means: no finding
	}{
		// Imitations.
		{"w\u0435ather", "weather", "homoglyph"},  // Cyrillic е
		{"\u0430pple-weather", "", ""},            // Cyrillic а, but nothing it imitates
		{"g\u0456thub", "github", "homoglyph"},    // Cyrillic і
		{"\u0433\u043e\u0433", "", ""},            // Cyrillic гог: г is no Latin letter
		{"g\u03bfg", "gog", "homoglyph"},          // Greek ο in a three-letter name
		{"sumrnarize", "summarize", "homoglyph"},  // rn for m
		{"n0tion", "notion", "homoglyph"},         // digit 0 for o
		{"obsld1an", "obsidian", "homoglyph"},     // l and 1 for i
		{"ＷＥＡＴＨＥＲ", "weather", "homoglyph"},       // fullwidth
		{"Weather", "weather", "homoglyph"},       // case
		{"wea\u200bther", "weather", "homoglyph"}, // zero-width space
		{"weather_", "weather", "homoglyph"},      // trailing separator
		{"my_internal_tool", "my-internal-tool", "homoglyph"},
		{"weathr", "weather", "edit-distance"},  // deletion
		{"wetaher", "weather", "edit-distance"}, // swap
		{"githubb", "github", "edit-distance"},  // insertion
		{"my-internal-toal", "my-internal-tool", "edit-distance"},
		{"my-intrenal-tol", "my-internal-tool", "edit-distance"}, // two edits in a long name
		{"weather-x7k2", "weather", "random-suffix"},
		{"weather-10ab", "weather", "random-suffix"}, // digits that fold to letters
		{"notion_a1b2c3", "notion", "random-suffix"},
		// Regressions: short names with one digit added or one letter
		// doubled, and clones named as an edition of the real thing.
		{"tmux2", "tmux", "edit-distance"},
		{"tmuxx", "tmux", "edit-distance"},
		{"ttmux", "tmux", "edit-distance"},
		{"xurl2", "xurl", "edit-distance"},
		{"gog2", "gog", "edit-distance"},
		{"gog0", "gog", "edit-distance"}, // 0 would fold to o
		{"gogg", "gog", "edit-distance"},
		{"github-official", "github", "affix"},
		{"github-cli", "github", "affix"},
		{"weather-v2", "weather", "affix"},
		{"brave-search-pro", "brave-search", "affix"},
		{"weather-pro", "weather", "affix"}, // "pro" clones of well-known names are a known campaign pattern
		{"Notion_AI", "notion", "affix"},
		{"tavily-search-x9", "tavily-search", "random-suffix"}, // 2 characters
		{"xurl-3b", "xurl", "random-suffix"},
		// Not imitations.
		{"weather", "", ""}, // the identical name
		{"gh", "", ""},
		{"sag", "", ""}, // one edit from gog, but three letters
		{"todo", "", ""},
		{"notes", "", ""}, // three edits from notion
		{"trellis", "", ""},
		{"weather-2", "", ""}, // a plain number
		{"weather-report", "", ""},
		{"tmuxp", "", ""}, // an added letter makes another word: tmuxp is a real tool
		{"sage", "", ""},  // likewise for sag
		{"gogo", "", ""},
		{"tmu", "", ""}, // a deletion from a short name
		{"xurls", "", ""},
		{"go2", "", ""}, // too short to judge
		{"my-tool-pro", "", ""},
		{"weatherman-cli", "", ""},
		{"summarizer-plus", "", ""},
		{"my-internal-tools-v2", "", ""},
	} {
		sq, ok := FindSquat(c.name, known)
		if c.target == "" {
			if ok {
				t.Errorf("%+q: flagged as imitating %q (%s): %s", c.name, sq.Target, sq.Kind, sq.Detail)
			}
			continue
		}
		if !ok || sq.Target != c.target || sq.Kind != c.kind {
			t.Errorf("%+q: got %v %+v, want %s of %q", c.name, ok, sq, c.kind, c.target)
		}
	}
}

func TestPopularNamesDoNotImitateEachOther(t *testing.T) {
	names := PopularNames()
	if len(names) < 50 {
		t.Fatalf("only %d popular names", len(names))
	}
	for i, n := range names {
		others := slices.Delete(slices.Clone(names), i, i+1)
		if sq, ok := FindSquat(n, others); ok {
			t.Errorf("well-known %q: %s", n, sq.Detail)
		}
	}
}

func TestDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"", "abc", 3}, {"abc", "abc", 0}, {"abc", "acb", 1}, {"kitten", "sitting", 3},
		{"ca", "abc", 3},          // optimal string alignment: no edit of a swapped pair
		{"wеather", "weather", 1}, // runes, not bytes
	} {
		if got := Distance(c.a, c.b); got != c.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
		if got := Distance(c.b, c.a); got != c.want {
			t.Errorf("Distance(%q, %q) = %d, want %d (not symmetric)", c.b, c.a, got, c.want)
		}
	}
}

func TestFoldReadsConfusablesAsLatin(t *testing.T) {
	for in, want := range map[string]string{
		"wеаthеr":     "weather", // Cyrillic е а е
		"ρаypal":      "paypal",  // Greek ρ, Cyrillic а
		"rnodern":     "modem",
		"vvhisper":    "whlsper", // and i reads as l
		"Nötion":      "notlon",  // accent dropped; i folds to l
		"a__b..c  d-": "a-b-c-d",
		"αpp-ıɩǀʟ":    "app-llll", // Greek alpha, dotless i and IPA letters, as the skill scanner reads them
		"ɑьc":         "abc",
		"ΤΜUΧ-ΗΝΥΖ":   "tmux-hnyz", // Greek capitals read as the Latin capitals they look like
	} {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAllowlist(t *testing.T) {
	a, err := ReadAllowlist(strings.NewReader("# reviewed publishers\nsteipete\n  Acme-Corp  # our org\n\n(local)\n"))
	if err != nil {
		t.Fatal(err)
	}
	for pub, want := range map[string]bool{"steipete": true, "STEIPETE": true, "acme-corp": true, "": true, "stelpete": false, "local": false} {
		if got := a.Allows(pub); got != want {
			t.Errorf("Allows(%q) = %v, want %v", pub, got, want)
		}
	}
	for _, bad := range []string{"steipete evil\n", "https://clawhub.ai/x\n", "a/b\n"} {
		if _, err := ReadAllowlist(strings.NewReader(bad)); err == nil || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("%q: err %v, want a line-numbered refusal", bad, err)
		}
	}
	empty, err := ReadAllowlist(strings.NewReader("# nobody yet\n"))
	if err != nil || empty.Allows("steipete") || empty.Allows("") {
		t.Fatalf("an empty allowlist admits someone (%v)", err)
	}
}

func FuzzFindSquat(f *testing.F) {
	for _, s := range []string{"w\u0435ather", "weather-x7k2", "ＷＥＡＴＨＥＲ", "rnrn", "\xff\xfe", "a\u200b-\u0301"} {
		f.Add(s, "weather")
	}
	f.Fuzz(func(t *testing.T, name, known string) {
		sq, ok := FindSquat(name, []string{known})
		if ok && (name == known || sq.Target != known) {
			t.Fatalf("FindSquat(%q, %q) = %+v", name, known, sq)
		}
		if d, e := Distance(name, known), Distance(known, name); d != e {
			t.Fatalf("Distance not symmetric: %d %d", d, e)
		}
	})
}
