package keyring

import (
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/wardenhq/warden"
)

// Sealed content format. A header, then the plaintext in chunks of
// ChunkSize bytes, each sealed with AES-256-GCM under the version's data key:
//
//	header:  "WDN1" | chunk shift (1) | reserved (4) | nonce prefix (7)   = 16 bytes
//	chunk i: ciphertext (ChunkSize bytes, the last may be shorter) | tag (16)
//
// Chunk i's nonce is prefix || uint32(i) || last, where last is 1 only on the
// final chunk (the STREAM construction): chunks cannot be reordered, dropped
// or appended without failing authentication, and truncation after a full
// chunk is caught because no chunk is marked last. Each chunk's additional
// data is the caller's binding (the blob id) plus the header, so a header or
// chunk moved between objects fails too. Because every chunk stands alone, a
// range read decrypts only the chunks it touches.
const (
	magic      = "WDN1"
	headerSize = 16
	chunkShift = 16
	minShift   = 12 // 4 KiB: the smallest chunk a reader accepts
	maxShift   = 24 // 16 MiB: the largest, which bounds a reader's buffers
	// ChunkSize is the plaintext size of every chunk but the last.
	ChunkSize = 1 << chunkShift
	tagSize   = 16
	// MaxChunks bounds a sealed object: the counter is 32 bits.
	maxChunks = 1<<32 - 1
)

// SealedSize returns the stored size of a plaintext of n bytes.
func SealedSize(n int64) int64 {
	return headerSize + chunks(n, ChunkSize)*tagSize + n
}

func chunks(n int64, cs int64) int64 {
	if n == 0 {
		return 1
	}
	return (n + cs - 1) / cs
}

// Writer seals a stream of plaintext. Close must be called to seal the last
// chunk; without it the object does not open.
type Writer struct {
	w      io.Writer
	aead   cipher.AEAD
	aad    []byte
	cs     int
	nonce  [12]byte
	buf    []byte // plaintext of the pending chunk
	out    []byte
	n      uint32
	size   int64
	err    error
	closed bool
}

// NewWriter returns a Writer that seals into w under key, bound to binding
// (the blob id).
func NewWriter(w io.Writer, key []byte, binding string) (*Writer, error) {
	return newWriter(w, key, binding, chunkShift)
}

// newWriter seals with chunks of 1<<shift bytes. Readers take the chunk size
// from the header; Warden writes ChunkSize, tests write smaller chunks to
// keep fuzz inputs small.
func newWriter(w io.Writer, key []byte, binding string, shift uint8) (*Writer, error) {
	if len(key) != 32 {
		return nil, errors.New("seal: data key must be 32 bytes")
	}
	if shift < minShift || shift > maxShift {
		return nil, errors.New("seal: bad chunk size")
	}
	var h [headerSize]byte
	copy(h[:], magic)
	h[4] = shift
	rand.Read(h[9:16])
	if _, err := w.Write(h[:]); err != nil {
		return nil, fmt.Errorf("seal: write header: %w", err)
	}
	cs := 1 << shift
	sw := &Writer{
		w:    w,
		aead: newGCM(key),
		aad:  streamAAD(binding, h[:]),
		cs:   cs,
		buf:  make([]byte, 0, cs),
		out:  make([]byte, 0, cs+tagSize),
	}
	copy(sw.nonce[:7], h[9:16])
	return sw, nil
}

// Write buffers p and seals every full chunk that is known not to be the last.
func (s *Writer) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if s.closed {
		return 0, errors.New("seal: write after close")
	}
	written := 0
	for len(p) > 0 {
		if len(s.buf) == s.cs {
			// More data follows, so the pending full chunk is not the last.
			if err := s.flush(false); err != nil {
				return written, err
			}
		}
		n := copy(s.buf[len(s.buf):s.cs], p)
		s.buf = s.buf[:len(s.buf)+n]
		p = p[n:]
		written += n
		s.size += int64(n)
	}
	return written, nil
}

func (s *Writer) flush(last bool) error {
	if s.n == maxChunks {
		s.err = errors.New("seal: object too large")
		return s.err
	}
	binary.BigEndian.PutUint32(s.nonce[7:11], s.n)
	s.nonce[11] = 0
	if last {
		s.nonce[11] = 1
	}
	s.out = s.aead.Seal(s.out[:0], s.nonce[:], s.buf, s.aad)
	if _, err := s.w.Write(s.out); err != nil {
		s.err = fmt.Errorf("seal: write chunk: %w", err)
		return s.err
	}
	s.n++
	s.buf = s.buf[:0]
	return nil
}

// Close seals the final chunk. It does not close the underlying writer.
func (s *Writer) Close() error {
	if s.err != nil {
		return s.err
	}
	if s.closed {
		return nil
	}
	s.closed = true
	return s.flush(true)
}

// Size is the number of plaintext bytes written so far.
func (s *Writer) Size() int64 { return s.size }

