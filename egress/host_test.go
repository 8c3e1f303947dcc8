package egress

// These tests only parse strings: they never dial, listen or resolve.

import (
	"net/netip"
	"strings"
	"testing"
)

func TestParseTargetPorts(t *testing.T) {
	tests := []struct {
		in       string
		def      uint16
		wantHost string
		wantAddr string
		wantPort uint16
		wantErr  bool
	}{
		{in: "example.com", def: 443, wantHost: "example.com", wantPort: 443},
		{in: "example.com", def: 80, wantHost: "example.com", wantPort: 80},
		{in: "example.com:8080", def: 443, wantHost: "example.com", wantPort: 8080},
		{in: "example.com:8080", def: 0, wantHost: "example.com", wantPort: 8080},
		{in: "example.com:1", def: 0, wantHost: "example.com", wantPort: 1},
		{in: "example.com:65535", def: 0, wantHost: "example.com", wantPort: 65535},
		{in: "example.com:0", def: 443, wantErr: true},
		{in: "example.com:65536", def: 443, wantErr: true},
		{in: "example.com:99999999999", def: 443, wantErr: true},
		{in: "example.com:-1", def: 443, wantErr: true},
		{in: "example.com:+443", def: 443, wantErr: true},
		{in: "example.com:abc", def: 443, wantErr: true},
		{in: "example.com:", def: 443, wantErr: true},
		{in: "example.com: 443", def: 443, wantErr: true},
		{in: "example.com", def: 0, wantErr: true}, // a port is required
		{in: "1.1.1.1", def: 0, wantErr: true},
		{in: "[2606:4700:4700::1111]", def: 0, wantErr: true},
		{in: "1.1.1.1:443", def: 0, wantAddr: "1.1.1.1", wantPort: 443},
		{in: "1.1.1.1", def: 443, wantAddr: "1.1.1.1", wantPort: 443},
		// IPv6 literals, with and without brackets and ports.
		{in: "[2606:4700:4700::1111]:443", def: 0, wantAddr: "2606:4700:4700::1111", wantPort: 443},
		{in: "[2606:4700:4700::1111]:8443", def: 443, wantAddr: "2606:4700:4700::1111", wantPort: 8443},
		{in: "[2606:4700:4700::1111]", def: 443, wantAddr: "2606:4700:4700::1111", wantPort: 443},
		{in: "2606:4700:4700::1111", def: 443, wantAddr: "2606:4700:4700::1111", wantPort: 443},
		{in: "[2606:4700:4700:0:0:0:0:1111]:443", def: 0, wantAddr: "2606:4700:4700::1111", wantPort: 443},
		{in: "[2606:4700:4700::1111]:0", def: 443, wantErr: true},
		{in: "[2606:4700:4700::1111]:65536", def: 443, wantErr: true},
		{in: "[fe80::1%25eth0]:443", def: 0, wantAddr: "fe80::1", wantPort: 443}, // zone dropped
		{in: "[fe80::1%eth0]", def: 443, wantAddr: "fe80::1", wantPort: 443},
		{in: "[::ffff:1.1.1.1]:443", def: 0, wantAddr: "1.1.1.1", wantPort: 443}, // unmapped
		// Garbage.
		{in: "", def: 443, wantErr: true},
		{in: ":443", def: 443, wantErr: true},
		{in: "[]:443", def: 443, wantErr: true},
		{in: "example.com:443:443", def: 443, wantErr: true},
		{in: "1.1.1.1:443:443", def: 443, wantErr: true},
		{in: "[2606:4700:4700::zzzz]:443", def: 443, wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseTarget(tt.in, tt.def)
		if tt.wantErr {
			if err == nil {
				t.Errorf("ParseTarget(%q, %d) = %+v, want error", tt.in, tt.def, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseTarget(%q, %d): %v", tt.in, tt.def, err)
			continue
		}
		var wantAddr netip.Addr
		if tt.wantAddr != "" {
			wantAddr = netip.MustParseAddr(tt.wantAddr)
		}
		want := Target{Host: tt.wantHost, Addr: wantAddr, Port: tt.wantPort}
		if got != want {
			t.Errorf("ParseTarget(%q, %d) = %+v, want %+v", tt.in, tt.def, got, want)
		}
	}
}

func TestParseTargetHostNormalisation(t *testing.T) {
	tests := []struct{ in, want string }{
		{"example.com", "example.com"},
		{"EXAMPLE.COM", "example.com"},
		{"Api.GitHub.com", "api.github.com"},
		{"example.com.", "example.com"},
		{"EXAMPLE.COM.:443", "example.com"},
		{"example.com.:8443", "example.com"},
		{"xn--bcher-kva.example", "xn--bcher-kva.example"},
		{"XN--BCHER-KVA.EXAMPLE", "xn--bcher-kva.example"},
		{"_dmarc.example.com", "_dmarc.example.com"},
		{"a-b.example.com", "a-b.example.com"},
		{"localhost", "localhost"},
		{"3com.com", "3com.com"},
		{"example.123abc", "example.123abc"},
		{"1e100.net", "1e100.net"},
		{"0x7f.example", "0x7f.example"},
	}
	for _, tt := range tests {
		got, err := ParseTarget(tt.in, 443)
		if err != nil {
			t.Errorf("ParseTarget(%q): %v", tt.in, err)
			continue
		}
		if got.Host != tt.want || got.Addr.IsValid() {
			t.Errorf("ParseTarget(%q) = %+v, want host %q and no address", tt.in, got, tt.want)
		}
	}
}

func TestParseTargetBadNames(t *testing.T) {
	bad := []string{
		"exa mple.com",
		" example.com",
		"example.com ",
		"example.com\t",
		"example.com\x00",
		"example.com\n",
		"bücher.example",         // unicode must come as xn--
		"ex\u200bample.com",      // zero-width space
		"example\u3002com",       // ideographic full stop
		"ｅｘａｍｐｌｅ.com",            // fullwidth letters
		"\xff\xfe.example",       // invalid UTF-8
		"-example.com",           // leading hyphen
		"example-.com",           // trailing hyphen
		"a..example.com",         // empty label
		".example.com",           // empty first label
		"example.com..",          // two trailing dots
		".",                      // root only
		"..",                     // empty labels
		"example.com/path",       // URL pieces
		"user@example.com",       // userinfo
		"example.com?x",          // query
		"example.com#x",          // fragment
		"exam%70le.com",          // percent encoding
		"example.com\\",          // backslash
		"*.example.com",          // wildcard is a pattern, not a target
		"example.123",            // numeric last label
		"foo.0x1f",               // hex-looking last label
		"foo.0x",                 // hex prefix as last label
		"1.2.3.4.5",              // not an IP, not a name
		"256.0.0.1",              // overflow
		"1.256.0.0",              // overflow
		"4294967296",             // overflow
		"99999999999999999999",   // overflow
		"08.0.0.1",               // bad octal
		"0x.0x.0x.0x",            // empty hex parts
		"0xg.1",                  // bad hex
		"1.2.3.-4",               // signed part
		"127.0.0.1%eth0",         // zone on IPv4
		"[example.com:443",       // unbalanced bracket
		"example.com]:443",       // unbalanced bracket
		"[::1]]:443",             // extra bracket
		"[[::1]]:443",            // doubled brackets
		"::ffff:127.1",           // short IPv4 inside IPv6
		"[::1]:443]",             // garbage after port
		"[fe80::1%25eth0%]:443x", // garbage
	}
	for _, in := range bad {
		if got, err := ParseTarget(in, 443); err == nil {
			t.Errorf("ParseTarget(%q) = %+v, want error", in, got)
		}
	}
}

func TestParseTargetLengthLimits(t *testing.T) {
	label := func(n int) string { return strings.Repeat("a", n) }

	// A 63-byte label is fine, 64 is not.
	if _, err := ParseTarget(label(63)+".example.com", 443); err != nil {
		t.Errorf("63-byte label: %v", err)
	}
	if got, err := ParseTarget(label(64)+".example.com", 443); err == nil {
		t.Errorf("64-byte label accepted: %+v", got)
	}

	// Names up to 253 bytes (without the trailing dot) are fine.
	name253 := label(63) + "." + label(63) + "." + label(63) + "." + label(61) // 253
	if len(name253) != 253 {
		t.Fatalf("test bug: len %d", len(name253))
	}
	if got, err := ParseTarget(name253, 443); err != nil || got.Host != name253 {
		t.Errorf("253-byte name: %+v, %v", got, err)
	}
	if got, err := ParseTarget(name253+".", 443); err != nil || got.Host != name253 {
		t.Errorf("253-byte name with trailing dot: %+v, %v", got, err)
	}
	if got, err := ParseTarget(name253+":443", 0); err != nil || got.Host != name253 {
		t.Errorf("253-byte name with port: %+v, %v", got, err)
	}
	name254 := label(63) + "." + label(63) + "." + label(63) + "." + label(62)
	if got, err := ParseTarget(name254, 443); err == nil {
		t.Errorf("254-byte name accepted: %+v", got)
	}

	// The whole target is capped whatever it contains.
	long := strings.Repeat("a.", 200) + "com"
	if got, err := ParseTarget(long, 443); err == nil {
		t.Errorf("%d-byte target accepted: %+v", len(long), got)
	}
	if got, err := ParseTarget(strings.Repeat("0", 400)+"1", 443); err == nil {
		t.Errorf("long zero-padded number accepted: %+v", got)
	}
	// An IPv4 part is at most 12 characters, so zero padding cannot be
	// used to smuggle a number past a length-limited filter elsewhere.
	if got, err := ParseTarget("0000000000000177.0.0.1", 443); err == nil {
		t.Errorf("zero-padded octal part accepted: %+v", got)
	}
}

func TestParseIPNotations(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" means not an IP
	}{
		{"127.0.0.1", "127.0.0.1"},
		{"127.1", "127.0.0.1"},
		{"127.0.1", "127.0.0.1"},
		{"127.1.1", "127.1.0.1"},
		{"0177.0.0.1", "127.0.0.1"},
		{"0x7f.0.0.1", "127.0.0.1"},
		{"0X7F.1", "127.0.0.1"},
		{"0x7F.0X0.0x0.0X1", "127.0.0.1"},
		{"0x7f000001", "127.0.0.1"},
		{"2130706433", "127.0.0.1"},
		{"017700000001", "127.0.0.1"},
		{"0", "0.0.0.0"},
		{"00", "0.0.0.0"},
		{"0.0.0.0", "0.0.0.0"},
		{"10.1", "10.0.0.1"},
		{"10.0x10203", "10.1.2.3"},
		{"192.168.257", "192.168.1.1"},
		{"3232235777", "192.168.1.1"},
		{"0xc0.0xa8.1.1", "192.168.1.1"},
		{"2852039166", "169.254.169.254"},
		{"0xa9fea9fe", "169.254.169.254"},
		{"0251.0376.0251.0376", "169.254.169.254"},
		{"169.254.43518", "169.254.169.254"},
		{"4294967295", "255.255.255.255"},
		{"127.0.0.1.", "127.0.0.1"}, // one trailing dot, as a resolver reads it
		{"[127.0.0.1]", "127.0.0.1"},
		{"::1", "::1"},
		{"[::1]", "::1"},
		{"0:0:0:0:0:0:0:1", "::1"},
		{"::ffff:127.0.0.1", "127.0.0.1"},
		{"::ffff:7f00:1", "127.0.0.1"},
		{"::FFFF:A9FE:A9FE", "169.254.169.254"},
		{"::127.0.0.1", "::7f00:1"},
		{"fe80::1%eth0", "fe80::1"},
		{"fe80::1%25eth0", "fe80::1"},
		{"[fe80::1%eth0]", "fe80::1"},
		{"FD00:EC2::254", "fd00:ec2::254"},
		// Not IPs.
		{"", ""},
		{".", ""},
		{"1.2.3.4.5", ""},
		{"256.0.0.1", ""},
		{"1.2.3.256", ""},
		{"1.2.65536", ""},
		{"1.16777216", ""},
		{"4294967296", ""},
		{"0x100000000", ""},
		{"08", ""},
		{"09.1", ""},
		{"0x", ""},
		{"0xg", ""},
		{"1..1", ""},
		{".1.1", ""},
		{"1.1..", ""},
		{"+1", ""},
		{"-1", ""},
		{"1_000", ""},
		{" 1.1.1.1", ""},
		{"1.1.1.1 ", ""},
		{"example.com", ""},
		{"::ffff:127.1", ""},
		{":::1", ""},
		{"1.1.1.1%eth0", ""},
	}
	for _, tt := range tests {
		got, ok := ParseIP(tt.in)
		if tt.want == "" {
			if ok {
				t.Errorf("ParseIP(%q) = %v, want not an IP", tt.in, got)
			}
			continue
		}
		want := netip.MustParseAddr(tt.want)
		if !ok || got != want {
			t.Errorf("ParseIP(%q) = %v, %v; want %v", tt.in, got, ok, want)
		}
	}
}

func TestTargetString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"example.com", "example.com:443"},
		{"EXAMPLE.com.:8080", "example.com:8080"},
		{"0x01020304", "1.2.3.4:443"},
		{"[2606:4700:4700:0::1111]", "[2606:4700:4700::1111]:443"},
		{"[fe80::1%25eth0]:80", "[fe80::1]:80"},
		{"[::ffff:1.1.1.1]", "1.1.1.1:443"},
	}
	for _, tt := range tests {
		got, err := ParseTarget(tt.in, 443)
		if err != nil {
			t.Errorf("ParseTarget(%q): %v", tt.in, err)
			continue
		}
		if s := got.String(); s != tt.want {
			t.Errorf("ParseTarget(%q).String() = %q, want %q", tt.in, s, tt.want)
		}
	}
}

