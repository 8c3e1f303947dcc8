package main

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardenhq/warden/token"
)

// fakeKey returns prefix and n characters of alphabet, the same for the
// same seed: built at run time so no file here looks like a leak.
func fakeKey(seed uint64, prefix, alphabet string, n int) string {
	r := rand.New(rand.NewPCG(seed, 7))
	b := []byte(prefix)
	for range n {
		b = append(b, alphabet[r.IntN(len(alphabet))])
	}
	return string(b)
}

func fakeAWS(seed uint64) string {
	return fakeKey(seed, "AKIA", "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
}

func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestScanSecretsEvidenceIsMaskedInEveryFormat(t *testing.T) {
	dir := t.TempDir()
	aws := fakeAWS(1)
	gh := fakeKey(2, "ghp_", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 36)
	pw := fakeKey(3, "", "abcdefghijkmnopqrstuvwxyzABCDEFGH0123456789", 10) + "#!" + fakeKey(4, "", "abcdefghijkmnopqrstuvwxyzABCDEFGH0123456789", 8)
	wdn := token.New()
	writeTree(t, dir, map[string]string{
		"app/.env":      "AWS_ACCESS_KEY_ID=" + aws + "\nGITHUB_TOKEN=" + gh + "\n",
		"app/db.yaml":   "db:\n  password: \"" + pw + "\"\n",
		"agent/run.sh":  "export WARDEN_TOKEN=" + wdn + "\n",
		"docs/clean.md": "# nothing to see\n",
	})
	secrets := []string{aws, gh, pw, wdn}
	for _, format := range []string{"table", "json", "sarif"} {
		t.Run(format, func(t *testing.T) {
			code, out, errs := newCLI(t, nil).run("", "scan", "secrets", "--format", format, dir)
			if code != 1 {
				t.Fatalf("exit %d, want 1; stderr %s", code, errs)
			}
			for _, s := range secrets {
				// Anything past the first four characters would be a leak.
				if strings.Contains(out, s[4:12]) || strings.Contains(errs, s[4:12]) {
					t.Errorf("output shows a secret (%s…)", s[:4])
				}
			}
			for _, rule := range []string{"aws-access-token", "github-pat", "generic-high-entropy", "warden-agent-token"} {
				if !strings.Contains(out, rule) {
					t.Errorf("no %s in the output", rule)
				}
			}
		})
	}
}

func TestScanSecretsExitCodesFollowFailOn(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"a.env": "GITHUB_TOKEN=" + fakeKey(5, "ghp_", "abcdefghijklmnopqrstuvwxyz0123456789", 36) + "\n"})
	clean := t.TempDir()
	writeTree(t, clean, map[string]string{"a.md": "hello\n"})
	for _, c := range []struct {
		args []string
		want int
	}{
		{[]string{dir}, 1},                                            // high ≥ medium
		{[]string{"--fail-on", "high", dir}, 1},                       // high ≥ high
		{[]string{"--fail-on", "critical", dir}, 0},                   // high < critical
		{[]string{clean}, 0},                                          // nothing found
		{[]string{"--fail-on", "bogus", dir}, 2},                      // bad flag
		{[]string{"--format", "xml", dir}, 2},                         // bad flag
		{[]string{filepath.Join(dir, "missing")}, 2},                  // nothing to scan
		{[]string{"--git", "--staged", dir}, 2},                       // contradictory
		{[]string{"--allowlist", filepath.Join(dir, "none"), dir}, 2}, // unreadable allowlist
	} {
		code, _, errs := newCLI(t, nil).run("", append([]string{"scan", "secrets"}, c.args...)...)
		if code != c.want {
			t.Errorf("%v: exit %d, want %d (%s)", c.args, code, c.want, errs)
		}
	}
}

