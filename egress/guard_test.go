package egress

// These tests only parse and check addresses: nothing here dials, listens
// or resolves a name, so no packet leaves the machine.

import (
	"errors"
	"net/netip"
	"testing"
)

// bypasses are SSRF attempts that must never be dialled. want is the
// address ParseTarget must read the literal as ("" when ParseTarget must
// refuse the input outright); either way the proxy's path — ParseTarget,
// then Guard.Check on the address — must deny it.
var bypasses = []struct {
	in, want string
}{
	// Loopback in every IPv4 notation inet_aton accepts.
	{"127.0.0.1", "127.0.0.1"},
	{"127.1", "127.0.0.1"},
	{"127.0.1", "127.0.0.1"},
	{"0177.0.0.1", "127.0.0.1"},
	{"0x7f.0.0.1", "127.0.0.1"},
	{"0x7f000001", "127.0.0.1"},
	{"2130706433", "127.0.0.1"},
	{"017700000001", "127.0.0.1"},
	{"0X7F.1", "127.0.0.1"},
	{"0X7F000001", "127.0.0.1"},
	{"127.0.0.1.", "127.0.0.1"},
	{"127.1.", "127.0.0.1"},
	{"127.127.127.127", "127.127.127.127"},
	{"127.0.0.1:80", "127.0.0.1"},
	{"127.1:22", "127.0.0.1"},
	{"0x7f.1:8080", "127.0.0.1"},
	// "This network".
	{"0", "0.0.0.0"},
	{"0.0.0.0", "0.0.0.0"},
	{"0x0", "0.0.0.0"},
	{"0.0.0.0:443", "0.0.0.0"},
	// RFC 1918.
	{"10.0.0.1", "10.0.0.1"},
	{"10.1", "10.0.0.1"},
	{"012.1", "10.0.0.1"},
	{"167772161", "10.0.0.1"},
	{"172.16.0.1", "172.16.0.1"},
	{"172.31.255.255", "172.31.255.255"},
	{"192.168.1.1", "192.168.1.1"},
	{"0xc0.0xa8.1.1", "192.168.1.1"},
	{"3232235777", "192.168.1.1"},
	{"192.168.257", "192.168.1.1"},
	// Link-local and cloud metadata.
	{"169.254.169.254", "169.254.169.254"},
	{"169.254.170.2", "169.254.170.2"},
	{"2852039166", "169.254.169.254"},
	{"0xa9fea9fe", "169.254.169.254"},
	{"0XA9FEA9FE", "169.254.169.254"},
	{"0251.0376.0251.0376", "169.254.169.254"},
	{"169.254.43518", "169.254.169.254"},
	{"169.254.169.254.", "169.254.169.254"},
	{"100.64.0.1", "100.64.0.1"},
	{"100.100.100.200", "100.100.100.200"},
	{"168.63.129.16", "168.63.129.16"}, // Azure WireServer: a public range, but metadata
	{"0xa83f8110", "168.63.129.16"},
	{"192.0.0.192", "192.0.0.192"},
	// Multicast, broadcast, reserved, documentation, benchmarking.
	{"224.0.0.1", "224.0.0.1"},
	{"239.255.255.250", "239.255.255.250"},
	{"255.255.255.255", "255.255.255.255"},
	{"4294967295", "255.255.255.255"},
	{"240.0.0.1", "240.0.0.1"},
	{"192.0.2.1", "192.0.2.1"},
	{"198.18.0.1", "198.18.0.1"},
	// IPv6 loopback, unspecified, and their spellings.
	{"[::1]", "::1"},
	{"[::1]:443", "::1"},
	{"::1", "::1"},
	{"[::]", "::"},
	{"[0:0:0:0:0:0:0:1]", "::1"},
	{"[0000:0000:0000:0000:0000:0000:0000:0001]:80", "::1"},
	// IPv4-mapped, -compatible and -translated IPv6.
	{"[::ffff:127.0.0.1]", "127.0.0.1"},
	{"[::ffff:7f00:1]", "127.0.0.1"},
	{"[::FFFF:7F00:1]", "127.0.0.1"},
	{"[0:0:0:0:0:ffff:127.0.0.1]", "127.0.0.1"},
	{"[::ffff:169.254.169.254]", "169.254.169.254"},
	{"[::ffff:a9fe:a9fe]:80", "169.254.169.254"},
	{"[::ffff:10.0.0.1]", "10.0.0.1"},
	{"[::ffff:168.63.129.16]", "168.63.129.16"},
	{"[::ffff:0.0.0.0]", "0.0.0.0"},
	{"[::127.0.0.1]", "::7f00:1"}, // IPv4-compatible (deprecated)
	{"[::a9fe:a9fe]", "::a9fe:a9fe"},
	{"[::ffff:0:127.0.0.1]", "::ffff:0:7f00:1"}, // IPv4-translated (SIIT)
	// Zones.
	{"[fe80::1%25eth0]", "fe80::1"},
	{"[fe80::1%eth0]", "fe80::1"},
	{"[fe80::1%25eth0]:443", "fe80::1"},
	{"[fe80::a9fe:a9fe]", "fe80::a9fe:a9fe"},
	{"[::1%25lo]", "::1"},
	{"[::ffff:127.0.0.1%25eth0]", "127.0.0.1"},
	// Unique local, including AWS IMDS over IPv6.
	{"[fc00::1]", "fc00::1"},
	{"[fd00::1]", "fd00::1"},
	{"[fd00:ec2::254]", "fd00:ec2::254"},
	{"[FD00:EC2::254]", "fd00:ec2::254"},
	// NAT64 (well-known and local-use prefixes).
	{"[64:ff9b::7f00:1]", "64:ff9b::7f00:1"},
	{"[64:ff9b::127.0.0.1]", "64:ff9b::7f00:1"},
	{"[64:ff9b::a00:1]", "64:ff9b::a00:1"},
	{"[64:ff9b::a9fe:a9fe]", "64:ff9b::a9fe:a9fe"},
	{"[64:ff9b::a83f:8110]", "64:ff9b::a83f:8110"}, // NAT64 of Azure WireServer
	{"[64:ff9b::6464:64c8]", "64:ff9b::6464:64c8"}, // NAT64 of Alibaba metadata
	{"[64:ff9b:1::a00:1]", "64:ff9b:1::a00:1"},
	// 6to4, Teredo, documentation, multicast, site-local.
	{"[2002:7f00:1::]", "2002:7f00:1::"},
	{"[2002:a9fe:a9fe::1]", "2002:a9fe:a9fe::1"},
	{"[2001::1]", "2001::1"},
	{"[2001:0:4136:e378:8000:63bf:3fff:fdd2]", "2001:0:4136:e378:8000:63bf:3fff:fdd2"},
	{"[2001:db8::1]", "2001:db8::1"},
	{"[ff02::1]", "ff02::1"},
	{"[ff05::1:3]", "ff05::1:3"},
	{"[fec0::1]", "fec0::1"},
	// Neither an IP nor a name: refused.
	{"1.2.3.4.5", ""},
	{"127.0.0.1.1", ""},
	{"256.0.0.1", ""},
	{"127.0.0.256", ""},
	{"127.0.65536", ""},
	{"4294967296", ""},
	{"0x100000000", ""},
	{"0x7f.0x100.0.1", ""},
	{"08.0.0.1", ""},
	{"127.0.0.1..", ""},
	{"127.0.0.1%25eth0", ""},
	{"::ffff:127.1", ""},
	{"127。0。0。1", ""},
	{"１２７.0.0.1", ""},
	{"127.0.0.1 ", ""},
	{"127.0.0.1\x00.example.com", ""},
	{"0x7f.1\t", ""},
}

