package secretscan

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path"
	"regexp"
	"strings"

	"github.com/wardenhq/warden/report"
)

// AllowlistFile is the allowlist a scan of a folder or repository picks up
// from its top when no --allowlist is given.
const AllowlistFile = ".wardensecretsignore"

// Allowlist says which findings are not secrets. Its file has one entry a
// line, blank lines and # comments ignored:
//
//	path: testdata/**          a slash glob on the file (** spans folders; a
//	                           glob with no slash matches the base name)
//	regex: ^sk_test_           a Go regular expression on the secret
//	fingerprint: aws-access-token:config/dev.env:3f2a…   one finding
//
// Anything else is an error with its line number: a typo must not silently
// allow nothing.
type Allowlist struct {
	paths        []string
	regexes      []*regexp.Regexp
	fingerprints map[string]bool
}

// LoadAllowlist reads an allowlist file.
func LoadAllowlist(name string) (*Allowlist, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("allowlist: %w", err)
	}
	a, err := ParseAllowlist(b)
	if err != nil {
		return nil, fmt.Errorf("allowlist %s: %w", name, err)
	}
	return a, nil
}

// ParseAllowlist reads an allowlist from its text.
func ParseAllowlist(b []byte) (*Allowlist, error) {
	a := &Allowlist{fingerprints: map[string]bool{}}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		kind, val, ok := strings.Cut(line, ":")
		val = strings.TrimSpace(val)
		if !ok || val == "" {
			return nil, fmt.Errorf("line %d: want path:, regex: or fingerprint: and a value", n)
		}
		switch strings.TrimSpace(kind) {
		case "path":
			if _, err := path.Match(strings.ReplaceAll(val, "**", "*"), ""); err != nil {
				return nil, fmt.Errorf("line %d: glob %q: %w", n, val, err)
			}
			a.paths = append(a.paths, val)
		case "regex":
			re, err := regexp.Compile(val)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", n, err)
			}
			a.regexes = append(a.regexes, re)
		case "fingerprint":
			a.fingerprints[val] = true
		default:
			return nil, fmt.Errorf("line %d: unknown entry %q (want path, regex or fingerprint)", n, kind)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return a, nil
}

// skipsPath reports whether a file is allowlisted whole.
func (a *Allowlist) skipsPath(p string) bool {
	if a == nil {
		return false
	}
	for _, g := range a.paths {
		if globMatch(g, p) {
			return true
		}
	}
	return false
}

// allows reports whether a finding is allowlisted.
func (a *Allowlist) allows(f report.Finding, secret string) bool {
	if a == nil {
		return false
	}
	if a.fingerprints[f.Fingerprint] {
		return true
	}
	for _, re := range a.regexes {
		if re.MatchString(secret) {
			return true
		}
	}
	return false
}

// globMatch matches a slash path against a glob: * and ? within a folder
// name, ** across folders. A glob without a slash matches any one name in
// the path, as in .gitignore: "*.pem" any PEM file, "testdata" everything
// under any testdata folder. A glob matching a folder matches what is in it.
func globMatch(glob, p string) bool {
	glob = strings.TrimSuffix(strings.TrimPrefix(glob, "./"), "/")
	parts := strings.Split(p, "/")
	if !strings.Contains(glob, "/") {
		for _, name := range parts {
			if ok, _ := path.Match(glob, name); ok {
				return true
			}
		}
		return false
	}
	return matchParts(append(strings.Split(glob, "/"), "**"), parts)
}

func matchParts(glob, parts []string) bool {
	for len(glob) > 0 {
		if glob[0] == "**" {
			rest := glob[1:]
			for i := 0; i <= len(parts); i++ {
				if matchParts(rest, parts[i:]) {
					return true
				}
			}
			return false
		}
		if len(parts) == 0 {
			return false
		}
		if ok, _ := path.Match(glob[0], parts[0]); !ok {
			return false
		}
		glob, parts = glob[1:], parts[1:]
	}
	return len(parts) == 0
}
