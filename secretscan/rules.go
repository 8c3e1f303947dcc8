package secretscan

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/spf13/viper"
	"github.com/zricethezav/gitleaks/v8/config"

	"github.com/wardenhq/warden/dlp"
	"github.com/wardenhq/warden/report"
)

// Rule ids of Warden's own detectors; gitleaks' rules keep their ids
// (aws-access-token, github-pat…) so that users of both read the same name.
const (
	wardenTokenRule    = "warden-agent-token"
	wardenBadTokenRule = "warden-token-bad-checksum"
	entropyRule        = "generic-high-entropy"
	privateKeyRule     = "private-key"
	jwtRule            = "jwt"
	urlCredentialsRule = "url-credentials"
)

// criticalPrefixes are the gitleaks rules whose secrets open a whole cloud
// account or are private keys: critical. Other named rules are high.
var criticalPrefixes = []string{"private-key", "age-secret-key", "aws-", "gcp-", "azure-", "alibaba-", "digitalocean-"}

// severityOf ranks a rule: private keys, cloud keys and Warden tokens are
// critical; a rule that only knows a credential-like name and a random
// value (gitleaks' generic-api-key, Warden's entropy rule) is medium; a
// Warden token with a bad checksum is a typo or an example, so info;
// everything else high.
func severityOf(id string) report.Severity {
	switch id {
	case wardenTokenRule:
		return report.Critical
	case wardenBadTokenRule:
		return report.Info
	case entropyRule, "generic-api-key":
		return report.Medium
	}
	for _, p := range criticalPrefixes {
		if strings.HasPrefix(id, p) {
			return report.Critical
		}
	}
	return report.High
}

// catalogue describes every rule a scanner can report: gitleaks' with
// their own descriptions, and Warden's; and gitleaks' global path
// allowlist (go.sum, lockfiles, vendored code, images): files whose
// random-looking hashes are not secrets.
func catalogue() (map[string]report.Rule, []*regexp.Regexp, error) {
	// A private viper instance: gitleaks' own loader goes through the
	// global one, which other packages may be using at the same time.
	v := viper.New()
	v.SetConfigType("toml")
	if err := v.ReadConfig(strings.NewReader(config.DefaultConfig)); err != nil {
		return nil, nil, fmt.Errorf("read gitleaks rules: %w", err)
	}
	var vc config.ViperConfig
	if err := v.Unmarshal(&vc); err != nil {
		return nil, nil, fmt.Errorf("decode gitleaks rules: %w", err)
	}
	var globs []string
	//lint:ignore SA1019 gitleaks' own default config still writes the global list as [allowlist]
	if al := vc.AllowList; al != nil {
		globs = append(globs, al.Paths...)
	}
	for _, a := range vc.Allowlists {
		if len(a.TargetRules) == 0 {
			globs = append(globs, a.Paths...)
		}
	}
	var skip []*regexp.Regexp
	for _, g := range globs {
		re, err := regexp.Compile(g)
		if err != nil {
			return nil, nil, fmt.Errorf("gitleaks path allowlist %q: %w", g, err)
		}
		skip = append(skip, re)
	}
	const help = "Revoke or rotate the credential, remove it from the file (and from git history if it was committed), and load it from the environment or a secret store instead."
	out := map[string]report.Rule{}
	for _, r := range vc.Rules {
		out[r.ID] = report.Rule{ID: r.ID, Description: r.Description, Help: help, Severity: severityOf(r.ID),
			HelpURI: "https://github.com/gitleaks/gitleaks"}
	}
	for _, r := range []report.Rule{
		{ID: wardenTokenRule, Description: "A Warden agent token (wdn_, checksum valid): it authenticates as an agent or admin of a Warden server."},
		{ID: wardenBadTokenRule, Description: "Looks like a Warden token but its checksum is wrong: a typo, a truncated copy or an example."},
		{ID: entropyRule, Description: "A high-entropy value assigned to a credential-like name (password, secret, token, api_key…)."},
		{ID: privateKeyRule, Description: "A private key (PEM block)."},
		{ID: jwtRule, Description: "A JSON Web Token: a bearer credential until it expires."},
		{ID: urlCredentialsRule, Description: "A password in a URL (scheme://user:password@host)."},
	} {
		r.Severity = severityOf(r.ID)
		r.Help = help
		out[r.ID] = r
	}
	return out, skip, nil
}

// ruleOf names the rule behind a dlp entity: gitleaks' id, or Warden's name
// for the dlp recognizers that are not gitleaks rules.
func ruleOf(e dlp.Entity) string {
	if id, ok := strings.CutPrefix(e.Rule, "gitleaks:"); ok {
		return id
	}
	switch e.Type {
	case dlp.PrivateKey:
		return privateKeyRule
	case dlp.JWT:
		return jwtRule
	case dlp.URLCredentials:
		return urlCredentialsRule
	}
	return strings.ToLower(string(e.Type))
}
