// Package egress is Warden's network plane: a forward proxy (HTTP CONNECT
// and plain HTTP) that lets an agent reach only the hosts its profile
// allows, resolves each name once and connects to exactly the address it
// checked, refuses private, loopback, link-local and metadata addresses
// however they are written, and records every connection.
package egress

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Target is where a request wants to go: a host name (lower case, no
// trailing dot) or an IP address, and a port.
type Target struct {
	Host string
	Addr netip.Addr // set when Host is an IP literal, in any notation
	Port uint16
}

// String is host:port, with IPv6 in brackets.
func (t Target) String() string {
	h := t.Host
	if t.Addr.IsValid() {
		h = t.Addr.String()
	}
	return net.JoinHostPort(h, strconv.Itoa(int(t.Port)))
}

// ParseTarget reads "host:port" (a CONNECT target or a URL's host) with
// defaultPort used when there is none (0: a port is required). IP literals
// are normalised whatever their notation — decimal (2130706433), octal
// (0177.0.0.1), hex (0x7f.1), short forms (127.1), IPv6 with a zone — so
// that the guard checks the address that would really be dialled.
func ParseTarget(hostport string, defaultPort uint16) (Target, error) {
	if hostport == "" || len(hostport) > 300 || !utf8.ValidString(hostport) {
		return Target{}, fmt.Errorf("bad target %q", hostport)
	}
	host, portStr, err := net.SplitHostPort(hostport)
	if err != nil {
		if defaultPort == 0 {
			return Target{}, fmt.Errorf("target %q: %w", hostport, err)
		}
		host, portStr = strings.TrimSuffix(strings.TrimPrefix(hostport, "["), "]"), strconv.Itoa(int(defaultPort))
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil || port == 0 {
		return Target{}, fmt.Errorf("target %q: bad port", hostport)
	}
	t := Target{Port: uint16(port)}
	if a, ok := ParseIP(host); ok {
		t.Addr = a
		return t, nil
	}
	h, err := normaliseHost(host)
	if err != nil {
		return Target{}, fmt.Errorf("target %q: %w", hostport, err)
	}
	t.Host = h
	return t, nil
}

// ParseIP reads an IP address in any notation a resolver or dialer would
// accept: IPv6 (zone dropped, IPv4-mapped forms unmapped), and IPv4 as
// inet_aton reads it — one to four parts, each decimal, octal (leading 0)
// or hex (0x), the last part filling the remaining bytes.
func ParseIP(s string) (netip.Addr, bool) {
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	if strings.Contains(s, ":") {
		if i := strings.IndexByte(s, '%'); i >= 0 {
			s = s[:i]
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Addr{}, false
		}
		return a.Unmap(), true
	}
	return parseIPv4(strings.TrimSuffix(s, "."))
}

// parseIPv4 is inet_aton: "127.1", "0x7f000001", "017700000001".
func parseIPv4(s string) (netip.Addr, bool) {
	if s == "" {
		return netip.Addr{}, false
	}
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	vals := make([]uint64, len(parts))
	for i, p := range parts {
		v, ok := parseIPv4Part(p)
		if !ok {
			return netip.Addr{}, false
		}
		vals[i] = v
	}
	var n uint64
	last := len(vals) - 1
	for i := range last {
		if vals[i] > 0xff {
			return netip.Addr{}, false
		}
		n |= vals[i] << (8 * (3 - i))
	}
	if vals[last] >= 1<<(8*(4-last)) {
		return netip.Addr{}, false
	}
	n |= vals[last]
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}), true
}

func parseIPv4Part(p string) (uint64, bool) {
	if p == "" || len(p) > 12 {
		return 0, false
	}
	base := 10
	switch {
	case len(p) > 2 && (p[:2] == "0x" || p[:2] == "0X"):
		base, p = 16, p[2:]
	case len(p) > 1 && p[0] == '0':
		base, p = 8, p[1:]
	}
	v, err := strconv.ParseUint(p, base, 32)
	return v, err == nil
}

// normaliseHost checks a host name and returns it in lower case without a
// trailing dot. Only LDH names (and underscores, which some services use)
// are accepted: an internationalised name must come in its xn-- form.
func normaliseHost(h string) (string, error) {
	h = strings.ToLower(strings.TrimSuffix(h, "."))
	if h == "" || len(h) > 253 {
		return "", fmt.Errorf("bad host name")
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return "", fmt.Errorf("bad host name")
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return "", fmt.Errorf("bad host name (only letters, digits, '-' and '_'; write international names as xn--)")
			}
		}
	}
	// All-numeric last label: looks like an IP a resolver might read in
	// some other way; refuse rather than guess.
	last := h[strings.LastIndexByte(h, '.')+1:]
	if strings.Trim(last, "0123456789") == "" || strings.HasPrefix(last, "0x") {
		return "", fmt.Errorf("bad host name (a numeric last label is not a name)")
	}
	return h, nil
}