func TestGuardDeniesBypasses(t *testing.T) {
	if len(bypasses) < 40 {
		t.Fatalf("only %d bypass cases", len(bypasses))
	}
	g := NewGuard(nil)
	for _, tt := range bypasses {
		target, err := ParseTarget(tt.in, 443)
		if err != nil {
			continue // refused before the guard: denied
		}
		if tt.want == "" {
			t.Errorf("ParseTarget(%q) = %+v, want it refused", tt.in, target)
			continue
		}
		if !target.Addr.IsValid() {
			t.Errorf("ParseTarget(%q) = %+v: an IP literal read as a name", tt.in, target)
			continue
		}
		if want := netip.MustParseAddr(tt.want); target.Addr != want {
			t.Errorf("ParseTarget(%q).Addr = %v, want %v", tt.in, target.Addr, want)
		}
		if err := g.Check(target.Addr); !errors.Is(err, ErrForbiddenAddress) {
			t.Errorf("BYPASS: %q (read as %v) allowed by the guard: Check = %v", tt.in, target.Addr, err)
		}
	}
}

// TestNamesAreNotIPs: these parse as host names, never as addresses. The
// proxy resolves a name once and checks every address it resolves to
// before dialling exactly that address; that path (e.g. localhost →
// 127.0.0.1 denied) is tested with the proxy, since it needs a resolver.
func TestNamesAreNotIPs(t *testing.T) {
	names := []struct{ in, want string }{
		{"localhost", "localhost"},
		{"localhost.", "localhost"},
		{"LOCALHOST", "localhost"},
		{"localhost:8080", "localhost"},
		{"ip6-localhost", "ip6-localhost"},
		{"metadata", "metadata"},
		{"metadata.google.internal", "metadata.google.internal"},
		{"metadata.google.internal.", "metadata.google.internal"},
		{"instance-data.ec2.internal", "instance-data.ec2.internal"},
		{"127.0.0.1.nip.io", "127.0.0.1.nip.io"},
		{"0x7f.example", "0x7f.example"},
		{"169.254.169.254.xip.io", "169.254.169.254.xip.io"},
	}
	for _, tt := range names {
		target, err := ParseTarget(tt.in, 443)
		if err != nil {
			t.Errorf("ParseTarget(%q): %v", tt.in, err)
			continue
		}
		if target.Addr.IsValid() || target.Host != tt.want {
			t.Errorf("ParseTarget(%q) = %+v, want the name %q and no address", tt.in, target, tt.want)
		}
	}
}

