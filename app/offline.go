package app

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/audit"
	"github.com/wardenhq/warden/keyring"
	"github.com/wardenhq/warden/sqlite"
)

// CheckListen refuses to serve plain HTTP anywhere but loopback: tokens and
// file contents would cross the network in clear.
func CheckListen(addr string, tlsOn bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: %w", addr, err)
	}
	if tlsOn || isLoopback(host) {
		return nil
	}
	return fmt.Errorf("refusing to listen on %s without TLS: set tls.cert_file and tls.key_file (WARDEN_TLS_CERT_FILE, WARDEN_TLS_KEY_FILE) or listen on 127.0.0.1", addr)
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// VerifyOptions configure VerifyAudit.
type VerifyOptions struct {
	Getenv     func(string) string
	PublicKey  string // path of a pinned public key; overrides the copy in the data dir
	RequireKey bool   // fail if no master key is available to open sealed details
}

// VerifyResult is what VerifyAudit found and how.
type VerifyResult struct {
	*audit.Report
	KeySource string `json:"key_source"` // where the public key came from
}

// VerifyAudit checks the audit chain of a data folder without writing to
// it; a server may be running. With a master key it derives the public key
// from it and opens every sealed detail; without one it trusts the public
// key copy in the data folder, or the one given.
func VerifyAudit(ctx context.Context, dir string, o VerifyOptions) (*VerifyResult, error) {
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if !initialised(dir) {
		return nil, fmt.Errorf("%s is not a Warden data dir (no %s)", dir, dbFile)
	}
	store, err := sqlite.Open(ctx, filepath.Join(dir, dbFile), sqlite.Options{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer store.Close()

	var keys *keyring.Keyring
	var pub ed25519.PublicKey
	res := &VerifyResult{}
	if master, _, err := masterKey(dir, o.Getenv, false); err == nil {
		keys, err = keyring.OpenExisting(ctx, store, master)
		if err != nil {
			return nil, err
		}
		pub, res.KeySource = keys.PublicKey(), "master key"
	} else if o.RequireKey {
		return nil, err
	}
	if o.PublicKey != "" {
		pinned, err := readPublicKey(o.PublicKey)
		if err != nil {
			return nil, err
		}
		if pub != nil && !pub.Equal(pinned) {
			return nil, fmt.Errorf("the pinned public key %s is not the key of this data dir's master key", o.PublicKey)
		}
		pub, res.KeySource = pinned, o.PublicKey
	}
	if pub == nil {
		if err := store.View(ctx, func(tx warden.Tx) error {
			var err error
			pub, err = keyring.StoredPublicKey(tx)
			return err
		}); err != nil {
			return nil, fmt.Errorf("read audit public key: %w", err)
		}
		res.KeySource = "data dir (unpinned: pass --pubkey or a master key to rule out a replaced key)"
	}
	rep, err := audit.Verify(ctx, store, pub, keys)
	if err != nil {
		return nil, err
	}
	res.Report = rep
	return res, nil
}

func readPublicKey(path string) (ed25519.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read public key: %w", err)
	}
	k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(k) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%s is not a base64 Ed25519 public key", path)
	}
	return ed25519.PublicKey(k), nil
}

// RotateOptions configure RotateKeys.
type RotateOptions struct {
	Getenv       func(string) string
	NewMasterKey bool                    // also replace the master key
	Progress     func(done, total int64) // optional
}

// RotateResult says what RotateKeys did.
type RotateResult struct {
	keyring.RotateResult
	NewKeyFile string // where the new master key was written, if NewMasterKey
	KeyInEnv   bool   // the old key came from the environment: the operator must switch it
}

// RotateKeys re-wraps every key in a data folder under a new KEK generation,
// optionally derived from a new master key. The server must be stopped; the
// data folder lock enforces it.
func RotateKeys(ctx context.Context, dir string, o RotateOptions) (*RotateResult, error) {
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if !initialised(dir) {
		return nil, fmt.Errorf("%s is not a Warden data dir (no %s)", dir, dbFile)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	defer lock.release()
	master, source, err := masterKey(dir, o.Getenv, false)
	if err != nil {
		return nil, err
	}
	store, err := openStore(dir)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	if master, err = finishRotation(ctx, dir, store, master, source); err != nil {
		return nil, err
	}
	res := &RotateResult{KeyInEnv: source != KeyFromDataDir}
	var newMaster []byte
	next := filepath.Join(dir, nextKeyFile)
	if o.NewMasterKey {
		newMaster = keyring.GenerateMasterKey()
		// Written before the commit, so a crash right after it never leaves
		// data wrapped under a key that exists nowhere.
		if err := keyring.WriteKeyFile(next, newMaster); err != nil {
			return nil, err
		}
		res.NewKeyFile = next
	}
	// The rotation is an administrative action like any other: its event
	// commits with it. The audit key itself is only re-wrapped, so events
	// sealed before and after open alike.
	keys, err := keyring.OpenExisting(ctx, store, master)
	if err != nil {
		if o.NewMasterKey {
			os.Remove(next)
		}
		return nil, err
	}
	log := audit.New(store, keys, audit.Options{})
	defer log.Close(context.Background())
	record := func(tx warden.Tx, r keyring.RotateResult) error {
		return log.Append(tx, &warden.Event{
			Principal: "warden", Kind: warden.KindSystem, Action: "keys.rotate",
			Decision: warden.Decision{Effect: warden.Allow, Rule: "offline"},
			Details: map[string]any{"from_generation": r.FromGeneration, "to_generation": r.ToGeneration,
				"data_keys": r.DataKeys, "new_master_key": o.NewMasterKey},
		})
	}
	rr, err := keyring.Rotate(ctx, store, master, newMaster, o.Progress, record)
	if err != nil {
		if o.NewMasterKey {
			os.Remove(next)
		}
		return nil, err
	}
	res.RotateResult = rr
	if o.NewMasterKey && source == KeyFromDataDir {
		if err := os.Rename(next, filepath.Join(dir, masterKeyFile)); err != nil {
			return nil, fmt.Errorf("install new master key: %w", err)
		}
		res.NewKeyFile = filepath.Join(dir, masterKeyFile)
	}
	return res, nil
}

// Init initialises a data folder without serving and returns the bootstrap
// admin token ("" if it was already initialised).
func Init(ctx context.Context, opts Options) (token string, keySource string, err error) {
	a, err := Open(ctx, opts)
	if err != nil {
		return "", "", err
	}
	tok, src := a.BootstrapToken, a.KeySource
	return tok, src, a.Close(ctx)
}

// WriteTokenFile writes a token to a new file with mode 0600.
func WriteTokenFile(path, tok string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("token file %s already exists; not overwriting it", path)
	}
	if err != nil {
		return fmt.Errorf("write token file: %w", err)
	}
	if _, err := f.WriteString(tok + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("write token file: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write token file: %w", err)
	}
	return f.Close()
}

// openStore opens the data folder's database for writing.
func openStore(dir string) (*sqlite.DB, error) {
	return sqlite.Open(context.Background(), filepath.Join(dir, dbFile), sqlite.Options{})
}
