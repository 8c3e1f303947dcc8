package deploy

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// stage is one FROM ... section of a Dockerfile: its base and instructions.
type stage struct {
	from  string
	lines []string
}

func stages(t *testing.T, file string) []stage {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out []stage
	text := strings.ReplaceAll(string(b), "\\\n", " ")
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if strings.HasPrefix(l, "FROM ") {
			out = append(out, stage{from: strings.Fields(l)[1]})
			continue
		}
		if len(out) > 0 {
			out[len(out)-1].lines = append(out[len(out)-1].lines, l)
		}
	}
	return out
}

// argDefault is the default of ARG name in a Dockerfile.
func argDefault(t *testing.T, file, name string) string {
	t.Helper()
	b, _ := os.ReadFile(file)
	m := regexp.MustCompile(`(?m)^ARG ` + name + `=(\S+)$`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("%s: no ARG %s with a default", file, name)
	}
	return string(m[1])
}

func instr(s stage, kw string) []string {
	var out []string
	for _, l := range s.lines {
		if strings.HasPrefix(l, kw+" ") {
			out = append(out, strings.TrimSpace(strings.TrimPrefix(l, kw+" ")))
		}
	}
	return out
}

func TestWardenImageIsDistrolessNonRootWithoutShell(t *testing.T) {
	st := stages(t, "Dockerfile")
	if len(st) != 2 {
		t.Fatalf("%d stages, want a builder and the image", len(st))
	}
	if b := argDefault(t, "Dockerfile", "GO_IMAGE"); !strings.HasPrefix(b, "golang:1.26") {
		t.Errorf("builder %s, want golang:1.26 (go.mod's toolchain line)", b)
	}
	final := st[1]
	base := argDefault(t, "Dockerfile", "BASE_IMAGE")
	if final.from != "${BASE_IMAGE}" || (base != "gcr.io/distroless/static-debian12:nonroot" && base != "scratch") {
		t.Errorf("image base %s (%s), want distroless static nonroot or scratch", final.from, base)
	}
	if run := instr(final, "RUN"); len(run) > 0 {
		t.Errorf("the final stage runs %q: it has no shell to run them with", run)
	}
	if u := instr(final, "USER"); len(u) != 1 || u[0] != "65532:65532" {
		t.Errorf("USER %v, want the numeric 65532:65532", u)
	}
	if v := instr(final, "VOLUME"); len(v) != 1 || !strings.Contains(v[0], "/var/lib/warden") {
		t.Errorf("VOLUME %v, want the data folder: the root file system can then be read-only", v)
	}
	hc := instr(final, "HEALTHCHECK")
	if len(hc) != 1 || !strings.Contains(hc[0], `CMD ["/usr/local/bin/warden", "health"]`) {
		t.Errorf("HEALTHCHECK %v, want the binary's own health command in exec form", hc)
	}
	for _, kw := range []string{"ENTRYPOINT", "CMD"} {
		for _, v := range instr(final, kw) {
			if !strings.HasPrefix(v, "[") {
				t.Errorf("%s %s is in shell form: there is no shell", kw, v)
			}
		}
	}
}

func TestOpenClawImageRunsAsNodeWithTheTestedRelease(t *testing.T) {
	st := stages(t, "Dockerfile.openclaw")
	final := st[len(st)-1]
	if b := argDefault(t, "Dockerfile.openclaw", "NODE_IMAGE"); b != "node:24-slim" {
		t.Errorf("base %s, want node:24-slim (OpenClaw needs Node >= 24.16)", b)
	}
	if v := argDefault(t, "Dockerfile.openclaw", "OPENCLAW_VERSION"); v != "2026.9.6" {
		t.Errorf("OpenClaw %s, want 2026.9.6, the release the end-to-end tests pin", v)
	}
	if u := instr(final, "USER"); len(u) != 1 || u[0] != "node" {
		t.Errorf("USER %v, want node", u)
	}
	// The warden binary (the install policy's command) must stay root's:
	// OpenClaw refuses an untrusted command, and the agent must not swap it.
	for _, c := range instr(final, "COPY") {
		if strings.Contains(c, "/usr/local/bin/warden") && strings.Contains(c, "--chown") {
			t.Errorf("COPY %s gives the warden binary away", c)
		}
	}
	if hc := instr(final, "HEALTHCHECK"); len(hc) != 1 || !strings.Contains(hc[0], "18789/healthz") {
		t.Errorf("HEALTHCHECK %v, want the gateway's /healthz", hc)
	}
}
