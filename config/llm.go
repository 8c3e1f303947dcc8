package config

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/wardenhq/warden/dlp"
)

// Provider is an upstream model API the model plane may reach. Only
// configured providers are reachable; agents never see their keys.
type Provider struct {
	Protocol   string   `yaml:"protocol"`     // openai or anthropic
	BaseURL    string   `yaml:"base_url"`     // e.g. https://api.openai.com/v1
	APIKeyEnv  string   `yaml:"api_key_env"`  // environment variable holding the key
	APIKeyFile string   `yaml:"api_key_file"` // or a file holding it
	Labels     []string `yaml:"labels"`       // workspace labels whose data may go here
	Timeout    Duration `yaml:"timeout"`      // whole call, streaming included
}

// AllowsLabel reports whether data read under label may be sent to p: public
// and internal always may; confidential and restricted only if listed.
func (p Provider) AllowsLabel(label string) bool {
	return label == "" || label == "public" || label == "internal" || slices.Contains(p.Labels, label)
}

// LLM configures the model plane.
type LLM struct {
	MaxRequestSize ByteSize  `yaml:"max_request_size"`
	LabelTTL       Duration  `yaml:"label_ttl"` // how long reading labelled data marks an agent
	DLP            DLP       `yaml:"dlp"`
	Output         Output    `yaml:"output"`
	Injection      Injection `yaml:"injection"`
	Limits         LLMLimits `yaml:"limits"`
}

// DLP configures what the model plane does with sensitive values in
// requests.
type DLP struct {
	// Actions by entity type (email, phone, credit_card, ssn, iban,
	// ip_address, secret, private_key, jwt, url_credentials, person,
	// address): redact, mask, block or allow. Unlisted types are redacted.
	Actions      map[string]string `yaml:"actions"`
	MinScore     float64           `yaml:"min_score"`
	PhoneRegions []string          `yaml:"phone_regions"`
}

// Output configures filtering of model replies: values of these types that
// the agent did not send are masked or cut.
type Output struct {
	Actions map[string]string `yaml:"actions"` // type: mask or block
}

// Injection configures prompt-injection detection on tool results.
type Injection struct {
	Action    string  `yaml:"action"`    // record, spotlight or block
	Threshold float64 `yaml:"threshold"` // score at or above which content is an injection
}

// LLMLimits bound one agent's use of models.
type LLMLimits struct {
	RequestsPerMinute int   `yaml:"requests_per_minute"`
	TokensPerDay      int64 `yaml:"tokens_per_day"`
}

func defaultLLM() LLM {
	return LLM{
		MaxRequestSize: 32 << 20,
		LabelTTL:       Duration(8 * time.Hour),
		DLP:            DLP{MinScore: dlp.DefaultMinScore, PhoneRegions: []string{"US"}},
		Output: Output{Actions: map[string]string{
			"secret": "mask", "credit_card": "mask", "ssn": "mask", "private_key": "block",
		}},
		Injection: Injection{Action: "spotlight", Threshold: 0.5},
		Limits:    LLMLimits{RequestsPerMinute: 120, TokensPerDay: 5_000_000},
	}
}

// DLPPolicy returns the request-side actions as a dlp.Policy.
func (l LLM) DLPPolicy() dlp.Policy { return policy(l.DLP.Actions) }

// OutputPolicy returns the reply-side actions as a dlp.Policy.
func (l LLM) OutputPolicy() dlp.Policy { return policy(l.Output.Actions) }

func policy(m map[string]string) dlp.Policy {
	p := dlp.Policy{}
	for k, v := range m {
		t, _ := dlp.ParseType(k)
		a, _ := dlp.ParseAction(v)
		p[t] = a
	}
	return p
}

func (c *Config) validateLLM() error {
	for name, p := range c.Providers {
		if err := validName(name); err != nil {
			return fmt.Errorf("providers.%s: %w", name, err)
		}
		if p.Protocol != "openai" && p.Protocol != "anthropic" {
			return fmt.Errorf("providers.%s.protocol: %q is not openai or anthropic", name, p.Protocol)
		}
		u, err := url.Parse(p.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("providers.%s.base_url: %q is not an http(s) URL without query", name, p.BaseURL)
		}
		if u.User != nil {
			return fmt.Errorf("providers.%s.base_url: put credentials in api_key_env or api_key_file, not in the URL", name)
		}
		if p.APIKeyEnv != "" && p.APIKeyFile != "" {
			return fmt.Errorf("providers.%s: set api_key_env or api_key_file, not both", name)
		}
		for _, l := range p.Labels {
			switch l {
			case "public", "internal", "confidential", "restricted":
			default:
				return fmt.Errorf("providers.%s.labels: %q is not public, internal, confidential or restricted", name, l)
			}
		}
		if p.Timeout < 0 {
			return fmt.Errorf("providers.%s.timeout: must not be negative", name)
		}
	}
	l := c.LLM
	if l.MaxRequestSize <= 0 {
		return errors.New("llm.max_request_size: must be positive")
	}
	if l.LabelTTL < 0 {
		return errors.New("llm.label_ttl: must not be negative")
	}
	if l.DLP.MinScore <= 0 || l.DLP.MinScore > 1 {
		return errors.New("llm.dlp.min_score: must be above 0 and at most 1")
	}
	if err := validActions("llm.dlp.actions", l.DLP.Actions, "redact", "mask", "block", "allow"); err != nil {
		return err
	}
	if err := validActions("llm.output.actions", l.Output.Actions, "mask", "block", "allow"); err != nil {
		return err
	}
	switch l.Injection.Action {
	case "record", "spotlight", "block":
	default:
		return fmt.Errorf("llm.injection.action: %q is not record, spotlight or block", l.Injection.Action)
	}
	if l.Injection.Threshold <= 0 || l.Injection.Threshold > 1 {
		return errors.New("llm.injection.threshold: must be above 0 and at most 1")
	}
	if err := l.Limits.validate("llm.limits"); err != nil {
		return err
	}
	for name, p := range c.Profiles {
		if p.LLM != nil {
			if err := p.LLM.validate("profiles." + name + ".llm"); err != nil {
				return err
			}
		}
	}
	return nil
}

func (l LLMLimits) validate(where string) error {
	if l.RequestsPerMinute <= 0 {
		return fmt.Errorf("%s.requests_per_minute: must be positive", where)
	}
	if l.TokensPerDay <= 0 {
		return fmt.Errorf("%s.tokens_per_day: must be positive", where)
	}
	return nil
}

func validActions(where string, m map[string]string, allowed ...string) error {
	for k, v := range m {
		if _, err := dlp.ParseType(k); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		if !slices.Contains(allowed, strings.ToLower(v)) {
			return fmt.Errorf("%s.%s: %q is not one of %s", where, k, v, strings.Join(allowed, ", "))
		}
	}
	return nil
}

// LLMLimitsFor returns the model-plane limits of an agent profile: the
// profile's own if it sets them, else the global ones.
func (c *Config) LLMLimitsFor(profile string) LLMLimits {
	if p, ok := c.Profiles[profile]; ok && p.LLM != nil {
		return *p.LLM
	}
	return c.LLM.Limits
}
