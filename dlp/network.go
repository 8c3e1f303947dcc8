package dlp

import (
	"encoding/base64"
	"encoding/json"
	"net/netip"
	"strings"
)

// ipRecognizer finds IPv4 and IPv6 addresses. Addresses that identify no
// one — loopback, private, link-local, documentation ranges — score low;
// a public address can point at a person's connection.
func ipRecognizer() *recognizer {
	return &recognizer{
		typ: IPAddress, name: "ip",
		find: func(t *textScan, out []Entity) []Entity {
			return findIPv6(t.text, findIPv4(t, out))
		},
		context: []string{"ip", "address", "client", "remote", "host", "from"}, boost: 0.1,
		positives: []string{
			"login from 81.2.69.160 at noon",
			"client 2a02:1205:34c5:a3f0::1 connected",
			"IP: 8.8.4.4",
		},
		negatives: []string{
			"listen on 127.0.0.1:8700",
			"subnet 10.0.0.0/8 and 192.168.1.20",
			"docs use 192.0.2.1 and 2001:db8::1",
			"version 1.2.3.4.5",
			"go 1.26.0",
			"std::vector<int>",
			"at 12:30:45 today",
			"256.1.1.1",
		},
	}
}

func findIPv4(t *textScan, out []Entity) []Entity {
	text := t.text
	next := 0 // where the last candidate ended
	for _, start := range t.digitRuns() {
		i := int(start)
		if i < next || i > 0 && (isAlnum(text[i-1]) || text[i-1] == '.') {
			continue
		}
		j := i
		dots := 0
		for j < len(text) && (isDigit(text[j]) || text[j] == '.' && j+1 < len(text) && isDigit(text[j+1])) {
			if text[j] == '.' {
				dots++
			}
			j++
		}
		next = j
		if dots != 3 || j < len(text) && isLetter(text[j]) {
			continue
		}
		a, err := netip.ParseAddr(text[i:j])
		if err == nil {
			score := 0.7
			if !publicAddr(a) {
				score = 0.2
			}
			if k := max(0, i-12); containsFold(text[k:i], "version") || i > 0 && (text[i-1] == 'v' || text[i-1] == 'V') {
				score -= 0.4
			}
			out = append(out, Entity{Start: i, End: j, Score: score})
		}
	}
	return out
}

func findIPv6(text string, out []Entity) []Entity {
	for i := 0; ; {
		k := strings.IndexByte(text[i:], ':')
		if k < 0 {
			return out
		}
		k += i
		start := k
		for start > 0 && isIPv6Char(text[start-1]) {
			start--
		}
		end := k
		for end < len(text) && isIPv6Char(text[end]) {
			end++
		}
		i = end
		if i == k {
			i++
		}
		// Two colons at least: one at k and another.
		if start > 0 && (isLetter(text[start-1]) || text[start-1] == '_') ||
			strings.IndexByte(text[start:k], ':') < 0 && strings.IndexByte(text[k+1:end], ':') < 0 {
			continue
		}
		cand := strings.TrimRight(text[start:end], ".")
		a, err := netip.ParseAddr(cand)
		if err != nil || !a.Is6() || a.Is4In6() {
			continue
		}
		score := 0.7
		if !publicAddr(a) {
			score = 0.2
		}
		out = append(out, Entity{Start: start, End: start + len(cand), Score: score})
	}
}

func isIPv6Char(c byte) bool {
	return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' || c == ':' || c == '.'
}

var documentationPrefixes = []netip.Prefix{
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("100.64.0.0/10"), // carrier-grade NAT
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("240.0.0.0/4"),
}

