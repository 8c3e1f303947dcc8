package scan

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"github.com/wardenhq/warden/report"
)

// maxArchiveDepth bounds archives inside archives: a skill has no reason
// to nest them, and each level multiplies what a bomb can expand to.
const maxArchiveDepth = 3

var errTooLarge = errors.New("larger than the scanner's bounds")

// readBounded reads at most limit bytes; more is errTooLarge, so a
// container's declared size is never trusted.
func readBounded(open func() (io.ReadCloser, error), limit int64) ([]byte, error) {
	rc, err := open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return b, err
	}
	if int64(len(b)) > limit {
		return b[:limit], errTooLarge
	}
	return b, nil
}

// Archive kinds the scanner opens, and ones it recognises but cannot.
const (
	kindZip         = "zip"
	kindTar         = "tar"
	kindGzip        = "gzip"
	kindUnsupported = "unsupported"
)

// archiveKind tells archives by their bytes first (a renamed zip is still
// a zip), then by the name for formats Go cannot open.
func archiveKind(name string, b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("PK\x03\x04")), bytes.HasPrefix(b, []byte("PK\x05\x06")):
		return kindZip
	case bytes.HasPrefix(b, []byte{0x1f, 0x8b}):
		return kindGzip
	case len(b) > 262 && bytes.Equal(b[257:262], []byte("ustar")):
		return kindTar
	case bytes.HasPrefix(b, []byte("7z\xbc\xaf\x27\x1c")), bytes.HasPrefix(b, []byte("Rar!\x1a\x07")):
		return kindUnsupported
	}
	switch strings.ToLower(path.Ext(name)) {
	case ".7z", ".rar", ".xz", ".bz2", ".zst", ".lz", ".cab", ".dmg", ".iso":
		return kindUnsupported
	}
	return ""
}

// topArchive scans a skill given as an archive file.
func (w *walker) topArchive(name string, size int64) error {
	if size > maxTotalBytes {
		return fmt.Errorf("a %d-byte file is larger than a skill needs (limit %d)", size, maxTotalBytes)
	}
	b, err := readBounded(func() (io.ReadCloser, error) { return os.Open(name) }, maxTotalBytes)
	if err != nil {
		return err
	}
	kind := archiveKind(name, b)
	if kind == "" || kind == kindUnsupported {
		return fmt.Errorf("not a folder, a zip or a tar archive")
	}
	w.total += int64(len(b))
	w.archive("", b, kind, 0)
	return nil
}

// member is one regular file of an archive.
type member struct {
	name string
	size int64
	open func() (io.ReadCloser, error)
}

// archive lists an archive's members and scans each as a file. at is the
// archive's own path ("" for the skill itself); members are reported as
// "at!/name". A skill archive whose files sit in one top folder (as zips
// of a folder do) is read as if that folder were the skill.
func (w *walker) archive(at string, b []byte, kind string, depth int) {
	r := w.r
	if kind == kindUnsupported {
		w.add(Finding{RuleID: "archive.unsupported", Severity: Warn, Message: "an archive format the scanner cannot open (its content cannot be checked)", File: at})
		return
	}
	if depth > maxArchiveDepth {
		w.add(Finding{RuleID: "archive.too_deep", Severity: Critical, Message: fmt.Sprintf("archives nested more than %d deep; the inner ones were not read", maxArchiveDepth), File: at})
		return
	}
	members, err := w.members(at, b, kind)
	if err != nil {
		where := at
		if where == "" {
			where = r.Target
		}
		w.add(Finding{RuleID: "archive.unreadable", Severity: Critical, Message: "an archive that cannot be read (" + err.Error() + ")", File: where})
		return
	}
	prefix := ""
	if at == "" {
		prefix = topFolder(members)
	}
	for _, m := range members {
		rel := strings.TrimPrefix(m.name, prefix)
		if at != "" {
			rel = at + "!/" + m.name
		}
		w.file(rel, m.size, m.open, depth)
		if w.stop {
			return
		}
	}
}