func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{
		"example.com:443", "EXAMPLE.com.", "[::1]:80", "127.1", "0x7f.1:22",
		"[fe80::1%25eth0]:443", "[::ffff:7f00:1]", "2130706433", "xn--bcher-kva.example",
		"1.2.3.4.5", "a..b", ":443", "[]",
	} {
		f.Add(s, uint16(443))
	}
	f.Add("example.com", uint16(0))
	f.Fuzz(func(t *testing.T, in string, def uint16) {
		got, err := ParseTarget(in, def)
		if err != nil {
			return
		}
		if got.Port == 0 {
			t.Fatalf("ParseTarget(%q, %d) = %+v: port 0", in, def, got)
		}
		if got.Addr.IsValid() == (got.Host != "") {
			t.Fatalf("ParseTarget(%q, %d) = %+v: want exactly one of Host and Addr", in, def, got)
		}
		if got.Addr.IsValid() {
			if got.Addr.Zone() != "" || got.Addr.Is4In6() {
				t.Fatalf("ParseTarget(%q, %d) = %+v: address not normalised", in, def, got)
			}
		} else {
			if got.Host != strings.ToLower(got.Host) || strings.HasSuffix(got.Host, ".") {
				t.Fatalf("ParseTarget(%q, %d) = %+v: host not normalised", in, def, got)
			}
			if _, ok := ParseIP(got.Host); ok {
				t.Fatalf("ParseTarget(%q, %d) = %+v: host is an IP literal", in, def, got)
			}
		}
		s := got.String()
		again, err := ParseTarget(s, 0)
		if err != nil {
			t.Fatalf("ParseTarget(%q) = %+v, but its String %q does not parse: %v", in, got, s, err)
		}
		if again != got {
			t.Fatalf("round trip: ParseTarget(%q) = %+v, ParseTarget(%q) = %+v", in, got, s, again)
		}
	})
}

