package dlp

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSkipsFindWhatAByteLoopFinds compares the word-at-a-time skips with
// the byte-at-a-time loop they stand for, on every byte value at every
// position of a word.
func TestSkipsFindWhatAByteLoopFinds(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for n := range 2000 {
		b := make([]byte, rng.IntN(40))
		for i := range b {
			b[i] = byte(rng.IntN(256))
			if n%2 == 0 {
				b[i] = "abc xyz.;\n"[rng.IntN(10)] // mostly nothing to find
			}
		}
		if len(b) > 0 && n%3 == 0 {
			b[rng.IntN(len(b))] = byte(n % 256)
		}
		s := string(b)
		for i := 0; i <= len(s); i++ {
			wantU := len(s)
			for j := len(s) - 1; j >= i; j-- {
				if isUpper(s[j]) || s[j] >= 0x80 {
					wantU = j
				}
			}
			if got := nextUpper(s, i); got != wantU {
				t.Fatalf("nextUpper(%q, %d) = %d, want %d", s, i, got, wantU)
			}
		}
		var want []int32
		for i := range len(s) {
			if isDigit(s[i]) && (i == 0 || !isDigit(s[i-1])) {
				want = append(want, int32(i))
			}
		}
		if got := digitRunStarts(s, nil); !slices.Equal(got, want) {
			t.Fatalf("digitRunStarts(%q) = %v, want %v", s, got, want)
		}
	}
}
