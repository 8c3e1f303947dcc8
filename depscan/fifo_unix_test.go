//go:build unix

package depscan

import (
	"context"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/wardenhq/warden/report"
)

// Regression: a named pipe called package-lock.json or SKILL.md made
// os.Open wait for a writer forever. It is now a deps.unreadable finding.
func TestNamedPipeIsAFindingNotAHang(t *testing.T) {
	root := t.TempDir()
	db := fixtureDB(t, false)
	for _, name := range []string{"package-lock.json", "skills/x/SKILL.md", "requirements.txt"} {
		p := filepath.Join(root, filepath.FromSlash(name))
		copyFile(t, "testdata/project/py/requirements.txt", p) // makes the folder
		if err := syscall.Unlink(p); err != nil {
			t.Fatal(err)
		}
		if err := syscall.Mkfifo(p, 0o644); err != nil {
			t.Skipf("mkfifo: %v", err)
		}
	}
	type result struct {
		rep *report.Report
		err error
	}
	done := make(chan result, 1)
	go func() {
		rep, err := Scan(context.Background(), root, Options{OfflineDB: db})
		done <- result{rep, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-time.After(2 * time.Minute): // a hang guard, not a measurement
		t.Fatal("Scan blocked on a named pipe")
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	for _, f := range []string{"package-lock.json", "skills/x/SKILL.md", "requirements.txt"} {
		if !hasFinding(r.rep, RuleUnreadable, f) {
			t.Errorf("%s: no %s finding; findings %v", f, RuleUnreadable, r.rep.Findings)
		}
	}
}

// openRegular refuses a named pipe without waiting for a writer, even
// when the caller did not check what the path is first.
func TestOpenRegularDoesNotBlockOnANamedPipe(t *testing.T) {
	p := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		f, _, err := openRegular(p)
		if f != nil {
			f.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("a named pipe was opened as a regular file")
		}
	case <-time.After(2 * time.Minute): // a hang guard, not a measurement
		t.Fatal("openRegular blocked on a named pipe")
	}
}
