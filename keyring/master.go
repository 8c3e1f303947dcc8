package keyring

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// MasterKeySize is the length of a master key in bytes.
const MasterKeySize = 32

// ParseMasterKey decodes a master key written as base64 (standard or URL
// alphabet, padded or not) of exactly 32 bytes.
func ParseMasterKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil {
			if len(k) != MasterKeySize {
				return nil, fmt.Errorf("master key is %d bytes; want %d (base64 of 32 random bytes, e.g. `warden keys generate`)", len(k), MasterKeySize)
			}
			return k, nil
		}
	}
	return nil, errors.New("master key is not base64 (want base64 of 32 random bytes, e.g. `warden keys generate`)")
}

// GenerateMasterKey returns 32 random bytes.
func GenerateMasterKey() []byte {
	k := make([]byte, MasterKeySize)
	rand.Read(k)
	return k
}

// EncodeMasterKey writes a key in the form ParseMasterKey reads.
func EncodeMasterKey(k []byte) string { return base64.StdEncoding.EncodeToString(k) }

// ReadKeyFile reads a master key file, refusing one that other users could read.
func ReadKeyFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read master key: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("master key file %s is mode %04o; it must not be readable by group or others (chmod 600)", path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read master key: %w", err)
	}
	k, err := ParseMasterKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// WriteKeyFile writes a key file with mode 0600, durably: a temporary file is
// written and synced, then renamed into place and the folder synced. It fails
// if the file exists.
func WriteKeyFile(path string, k []byte) error {
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("write master key: %s: %w", path, fs.ErrExist)
	}
	return replaceKeyFile(path, k)
}

// replaceKeyFile writes or atomically replaces a key file.
func replaceKeyFile(path string, k []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".master-key-*")
	if err != nil {
		return fmt.Errorf("write master key: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after the rename
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("write master key: %w", err)
	}
	if _, err := f.WriteString(EncodeMasterKey(k) + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("write master key: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write master key: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write master key: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write master key: %w", err)
	}
	return syncDir(dir)
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
