package openclawcfg

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// skillFS is a small skill with a nested file.
var skillFS = fstest.MapFS{
	"SKILL.md":         {Data: []byte("---\nname: demo\ndescription: A demo.\n---\n\nUse it.\n")},
	"scripts/notes.md": {Data: []byte("notes\n")},
}

func TestInstallSkillWritesOnlyWithWrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "skills")
	r, err := InstallSkill(dir, "demo", skillFS, false)
	if err != nil {
		t.Fatal(err)
	}
	if r.State != SkillMissing {
		t.Errorf("state %s, want missing", r.State)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Fatal("a dry run made the skills folder")
	}

	r, err = InstallSkill(dir, "demo", skillFS, true)
	if err != nil {
		t.Fatal(err)
	}
	if r.State != SkillWritten || r.Dir != filepath.Join(dir, "demo") {
		t.Fatalf("got %+v, want written into %s", r, filepath.Join(dir, "demo"))
	}
	for name, f := range skillFS {
		b, err := os.ReadFile(filepath.Join(r.Dir, filepath.FromSlash(name)))
		if err != nil || string(b) != string(f.Data) {
			t.Errorf("%s: %q, %v", name, b, err)
		}
	}
	if fi, _ := os.Stat(r.Dir); fi.Mode().Perm() != 0o755 {
		t.Errorf("skill folder mode %v, want 0755", fi.Mode().Perm())
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".demo.tmp-*")); len(left) != 0 {
		t.Errorf("temporary folders left behind: %v", left)
	}

	r, err = InstallSkill(dir, "demo", skillFS, true)
	if err != nil {
		t.Fatal(err)
	}
	if r.State != SkillUpToDate {
		t.Errorf("second install: state %s, want current", r.State)
	}
}

func TestInstallSkillNeverOverwritesAnotherSkill(t *testing.T) {
	for name, tc := range map[string]struct {
		prepare func(t *testing.T, dst string)
		differs []string
	}{
		"changed file": {func(t *testing.T, dst string) {
			os.WriteFile(filepath.Join(dst, "SKILL.md"), []byte("---\nname: demo\n---\nmine\n"), 0o644)
		}, []string{"SKILL.md"}},
		"extra file": {func(t *testing.T, dst string) {
			os.WriteFile(filepath.Join(dst, "run.sh"), []byte("echo hi\n"), 0o644)
		}, []string{"run.sh"}},
		"missing file": {func(t *testing.T, dst string) {
			os.Remove(filepath.Join(dst, "scripts", "notes.md"))
		}, []string{"scripts/notes.md"}},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if _, err := InstallSkill(dir, "demo", skillFS, true); err != nil {
				t.Fatal(err)
			}
			dst := filepath.Join(dir, "demo")
			tc.prepare(t, dst)
			before := snapshot(t, dst)
			r, err := InstallSkill(dir, "demo", skillFS, true)
			if err != nil {
				t.Fatal(err)
			}
			if r.State != SkillDiffers || !slices.Equal(r.Differs, tc.differs) {
				t.Errorf("got %s %v, want differs %v", r.State, r.Differs, tc.differs)
			}
			if after := snapshot(t, dst); after != before {
				t.Errorf("the installed skill was changed:\n%s\nnow\n%s", before, after)
			}
			if s := r.String(); !strings.Contains(s, "not overwritten") || !strings.Contains(s, tc.differs[0]) {
				t.Errorf("report %q does not say what differs and that it was kept", s)
			}
		})
	}

	t.Run("a link in its place", func(t *testing.T) {
		dir, elsewhere := t.TempDir(), t.TempDir()
		os.Symlink(elsewhere, filepath.Join(dir, "demo"))
		r, err := InstallSkill(dir, "demo", skillFS, true)
		if err != nil {
			t.Fatal(err)
		}
		if r.State != SkillDiffers {
			t.Errorf("state %s, want differs", r.State)
		}
		if entries, _ := os.ReadDir(elsewhere); len(entries) != 0 {
			t.Errorf("the link was followed: %v", entries)
		}
	})
}

// snapshot is a folder's files and contents as text.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, _ := os.ReadFile(p)
			rel, _ := filepath.Rel(dir, p)
			b.WriteString(rel + ": " + string(data) + "\n")
		}
		return nil
	})
	return b.String()
}

func TestInstallWardenSkillPutsItInTheStateSkillsFolder(t *testing.T) {
	state := t.TempDir()
	r, err := InstallWardenSkill(state, true)
	if err != nil {
		t.Fatal(err)
	}
	if r.State != SkillWritten {
		t.Fatalf("state %s, want written", r.State)
	}
	b, err := os.ReadFile(filepath.Join(state, "skills", "warden-workspaces", "SKILL.md"))
	if err != nil || !strings.Contains(string(b), "name: warden-workspaces") {
		t.Errorf("SKILL.md: %v\n%s", err, b)
	}
}

func TestStateDirFollowsOpenClawsOrder(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, tc := range []struct {
		home string
		env  map[string]string
		want string
	}{
		{"/srv/oc", map[string]string{"OPENCLAW_STATE_DIR": "/x", "HOME": "/home/a"}, "/srv/oc"},
		{"", map[string]string{"OPENCLAW_STATE_DIR": "/x", "OPENCLAW_CONFIG_PATH": "/y/oc.json", "HOME": "/home/a"}, "/x"},
		{"", map[string]string{"OPENCLAW_CONFIG_PATH": "/y/oc.json", "HOME": "/home/a"}, "/home/a/.openclaw"},
	} {
		got, err := StateDir(tc.home, env(tc.env))
		if err != nil || got != tc.want {
			t.Errorf("StateDir(%q, %v) = %q, %v; want %q", tc.home, tc.env, got, err, tc.want)
		}
	}
	if _, err := StateDir("", env(nil)); err == nil {
		t.Error("no HOME and nothing else: want an error")
	}
}
