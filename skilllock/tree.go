package skilllock

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"golang.org/x/text/unicode/norm"
)

// Bounds of one skill's tree, the skill scanner's: a skill is text and
// small, and a tree past them is refused rather than hashed for minutes.
const (
	MaxFiles      = 5000
	MaxTotalBytes = 64 << 20
)

// ErrLimit is wrapped by the error of a tree past MaxFiles or MaxTotalBytes.
var ErrLimit = errors.New("skill too large to lock")

// treeDomain starts the tree digest, so a digest of another format (or a
// future version of this one) can never equal it.
const treeDomain = "warden-skill-tree-v1\n"

// Tree is the normalised content of one skill folder.
type Tree struct {
	SHA256 string            // the tree digest
	Files  map[string]string // slash path → per-file digest
	Bytes  int64             // bytes read
	// LinksOut lists, as "path -> target", the symbolic links that are
	// absolute or lead out of the folder: the digest covers a link's
	// target string, not what it points to, so what is behind these can
	// change without the digest changing.
	LinksOut []string
}

// Kinds of entry, the first byte of what a per-file digest covers. The
// executable bit is the only permission that counts: it decides whether a
// script runs, and git keeps it; other bits, owners and times differ from
// machine to machine.
const (
	kindFile       = 'f'
	kindExecutable = 'x'
	kindSymlink    = 'l'
)

// excluded reports whether a slash path relative to the skill root is left
// out of the hash: the skill's own git data (a top-level .git only: one
// deeper is not git's and could hide a payload the skill loads), Finder
// litter, and ClawHub's origin.json, which OpenClaw rewrites (with a new
// installedAt) on every install of the same version. Everything else under
// .clawhub/ is hashed, so that folder cannot hide a payload.
func excluded(rel string, isDir bool) bool {
	base := path.Base(rel)
	switch {
	case rel == ".git":
		return true
	case base == ".DS_Store" && !isDir:
		return true
	case !isDir && (rel == ".clawhub/origin.json" || rel == ".clawdhub/origin.json"):
		return true
	}
	return false
}

