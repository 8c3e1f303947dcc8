//go:build unix

package skilllock

import (
	"errors"
	"path/filepath"
	"syscall"
	"testing"
)

func TestHashRefusesSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := HashTree(dir)
	if err == nil || errors.Is(err, ErrLimit) {
		t.Fatalf("err %v, want a refusal of the fifo", err)
	}
}
