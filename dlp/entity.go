package dlp

import (
	"fmt"
	"strings"
)

// Type names a kind of sensitive value. Its text is what placeholders carry
// (<EMAIL_1>) and, lowercased, what configuration calls it (email).
type Type string

// The entity types the engine recognises.
const (
	Email          Type = "EMAIL"
	Phone          Type = "PHONE"
	CreditCard     Type = "CREDIT_CARD"
	SSN            Type = "SSN"
	IBAN           Type = "IBAN"
	IPAddress      Type = "IP_ADDRESS"
	Secret         Type = "SECRET"
	PrivateKey     Type = "PRIVATE_KEY"
	JWT            Type = "JWT"
	URLCredentials Type = "URL_CREDENTIALS"
	Person         Type = "PERSON"
	Address        Type = "ADDRESS"
)

// Types lists every entity type, in a stable order.
func Types() []Type {
	return []Type{Email, Phone, CreditCard, SSN, IBAN, IPAddress, Secret, PrivateKey, JWT, URLCredentials, Person, Address}
}

// ParseType reads a type by its configuration name (email, credit_card) or
// its placeholder name (EMAIL, CREDIT_CARD).
func ParseType(s string) (Type, error) {
	u := Type(strings.ToUpper(strings.TrimSpace(s)))
	for _, t := range Types() {
		if t == u {
			return t, nil
		}
	}
	return "", fmt.Errorf("unknown entity type %q (known: %s)", s, typeList())
}

func typeList() string {
	var b strings.Builder
	for i, t := range Types() {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strings.ToLower(string(t)))
	}
	return b.String()
}

// Entity is one sensitive value found in a text. Offsets are in bytes of
// the scanned string; the value itself is text[Start:End].
type Entity struct {
	Type  Type    `json:"type"`
	Start int     `json:"start"`
	End   int     `json:"end"`
	Score float64 `json:"score"`
	// Rule says which recognizer (or gitleaks rule) matched, for audit
	// and tuning; it never contains the value.
	Rule string `json:"rule,omitempty"`
}

// Action is what happens to an entity of a type.
type Action string

// The actions. Redact is reversible (a placeholder the reply is restored
// from), Mask is not, Block refuses the whole request, Allow passes the
// value through (it is still counted).
const (
	Redact Action = "redact"
	Mask   Action = "mask"
	Block  Action = "block"
	Allow  Action = "allow"
)

// ParseAction reads an action name.
func ParseAction(s string) (Action, error) {
	switch a := Action(strings.ToLower(strings.TrimSpace(s))); a {
	case Redact, Mask, Block, Allow:
		return a, nil
	}
	return "", fmt.Errorf("unknown action %q (known: redact, mask, block, allow)", s)
}

// Policy maps each type to its action; a type not in the map is redacted.
type Policy map[Type]Action

// Action returns the action for t.
func (p Policy) Action(t Type) Action {
	if a, ok := p[t]; ok {
		return a
	}
	return Redact
}
