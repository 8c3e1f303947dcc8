// Package blob is the embedded BlobStore: each object is one file under
// <dir>/<2 hex>/<id>, written to <dir>/tmp first and renamed into place after
// an fsync, so an object either exists complete or not at all. What it
// stores is already sealed by the keyring; it never sees plaintext.
package blob

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/wardenhq/warden"
)

// Dir is a BlobStore in a local folder.
type Dir struct {
	root string
}

var _ warden.BlobStore = (*Dir)(nil)

// Open opens (and creates, mode 0700) a blob folder. All 256 shard folders
// are made here, and the folder synced, so that committing an object never
// creates a folder whose own entry a power cut could lose.
func Open(root string) (*Dir, error) {
	dirs := []string{root, filepath.Join(root, "tmp")}
	for i := range 256 {
		dirs = append(dirs, filepath.Join(root, fmt.Sprintf("%02x", i)))
	}
	created := false
	for _, d := range dirs {
		if _, err := os.Stat(d); err == nil {
			continue
		}
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("open blob store: %w", err)
		}
		created = true
	}
	if created {
		for _, d := range []string{root, filepath.Dir(root)} {
			if err := syncDir(d); err != nil {
				return nil, fmt.Errorf("open blob store: %w", err)
			}
		}
	}
	return &Dir{root: root}, nil
}

// NewID returns a random object id: 32 hex digits.
func NewID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func validID(id string) bool {
	if len(id) != 32 {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil && strings.ToLower(id) == id
}

func (d *Dir) path(id string) string { return filepath.Join(d.root, id[:2], id) }

// Create starts a new object in the tmp folder.
func (d *Dir) Create(ctx context.Context) (warden.BlobWriter, error) {
	id := NewID()
	f, err := os.OpenFile(filepath.Join(d.root, "tmp", id), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create blob: %w", err)
	}
	return &writer{d: d, id: id, f: f}, nil
}

type writer struct {
	d       *Dir
	id      string
	f       *os.File
	done    bool
	written int64 // bytes written
	synced  int64 // bytes handed to writeback
}

// writebackEvery is how much an upload writes before it asks the kernel to
// start writing it to disk. Without it the whole object sits in the page
// cache until Commit's fsync, which then waits for all of it; with it, disk
// writes overlap with receiving and sealing, and the fsync finds little left.
const writebackEvery = 8 << 20

func (w *writer) ID() string { return w.id }

func (w *writer) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.written += int64(n)
	if w.written-w.synced >= writebackEvery {
		startWriteback(w.f, w.synced, w.written-w.synced)
		w.synced = w.written
	}
	return n, err
}

// Commit syncs the file, renames it into place and syncs both folders, so the
// object survives a crash once Commit returns.
func (w *writer) Commit() error {
	if w.done {
		return errors.New("commit blob: already finished")
	}
	w.done = true
	tmp := w.f.Name()
	if err := w.f.Sync(); err != nil {
		w.f.Close()
		os.Remove(tmp)
		return fmt.Errorf("commit blob: sync: %w", err)
	}
	if err := w.f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("commit blob: %w", err)
	}
	final := w.d.path(w.id)
	dir := filepath.Dir(final) // made by Open
	if err := os.Rename(tmp, final); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("commit blob: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("commit blob: %w", err)
	}
	return nil
}

// Abort removes an uncommitted object.
func (w *writer) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	w.f.Close()
	return os.Remove(w.f.Name())
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// Open opens a committed object.
func (d *Dir) Open(ctx context.Context, id string) (warden.BlobReader, error) {
	if !validID(id) {
		return nil, warden.Errorf(warden.EINTEGRITY, "stored blob id is malformed")
	}
	f, err := os.Open(d.path(id))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, warden.WrapError(warden.EINTEGRITY, err, "stored content is missing")
	}
	if err != nil {
		return nil, fmt.Errorf("open blob: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open blob: %w", err)
	}
	return &reader{File: f, size: fi.Size()}, nil
}

type reader struct {
	*os.File
	size int64
}

func (r *reader) Size() int64 { return r.size }

// Delete removes a committed object; a missing one is not an error.
func (d *Dir) Delete(ctx context.Context, id string) error {
	if !validID(id) {
		return fmt.Errorf("delete blob: bad id %q", id)
	}
	if err := os.Remove(d.path(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete blob: %w", err)
	}
	return nil
}

// List calls fn with every committed object's id.
func (d *Dir) List(ctx context.Context, fn func(id string) error) error {
	shards, err := os.ReadDir(d.root)
	if err != nil {
		return fmt.Errorf("list blobs: %w", err)
	}
	for _, s := range shards {
		if !s.IsDir() || len(s.Name()) != 2 {
			continue
		}
		ents, err := os.ReadDir(filepath.Join(d.root, s.Name()))
		if err != nil {
			return fmt.Errorf("list blobs: %w", err)
		}
		for _, e := range ents {
			if err := ctx.Err(); err != nil {
				return err
			}
			if validID(e.Name()) && e.Name()[:2] == s.Name() {
				if err := fn(e.Name()); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// CleanTemp removes every uncommitted object, left by uploads that a crash or
// restart cut short. Call it only when no upload is in flight (at start-up).
func (d *Dir) CleanTemp() (int, error) {
	tmp := filepath.Join(d.root, "tmp")
	ents, err := os.ReadDir(tmp)
	if err != nil {
		return 0, fmt.Errorf("clean blob tmp: %w", err)
	}
	n := 0
	for _, e := range ents {
		if err := os.Remove(filepath.Join(tmp, e.Name())); err == nil {
			n++
		}
	}
	return n, nil
}
