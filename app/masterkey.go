package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/keyring"
)

// Where a master key came from.
const (
	KeyFromEnv       = "WARDEN_MASTER_KEY"
	KeyFromEnvFile   = "WARDEN_MASTER_KEY_FILE"
	KeyFromDataDir   = "data dir key file"
	KeyFromGenerated = "generated key file"
)

// masterKey finds the master key: WARDEN_MASTER_KEY (base64), else the file
// named by WARDEN_MASTER_KEY_FILE, else <data>/master.key. A new install
// with none of these gets a generated key file, and the caller warns.
func masterKey(dir string, getenv func(string) string, fresh bool) ([]byte, string, error) {
	if v := getenv("WARDEN_MASTER_KEY"); v != "" {
		k, err := keyring.ParseMasterKey(v)
		if err != nil {
			return nil, "", fmt.Errorf("WARDEN_MASTER_KEY: %w", err)
		}
		return k, KeyFromEnv, nil
	}
	if p := getenv("WARDEN_MASTER_KEY_FILE"); p != "" {
		k, err := keyring.ReadKeyFile(p)
		return k, KeyFromEnvFile, err
	}
	path := filepath.Join(dir, masterKeyFile)
	k, err := keyring.ReadKeyFile(path)
	if err == nil {
		return k, KeyFromDataDir, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, "", err
	}
	if !fresh {
		return nil, "", fmt.Errorf("no master key for %s: set WARDEN_MASTER_KEY (or WARDEN_MASTER_KEY_FILE) to the key this data dir was created with", dir)
	}
	k = keyring.GenerateMasterKey()
	if err := keyring.WriteKeyFile(path, k); err != nil {
		return nil, "", err
	}
	return k, KeyFromGenerated, nil
}

// finishRotation completes or discards a master-key rotation that a crash
// interrupted. Rotation writes master.key.next, commits the re-wrapped keys,
// then renames master.key.next over master.key; whichever key opens the
// store is the right one.
func finishRotation(ctx context.Context, dir string, store warden.Store, current []byte, source string) ([]byte, error) {
	next := filepath.Join(dir, nextKeyFile)
	nk, err := keyring.ReadKeyFile(next)
	if errors.Is(err, fs.ErrNotExist) {
		return current, nil
	}
	if err != nil {
		return nil, err
	}
	if _, err := keyring.OpenExisting(ctx, store, current); err == nil {
		// The rotation did not commit: the old key is still the key.
		return current, os.Remove(next)
	}
	if _, err := keyring.OpenExisting(ctx, store, nk); err != nil {
		return nil, fmt.Errorf("neither %s nor %s opens this data dir", masterKeyFile, nextKeyFile)
	}
	if source != KeyFromDataDir {
		return nil, fmt.Errorf("a key rotation committed with the key in %s: set %s to that key, then remove the file", next, source)
	}
	if err := os.Rename(next, filepath.Join(dir, masterKeyFile)); err != nil {
		return nil, fmt.Errorf("finish key rotation: %w", err)
	}
	return nk, nil
}
