package deploy

import (
	"bufio"
	"debug/elf"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/mattn/go-shellwords"
)

var update = flag.Bool("update", false, "rewrite the generated files in deploy/ instead of comparing them")

// root is the repository root (deploy/..).
func root(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(wd)
}

// goBuildLine is the `RUN ... go build ...` line of a Dockerfile.
func goBuildLine(t *testing.T, dockerfile string) string {
	t.Helper()
	f, err := os.Open(dockerfile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var found []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := sc.Text(); strings.HasPrefix(l, "RUN ") && strings.Contains(l, " go build ") {
			found = append(found, strings.TrimPrefix(l, "RUN "))
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s: %d go build lines, want 1", dockerfile, len(found))
	}
	return found[0]
}

// dockerBuild builds Warden with the exact environment and arguments of
// the Dockerfile's go build line (VERSION=test), into dir.
func dockerBuild(t *testing.T, line, dir string) string {
	t.Helper()
	p := shellwords.NewParser()
	p.ParseEnv = true
	p.Getenv = func(k string) string {
		if k == "VERSION" {
			return "test"
		}
		t.Fatalf("the go build line uses ${%s}, which this test does not know", k)
		return ""
	}
	words, err := p.Parse(line)
	if err != nil {
		t.Fatalf("parse %q: %v", line, err)
	}
	var env []string
	for len(words) > 0 && strings.Contains(words[0], "=") {
		env, words = append(env, words[0]), words[1:]
	}
	if len(words) < 2 || words[0] != "go" || words[1] != "build" {
		t.Fatalf("not a go build command: %q", line)
	}
	out := filepath.Join(dir, "warden")
	for i, w := range words {
		if w == "-o" && i+1 < len(words) {
			words[i+1] = out
		}
	}
	cmd := exec.Command("go", words[1:]...)
	cmd.Dir = root(t)
	cmd.Env = append(os.Environ(), env...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", line, err, b)
	}
	return out
}

// TestBinaryBuiltAsTheDockerfileDoes builds Warden once with the Dockerfile's
// own go build line and checks the binary and what is generated from it.
func TestBinaryBuiltAsTheDockerfileDoes(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the image is linux; this checks a linux ELF")
	}
	line := goBuildLine(t, "Dockerfile")
	if other := goBuildLine(t, "Dockerfile.openclaw"); other != line {
		t.Fatalf("the two Dockerfiles build Warden differently:\n%s\n%s", line, other)
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", `-ldflags "-s -w`} {
		if !strings.Contains(line, want) {
			t.Errorf("the go build line lacks %s: %s", want, line)
		}
	}
	bin := dockerBuild(t, line, t.TempDir())

	t.Run("static", func(t *testing.T) {
		f, err := elf.Open(bin)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				t.Error("the binary has an ELF interpreter: it is dynamically linked and will not run on distroless/static")
			}
		}
		if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
			t.Errorf("the binary needs shared libraries %v", libs)
		}
		if s := f.Section(".symtab"); s != nil {
			t.Error("the binary keeps its symbol table: -s was not applied")
		}
	})

	t.Run("runs version", func(t *testing.T) {
		out, err := exec.Command(bin, "version").CombinedOutput()
		if err != nil || !strings.HasPrefix(string(out), "warden test ") {
			t.Errorf("warden version: %v %q", err, out)
		}
	})

	t.Run("egress rules are current", func(t *testing.T) {
		cfg := filepath.Join(t.TempDir(), "warden.yaml") // all defaults: listen 127.0.0.1:8700, egress 127.0.0.1:8701
		os.WriteFile(cfg, nil, 0o600)
		for file, format := range map[string]string{"egress.nft": "nft", "egress.iptables": "iptables"} {
			cmd := exec.Command(bin, "egress", "rules", "--config", cfg, "--uid", "openclaw", "--format", format)
			cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
			got, err := cmd.Output()
			if err != nil {
				t.Fatalf("warden egress rules --format %s: %v", format, err)
			}
			if *update {
				os.WriteFile(file, got, 0o644)
				continue
			}
			if want, _ := os.ReadFile(file); string(want) != string(got) {
				t.Errorf("deploy/%s is stale: regenerate it with go test ./deploy -run TestBinaryBuiltAsTheDockerfileDoes -update\n--- committed\n%s\n--- generated\n%s", file, want, got)
			}
		}
	})
}
