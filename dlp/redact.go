package dlp

import (
	"encoding/json"
	"strconv"
	"strings"
)

// Vault holds the placeholders of one conversation: the same value always
// gets the same placeholder, and a reply's placeholders map back to the
// values. It lives for one request; because numbering follows the order of
// first appearance and a conversation's history only grows, the same
// conversation gets the same placeholders on every turn. Not safe for
// concurrent use.
type Vault struct {
	byValue  map[string]string // type NUL value → placeholder
	values   map[string]string // placeholder → value
	next     map[Type]int
	reserved map[string]bool // placeholder-shaped text the input already had
}

// NewVault returns an empty vault.
func NewVault() *Vault {
	return &Vault{byValue: map[string]string{}, values: map[string]string{}, next: map[Type]int{}, reserved: map[string]bool{}}
}

// Reserve records placeholder-shaped text already present in s, so that no
// value is given a placeholder the input used literally (which would make
// a reply ambiguous).
func (v *Vault) Reserve(s string) {
	for i := 0; ; {
		k := strings.IndexByte(s[i:], '<')
		if k < 0 {
			return
		}
		i += k
		if n := placeholderLen(s[i:]); n > 0 {
			v.reserved[s[i:i+n]] = true
			i += n
			continue
		}
		i++
	}
}

// Placeholder returns the placeholder for value, assigning the next free
// one of its type on first sight.
func (v *Vault) Placeholder(t Type, value string) string {
	key := string(t) + "\x00" + value
	if p, ok := v.byValue[key]; ok {
		return p
	}
	for {
		v.next[t]++
		p := "<" + string(t) + "_" + strconv.Itoa(v.next[t]) + ">"
		if !v.reserved[p] {
			v.byValue[key] = p
			v.values[p] = value
			return p
		}
	}
}

// Len is the number of placeholders handed out.
func (v *Vault) Len() int { return len(v.values) }

// Has reports whether value was seen as an entity of type t.
func (v *Vault) Has(t Type, value string) bool {
	_, ok := v.byValue[string(t)+"\x00"+value]
	return ok
}

// Restore replaces every placeholder of this vault in s by its value;
// placeholders it did not hand out are left alone.
func (v *Vault) Restore(s string) string { return v.restore(s, false) }

// RestoreJSON is Restore for s that is the inside of a JSON string (tool
// call arguments as they stream): values are escaped for it.
func (v *Vault) RestoreJSON(s string) string { return v.restore(s, true) }

func (v *Vault) restore(s string, jsonEscape bool) string {
	if len(v.values) == 0 || strings.IndexByte(s, '<') < 0 {
		return s
	}
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); {
		k := strings.IndexByte(s[i:], '<')
		if k < 0 {
			break
		}
		i += k
		n := placeholderLen(s[i:])
		if n == 0 {
			i++
			continue
		}
		val, ok := v.values[s[i:i+n]]
		if !ok {
			i += n
			continue
		}
		b.WriteString(s[last:i])
		if jsonEscape {
			b.WriteString(jsonInner(val))
		} else {
			b.WriteString(val)
		}
		i += n
		last = i
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// jsonInner is s encoded as a JSON string, without the quotes.
func jsonInner(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

// maxPlaceholder bounds a placeholder's length: "<URL_CREDENTIALS_99999>".
const maxPlaceholder = 32

// placeholderLen returns the length of the placeholder s starts with
// ("<EMAIL_12>"), or 0.
func placeholderLen(s string) int {
	if len(s) < 4 || s[0] != '<' {
		return 0
	}
	i := 1
	for i < len(s) && i < maxPlaceholder && (isUpper(s[i]) || s[i] == '_') {
		i++
	}
	if i == 1 || s[i-1] != '_' {
		return 0
	}
	d := i
	for i < len(s) && i < maxPlaceholder && isDigit(s[i]) {
		i++
	}
	if i == d || i >= len(s) || s[i] != '>' {
		return 0
	}
	return i + 1
}

// Finding is an entity found in a text and what was done with it.
type Finding struct {
	Entity
	Action Action `json:"action"`
}

// MaskText is what a masked value is replaced by.
func MaskText(t Type) string { return "[REDACTED " + string(t) + "]" }

// Redact scans text and applies policy: redacted values become the vault's
// placeholders, masked ones MaskText, blocked and allowed ones stay (the
// caller refuses a request with a blocked finding). Offsets in the findings
// are those of the input text.
func (e *Engine) Redact(text string, policy Policy, v *Vault) (string, []Finding) {
	return Apply(text, e.Scan(text), policy, v)
}

// Apply is Redact with the entities already found (by Scan on this very
// text): callers that cache scans use it.
func Apply(text string, ents []Entity, policy Policy, v *Vault) (string, []Finding) {
	if len(ents) == 0 {
		return text, nil
	}
	findings := make([]Finding, len(ents))
	var b strings.Builder
	last := 0
	for i, en := range ents {
		a := policy.Action(en.Type)
		findings[i] = Finding{Entity: en, Action: a}
		var repl string
		switch a {
		case Redact:
			repl = v.Placeholder(en.Type, text[en.Start:en.End])
		case Mask:
			repl = MaskText(en.Type)
		default:
			continue
		}
		b.WriteString(text[last:en.Start])
		b.WriteString(repl)
		last = en.End
	}
	if last == 0 {
		return text, findings
	}
	b.WriteString(text[last:])
	return b.String(), findings
}
