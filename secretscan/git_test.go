package secretscan

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// gitRepo makes a git repository in a temporary folder, with git cut off
// from the machine's and the user's configuration.
func gitRepo(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", home)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	t.Setenv("GIT_CONFIG_GLOBAL", filepath.Join(home, "gitconfig"))
	dir := t.TempDir()
	runGit(t, dir, "init", "-q", "-b", "main")
	return dir
}

// runGit runs git in dir and returns its output.
func runGit(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=Test", "-c", "user.email=test@example.invalid", "-c", "commit.gpgsign=false", "-C", dir}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func commitFile(t *testing.T, dir, name, body, msg string) string {
	t.Helper()
	writeFiles(t, dir, map[string]string{name: body})
	runGit(t, dir, "add", name)
	runGit(t, dir, "commit", "-q", "-m", msg)
	return runGit(t, dir, "rev-parse", "HEAD")
}

func TestHistoryFindsASecretDeletedLaterInTheCommitThatAddedIt(t *testing.T) {
	dir := gitRepo(t)
	aws := fake(50, "AKIA", upperDigits, 16)
	commitFile(t, dir, "app/settings.py", "DEBUG = True\n", "start")
	leak := commitFile(t, dir, "app/settings.py", "DEBUG = True\nNAME = 'x'\nAWS_KEY = '"+aws+"'\n", "add config")
	commitFile(t, dir, "app/settings.py", "DEBUG = True\nNAME = 'x'\n", "remove the key")
	// Another branch's commit is history too.
	runGit(t, dir, "checkout", "-q", "-b", "side")
	side := commitFile(t, dir, "side.env", "TOKEN="+fake(51, "ghp_", alnum, 36)+"\n", "side")
	runGit(t, dir, "checkout", "-q", "main")

	files, err := testScanner(t).ScanPaths(context.Background(), []string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(files.Findings) != 0 {
		t.Fatalf("the work tree is clean, yet: %+v", files.Findings)
	}
	rep, err := testScanner(t).ScanHistory(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Scanned != 3 || rep.Unit != "commits" {
		// The commits that added lines: start, add config, side.
		t.Errorf("scanned %d %s, want 3 commits", rep.Scanned, rep.Unit)
	}
	got := map[string]string{}
	for _, f := range rep.Findings {
		got[f.RuleID] = f.Commit + " " + f.File + ":" + strconv.Itoa(f.Line)
	}
	if want := leak + " app/settings.py:3"; got["aws-access-token"] != want {
		t.Errorf("aws finding at %q, want %q", got["aws-access-token"], want)
	}
	if want := side + " side.env:1"; got["github-pat"] != want {
		t.Errorf("github finding at %q, want %q", got["github-pat"], want)
	}
}

func TestStagedSeesOnlyWhatTheNextCommitAdds(t *testing.T) {
	dir := gitRepo(t)
	old := fake(52, "AKIA", upperDigits, 16)
	commitFile(t, dir, "old.env", "KEY="+old+"\n", "an old leak, already committed")
	staged := fake(53, "AKIA", upperDigits, 16)
	writeFiles(t, dir, map[string]string{"new.env": "A=1\nB=2\nKEY=" + staged + "\n"})
	runGit(t, dir, "add", "new.env")
	// Changed after staging, and a file never added: not in the commit.
	writeFiles(t, dir, map[string]string{
		"new.env":       "A=1\nB=2\nKEY=" + staged + "\nMORE=" + fake(54, "AKIA", upperDigits, 16) + "\n",
		"untracked.env": "KEY=" + fake(55, "AKIA", upperDigits, 16) + "\n",
	})
	rep, err := testScanner(t).ScanStaged(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) != 1 {
		t.Fatalf("want the staged key alone, got %+v", rep.Findings)
	}
	f := rep.Findings[0]
	if f.File != "new.env" || f.Line != 3 || f.Commit != "" || f.Fingerprint != Fingerprint("aws-access-token", "new.env", staged) {
		t.Errorf("finding %+v, want new.env:3 with the staged key's fingerprint", f)
	}
}

func TestStagedInASubfolderNamesFilesFromTheTop(t *testing.T) {
	dir := gitRepo(t)
	writeFiles(t, dir, map[string]string{"sub/x.env": "KEY=" + fake(56, "AKIA", upperDigits, 16) + "\n"})
	runGit(t, dir, "add", ".")
	rep, err := testScanner(t).ScanStaged(context.Background(), filepath.Join(dir, "sub"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) != 1 || rep.Findings[0].File != "sub/x.env" {
		t.Fatalf("got %+v", rep.Findings)
	}
}

func TestGitScansOutsideARepositoryFail(t *testing.T) {
	gitRepo(t) // for the environment
	dir := t.TempDir()
	if _, err := testScanner(t).ScanHistory(context.Background(), dir, Options{}); err == nil {
		t.Error("history of a folder that is no repository")
	}
	if _, err := testScanner(t).ScanStaged(context.Background(), dir, Options{}); err == nil {
		t.Error("staged changes of a folder that is no repository")
	}
}

func TestInstallHookRespectsExistingHooksAndHooksPath(t *testing.T) {
	ctx := context.Background()
	dir := gitRepo(t)
	hooks := filepath.Join(dir, ".git", "hooks")
	foreign := "#!/bin/sh\necho theirs\n"
	writeFiles(t, hooks, map[string]string{"pre-commit": foreign})

	if _, err := InstallHook(ctx, dir, "/opt/warden/bin/warden", false); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("overwrote a foreign hook without --force: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(hooks, "pre-commit")); string(b) != foreign {
		t.Fatal("the refused install changed the hook")
	}
	res, err := InstallHook(ctx, dir, "/opt/it's here/warden", true)
	if err != nil {
		t.Fatal(err)
	}
	if res.Chained != filepath.Join(hooks, "pre-commit.local") {
		t.Errorf("chained %q", res.Chained)
	}
	if b, _ := os.ReadFile(res.Chained); string(b) != foreign {
		t.Error("the foreign hook was not kept as pre-commit.local")
	}
	b, err := os.ReadFile(res.Path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `installed='/opt/it'\''s here/warden'`) || !strings.Contains(string(b), "scan secrets --staged") {
		t.Errorf("hook script:\n%s", b)
	}
	// Installing again replaces Warden's own hook without --force.
	if _, err := InstallHook(ctx, dir, "/usr/local/bin/warden", false); err != nil {
		t.Errorf("re-install: %v", err)
	}

	// core.hooksPath, relative to the top of the work tree.
	runGit(t, dir, "config", "core.hooksPath", "tools/hooks")
	res, err = InstallHook(ctx, filepath.Join(dir, "app"), "/usr/local/bin/warden", false)
	if err == nil {
		t.Fatal("installed from a folder that does not exist")
	}
	if err := os.MkdirAll(filepath.Join(dir, "app"), 0o755); err != nil {
		t.Fatal(err)
	}
	if res, err = InstallHook(ctx, filepath.Join(dir, "app"), "/usr/local/bin/warden", false); err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "tools", "hooks", "pre-commit"); res.Path != want {
		t.Errorf("hook at %s, want %s", res.Path, want)
	}
	if fi, err := os.Stat(res.Path); err != nil || fi.Mode()&0o111 == 0 {
		t.Errorf("hook not executable: %v", err)
	}
}
