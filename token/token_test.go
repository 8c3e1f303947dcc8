package token

import (
	"strings"
	"testing"
)

func TestNewTokensAreWellFormedAndDistinct(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		tok := New()
		if err := Check(tok); err != nil {
			t.Fatalf("Check(%q) = %v", tok, err)
		}
		if seen[tok] {
			t.Fatalf("duplicate token %q", tok)
		}
		seen[tok] = true
	}
}

func TestCheckRejectsMalformedTokens(t *testing.T) {
	good := New()
	flipped := []byte(good)
	if flipped[10] == 'a' {
		flipped[10] = 'b'
	} else {
		flipped[10] = 'a'
	}
	cases := map[string]string{
		"empty":          "",
		"bogus":          "wdn_bogus_00000000",
		"wrong prefix":   "wdx_" + good[4:],
		"one char typo":  string(flipped),
		"truncated":      good[:len(good)-1],
		"extended":       good + "0",
		"bad alphabet":   good[:5] + "-" + good[6:],
		"uppercase crc":  good[:len(good)-8] + strings.ToUpper(good[len(good)-8:]) + "",
		"no separator":   strings.Replace(good, "_", "x", 2),
		"whitespace pad": " " + good[1:],
	}
	for name, tok := range cases {
		if tok == good {
			continue // e.g. uppercase of an all-digit checksum
		}
		if err := Check(tok); err == nil {
			t.Errorf("%s: Check(%q) = nil, want error", name, tok)
		}
	}
}

func TestHintDoesNotRevealToken(t *testing.T) {
	tok := New()
	if h := Hint(tok); len(h) != 4 || !strings.Contains(tok, h) {
		t.Fatalf("Hint = %q", h)
	}
	if Hint("wdn_short") != "" {
		t.Fatal("Hint of a malformed token must be empty")
	}
}

func FuzzCheck(f *testing.F) {
	f.Add(New())
	f.Add("wdn_bogus_00000000")
	f.Add("")
	f.Add("wdn__")
	f.Fuzz(func(t *testing.T, s string) {
		if Check(s) != nil {
			return
		}
		// Whatever passes must have the exact shape New makes.
		if len(s) != Len || !strings.HasPrefix(s, Prefix) {
			t.Fatalf("Check accepted %q", s)
		}
		if Hint(s) == "" {
			t.Fatalf("Hint empty for accepted token %q", s)
		}
	})
}
