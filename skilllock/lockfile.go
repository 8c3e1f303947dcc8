// Package skilllock pins reviewed OpenClaw skills and verifies them later:
// a lock file of each skill's name, source, publisher, version and the
// SHA-256 of its normalised tree (tree.go), and the checks of
// `warden skills verify` (verify.go) — content changed since it was locked
// (a rug pull), skills nobody reviewed, publishers off an allowlist, and
// names that imitate locked or well-known ones (typosquat.go).
package skilllock

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Version is the lock file format this package reads and writes.
const Version = 1

// DefaultName is the lock file's name; by default it sits next to the
// skills folder (~/.openclaw/warden-skills.lock.json for
// ~/.openclaw/skills), outside the folder ClawHub installs into.
const DefaultName = "warden-skills.lock.json"

// maxLockBytes bounds what is read of a lock file.
const maxLockBytes = 64 << 20

// Lock is the lock file: what was reviewed, skill by skill.
type Lock struct {
	Version int     `json:"version"`
	Skills  []Entry `json:"skills"`
}

// Entry pins one reviewed skill.
type Entry struct {
	Name       string            `json:"name"`                 // the skill's folder name
	Source     string            `json:"source"`               // clawhub:<registry>/<slug> or local:<path>
	Publisher  string            `json:"publisher,omitempty"`  // ClawHub owner handle; empty for local skills
	Version    string            `json:"version,omitempty"`    // ClawHub's installed version, else the frontmatter's
	SHA256     string            `json:"sha256"`               // HashTree's digest
	Files      map[string]string `json:"files"`                // slash path → per-file digest, to name what changed
	LockedAt   time.Time         `json:"lockedAt"`             // when it was reviewed
	ReviewedBy string            `json:"reviewedBy,omitempty"` // who reviewed it
}

// DefaultPath is where the lock of skillsDir lives unless --lock says.
func DefaultPath(skillsDir string) (string, error) {
	abs, err := filepath.Abs(skillsDir)
	if err != nil {
		return "", err
	}
	return filepath.Join(filepath.Dir(abs), DefaultName), nil
}

// Get returns the entry named name.
func (l *Lock) Get(name string) (Entry, bool) {
	i, ok := slices.BinarySearchFunc(l.Skills, name, func(e Entry, n string) int { return cmp.Compare(e.Name, n) })
	if !ok {
		return Entry{}, false
	}
	return l.Skills[i], true
}

var hexDigest = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Parse reads a lock file strictly: the version must be 1, every field
// known and well formed, names unique. A lock that does not parse is an
// error, never an empty lock: verifying against nothing would pass.
func Parse(b []byte) (*Lock, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var l Lock
	if err := dec.Decode(&l); err != nil {
		return nil, fmt.Errorf("not a lock file: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("not a lock file: data after the JSON object")
	}
	if l.Version != Version {
		return nil, fmt.Errorf("lock file version %d: this Warden reads version %d", l.Version, Version)
	}
	if l.Skills == nil {
		return nil, errors.New("lock file has no skills list")
	}
	seen := map[string]bool{}
	for i, e := range l.Skills {
		if err := e.validate(); err != nil {
			return nil, fmt.Errorf("lock entry %d: %w", i, err)
		}
		if seen[e.Name] {
			return nil, fmt.Errorf("lock entry %d: skill %q locked twice", i, e.Name)
		}
		seen[e.Name] = true
	}
	l.sort()
	return &l, nil
}

func (e Entry) validate() error {
	if err := validName(e.Name); err != nil {
		return err
	}
	if !strings.HasPrefix(e.Source, "clawhub:") && !strings.HasPrefix(e.Source, "local:") {
		return fmt.Errorf("skill %q: source %q does not start with clawhub: or local: (the only two kinds)", e.Name, e.Source)
	}
	if !hexDigest.MatchString(e.SHA256) {
		return fmt.Errorf("skill %q: sha256 %q is not 64 lower-case hex digits", e.Name, e.SHA256)
	}
	if e.Files == nil {
		return fmt.Errorf("skill %q: no files list", e.Name)
	}
	for p, d := range e.Files {
		if p == "" || path.IsAbs(p) || path.Clean(p) != p || p == ".." || strings.HasPrefix(p, "../") {
			return fmt.Errorf("skill %q: file path %q is not a clean relative path", e.Name, p)
		}
		if !hexDigest.MatchString(d) {
			return fmt.Errorf("skill %q: digest of %q is not 64 lower-case hex digits", e.Name, p)
		}
	}
	// The tree digest is a function of the files list: a lock edited by
	// hand in one and not the other is corrupt, not half-trusted.
	if treeDigest(e.Files) != e.SHA256 {
		return fmt.Errorf("skill %q: sha256 does not match its files list", e.Name)
	}
	return nil
}

// validName accepts a single path element, as a skill folder's name is.
func validName(n string) error {
	if n == "" || n == "." || n == ".." || strings.ContainsAny(n, "/\\\x00") {
		return fmt.Errorf("skill name %q is not a folder name", n)
	}
	return nil
}

// Read reads and parses the lock file at p.
func Read(p string) (*Lock, error) {
	// A named pipe in the lock's place is refused, not waited on.
	f, _, err := openRegular(p)
	if err != nil {
		return nil, fmt.Errorf("lock file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxLockBytes+1))
	if err != nil {
		return nil, fmt.Errorf("lock file %s: %w", p, err)
	}
	if len(b) > maxLockBytes {
		return nil, fmt.Errorf("lock file %s: larger than %d MiB", p, maxLockBytes>>20)
	}
	l, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("lock file %s: %w", p, err)
	}
	return l, nil
}

func (l *Lock) sort() {
	slices.SortFunc(l.Skills, func(a, b Entry) int { return cmp.Compare(a.Name, b.Name) })
}

// Marshal encodes the lock sorted and indented, one field per line, so a
// re-lock shows in a diff as the entries that changed and nothing else.
func (l *Lock) Marshal() ([]byte, error) {
	l.sort()
	b, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Write writes the lock to p atomically: a temporary file in the same
// folder, synced, then renamed over p, so a crash or a full disk leaves
// the old lock or the new one, never half of either.
func (l *Lock) Write(p string) error {
	b, err := l.Marshal()
	if err != nil {
		return fmt.Errorf("lock file: %w", err)
	}
	return writeAtomic(p, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

func writeAtomic(p string, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(p)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(p)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = write(tmp); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	if err = tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	if err = os.Rename(tmp.Name(), p); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	// Sync the folder so the rename itself survives a crash.
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
