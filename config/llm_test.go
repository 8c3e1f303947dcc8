package config

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/dlp"
)

func TestLLMDefaults(t *testing.T) {
	c, err := Load(filepath.Join("testdata", "empty.yaml"), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Providers) != 0 {
		t.Errorf("providers by default: %v", c.Providers)
	}
	l := c.LLM
	if l.Injection.Action != "spotlight" || l.Injection.Threshold <= 0 || l.Limits.RequestsPerMinute <= 0 || l.Limits.TokensPerDay <= 0 || l.LabelTTL <= 0 {
		t.Errorf("llm defaults: %+v", l)
	}
	if l.OutputPolicy().Action(dlp.PrivateKey) != dlp.Block {
		t.Error("a model handing out a private key must be cut by default")
	}
	if l.DLPPolicy().Action(dlp.Email) != dlp.Redact {
		t.Error("unlisted types must be redacted")
	}
}

func TestLLMLoadsEveryKey(t *testing.T) {
	c, err := Load(filepath.Join("testdata", "llm_full.yaml"), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	oa, cl := c.Providers["openai"], c.Providers["claude"]
	if oa.Protocol != "openai" || oa.BaseURL != "https://api.openai.com/v1" || oa.APIKeyEnv != "OPENAI_API_KEY" || oa.Timeout.D() != 2*time.Minute {
		t.Errorf("openai: %+v", oa)
	}
	if cl.Protocol != "anthropic" || cl.APIKeyFile != "/run/secrets/anthropic" || !slices.Equal(cl.Labels, []string{"confidential", "restricted"}) {
		t.Errorf("claude: %+v", cl)
	}
	if !cl.AllowsLabel("restricted") || oa.AllowsLabel("confidential") || !oa.AllowsLabel("internal") || !oa.AllowsLabel("") {
		t.Error("AllowsLabel")
	}
	l := c.LLM
	if l.MaxRequestSize != 8<<20 || l.LabelTTL.D() != time.Hour || l.DLP.MinScore != 0.6 || !slices.Equal(l.DLP.PhoneRegions, []string{"US", "GB"}) {
		t.Errorf("llm: %+v", l)
	}
	p := l.DLPPolicy()
	if p.Action(dlp.CreditCard) != dlp.Block || p.Action(dlp.Email) != dlp.Mask || p.Action(dlp.Person) != dlp.Allow || p.Action(dlp.Phone) != dlp.Redact {
		t.Errorf("dlp policy %v", p)
	}
	if o := l.OutputPolicy(); o.Action(dlp.Secret) != dlp.Block || o.Action(dlp.SSN) != dlp.Mask {
		t.Errorf("output policy %v", o)
	}
	if l.Injection.Action != "block" || l.Injection.Threshold != 0.7 || l.Limits.RequestsPerMinute != 30 || l.Limits.TokensPerDay != 100000 {
		t.Errorf("llm: %+v", l)
	}
	if got := c.LLMLimitsFor("tight"); got.RequestsPerMinute != 5 || got.TokensPerDay != 1000 {
		t.Errorf("tight limits %+v", got)
	}
	if got := c.LLMLimitsFor("default"); got != l.Limits {
		t.Errorf("default profile limits %+v, want the global ones", got)
	}
}

func TestLLMBrokenFilesFailNamingTheKey(t *testing.T) {
	cases := []struct {
		file string
		want []string
	}{
		{"llm_bad_protocol.yaml", []string{"providers.openai.protocol", "grpc"}},
		{"llm_base_url_credentials.yaml", []string{"providers.openai.base_url", "api_key_env"}},
		{"llm_base_url_not_http.yaml", []string{"providers.openai.base_url"}},
		{"llm_both_keys.yaml", []string{"providers.openai", "api_key_env", "api_key_file"}},
		{"llm_bad_provider_name.yaml", []string{"providers.OpenAI"}},
		{"llm_bad_label.yaml", []string{"providers.openai.labels", "topsecret"}},
		{"llm_unknown_dlp_type.yaml", []string{"llm.dlp.actions", "passport_number"}},
		{"llm_bad_dlp_action.yaml", []string{"llm.dlp.actions.email", "shred"}},
		{"llm_output_redact.yaml", []string{"llm.output.actions.email", "redact"}},
		{"llm_bad_injection_action.yaml", []string{"llm.injection.action", "ignore"}},
		{"llm_bad_injection_threshold.yaml", []string{"llm.injection.threshold"}},
		{"llm_zero_rpm.yaml", []string{"llm.limits.requests_per_minute"}},
		{"llm_negative_tokens.yaml", []string{"llm.limits.tokens_per_day"}},
		{"llm_profile_zero_tokens.yaml", []string{"profiles.tight.llm.tokens_per_day"}},
		{"llm_negative_label_ttl.yaml", []string{"llm.label_ttl"}},
	}
	for _, tc := range cases {
		t.Run(strings.TrimSuffix(tc.file, ".yaml"), func(t *testing.T) {
			_, err := Load(filepath.Join("testdata", tc.file), noEnv)
			if err == nil {
				t.Fatal("loaded without error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			// Credentials written into a URL must not be echoed back.
			if strings.Contains(err.Error(), "hunter2secret") {
				t.Errorf("error %q repeats the password", err)
			}
		})
	}
}