func TestGuardAllowsPublic(t *testing.T) {
	g := NewGuard(nil)
	for _, tt := range []struct{ in, want string }{
		{"93.184.216.34", "93.184.216.34"},
		{"1.1.1.1", "1.1.1.1"},
		{"8.8.8.8", "8.8.8.8"},
		{"8.8.8.8:53", "8.8.8.8"},
		{"0x08080808", "8.8.8.8"},
		{"134744072", "8.8.8.8"},
		{"[2606:4700:4700::1111]", "2606:4700:4700::1111"},
		{"[2606:4700:4700::1111]:443", "2606:4700:4700::1111"},
		{"[2001:4860:4860::8888]", "2001:4860:4860::8888"},
		{"[::ffff:1.1.1.1]", "1.1.1.1"},                // mapped public
		{"[64:ff9b::101:101]", "64:ff9b::101:101"},     // NAT64 of 1.1.1.1
		{"[64:ff9b::1.1.1.1]", "64:ff9b::101:101"},     // the same, dotted
		{"[64:ff9b::5db8:d822]", "64:ff9b::5db8:d822"}, // NAT64 of 93.184.216.34
	} {
		target, err := ParseTarget(tt.in, 443)
		if err != nil {
			t.Errorf("ParseTarget(%q): %v", tt.in, err)
			continue
		}
		if want := netip.MustParseAddr(tt.want); target.Addr != want {
			t.Errorf("ParseTarget(%q).Addr = %v, want %v", tt.in, target.Addr, want)
		}
		if err := g.Check(target.Addr); err != nil {
			t.Errorf("Check(%v) from %q = %v, want nil", target.Addr, tt.in, err)
		}
	}
	// The guard also takes addresses straight from a resolver, which may
	// hand back a mapped or zoned form.
	for _, s := range []string{"::ffff:1.1.1.1", "2606:4700:4700::1111%eth0"} {
		if err := g.Check(netip.MustParseAddr(s)); err != nil {
			t.Errorf("Check(%s) = %v, want nil", s, err)
		}
	}
}

func TestGuardRawAddresses(t *testing.T) {
	g := NewGuard(nil)
	// Forms a resolver could return that ParseTarget would have normalised.
	for _, s := range []string{
		"::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254",
		"fe80::1%eth0", "::1%lo", "::ffff:168.63.129.16", "64:ff9b::a9fe:a9fe",
	} {
		if err := g.Check(netip.MustParseAddr(s)); !errors.Is(err, ErrForbiddenAddress) {
			t.Errorf("Check(%s) = %v, want ErrForbiddenAddress", s, err)
		}
	}
	if err := g.Check(netip.Addr{}); !errors.Is(err, ErrForbiddenAddress) {
		t.Errorf("Check(zero Addr) = %v, want ErrForbiddenAddress", err)
	}
}

