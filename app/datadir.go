package app

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Files inside the data folder.
const (
	dbFile        = "warden.db"
	lockFile      = "warden.lock"
	masterKeyFile = "master.key"
	nextKeyFile   = "master.key.next" // a rotation in progress
	pubKeyFile    = "audit.pub"
	blobDir       = "blobs"
)

// ensureDataDir creates dir with mode 0700, or checks that an existing one is
// not open to other users: it holds sealed data, but also the key file when
// no WARDEN_MASTER_KEY is set.
func ensureDataDir(dir string) error {
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
			return fmt.Errorf("create data dir: %w", err)
		}
		if err := os.Mkdir(dir, 0o700); err != nil {
			return fmt.Errorf("create data dir: %w", err)
		}
		// Mkdir is subject to umask; make the mode exact.
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("create data dir: %w", err)
		}
		return syncParent(dir)
	}
	if err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("data dir %s is not a folder", dir)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("data dir %s is mode %04o; it must not be accessible by group or others (chmod 700 %s)", dir, fi.Mode().Perm(), dir)
	}
	return nil
}

// initialised reports whether dir holds a Warden database.
func initialised(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, dbFile))
	return err == nil
}

// dirLock is an exclusive advisory lock on the data folder, held by the
// server and by offline commands that write, so two processes never write one
// data folder.
type dirLock struct{ f *os.File }

func lockDir(dir string) (*dirLock, error) {
	f, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock data dir: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("data dir %s is in use by another Warden process (stop it first)", dir)
		}
		return nil, fmt.Errorf("lock data dir: %w", err)
	}
	return &dirLock{f: f}, nil
}

func (l *dirLock) release() {
	if l != nil && l.f != nil {
		unix.Flock(int(l.f.Fd()), unix.LOCK_UN)
		l.f.Close()
	}
}

// syncParent makes the creation of path durable.
func syncParent(path string) error {
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return fmt.Errorf("sync %s: %w", filepath.Dir(path), err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", filepath.Dir(path), err)
	}
	return nil
}
