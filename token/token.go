// Package token makes and checks Warden API tokens.
//
// A token is "wdn_<random>_<crc32>": a fixed prefix that secret scanners can
// recognise, 32 base62 characters from crypto/rand (about 190 bits), and the
// CRC-32 of everything before it as 8 hex digits, so typos and truncations are
// rejected offline without touching the store. Only a SHA-256 hash of the
// whole token is ever stored.
package token

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"hash/crc32"
	"strings"

	"github.com/wardenhq/warden"
)

// Prefix starts every Warden token.
const Prefix = "wdn_"

const (
	randomLen = 32
	crcLen    = 8
	// Len is the length of every token New makes.
	Len       = len(Prefix) + randomLen + 1 + crcLen
	alphabet  = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	hexDigits = "0123456789abcdef"
)

// New returns a fresh random token.
func New() string {
	var b strings.Builder
	b.Grow(Len)
	b.WriteString(Prefix)
	// rand.Text would do base32; base62 keeps the token short. Rejection
	// sampling avoids modulo bias: 248 = 4*62 is the largest multiple below 256.
	buf := make([]byte, 64)
	for n := 0; n < randomLen; {
		rand.Read(buf) // never fails since Go 1.24; crashes the program otherwise
		for _, c := range buf {
			if c < 248 && n < randomLen {
				b.WriteByte(alphabet[c%62])
				n++
			}
		}
	}
	body := b.String()
	return fmt.Sprintf("%s_%08x", body, crc32.ChecksumIEEE([]byte(body)))
}

// Check reports whether s is well formed: prefix, alphabet, length and
// checksum. A well-formed token may still be unknown or revoked.
func Check(s string) error {
	if len(s) != Len {
		return warden.Errorf(warden.EUNAUTHORIZED, "malformed token")
	}
	if !strings.HasPrefix(s, Prefix) || s[len(s)-crcLen-1] != '_' {
		return warden.Errorf(warden.EUNAUTHORIZED, "malformed token")
	}
	body, sum := s[:len(s)-crcLen-1], s[len(s)-crcLen:]
	for i := len(Prefix); i < len(body); i++ {
		if strings.IndexByte(alphabet, body[i]) < 0 {
			return warden.Errorf(warden.EUNAUTHORIZED, "malformed token")
		}
	}
	for i := 0; i < len(sum); i++ {
		if strings.IndexByte(hexDigits, sum[i]) < 0 {
			return warden.Errorf(warden.EUNAUTHORIZED, "malformed token")
		}
	}
	if fmt.Sprintf("%08x", crc32.ChecksumIEEE([]byte(body))) != sum {
		return warden.Errorf(warden.EUNAUTHORIZED, "malformed token (checksum)")
	}
	return nil
}

// Hash returns the value stored for a token: SHA-256 of the whole string. A
// fast hash is right here: the token has 190 random bits, so there is nothing
// to brute-force, and authentication stays one lookup.
func Hash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// Hint returns the last four random characters, to tell tokens apart in
// listings without revealing them.
func Hint(s string) string {
	if len(s) != Len {
		return ""
	}
	return s[len(s)-crcLen-5 : len(s)-crcLen-1]
}