func TestGuardAdminAllowedPrivate(t *testing.T) {
	pfx := netip.MustParsePrefix
	addr := netip.MustParseAddr
	tests := []struct {
		allow   []netip.Prefix
		addr    string
		allowed bool
	}{
		{[]netip.Prefix{pfx("10.0.0.0/8")}, "10.1.2.3", true},
		{[]netip.Prefix{pfx("10.0.0.0/8")}, "::ffff:10.1.2.3", true},
		{[]netip.Prefix{pfx("10.0.0.0/8")}, "64:ff9b::a01:203", true}, // NAT64 of 10.1.2.3
		{[]netip.Prefix{pfx("10.0.0.0/8")}, "11.0.0.1", true},         // public anyway
		{[]netip.Prefix{pfx("10.0.0.0/8")}, "127.0.0.1", false},
		{[]netip.Prefix{pfx("10.0.0.0/8")}, "192.168.1.1", false},
		{[]netip.Prefix{pfx("10.0.0.0/8")}, "169.254.169.254", false},
		{[]netip.Prefix{pfx("10.1.0.0/16")}, "10.2.0.1", false},
		{[]netip.Prefix{pfx("192.168.0.0/16"), pfx("fd12:3456::/32")}, "192.168.7.7", true},
		{[]netip.Prefix{pfx("192.168.0.0/16"), pfx("fd12:3456::/32")}, "fd12:3456::1", true},
		{[]netip.Prefix{pfx("192.168.0.0/16"), pfx("fd12:3456::/32")}, "fd12:3457::1", false},
		{[]netip.Prefix{pfx("192.168.0.0/16"), pfx("fd12:3456::/32")}, "::1", false},
		// Metadata stays denied inside an allowed range.
		{[]netip.Prefix{pfx("169.254.0.0/16")}, "169.254.1.1", true},
		{[]netip.Prefix{pfx("169.254.0.0/16")}, "169.254.169.254", false},
		{[]netip.Prefix{pfx("169.254.0.0/16")}, "::ffff:169.254.169.254", false},
		{[]netip.Prefix{pfx("169.254.0.0/16")}, "64:ff9b::a9fe:a9fe", false},
		{[]netip.Prefix{pfx("169.254.0.0/16")}, "169.254.170.2", false},
		{[]netip.Prefix{pfx("100.64.0.0/10")}, "100.64.0.1", true},
		{[]netip.Prefix{pfx("100.64.0.0/10")}, "100.100.100.200", false},
		{[]netip.Prefix{pfx("192.0.0.0/24")}, "192.0.0.192", false},
		{[]netip.Prefix{pfx("fd00::/8")}, "fd00:ec2::1", true},
		{[]netip.Prefix{pfx("fd00::/8")}, "fd00:ec2::254", false},
		{[]netip.Prefix{pfx("0.0.0.0/0")}, "168.63.129.16", false},
		{[]netip.Prefix{pfx("0.0.0.0/0")}, "169.254.169.254", false},
	}
	for _, tt := range tests {
		err := NewGuard(tt.allow).Check(addr(tt.addr))
		switch {
		case tt.allowed && err != nil:
			t.Errorf("NewGuard(%v).Check(%s) = %v, want nil", tt.allow, tt.addr, err)
		case !tt.allowed && !errors.Is(err, ErrForbiddenAddress):
			t.Errorf("NewGuard(%v).Check(%s) = %v, want ErrForbiddenAddress", tt.allow, tt.addr, err)
		}
	}
}

// TestGuardMoreMetadataInsideAllowedPrivate covers credential endpoints
// not in the guard's metadata list. They are denied by default (they are
// link-local or ULA), but an admin who allows 169.254.0.0/16 or fd00::/8
// for some internal service would open them:
//   - 169.254.170.23 and fd00:ec2::23: the Amazon EKS Pod Identity Agent,
//     which hands out IAM credentials to pods;
//   - fd20:ce::254: the Google Compute Engine metadata server over IPv6.
func TestGuardMoreMetadataInsideAllowedPrivate(t *testing.T) {
	pfx := netip.MustParsePrefix
	for _, tt := range []struct {
		allow netip.Prefix
		addr  string
	}{
		{pfx("169.254.0.0/16"), "169.254.170.23"},
		{pfx("fd00::/8"), "fd00:ec2::23"},
		{pfx("fc00::/7"), "fd20:ce::254"},
	} {
		if err := NewGuard(nil).Check(netip.MustParseAddr(tt.addr)); !errors.Is(err, ErrForbiddenAddress) {
			t.Errorf("NewGuard(nil).Check(%s) = %v, want ErrForbiddenAddress", tt.addr, err)
		}
		if err := NewGuard([]netip.Prefix{tt.allow}).Check(netip.MustParseAddr(tt.addr)); !errors.Is(err, ErrForbiddenAddress) {
			t.Errorf("metadata endpoint %s allowed when the admin allows %s: Check = %v", tt.addr, tt.allow, err)
		}
	}
}

