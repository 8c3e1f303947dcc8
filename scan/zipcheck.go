package scan

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
)

// A zip is two lists of its files: a local header before each file's data,
// read front to back by streaming extractors (unzip from a pipe, many
// language libraries), and the central directory at the end, the only one
// Go's archive/zip (and so the scanner) reads. A file with a local header
// and no directory entry is written by the first and never seen by the
// second. zipLayout accepts a zip only when the two agree one to one:
// every byte from the start is a listed entry (header, data, descriptor)
// up to the central directory, which runs to the end record and its
// comment, and nothing else.

// centralEntry is what the central directory says of one file.
type centralEntry struct {
	name   string
	flags  uint16
	method uint16
	csize  uint64
	offset uint64 // of its local header
	zip64  bool   // sizes from the zip64 extra field
}

var le = binary.LittleEndian

// zipLayout returns why a zip's local entries and central directory
// disagree, or nil. zr is Go's reading of the same bytes.
func zipLayout(b []byte, zr *zip.Reader) error {
	cdStart, cdEnd, err := zipDirectory(b)
	if err != nil {
		return err
	}
	entries, err := zipCentral(b, cdStart, cdEnd)
	if err != nil {
		return err
	}
	if len(entries) != len(zr.File) {
		return fmt.Errorf("the central directory lists %d entries, Go's reader sees %d", len(entries), len(zr.File))
	}
	for i, e := range entries {
		if e.name != zr.File[i].Name {
			return fmt.Errorf("the central directory's entry %d is %q, Go's reader sees %q", i, e.name, zr.File[i].Name)
		}
	}
	sorted := slices.Clone(entries)
	slices.SortStableFunc(sorted, func(a, b centralEntry) int { return compareUint(a.offset, b.offset) })
	p := uint64(0)
	inflate := int64(maxTotalBytes) // what all entries may inflate to, as the walker reads no more
	for _, e := range sorted {
		if e.offset != p {
			return fmt.Errorf("bytes %d to %d are not a listed entry", min(p, e.offset), max(p, e.offset))
		}
		if p, err = zipLocal(b, e, &inflate); err != nil {
			return err
		}
	}
	if p != cdStart {
		return fmt.Errorf("bytes %d to %d, before the central directory, are not a listed entry", p, cdStart)
	}
	return nil
}

func compareUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// zipDirectory finds the central directory from the end record, which
// with its comment must end the file (zip64 records, if any, sit between
// the directory and the end record).
func zipDirectory(b []byte) (start, end uint64, err error) {
	eocd := -1
	for i := len(b) - 22; i >= 0 && i >= len(b)-22-0xffff; i-- {
		if bytes.HasPrefix(b[i:], []byte("PK\x05\x06")) && i+22+int(le.Uint16(b[i+20:])) == len(b) {
			eocd = i
			break
		}
	}
	if eocd < 0 {
		return 0, 0, errors.New("no end record (with its comment) ends the file")
	}
	size, off := uint64(le.Uint32(b[eocd+12:])), uint64(le.Uint32(b[eocd+16:]))
	recordAt := uint64(eocd) // what the directory must end at
	if size == 0xffffffff || off == 0xffffffff || le.Uint16(b[eocd+10:]) == 0xffff {
		loc := eocd - 20
		if loc < 0 || !bytes.HasPrefix(b[loc:], []byte("PK\x06\x07")) {
			return 0, 0, errors.New("a zip64 end record without its locator")
		}
		at := le.Uint64(b[loc+8:])
		if at > uint64(loc) || uint64(loc)-at < 56 || !bytes.HasPrefix(b[at:], []byte("PK\x06\x06")) {
			return 0, 0, errors.New("the zip64 locator points at no zip64 end record")
		}
		if at+12+le.Uint64(b[at+4:]) != uint64(loc) {
			return 0, 0, errors.New("bytes between the zip64 end record and its locator")
		}
		size, off, recordAt = le.Uint64(b[at+40:]), le.Uint64(b[at+48:]), at
	}
	if off > recordAt || recordAt-off != size {
		return 0, 0, fmt.Errorf("the central directory (%d bytes at %d) does not end where the end record starts (%d)", size, off, recordAt)
	}
	return off, recordAt, nil
}

// zipCentral reads the directory's entries, which must fill it exactly.
func zipCentral(b []byte, start, end uint64) ([]centralEntry, error) {
	var out []centralEntry
	for q := start; q < end; {
		if end-q < 46 || !bytes.HasPrefix(b[q:], []byte("PK\x01\x02")) {
			return nil, fmt.Errorf("byte %d of the central directory is not an entry", q)
		}
		h := b[q:]
		nlen, elen, clen := uint64(le.Uint16(h[28:])), uint64(le.Uint16(h[30:])), uint64(le.Uint16(h[32:]))
		if 46+nlen+elen+clen > end-q {
			return nil, fmt.Errorf("the central directory entry at %d runs past the directory", q)
		}
		e := centralEntry{name: string(h[46 : 46+nlen]), flags: le.Uint16(h[8:]), method: le.Uint16(h[10:]),
			csize: uint64(le.Uint32(h[20:])), offset: uint64(le.Uint32(h[42:]))}
		usize := uint64(le.Uint32(h[24:]))
		if usize == 0xffffffff || e.csize == 0xffffffff || e.offset == 0xffffffff {
			if err := e.fromZip64(h[46+nlen:46+nlen+elen], usize == 0xffffffff); err != nil {
				return nil, fmt.Errorf("%q: %w", e.name, err)
			}
		}
		out = append(out, e)
		q += 46 + nlen + elen + clen
	}
	return out, nil
}

