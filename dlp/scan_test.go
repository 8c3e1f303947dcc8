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