func TestGuardErrorWrapsAndExplains(t *testing.T) {
	g := NewGuard(nil)
	for _, s := range []string{"127.0.0.1", "169.254.169.254", "64:ff9b::7f00:1", "fc00::1"} {
		err := g.Check(netip.MustParseAddr(s))
		if !errors.Is(err, ErrForbiddenAddress) {
			t.Fatalf("Check(%s) = %v", s, err)
		}
		if err.Error() == ErrForbiddenAddress.Error() {
			t.Errorf("Check(%s) = %q: says nothing about the address", s, err)
		}
	}
}

// denyV4 and denyV6 are ranges that must be denied whatever else is true.
var (
	denyV4 = []netip.Prefix{
		netip.MustParsePrefix("0.0.0.0/8"),
		netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("100.64.0.0/10"),
		netip.MustParsePrefix("127.0.0.0/8"),
		netip.MustParsePrefix("169.254.0.0/16"),
		netip.MustParsePrefix("172.16.0.0/12"),
		netip.MustParsePrefix("192.168.0.0/16"),
		netip.MustParsePrefix("224.0.0.0/3"),
		netip.MustParsePrefix("168.63.129.16/32"),
	}
	denyV6 = []netip.Prefix{
		netip.MustParsePrefix("::/128"),
		netip.MustParsePrefix("::1/128"),
		netip.MustParsePrefix("fc00::/7"),
		netip.MustParsePrefix("fe80::/10"),
		netip.MustParsePrefix("ff00::/8"),
		netip.MustParsePrefix("2002::/16"),
		netip.MustParsePrefix("2001::/32"),
	}
)

func mustDeny(a netip.Addr) bool {
	u := a.Unmap().WithZone("")
	for _, p := range denyV4 {
		if p.Contains(u) {
			return true
		}
	}
	for _, p := range denyV6 {
		if p.Contains(u) {
			return true
		}
	}
	return false
}

func FuzzGuardCheck(f *testing.F) {
	for _, s := range []string{"::1", "::ffff:127.0.0.1", "64:ff9b::a9fe:a9fe", "fe80::1", "2606:4700:4700::1111", "::ffff:1.1.1.1"} {
		b := netip.MustParseAddr(s).As16()
		f.Add(b[:])
	}
	g := NewGuard(nil)
	gPriv := NewGuard([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("169.254.0.0/16")})
	f.Fuzz(func(t *testing.T, in []byte) {
		var b [16]byte
		copy(b[:], in)
		for _, a := range []netip.Addr{
			netip.AddrFrom16(b),
			netip.AddrFrom16(b).Unmap(),
			netip.AddrFrom16(b).WithZone("eth0"),
			netip.AddrFrom4([4]byte{b[0], b[1], b[2], b[3]}),
		} {
			err := g.Check(a)
			if err != nil && !errors.Is(err, ErrForbiddenAddress) {
				t.Fatalf("Check(%v) = %v: does not wrap ErrForbiddenAddress", a, err)
			}
			if mustDeny(a) && err == nil {
				t.Fatalf("Check(%v) = nil: must be denied", a)
			}
			// NAT64 carries the IPv4 address in its last 32 bits.
			if nat64.Contains(a.Unmap().WithZone("")) {
				v4 := netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
				if mustDeny(v4) && err == nil {
					t.Fatalf("Check(%v) = nil: NAT64 of %v must be denied", a, v4)
				}
			}
			// Allowing private ranges never opens loopback or metadata.
			u := a.Unmap().WithZone("")
			if gPriv.Check(a) == nil && (netip.MustParsePrefix("127.0.0.0/8").Contains(u) || u == netip.MustParseAddr("169.254.169.254") || u == netip.MustParseAddr("::1")) {
				t.Fatalf("NewGuard(10/8, 169.254/16).Check(%v) = nil", a)
			}
		}
	})
}
