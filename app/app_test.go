package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/keyring"
)

func TestCheckListenRefusesPlainHTTPOffLoopback(t *testing.T) {
	cases := []struct {
		addr string
		tls  bool
		ok   bool
	}{
		{"127.0.0.1:8700", false, true},
		{"127.9.9.9:8700", false, true},
		{"[::1]:8700", false, true},
		{"localhost:8700", false, true},
		{"0.0.0.0:8700", false, false},
		{":8700", false, false},
		{"[::]:8700", false, false},
		{"192.168.1.5:8700", false, false},
		{"warden.internal:8700", false, false},
		{"0.0.0.0:8700", true, true},
		{"no-port", false, false},
	}
	for _, c := range cases {
		err := CheckListen(c.addr, c.tls)
		if (err == nil) != c.ok {
			t.Errorf("CheckListen(%q, tls=%v) = %v, want ok=%v", c.addr, c.tls, err, c.ok)
		}
	}
}

func openApp(t *testing.T, dir string, env map[string]string) (*App, error) {
	cfg := config.Default()
	cfg.Data = dir
	return Open(context.Background(), Options{Config: cfg, Getenv: func(k string) string { return env[k] }})
}

// A rotation writes master.key.next before it commits. If it crashed before
// committing, the old key still opens the store and the next file must go; if
// it crashed after, the next key is the key and must be installed.
func TestInterruptedMasterKeyRotationIsResolvedAtStart(t *testing.T) {
	t.Run("crash before commit keeps the old key", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "d")
		a, err := openApp(t, dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		a.Close(context.Background())
		old, _ := os.ReadFile(filepath.Join(dir, masterKeyFile))
		keyring.WriteKeyFile(filepath.Join(dir, nextKeyFile), keyring.GenerateMasterKey())
		a, err = openApp(t, dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		a.Close(context.Background())
		if _, err := os.Stat(filepath.Join(dir, nextKeyFile)); err == nil {
			t.Fatal("uncommitted next key left behind")
		}
		if now, _ := os.ReadFile(filepath.Join(dir, masterKeyFile)); string(now) != string(old) {
			t.Fatal("key file changed")
		}
	})
	t.Run("crash after commit installs the new key", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "d")
		a, err := openApp(t, dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		a.Close(context.Background())
		// Do what RotateKeys does, but stop before the rename.
		old, _ := keyring.ReadKeyFile(filepath.Join(dir, masterKeyFile))
		next := keyring.GenerateMasterKey()
		keyring.WriteKeyFile(filepath.Join(dir, nextKeyFile), next)
		lock, _ := lockDir(dir)
		store, err := openStore(dir)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := keyring.Rotate(context.Background(), store, old, next, nil, nil); err != nil {
			t.Fatal(err)
		}
		store.Close()
		lock.release()

		a, err = openApp(t, dir, nil)
		if err != nil {
			t.Fatalf("open after interrupted rotation: %v", err)
		}
		a.Close(context.Background())
		got, _ := keyring.ReadKeyFile(filepath.Join(dir, masterKeyFile))
		if string(got) != string(next) {
			t.Fatal("the committed key was not installed")
		}
	})
	t.Run("crash after commit with the key in the environment says what to do", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "d")
		old := keyring.GenerateMasterKey()
		env := map[string]string{"WARDEN_MASTER_KEY": keyring.EncodeMasterKey(old)}
		a, err := openApp(t, dir, env)
		if err != nil {
			t.Fatal(err)
		}
		a.Close(context.Background())
		if _, err := RotateKeys(context.Background(), dir, RotateOptions{Getenv: func(k string) string { return env[k] }, NewMasterKey: true}); err != nil {
			t.Fatal(err)
		}
		_, err = openApp(t, dir, env)
		if err == nil || !strings.Contains(err.Error(), nextKeyFile) || !strings.Contains(err.Error(), "WARDEN_MASTER_KEY") {
			t.Fatalf("open with the old env key = %v", err)
		}
	})
}

func TestVerifyWithPinnedPublicKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	a, err := openApp(t, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	a.Close(context.Background())
	pinned := filepath.Join(t.TempDir(), "audit.pub")
	b, _ := os.ReadFile(filepath.Join(dir, pubKeyFile))
	os.WriteFile(pinned, b, 0o644)
	res, err := VerifyAudit(context.Background(), dir, VerifyOptions{Getenv: func(string) string { return "" }, PublicKey: pinned})
	if err != nil || !res.OK() || res.KeySource != pinned {
		t.Fatalf("verify = %+v, %v", res, err)
	}
	// A pin that does not belong to this install is refused outright.
	other := filepath.Join(t.TempDir(), "other.pub")
	os.WriteFile(other, []byte(keyring.EncodeMasterKey(keyring.GenerateMasterKey())+"\n"), 0o644)
	if _, err := VerifyAudit(context.Background(), dir, VerifyOptions{PublicKey: other}); err == nil {
		t.Fatal("a foreign pinned key was accepted")
	}
	// Without the master key there is nothing to compare the pin with: the
	// checkpoints simply fail to verify under it.
	if err := os.Rename(filepath.Join(dir, masterKeyFile), filepath.Join(t.TempDir(), "moved.key")); err != nil {
		t.Fatal(err)
	}
	res, err = VerifyAudit(context.Background(), dir, VerifyOptions{Getenv: func(string) string { return "" }, PublicKey: other})
	if err != nil || res.OK() || !strings.Contains(res.Problem, "signature") {
		t.Fatalf("verify with a wrong pinned key = %+v, %v; want a signature failure", res, err)
	}
}
