package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/sqlite"
	"github.com/wardenhq/warden/storetest"
)

func open(t *testing.T) warden.Store {
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "warden.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestStoreContract(t *testing.T) { storetest.Run(t, open) }

func TestOpenCreatesPrivateFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "warden.db")
	db, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(context.Background(), func(tx warden.Tx) error { return tx.SetMeta("k", []byte("v")) }); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %04o, want 0600", filepath.Base(p), fi.Mode().Perm())
		}
	}
}

func TestReadOnlyRefusesWritesAndMissingFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "warden.db")
	if _, err := sqlite.Open(context.Background(), path, sqlite.Options{ReadOnly: true}); err == nil {
		t.Fatal("read-only open of a missing database succeeded")
	}
	rw, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rw.Update(context.Background(), func(tx warden.Tx) error { return tx.SetMeta("k", []byte("v")) })
	rw.Close()
	ro, err := sqlite.Open(context.Background(), path, sqlite.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if err := ro.Update(context.Background(), func(tx warden.Tx) error { return tx.SetMeta("k", []byte("w")) }); err == nil {
		t.Fatal("Update on a read-only store succeeded")
	}
	if err := ro.View(context.Background(), func(tx warden.Tx) error {
		v, err := tx.Meta("k")
		if string(v) != "v" {
			t.Fatalf("Meta = %q, %v", v, err)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

func TestRefusesDatabaseFromNewerWarden(t *testing.T) {
	path := filepath.Join(t.TempDir(), "warden.db")
	db, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	raw, err := sqlite.OpenRaw(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (999, 0)`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	_, err = sqlite.Open(context.Background(), path, sqlite.Options{})
	if err == nil || !strings.Contains(err.Error(), "newer Warden") {
		t.Fatalf("Open = %v, want a refusal naming a newer Warden", err)
	}
}
