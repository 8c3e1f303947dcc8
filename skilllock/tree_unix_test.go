//go:build unix

package skilllock

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
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

// A named pipe where a lock file, origin.json or SKILL.md is read is
// refused at once, never waited on (opening a FIFO blocks for a writer).
func TestReadersDoNotBlockOnNamedPipes(t *testing.T) {
	dir := t.TempDir()
	pipe := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(pipe, 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		if b := readSmallFile(pipe); b != nil {
			done <- errors.New("readSmallFile read a named pipe")
			return
		}
		if f, _, err := openRegular(pipe); err == nil {
			f.Close()
			done <- errors.New("openRegular opened a named pipe")
			return
		}
		_, err := Read(pipe)
		if err == nil {
			err = errors.New("Read accepted a named pipe")
		} else {
			err = nil
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Minute): // a hang guard, not a measurement
		t.Fatal("a reader blocked on a named pipe")
	}
}

func TestScanRefusesANamedPipeAsSKILLmd(t *testing.T) {
	w := newWorkspace(t)
	if err := os.Mkdir(filepath.Join(w.skills, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(w.skills, "x", "SKILL.md"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Scan(w.skills, 1, nil); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("err %v, want the named pipe refused", err)
	}
}
