package egress

import (
	"strings"
	"testing"
)

// target parses a test target, failing the test if it does not parse.
func target(t *testing.T, hostport string) Target {
	t.Helper()
	tg, err := ParseTarget(hostport, 443)
	if err != nil {
		t.Fatalf("ParseTarget(%q): %v", hostport, err)
	}
	return tg
}

func TestPatternMatches(t *testing.T) {
	tests := []struct {
		pattern string
		yes     []string
		no      []string
	}{
		{
			pattern: "example.com",
			yes:     []string{"example.com", "example.com:443", "example.com:80", "EXAMPLE.COM", "example.com."},
			no: []string{
				"www.example.com", "example.com:8080", "example.com:22", "example.com.evil.net",
				"evilexample.com", "example.co", "example.org", "93.184.216.34",
			},
		},
		{
			pattern: "*.example.com",
			yes:     []string{"www.example.com", "a.b.example.com", "WWW.Example.Com.", "api.example.com:80"},
			no: []string{
				"example.com", "example.com:443", "evilexample.com", "www.example.com:8443",
				"www.example.com.evil.net", "example.com.evil.net", "93.184.216.34",
			},
		},
		{
			pattern: "example.com:8443",
			yes:     []string{"example.com:8443", "EXAMPLE.com.:8443"},
			no:      []string{"example.com", "example.com:443", "example.com:80", "www.example.com:8443"},
		},
		{
			pattern: "*.example.com:22",
			yes:     []string{"git.example.com:22"},
			no:      []string{"git.example.com", "git.example.com:443", "example.com:22"},
		},
		{
			pattern: "example.com:443",
			yes:     []string{"example.com:443"},
			no:      []string{"example.com:80", "example.com:8443"},
		},
		{
			pattern: "EXAMPLE.Com.",
			yes:     []string{"example.com"},
			no:      []string{"www.example.com"},
		},
		{
			pattern: "  example.com  ",
			yes:     []string{"example.com"},
		},
		{
			pattern: "93.184.216.34",
			yes:     []string{"93.184.216.34", "93.184.216.34:80", "1572395042", "[::ffff:93.184.216.34]"},
			no:      []string{"93.184.216.34:8080", "93.184.216.35", "example.com"},
		},
		{
			pattern: "0x5db8d822", // any notation, compared as an address
			yes:     []string{"93.184.216.34"},
		},
		{
			pattern: "1.1.1.1:853",
			yes:     []string{"1.1.1.1:853"},
			no:      []string{"1.1.1.1", "1.1.1.1:443", "1.0.0.1:853"},
		},
		{
			pattern: "2606:4700:4700::1111",
			yes:     []string{"[2606:4700:4700::1111]", "[2606:4700:4700::1111]:80", "[2606:4700:4700:0:0:0:0:1111]:443"},
			no:      []string{"[2606:4700:4700::1111]:853", "[2606:4700:4700::1001]", "1.1.1.1"},
		},
		{
			pattern: "[2606:4700:4700::1111]",
			yes:     []string{"[2606:4700:4700::1111]"},
		},
		{
			pattern: "localhost",
			yes:     []string{"localhost"},
			no:      []string{"127.0.0.1", "[::1]"},
		},
	}
	for _, tt := range tests {
		p, err := ParsePattern(tt.pattern)
		if err != nil {
			t.Errorf("ParsePattern(%q): %v", tt.pattern, err)
			continue
		}
		for _, s := range tt.yes {
			if !p.matches(target(t, s)) {
				t.Errorf("pattern %q does not match %q", tt.pattern, s)
			}
		}
		for _, s := range tt.no {
			if p.matches(target(t, s)) {
				t.Errorf("pattern %q matches %q", tt.pattern, s)
			}
		}
	}
}

func TestParsePatternErrors(t *testing.T) {
	for _, s := range []string{
		"",
		"   ",
		"*",
		"*.",
		"*example.com",
		"ex*ample.com",
		"*.*.example.com",
		"www.*.example.com",
		"**.example.com",
		"*.1.2.3.4",
		"example.com:0",
		"example.com:65536",
		"example.com:",
		"example.com:http",
		"example.com:-1",
		":443",
		"exa mple.com",
		"bücher.example",
		"example.123",
		"1.2.3.4.5",
		"256.0.0.1",
		"-example.com",
		"a..example.com",
		"https://example.com",
		"example.com/path",
		"user@example.com",
	} {
		if p, err := ParsePattern(s); err == nil {
			t.Errorf("ParsePattern(%q) = %+v, want error", s, p)
		}
	}
}

