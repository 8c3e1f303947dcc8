package depscan

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// openRegular opens path for reading only if it is a regular file. It
// opens with O_NONBLOCK, so a named pipe put where a lockfile is expected
// cannot stop the scan (opening a FIFO waits for a writer), and checks
// what was opened rather than what was there a moment before: the walker's
// view of the entry could be raced.
func openRegular(path string) (*os.File, fs.FileInfo, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, nil, fmt.Errorf("not a regular file (%s)", kindOf(fi.Mode()))
	}
	return f, fi, nil
}

// input is where one walked lockfile or SKILL.md is read from: the file
// itself, or the file a symbolic link inside the scanned folder leads to.
// why is set when it cannot be read; its dependencies then go unchecked,
// which is a finding, not a line of the "not scanned" list.
func input(root, path string, d fs.DirEntry) (target, why string) {
	mode := d.Type()
	switch {
	case mode.IsRegular():
		return path, ""
	case mode&fs.ModeSymlink == 0:
		return "", fmt.Sprintf("not a regular file (%s)", kindOf(mode))
	}
	// A link is followed as a package manager follows it, but only while
	// it stays in the scanned folder: a link out of it would read files
	// the user did not ask to scan (and names them in the report).
	t, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", "a symbolic link that does not resolve"
	}
	if rel, err := filepath.Rel(root, t); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return "", "a symbolic link to outside the scanned folder, not followed"
	}
	fi, err := os.Stat(t)
	if err != nil {
		return "", fmt.Sprintf("a symbolic link whose target cannot be read (%v)", err)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Sprintf("a symbolic link to something that is not a regular file (%s)", kindOf(fi.Mode()))
	}
	return t, ""
}

// kindOf names a file type for a message.
func kindOf(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeDevice != 0:
		return "device"
	case m.IsDir():
		return "folder"
	case m&fs.ModeSymlink != 0:
		return "symbolic link"
	}
	return m.Type().String()
}
