package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/keyring"
	"github.com/wardenhq/warden/watermark"
)

func TestWatermarkIdentify(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "data")
	c := newCLI(t, nil)
	c.ok("init", "--data", dir, "--token-file", filepath.Join(root, "tok"))

	// The server derives its watermark key from the keyring the same way.
	key, err := watermarkKeyFromData(context.Background(), dir, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	w, err := watermark.New(key)
	if err != nil {
		t.Fatal(err)
	}
	m := watermark.Mark{Email: "dana@acme.com", Time: time.Date(2026, 11, 25, 16, 40, 0, 0, time.UTC), ShareID: "s_abc123"}
	page, err := w.RenderHTML(watermark.KindText, "q3.txt", []byte("Numbers.\n\nMore numbers.\n"), m)
	if err != nil {
		t.Fatal(err)
	}
	leaked := filepath.Join(root, "leaked.html")
	clean := filepath.Join(root, "clean.txt")
	os.WriteFile(leaked, page, 0o600)
	os.WriteFile(clean, []byte("Numbers.\n"), 0o600)
	otherKey := filepath.Join(root, "other.key")
	if err := keyring.WriteKeyFile(otherKey, keyring.GenerateMasterKey()); err != nil {
		t.Fatal(err)
	}
	ownKey := filepath.Join(root, "own.key")
	if err := keyring.WriteKeyFile(ownKey, key); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"found with the data folder's key", []string{leaked, "--data", dir, "--viewer", "eve@acme.com", "--viewer", "Dana@acme.com"},
			0, []string{"share:   s_abc123", "viewer:  Dana@acme.com (tag " + w.ViewerTag("dana@acme.com") + ")", "time:    2026-11-25 16:40:00 UTC", "text zero-width characters"}},
		{"found with a key file", []string{leaked, "--key-file", ownKey}, 0, []string{"share:   s_abc123"}},
		{"json", []string{leaked, "--data", dir, "--json", "--viewer", "dana@acme.com"}, 0, []string{`"share_id": "s_abc123"`, `"viewer": "dana@acme.com"`}},
		{"another install's key finds nothing", []string{leaked, "--key-file", otherKey}, 1, []string{"no forensic mark"}},
		{"clean file", []string{clean, "--data", dir}, 1, []string{"no forensic mark"}},
		{"missing file", []string{filepath.Join(root, "nope"), "--data", dir}, 2, nil},
		{"no master key", []string{leaked, "--data", filepath.Join(root, "empty")}, 2, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := c.run("", append([]string{"watermark", "identify"}, tt.args...)...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out, errs)
			}
			for _, want := range tt.want {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
		})
	}
}
