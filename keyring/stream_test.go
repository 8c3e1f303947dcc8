package keyring

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"

	"github.com/wardenhq/warden"
)

const testBinding = "blob-0123456789abcdef"

// testPlain returns n deterministic pseudo-random bytes.
func testPlain(n int, seed byte) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{seed, 'p', 'l', 'a', 'i', 'n'}).Read(b)
	return b
}

func testKey(seed byte) []byte {
	k := make([]byte, 32)
	rand.NewChaCha8([32]byte{seed, 'k', 'e', 'y'}).Read(k)
	return k
}

// oddPieces are the sizes plaintext is written in, in turn, so writes
// straddle chunk boundaries in every possible way.
var oddPieces = []int{1, 7, 4093, ChunkSize - 3, 2, ChunkSize + 11, 13}

// sealBytes seals plain in odd-sized writes and checks the Writer's
// bookkeeping along the way.
func sealBytes(t testing.TB, plain, key []byte, binding string) []byte {
	t.Helper()
	var out bytes.Buffer
	w, err := NewWriter(&out, key, binding)
	if err != nil {
		t.Fatalf("NewWriter: %v", err)
	}
	rest := plain
	for i := 0; len(rest) > 0; i++ {
		n := min(oddPieces[i%len(oddPieces)], len(rest))
		m, err := w.Write(rest[:n])
		if err != nil || m != n {
			t.Fatalf("Write(%d bytes) = %d, %v", n, m, err)
		}
		rest = rest[n:]
	}
	if got := w.Size(); got != int64(len(plain)) {
		t.Fatalf("Writer.Size() = %d, want %d", got, len(plain))
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got, want := int64(out.Len()), SealedSize(int64(len(plain))); got != want {
		t.Fatalf("sealed %d bytes into %d, SealedSize says %d", len(plain), got, want)
	}
	return out.Bytes()
}

func openBytes(sealed []byte, size int64, key []byte, binding string) (*Reader, error) {
	return NewReader(bytes.NewReader(sealed), int64(len(sealed)), size, key, binding)
}

func mustOpen(t testing.TB, sealed []byte, size int64, key []byte) *Reader {
	t.Helper()
	r, err := openBytes(sealed, size, key, testBinding)
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	return r
}

// chunkOff is where chunk i starts in the sealed object.
func chunkOff(i int) int { return headerSize + i*(ChunkSize+tagSize) }

var roundTripSizes = []int{0, 1, ChunkSize - 1, ChunkSize, ChunkSize + 1, 3*ChunkSize + 5}

func TestSealedSizeMatchesChunkLayout(t *testing.T) {
	cases := []struct {
		n    int64
		want int64
	}{
		{0, headerSize + tagSize}, // an empty object still has one (empty, last) chunk
		{1, headerSize + tagSize + 1},
		{ChunkSize - 1, headerSize + tagSize + ChunkSize - 1},
		{ChunkSize, headerSize + tagSize + ChunkSize},
		{ChunkSize + 1, headerSize + 2*tagSize + ChunkSize + 1},
		{3*ChunkSize + 5, headerSize + 4*tagSize + 3*ChunkSize + 5},
	}
	for _, c := range cases {
		if got := SealedSize(c.n); got != c.want {
			t.Errorf("SealedSize(%d) = %d, want %d", c.n, got, c.want)
		}
	}
}

func TestWriterReaderRoundTrip(t *testing.T) {
	key := testKey(1)
	for _, n := range roundTripSizes {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			plain := testPlain(n, byte(n))
			sealed := sealBytes(t, plain, key, testBinding)
			if n >= 32 && bytes.Contains(sealed, plain[:32]) {
				t.Fatal("the sealed object contains plaintext")
			}
			r := mustOpen(t, sealed, int64(n), key)
			if r.Size() != int64(n) {
				t.Fatalf("Size() = %d, want %d", r.Size(), n)
			}
			got, err := io.ReadAll(r)
			if err != nil {
				t.Fatalf("ReadAll: %v", err)
			}
			if !bytes.Equal(got, plain) {
				t.Fatalf("round trip of %d bytes returned %d different bytes", n, len(got))
			}
		})
	}
}

func TestWriterSealsTheSamePlaintextDifferentlyEachTime(t *testing.T) {
	key, plain := testKey(1), testPlain(100, 1)
	a := sealBytes(t, plain, key, testBinding)
	b := sealBytes(t, plain, key, testBinding)
	if bytes.Equal(a, b) {
		t.Fatal("two seals of the same plaintext are identical (nonce prefix not random)")
	}
	if !bytes.Equal(a[:4], []byte("WDN1")) || a[4] != chunkShift {
		t.Fatalf("header = %x, want magic WDN1 and chunk shift %d", a[:headerSize], chunkShift)
	}
}

