package dlp

import "testing"

// TestConformanceMessage is the message the outside contract checks: every
// sensitive value in it is found.
func TestConformanceMessage(t *testing.T) {
	e := newTestEngine(t)
	msg := "Please email jane.doe@acme-corp.com or call +1 (415) 555-0132 about card 4539 1488 0343 6467, SSN 536-22-8765. Regards, Margaret Thompson. Key: AKIAZ4TRWQ6PLM2KX7BN"
	want := map[string]Type{
		"jane.doe@acme-corp.com": Email, "+1 (415) 555-0132": Phone, "4539 1488 0343 6467": CreditCard,
		"536-22-8765": SSN, "Margaret Thompson": Person, "AKIAZ4TRWQ6PLM2KX7BN": Secret,
	}
	got := map[string]Type{}
	for _, en := range e.Scan(msg) {
		got[msg[en.Start:en.End]] = en.Type
	}
	for v, typ := range want {
		if got[v] != typ {
			t.Errorf("%q: got %q, want %q (all: %s)", v, got[v], typ, describe(e.Scan(msg), msg))
		}
	}
}

// TestSpansAreExactlyTheValue: entities cover the value and nothing next
// to it.
func TestSpansAreExactlyTheValue(t *testing.T) {
	e := newTestEngine(t)
	cases := []struct {
		text, value string
		typ         Type
	}{
		{"Call Margaret Thompson at noon", "Margaret Thompson", Person},
		{"Will Smith called", "Will Smith", Person},
		{`open https://admin:pa\ss@db.internal-corp.net/app now`, `admin:pa\ss`, URLCredentials},
		{"Write to margaret.thompson@northwind-mail.com today", "margaret.thompson@northwind-mail.com", Email},
	}
	for _, c := range cases {
		var got []string
		for _, en := range e.Scan(c.text) {
			got = append(got, string(en.Type)+":"+c.text[en.Start:en.End])
		}
		if len(got) != 1 || got[0] != string(c.typ)+":"+c.value {
			t.Errorf("%q: found %v, want exactly %s:%q", c.text, got, c.typ, c.value)
		}
	}
}

// FuzzScan: any text scans without panicking into sorted, disjoint
// entities of known types inside the text, with scores in [0, 1].
func FuzzScan(f *testing.F) {
	e, err := New(Options{PhoneRegions: []string{"US", "GB", "DE"}})
	if err != nil {
		f.Fatal(err)
	}
	for _, r := range e.recognizers {
		for _, s := range append(r.positives, r.negatives...) {
			f.Add(s)
		}
	}
	f.Fuzz(func(t *testing.T, text string) {
		last := 0
		for _, en := range e.Scan(text) {
			if en.Start < last || en.End <= en.Start || en.End > len(text) {
				t.Fatalf("entity %+v out of order or bounds (previous end %d, len %d)", en, last, len(text))
			}
			if _, err := ParseType(string(en.Type)); err != nil || en.Score < 0 || en.Score > 1 {
				t.Fatalf("entity %+v", en)
			}
			last = en.End
		}
	})
}
