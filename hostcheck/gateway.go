package hostcheck

import (
	"fmt"
	"slices"
	"strings"

	"github.com/wardenhq/warden/report"
	"github.com/wardenhq/warden/secretscan"
)

// minTokenLen is the shortest gateway token or password accepted: 32
// characters of a random token are 128+ bits.
const minTokenLen = 32

// credential is one credential-looking field of the config.
type credential struct {
	path    []string // keys from the root
	literal string   // the value when written in the file
	envName string   // the variable of "${NAME}" or an env SecretRef
	isRef   bool     // a reference, not a literal
}

func (c credential) key() string { return strings.Join(c.path, ".") }

// credentialKey says whether a config key names a credential: apiKey,
// token, password, secret and their compounds (botToken, clientSecret…),
// not counts or file names (maxTokens, tokenFile, tokenEnv).
func credentialKey(k string) bool {
	l := strings.ToLower(k)
	switch l {
	case "apikey", "api_key", "token", "password", "secret", "passphrase", "privatekey", "private_key":
		return true
	}
	for _, suf := range []string{"apikey", "token", "password", "secret", "_key"} {
		if strings.HasSuffix(l, suf) && len(l) > len(suf) {
			return true
		}
	}
	return false
}

// credentials lists every credential-looking field in the config tree.
func (c *Config) credentials() []credential {
	var out []credential
	var walk func(v any, path []string)
	walk = func(v any, path []string) {
		switch x := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				p := append(slices.Clone(path), k)
				if credentialKey(k) {
					lit, name, ref := secretValue(x[k])
					if ref || lit != "" {
						out = append(out, credential{path: p, literal: lit, envName: name, isRef: ref})
						continue
					}
				}
				walk(x[k], p)
			}
		case []any:
			for i, e := range x {
				walk(e, append(slices.Clone(path), fmt.Sprint(i)))
			}
		}
	}
	walk(c.Root, nil)
	return out
}

// loopbackBinds are gateway.bind values that listen on loopback only
// (the legacy host aliases included).
var loopbackBinds = []string{"", "loopback", "127.0.0.1", "localhost", "::1"}

func (h *host) checkGateway() {
	cfg := h.cfg.Path
	bind := str(h.cfg.Get("gateway", "bind"))
	mode := str(h.cfg.Get("gateway", "auth", "mode"))
	exposed := false
	switch {
	case slices.Contains(loopbackBinds, bind):
	case bind == "custom" && slices.Contains(loopbackBinds[1:], str(h.cfg.Get("gateway", "customBindHost"))):
	default:
		exposed = true
		sev := report.High
		if bind == "tailnet" || bind == "auto" {
			sev = report.Medium // reachable from the tailnet or, for auto, wherever it picks
		}
		if mode == "none" {
			sev = report.Critical
		}
		ev := fmt.Sprintf("gateway.bind = %q", bind)
		if bind == "custom" {
			ev += fmt.Sprintf(", customBindHost = %q", str(h.cfg.Get("gateway", "customBindHost")))
		}
		h.add("gateway.bind", sev, cfg, "OpenClaw's gateway listens beyond loopback (port "+gatewayPort(h.cfg)+")", ev, bind)
	}
	if mode == "none" {
		sev := report.High
		if exposed {
			sev = report.Critical
		}
		h.add("gateway.auth", sev, cfg, `gateway.auth.mode is "none": anything that reaches the gateway port drives the agent`, `gateway.auth.mode = "none"`, mode)
	}

	all := h.cfg.credentials()
	for _, field := range []string{"token", "password"} {
		v := h.cfg.Get("gateway", "auth", field)
		if v == nil || (mode != "" && mode != field) {
			continue
		}
		lit, name, _ := secretValue(v)
		where := "gateway.auth." + field
		if lit == "" && name != "" {
			lit = h.o.Getenv(name) // a reference: judge the value this environment gives it
			where += " (from $" + name + ")"
		}
		if lit == "" {
			continue
		}
		if n := len([]rune(lit)); n < minTokenLen {
			h.add("gateway.token_short", dflt, cfg, fmt.Sprintf("%s is %d characters long; at least %d are expected", where, n, minTokenLen), secretscan.Mask(lit), field)
		}
		var same []string
		for _, c := range all {
			// gateway.remote.* is this host's client credential for a gateway:
			// the same token there is how a client logs in, not a reuse.
			if c.key() == "gateway.auth."+field || strings.HasPrefix(c.key(), "gateway.remote.") {
				continue
			}
			other := c.literal
			if other == "" && c.envName != "" {
				other = h.o.Getenv(c.envName)
			}
			if other == lit {
				same = append(same, c.key())
			}
		}
		if len(same) > 0 {
			h.add("gateway.token_reused", dflt, cfg, where+" is the same value as "+strings.Join(same, ", "), secretscan.Mask(lit), field)
		}
	}
}

func gatewayPort(c *Config) string {
	if p, ok := c.Get("gateway", "port").(float64); ok {
		return fmt.Sprint(int(p))
	}
	return "18789"
}
