package openclawcfg

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

var when = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func TestSaveBacksUpFirstAndKeepsTheMode(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "openclaw.json")
	orig := "// mine\n{gateway: {port: 18789,},}\n"
	if err := os.WriteFile(path, []byte(orig), 0o640); err != nil {
		t.Fatal(err)
	}
	os.Chmod(path, 0o640) // past the umask
	f, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !f.Comments {
		t.Error("the comment was not noticed")
	}
	patch, _ := Build(validOptions())
	Merge(f.Config, patch)
	backup, err := f.Save(f.Config, when)
	if err != nil {
		t.Fatal(err)
	}
	if want := path + ".warden-backup-20260304T050607Z"; backup != want {
		t.Errorf("backup %s, want %s", backup, want)
	}
	if b, _ := os.ReadFile(backup); string(b) != orig {
		t.Errorf("backup holds %q", b)
	}
	if fi, _ := os.Stat(backup); fi.Mode().Perm() != 0o600 {
		t.Errorf("backup mode %v, want 0600 (it may hold keys)", fi.Mode().Perm())
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o640 {
		t.Errorf("config mode %v, want the original 0640", fi.Mode().Perm())
	}
	again, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if get(t, again.Config, "gateway.port") != float64(18789) || get(t, again.Config, "plugins.entries.warden.enabled") != true {
		t.Errorf("written config: %v", again.Config)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("files left in the folder: %v (want the config and its backup)", entries)
	}
}

func TestSaveOfANewConfigIsPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "openclaw.json")
	f, err := Load(path)
	if err != nil || f.Info != nil || len(f.Config) != 0 {
		t.Fatalf("missing file: %v %+v", err, f)
	}
	patch, _ := Build(validOptions())
	Merge(f.Config, patch)
	backup, err := f.Save(f.Config, when)
	if err != nil || backup != "" {
		t.Fatalf("save: backup %q, %v", backup, err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("new config mode %v, want 0600", fi.Mode().Perm())
	}
	if fi, _ := os.Stat(filepath.Dir(path)); fi.Mode().Perm() != 0o700 {
		t.Errorf("new state folder mode %v, want 0700", fi.Mode().Perm())
	}
}

func TestLoadRefusesWhatItCannotRewriteSafely(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.json")
	os.WriteFile(real, []byte("{}"), 0o600)
	link := filepath.Join(dir, "openclaw.json")
	os.Symlink(real, link)
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte("{gateway: "), 0o600)
	list := filepath.Join(dir, "list.json")
	os.WriteFile(list, []byte("[1]"), 0o600)
	for _, p := range []string{link, bad, list} {
		if _, err := Load(p); err == nil {
			t.Errorf("%s: loaded", filepath.Base(p))
		}
	}
}

func TestHasCommentsIgnoresSlashesInStrings(t *testing.T) {
	for text, want := range map[string]bool{
		`{u: "http://x/y"}`:              false,
		`{u: 'a /* b'}`:                  false,
		`{u: "a\"//"}`:                   false,
		"{u: 1} // note":                 true,
		"{/* note */ u: 1}":              true,
		`{u: "http://x"} /* trailing */`: true,
	} {
		if got := hasComments([]byte(text)); got != want {
			t.Errorf("%s: %v, want %v", text, got, want)
		}
	}
}

func TestConfigPathFollowsOpenClawsOrder(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, tc := range []struct {
		home string
		vars map[string]string
		want string
	}{
		{"/srv/oc", map[string]string{"OPENCLAW_CONFIG_PATH": "/x.json"}, "/srv/oc/openclaw.json"},
		{"", map[string]string{"OPENCLAW_CONFIG_PATH": "/x.json", "OPENCLAW_STATE_DIR": "/s"}, "/x.json"},
		{"", map[string]string{"OPENCLAW_STATE_DIR": "/s", "HOME": "/h"}, "/s/openclaw.json"},
		{"", map[string]string{"HOME": "/h"}, "/h/.openclaw/openclaw.json"},
	} {
		got, err := ConfigPath(tc.home, env(tc.vars))
		if err != nil || got != tc.want {
			t.Errorf("%q %v: %s %v, want %s", tc.home, tc.vars, got, err, tc.want)
		}
	}
}
