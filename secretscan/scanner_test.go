package secretscan

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	crand "crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/wardenhq/warden/report"
	"github.com/wardenhq/warden/token"
)

// The fake secrets in these tests are built at run time from a seeded
// generator, so that no file of this repository holds a string a secret
// scanner (this one, gitleaks, a code host's) would flag.

// fake returns prefix followed by n characters of alphabet, the same for
// the same seed.
func fake(seed uint64, prefix, alphabet string, n int) string {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var b strings.Builder
	b.WriteString(prefix)
	for range n {
		b.WriteByte(alphabet[r.IntN(len(alphabet))])
	}
	return b.String()
}

const (
	upperDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	alnum       = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	lowerHex    = "0123456789abcdef"
)

var (
	scannerOnce sync.Once
	scannerVal  *Scanner
	scannerErr  error
)

// testScanner is one scanner for the package's tests: building one
// compiles every rule.
func testScanner(t testing.TB) *Scanner {
	t.Helper()
	scannerOnce.Do(func() { scannerVal, scannerErr = New(nil) })
	if scannerErr != nil {
		t.Fatal(scannerErr)
	}
	return scannerVal
}

func pemKey(t *testing.T) string {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), crand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}))
}

// badChecksum returns tok with its checksum changed.
func badChecksum(tok string) string {
	last := tok[len(tok)-1]
	c := byte('0')
	if last == '0' {
		c = '1'
	}
	return tok[:len(tok)-1] + string(c)
}

func TestEachFamilyIsFoundWithItsSeverity(t *testing.T) {
	s := testScanner(t)
	aws := fake(1, "AKIA", upperDigits, 16)
	wdn := token.New()
	// Symbols inside: gitleaks' generic-api-key stops at them, Warden's
	// entropy rule does not.
	pw := fake(9, "", alnum, 8) + "#!" + fake(10, "", alnum, 8)
	cases := []struct {
		name, text, secret, rule string
		sev                      report.Severity
	}{
		{"aws access key", "AWS_ACCESS_KEY_ID=" + aws + "\n", aws, "aws-access-token", report.Critical},
		{"github pat", "export GITHUB_TOKEN=" + fake(2, "ghp_", alnum, 36), fake(2, "ghp_", alnum, 36), "github-pat", report.High},
		{"slack bot token", `slack = "` + fake(3, "xoxb-", "0123456789", 12) + "-" + fake(4, "", "0123456789", 13) + "-" + fake(5, "", alnum, 24) + `"`, "", "slack-bot-token", report.High},
		{"stripe live key", `stripe.api_key = "` + fake(6, "sk_live_", alnum, 30) + `"`, fake(6, "sk_live_", alnum, 30), "stripe-access-token", report.High},
		{"gcp api key", "key: " + fake(7, "AIza", alnum+"-_", 35), fake(7, "AIza", alnum+"-_", 35), "gcp-api-key", report.Critical},
		{"private key", "config:\n" + pemKey(t), "", "private-key", report.Critical},
		{"password in a url", "DATABASE_URL=postgres://app:" + fake(8, "", alnum, 16) + "@db.internal:5432/app", "", "url-credentials", report.High},
		{"entropy with a credential name", `DB_PASSWORD="` + pw + `"`, pw, "generic-high-entropy", report.Medium},
		{"warden token, valid checksum", "WARDEN_TOKEN=" + wdn, wdn, "warden-agent-token", report.Critical},
		{"warden token, bad checksum", "token " + badChecksum(wdn) + " in the docs", badChecksum(wdn), "warden-token-bad-checksum", report.Info},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fs := s.ScanBytes("f.txt", []byte(c.text))
			if len(fs) != 1 {
				t.Fatalf("want one finding, got %+v", fs)
			}
			f := fs[0]
			if f.RuleID != c.rule || f.Severity != c.sev {
				t.Errorf("got %s/%s, want %s/%s", f.RuleID, f.Severity, c.rule, c.sev)
			}
			if f.File != "f.txt" || f.Line < 1 || f.Fingerprint == "" || !strings.HasSuffix(f.Evidence, "****") {
				t.Errorf("incomplete finding %+v", f)
			}
			if c.secret != "" && strings.Contains(f.Evidence, c.secret[4:]) {
				t.Errorf("evidence %q shows the secret", f.Evidence)
			}
		})
	}
}

func TestPlaceholdersAreNotReported(t *testing.T) {
	s := testScanner(t)
	for _, text := range []string{
		"aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
		"AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		`api_key = "your-api-key-here"`,
		`password = "changeme12345!"`,
		`token: "${GITHUB_TOKEN}"`,
		`client_secret = "<your-client-secret>"`,
		`api_key = "xxxxxxxxxxxxxxxxxxxxxxxx"`,
		`DB_PASSWORD="dummy-Pa55word-1"`,
		"export GITHUB_TOKEN=ghp_" + strings.Repeat("a", 36),
		`secret_key = "abcdefghijklmnop1234567890"`,
		`token = os.Getenv("TOKEN")`,
		`password: {{ .Values.db.password }}`,
		"password_file = /run/secrets/" + fake(10, "", alnum, 20),
	} {
		if fs := s.ScanBytes("f.txt", []byte(text)); len(fs) != 0 {
			t.Errorf("%q: placeholder reported: %+v", text, fs)
		}
	}
}

