package dlp

import (
	"strings"
	"unicode/utf8"
)

// OutputFilter decides, for text a model produced, which values must not
// reach the agent: entities of the filtered types that the agent did not
// send itself.
type OutputFilter struct {
	Engine *Engine
	// Actions per type: Mask or Block; types not listed pass.
	Actions Policy
	// FromInput reports whether a value was in the agent's own request
	// (such values are the agent's, and pass).
	FromInput func(t Type, value string) bool
}

// Stream restores placeholders and filters output in text that arrives in
// pieces. It holds back only what a later piece could change: a partial
// word (a placeholder or a secret cut in two), a run of digit groups (a
// card number cut in two), or an unterminated private key block.
// Everything else is released at once, so the agent sees text as the model
// writes it. Not safe for concurrent use.
type Stream struct {
	vault  *Vault
	filter *OutputFilter
	json   bool // the text is the inside of a JSON string
	held   string
	// Blocked is set once an output filter blocked the stream.
	Blocked *Finding
	// Masked counts values masked by type.
	Masked map[Type]int
}

// NewStream returns a stream that restores from vault (nil: no restoring)
// and filters with filter (nil: no filtering). jsonText says the pieces are
// the inside of a JSON string (tool call arguments), so restored values are
// escaped.
func NewStream(vault *Vault, filter *OutputFilter, jsonText bool) *Stream {
	return &Stream{vault: vault, filter: filter, json: jsonText, Masked: map[Type]int{}}
}

// maxHold bounds what a stream holds back: a "word" longer than this is
// released (after filtering) even though a later piece could extend it.
const maxHold = 64 << 10

// Push adds a piece and returns the text that can be released now.
func (s *Stream) Push(piece string) string {
	if s.Blocked != nil {
		return ""
	}
	text := s.held + piece
	cut := safeCut(text)
	if len(text)-cut > maxHold {
		cut = len(text)
	}
	s.held = text[cut:]
	return s.process(text[:cut])
}

// Flush releases everything held: the stream has ended.
func (s *Stream) Flush() string {
	if s.Blocked != nil {
		return ""
	}
	text := s.held
	s.held = ""
	return s.process(text)
}

// Pending reports whether text is held back.
func (s *Stream) Pending() bool { return s.held != "" }

func (s *Stream) process(text string) string {
	if text == "" {
		return ""
	}
	if f := s.filter; f != nil && f.Engine != nil {
		ents := f.Engine.Scan(text)
		var b strings.Builder
		last := 0
		for _, en := range ents {
			a := f.Actions.Action(en.Type)
			if _, listed := f.Actions[en.Type]; !listed || a == Allow || a == Redact {
				continue
			}
			v := text[en.Start:en.End]
			if f.FromInput != nil && f.FromInput(en.Type, v) {
				continue
			}
			if a == Block {
				s.Blocked = &Finding{Entity: en, Action: Block}
				return b.String() + text[last:en.Start]
			}
			s.Masked[en.Type]++
			b.WriteString(text[last:en.Start])
			b.WriteString(MaskText(en.Type))
			last = en.End
		}
		if last > 0 {
			b.WriteString(text[last:])
			text = b.String()
		}
	}
	if s.vault != nil {
		text = s.vault.restore(text, s.json)
	}
	return text
}

// safeCut returns how much of text can be released without splitting
// something a later piece could complete.
func safeCut(text string) int {
	cut := len(text)
	// An open private key block is held whole, so it is filtered whole.
	if b := strings.LastIndex(text, "-----BEGIN "); b >= 0 && !strings.Contains(text[b:], "-----END ") {
		cut = b
	}
	// The trailing partial word.
	w := strings.LastIndexAny(text[:cut], " \t\r\n") + 1
	if w < cut {
		// A placeholder never contains spaces; a trailing fragment that
		// cannot begin one and has no digits or secret-ish length could
		// still grow into a secret, so the whole word waits.
		cut = w
	}
	// Digit groups before it ("4539 1488 0343 "): a card or phone number
	// being written.
	for cut > 0 {
		end := cut - 1 // the whitespace before the held word
		if end < 0 || !isSpace(text[end]) {
			break
		}
		start := strings.LastIndexAny(text[:end], " \t\r\n") + 1
		tok := text[start:end]
		if tok == "" || !digitGroupish(tok) {
			break
		}
		cut = start
	}
	// Never split a UTF-8 sequence.
	for cut > 0 && cut < len(text) && !utf8.RuneStart(text[cut]) {
		cut--
	}
	return cut
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// digitGroupish reports tokens that can be a group of a card, phone, SSN or
// IBAN: short, with a digit, of digits, capitals and phone punctuation.
func digitGroupish(tok string) bool {
	if len(tok) > 8 {
		return false
	}
	digit := false
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		switch {
		case isDigit(c):
			digit = true
		case isUpper(c) || c == '+' || c == '-' || c == '(' || c == ')' || c == '.':
		default:
			return false
		}
	}
	return digit
}
