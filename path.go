package warden

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Limits on file paths inside a workspace.
const (
	MaxPathLen    = 1024 // bytes, after normalisation
	MaxSegmentLen = 255  // bytes per path segment
	MaxPathDepth  = 64   // segments
)

// CleanPath validates a file path inside a workspace and returns its canonical
// form. The canonical form is Unicode NFC, so visually identical names typed
// on different systems address the same file. Anything ambiguous is refused
// rather than silently rewritten: a leading or doubled slash, "." or ".."
// segments, backslashes, control characters, NUL, invalid UTF-8.
func CleanPath(p string) (string, error) {
	if p == "" {
		return "", Errorf(EINVALID, "path is empty")
	}
	if len(p) > 4*MaxPathLen {
		return "", Errorf(EINVALID, "path is longer than %d bytes", MaxPathLen)
	}
	if !utf8.ValidString(p) {
		return "", Errorf(EINVALID, "path is not valid UTF-8")
	}
	p = norm.NFC.String(p)
	if len(p) > MaxPathLen {
		return "", Errorf(EINVALID, "path is longer than %d bytes", MaxPathLen)
	}
	if p[0] == '/' {
		return "", Errorf(EINVALID, "path must be relative to the workspace (no leading '/')")
	}
	if strings.HasSuffix(p, "/") {
		return "", Errorf(EINVALID, "path must name a file (no trailing '/')")
	}
	for _, r := range p {
		switch {
		case r == 0:
			return "", Errorf(EINVALID, "path contains a NUL byte")
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			return "", Errorf(EINVALID, "path contains a control character (U+%04X)", r)
		case r == '\\':
			return "", Errorf(EINVALID, "path contains a backslash; use '/' between folders")
		case r == utf8.RuneError:
			return "", Errorf(EINVALID, "path is not valid UTF-8")
		}
	}
	depth := 0
	for seg := range strings.SplitSeq(p, "/") {
		depth++
		switch {
		case seg == "":
			return "", Errorf(EINVALID, "path contains an empty segment ('//')")
		case seg == "." || seg == "..":
			return "", Errorf(EINVALID, "path contains a %q segment; paths cannot leave or refer to their folder", seg)
		case len(seg) > MaxSegmentLen:
			return "", Errorf(EINVALID, "a path segment is longer than %d bytes", MaxSegmentLen)
		}
	}
	if depth > MaxPathDepth {
		return "", Errorf(EINVALID, "path is nested more than %d folders deep", MaxPathDepth)
	}
	return p, nil
}

// CleanPrefix validates a listing prefix: empty, or a path that may end in
// '/' (a folder). It returns the canonical form.
func CleanPrefix(p string) (string, error) {
	if p == "" {
		return "", nil
	}
	folder := strings.HasSuffix(p, "/")
	c, err := CleanPath(strings.TrimSuffix(p, "/"))
	if err != nil {
		return "", err
	}
	if folder {
		c += "/"
	}
	return c, nil
}
