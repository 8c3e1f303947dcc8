package main

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/app"
	"github.com/wardenhq/warden/egress"
)

func egressCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "egress", Short: "The network plane: firewall rules that keep an agent's OS user on the egress proxy"}
	var cfgPath, user, format string
	rules := &cobra.Command{
		Use:   "rules --uid USER",
		Short: "Print host firewall rules that let USER reach only Warden (the API/model plane and the egress proxy)",
		Long: `Print firewall rules (nftables by default, or iptables) for the OS user the
agent runs as: its processes may open connections only to Warden's listeners,
from the configuration (listen and egress.listen), so a tool that ignores the
proxy settings cannot get out. Replies on connections others open to that
user still flow. Load the nft output with 'nft -f FILE' (it replaces its own
table, inet warden_egress, on each load).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if user == "" {
				return &exitError{code: 2, err: fmt.Errorf("--uid is required: the OS user (name or uid) the agent runs as")}
			}
			cfg, err := loadOfflineConfig(cfgPath, e)
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			listeners := []string{cfg.Listen}
			if app.EgressEnabled(cfg) {
				listeners = append(listeners, cfg.Egress.Listen)
			}
			var addrs []netip.AddrPort
			for _, l := range listeners {
				aps, err := listenAddrs(l)
				if err != nil {
					return &exitError{code: 2, err: err}
				}
				addrs = append(addrs, aps...)
			}
			out, err := egress.FirewallRules(format, user, addrs)
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			fmt.Fprint(e.stdout, out)
			return nil
		},
	}
	rules.Flags().StringVar(&cfgPath, "config", "", "config file (env WARDEN_CONFIG)")
	rules.Flags().StringVar(&user, "uid", "", "the agent's OS user: a name or a numeric uid")
	rules.Flags().StringVar(&format, "format", egress.FormatNft, "nft or iptables")
	cmd.AddCommand(rules)
	return cmd
}

// listenAddrs are the addresses a listen setting accepts connections on,
// as a local process reaches them.
func listenAddrs(listen string) ([]netip.AddrPort, error) {
	host, portStr, err := net.SplitHostPort(listen)
	if err != nil {
		return nil, fmt.Errorf("listen address %q: %w", listen, err)
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("listen address %q: bad port", listen)
	}
	var ips []netip.Addr
	switch host {
	case "", "localhost":
		ips = []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")}
	default:
		a, err := netip.ParseAddr(host)
		if err != nil {
			return nil, fmt.Errorf("listen address %q: write an IP address, not a name", listen)
		}
		ips = []netip.Addr{a}
	}
	var out []netip.AddrPort
	for _, ip := range ips {
		out = append(out, netip.AddrPortFrom(ip, uint16(port)))
	}
	return out, nil
}
