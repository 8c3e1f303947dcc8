package secretscan

import (
	"math"
	"strings"

	"github.com/wardenhq/warden/report"
)

// The entropy rule: a random-looking value assigned to a name that says it
// is a credential (DB_PASSWORD=…, "client_secret": "…", token: …). It
// catches what no named rule knows — a home-made API key, a database
// password — and covers ground gitleaks' generic-api-key leaves: symbols in
// passwords, pwd and passphrase names.
const (
	minAssigned = 12  // shorter values are too often real words or ids
	maxAssigned = 200 // longer ones are blobs, not credentials
	// minEntropy is the Shannon entropy, in bits per character, a value
	// needs. 3.5 is gitleaks' floor for generic keys; a 12-character value
	// cannot reach it (log2 12 = 3.58) unless nearly every character
	// differs, so short values get a lower floor.
	minEntropy      = 3.5
	minEntropyShort = 3.0
	maxKeyLen       = 64 // how far back the name is looked for
)

// credentialNames are what a name must contain (lowercase) for its value to
// be checked.
var credentialNames = []string{
	"password", "passwd", "passphrase", "pwd", "secret", "token", "api_key",
	"apikey", "api-key", "access_key", "accesskey", "auth_key", "authkey",
	"private_key", "privatekey", "credential", "signing_key", "encryption_key",
}

// notCredentialSuffixes end names that describe a credential rather than
// hold one (token_url, password_file, secret_name).
var notCredentialSuffixes = []string{
	"url", "uri", "path", "file", "dir", "name", "type", "len", "length",
	"count", "format", "field", "header", "prefix", "env", "var", "key_id", "hash",
}

// findAssigned appends the values found by the entropy rule. It is driven
// by the assignment bytes (= and :), which are cheap to find, and looks at
// the value first, which rejects nearly every assignment in code at once.
func findAssigned(text string, out []match) []match {
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c != '=' && c != ':' {
			continue
		}
		vs, ve, ok := valueAfter(text, i)
		if !ok {
			continue
		}
		if !credentialName(text, i) {
			i = ve - 1
			continue
		}
		if randomLooking(text[vs:ve]) {
			out = append(out, match{rule: entropyRule, start: vs, end: ve, severity: report.Medium,
				message: "high-entropy value assigned to a credential-like name"})
		}
		i = ve - 1
	}
	return out
}

// valueAfter finds the value of the assignment whose operator is at i:
// past more operator bytes (:=, =>, ==, ::) and up to three spaces, a
// quoted string, or a bare word up to white space or punctuation.
func valueAfter(text string, i int) (start, end int, ok bool) {
	j := i + 1
	for j < len(text) && j-i < 3 && (text[j] == '=' || text[j] == '>' || text[j] == ':') {
		j++
	}
	for n := 0; j < len(text) && n < 3 && (text[j] == ' ' || text[j] == '\t'); n++ {
		j++
	}
	if j >= len(text) {
		return 0, 0, false
	}
	q := text[j]
	if q == '"' || q == '\'' || q == '`' {
		start = j + 1
		end = start
		for end < len(text) && text[end] != q {
			if c := text[end]; c == '\n' || c == ' ' || c == '\\' || end-start > maxAssigned {
				return 0, 0, false
			}
			end++
		}
		if end >= len(text) {
			return 0, 0, false
		}
	} else {
		start = j
		end = j
		for end < len(text) && bareValueByte(text[end]) {
			if end++; end-start > maxAssigned {
				return 0, 0, false
			}
		}
	}
	return start, end, end-start >= minAssigned
}

// bareValueByte is what an unquoted value is made of: letters, digits and
// the symbols passwords and base64 use, but not the brackets and commas of
// code.
func bareValueByte(c byte) bool {
	return isAlnum(c) || strings.IndexByte("+/=_-.!@#$%^&*~?", c) >= 0
}

// credentialName reports whether the name assigned to at i says it holds a
// credential.
func credentialName(text string, i int) bool {
	j := i
	for n := 0; j > 0 && n < 3 && strings.IndexByte(" \t\"'`]", text[j-1]) >= 0; n++ {
		j--
	}
	end := j
	for j > 0 && end-j < maxKeyLen && (isWordByte(text[j-1]) || text[j-1] == '-' || text[j-1] == '.') {
		j--
	}
	if end == j {
		return false
	}
	var buf [maxKeyLen]byte
	name := buf[:end-j]
	for k := range name {
		c := text[j+k]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		name[k] = c
	}
	found := false
	for _, w := range credentialNames {
		if strings.Contains(string(name), w) {
			found = true
			break
		}
	}
	if !found {
		return false
	}
	for _, s := range notCredentialSuffixes {
		if strings.HasSuffix(string(name), s) {
			return false
		}
	}
	return true
}

// randomLooking reports whether a value is random enough to be a
// credential: entropy over the floor, and a mix of character classes that
// words, identifiers and paths do not have.
func randomLooking(v string) bool {
	if v[0] == '$' || strings.Contains(v, "://") || strings.HasPrefix(v, "sha256-") || strings.HasPrefix(v, "sha512-") || isUUID(v) {
		return false // a variable, a URL, a subresource integrity hash, an id
	}
	var lower, upper, digit, symbol bool
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case 'a' <= c && c <= 'z':
			lower = true
		case 'A' <= c && c <= 'Z':
			upper = true
		case isDigit(c):
			digit = true
		case strings.IndexByte("._-/", c) < 0:
			symbol = true
		}
	}
	classes := 0
	for _, b := range []bool{lower, upper, digit, symbol} {
		if b {
			classes++
		}
	}
	// Identifiers and dotted paths have letters only; a secret has digits
	// or symbols too.
	if !digit && !symbol || classes < 2 {
		return false
	}
	floor := minEntropy
	if len(v) < 16 {
		floor = minEntropyShort
	}
	return shannon(v) >= floor
}

// shannon is the Shannon entropy of s in bits per byte.
func shannon(s string) float64 {
	var counts [256]int
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	h := 0.0
	n := float64(len(s))
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}

// isUUID reports the 8-4-4-4-12 hex shape of a UUID: an identifier far
// more often than a credential (services whose keys look like one have
// their own gitleaks rule).
func isUUID(v string) bool {
	if len(v) != 36 {
		return false
	}
	for i := 0; i < len(v); i++ {
		switch c := v[i]; i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !isDigit(c) && !('a' <= c && c <= 'f') && !('A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}