func TestFindingsAreOnTheirLineAndColumn(t *testing.T) {
	s := testScanner(t)
	aws := fake(11, "AKIA", upperDigits, 16)
	fs := s.ScanBytes("a/b.py", []byte("import os\n\n# keys\nKEY = '"+aws+"'\n"))
	if len(fs) != 1 || fs[0].Line != 4 || fs[0].Column != 8 {
		t.Fatalf("got %+v, want line 4 column 8", fs)
	}
}

func TestFingerprintSurvivesMovingTheSecret(t *testing.T) {
	s := testScanner(t)
	aws := fake(12, "AKIA", upperDigits, 16)
	a := s.ScanBytes("cfg.env", []byte("KEY="+aws+"\n"))
	b := s.ScanBytes("cfg.env", []byte("# moved down\n\n\nKEY="+aws+"\n"))
	other := s.ScanBytes("cfg.env", []byte("KEY="+fake(13, "AKIA", upperDigits, 16)+"\n"))
	elsewhere := s.ScanBytes("other.env", []byte("KEY="+aws+"\n"))
	if len(a) != 1 || len(b) != 1 || len(other) != 1 || len(elsewhere) != 1 {
		t.Fatal("each text should have one finding")
	}
	if a[0].Fingerprint != b[0].Fingerprint {
		t.Error("moving the secret changed its fingerprint")
	}
	if a[0].Fingerprint == other[0].Fingerprint || a[0].Fingerprint == elsewhere[0].Fingerprint {
		t.Error("a different secret or file kept the fingerprint")
	}
	if strings.Contains(a[0].Fingerprint, aws) {
		t.Error("the fingerprint holds the secret")
	}
}

func TestMaskNeverShowsMoreThanFourCharacters(t *testing.T) {
	for secret, want := range map[string]string{
		"short":                 "****",
		"elevenchars":           "****",
		"twelve-chars":          "twel****",
		fake(14, "", alnum, 40): fake(14, "", alnum, 4) + "****",
	} {
		if got := Mask(secret); got != want {
			t.Errorf("Mask(%q) = %q, want %q", secret, got, want)
		}
	}
}

func TestEntropyRuleNeedsACredentialNameAndARandomValue(t *testing.T) {
	v := fake(15, "", alnum+"!#%&*", 20)
	cases := []struct {
		text string
		want bool
	}{
		{`password = "` + v + `"`, true},
		{`"client_secret": "` + v + `"`, true},
		{"API_KEY=" + v, true},
		{`db_pwd: '` + v + `'`, true},
		{`colour = "` + v + `"`, false},                                   // not a credential name
		{`token_url = "` + v + `"`, false},                                // names a place, not a credential
		{`password = "CorrectHorseBatteryStaple"`, false},                 // letters only
		{`secret = "` + fake(16, "", alnum, 8) + `"`, false},              // too short
		{`token = "` + strings.Repeat("ab1", 8) + `"`, false},             // too regular
		{`password = "$DB_PASSWORD_FROM_ENV_1"`, false},                   // a variable
		{`password := "` + v + `"`, true},                                 // Go
		{`:password => "` + v + `"`, true},                                // Ruby
		{`password = "with space ` + v + `"`, false},                      // prose in quotes
		{`secret = "https://example.org/` + v + `"`, false},               // a URL
		{`"secret_token": "3b640e5c-6ca7-84f9-546e-24c7b9bda0d4"`, false}, // a UUID
	}
	for _, c := range cases {
		got := len(findAssigned(c.text, nil)) > 0
		if got != c.want {
			t.Errorf("%q: found %v, want %v", c.text, got, c.want)
		}
	}
}

func TestWardenTokenMustHaveItsExactShape(t *testing.T) {
	tok := token.New()
	for text, want := range map[string]int{
		tok:                       1,
		"x" + tok:                 0, // not on a word boundary
		tok + "0":                 0, // too long
		tok[:len(tok)-1]:          0, // too short
		"wdn_prefix_is_not_a_key": 0,
		`"` + tok + `",`:          1,
	} {
		if got := len(findWardenTokens(text, nil)); got != want {
			t.Errorf("%q: %d tokens, want %d", text, got, want)
		}
	}
}

func TestAWardenTokenIsNotAlsoReportedByAGenericRule(t *testing.T) {
	s := testScanner(t)
	fs := s.ScanBytes("f", []byte(`api_token = "`+token.New()+`"`))
	if len(fs) != 1 || fs[0].RuleID != wardenTokenRule {
		t.Fatalf("got %+v, want the Warden token alone", fs)
	}
}

// Lockfiles and checksum files are full of random-looking hashes: gitleaks'
// global path allowlist keeps them out, as gitleaks itself does.
func TestLockfilesAreNotScanned(t *testing.T) {
	s := testScanner(t)
	aws := fake(11, "AKIA", upperDigits, 16)
	text := "api_key = \"" + fake(12, "", alnum, 32) + "\"\naws = " + aws + "\n"
	if got := s.ScanBytes("notes.txt", []byte(text)); len(got) == 0 {
		t.Fatal("the control file has no finding: the test proves nothing")
	}
	for _, p := range []string{"go.sum", "sub/package-lock.json", "yarn.lock", "poetry.lock", "node_modules/x/index.js"} {
		if got := s.ScanBytes(p, []byte(text)); len(got) != 0 {
			t.Errorf("%s: %d findings, want none (gitleaks' path allowlist)", p, len(got))
		}
	}
}