// fromZip64 reads the zip64 extra field: the original size, compressed
// size and offset, each present only if its 32-bit field is all ones.
func (e *centralEntry) fromZip64(extra []byte, hasUsize bool) error {
	for len(extra) >= 4 {
		id, n := le.Uint16(extra), int(le.Uint16(extra[2:]))
		if n > len(extra)-4 {
			return errors.New("a truncated extra field")
		}
		field := extra[4 : 4+n]
		extra = extra[4+n:]
		if id != 0x0001 {
			continue
		}
		next := func() (uint64, error) {
			if len(field) < 8 {
				return 0, errors.New("a short zip64 field")
			}
			v := le.Uint64(field)
			field = field[8:]
			return v, nil
		}
		var err error
		if hasUsize {
			if _, err = next(); err != nil {
				return err
			}
		}
		if e.csize == 0xffffffff {
			if e.csize, err = next(); err != nil {
				return err
			}
			e.zip64 = true
		}
		if e.offset == 0xffffffff {
			if e.offset, err = next(); err != nil {
				return err
			}
		}
		e.zip64 = e.zip64 || hasUsize
		return nil
	}
	return errors.New("sizes marked zip64 without a zip64 field")
}

// zipLocal checks the local header of e against the directory and returns
// where the next entry must start.
func zipLocal(b []byte, e centralEntry, inflate *int64) (uint64, error) {
	p := e.offset
	if p > uint64(len(b)) || uint64(len(b))-p < 30 || !bytes.HasPrefix(b[p:], []byte("PK\x03\x04")) {
		return 0, fmt.Errorf("%q: no local header where the directory says (%d)", e.name, p)
	}
	h := b[p:]
	flags, method, csize := le.Uint16(h[6:]), le.Uint16(h[8:]), uint64(le.Uint32(h[18:]))
	nlen, elen := uint64(le.Uint16(h[26:])), uint64(le.Uint16(h[28:]))
	if 30+nlen+elen > uint64(len(h)) {
		return 0, fmt.Errorf("%q: a local header runs past the file", e.name)
	}
	if name := string(h[30 : 30+nlen]); name != e.name {
		return 0, fmt.Errorf("the local header at %d names %q, the directory %q", p, name, e.name)
	}
	if method != e.method || flags&0x8 != e.flags&0x8 {
		return 0, fmt.Errorf("%q: the local header and the directory disagree on how it is stored", e.name)
	}
	if flags&0x8 == 0 && csize != 0xffffffff && csize != e.csize {
		return 0, fmt.Errorf("%q: the local header says %d compressed bytes, the directory %d", e.name, csize, e.csize)
	}
	data := p + 30 + nlen + elen
	if e.csize > uint64(len(b))-data {
		return 0, fmt.Errorf("%q: its data runs past the file", e.name)
	}
	// A streaming extractor finds the end of deflated data by inflating
	// it: that end must be the directory's. Data that is encrypted, does
	// not inflate (archive.encrypted, archive.unreadable when the member
	// is read) or inflates past the bounds (file.too_large) is reported
	// as such, not here. All entries together inflate no more than the
	// walker reads.
	if method == zip.Deflate && flags&0x1 == 0 && *inflate > 0 {
		br := bytes.NewReader(b[data:])
		n, err := io.CopyN(io.Discard, flate.NewReader(br), *inflate)
		*inflate -= n
		if used := uint64(len(b)) - data - uint64(br.Len()); err == io.EOF && used != e.csize {
			return 0, fmt.Errorf("%q: its deflated data ends after %d bytes, the directory says %d", e.name, used, e.csize)
		}
	}
	next := data + e.csize
	if flags&0x8 != 0 {
		if bytes.HasPrefix(b[next:], []byte("PK\x07\x08")) {
			next += 4
		}
		n := uint64(12)
		if e.zip64 {
			n = 20
		}
		if uint64(len(b))-next < n {
			return 0, fmt.Errorf("%q: a truncated data descriptor", e.name)
		}
		size := uint64(le.Uint32(b[next+4:]))
		if e.zip64 {
			size = le.Uint64(b[next+4:])
		}
		if size != e.csize {
			return 0, fmt.Errorf("%q: its data descriptor says %d compressed bytes, the directory %d", e.name, size, e.csize)
		}
		next += n
	}
	return next, nil
}