// HashTree hashes the skill folder dir. Files are taken in the byte order
// of their slash paths (NFC-normalised, so macOS and Linux agree); each
// file's digest is SHA-256 of its kind byte, a NUL and its content, where a
// text file's CRLF line ends are read as LF (git's autocrlf must not look
// like a rug pull; a lone CR is kept) and a binary file (a NUL in its first
// 8000 bytes, git's rule) is taken as is. Symbolic links are hashed as
// their target string, never followed; those that leave the folder are
// listed in LinksOut. The tree digest is SHA-256 of treeDomain then
// "path\x00digest\n" per file.
func HashTree(dir string) (*Tree, error) {
	// A link as the root would be walked as a lone file: it must be
	// resolved first (Scan does), so what is hashed is what OpenClaw loads.
	if fi, err := os.Lstat(dir); err != nil {
		return nil, fmt.Errorf("hash %s: %w", dir, err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("hash %s: not a folder (a symbolic link must be resolved first)", dir)
	}
	// Where links lead is judged against the real folder, whatever
	// links its own path goes through.
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, fmt.Errorf("hash %s: %w", dir, err)
	}
	t := &Tree{Files: map[string]string{}}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		if rel == "." {
			return nil
		}
		osRel := rel
		rel = norm.NFC.String(filepath.ToSlash(rel))
		if excluded(rel, d.IsDir()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		if len(t.Files) >= MaxFiles {
			return fmt.Errorf("%w: more than %d files", ErrLimit, MaxFiles)
		}
		if _, dup := t.Files[rel]; dup {
			return fmt.Errorf("two files named %q once Unicode-normalised", rel)
		}
		digest, n, err := hashEntry(p, d, MaxTotalBytes-t.Bytes)
		if err != nil {
			return fmt.Errorf("%s: %w", rel, err)
		}
		t.Bytes += n
		t.Files[rel] = digest
		if d.Type()&fs.ModeSymlink != 0 {
			if target, err := os.Readlink(p); err == nil && leavesFolder(real, filepath.Join(real, osRel), rel, target) {
				t.LinksOut = append(t.LinksOut, rel+" -> "+filepath.ToSlash(target))
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("hash %s: %w", dir, err)
	}
	slices.Sort(t.LinksOut)
	t.SHA256 = treeDigest(t.Files)
	return t, nil
}

// leavesFolder reports whether the link at p (rel, a slash path, in the
// folder root, both with links resolved) with target leads out of root:
// an absolute target, one that climbs above root by name, or one that,
// through other links on its way, resolves outside it. A dangling link
// that stays inside by name is inside: what it names, if it is ever
// created there, is a file of the tree and hashed.
func leavesFolder(root, p, rel, target string) bool {
	if filepath.IsAbs(target) || path.IsAbs(filepath.ToSlash(target)) || filepath.VolumeName(target) != "" {
		return true
	}
	if j := path.Join(path.Dir(rel), filepath.ToSlash(target)); j == ".." || strings.HasPrefix(j, "../") {
		return true
	}
	r, err := filepath.EvalSymlinks(p)
	if err != nil {
		return false
	}
	within, err := filepath.Rel(root, r)
	return err != nil || within == ".." || strings.HasPrefix(within, ".."+string(filepath.Separator))
}

// treeDigest combines per-file digests; the 64-character hex digest after
// the NUL makes the encoding unambiguous whatever a path holds.
func treeDigest(files map[string]string) string {
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	h := sha256.New()
	io.WriteString(h, treeDomain)
	for _, p := range paths {
		io.WriteString(h, p)
		h.Write([]byte{0})
		io.WriteString(h, files[p])
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// hashEntry digests one non-directory entry, reading at most budget bytes.
func hashEntry(p string, d fs.DirEntry, budget int64) (string, int64, error) {
	switch mode := d.Type(); {
	case mode&fs.ModeSymlink != 0:
		target, err := os.Readlink(p)
		if err != nil {
			return "", 0, err
		}
		return entryDigest(kindSymlink, []byte(filepath.ToSlash(target))), int64(len(target)), nil
	case mode.IsRegular():
		info, err := d.Info()
		if err != nil {
			return "", 0, err
		}
		if info.Size() > budget {
			return "", 0, fmt.Errorf("%w: more than %d MiB in all", ErrLimit, MaxTotalBytes>>20)
		}
		// The entry was a regular file when listed; what is opened is
		// checked again, so a FIFO swapped in since cannot block.
		f, info, err := openRegular(p)
		if err != nil {
			return "", 0, err
		}
		defer f.Close()
		// Read one byte past the budget: a file that grew since Info
		// must not slip past the bound.
		b, err := io.ReadAll(io.LimitReader(f, budget+1))
		if err != nil {
			return "", 0, err
		}
		if int64(len(b)) > budget {
			return "", 0, fmt.Errorf("%w: more than %d MiB in all", ErrLimit, MaxTotalBytes>>20)
		}
		kind := byte(kindFile)
		if info.Mode().Perm()&0o111 != 0 {
			kind = kindExecutable
		}
		return entryDigest(kind, normaliseText(b)), int64(len(b)), nil
	default:
		return "", 0, fmt.Errorf("not a regular file, folder or symbolic link (%s)", mode.Type())
	}
}

func entryDigest(kind byte, content []byte) string {
	h := sha256.New()
	h.Write([]byte{kind, 0})
	h.Write(content)
	return hex.EncodeToString(h.Sum(nil))
}

// normaliseText turns CRLF into LF in a text file and leaves a binary one
// (a NUL in its first 8000 bytes) alone.
func normaliseText(b []byte) []byte {
	if bytes.IndexByte(b[:min(len(b), 8000)], 0) >= 0 || !bytes.Contains(b, []byte("\r\n")) {
		return b
	}
	return bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
}

// openRegular opens p for reading only if it is a regular file: with
// O_NONBLOCK, so a named pipe cannot block the open (it waits for a writer
// otherwise), then checking what was opened. (depscan has the same helper;
// the two packages share no lower one.)
func openRegular(p string) (*os.File, fs.FileInfo, error) {
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
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
		return nil, nil, fmt.Errorf("%s: not a regular file (%s)", p, fi.Mode().Type())
	}
	return f, fi, nil
}