func TestPolicyProfilesAndGlobal(t *testing.T) {
	pol, err := NewPolicy(Enforce,
		[]string{"pypi.org", "*.pythonhosted.org", "1.1.1.1:853"},
		map[string][]string{
			"dev":    {"github.com", "*.githubusercontent.com", "registry.example.com:5000"},
			"review": {"api.example.com"},
		})
	if err != nil {
		t.Fatal(err)
	}
	if pol.Mode() != Enforce {
		t.Errorf("Mode() = %q", pol.Mode())
	}
	tests := []struct {
		profile, target string
		ok              bool
		rule            string
	}{
		{"dev", "github.com", true, "profiles.dev.egress.allow: github.com"},
		{"dev", "raw.githubusercontent.com", true, "profiles.dev.egress.allow: *.githubusercontent.com"},
		{"dev", "registry.example.com:5000", true, "profiles.dev.egress.allow: registry.example.com:5000"},
		{"dev", "registry.example.com", false, ""},
		{"dev", "pypi.org", true, "egress.allow: pypi.org"},
		{"dev", "files.pythonhosted.org", true, "egress.allow: *.pythonhosted.org"},
		{"dev", "1.1.1.1:853", true, "egress.allow: 1.1.1.1:853"},
		{"dev", "api.example.com", false, ""},
		{"review", "api.example.com", true, "profiles.review.egress.allow: api.example.com"},
		{"review", "github.com", false, ""},
		{"review", "pypi.org", true, "egress.allow: pypi.org"},
		{"", "pypi.org", true, "egress.allow: pypi.org"},
		{"", "github.com", false, ""},
		{"unknown", "github.com", false, ""},
		{"unknown", "pythonhosted.org", false, ""},
		{"unknown", "files.pythonhosted.org:8080", false, ""},
	}
	for _, tt := range tests {
		ok, rule := pol.Allows(tt.profile, target(t, tt.target))
		if ok != tt.ok || rule != tt.rule {
			t.Errorf("Allows(%q, %q) = %v, %q; want %v, %q", tt.profile, tt.target, ok, rule, tt.ok, tt.rule)
		}
	}
}

func TestPolicyRuleTextIsAsWritten(t *testing.T) {
	pol, err := NewPolicy(Report, []string{"Example.COM"}, map[string][]string{"p": {"*.Example.org:8443"}})
	if err != nil {
		t.Fatal(err)
	}
	if ok, rule := pol.Allows("p", target(t, "example.com")); !ok || rule != "egress.allow: Example.COM" {
		t.Errorf("Allows = %v, %q", ok, rule)
	}
	if ok, rule := pol.Allows("p", target(t, "www.example.org:8443")); !ok || rule != "profiles.p.egress.allow: *.Example.org:8443" {
		t.Errorf("Allows = %v, %q", ok, rule)
	}
}

func TestPolicyEmpty(t *testing.T) {
	pol, err := NewPolicy("", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if pol.Mode() != Enforce {
		t.Errorf("default Mode() = %q, want %q", pol.Mode(), Enforce)
	}
	if ok, rule := pol.Allows("dev", target(t, "example.com")); ok || rule != "" {
		t.Errorf("empty policy Allows = %v, %q", ok, rule)
	}
}

func TestNewPolicyModes(t *testing.T) {
	for _, m := range []Mode{Enforce, Report, ""} {
		if _, err := NewPolicy(m, nil, nil); err != nil {
			t.Errorf("NewPolicy(%q): %v", m, err)
		}
	}
	pol, err := NewPolicy(Report, nil, nil)
	if err != nil || pol.Mode() != Report {
		t.Errorf("NewPolicy(report) = %v, %v", pol, err)
	}
	for _, m := range []Mode{"audit", "Enforce", "ENFORCE", "report ", "off", "permissive"} {
		if pol, err := NewPolicy(m, nil, nil); err == nil {
			t.Errorf("NewPolicy(%q) = %+v, want error", m, pol)
		} else if !strings.Contains(err.Error(), "egress.mode") {
			t.Errorf("NewPolicy(%q) error %q does not name egress.mode", m, err)
		}
	}
}

func TestNewPolicyBadEntries(t *testing.T) {
	tests := []struct {
		global   []string
		profiles map[string][]string
		want     []string // substrings of the error
	}{
		{[]string{"example.com", "exa mple.com"}, nil, []string{"egress.allow", "exa mple.com"}},
		{[]string{"example.com:0"}, nil, []string{"egress.allow", "example.com:0"}},
		{[]string{"*"}, nil, []string{"egress.allow", `"*"`}},
		{[]string{""}, nil, []string{"egress.allow"}},
		{nil, map[string][]string{"dev": {"github.com", "*.*.example.com"}}, []string{"profiles.dev.egress.allow", "*.*.example.com"}},
		{nil, map[string][]string{"ci": {"1.2.3.4.5"}}, []string{"profiles.ci.egress.allow", "1.2.3.4.5"}},
		{nil, map[string][]string{"ci": {"example.com:99999"}}, []string{"profiles.ci.egress.allow", "example.com:99999"}},
	}
	for _, tt := range tests {
		pol, err := NewPolicy(Enforce, tt.global, tt.profiles)
		if err == nil {
			t.Errorf("NewPolicy(%q, %v) = %+v, want error", tt.global, tt.profiles, pol)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("NewPolicy(%q, %v) error %q does not contain %q", tt.global, tt.profiles, err, w)
			}
		}
	}
}
