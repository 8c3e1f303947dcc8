package dlp

import (
	"strings"
	"testing"
)

// fuzzVault is a vault holding a few placeholders, including a value that
// needs escaping inside a JSON string.
func fuzzVault() *Vault {
	v := NewVault()
	v.Placeholder(Email, "margaret.thompson@example.com")
	v.Placeholder(Person, `Margaret "Maggie" Thompson`)
	v.Placeholder(Phone, "+1 (415) 555-0132")
	v.Placeholder(CreditCard, "4539 1488 0343 6467")
	v.Placeholder(Secret, "AKIAZ4TRWQ6PLM2KX7BN")
	v.Placeholder(Email, "second@example.org")
	return v
}

// splitAt cuts text into pieces at the points cuts chooses: each byte of
// cuts is the length of the next piece (0 gives an empty piece).
func splitAt(text string, cuts []byte) []string {
	var out []string
	rest := text
	for _, c := range cuts {
		if rest == "" {
			break
		}
		n := min(int(c)%17, len(rest))
		out = append(out, rest[:n])
		rest = rest[n:]
	}
	return append(out, rest)
}

// FuzzStreamRestore: text cut anywhere and pushed through a Stream comes
// out as Restore of the whole text (and as RestoreJSON for a JSON-text
// stream), and the stream never panics.
func FuzzStreamRestore(f *testing.F) {
	seeds := []struct {
		text string
		cuts []byte
	}{
		{"Hello <EMAIL_1>, call <PHONE_1>.", []byte{1, 2, 3, 4, 5, 6, 7}},
		{"<PERSON_1> wrote to <EMAIL_1> and <EMAIL_2>", []byte{3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3}},
		{"card <CREDIT_CARD_1> key <SECRET_1><EMAIL_1>", []byte{7, 7, 7, 7, 7}},
		{"<<EMAIL_1>> <EMAIL_9> <EMAIL_ <EMAIL_1", []byte{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}},
		{"4539 1488 <CREDIT_CARD_1> 0343 6467", []byte{2, 2, 2, 2, 2, 2, 2, 2, 2, 2}},
		{"-----BEGIN <PERSON_1> without end", []byte{4, 4, 4, 4}},
		{"héllo wörld <EMAIL_1>ü 日本語<PERSON_1>", []byte{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}},
		{"{\"to\":\"<EMAIL_1>\",\"body\":\"hi <PERSON_1>\"}", []byte{1, 2, 1, 2, 1, 2, 1, 2, 1, 2}},
		{"", nil},
		{"\xff\xfe<EMAIL_1>\x80 <SECRET_1>\xc3", []byte{1, 1, 1, 1, 1}},
	}
	for _, s := range seeds {
		f.Add(s.text, s.cuts)
	}
	f.Fuzz(func(t *testing.T, text string, cuts []byte) {
		if len(text) > maxHold {
			// A word longer than maxHold is released on purpose, even if a
			// placeholder straddles the release point.
			return
		}
		v := fuzzVault()
		for _, jsonText := range []bool{false, true} {
			st := NewStream(v, nil, jsonText)
			var got strings.Builder
			for _, p := range splitAt(text, cuts) {
				got.WriteString(st.Push(p))
			}
			got.WriteString(st.Flush())
			want := v.Restore(text)
			if jsonText {
				want = v.RestoreJSON(text)
			}
			if got.String() != want {
				t.Fatalf("json=%v: stream restore of %q in pieces %q\n got %q\nwant %q", jsonText, text, splitAt(text, cuts), got.String(), want)
			}
			if st.Pending() {
				t.Fatalf("json=%v: stream still holds text after Flush", jsonText)
			}
		}
	})
}