func streamAAD(binding string, header []byte) []byte {
	aad := make([]byte, 0, len(binding)+1+len(header))
	aad = append(aad, binding...)
	aad = append(aad, 0)
	return append(aad, header...)
}

// Reader opens a sealed object for reading at any offset. It implements
// io.ReadSeeker and io.ReaderAt over the plaintext. Any chunk that fails
// authentication makes every later read fail with an EINTEGRITY error; no
// byte of an altered chunk is ever returned.
type Reader struct {
	r      io.ReaderAt
	aead   cipher.AEAD
	aad    []byte
	prefix [7]byte
	cs     int64
	size   int64 // plaintext size
	nch    int64
	off    int64 // Read/Seek position

	cur int64 // index of the chunk in plain, or -1
	raw []byte
	buf []byte
	err error
}

// NewReader opens an object of sealedSize bytes read through r, whose
// plaintext is size bytes, sealed under key and bound to binding. It checks
// the header and that the object has exactly the length size implies, and
// authenticates the first chunk, so most damage is reported before any byte
// is served.
func NewReader(r io.ReaderAt, sealedSize, size int64, key []byte, binding string) (*Reader, error) {
	if len(key) != 32 {
		return nil, errors.New("open sealed: data key must be 32 bytes")
	}
	var h [headerSize]byte
	if _, err := r.ReadAt(h[:], 0); err != nil {
		return nil, integrityErr(fmt.Errorf("read header: %w", err))
	}
	if string(h[:4]) != magic || h[4] < minShift || h[4] > maxShift {
		return nil, integrityErr(errors.New("bad header"))
	}
	cs := int64(1) << h[4]
	if size < 0 || chunks(size, cs) > maxChunks {
		return nil, integrityErr(errors.New("bad size"))
	}
	nch := chunks(size, cs)
	if want := headerSize + nch*tagSize + size; sealedSize != want {
		return nil, integrityErr(fmt.Errorf("stored object is %d bytes, expected %d", sealedSize, want))
	}
	rd := &Reader{
		r: r, aead: newGCM(key), aad: streamAAD(binding, h[:]), cs: cs, size: size, nch: nch, cur: -1,
		raw: make([]byte, cs+tagSize), buf: make([]byte, 0, cs),
	}
	copy(rd.prefix[:], h[9:16])
	if err := rd.load(0); err != nil {
		return nil, err
	}
	return rd, nil
}

func integrityErr(err error) error {
	return warden.WrapError(warden.EINTEGRITY, err, "stored content failed its integrity check")
}

// load decrypts chunk i into buf.
func (r *Reader) load(i int64) error {
	if r.err != nil {
		return r.err
	}
	if r.cur == i {
		return nil
	}
	plainLen := r.cs
	if i == r.nch-1 {
		plainLen = r.size - i*r.cs
	}
	raw := r.raw[:plainLen+tagSize]
	if _, err := r.r.ReadAt(raw, headerSize+i*(r.cs+tagSize)); err != nil {
		r.err = integrityErr(fmt.Errorf("read chunk %d: %w", i, err))
		return r.err
	}
	var nonce [12]byte
	copy(nonce[:7], r.prefix[:])
	binary.BigEndian.PutUint32(nonce[7:11], uint32(i))
	if i == r.nch-1 {
		nonce[11] = 1
	}
	out, err := r.aead.Open(r.buf[:0], nonce[:], raw, r.aad)
	if err != nil {
		r.cur = -1
		r.err = integrityErr(fmt.Errorf("chunk %d failed authentication", i))
		return r.err
	}
	r.buf = out
	r.cur = i
	return nil
}

// Size is the plaintext size.
func (r *Reader) Size() int64 { return r.size }

// ReadAt reads plaintext at off. It is not safe for concurrent use: the
// decrypted chunk is cached.
func (r *Reader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("open sealed: negative offset")
	}
	if r.err != nil {
		return 0, r.err
	}
	n := 0
	for len(p) > 0 {
		if off >= r.size {
			return n, io.EOF
		}
		i := off / r.cs
		if err := r.load(i); err != nil {
			return n, err
		}
		c := copy(p, r.buf[off-i*r.cs:])
		p = p[c:]
		n += c
		off += int64(c)
	}
	return n, nil
}

// Read reads plaintext from the current position.
func (r *Reader) Read(p []byte) (int, error) {
	if r.off >= r.size {
		if r.err != nil {
			return 0, r.err
		}
		return 0, io.EOF
	}
	if max := r.size - r.off; int64(len(p)) > max {
		p = p[:max]
	}
	n, err := r.ReadAt(p, r.off)
	r.off += int64(n)
	if err == io.EOF && n > 0 {
		err = nil
	}
	return n, err
}

// Seek sets the position for Read.
func (r *Reader) Seek(offset int64, whence int) (int64, error) {
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = r.off + offset
	case io.SeekEnd:
		abs = r.size + offset
	default:
		return 0, errors.New("open sealed: bad whence")
	}
	if abs < 0 {
		return 0, errors.New("open sealed: negative position")
	}
	r.off = abs
	return abs, nil
}