// members lists the regular files of a zip, tar or gzip; everything else
// in it (links, devices, escaping or encrypted entries) becomes a finding.
func (w *walker) members(at string, b []byte, kind string) ([]member, error) {
	var out []member
	seen := map[string]bool{}
	// Two members with one name are how a scanner is shown one file and
	// an extractor writes another.
	unique := func(name string) bool {
		k := strings.ToLower(name)
		if seen[k] {
			w.add(Finding{RuleID: "archive.duplicate_name", Severity: Critical, Message: "two archive members share this name (which one is extracted depends on the tool)", File: join(at, name)})
			return false
		}
		seen[k] = true
		return true
	}
	switch kind {
	case kindZip:
		zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return nil, err
		}
		if err := zipLayout(b, zr); err != nil {
			where := at
			if where == "" {
				where = w.r.Target
			}
			w.add(Finding{RuleID: "archive.inconsistent", Severity: Critical, File: report.Sanitize(where),
				Message: "a zip whose local entries and central directory disagree (an extractor that reads it front to back writes files the scanner never saw): " + oneLineName(err.Error())})
		}
		for _, f := range zr.File {
			name, ok := w.entryName(at, f.Name)
			if !ok || f.FileInfo().IsDir() || !unique(name) {
				continue
			}
			if f.Flags&0x1 != 0 {
				w.add(Finding{RuleID: "archive.encrypted", Severity: Critical, Message: "a password-protected archive member (its content cannot be checked)", File: join(at, name)})
				continue
			}
			if f.Mode()&os.ModeSymlink != 0 {
				w.add(Finding{RuleID: "file.symlink", Severity: Warn, Message: "a symbolic link (not followed)", File: join(at, name)})
				continue
			}
			out = append(out, member{name: name, size: int64(min(f.UncompressedSize64, 1<<62)), open: f.Open})
		}
	case kindTar:
		tr := tar.NewReader(bytes.NewReader(b))
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return out, err
			}
			name, ok := w.entryName(at, h.Name)
			if !ok || (h.Typeflag != tar.TypeDir && !unique(name)) {
				continue
			}
			regular := func() error {
				// tar members are read in order: copy now, bounded.
				data, err := readBounded(func() (io.ReadCloser, error) { return io.NopCloser(tr), nil }, maxFileBytes)
				if err != nil && !errors.Is(err, errTooLarge) {
					return err
				}
				size := h.Size
				if errors.Is(err, errTooLarge) {
					size = maxFileBytes + 1
				}
				out = append(out, member{name: name, size: size, open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }})
				return nil
			}
			switch h.Typeflag {
			// GNU tar writes contiguous ('7') and sparse ('S') files as
			// regular ones; Go hands a sparse file's data back expanded.
			// 0 is the old regular type Go usually renames.
			case tar.TypeReg, 0, tar.TypeCont, tar.TypeGNUSparse:
				if err := regular(); err != nil {
					return out, err
				}
			case tar.TypeSymlink, tar.TypeLink:
				w.add(Finding{RuleID: "file.symlink", Severity: Warn, Message: "a link to " + oneLineName(h.Linkname) + " (not followed)", File: join(at, name)})
			case tar.TypeDir, 'D', tar.TypeXGlobalHeader, 'V': // folders (GNU's 'D' too), a global header, a volume label
			case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
				w.add(Finding{RuleID: "archive.special_file", Severity: Warn, Message: "a device, FIFO or other special file in an archive", File: join(at, name)})
			default:
				// GNU tar extracts a type it does not know as a regular
				// file: read it as one, and block.
				w.add(Finding{RuleID: "archive.unknown_type", Severity: Critical, Message: fmt.Sprintf("a tar member of unknown type %q (tar extracts it as a regular file)", oneLineName(string(rune(h.Typeflag)))), File: join(at, name)})
				if err := regular(); err != nil {
					return out, err
				}
			}
		}
	case kindGzip:
		// A .tar.gz is a tar once unpacked; any other .gz is one file.
		inner, err := readBounded(func() (io.ReadCloser, error) { return gzip.NewReader(bytes.NewReader(b)) }, max(0, maxTotalBytes-w.total))
		if errors.Is(err, errTooLarge) {
			return []member{{name: "(gunzipped)", size: maxFileBytes + 1}}, nil
		}
		if err != nil {
			return nil, err
		}
		if k := archiveKind("", inner); k == kindTar {
			return w.members(at, inner, kindTar)
		}
		name := strings.TrimSuffix(path.Base(at), path.Ext(at))
		if name == "" || name == "." {
			name = "(gunzipped)"
		}
		return []member{{name: name, size: int64(len(inner)), open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(inner)), nil }}}, nil
	}
	return out, nil
}

// entryName cleans an archive member's name; names that climb out of the
// archive (../, absolute paths) are what extraction attacks use and are
// reported instead of read.
func (w *walker) entryName(at, name string) (string, bool) {
	n := strings.ReplaceAll(name, "\\", "/")
	clean := report.Sanitize(path.Clean("/" + n)[1:])
	if strings.HasPrefix(n, "/") || strings.HasPrefix(path.Clean(n), "../") || path.Clean(n) == ".." || (len(n) > 1 && n[1] == ':') {
		w.add(Finding{RuleID: "archive.path_traversal", Severity: Critical, Message: "an archive member whose path leaves the archive: " + oneLineName(name), File: join(at, clean)})
		return "", false
	}
	return clean, clean != ""
}

// topFolder is "x/" when every member is under one folder x holding
// SKILL.md and there is no SKILL.md at the root.
func topFolder(ms []member) string {
	first := ""
	for _, m := range ms {
		if strings.EqualFold(m.name, "SKILL.md") {
			return ""
		}
		top, _, ok := strings.Cut(m.name, "/")
		if !ok || (first != "" && top != first) {
			return ""
		}
		first = top
	}
	for _, m := range ms {
		if strings.EqualFold(m.name, first+"/SKILL.md") {
			return first + "/"
		}
	}
	return ""
}

func join(at, name string) string {
	if at == "" {
		return name
	}
	return at + "!/" + name
}

// oneLineName is a name from an archive as a finding may quote it:
// terminal controls made visible (report.Sanitize), bounded.
func oneLineName(s string) string {
	s = report.Sanitize(s)
	if len(s) > 200 {
		s = strings.ToValidUTF8(s[:200], "") + "…"
	}
	return s
}
