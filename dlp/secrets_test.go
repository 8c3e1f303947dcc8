package dlp

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// findWhole is what secretRules.find must equal: every rule whose keyword
// occurs, run over the whole text, in rule order — as gitleaks runs them.
func (s *secretRules) findWhole(text string, out []Entity) []Entity {
	run := make([]bool, len(s.rules))
	s.keywords.find(text, func(_, w int) {
		for _, r := range s.byWord[w] {
			run[r] = true
		}
	})
	for _, r := range s.always {
		run[r] = true
	}
	sc := &secretScan{secretRules: s, text: text}
	for r := range s.rules {
		if run[r] {
			out = sc.apply(r, out)
		}
	}
	return out
}

// TestSecretPlansFindWhatWholeTextFinds checks the planned windows against
// running every rule over the whole text, on the evaluation set, the
// benchmark corpus and texts built to strain the windows: secrets at the
// edges, side by side, split over lines, in long lines.
func TestSecretPlansFindWhatWholeTextFinds(t *testing.T) {
	s, err := newSecretRules()
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, ex := range readEvalSet(t, "testdata/eval.jsonl") {
		texts = append(texts, ex.Text)
	}
	texts = append(texts, benchCorpus(64<<10))
	texts = append(texts, secretStressTexts()...)
	for _, text := range texts {
		got, want := s.find(text, nil), s.findWhole(text, nil)
		if !slices.Equal(got, want) {
			t.Errorf("in %q:\nplanned %s\n  whole %s", cut(text, 300), describe(got, text), describe(want, text))
		}
	}
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// secretStressTexts mixes secrets, near-secrets and filler at random.
func secretStressTexts() []string {
	pieces := []string{
		"AKIAZ4TRWQ6PLM2KX7BN", "ghp_Xq7bN2mK9vR4tY6wZ8aC1dE3fG5hJ0kL2pS4", "sk_live_51HxQ2bK9mN3pR7tV1wY5zA8cE4gJ6",
		"xoxb-2493816357-4820751936208-QwErTyUiOpAsDfGhJkLzXcVb", "api_key = ", "api_key=", "token: ", "password =\n  ",
		`"apiKey": "`, `"`, "'", "\n", " ", "=", ":", ",", ";", "\\n", "secret", "key", "Token", "s.", "ey",
		"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkphbmUifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
		"8dde7aac11088937946db47791b748b4f00d", "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA", "s.AbCdEfGhIjKlMnOpQrStUvWx",
		"-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM2jEXAMPLEKEYDATAxxMIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM2j\n-----END RSA PRIVATE KEY-----",
		"curl -u admin:hunter2hunter2 https://x", "AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW", "sk-ant-api03-" + strings.Repeat("aB3-", 23) + "xAA",
		"the quick brown fox ", strings.Repeat("x", 300), "café ", "K", "ſ",
	}
	rng := rand.New(rand.NewPCG(7, 11))
	var out []string
	for range 400 {
		var b strings.Builder
		for n := rng.IntN(12); n >= 0; n-- {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		out = append(out, b.String())
	}
	return out
}

// TestSecretPlans checks that the plans cover the rules that matter: a
// rule without one runs over the whole text whenever its keyword occurs.
func TestSecretPlans(t *testing.T) {
	s, err := newSecretRules()
	if err != nil {
		t.Fatal(err)
	}
	planned := 0
	for i, r := range s.rules {
		if !s.plans[i].whole {
			planned++
			continue
		}
		t.Logf("no plan: %s", r.RuleID)
	}
	t.Logf("%d of %d rules planned", planned, len(s.rules))
	for _, id := range []string{"generic-api-key", "aws-access-token", "github-pat", "jwt", "vault-service-token", "twilio-api-key", "slack-bot-token", "stripe-access-token"} {
		for i, r := range s.rules {
			if r.RuleID == id && s.plans[i].whole {
				t.Errorf("%s has no plan", id)
			}
		}
	}
}
