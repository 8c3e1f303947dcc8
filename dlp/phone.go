package dlp

import (
	"fmt"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// newPhoneRecognizer finds phone numbers: candidates are runs of digits
// with the separators people write (+, spaces, dashes, dots, parentheses),
// validated against libphonenumber's numbering plans. International
// numbers are read in any country; national ones in regions, and only as
// they are written there: with the trunk prefix where it is 0 (Britain,
// Germany), so that a figure such as a ZIP+4 code or a card group is not
// read as a local number.
func newPhoneRecognizer(names []string) (*recognizer, error) {
	if len(names) == 0 {
		names = []string{"US"}
	}
	regions := make([]phoneRegion, len(names))
	for i, r := range names {
		r = strings.ToUpper(strings.TrimSpace(r))
		if phonenumbers.GetCountryCodeForRegion(r) == 0 {
			return nil, fmt.Errorf("phone region %q is not an ISO 3166 region libphonenumber knows", r)
		}
		regions[i] = phoneRegion{code: r, trunk: phonenumbers.GetNddPrefixForRegion(r, true)}
	}
	return &recognizer{
		typ: Phone, name: "phone.libphonenumber",
		find: func(t *textScan, out []Entity) []Entity {
			return findPhones(t, regions, out)
		},
		context: []string{"call", "phone", "tel", "mobile", "cell", "fax", "sms", "text me", "whatsapp", "contact"}, boost: 0.25,
		positives: []string{
			"call +1 (415) 555-0132 about it",
			"Tel. +44 20 7946 0958",
			"reach me at (212) 555-0199",
			"mobile: +49 151 23456789",
			"phone 4155550132",
		},
		negatives: []string{
			"on 2026-11-25 at 10:30",
			"order 123-456",
			"version 1.22.333",
			"ratio 3.14159",
			"id 4155550132 in the table",
			"between 1990 and 2024",
			"2026-03-14 09:27:01 sms sent",         // a timestamp
			"host 160.104.112.63 answered",         // an IPv4 address
			"ZIP+4 99302-2659",                     // no trunk 0, so not a German number
			"Amex 3445-676350-18206",               // a card's grouping
			"population 79 400 000",                // thousands, not a number plan
			"docs use 555-0100 and (555) 010-0199", // possible, never valid
			"[8812.114233] TCP: request_sock_TCP",  // a decimal
			"costs 2125.550199 EUR",
		},
	}, nil
}

// phoneRegion is a region whose national format is read, with its trunk
// prefix ("0" in Germany and Britain, "1" in the US).
type phoneRegion struct {
	code, trunk string
}

func findPhones(t *textScan, regions []phoneRegion, out []Entity) []Entity {
	text := t.text
	// A conversation repeats its numbers, and validating one is costly:
	// remember the last few verdicts.
	type verdict struct {
		cand  string
		score float64
	}
	var memo [16]verdict
	memoLen := 0
	// A number begins at a "+", a "(" or the first digit of a run (a digit
	// after a digit would be inside a token); next is where the last
	// candidate ended.
	runs := t.digitRuns()
	plus, paren := -1, -1
	for next := 0; ; {
		for len(runs) > 0 && int(runs[0]) < next {
			runs = runs[1:]
		}
		if plus < next {
			plus = indexByteFrom(text, next, '+')
		}
		if paren < next {
			paren = indexByteFrom(text, next, '(')
		}
		i := min(plus, paren)
		if len(runs) > 0 {
			i = min(i, int(runs[0]))
		}
		if i == len(text) {
			return out
		}
		next = i + 1
		if i > 0 && (isAlnum(text[i-1]) || text[i-1] == '+' || text[i-1] == '.' || text[i-1] == '-' || text[i-1] == '_') {
			continue
		}
		j, digits, seps := i, 0, 0
		for j < len(text) && digits <= 15 {
			c := text[j]
			switch {
			case isDigit(c):
				digits++
			case c == '+' && j == i:
			case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/':
				if j+1 >= len(text) || !(isDigit(text[j+1]) || text[j+1] == '(' || c == ')' && text[j+1] == ' ') {
					goto end
				}
				seps++
			default:
				goto end
			}
			j++
		}
	end:
		end := j
		for end > i && !isDigit(text[end-1]) {
			end--
		}
		if end < len(text) && (isLetter(text[end]) || text[end] == '_') || digits < 7 || digits > 15 {
			next = max(next, j)
			continue
		}
		next = end
		cand := text[i:end]
		intl := cand[0] == '+'
		if !intl && seps == 0 && digits < 10 || timeAfter(text, end) {
			continue
		}
		score := -1.0
		for _, v := range memo[:min(memoLen, len(memo))] {
			if v.cand == cand {
				score = v.score
				break
			}
		}
		if score < 0 {
			score = phoneScore(cand, intl, seps, regions)
			memo[memoLen%len(memo)] = verdict{cand, score}
			memoLen++
		}
		if score > 0 {
			out = append(out, Entity{Start: i, End: end, Score: score})
		}
	}
}

// indexByteFrom returns the index of the first c in s at or after i, or
// len(s).
func indexByteFrom(s string, i int, c byte) int {
	if k := strings.IndexByte(s[i:], c); k >= 0 {
		return i + k
	}
	return len(s)
}

// timeAfter reports ":27" right after a candidate: its last group is the
// hour of a timestamp.
func timeAfter(text string, end int) bool {
	return end+1 < len(text) && text[end] == ':' && isDigit(text[end+1])
}

// phoneScore validates a candidate; 0 means not a phone number.
func phoneScore(cand string, intl bool, seps int, regions []phoneRegion) float64 {
	if intl {
		n, err := phonenumbers.Parse(cand, "")
		if err != nil {
			return 0
		}
		switch {
		case phonenumbers.IsValidNumber(n):
			return 0.85
		case phonenumbers.IsPossibleNumber(n):
			return 0.6
		}
		return 0
	}
	// Dates, decimals, dotted figures and addresses are not phone numbers.
	if looksLikeDate(cand) || startsWithDate(cand) || dottedQuad(cand) || strings.Count(cand, ".") == 1 {
		return 0
	}
	if strings.Count(cand, ".") > 0 && strings.Count(cand, ".") != seps {
		return 0
	}
	nationalDigit := cand[strings.IndexFunc(cand, func(r rune) bool { return '0' <= r && r <= '9' })]
	best := 0.0
	for _, r := range regions {
		// Where numbers are dialled nationally with a trunk 0, people write
		// it: "030 1234567", "020 7946 0958". Without it a figure is not
		// such a number.
		if r.trunk == "0" && nationalDigit != '0' {
			continue
		}
		n, err := phonenumbers.Parse(cand, r.code)
		if err != nil {
			continue
		}
		s := 0.0
		switch {
		case phonenumbers.IsValidNumberForRegion(n, r.code):
			s = 0.7
		case phonenumbers.IsPossibleNumber(n):
			s = 0.2 // the right length, but no number plan has it
		}
		if seps == 0 {
			s -= 0.35 // ten bare digits could be any identifier
		}
		best = max(best, s)
	}
	return best
}

// startsWithDate reports "2026-03-14 09" and the like.
func startsWithDate(s string) bool {
	return len(s) > 10 && looksLikeDate(s[:10]) && !isDigit(s[10])
}

// dottedQuad reports an IPv4-shaped candidate: four dotted groups of at
// most three digits.
func dottedQuad(s string) bool {
	groups, n := 1, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case isDigit(c):
			if n++; n > 3 {
				return false
			}
		case c == '.' && n > 0:
			groups, n = groups+1, 0
		default:
			return false
		}
	}
	return groups == 4 && n > 0
}

// looksLikeDate reports 2026-11-25, 25.11.2026, 11/25/2026 and the like.
func looksLikeDate(s string) bool {
	var groups []int
	var seps []byte
	n := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case isDigit(c):
			n++
		case c == '-' || c == '.' || c == '/':
			groups, seps, n = append(groups, n), append(seps, c), 0
		default:
			return false
		}
	}
	groups = append(groups, n)
	if len(groups) != 3 || seps[0] != seps[1] {
		return false
	}
	return groups[0] == 4 && groups[1] <= 2 && groups[2] <= 2 || groups[0] <= 2 && groups[1] <= 2 && (groups[2] == 4 || groups[2] == 2)
}
