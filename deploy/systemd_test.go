package deploy

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// unit is a systemd unit file: each key's values, in order, per section.
type unit map[string]map[string][]string

func parseUnit(t *testing.T, file string) unit {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	u, section := unit{}, ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		switch {
		case l == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(l, ";"):
		case strings.HasPrefix(l, "["):
			section = strings.Trim(l, "[]")
			u[section] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(l, "=")
			if !ok || section == "" {
				t.Fatalf("%s: bad line %q", file, l)
			}
			u[section][k] = append(u[section][k], v)
		}
	}
	return u
}

// hardening is what both units must set in [Service], exactly.
var hardening = map[string]string{
	"NoNewPrivileges":         "yes",
	"ProtectSystem":           "strict",
	"ProtectHome":             "yes",
	"PrivateTmp":              "yes",
	"PrivateDevices":          "yes",
	"RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
	"SystemCallArchitectures": "native",
	"CapabilityBoundingSet":   "",
	"AmbientCapabilities":     "",
	"LockPersonality":         "yes",
	"RestrictNamespaces":      "yes",
	"RestrictRealtime":        "yes",
	"RestrictSUIDSGID":        "yes",
	"ProtectKernelTunables":   "yes",
	"ProtectKernelModules":    "yes",
	"ProtectKernelLogs":       "yes",
	"ProtectControlGroups":    "yes",
	"UMask":                   "0077",
	"IPAddressDeny":           "any",
	"IPAddressAllow":          "localhost",
}

func TestUnitsAreHardened(t *testing.T) {
	for _, file := range []string{"warden.service", "openclaw.service"} {
		s := parseUnit(t, file)["Service"]
		for k, want := range hardening {
			if got := s[k]; len(got) != 1 || got[0] != want {
				t.Errorf("%s: %s=%v, want %q", file, k, got, want)
			}
		}
		if !slices.Contains(s["SystemCallFilter"], "@system-service") {
			t.Errorf("%s: SystemCallFilter %v lacks @system-service", file, s["SystemCallFilter"])
		}
		for k, vs := range s {
			if k == "Environment" && slices.ContainsFunc(vs, func(v string) bool {
				name, _, _ := strings.Cut(v, "=")
				return secretName.MatchString(name) && !strings.HasSuffix(name, "_FILE")
			}) {
				t.Errorf("%s: a secret in Environment= %v; use LoadCredential=", file, vs)
			}
		}
	}
	w := parseUnit(t, "warden.service")["Service"]
	if w["DynamicUser"][0] != "yes" || w["StateDirectory"][0] != "warden" || w["MemoryDenyWriteExecute"][0] != "yes" {
		t.Errorf("warden.service: DynamicUser %v StateDirectory %v MemoryDenyWriteExecute %v", w["DynamicUser"], w["StateDirectory"], w["MemoryDenyWriteExecute"])
	}
	o := parseUnit(t, "openclaw.service")["Service"]
	// The firewall rules (egress.nft) match the user by name: it must be a
	// fixed one, not a dynamic user.
	if len(o["User"]) != 1 || o["User"][0] != "openclaw" || len(o["DynamicUser"]) > 0 {
		t.Errorf("openclaw.service: User %v DynamicUser %v, want the fixed user openclaw", o["User"], o["DynamicUser"])
	}
}

// TestSystemdAcceptsTheUnits runs `systemd-analyze verify` (no warnings
// allowed) and reports `systemd-analyze security --offline` exposure.
func TestSystemdAcceptsTheUnits(t *testing.T) {
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed (Debian: apt-get install systemd)")
	}
	dir := t.TempDir()
	// verify checks that ExecStart's program exists: give it a real one.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{"warden.service", "openclaw.service"} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		text := strings.ReplaceAll(string(b), "ExecStart=/usr/local/bin/warden", "ExecStart="+self)
		path := filepath.Join(dir, file)
		os.WriteFile(path, []byte(text), 0o644)

		out, err := exec.Command(sa, "verify", path).CombinedOutput()
		if err != nil || len(strings.TrimSpace(string(out))) > 0 {
			t.Errorf("systemd-analyze verify %s: %v\n%s", file, err, out)
		}
		out, err = exec.Command(sa, "security", "--offline=true", path).CombinedOutput()
		m := exposure.FindSubmatch(out)
		if err != nil || m == nil {
			t.Logf("systemd-analyze security --offline %s could not rate it: %v", file, err)
			continue
		}
		score, _ := strconv.ParseFloat(string(m[1]), 64)
		t.Logf("systemd-analyze security --offline: %s exposure %.1f", file, score)
		if score > 2.0 {
			t.Errorf("%s: exposure %.1f, want at most 2.0 (OK); docs/DEPLOY.md says 1.1 for Warden, 1.4 for OpenClaw", file, score)
		}
	}
}

var exposure = regexp.MustCompile(`Overall exposure level for \S+: (\d+\.\d+)`)
