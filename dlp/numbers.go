package dlp

import (
	"slices"
	"strings"
)

// A digit group is a run of digits separated by single spaces or dashes
// ("4539 1488 0343 6467", "536-22-8765"). Cards, SSNs and phones are all
// found by walking these runs, then validated each their own way.

// digitRun is one run of grouped digits in a text.
type digitRun struct {
	start, end int    // byte offsets of the run
	digits     string // the digits alone
	groups     []int  // length of each group
	sep        byte   // the separator used, 0 if one group
	mixed      bool   // more than one kind of separator
}

// numbers returns the runs of digit groups in the text that have 9 to 19
// digits, as many as an SSN or a card number: found once, for both. A run
// is not part of a longer alphanumeric token (so "A4539..." or version
// strings like "1.2.3" are not runs).
func (t *textScan) numbers() []digitRun {
	if t.numsSet {
		return t.nums
	}
	t.numsSet = true
	text := t.text
	var bufArray [24]byte
	var groupArray [8]int
	var r digitRun
	next := 0 // where the last run or token ended
	for _, start := range t.digitRuns() {
		i := int(start)
		if i < next {
			continue
		}
		if i > 0 && (isLetter(text[i-1]) || text[i-1] == '.' && i > 1 && isDigit(text[i-2]) || text[i-1] == '_') {
			// Inside a word, or continuing a dotted number: skip the token.
			for i < len(text) && (isAlnum(text[i]) || text[i] == '.' || text[i] == '_') {
				i++
			}
			next = i
			continue
		}
		r = digitRun{start: i}
		buf, groups := bufArray[:0], groupArray[:0]
		g := 0
		j := i
		for j < len(text) {
			c := text[j]
			if isDigit(c) {
				buf = append(buf, c)
				g++
				j++
				continue
			}
			if (c == ' ' || c == '-') && j+1 < len(text) && isDigit(text[j+1]) && g > 0 {
				if r.sep != 0 && r.sep != c {
					r.mixed = true
				}
				r.sep = c
				groups = append(groups, g)
				g = 0
				j++
				continue
			}
			break
		}
		groups = append(groups, g)
		r.end = j
		// A run glued to letters or more digits-with-dots is an identifier.
		if j < len(text) && (isLetter(text[j]) || text[j] == '_' || text[j] == '.' && j+1 < len(text) && isDigit(text[j+1])) {
			for j < len(text) && (isAlnum(text[j]) || text[j] == '.' || text[j] == '_') {
				j++
			}
			next = j
			continue
		}
		if len(buf) >= 9 && len(buf) <= 19 {
			r.digits = string(buf)
			r.groups = slices.Clone(groups)
			t.nums = append(t.nums, r)
		}
		next = j
	}
	return t.nums
}

// cardRecognizer finds payment card numbers: 13 to 19 digits, alone or in
// groups, that pass the Luhn check and start with a known issuer prefix.
func cardRecognizer() *recognizer {
	return &recognizer{
		typ: CreditCard, name: "card.luhn",
		find: func(t *textScan, out []Entity) []Entity {
			for i := range t.numbers() {
				if r := &t.nums[i]; len(r.digits) >= 13 {
					out = findCards(t.text, r, out)
				}
			}
			return out
		},
		context: []string{"card", "visa", "mastercard", "amex", "credit", "debit", "cc#", "payment", "pan"}, boost: 0.1,
		positives: []string{
			"card 4539 1488 0343 6467 expires",
			"Amex: 3782-822463-10005",
			"pay with 5555555555554444 now",
			"test card 4111 1111 1111 1111",
		},
		negatives: []string{
			"order 4539 1488 0343 6468 (bad checksum)",
			"id 1234567890123452",
			"0000 0000 0000 0000",
			"phone 4155550132",
			"1.4539.1488.0343.6467",
		},
	}
}

