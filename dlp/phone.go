package dlp

import (
	"fmt"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// newPhoneRecognizer finds phone numbers: candidates are runs of digits
// with the separators people write (+, spaces, dashes, dots, parentheses),
// validated against libphonenumber's numbering plans. International
// numbers are read in any country; national ones in regions.
func newPhoneRecognizer(regions []string) (*recognizer, error) {
	if len(regions) == 0 {
		regions = []string{"US"}
	}
	for i, r := range regions {
		r = strings.ToUpper(strings.TrimSpace(r))
		if phonenumbers.GetCountryCodeForRegion(r) == 0 {
			return nil, fmt.Errorf("phone region %q is not an ISO 3166 region libphonenumber knows", r)
		}
		regions[i] = r
	}
	return &recognizer{
		typ: Phone, name: "phone.libphonenumber",
		find: func(text string, out []Entity) []Entity {
			return findPhones(text, regions, out)
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
		},
	}, nil
}

func findPhones(text string, regions []string, out []Entity) []Entity {
	for i := 0; i < len(text); i++ {
		c := text[i]
		if !(isDigit(c) || c == '+' || c == '(') {
			continue
		}
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
			i = max(i, j-1)
			continue
		}
		cand := text[i:end]
		intl := cand[0] == '+'
		if !intl && seps == 0 && digits < 10 {
			i = end - 1
			continue
		}
		score := phoneScore(cand, intl, seps, regions)
		if score > 0 {
			out = append(out, Entity{Start: i, End: end, Score: score})
		}
		i = end - 1
	}
	return out
}

// phoneScore validates a candidate; 0 means not a phone number.
func phoneScore(cand string, intl bool, seps int, regions []string) float64 {
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
	// Dates and dotted figures are not phone numbers.
	if looksLikeDate(cand) {
		return 0
	}
	if strings.Count(cand, ".") > 0 && strings.Count(cand, ".") != seps {
		return 0
	}
	best := 0.0
	for _, r := range regions {
		n, err := phonenumbers.Parse(cand, r)
		if err != nil {
			continue
		}
		s := 0.0
		switch {
		case phonenumbers.IsValidNumberForRegion(n, r):
			s = 0.7
		case phonenumbers.IsPossibleNumber(n) && strings.ContainsAny(cand, "()"):
			s = 0.6
		case phonenumbers.IsPossibleNumber(n):
			s = 0.4
		}
		if seps == 0 {
			s -= 0.35 // ten bare digits could be any identifier
		}
		best = max(best, s)
	}
	return best
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
