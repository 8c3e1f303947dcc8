package deploy

import (
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// compose is the part of a compose file these tests read.
type compose struct {
	Services map[string]service `yaml:"services"`
	Networks map[string]struct {
		Internal bool `yaml:"internal"`
	} `yaml:"networks"`
	Secrets map[string]map[string]string `yaml:"secrets"`
}

type service struct {
	Image       string            `yaml:"image"`
	User        string            `yaml:"user"`
	ReadOnly    bool              `yaml:"read_only"`
	CapDrop     []string          `yaml:"cap_drop"`
	CapAdd      []string          `yaml:"cap_add"`
	SecurityOpt []string          `yaml:"security_opt"`
	Privileged  bool              `yaml:"privileged"`
	Ports       []any             `yaml:"ports"`
	Environment map[string]string `yaml:"environment"`
	Secrets     []string          `yaml:"secrets"`
	Volumes     []string          `yaml:"volumes"`
	Tmpfs       []string          `yaml:"tmpfs"`
	NetworkMode string            `yaml:"network_mode"`
	Networks    yaml.Node         `yaml:"networks"`
	Command     []string          `yaml:"command"`
	Healthcheck *struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
}

// networks names the networks of a service (list or map form), and the
// fixed IPv4 address it has on each.
func (s service) networks(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	switch s.Networks.Kind {
	case 0:
	case yaml.SequenceNode:
		var l []string
		s.Networks.Decode(&l)
		for _, n := range l {
			out[n] = ""
		}
	case yaml.MappingNode:
		var m map[string]struct {
			IPv4 string `yaml:"ipv4_address"`
		}
		if err := s.Networks.Decode(&m); err != nil {
			t.Fatal(err)
		}
		for n, v := range m {
			out[n] = v.IPv4
		}
	}
	return out
}

func loadCompose(t *testing.T) compose {
	t.Helper()
	b, err := os.ReadFile("docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var c compose
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	return c
}

func TestComposeServicesAreHardened(t *testing.T) {
	c := loadCompose(t)
	if len(c.Services) < 3 {
		t.Fatalf("services %v", c.Services)
	}
	for name, s := range c.Services {
		if !s.ReadOnly {
			t.Errorf("%s: read_only is not true", name)
		}
		if !slices.Equal(s.CapDrop, []string{"ALL"}) || len(s.CapAdd) > 0 || s.Privileged {
			t.Errorf("%s: cap_drop %v cap_add %v privileged %v, want every capability dropped", name, s.CapDrop, s.CapAdd, s.Privileged)
		}
		if !slices.Contains(s.SecurityOpt, "no-new-privileges:true") {
			t.Errorf("%s: security_opt %v lacks no-new-privileges:true", name, s.SecurityOpt)
		}
		uid, _, _ := strings.Cut(s.User, ":")
		if n, err := strconv.Atoi(uid); err != nil || n == 0 {
			t.Errorf("%s: user %q, want a numeric non-root uid", name, s.User)
		}
		if len(s.Ports) > 0 {
			t.Errorf("%s publishes ports %v: nothing here is meant to be reached from outside", name, s.Ports)
		}
		for k, v := range s.Environment {
			if secretName.MatchString(k) && !strings.HasSuffix(k, "_FILE") {
				t.Errorf("%s: environment %s=%q puts a secret in the compose file; use secrets:", name, k, v)
			}
		}
		for _, v := range s.Volumes {
			if strings.Contains(v, "docker.sock") {
				t.Errorf("%s mounts the Docker socket", name)
			}
		}
	}
	for name, sec := range c.Secrets {
		if f := sec["file"]; f == "" || !strings.HasPrefix(f, "./secrets/") {
			t.Errorf("secret %s: %v, want a file under deploy/secrets (never inline, never committed)", name, sec)
		}
	}
	ignore, _ := os.ReadFile("secrets/.gitignore")
	if !strings.HasPrefix(string(ignore), "*\n") {
		t.Error("deploy/secrets/.gitignore does not keep the secret files out of git")
	}
}

var secretName = regexp.MustCompile(`(?i)key|token|secret|password|credential`)

func TestComposeGivesOpenClawNoWayOutButWarden(t *testing.T) {
	c := loadCompose(t)
	oc, w := c.Services["openclaw"], c.Services["warden"]
	ocNets := oc.networks(t)
	if len(ocNets) != 1 {
		t.Fatalf("openclaw is on %v, want the internal agent network only", ocNets)
	}
	var agent string
	for n := range ocNets {
		agent = n
	}
	if !c.Networks[agent].Internal {
		t.Errorf("network %s of openclaw is not internal: it has a route out", agent)
	}
	wNets := w.networks(t)
	wardenIP, onAgent := wNets[agent]
	if !onAgent || len(wNets) != 2 {
		t.Fatalf("warden is on %v, want %s and one egress network", wNets, agent)
	}
	for n := range wNets {
		if n != agent && c.Networks[n].Internal {
			t.Errorf("warden's egress network %s is internal: Warden could not reach the models", n)
		}
	}
	// Nothing else is on a network with a way out, except through Warden's
	// own network namespace (the relay beside it).
	for name, s := range c.Services {
		if name == "warden" {
			continue
		}
		for n := range s.networks(t) {
			if !c.Networks[n].Internal {
				t.Errorf("%s is on %s, which has a route out", name, n)
			}
		}
		if s.NetworkMode != "" && s.NetworkMode != "service:warden" && s.NetworkMode != "service:openclaw" {
			t.Errorf("%s: network_mode %s", name, s.NetworkMode)
		}
	}
	// The relays: Warden's side listens on its agent address only, OpenClaw's
	// side on loopback, where openclaw.json points, and forwards to Warden.
	gates := map[string]string{}
	for _, s := range c.Services {
		if strings.HasPrefix(s.NetworkMode, "service:") {
			gates[strings.TrimPrefix(s.NetworkMode, "service:")] = strings.Join(s.Command, " ")
		}
	}
	if wardenIP == "" {
		t.Fatal("warden has no fixed address on the agent network for its relay to listen on")
	}
	for _, port := range []string{"8700", "8701"} {
		if want := wardenIP + ":" + port + "=127.0.0.1:" + port; !strings.Contains(gates["warden"], want) {
			t.Errorf("Warden's relay %q lacks %s", gates["warden"], want)
		}
		if want := "127.0.0.1:" + port + "=" + wardenIP + ":" + port; !strings.Contains(gates["openclaw"], want) {
			t.Errorf("OpenClaw's relay %q lacks %s", gates["openclaw"], want)
		}
	}
	if !slices.ContainsFunc(oc.Tmpfs, func(s string) bool { return strings.HasPrefix(s, "/tmp") }) {
		t.Errorf("openclaw has no tmpfs /tmp on its read-only root: %v", oc.Tmpfs)
	}
	for _, name := range []string{"warden", "openclaw"} {
		if hc := c.Services[name].Healthcheck; hc == nil || len(hc.Test) == 0 || hc.Test[0] != "CMD" {
			t.Errorf("%s has no exec-form healthcheck", name)
		}
	}
}
