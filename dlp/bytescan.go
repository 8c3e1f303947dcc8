package dlp

import "math/bits"

// Most recognizers wait for a byte of one kind — a digit, a capital
// letter — and most text holds few of them. These helpers look at eight
// bytes at a time ("SWAR": SIMD within a register), which makes a pass
// over text that has little for a recognizer several times cheaper than
// testing byte by byte.

const (
	swarLow  = 0x0101010101010101
	swarHigh = 0x8080808080808080
)

// load64 reads s[i:i+8] as a little-endian word; the compiler makes it
// one load.
func load64(s string, i int) uint64 {
	_ = s[i+7]
	return uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
		uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
}

// bytesBetween marks (with its high bit) each byte b of x with
// m < b < n; bytes from 0x80 are never marked. m and n are at most 127.
func bytesBetween(x uint64, m, n uint64) uint64 {
	low7 := x & (swarLow * 127)
	return (swarLow*(127+n) - low7) &^ x & (low7 + swarLow*(127-m)) & swarHigh
}

// nextUpper returns the index of the first byte at or after i that is an
// ASCII capital or starts a multi-byte character (which may be a capital
// beyond ASCII), or len(s).
func nextUpper(s string, i int) int {
	for ; i+8 <= len(s); i += 8 {
		// A byte's low seven bits plus 0x3f reach 0x80 from 'A' on, plus
		// 0x25 from '[' on; bytes from 0x80 are wanted whatever they hold.
		x := load64(s, i)
		low7 := x &^ swarHigh
		if ((low7+swarLow*0x3f)&^(low7+swarLow*0x25)|x)&swarHigh != 0 {
			break
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; isUpper(c) || c >= 0x80 {
			return i
		}
	}
	return len(s)
}

// containsFold reports whether s contains the lowercase word w, ASCII
// letters of s folded.
func containsFold(s, w string) bool {
	for i := 0; i+len(w) <= len(s); i++ {
		if hasLowerPrefix(s[i:], w) {
			return true
		}
	}
	return false
}

// digitRunStarts appends to out the offsets where runs of ASCII digits
// start in s. Eight bytes at a time it marks the digits, keeps the marks
// whose byte before is no digit, and reads off their positions.
func digitRunStarts(s string, out []int32) []int32 {
	var carry uint64 // the mark of the byte before the word, at bit 7
	i := 0
	for ; i+8 <= len(s); i += 8 {
		d := bytesBetween(load64(s, i), '0'-1, '9'+1)
		starts := d &^ (d<<8 | carry)
		carry = d >> 56
		for starts != 0 {
			out = append(out, int32(i+bits.TrailingZeros64(starts)/8))
			starts &= starts - 1
		}
	}
	prev := i > 0 && isDigit(s[i-1])
	for ; i < len(s); i++ {
		digit := isDigit(s[i])
		if digit && !prev {
			out = append(out, int32(i))
		}
		prev = digit
	}
	return out
}
