package warden

import "fmt"

// MaxNameLen is the longest name a principal or workspace may have.
const MaxNameLen = 63

// ValidateName checks a principal or workspace name against
// [a-z0-9][a-z0-9-]{0,62}. Names are identifiers that appear in URLs, grants
// and audit events in clear, so they are deliberately narrow.
func ValidateName(kind, name string) error {
	if name == "" {
		return Errorf(EINVALID, "%s name is empty", kind)
	}
	if len(name) > MaxNameLen {
		return Errorf(EINVALID, "%s name is %d characters long; the limit is %d", kind, len(name), MaxNameLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-' && i > 0:
		default:
			return Errorf(EINVALID, "%s name %s: only lowercase letters, digits and '-' (not first) are allowed", kind, quoteName(name))
		}
	}
	return nil
}

// quoteName quotes a name for an error message, shortening it so a hostile
// caller cannot make the message arbitrarily long.
func quoteName(s string) string {
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return fmt.Sprintf("%q", s)
}