// publicAddr reports whether a can be routed on the internet to someone.
func publicAddr(a netip.Addr) bool {
	if a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsMulticast() || a.IsUnspecified() || !a.IsGlobalUnicast() {
		return false
	}
	for _, p := range documentationPrefixes {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// urlCredentialsRecognizer finds the user:password part of a URL. The
// entity is the userinfo alone, so the redacted URL still says where it
// points.
func urlCredentialsRecognizer() *recognizer {
	return &recognizer{
		typ: URLCredentials, name: "url.userinfo",
		find: plain(findURLCredentials),
		positives: []string{
			"DATABASE_URL=postgres://app:s3cr3t-Pa55@db.internal:5432/app",
			"clone https://bob:ghp_abcdEFGH1234@github.com/org/repo",
		},
		negatives: []string{
			"https://github.com/org/repo",
			"ssh://git@github.com/org/repo",
			"postgres://user:password@localhost/db",
			"redis://:${REDIS_PASSWORD}@cache:6379",
			"see http://example.com/a@b",
		},
	}
}

func findURLCredentials(text string, out []Entity) []Entity {
	for i := 0; ; {
		k := strings.Index(text[i:], "://")
		if k < 0 {
			return out
		}
		k += i
		i = k + 3
		if k == 0 || !isLetter(text[k-1]) {
			continue
		}
		start := k + 3
		end := start
		for end < len(text) && !strings.ContainsRune("/?#@ \t\r\n\"'<>`", rune(text[end])) {
			end++
		}
		if end >= len(text) || text[end] != '@' {
			continue
		}
		info := text[start:end]
		colon := strings.IndexByte(info, ':')
		if colon < 0 || colon == len(info)-1 {
			continue
		}
		pass := asciiLower(info[colon+1:])
		score := 0.9
		if placeholderPassword(pass) {
			score = 0.2
		}
		out = append(out, Entity{Start: start, End: end, Score: score})
		i = end + 1
	}
}

// placeholderPassword reports passwords that are obviously not real.
func placeholderPassword(p string) bool {
	switch p {
	case "password", "pass", "passwd", "secret", "changeme", "pwd", "xxx", "****", "...":
		return true
	}
	return strings.HasPrefix(p, "${") || strings.HasPrefix(p, "$") || strings.HasPrefix(p, "<") ||
		strings.HasPrefix(p, "{{") || strings.HasPrefix(p, "%") || strings.Trim(p, "x*") == ""
}

// jwtRecognizer finds JSON Web Tokens: three base64url parts whose first
// decodes to a JSON header naming an algorithm.
func jwtRecognizer() *recognizer {
	return &recognizer{
		typ: JWT, name: "jwt",
		find: plain(findJWTs),
		positives: []string{
			"Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkphbmUifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
		},
		negatives: []string{
			"eyJub3QiOiJhIGp3dCJ9.eyJ4IjoxfQ.abc",
			"eyJ is how base64 JSON starts",
		},
	}
}

func findJWTs(text string, out []Entity) []Entity {
	for i := 0; ; {
		// Find "eyJ" by its rarer capital J.
		if i+2 >= len(text) {
			return out
		}
		k := strings.IndexByte(text[i+2:], 'J')
		if k < 0 {
			return out
		}
		start := i + k
		if text[start:start+2] != "ey" {
			i = start + 1
			continue
		}
		i = start + 3
		if start > 0 && (isAlnum(text[start-1]) || text[start-1] == '_' || text[start-1] == '-') {
			continue
		}
		end, dots := start, 0
		for end < len(text) && (isB64URL(text[end]) || text[end] == '.') {
			if text[end] == '.' {
				dots++
			}
			end++
		}
		i = end
		if dots != 2 {
			continue
		}
		header := text[start : strings.IndexByte(text[start:], '.')+start]
		raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(header, "="))
		if err != nil {
			continue
		}
		var h map[string]any
		if json.Unmarshal(raw, &h) != nil {
			continue
		}
		if _, ok := h["alg"]; !ok {
			continue
		}
		out = append(out, Entity{Start: start, End: end, Score: 0.95})
	}
}

func isB64URL(c byte) bool { return isAlnum(c) || c == '-' || c == '_' || c == '=' }

// privateKeyRecognizer finds PEM and PGP private key blocks, from BEGIN to
// END — or to the end of the text, since a cut-off key is still a key.
func privateKeyRecognizer() *recognizer {
	return &recognizer{
		typ: PrivateKey, name: "private-key.pem",
		find: plain(findPrivateKeys),
		positives: []string{
			"-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM2jEXAMPLEKEYDATAxx\n-----END RSA PRIVATE KEY-----",
			"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gt",
		},
		negatives: []string{
			"-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----",
			"files start with -----BEGIN PRIVATE KEY----- and end with a footer",
		},
	}
}

func findPrivateKeys(text string, out []Entity) []Entity {
	for i := 0; ; {
		k := strings.Index(text[i:], "-----BEGIN ")
		if k < 0 {
			return out
		}
		start := i + k
		i = start + 11
		eol := strings.Index(text[i:], "-----")
		if eol < 0 || eol > 40 {
			continue
		}
		label := text[i : i+eol]
		if !strings.HasSuffix(label, "PRIVATE KEY") && !strings.HasSuffix(label, "PRIVATE KEY BLOCK") {
			continue
		}
		bodyStart := i + eol + 5
		end := len(text)
		if e := strings.Index(text[bodyStart:], "-----END "); e >= 0 {
			end = bodyStart + e
			if f := strings.Index(text[end+9:], "-----"); f >= 0 && f <= 40 {
				end += 9 + f + 5
			}
		}
		score := 1.0
		if b64Chars(text[bodyStart:end]) < 32 {
			score = 0.3 // a mention of the header, not a key
		}
		out = append(out, Entity{Start: start, End: end, Score: score})
		i = end
	}
}

func b64Chars(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if isAlnum(s[i]) || s[i] == '+' || s[i] == '/' {
			n++
		}
	}
	return n
}
