package dlp

import "strings"

// emailRecognizer finds addresses by their '@': a local part, a domain with
// at least one dot, and an alphabetic top-level domain. Domains reserved for
// documentation (example.com, .test, .invalid) score low: they are
// illustrations, not anyone's address.
func emailRecognizer() *recognizer {
	return &recognizer{
		typ: Email, name: "email",
		find:    plain(findEmails),
		context: []string{"email", "e-mail", "mail", "contact", "reach", "write to"}, boost: 0.1,
		positives: []string{
			"Please email jane.doe@acme-corp.com today",
			"contact: o'brien+news@mail.example-shop.co.uk",
			"<Bob.Smith@Contoso.COM>",
		},
		negatives: []string{
			"write to john@example.com for details",
			"see user@host without a dot",
			"git@github.com:org/repo.git",
			"an @mention and a trailing @",
			"version 1.2@3.4",
			"noreply@localhost",
		},
	}
}

func findEmails(text string, out []Entity) []Entity {
	for i := 0; ; {
		j := strings.IndexByte(text[i:], '@')
		if j < 0 {
			return out
		}
		at := i + j
		i = at + 1
		start := at
		for start > 0 && isLocalChar(text[start-1]) {
			start--
		}
		// A local part neither starts nor ends with a dot.
		for start < at && (text[start] == '.' || text[start] == '\'') {
			start++
		}
		if start == at || text[at-1] == '.' || at-start > 64 || inURLAuthority(text, start) {
			continue
		}
		end := at + 1
		lastDot := -1
		for end < len(text) && isDomainChar(text[end]) {
			if text[end] == '.' {
				lastDot = end
			}
			end++
		}
		// Sentence punctuation after an address is not part of it.
		for end > at+1 && (text[end-1] == '.' || text[end-1] == '-') {
			end--
			if lastDot == end {
				lastDot = strings.LastIndexByte(text[at+1:end], '.')
				if lastDot >= 0 {
					lastDot += at + 1
				}
			}
		}
		if lastDot < 0 || lastDot <= at+1 || end-lastDot-1 < 2 {
			continue
		}
		tld := text[lastDot+1 : end]
		if !isAlpha(tld) {
			continue
		}
		i = end
		domain, local := text[at+1:end], text[start:at]
		score := 0.85
		switch {
		case documentationDomain(domain):
			score = 0.2
		case strings.EqualFold(local, "git") || strings.EqualFold(local, "noreply") || strings.EqualFold(local, "no-reply"):
			score = 0.3
		}
		out = append(out, Entity{Start: start, End: end, Score: score})
	}
}

// documentationDomain reports domains reserved for examples (RFC 2606/6761),
// in any case.
func documentationDomain(d string) bool {
	for _, s := range []string{"example.com", "example.org", "example.net", "example.edu"} {
		if hasSuffixFold(d, s) && (len(d) == len(s) || d[len(d)-len(s)-1] == '.') {
			return true
		}
	}
	for _, s := range []string{".example", ".test", ".invalid", ".localhost", ".local"} {
		if hasSuffixFold(d, s) {
			return true
		}
	}
	return false
}

// hasSuffixFold is strings.HasSuffix with ASCII case folded; suffix is
// lowercase.
func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && hasLowerPrefix(s[len(s)-len(suffix):], suffix)
}

func isLocalChar(c byte) bool {
	return isAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-' || c == '\''
}

func isDomainChar(c byte) bool { return isAlnum(c) || c == '.' || c == '-' }

func isAlnum(c byte) bool { return isDigit(c) || isLetter(c) }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func isUpper(c byte) bool { return 'A' <= c && c <= 'Z' }

func isAlpha(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isLetter(s[i]) {
			return false
		}
	}
	return s != ""
}

// inURLAuthority reports whether the text before a local part is the
// scheme and userinfo of a URL ("https://admin:pa\\ss@host"): that '@' ends
// credentials, which the URL recognizer reports whole, not an address.
func inURLAuthority(text string, start int) bool {
	for j := start - 1; j >= 0 && start-j <= 256; j-- {
		switch text[j] {
		case ' ', '\t', '\n', '\r', '"', '\'', '<', '>', '(', ')', '/':
			return j >= 2 && text[j] == '/' && text[j-1] == '/' && text[j-2] == ':'
		}
	}
	return false
}