func TestReaderPassesIOTest(t *testing.T) {
	key := testKey(2)
	for _, n := range roundTripSizes {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			plain := testPlain(n, byte(n)+1)
			r := mustOpen(t, sealBytes(t, plain, key, testBinding), int64(n), key)
			if err := iotest.TestReader(r, plain); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestReaderReadAtArbitraryOffsets(t *testing.T) {
	const n = 3*ChunkSize + 5
	key, plain := testKey(3), testPlain(n, 3)
	r := mustOpen(t, sealBytes(t, plain, key, testBinding), n, key)
	cases := []struct {
		name    string
		off     int64
		len     int
		wantN   int
		wantEOF bool
	}{
		{"first byte", 0, 1, 1, false},
		{"first chunk whole", 0, ChunkSize, ChunkSize, false},
		{"last byte of chunk 0", ChunkSize - 1, 1, 1, false},
		{"first byte of chunk 1", ChunkSize, 1, 1, false},
		{"across boundary 0/1", ChunkSize - 3, 10, 10, false},
		{"across boundary 1/2", 2*ChunkSize - 1, 2, 2, false},
		{"spanning three chunks", ChunkSize - 1, ChunkSize + 2, ChunkSize + 2, false},
		{"into the short last chunk", 3*ChunkSize - 2, 7, 7, false},
		{"everything", 0, n, n, false},
		{"last byte", n - 1, 1, 1, false},
		{"past the end", n - 3, 10, 3, true},
		{"everything and more", 0, n + 100, n, true},
		{"at EOF", n, 1, 0, true},
		{"beyond EOF", n + ChunkSize, 5, 0, true},
		{"back to the start", 1, 5, 5, false},
		{"empty buffer", 17, 0, 0, false},
	}
	for _, c := range cases {
		p := make([]byte, c.len)
		got, err := r.ReadAt(p, c.off)
		if got != c.wantN {
			t.Errorf("%s: ReadAt(len %d, off %d) n = %d, want %d", c.name, c.len, c.off, got, c.wantN)
		}
		if c.wantEOF && err != io.EOF {
			t.Errorf("%s: ReadAt err = %v, want io.EOF", c.name, err)
		}
		if !c.wantEOF && err != nil {
			t.Errorf("%s: ReadAt err = %v", c.name, err)
		}
		if got > 0 && !bytes.Equal(p[:got], plain[c.off:c.off+int64(got)]) {
			t.Errorf("%s: ReadAt(len %d, off %d) returned wrong bytes", c.name, c.len, c.off)
		}
	}
	if _, err := r.ReadAt(make([]byte, 1), -1); err == nil {
		t.Error("ReadAt at a negative offset succeeded")
	}
}

func TestReaderSeekAndRead(t *testing.T) {
	const n = 3*ChunkSize + 5
	key, plain := testKey(4), testPlain(n, 4)
	r := mustOpen(t, sealBytes(t, plain, key, testBinding), n, key)
	steps := []struct {
		name    string
		offset  int64
		whence  int
		wantPos int64
		readLen int
		wantN   int
		wantErr error
	}{
		{"start", 0, io.SeekStart, 0, 10, 10, nil},
		{"current forward across boundary", ChunkSize - 15, io.SeekCurrent, ChunkSize - 5, 10, 10, nil},
		{"current backward", -20, io.SeekCurrent, ChunkSize - 15, 30, 30, nil},
		{"from end into last chunk", -5, io.SeekEnd, n - 5, 100, 5, nil},
		{"from end one chunk back", -ChunkSize - 5, io.SeekEnd, 2 * ChunkSize, ChunkSize + 1, ChunkSize + 1, nil},
		{"exactly at end", 0, io.SeekEnd, n, 10, 0, io.EOF},
		{"beyond end", 10, io.SeekEnd, n + 10, 10, 0, io.EOF},
		{"chunk 2 start", 2 * ChunkSize, io.SeekStart, 2 * ChunkSize, 1, 1, nil},
		{"chunk 1 middle", ChunkSize + ChunkSize/2, io.SeekStart, ChunkSize + ChunkSize/2, ChunkSize, ChunkSize, nil},
	}
	for _, s := range steps {
		pos, err := r.Seek(s.offset, s.whence)
		if err != nil || pos != s.wantPos {
			t.Fatalf("%s: Seek(%d, %d) = %d, %v; want %d", s.name, s.offset, s.whence, pos, err, s.wantPos)
		}
		p := make([]byte, s.readLen)
		got, err := r.Read(p)
		if got != s.wantN || err != s.wantErr {
			t.Fatalf("%s: Read(len %d) at %d = %d, %v; want %d, %v", s.name, s.readLen, pos, got, err, s.wantN, s.wantErr)
		}
		if !bytes.Equal(p[:got], plain[min(pos, n):min(pos, n)+int64(got)]) {
			t.Fatalf("%s: Read at %d returned wrong bytes", s.name, pos)
		}
		if cur, _ := r.Seek(0, io.SeekCurrent); cur != pos+int64(got) {
			t.Fatalf("%s: position after Read = %d, want %d", s.name, cur, pos+int64(got))
		}
	}
	if _, err := r.Seek(-1, io.SeekStart); err == nil {
		t.Error("Seek to a negative position succeeded")
	}
	if _, err := r.Seek(-n-1, io.SeekEnd); err == nil {
		t.Error("Seek before the start from the end succeeded")
	}
	if _, err := r.Seek(0, 42); err == nil {
		t.Error("Seek with a bad whence succeeded")
	}
}

func TestWriterRejectsBadKeyAndWriteAfterClose(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33, 64} {
		if _, err := NewWriter(io.Discard, make([]byte, n), testBinding); err == nil {
			t.Errorf("NewWriter with a %d-byte key succeeded", n)
		}
		if _, err := NewReader(bytes.NewReader(nil), 0, 0, make([]byte, n), testBinding); err == nil {
			t.Errorf("NewReader with a %d-byte key succeeded", n)
		}
	}
	var out bytes.Buffer
	w, err := NewWriter(&out, testKey(5), testBinding)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	sealed := bytes.Clone(out.Bytes())
	if err := w.Close(); err != nil {
		t.Fatalf("second Close = %v, want nil", err)
	}
	if n, err := w.Write([]byte("more")); err == nil || n != 0 {
		t.Fatalf("Write after Close = %d, %v; want an error", n, err)
	}
	if !bytes.Equal(out.Bytes(), sealed) {
		t.Fatal("Close or Write after Close changed the sealed output")
	}
}

func TestWriterWithoutCloseDoesNotOpen(t *testing.T) {
	const n = 2*ChunkSize + 1
	key, plain := testKey(6), testPlain(n, 6)
	var out bytes.Buffer
	w, err := NewWriter(&out, key, testBinding)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(plain); err != nil {
		t.Fatal(err)
	}
	// Without Close only the full chunks that are known not to be last were
	// written. Whatever size the reader is told, the object must not open
	// as a complete one.
	partial := out.Bytes()
	for _, size := range []int64{n, 2 * ChunkSize, ChunkSize} {
		r, err := openBytes(partial, size, key, testBinding)
		if err != nil {
			assertIntegrity(t, err)
			continue
		}
		got, err := io.ReadAll(r)
		if err == nil {
			t.Fatalf("an unclosed object opened as %d bytes", size)
		}
		assertIntegrity(t, err)
		assertPrefix(t, got, plain)
	}
}

type failingWriter struct {
	left int // bytes accepted before failing
}

var errDiskFull = errors.New("disk full")

func (f *failingWriter) Write(p []byte) (int, error) {
	if len(p) > f.left {
		n := f.left
		f.left = 0
		return n, errDiskFull
	}
	f.left -= len(p)
	return len(p), nil
}

func TestWriterReportsUnderlyingWriteErrors(t *testing.T) {
	key := testKey(7)
	if _, err := NewWriter(&failingWriter{left: 3}, key, testBinding); !errors.Is(err, errDiskFull) {
		t.Fatalf("NewWriter on a failing writer = %v, want errDiskFull", err)
	}
	w, err := NewWriter(&failingWriter{left: headerSize + 10}, key, testBinding)
	if err != nil {
		t.Fatal(err)
	}
	// The first full chunk is flushed when more data follows it.
	if _, err := w.Write(testPlain(ChunkSize+1, 7)); !errors.Is(err, errDiskFull) {
		t.Fatalf("Write = %v, want errDiskFull", err)
	}
	if _, err := w.Write([]byte("x")); !errors.Is(err, errDiskFull) {
		t.Fatalf("Write after a failed write = %v, want the same error", err)
	}
	if err := w.Close(); !errors.Is(err, errDiskFull) {
		t.Fatalf("Close after a failed write = %v, want the same error", err)
	}
}

// assertIntegrity fails unless err carries warden.EINTEGRITY.
func assertIntegrity(t testing.TB, err error) {
	t.Helper()
	if code := warden.ErrorCode(err); code != warden.EINTEGRITY {
		t.Fatalf("error %v has code %q, want %q", err, code, warden.EINTEGRITY)
	}
}

// assertPrefix fails unless got is a prefix of plain: every byte served
// before an error must be the original plaintext.
func assertPrefix(t testing.TB, got, plain []byte) {
	t.Helper()
	if len(got) > len(plain) {
		t.Fatalf("got %d bytes from a %d-byte object", len(got), len(plain))
	}
	if i := firstDiff(got, plain[:len(got)]); i >= 0 {
		t.Fatalf("byte %d returned before the error differs from the plaintext", i)
	}
}

func firstDiff(a, b []byte) int {
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return -1
}

// readAllOdd reads r to the end in odd-sized reads and returns what it
// served and the final error (nil at a clean EOF).
func readAllOdd(r io.Reader) ([]byte, error) {
	var got []byte
	buf := make([]byte, 12345)
	for {
		n, err := r.Read(buf)
		got = append(got, buf[:n]...)
		if err == io.EOF {
			return got, nil
		}
		if err != nil {
			return got, err
		}
	}
}

// tamperCase damages a sealed object of tamperSize bytes of plaintext
// (chunks 0, 1, 2 full and chunk 3 of 5 bytes).
type tamperCase struct {
	name string
	// mutate returns the damaged object and the sizes the reader is given.
	mutate  func(sealed []byte) (damaged []byte, sealedSize, size int64)
	key     []byte // nil: the right key
	binding string // "": the right binding
	// failAt is the first chunk whose read must fail, or -1 when NewReader
	// itself must fail.
	failAt int
}

const tamperSize = 3*ChunkSize + 5

func flipBit(at int, bit uint) func([]byte) ([]byte, int64, int64) {
	return func(s []byte) ([]byte, int64, int64) {
		d := bytes.Clone(s)
		d[at] ^= 1 << bit
		return d, int64(len(d)), tamperSize
	}
}

func chunkBytes(s []byte, i int) []byte {
	end := min(chunkOff(i+1), len(s))
	return s[chunkOff(i):end]
}

func tamperCases() []tamperCase {
	lastTag := func(s []byte) int { return len(s) - tagSize }
	return []tamperCase{
		{name: "header magic bit", mutate: flipBit(0, 0), failAt: -1},
		{name: "header chunk shift bit (smaller chunks)", mutate: flipBit(4, 0), failAt: -1},
		{name: "header chunk shift high bit", mutate: flipBit(4, 7), failAt: -1},
		{name: "header reserved bit", mutate: flipBit(6, 3), failAt: -1},
		{name: "header nonce prefix bit", mutate: flipBit(12, 5), failAt: -1},
		{name: "header last byte", mutate: flipBit(headerSize-1, 7), failAt: -1},
		{name: "chunk 0 ciphertext first byte", mutate: flipBit(chunkOff(0), 0), failAt: -1},
		{name: "chunk 0 ciphertext middle", mutate: flipBit(chunkOff(0)+ChunkSize/2, 4), failAt: -1},
		{name: "chunk 0 tag", mutate: flipBit(chunkOff(0)+ChunkSize, 1), failAt: -1},
		{name: "chunk 0 tag last byte", mutate: flipBit(chunkOff(1)-1, 6), failAt: -1},
		{name: "chunk 1 ciphertext", mutate: flipBit(chunkOff(1)+100, 2), failAt: 1},
		{name: "chunk 2 ciphertext last byte", mutate: flipBit(chunkOff(2)+ChunkSize-1, 0), failAt: 2},
		{name: "chunk 2 tag", mutate: flipBit(chunkOff(2)+ChunkSize+3, 7), failAt: 2},
		{name: "last chunk ciphertext", mutate: flipBit(chunkOff(3)+2, 3), failAt: 3},
		{name: "last chunk tag", mutate: func(s []byte) ([]byte, int64, int64) {
			return flipBit(lastTag(s), 0)(s)
		}, failAt: 3},
		{name: "truncated by 1 byte", mutate: func(s []byte) ([]byte, int64, int64) {
			d := s[:len(s)-1]
			return d, int64(len(d)), tamperSize
		}, failAt: -1},
		{name: "truncated by 1 byte, size claimed as before", mutate: func(s []byte) ([]byte, int64, int64) {
			return s[:len(s)-1], int64(len(s)), tamperSize
		}, failAt: 3},
		{name: "truncated by 1 byte, plaintext size adjusted", mutate: func(s []byte) ([]byte, int64, int64) {
			d := s[:len(s)-1]
			return d, int64(len(d)), tamperSize - 1
		}, failAt: 3},
		{name: "truncated by a whole chunk", mutate: func(s []byte) ([]byte, int64, int64) {
			d := s[:len(s)-(ChunkSize+tagSize)]
			return d, int64(len(d)), tamperSize
		}, failAt: -1},
		{name: "last chunk dropped, plaintext size adjusted", mutate: func(s []byte) ([]byte, int64, int64) {
			d := s[:chunkOff(3)]
			return d, int64(len(d)), 3 * ChunkSize
		}, failAt: 2},
		{name: "last two chunks dropped, plaintext size adjusted", mutate: func(s []byte) ([]byte, int64, int64) {
			d := s[:chunkOff(2)]
			return d, int64(len(d)), 2 * ChunkSize
		}, failAt: 1},
		{name: "middle chunk dropped, plaintext size adjusted", mutate: func(s []byte) ([]byte, int64, int64) {
			d := append(bytes.Clone(s[:chunkOff(1)]), s[chunkOff(2):]...)
			return d, int64(len(d)), 2*ChunkSize + 5
		}, failAt: 1},
		{name: "one byte appended", mutate: func(s []byte) ([]byte, int64, int64) {
			d := append(bytes.Clone(s), 0)
			return d, int64(len(d)), tamperSize
		}, failAt: -1},
		{name: "one byte appended, plaintext size adjusted", mutate: func(s []byte) ([]byte, int64, int64) {
			d := append(bytes.Clone(s), 0)
			return d, int64(len(d)), tamperSize + 1
		}, failAt: 3},
		{name: "a copy of chunk 1 appended, plaintext size adjusted", mutate: func(s []byte) ([]byte, int64, int64) {
			d := append(bytes.Clone(s), chunkBytes(s, 1)...)
			return d, int64(len(d)), 4*ChunkSize + 5
		}, failAt: 3},
		{name: "chunks 1 and 2 swapped", mutate: func(s []byte) ([]byte, int64, int64) {
			d := bytes.Clone(s)
			copy(d[chunkOff(1):], chunkBytes(s, 2))
			copy(d[chunkOff(2):], chunkBytes(s, 1))
			return d, int64(len(d)), tamperSize
		}, failAt: 1},
		{name: "chunks 0 and 1 swapped", mutate: func(s []byte) ([]byte, int64, int64) {
			d := bytes.Clone(s)
			copy(d[chunkOff(0):], chunkBytes(s, 1))
			copy(d[chunkOff(1):], chunkBytes(s, 0))
			return d, int64(len(d)), tamperSize
		}, failAt: -1},
		{name: "chunk 0 copied over chunk 2", mutate: func(s []byte) ([]byte, int64, int64) {
			d := bytes.Clone(s)
			copy(d[chunkOff(2):], chunkBytes(s, 0))
			return d, int64(len(d)), tamperSize
		}, failAt: 2},
		{name: "chunk 2 copied over chunk 0", mutate: func(s []byte) ([]byte, int64, int64) {
			d := bytes.Clone(s)
			copy(d[chunkOff(0):], chunkBytes(s, 2))
			return d, int64(len(d)), tamperSize
		}, failAt: -1},
		{name: "chunk 1 copied over chunk 2", mutate: func(s []byte) ([]byte, int64, int64) {
			d := bytes.Clone(s)
			copy(d[chunkOff(2):], chunkBytes(s, 1))
			return d, int64(len(d)), tamperSize
		}, failAt: 2},
		{name: "wrong data key", mutate: func(s []byte) ([]byte, int64, int64) {
			return s, int64(len(s)), tamperSize
		}, key: testKey(99), failAt: -1},
		{name: "wrong binding", mutate: func(s []byte) ([]byte, int64, int64) {
			return s, int64(len(s)), tamperSize
		}, binding: "blob-other", failAt: -1},
		{name: "binding differs only by a trailing NUL", mutate: func(s []byte) ([]byte, int64, int64) {
			return s, int64(len(s)), tamperSize
		}, binding: testBinding + "\x00", failAt: -1},
		{name: "binding with a NUL prefix", mutate: func(s []byte) ([]byte, int64, int64) {
			return s, int64(len(s)), tamperSize
		}, binding: "\x00empty", failAt: -1},
	}
}

// checkTampered opens a damaged object and reads it every way, asserting
// that the damage is reported as EINTEGRITY where the case says and that
// no byte other than original plaintext is ever served.
func checkTampered(t *testing.T, c tamperCase, sealed, plain, key []byte) {
	t.Helper()
	damaged, sealedSize, size := c.mutate(sealed)
	if c.key != nil {
		key = c.key
	}
	binding := testBinding
	if c.binding != "" {
		binding = c.binding
	}
	open := func() (*Reader, error) {
		return NewReader(bytes.NewReader(damaged), sealedSize, size, key, binding)
	}
	r, err := open()
	if c.failAt < 0 {
		if err == nil {
			got, rerr := readAllOdd(r)
			t.Fatalf("NewReader accepted the damaged object (read %d bytes, err %v)", len(got), rerr)
		}
		if r != nil {
			t.Fatal("NewReader returned a Reader along with its error")
		}
		assertIntegrity(t, err)
		return
	}
	if err != nil {
		t.Fatalf("NewReader = %v; the damage is in chunk %d and should be found when that chunk is read", err, c.failAt)
	}

	// Sequential reads deliver every byte before the damaged chunk, then fail.
	got, err := readAllOdd(r)
	if err == nil {
		t.Fatalf("Read served the damaged object to the end (%d bytes) without an error", len(got))
	}
	assertIntegrity(t, err)
	assertPrefix(t, got, plain)
	if want := c.failAt * ChunkSize; len(got) != want {
		t.Fatalf("Read served %d bytes before failing, want %d (every byte before chunk %d)", len(got), want, c.failAt)
	}
	// The error sticks.
	if n, err := r.Read(make([]byte, 10)); n != 0 || warden.ErrorCode(err) != warden.EINTEGRITY {
		t.Fatalf("Read after the failure = %d, %v; want 0 and EINTEGRITY", n, err)
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	if n, err := r.Read(make([]byte, 10)); n != 0 || warden.ErrorCode(err) != warden.EINTEGRITY {
		t.Fatalf("Read of chunk 0 after the failure = %d, %v; want 0 and EINTEGRITY", n, err)
	}

	// Range reads of the undamaged chunks before the damage still work.
	r, err = open()
	if err != nil {
		t.Fatal(err)
	}
	for i := c.failAt - 1; i >= 0; i-- {
		p := make([]byte, ChunkSize)
		n, err := r.ReadAt(p, int64(i)*ChunkSize)
		if err != nil || n != ChunkSize {
			t.Fatalf("ReadAt of undamaged chunk %d = %d, %v", i, n, err)
		}
		if !bytes.Equal(p, plain[i*ChunkSize:(i+1)*ChunkSize]) {
			t.Fatalf("ReadAt of undamaged chunk %d returned wrong bytes", i)
		}
	}
	// A read that starts in the damaged chunk serves nothing.
	p := make([]byte, 10)
	n, err := r.ReadAt(p, int64(c.failAt)*ChunkSize)
	if n != 0 || err == nil {
		t.Fatalf("ReadAt in damaged chunk %d = %d, %v; want 0 and an error", c.failAt, n, err)
	}
	assertIntegrity(t, err)

	// A read straddling into the damaged chunk serves only the good part.
	if c.failAt > 0 {
		r, err = open()
		if err != nil {
			t.Fatal(err)
		}
		off := int64(c.failAt)*ChunkSize - 7
		p := make([]byte, 20)
		n, err := r.ReadAt(p, off)
		if err == nil {
			t.Fatal("ReadAt across into the damaged chunk succeeded")
		}
		assertIntegrity(t, err)
		if n != 7 || !bytes.Equal(p[:n], plain[off:off+7]) {
			t.Fatalf("ReadAt across into the damaged chunk served %d bytes, want the 7 good ones", n)
		}
	}
}

func TestReaderTamperMatrix(t *testing.T) {
	key, plain := testKey(8), testPlain(tamperSize, 8)
	sealed := sealBytes(t, plain, key, testBinding)
	for _, c := range tamperCases() {
		t.Run(c.name, func(t *testing.T) {
			checkTampered(t, c, sealed, plain, key)
		})
	}
}

func TestReaderRejectsSplicedObjects(t *testing.T) {
	key := testKey(9)
	plainA, plainB := testPlain(tamperSize, 10), testPlain(tamperSize, 11)
	a := sealBytes(t, plainA, key, testBinding)
	b := sealBytes(t, plainB, key, testBinding) // same key, same binding
	cases := []struct {
		name   string
		obj    []byte
		failAt int
	}{
		{"header of another object", append(bytes.Clone(b[:headerSize]), a[headerSize:]...), -1},
		{"chunk 0 from another object", func() []byte {
			d := bytes.Clone(a)
			copy(d[chunkOff(0):], chunkBytes(b, 0))
			return d
		}(), -1},
		{"chunk 2 from another object", func() []byte {
			d := bytes.Clone(a)
			copy(d[chunkOff(2):], chunkBytes(b, 2))
			return d
		}(), 2},
		{"last chunk from another object", func() []byte {
			d := bytes.Clone(a)
			copy(d[chunkOff(3):], chunkBytes(b, 3))
			return d
		}(), 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			obj := c.obj
			checkTampered(t, tamperCase{
				name:   c.name,
				mutate: func([]byte) ([]byte, int64, int64) { return obj, int64(len(obj)), tamperSize },
				failAt: c.failAt,
			}, a, plainA, key)
		})
	}
}

func TestReaderTamperSmallObjects(t *testing.T) {
	key := testKey(12)
	for _, n := range []int{0, 1, ChunkSize} {
		plain := testPlain(n, byte(n))
		sealed := sealBytes(t, plain, key, testBinding)
		cases := map[string]func() ([]byte, int64, int64, []byte, string){
			"tag bit": func() ([]byte, int64, int64, []byte, string) {
				d := bytes.Clone(sealed)
				d[len(d)-1] ^= 1
				return d, int64(len(d)), int64(n), key, testBinding
			},
			"header bit": func() ([]byte, int64, int64, []byte, string) {
				d := bytes.Clone(sealed)
				d[10] ^= 0x80
				return d, int64(len(d)), int64(n), key, testBinding
			},
			"truncated by 1, sizes adjusted": func() ([]byte, int64, int64, []byte, string) {
				d := sealed[:len(sealed)-1]
				return d, int64(len(d)), int64(n) - 1, key, testBinding
			},
			"header only": func() ([]byte, int64, int64, []byte, string) {
				return sealed[:headerSize], headerSize, int64(n), key, testBinding
			},
			"empty object": func() ([]byte, int64, int64, []byte, string) {
				return nil, 0, int64(n), key, testBinding
			},
			"appended empty last chunk of another object": func() ([]byte, int64, int64, []byte, string) {
				other := sealBytes(t, nil, key, testBinding)
				d := append(bytes.Clone(sealed), other[headerSize:]...)
				return d, int64(len(d)), int64(n), key, testBinding
			},
			"negative size": func() ([]byte, int64, int64, []byte, string) {
				return sealed, int64(len(sealed)), -1, key, testBinding
			},
			"wrong key": func() ([]byte, int64, int64, []byte, string) {
				return sealed, int64(len(sealed)), int64(n), testKey(13), testBinding
			},
			"wrong binding": func() ([]byte, int64, int64, []byte, string) {
				return sealed, int64(len(sealed)), int64(n), key, "blob-x"
			},
		}
		for name, mk := range cases {
			t.Run(fmt.Sprintf("%d/%s", n, name), func(t *testing.T) {
				d, ss, size, k, b := mk()
				r, err := NewReader(bytes.NewReader(d), ss, size, k, b)
				if err == nil {
					got, rerr := readAllOdd(r)
					t.Fatalf("NewReader accepted a damaged %d-byte object (read %d bytes, err %v)", n, len(got), rerr)
				}
				assertIntegrity(t, err)
			})
		}
	}
}

// TestReaderNeverReturnsAlteredBytes flips single bits all over a sealed
// object and reads it in several ways: every flip must be caught, and
// nothing but original plaintext may be served before the error.
func TestReaderNeverReturnsAlteredBytes(t *testing.T) {
	key, plain := testKey(14), testPlain(tamperSize, 14)
	sealed := sealBytes(t, plain, key, testBinding)
	positions := []int{}
	for i := range headerSize {
		positions = append(positions, i)
	}
	for i := range 4 {
		o := chunkOff(i)
		positions = append(positions, o, o+1, min(o+ChunkSize-1, len(sealed)-tagSize-1))
		if i < 3 {
			positions = append(positions, o+ChunkSize, o+ChunkSize+tagSize-1)
		}
	}
	positions = append(positions, len(sealed)-1)
	rng := rand.New(rand.NewPCG(1, 2))
	for range 100 {
		positions = append(positions, rng.IntN(len(sealed)))
	}
	for _, pos := range positions {
		d := bytes.Clone(sealed)
		d[pos] ^= 1 << rng.UintN(8)
		r, err := openBytes(d, tamperSize, key, testBinding)
		if err != nil {
			assertIntegrity(t, err)
			continue
		}
		// Sequential reads.
		got, err := readAllOdd(r)
		if err == nil {
			t.Fatalf("flip at %d: the whole object was served without an error", pos)
		}
		assertIntegrity(t, err)
		assertPrefix(t, got, plain)

		// Range reads at random offsets on a fresh reader: each either
		// serves plaintext or fails.
		r, err = openBytes(d, tamperSize, key, testBinding)
		if err != nil {
			t.Fatalf("flip at %d: NewReader failed only the second time: %v", pos, err)
		}
		for range 8 {
			off := rng.Int64N(tamperSize)
			p := make([]byte, 1+rng.IntN(2*ChunkSize))
			n, err := r.ReadAt(p, off)
			if err != nil && err != io.EOF {
				assertIntegrity(t, err)
			}
			if i := firstDiff(p[:n], plain[off:off+int64(n)]); i >= 0 {
				t.Fatalf("flip at %d: ReadAt(off %d) served an altered byte at %d", pos, off, off+int64(i))
			}
		}
	}
}

// TestReaderReportsLaterDamageOnlyWhenRead is the design: NewReader checks
// the first chunk only, so a range read of undamaged chunks works even when
// a later chunk is damaged.
func TestReaderReportsLaterDamageOnlyWhenRead(t *testing.T) {
	key, plain := testKey(15), testPlain(tamperSize, 15)
	sealed := sealBytes(t, plain, key, testBinding)
	d := bytes.Clone(sealed)
	d[chunkOff(3)+1] ^= 0x10 // the short last chunk
	r, err := openBytes(d, tamperSize, key, testBinding)
	if err != nil {
		t.Fatalf("NewReader = %v; damage in the last chunk should not be found yet", err)
	}
	ranges := []struct{ off, n int64 }{
		{0, 100},
		{ChunkSize - 50, 100},
		{2*ChunkSize + 10, ChunkSize - 10},
		{ChunkSize, 2 * ChunkSize},
	}
	for _, rg := range ranges {
		p := make([]byte, rg.n)
		n, err := r.ReadAt(p, rg.off)
		if err != nil || int64(n) != rg.n || !bytes.Equal(p, plain[rg.off:rg.off+rg.n]) {
			t.Fatalf("ReadAt(%d, %d) of undamaged chunks = %d, %v", rg.off, rg.n, n, err)
		}
	}
	if _, err := r.Seek(ChunkSize+3, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	p := make([]byte, ChunkSize)
	if n, err := io.ReadFull(r, p); err != nil || !bytes.Equal(p[:n], plain[ChunkSize+3:2*ChunkSize+3]) {
		t.Fatalf("Read of undamaged chunks = %d, %v", n, err)
	}
	if n, err := r.ReadAt(make([]byte, 1), 3*ChunkSize); n != 0 || err == nil {
		t.Fatalf("ReadAt of the damaged last chunk = %d, %v; want an error", n, err)
	} else {
		assertIntegrity(t, err)
	}
	// After the failure the Reader refuses everything, even chunks it had
	// authenticated before.
	if n, err := r.ReadAt(make([]byte, 1), 0); n != 0 || warden.ErrorCode(err) != warden.EINTEGRITY {
		t.Fatalf("ReadAt of chunk 0 after the failure = %d, %v; want EINTEGRITY", n, err)
	}
}

// TestReaderErrorSticksEvenAtEOF: the Reader's contract is that after a
// chunk fails authentication every later read fails with EINTEGRITY, so a
// caller can never mistake a damaged object for a complete one.
func TestReaderErrorSticksEvenAtEOF(t *testing.T) {
	key, plain := testKey(16), testPlain(tamperSize, 16)
	d := sealBytes(t, plain, key, testBinding)
	d[chunkOff(2)] ^= 1
	r, err := openBytes(d, tamperSize, key, testBinding)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.ReadAt(make([]byte, 1), 2*ChunkSize); warden.ErrorCode(err) != warden.EINTEGRITY {
		t.Fatalf("ReadAt of the damaged chunk = %v", err)
	}
	if _, err := r.Seek(0, io.SeekEnd); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Read(make([]byte, 1)); warden.ErrorCode(err) != warden.EINTEGRITY {
		t.Errorf("Read at EOF after the failure = %v, want EINTEGRITY", err)
	}
	if _, err := r.ReadAt(make([]byte, 1), tamperSize); warden.ErrorCode(err) != warden.EINTEGRITY {
		t.Errorf("ReadAt at EOF after the failure = %v, want EINTEGRITY", err)
	}
}
