package egress

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// Firewall formats.
const (
	FormatNft      = "nft"
	FormatIptables = "iptables"
)

// FirewallRules returns host firewall rules that let the processes of one
// OS user (the agent's) open connections only to Warden's listeners — the
// API and model plane, and the egress proxy — so that a tool that ignores
// the proxy settings still cannot reach anything else. Replies on
// connections others opened to the user (a local gateway) still flow.
// user is a user name or a numeric uid.
func FirewallRules(format, user string, warden []netip.AddrPort) (string, error) {
	if err := checkUser(user); err != nil {
		return "", err
	}
	if len(warden) == 0 {
		return "", fmt.Errorf("no Warden address to allow")
	}
	var v4, v6 []netip.AddrPort
	for _, ap := range warden {
		ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
		if ap.Addr().Is4() {
			v4 = append(v4, ap)
		} else {
			v6 = append(v6, ap)
		}
	}
	switch format {
	case FormatNft:
		return nftRules(user, v4, v6), nil
	case FormatIptables:
		return iptablesRules(user, v4, v6), nil
	}
	return "", fmt.Errorf("format %q: want nft or iptables", format)
}

// checkUser accepts a uid or a POSIX user name: it is written into rules.
func checkUser(u string) error {
	if u == "" || len(u) > 32 {
		return fmt.Errorf("user %q: want a user name or uid", u)
	}
	for i, c := range u {
		ok := c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || (i > 0 && (c == '-' || c == '.' || '0' <= c && c <= '9')) || '0' <= c && c <= '9'
		if !ok {
			return fmt.Errorf("user %q: want a user name or uid", u)
		}
	}
	return nil
}

func nftUser(u string) string {
	if _, err := strconv.Atoi(u); err == nil {
		return u
	}
	return `"` + u + `"`
}

func nftRules(user string, v4, v6 []netip.AddrPort) string {
	var b strings.Builder
	u := nftUser(user)
	fmt.Fprintf(&b, "# Warden: the processes of user %s may connect only to Warden.\n", user)
	b.WriteString("# Load with: nft -f <this file>   (replaces the table on each load)\n")
	b.WriteString("table inet warden_egress\ndelete table inet warden_egress\n")
	b.WriteString("table inet warden_egress {\n\tchain output {\n\t\ttype filter hook output priority filter; policy accept;\n")
	fmt.Fprintf(&b, "\t\tmeta skuid %s ct state established,related accept\n", u)
	for _, ap := range sortAddrs(v4) {
		fmt.Fprintf(&b, "\t\tmeta skuid %s ip daddr %s tcp dport %d accept\n", u, ap.Addr(), ap.Port())
	}
	for _, ap := range sortAddrs(v6) {
		fmt.Fprintf(&b, "\t\tmeta skuid %s ip6 daddr %s tcp dport %d accept\n", u, ap.Addr(), ap.Port())
	}
	fmt.Fprintf(&b, "\t\tmeta skuid %s counter reject with icmpx type admin-prohibited\n", u)
	b.WriteString("\t}\n}\n")
	return b.String()
}

func iptablesRules(user string, v4, v6 []netip.AddrPort) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Warden: the processes of user %s may connect only to Warden.\n", user)
	b.WriteString("# Run as root. Both families: a tool may try IPv6 too.\n")
	for _, fam := range []struct {
		cmd  string
		list []netip.AddrPort
	}{{"iptables", v4}, {"ip6tables", v6}} {
		fmt.Fprintf(&b, "%s -A OUTPUT -m owner --uid-owner %s -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n", fam.cmd, user)
		for _, ap := range sortAddrs(fam.list) {
			fmt.Fprintf(&b, "%s -A OUTPUT -m owner --uid-owner %s -d %s -p tcp --dport %d -j ACCEPT\n", fam.cmd, user, ap.Addr(), ap.Port())
		}
		reject := "icmp-admin-prohibited"
		if fam.cmd == "ip6tables" {
			reject = "icmp6-adm-prohibited"
		}
		fmt.Fprintf(&b, "%s -A OUTPUT -m owner --uid-owner %s -j REJECT --reject-with %s\n", fam.cmd, user, reject)
	}
	return b.String()
}

func sortAddrs(a []netip.AddrPort) []netip.AddrPort {
	a = slices.Clone(a)
	slices.SortFunc(a, func(x, y netip.AddrPort) int { return x.Compare(y) })
	return slices.CompactFunc(a, func(x, y netip.AddrPort) bool { return x == y })
}
