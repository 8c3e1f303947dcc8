package egress

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Mode says whether the allowlist is enforced or only reported.
type Mode string

// Modes. In report mode a connection the allowlist would refuse goes
// through and is recorded as such; the address guard is enforced in both.
const (
	Enforce Mode = "enforce"
	Report  Mode = "report"
)

// pattern is one allowlist entry: a host, "*." and a suffix, or an IP
// address, with an optional port (none: 80 and 443).
type pattern struct {
	text     string
	host     string // exact host, or the suffix after "*." with its dot
	wildcard bool
	addr     netip.Addr
	port     uint16 // 0: 80 and 443
}

// ParsePattern reads an allowlist entry.
func ParsePattern(s string) (pattern, error) {
	p := pattern{text: s}
	h := strings.ToLower(strings.TrimSpace(s))
	if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.HasSuffix(h, "]") && strings.Count(h, ":") == 1 {
		port, err := strconv.ParseUint(h[i+1:], 10, 16)
		if err != nil || port == 0 {
			return p, fmt.Errorf("%q: bad port", s)
		}
		p.port, h = uint16(port), h[:i]
	}
	if strings.HasPrefix(h, "*.") {
		p.wildcard, h = true, h[2:]
	}
	if a, ok := ParseIP(h); ok && !p.wildcard {
		p.addr = a
		return p, nil
	}
	n, err := normaliseHost(h)
	if err != nil {
		return p, fmt.Errorf("%q: %w", s, err)
	}
	if p.wildcard {
		n = "." + n
	}
	p.host = n
	return p, nil
}

func (p pattern) matches(t Target) bool {
	switch {
	case p.port != 0 && p.port != t.Port:
		return false
	case p.port == 0 && t.Port != 80 && t.Port != 443:
		return false
	case p.addr.IsValid():
		return t.Addr == p.addr
	case t.Addr.IsValid():
		return false
	case p.wildcard:
		return strings.HasSuffix(t.Host, p.host)
	}
	return t.Host == p.host
}

// Policy is the egress allowlists: global, and per profile on top.
type Policy struct {
	mode     Mode
	global   []pattern
	profiles map[string][]pattern
}

// NewPolicy compiles allowlists; errors name the entry.
func NewPolicy(mode Mode, global []string, profiles map[string][]string) (*Policy, error) {
	if mode == "" {
		mode = Enforce
	}
	if mode != Enforce && mode != Report {
		return nil, fmt.Errorf("egress.mode: %q is not enforce or report", mode)
	}
	p := &Policy{mode: mode, profiles: map[string][]pattern{}}
	for _, s := range global {
		pt, err := ParsePattern(s)
		if err != nil {
			return nil, fmt.Errorf("egress.allow: %w", err)
		}
		p.global = append(p.global, pt)
	}
	for name, list := range profiles {
		for _, s := range list {
			pt, err := ParsePattern(s)
			if err != nil {
				return nil, fmt.Errorf("profiles.%s.egress.allow: %w", name, err)
			}
			p.profiles[name] = append(p.profiles[name], pt)
		}
	}
	return p, nil
}

// Mode is the policy's mode.
func (p *Policy) Mode() Mode { return p.mode }

// Allows says whether a principal with profile may reach t, and the entry
// that allows it ("" if none).
func (p *Policy) Allows(profile string, t Target) (bool, string) {
	for _, pt := range p.profiles[profile] {
		if pt.matches(t) {
			return true, "profiles." + profile + ".egress.allow: " + pt.text
		}
	}
	for _, pt := range p.global {
		if pt.matches(t) {
			return true, "egress.allow: " + pt.text
		}
	}
	return false, ""
}
