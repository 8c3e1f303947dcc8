package skilllock

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// benchFolder makes a skills folder of 200 skills of 20 files (about
// 2 KiB each, 8 MiB in all).
func benchFolder(b *testing.B) string {
	dir := b.TempDir()
	body := strings.Repeat("Fetch the forecast and summarise it for the user.\n", 40)
	for i := range 200 {
		files := map[string]string{"SKILL.md": fmt.Sprintf("---\nname: skill-%03d\nversion: 1.0.%d\n---\n%s", i, i, body)}
		for j := range 19 {
			files[fmt.Sprintf("scripts/part-%02d.py", j)] = fmt.Sprintf("# %d/%d\n%s", i, j, body)
		}
		writeFiles(b, filepath.Join(dir, fmt.Sprintf("skill-%03d", i)), files)
	}
	return dir
}

// BenchmarkLockVerify200x20 is warden skills lock then verify of the same
// folder, minus the CLI: two scans, the lock built, written and read, every
// skill compared and the typosquat checks (none locked-out here).
func BenchmarkLockVerify200x20(b *testing.B) {
	dir := benchFolder(b)
	lockPath := filepath.Join(b.TempDir(), DefaultName)
	popular := PopularNames()
	for b.Loop() {
		skills, err := Scan(dir, 2, nil)
		if err != nil {
			b.Fatal(err)
		}
		l, err := NewLock(skills, nil, LockOptions{Base: dir, Now: time.Now()})
		if err != nil {
			b.Fatal(err)
		}
		if err := l.Write(lockPath); err != nil {
			b.Fatal(err)
		}
		if l, err = Read(lockPath); err != nil {
			b.Fatal(err)
		}
		if skills, err = Scan(dir, 2, nil); err != nil {
			b.Fatal(err)
		}
		if fs := Verify(skills, Check{Lock: l, Popular: popular, Base: dir}); len(fs) != 0 {
			b.Fatalf("findings: %v", fs)
		}
	}
}

// BenchmarkVerifyTyposquats200 is the name checks alone: 200 unreviewed
// skills against 200 locked and the popular names.
func BenchmarkVerifyTyposquats200(b *testing.B) {
	popular := PopularNames()
	var locked, fresh []Skill
	for i := range 200 {
		locked = append(locked, Skill{Name: fmt.Sprintf("team-tool-%03d", i), Tree: &Tree{SHA256: treeDigest(nil), Files: map[string]string{}}})
		fresh = append(fresh, Skill{Name: fmt.Sprintf("new-helper-%03d", i), Tree: &Tree{SHA256: treeDigest(nil), Files: map[string]string{}}})
	}
	l, err := NewLock(locked, nil, LockOptions{})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		Verify(fresh, Check{Lock: l, Popular: popular})
	}
}
