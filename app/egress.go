package app

import (
	"fmt"
	"net/netip"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/egress"
)

// EgressEnabled reports whether configuration serves the egress proxy.
func EgressEnabled(cfg *config.Config) bool {
	return cfg.Egress.Listen != "" && cfg.Egress.Listen != "off"
}

// egressPolicy compiles the allowlists and the guard: a mistake stops the
// start, like a broken tool policy.
func egressPolicy(cfg *config.Config) (*egress.Policy, *egress.Guard, error) {
	profiles := map[string][]string{}
	for name, p := range cfg.Profiles {
		if p.Egress != nil {
			profiles[name] = p.Egress.Allow
		}
	}
	pol, err := egress.NewPolicy(egress.Mode(cfg.Egress.Mode), cfg.Egress.Allow, profiles)
	if err != nil {
		return nil, nil, err
	}
	var private []netip.Prefix
	for _, s := range cfg.Egress.AllowPrivate {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, nil, fmt.Errorf("egress.allow_private: %q is not a CIDR prefix", s)
		}
		private = append(private, p.Masked())
	}
	return pol, egress.NewGuard(private), nil
}
