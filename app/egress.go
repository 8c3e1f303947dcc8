package app

import (
	"crypto/x509"
	"fmt"
	"net/netip"
	"os"

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

// importRoots is the system's certificate pool plus egress.ca_file.
func importRoots(cfg *config.Config) (*x509.CertPool, error) {
	if cfg.Egress.CAFile == "" {
		return nil, nil
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	pem, err := os.ReadFile(cfg.Egress.CAFile)
	if err != nil {
		return nil, fmt.Errorf("egress.ca_file: %w", err)
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("egress.ca_file: %s holds no PEM certificate", cfg.Egress.CAFile)
	}
	return pool, nil
}
