package secretscan

import (
	"strings"

	"github.com/wardenhq/warden/report"
	"github.com/wardenhq/warden/token"
)

// tokenShape is the length of a Warden token: prefix, 32 base62
// characters, "_", 8 hex digits of CRC-32 (see package token).
const tokenShape = token.Len

// findWardenTokens appends Warden tokens in text: anything shaped like one
// (wdn_, 32 letters or digits, _, 8 letters or digits, on word boundaries)
// is checked with token.Check. A valid checksum means a real token, which
// is critical; a wrong one is a typo, a truncation or a made-up example,
// which is reported as info so that it is seen but fails no build.
func findWardenTokens(text string, out []match) []match {
	for i := 0; ; {
		k := strings.Index(text[i:], token.Prefix)
		if k < 0 {
			return out
		}
		at := i + k
		i = at + len(token.Prefix)
		if at > 0 && isWordByte(text[at-1]) {
			continue
		}
		end := i
		for end < len(text) && isWordByte(text[end]) {
			end++
		}
		cand := text[at:end]
		if !tokenShaped(cand) {
			continue
		}
		m := match{rule: wardenTokenRule, start: at, end: end, severity: report.Critical, message: "Warden agent token"}
		if token.Check(cand) != nil {
			m.rule, m.severity, m.message = wardenBadTokenRule, report.Info, "string shaped like a Warden token, but its checksum is wrong (a typo or an example)"
		}
		out = append(out, m)
		i = end
	}
}

// tokenShaped reports whether s has a Warden token's shape, checksum aside.
func tokenShaped(s string) bool {
	if len(s) != tokenShape || s[len(s)-9] != '_' {
		return false
	}
	for i := len(token.Prefix); i < len(s); i++ {
		if i != len(s)-9 && !isAlnum(s[i]) {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return isDigit(c) || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

func isWordByte(c byte) bool { return isAlnum(c) || c == '_' }
