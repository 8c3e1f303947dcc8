package keyring

import (
	"bytes"
	"io"
	"testing"
)

// FuzzReader feeds arbitrary bytes to the sealed-object reader as if they
// came from disk. It must never panic, and it may only ever return the
// original plaintext: anything else must fail.
func FuzzReader(f *testing.F) {
	key := bytes.Repeat([]byte{7}, 32)
	plain := bytes.Repeat([]byte("warden"), 1400) // three 4 KiB chunks
	var sealed bytes.Buffer
	w, _ := newWriter(&sealed, key, "blob", minShift)
	w.Write(plain)
	w.Close()
	f.Add(sealed.Bytes(), int64(len(plain)))
	f.Add(sealed.Bytes()[:100], int64(len(plain)))
	f.Add([]byte("WDN1"), int64(0))
	f.Fuzz(func(t *testing.T, obj []byte, size int64) {
		r, err := NewReader(bytes.NewReader(obj), int64(len(obj)), size, key, "blob")
		if err != nil {
			return
		}
		got, err := io.ReadAll(r)
		if err != nil {
			if !bytes.Equal(got, plain[:min(len(got), len(plain))]) {
				t.Fatalf("returned %d bytes that are not the original before failing", len(got))
			}
			return
		}
		if !bytes.Equal(got, plain) {
			t.Fatalf("accepted a forged object: %d bytes", len(got))
		}
	})
}
