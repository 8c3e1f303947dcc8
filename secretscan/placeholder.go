package secretscan

import "strings"

// placeholderWords mark a value written to be replaced, not used: docs,
// templates and sample configs are full of them. Matched case-insensitively
// anywhere in the secret; AWS's documented AKIAIOSFODNN7EXAMPLE is caught by
// "example".
var placeholderWords = []string{
	"example", "xxxx", "****", "changeme", "change_me", "change-me", "dummy",
	"placeholder", "replace_me", "replaceme", "your_", "your-", "yourkey",
	"insert_", "redacted", "notasecret", "not_a_secret", "fake_", "fakekey",
}

// placeholderMarks are template syntax: the value is filled in elsewhere.
var placeholderMarks = []string{"${", "{{", "<", ">", "$(", "%("}

// isPlaceholder reports whether secret is a stand-in rather than a
// credential: a placeholder word, template syntax, a long run of one
// character or an ascending run like 12345678 or abcdefgh. Private keys
// are only checked for words: their base64 is full of AAAA runs.
func isPlaceholder(secret, rule string) bool {
	lower := strings.ToLower(secret)
	for _, w := range placeholderWords {
		if strings.Contains(lower, w) {
			return true
		}
	}
	if rule == privateKeyRule || strings.HasPrefix(rule, "private-key") {
		return false
	}
	for _, m := range placeholderMarks {
		if strings.Contains(secret, m) {
			return true
		}
	}
	return hasRun(lower, 6) || hasAscending(lower, 8)
}

// hasRun reports n or more of the same byte in a row.
func hasRun(s string, n int) bool {
	run := 1
	for i := 1; i < len(s); i++ {
		if s[i] == s[i-1] {
			if run++; run >= n {
				return true
			}
		} else {
			run = 1
		}
	}
	return false
}

// hasAscending reports n or more consecutive letters or digits in a row,
// each one more than the last (0123…, abcd…).
func hasAscending(s string, n int) bool {
	run := 1
	for i := 1; i < len(s); i++ {
		c := s[i]
		if c == s[i-1]+1 && (isDigit(c) || 'a' <= c && c <= 'z') {
			if run++; run >= n {
				return true
			}
		} else {
			run = 1
		}
	}
	return false
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
