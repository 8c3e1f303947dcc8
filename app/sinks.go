package app

import (
	"crypto/x509"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/sink"
)

// destinations builds the configured sinks' destinations; a mistake stops
// the start.
func destinations(cfg *config.Config, getenv func(string) string) ([]string, []sink.Destination, []sink.Filter, []int, error) {
	var names []string
	var attempts []int
	var dests []sink.Destination
	var filters []sink.Filter
	seen := map[string]bool{}
	fail := func(err error) ([]string, []sink.Destination, []sink.Filter, []int, error) {
		for _, d := range dests {
			d.Close()
		}
		return nil, nil, nil, nil, err
	}
	for i, s := range cfg.Sinks {
		key := fmt.Sprintf("sinks[%d]", i)
		name := s.Name
		if name == "" {
			name = fmt.Sprintf("%s-%d", s.Type, i)
		}
		if seen[name] {
			return fail(fmt.Errorf("%s: name %q is used twice", key, name))
		}
		seen[name] = true
		var d sink.Destination
		var err error
		switch s.Type {
		case "webhook":
			u, perr := url.Parse(s.URL)
			if perr != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				return fail(fmt.Errorf("%s.url: want an http(s) URL", key))
			}
			if s.SecretEnv == "" {
				return fail(fmt.Errorf("%s.secret_env: name the environment variable that holds the whsec_ secret", key))
			}
			secret := getenv(s.SecretEnv)
			if secret == "" {
				return fail(fmt.Errorf("%s.secret_env: %s is empty", key, s.SecretEnv))
			}
			d, err = sink.NewWebhook(s.URL, secret, nil)
		case "file":
			if s.Path == "" {
				return fail(fmt.Errorf("%s.path: required for a file sink", key))
			}
			d, err = sink.NewFile(s.Path)
		case "syslog":
			var roots *x509.CertPool
			if s.CAFile != "" {
				pem, rerr := os.ReadFile(s.CAFile)
				if rerr != nil {
					return fail(fmt.Errorf("%s.ca_file: %w", key, rerr))
				}
				roots = x509.NewCertPool()
				if !roots.AppendCertsFromPEM(pem) {
					return fail(fmt.Errorf("%s.ca_file: no PEM certificate", key))
				}
			}
			d, err = sink.NewSyslog(s.Address, roots)
		default:
			return fail(fmt.Errorf("%s.type: %q is not webhook, file or syslog", key, s.Type))
		}
		if err != nil {
			return fail(fmt.Errorf("%s: %w", key, err))
		}
		f := sink.Filter{Actions: s.Actions}
		for _, dec := range s.Decisions {
			switch e := warden.Effect(strings.ToLower(dec)); e {
			case warden.Allow, warden.Deny, warden.Ask:
				f.Decisions = append(f.Decisions, e)
			default:
				return fail(fmt.Errorf("%s.decisions: %q is not allow, deny or ask", key, dec))
			}
		}
		if f.MinSeverity, err = sink.ParseSeverity(s.MinSeverity); err != nil {
			return fail(fmt.Errorf("%s.min_severity: %w", key, err))
		}
		if s.MaxAttempts < 0 {
			return fail(fmt.Errorf("%s.max_attempts: cannot be negative", key))
		}
		names, dests, filters, attempts = append(names, name), append(dests, d), append(filters, f), append(attempts, s.MaxAttempts)
	}
	return names, dests, filters, attempts, nil
}
