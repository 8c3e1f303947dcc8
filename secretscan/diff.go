package secretscan

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
)

// diffChunk is the lines one commit (or the index) added to one file,
// joined with newlines, and the line number of each in that version of
// the file.
type diffChunk struct {
	commit, file string
	text         []byte
	lines        []int
}

// lineOf returns the file's line number for a 1-based line of the chunk's
// text.
func (c *diffChunk) lineOf(n int) int {
	if n < 1 || n > len(c.lines) {
		return 0
	}
	return c.lines[n-1]
}

// maxDiffLine bounds one line of diff output; the rest of a longer line is
// dropped (a minified file is scanned up to there).
const maxDiffLine = 1 << 20

// parseDiff reads unified diffs with no context lines (git log -p -U0,
// git diff -U0), each commit introduced by a line "commit <hash>", and
// calls emit with the added lines of each file of each commit. A chunk
// larger than MaxFileSize is emitted in parts. Hunk headers give the
// number of lines that follow, so content lines that look like headers
// ("+++ x", "commit x") are never taken for them.
func parseDiff(r io.Reader, emit func(diffChunk) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var (
		cur      diffChunk
		old, add int // lines left in the current hunk
		next     int // line number of the next added line
	)
	flush := func() error {
		if len(cur.lines) == 0 || cur.file == "" {
			cur.text, cur.lines = nil, nil
			return nil
		}
		c := cur
		cur.text, cur.lines = nil, nil
		return emit(c)
	}
	for {
		line, err := readLine(br)
		if len(line) == 0 && err != nil {
			if errors.Is(err, io.EOF) {
				return flush()
			}
			return err
		}
		if old > 0 || add > 0 {
			// Inside a hunk: '-' and '+' lines, and "\ No newline at end of
			// file" after either.
			inHunk := true
			var first byte // an empty line has none: it ends the hunk
			if len(line) > 0 {
				first = line[0]
			}
			switch {
			case first == '-' && old > 0:
				old--
			case first == '+' && add > 0:
				add--
				if len(cur.text)+len(line) > MaxFileSize {
					if err := flush(); err != nil {
						return err
					}
				}
				if len(cur.lines) > 0 {
					cur.text = append(cur.text, '\n')
				}
				cur.text = append(cur.text, line[1:]...)
				cur.lines = append(cur.lines, next)
				next++
			case first == '\\':
			default:
				// The counts did not hold (a truncated or odd diff): leave
				// the hunk and read this line as a header.
				old, add, inHunk = 0, 0, false
			}
			if inHunk {
				continue
			}
		}
		switch {
		case bytes.HasPrefix(line, []byte("commit ")):
			if err := flush(); err != nil {
				return err
			}
			cur.commit = string(bytes.TrimSpace(line[len("commit "):]))
			cur.file = ""
		case bytes.HasPrefix(line, []byte("diff ")):
			if err := flush(); err != nil {
				return err
			}
			cur.file = ""
		case bytes.HasPrefix(line, []byte("+++ ")):
			cur.file = diffPath(string(line[4:]))
		case bytes.HasPrefix(line, []byte("@@ ")):
			o, a, start, ok := hunkHeader(string(line))
			if ok {
				old, add, next = o, a, start
			}
		}
	}
}

// readLine returns the next line without its newline; a line longer than
// maxDiffLine is cut there and the rest skipped.
func readLine(br *bufio.Reader) ([]byte, error) {
	var long []byte
	for {
		part, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			if len(long) < maxDiffLine {
				long = append(long, part[:min(len(part), maxDiffLine-len(long))]...)
			}
			continue
		}
		part = bytes.TrimSuffix(part, []byte{'\n'})
		if long != nil {
			if len(long) < maxDiffLine {
				long = append(long, part[:min(len(part), maxDiffLine-len(long))]...)
			}
			part = long
		}
		return bytes.TrimSuffix(part, []byte{'\r'}), err
	}
}

// diffPath reads the path of a "+++ " line: "b/dir/file", quoted C-style
// when it has unusual bytes, or /dev/null for a deleted file (no path).
func diffPath(s string) string {
	s = strings.TrimRight(s, "\t")
	if strings.HasPrefix(s, `"`) {
		u, err := strconv.Unquote(s)
		if err != nil {
			return ""
		}
		s = u
	}
	if s == "/dev/null" {
		return ""
	}
	if p, ok := strings.CutPrefix(s, "b/"); ok {
		return p
	}
	return s
}

// hunkHeader reads "@@ -o[,n] +a[,m] @@": the count of old and new lines
// that follow and the new version's first line number.
func hunkHeader(s string) (old, add, start int, ok bool) {
	rest, ok := strings.CutPrefix(s, "@@ -")
	if !ok {
		return 0, 0, 0, false
	}
	o, rest, ok := strings.Cut(rest, " +")
	if !ok {
		return 0, 0, 0, false
	}
	a, _, ok := strings.Cut(rest, " @@")
	if !ok {
		return 0, 0, 0, false
	}
	_, old, ok1 := rangeOf(o)
	start, add, ok2 := rangeOf(a)
	if !ok1 || !ok2 {
		return 0, 0, 0, false
	}
	return old, add, start, true
}

// rangeOf reads "l[,n]" (n is 1 when left out).
func rangeOf(s string) (line, n int, ok bool) {
	l, c, has := strings.Cut(s, ",")
	line, err := strconv.Atoi(l)
	if err != nil || line < 0 {
		return 0, 0, false
	}
	n = 1
	if has {
		if n, err = strconv.Atoi(c); err != nil || n < 0 {
			return 0, 0, false
		}
	}
	return line, n, true
}