func FuzzParseIP(f *testing.F) {
	for _, s := range []string{
		"127.0.0.1", "127.1", "0x7f000001", "017700000001", "2130706433",
		"::ffff:127.0.0.1", "fe80::1%eth0", "1.2.3.4.5", "256.0.0.1", "0",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, ok := ParseIP(in)
		if !ok {
			if got.IsValid() {
				t.Fatalf("ParseIP(%q) = %v, false: want the zero Addr", in, got)
			}
			return
		}
		if !got.IsValid() || got.Zone() != "" || got.Is4In6() {
			t.Fatalf("ParseIP(%q) = %v: not a valid, unzoned, unmapped address", in, got)
		}
		// For the canonical dotted-decimal form, inet_aton and netip agree.
		if std, err := netip.ParseAddr(in); err == nil && std.Is4() && std.String() == in && got != std {
			t.Fatalf("ParseIP(%q) = %v, netip.ParseAddr = %v", in, got, std)
		}
	})
}

// TestParseIPCanonicalIPv4AgreesWithNetip checks canonical dotted-decimal
// strings directly, because a fuzz input is rarely canonical.
func TestParseIPCanonicalIPv4AgreesWithNetip(t *testing.T) {
	for _, b := range [][4]byte{{0, 0, 0, 0}, {1, 2, 3, 4}, {127, 0, 0, 1}, {10, 255, 0, 9}, {255, 255, 255, 255}, {169, 254, 169, 254}, {100, 64, 0, 1}} {
		a := netip.AddrFrom4(b)
		got, ok := ParseIP(a.String())
		if !ok || got != a {
			t.Errorf("ParseIP(%q) = %v, %v; want %v", a.String(), got, ok, a)
		}
	}
}
