package config

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func noEnv(string) string { return "" }

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaultsAreSafe(t *testing.T) {
	c, err := Load(filepath.Join("testdata", "empty.yaml"), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:8700" || c.Data != "./warden-data" || c.TLS.Enabled() {
		t.Fatalf("defaults: %+v", c)
	}
	if !c.HasProfile("default") || c.HasProfile("research") {
		t.Fatal("only the built-in default profile exists without config")
	}
}

func TestLoadsEveryKey(t *testing.T) {
	c, err := Load(filepath.Join("testdata", "full.yaml"), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:9700" || c.Data != "/var/lib/warden" || c.TLS.CertFile != "/etc/warden/tls.crt" || c.TLS.KeyFile != "/etc/warden/tls.key" {
		t.Fatalf("%+v", c)
	}
	if c.Log.Level != "debug" || c.Log.Format != "json" || c.Limits.MaxFileSize != 512<<20 {
		t.Fatalf("%+v", c)
	}
	if c.Audit.CheckpointEvery != 100 || c.Audit.CheckpointInterval.D() != 30*time.Second {
		t.Fatalf("%+v", c.Audit)
	}
	if !c.HasProfile("research") || !c.HasProfile("drafting") || c.Profiles["research"].Description != "reads and summarises" {
		t.Fatalf("profiles %+v", c.Profiles)
	}
}

func TestBrokenFilesFailNamingTheProblem(t *testing.T) {
	cases := map[string]string{
		"unknown_key.yaml":        "listne",
		"unknown_nested_key.yaml": "cert",
		"bad_size.yaml":           "size like",
		"bad_duration.yaml":       "duration",
		"half_tls.yaml":           "both cert_file and key_file",
		"bad_profile_name.yaml":   "profiles.Research",
		"bad_log_level.yaml":      "log.level",
		"not_yaml.yaml":           "not_yaml.yaml",
		"bad_notify_url.yaml":     "approvals.notify_url",
		"bad_approval_ttl.yaml":   "approvals: ttl",
	}
	for file, want := range cases {
		_, err := Load(filepath.Join("testdata", file), noEnv)
		if err == nil {
			t.Errorf("%s: loaded without error", file)
			continue
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %q does not mention %q", file, err, want)
		}
	}
}

func TestMissingExplicitFileIsAnError(t *testing.T) {
	if _, err := Load(filepath.Join("testdata", "nope.yaml"), noEnv); err == nil {
		t.Fatal("a --config that does not exist must be an error")
	}
}

func TestEnvironmentOverridesFile(t *testing.T) {
	c, err := Load(filepath.Join("testdata", "full.yaml"), envOf(map[string]string{
		"WARDEN_LISTEN":                    "127.0.0.1:1234",
		"WARDEN_DATA":                      "/tmp/w",
		"WARDEN_TLS_CERT_FILE":             "/c",
		"WARDEN_LOG_LEVEL":                 "warn",
		"WARDEN_LIMITS_MAX_FILE_SIZE":      "2GiB",
		"WARDEN_AUDIT_CHECKPOINT_EVERY":    "7",
		"WARDEN_AUDIT_CHECKPOINT_INTERVAL": "1m",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:1234" || c.Data != "/tmp/w" || c.TLS.CertFile != "/c" || c.Log.Level != "warn" ||
		c.Limits.MaxFileSize != 2<<30 || c.Audit.CheckpointEvery != 7 || c.Audit.CheckpointInterval.D() != time.Minute {
		t.Fatalf("%+v", c)
	}
}

func TestBadEnvironmentValueNamesTheVariable(t *testing.T) {
	_, err := Load(filepath.Join("testdata", "empty.yaml"), envOf(map[string]string{"WARDEN_AUDIT_CHECKPOINT_EVERY": "many"}))
	if err == nil || !strings.Contains(err.Error(), "WARDEN_AUDIT_CHECKPOINT_EVERY") {
		t.Fatalf("err = %v", err)
	}
}

func TestEveryScalarKeyHasAnEnvironmentTwin(t *testing.T) {
	names := EnvNames()
	for _, want := range []string{"WARDEN_LISTEN", "WARDEN_DATA", "WARDEN_TLS_CERT_FILE", "WARDEN_TLS_KEY_FILE", "WARDEN_LOG_LEVEL",
		"WARDEN_LOG_FORMAT", "WARDEN_LIMITS_MAX_FILE_SIZE", "WARDEN_AUDIT_CHECKPOINT_EVERY", "WARDEN_AUDIT_CHECKPOINT_INTERVAL"} {
		if !slices.Contains(names, want) {
			t.Errorf("missing %s in %v", want, names)
		}
	}
}

func TestByteSizeUnits(t *testing.T) {
	for in, want := range map[string]int64{"1": 1, "10B": 10, "1KiB": 1024, "2 MiB": 2 << 20, "3GB": 3e9, "1TiB": 1 << 40} {
		var b ByteSize
		if err := b.set(in); err != nil || int64(b) != want {
			t.Errorf("%q = %d, %v; want %d", in, b, err, want)
		}
	}
	for _, in := range []string{"", "-1", "1.5GiB", "GiB", "99999999999TiB"} {
		var b ByteSize
		if err := b.set(in); err == nil {
			t.Errorf("%q accepted as %d", in, b)
		}
	}
}
