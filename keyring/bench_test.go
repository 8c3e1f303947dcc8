package keyring

import (
	"bytes"
	"io"
	"testing"
)

// The baseline for both: copying the same bytes without sealing.
const benchSize = 16 << 20

func benchData() []byte {
	b := make([]byte, benchSize)
	for i := range b {
		b[i] = byte(i * 7)
	}
	return b
}

// nopWriter discards without implementing ReaderFrom, like a file would.
type nopWriter struct{}

func (nopWriter) Write(p []byte) (int, error) { return len(p), nil }

// BenchmarkCopyBaseline moves the same bytes through a chunk-sized buffer
// without sealing: the memory traffic sealing cannot avoid.
func BenchmarkCopyBaseline(b *testing.B) {
	data, buf := benchData(), make([]byte, ChunkSize)
	b.SetBytes(benchSize)
	for b.Loop() {
		for off := 0; off < len(data); off += ChunkSize {
			copy(buf, data[off:])
			nopWriter{}.Write(buf)
		}
	}
}

func BenchmarkSeal(b *testing.B) {
	data, key := benchData(), make([]byte, 32)
	b.SetBytes(benchSize)
	for b.Loop() {
		w, _ := NewWriter(nopWriter{}, key, "blob")
		io.Copy(w, bytes.NewReader(data))
		w.Close()
	}
}

func BenchmarkOpen(b *testing.B) {
	data, key := benchData(), make([]byte, 32)
	var sealed bytes.Buffer
	w, _ := NewWriter(&sealed, key, "blob")
	w.Write(data)
	w.Close()
	src := bytes.NewReader(sealed.Bytes())
	b.SetBytes(benchSize)
	for b.Loop() {
		r, err := NewReader(src, int64(sealed.Len()), benchSize, key, "blob")
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(nopWriter{}, r)
	}
}
