package egress_test

import (
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/wardenhq/warden/egress"
)

var wardenAddrs = []netip.AddrPort{
	netip.MustParseAddrPort("127.0.0.1:8700"), netip.MustParseAddrPort("127.0.0.1:8701"),
	netip.MustParseAddrPort("[::1]:8701"), netip.MustParseAddrPort("127.0.0.1:8701"), // duplicates are dropped
}

func TestFirewallRulesAllowOnlyWarden(t *testing.T) {
	nft, err := egress.FirewallRules(egress.FormatNft, "1000", wardenAddrs)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"meta skuid 1000 ct state established,related accept",
		"meta skuid 1000 ip daddr 127.0.0.1 tcp dport 8700 accept",
		"meta skuid 1000 ip daddr 127.0.0.1 tcp dport 8701 accept",
		"meta skuid 1000 ip6 daddr ::1 tcp dport 8701 accept",
		"meta skuid 1000 counter reject",
	} {
		if !strings.Contains(nft, want) {
			t.Errorf("nft rules lack %q:\n%s", want, nft)
		}
	}
	if strings.Count(nft, "dport 8701 accept") != 2 {
		t.Errorf("duplicate addresses not dropped:\n%s", nft)
	}
	// The reject comes last: nothing after it is reached.
	if i, j := strings.LastIndex(nft, "accept"), strings.Index(nft, "reject"); i > j {
		t.Errorf("an accept after the reject:\n%s", nft)
	}
	ipt, err := egress.FirewallRules(egress.FormatIptables, "openclaw", wardenAddrs)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"iptables -A OUTPUT -m owner --uid-owner openclaw -d 127.0.0.1 -p tcp --dport 8700 -j ACCEPT",
		"ip6tables -A OUTPUT -m owner --uid-owner openclaw -d ::1 -p tcp --dport 8701 -j ACCEPT",
		"iptables -A OUTPUT -m owner --uid-owner openclaw -j REJECT",
		"ip6tables -A OUTPUT -m owner --uid-owner openclaw -j REJECT",
	} {
		if !strings.Contains(ipt, want) {
			t.Errorf("iptables rules lack %q:\n%s", want, ipt)
		}
	}
}

func TestFirewallRulesRefuseBadInput(t *testing.T) {
	for _, tc := range []struct {
		format, user string
		addrs        []netip.AddrPort
	}{
		{"nft", "", wardenAddrs},
		{"nft", "bad user", wardenAddrs},
		{"nft", `x"; flush ruleset; "`, wardenAddrs},
		{"nft", "-rf", wardenAddrs},
		{"pf", "openclaw", wardenAddrs},
		{"nft", "openclaw", nil},
	} {
		if out, err := egress.FirewallRules(tc.format, tc.user, tc.addrs); err == nil {
			t.Errorf("%q %q %v: accepted:\n%s", tc.format, tc.user, tc.addrs, out)
		}
	}
}

// nft itself checks the ruleset (Debian's nftables; CI installs it).
func TestFirewallRulesAreValidNft(t *testing.T) {
	bin, err := exec.LookPath("nft")
	if err != nil {
		if os.Getenv("WARDEN_REQUIRE_NFT") == "1" {
			t.Fatal("nft is not installed (apt-get install nftables)")
		}
		t.Skip("nft is not installed (apt-get install nftables)")
	}
	for _, user := range []string{"0", "1000", "root"} {
		rules, err := egress.FirewallRules(egress.FormatNft, user, wardenAddrs)
		if err != nil {
			t.Fatal(err)
		}
		f := t.TempDir() + "/rules.nft"
		os.WriteFile(f, []byte(rules), 0o600)
		if out, err := exec.Command(bin, "-c", "-f", f).CombinedOutput(); err != nil {
			if strings.Contains(string(out), "Operation not permitted") && os.Getenv("WARDEN_REQUIRE_NFT") != "1" {
				t.Skipf("nft -c needs privileges here: %s", out)
			}
			t.Errorf("nft -c rejected the rules for %s: %v\n%s\n%s", user, err, out, rules)
		}
	}
}
