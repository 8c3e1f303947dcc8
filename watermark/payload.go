package watermark

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The forensic payload, version 1:
//
//	version (1) | tag (8) | ciphertext of: time (4) | viewer tag (8) | len (1) | share id (len)
//
// The tag is an HMAC-SHA256 of the plaintext, truncated to 64 bits, and is
// also the IV of the AES-CTR encryption (the SIV construction): the payload
// is deterministic for a given mark, unreadable without the key (a copy does
// not reveal which viewer or share to someone who strips the visible mark),
// and unforgeable. 64 bits are plenty because nobody can query a verifier.
// The viewer is a keyed hash of the email, not the email, so a mark stays
// small and holds no personal data; the server records the tag with each
// view so it can be resolved.
const (
	payloadVersion = 1
	tagSize        = 8
	viewerTagSize  = 8
	maxShareID     = 64
	minPayload     = 1 + tagSize + 4 + viewerTagSize + 1 + 1
	// MaxPayload bounds every carrier's frame so readers never allocate
	// more than this per candidate.
	maxPayload = minPayload - 1 + maxShareID
)

func derive(key []byte, purpose string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("warden watermark\x00" + purpose))
	return m.Sum(nil)
}

func checkShareID(id string) error {
	if id == "" || len(id) > maxShareID {
		return fmt.Errorf("watermark: share id must be 1 to %d bytes", maxShareID)
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' {
			return fmt.Errorf("watermark: share id %q has a byte outside printable ASCII", id)
		}
	}
	return nil
}

// ViewerTag is the pseudonymous viewer id sealed in forensic marks: a keyed
// hash of the normalised email, in hex. The server records it with each view
// so Identify's answer can be matched to a person.
func (w *Watermarker) ViewerTag(email string) string {
	return hex.EncodeToString(w.viewerTag(email))
}

func (w *Watermarker) viewerTag(email string) []byte {
	m := hmac.New(sha256.New, w.mac)
	m.Write([]byte("viewer\x00" + strings.ToLower(strings.TrimSpace(email))))
	return m.Sum(nil)[:viewerTagSize]
}

// seal builds the payload for m.
func (w *Watermarker) seal(m Mark) ([]byte, error) {
	if err := m.validate(); err != nil {
		return nil, err
	}
	secs := m.Time.UTC().Unix()
	if secs < 0 || secs > 1<<32-1 {
		return nil, fmt.Errorf("watermark: time %s out of range", m.Time)
	}
	plain := make([]byte, 0, maxPayload)
	plain = binary.BigEndian.AppendUint32(plain, uint32(secs))
	plain = append(plain, w.viewerTag(m.Email)...)
	plain = append(plain, byte(len(m.ShareID)))
	plain = append(plain, m.ShareID...)
	tag := w.tag(plain)
	out := append([]byte{payloadVersion}, tag...)
	out = append(out, plain...)
	w.crypt(tag, out[1+tagSize:])
	return out, nil
}

func (w *Watermarker) tag(plain []byte) []byte {
	m := hmac.New(sha256.New, w.mac)
	m.Write([]byte{payloadVersion})
	m.Write(plain)
	return m.Sum(nil)[:tagSize]
}

func (w *Watermarker) crypt(tag, b []byte) {
	block, err := aes.NewCipher(w.enc)
	if err != nil {
		panic(err) // w.enc is always 16 bytes
	}
	var iv [aes.BlockSize]byte
	copy(iv[:], tag)
	cipher.NewCTR(block, iv[:]).XORKeyStream(b, b)
}

var errNotMark = errors.New("watermark: not a valid mark")

// open verifies and decodes a payload. It never panics on any input.
func (w *Watermarker) open(p []byte) (Found, error) {
	if len(p) < minPayload || len(p) > maxPayload || p[0] != payloadVersion {
		return Found{}, errNotMark
	}
	tag := p[1 : 1+tagSize]
	plain := append([]byte(nil), p[1+tagSize:]...)
	w.crypt(tag, plain)
	if !hmac.Equal(w.tag(plain), tag) {
		return Found{}, errNotMark
	}
	n := int(plain[4+viewerTagSize])
	id := plain[4+viewerTagSize+1:]
	if n != len(id) || checkShareID(string(id)) != nil {
		return Found{}, errNotMark
	}
	return Found{
		Time:      time.Unix(int64(binary.BigEndian.Uint32(plain)), 0).UTC(),
		ViewerTag: hex.EncodeToString(plain[4 : 4+viewerTagSize]),
		ShareID:   string(id),
	}, nil
}

// collector merges the marks recovered from one copy.
type collector struct {
	w     *Watermarker
	found []Found
}

// add verifies p and records it as found in where; it reports whether p was
// a valid mark.
func (c *collector) add(p []byte, where string) bool {
	f, err := c.w.open(p)
	if err != nil {
		return false
	}
	for i := range c.found {
		g := &c.found[i]
		if g.ShareID == f.ShareID && g.ViewerTag == f.ViewerTag && g.Time.Equal(f.Time) {
			g.Count++
			if !contains(g.Where, where) {
				g.Where = append(g.Where, where)
			}
			return true
		}
	}
	f.Where, f.Count = []string{where}, 1
	c.found = append(c.found, f)
	return true
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
