package egress

import (
	"errors"
	"fmt"
	"net/netip"

	"code.dny.dev/ssrf"
)

// ErrForbiddenAddress is wrapped by every refusal of the guard.
var ErrForbiddenAddress = errors.New("forbidden address")

// metadata are cloud instance-metadata and platform endpoints. They are
// refused even inside a private range an admin allowed: credentials live
// there.
var metadata = []netip.Prefix{
	netip.MustParsePrefix("169.254.169.254/32"), // AWS, GCP, Azure IMDS, OpenStack, DigitalOcean...
	netip.MustParsePrefix("169.254.170.2/32"),   // AWS ECS task credentials
	netip.MustParsePrefix("168.63.129.16/32"),   // Azure WireServer (a public address)
	netip.MustParsePrefix("100.100.100.200/32"), // Alibaba Cloud
	netip.MustParsePrefix("192.0.0.192/32"),     // Oracle Cloud
	netip.MustParsePrefix("fd00:ec2::254/128"),  // AWS IMDS over IPv6
	netip.MustParsePrefix("169.254.170.23/32"),  // Amazon EKS Pod Identity Agent
	netip.MustParsePrefix("fd00:ec2::23/128"),   // the same over IPv6
	netip.MustParsePrefix("fd20:ce::254/128"),   // Google Compute Engine metadata over IPv6
}

// nat64 is the well-known NAT64 prefix: its addresses stand for the IPv4
// address in their last 32 bits, which is what must be checked.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// Guard decides whether an address may be dialled. The IANA special-purpose
// registries (code.dny.dev/ssrf) deny loopback, RFC 1918, link-local, CGNAT,
// multicast, unspecified, documentation and reserved IPv4 ranges, and every
// IPv6 address outside global unicast (ULA, link-local, IPv4-compatible...)
// plus the special ranges inside it (6to4, Teredo...). On top: IPv4-mapped
// IPv6 is checked as the IPv4 address it is, NAT64 as the IPv4 address it
// carries, metadata endpoints are always refused, and an admin may allow
// private ranges explicitly.
type Guard struct {
	ssrf    *ssrf.Guardian
	private []netip.Prefix
}

// NewGuard returns a guard that also allows the given private prefixes.
func NewGuard(allowPrivate []netip.Prefix) *Guard {
	var v4, v6 []netip.Prefix
	for _, p := range allowPrivate {
		if p.Addr().Is4() {
			v4 = append(v4, p)
		} else {
			v6 = append(v6, p)
		}
	}
	return &Guard{
		ssrf:    ssrf.New(ssrf.WithAnyPort(), ssrf.WithAllowedV4Prefixes(v4...), ssrf.WithAllowedV6Prefixes(v6...)),
		private: allowPrivate,
	}
}

// Check returns nil if a may be dialled, or an error wrapping
// ErrForbiddenAddress that says why.
func (g *Guard) Check(a netip.Addr) error {
	if !a.IsValid() {
		return fmt.Errorf("%w: no address", ErrForbiddenAddress)
	}
	a = a.Unmap().WithZone("")
	if nat64.Contains(a) {
		b := a.As16()
		v4 := netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
		if err := g.Check(v4); err != nil {
			return fmt.Errorf("%w (NAT64 of %s)", err, v4)
		}
		return nil
	}
	for _, p := range metadata {
		if p.Contains(a) {
			return fmt.Errorf("%w: %s is a cloud metadata endpoint", ErrForbiddenAddress, a)
		}
	}
	if err := g.ssrf.SafeAddr(a); err != nil {
		return fmt.Errorf("%w: %s is not a public address", ErrForbiddenAddress, a)
	}
	return nil
}