func findCards(text string, r *digitRun, out []Entity) []Entity {
	n := len(r.digits)
	if n < 13 || n > 19 || r.mixed {
		return out
	}
	// Grouped numbers must look like card groupings (4-4-4-4, 4-6-5, ...),
	// not a phone number or a list of figures.
	if len(r.groups) > 1 {
		for _, g := range r.groups[:len(r.groups)-1] {
			if g < 4 || g > 6 {
				return out
			}
		}
	}
	if !luhn(r.digits) || allSame(r.digits) || !cardIssuer(r.digits) {
		return out
	}
	score := 0.85
	if len(r.groups) == 1 {
		score = 0.75 // an ungrouped number may be another identifier
	}
	return append(out, Entity{Start: r.start, End: r.end, Score: score})
}

// luhn reports whether digits pass the Luhn checksum.
func luhn(digits string) bool {
	sum := 0
	double := false
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// cardIssuer reports whether a number starts with an issuer prefix of a
// major scheme and has a length that scheme uses.
func cardIssuer(d string) bool {
	n := len(d)
	p2 := atoi(d[:2])
	p3 := atoi(d[:3])
	p4 := atoi(d[:4])
	p6 := atoi(d[:6])
	switch {
	case d[0] == '4': // Visa
		return n == 13 || n == 16 || n == 19
	case p2 >= 51 && p2 <= 55, p4 >= 2221 && p4 <= 2720: // Mastercard
		return n == 16
	case p2 == 34 || p2 == 37: // American Express
		return n == 15
	case p4 == 6011, p2 == 65, p3 >= 644 && p3 <= 649, p6 >= 622126 && p6 <= 622925: // Discover
		return n >= 16 && n <= 19
	case p4 >= 3528 && p4 <= 3589: // JCB
		return n >= 16 && n <= 19
	case p2 == 36, p2 == 38, p2 == 39, p3 >= 300 && p3 <= 305, p4 == 3095: // Diners Club
		return n >= 14 && n <= 19
	case p2 == 62: // UnionPay
		return n >= 16 && n <= 19
	case p2 == 50, p2 >= 56 && p2 <= 69: // Maestro and others
		return n >= 12 && n <= 19
	}
	return false
}

// ssnRecognizer finds US Social Security numbers: area 001-899 except 666,
// group 01-99, serial 0001-9999. Written with dashes or spaces they are
// likely; nine bare digits need a context word.
func ssnRecognizer() *recognizer {
	return &recognizer{
		typ: SSN, name: "ssn",
		find: func(t *textScan, out []Entity) []Entity {
			for i := range t.numbers() {
				r := &t.nums[i]
				if len(r.digits) != 9 || r.mixed || !validSSN(r.digits) {
					continue
				}
				score := 0.0
				switch {
				case len(r.groups) == 3 && r.groups[0] == 3 && r.groups[1] == 2 && r.groups[2] == 4:
					score = 0.75
					if r.sep == ' ' {
						score = 0.6
					}
				case len(r.groups) == 1:
					score = 0.3
				default:
					continue
				}
				out = append(out, Entity{Start: r.start, End: r.end, Score: score})
			}
			return out
		},
		context: []string{"ssn", "social security", "social sec", "taxpayer", "tin"}, boost: 0.3,
		positives: []string{
			"SSN 536-22-8765.",
			"social security number: 536228765",
			"her number is 123-45-6780",
		},
		negatives: []string{
			"000-12-3456",
			"666-12-3456",
			"900-12-3456",
			"123-00-4567",
			"123-45-0000",
			"078-05-1120",
			"order 536228765 shipped",
			"call 555-123-4567",
		},
	}
}

// validSSN applies the SSA's rules for numbers that can be issued, and
// refuses the famous advertising numbers.
func validSSN(d string) bool {
	area, group, serial := atoi(d[:3]), atoi(d[3:5]), atoi(d[5:])
	if area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0 {
		return false
	}
	return d != "078051120" && d != "219099999" && d != "123456789"
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

func allSame(s string) bool {
	return strings.Count(s, s[:1]) == len(s)
}