func TestScanSecretsBaselineFailsOnlyOnNewFindings(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"a.env": "KEY=" + fakeAWS(6) + "\n"})
	bl := filepath.Join(t.TempDir(), "baseline.json")
	c := newCLI(t, nil)
	if code, _, errs := c.run("", "scan", "secrets", "--write-baseline", bl, dir); code != 0 {
		t.Fatalf("--write-baseline: exit %d (%s)", code, errs)
	}
	if code, out, _ := c.run("", "scan", "secrets", "--baseline", bl, "--format", "json", dir); code != 0 || !strings.Contains(out, `"findings": []`) {
		t.Fatalf("an accepted finding was reported: exit %d\n%s", code, out)
	}
	// The accepted key moves down; a new one is added.
	writeTree(t, dir, map[string]string{"a.env": "# moved\nKEY=" + fakeAWS(6) + "\nNEW=" + fakeAWS(7) + "\n"})
	code, out, _ := c.run("", "scan", "secrets", "--baseline", bl, "--format", "json", dir)
	var rep struct {
		Findings []struct {
			Line int `json:"line"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if code != 1 || len(rep.Findings) != 1 || rep.Findings[0].Line != 3 {
		t.Fatalf("exit %d, findings %+v: want the new key on line 3 alone", code, rep.Findings)
	}
}

func TestScanSecretsReadsTheAllowlistAtTheTopOfTheFolder(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"fixtures/keys.env":    "KEY=" + fakeAWS(8) + "\n",
		".wardensecretsignore": "# test fixtures\npath: fixtures/**\n",
	})
	if code, out, errs := newCLI(t, nil).run("", "scan", "secrets", dir); code != 0 {
		t.Fatalf("exit %d: the allowlisted fixture was reported\n%s%s", code, out, errs)
	}
	writeTree(t, dir, map[string]string{".wardensecretsignore": "pathz: fixtures/**\n"})
	if code, _, errs := newCLI(t, nil).run("", "scan", "secrets", dir); code != 2 || !strings.Contains(errs, "line 1") {
		t.Fatalf("a broken allowlist: exit %d, stderr %q", code, errs)
	}
}

func TestScanSecretsBadTokenChecksumDoesNotFail(t *testing.T) {
	dir := t.TempDir()
	tok := token.New()
	bad := tok[:len(tok)-1] + map[bool]string{true: "1", false: "0"}[tok[len(tok)-1] == '0']
	writeTree(t, dir, map[string]string{"README.md": "Set WARDEN_TOKEN, e.g. " + bad + "\n"})
	code, out, _ := newCLI(t, nil).run("", "scan", "secrets", "--format", "json", dir)
	if code != 0 || !strings.Contains(out, "warden-token-bad-checksum") || !strings.Contains(out, `"severity": "info"`) {
		t.Fatalf("exit %d\n%s\nwant an info finding and exit 0", code, out)
	}
}

// gitEnv cuts git off from the machine's and the user's configuration.
func gitEnv(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", home)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	t.Setenv("GIT_CONFIG_GLOBAL", filepath.Join(home, "gitconfig"))
}

func git(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=Test", "-c", "user.email=test@example.invalid", "-c", "commit.gpgsign=false", "-C", dir}, args...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func mustGit(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := git(t, dir, args...)
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(out)
}

func TestScanSecretsGitAndStaged(t *testing.T) {
	gitEnv(t)
	dir := t.TempDir()
	mustGit(t, dir, "init", "-q", "-b", "main")
	writeTree(t, dir, map[string]string{"a.env": "KEY=" + fakeAWS(9) + "\n"})
	mustGit(t, dir, "add", "a.env")
	mustGit(t, dir, "commit", "-q", "-m", "leak")
	commit := mustGit(t, dir, "rev-parse", "HEAD")
	mustGit(t, dir, "rm", "-q", "a.env")
	mustGit(t, dir, "commit", "-q", "-m", "unleak")

	code, out, errs := newCLI(t, nil).run("", "scan", "secrets", "--git", "--format", "json", dir)
	if code != 1 || !strings.Contains(out, `"commit": "`+commit+`"`) {
		t.Fatalf("--git: exit %d, want the leak's commit %s\n%s%s", code, commit, out, errs)
	}
	if code, out, _ := newCLI(t, nil).run("", "scan", "secrets", "--staged", dir); code != 0 {
		t.Fatalf("--staged with nothing staged: exit %d\n%s", code, out)
	}
}

func TestHooksInstallRefusesAForeignHookWithoutForce(t *testing.T) {
	gitEnv(t)
	dir := t.TempDir()
	mustGit(t, dir, "init", "-q")
	writeTree(t, dir, map[string]string{".git/hooks/pre-commit": "#!/bin/sh\nexit 0\n"})
	code, _, errs := newCLI(t, nil).run("", "hooks", "install", dir)
	if code != 2 || !strings.Contains(errs, "--force") {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	code, out, errs := newCLI(t, nil).run("", "hooks", "install", "--force", dir)
	if code != 0 || !strings.Contains(out, "pre-commit.local") {
		t.Fatalf("--force: exit %d\n%s%s", code, out, errs)
	}
}

// TestInstalledHookBlocksACommitWithASecret builds warden, installs its
// hook in a real repository and commits through git.
func TestInstalledHookBlocksACommitWithASecret(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the warden binary")
	}
	// Built before gitEnv moves HOME, where go keeps its caches.
	bin := filepath.Join(t.TempDir(), "warden")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	gitEnv(t)
	dir := t.TempDir()
	mustGit(t, dir, "init", "-q", "-b", "main")
	// A hook the team already had keeps running, first.
	writeTree(t, dir, map[string]string{".git/hooks/pre-commit": "#!/bin/sh\necho team-hook-ran >&2\n"})
	if err := os.Chmod(filepath.Join(dir, ".git/hooks/pre-commit"), 0o755); err != nil {
		t.Fatal(err)
	}
	install := exec.Command(bin, "hooks", "install", "--force")
	install.Dir = dir
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("hooks install: %v\n%s", err, out)
	}

	writeTree(t, dir, map[string]string{"main.go": "package main\n\nfunc main() {}\n"})
	mustGit(t, dir, "add", "main.go")
	out, err := git(t, dir, "commit", "-m", "clean")
	if err != nil {
		t.Fatalf("a clean commit was blocked: %v\n%s", err, out)
	}
	if !strings.Contains(out, "team-hook-ran") {
		t.Errorf("the chained hook did not run:\n%s", out)
	}

	aws := fakeAWS(10)
	writeTree(t, dir, map[string]string{"deploy.env": "AWS_ACCESS_KEY_ID=" + aws + "\n"})
	mustGit(t, dir, "add", "deploy.env")
	out, err = git(t, dir, "commit", "-m", "add deploy settings")
	if err == nil {
		t.Fatalf("the commit with a key went through:\n%s", out)
	}
	if !strings.Contains(out, "aws-access-token") || !strings.Contains(out, "deploy.env:1") || strings.Contains(out, aws[4:]) {
		t.Errorf("the hook's output should name the finding, masked:\n%s", out)
	}
	if log := mustGit(t, dir, "log", "--oneline"); strings.Contains(log, "deploy") {
		t.Errorf("the blocked commit is in the log:\n%s", log)
	}
}
