package dlp

import "strings"

// streetSuffixes are the words that end a street name (USPS abbreviations
// and their long forms, plus common UK ones).
var streetSuffixes = map[string]bool{
	"street": true, "st": true, "avenue": true, "ave": true, "av": true, "road": true, "rd": true,
	"boulevard": true, "blvd": true, "lane": true, "ln": true, "drive": true, "dr": true,
	"court": true, "ct": true, "way": true, "place": true, "pl": true, "terrace": true, "ter": true,
	"parkway": true, "pkwy": true, "circle": true, "cir": true, "highway": true, "hwy": true,
	"square": true, "sq": true, "trail": true, "trl": true, "crescent": true, "close": true,
	"row": true, "grove": true, "gardens": true, "mews": true, "plaza": true, "alley": true,
	"pike": true, "route": true, "rte": true, "loop": true, "path": true,
}

// germanStreet are endings of German street names ("Hauptstraße 5").
var germanStreet = []string{"straße", "strasse", "str.", "weg", "allee", "platz", "gasse", "damm", "ring", "ufer"}

// germanStreetEnd holds the last bytes of germanStreet, lowercase (a byte
// ORed with 0x20): a word ending in any other cannot end in one of them.
var germanStreetEnd = func() (m [256]bool) {
	for _, s := range germanStreet {
		m[s[len(s)-1]|0x20] = true
	}
	return m
}()

// addressRecognizer finds street addresses: a house number, one to four
// capitalised words, and a street suffix, optionally followed by a unit,
// a city, a state and a ZIP code (US, UK style); or a German street name
// followed by its number.
func addressRecognizer() *recognizer {
	return &recognizer{
		typ: Address, name: "address.street",
		find:    findAddresses,
		context: []string{"address", "live at", "lives at", "located at", "ship to", "deliver to", "mail to", "residence"}, boost: 0.1,
		positives: []string{
			"She lives at 1600 Pennsylvania Avenue NW, Washington, DC 20500.",
			"ship to 221B Baker Street, London",
			"office: 350 Fifth Ave, Suite 3300, New York, NY 10118",
			"Anschrift: Hauptstraße 5, 10115 Berlin",
			"at 42 W 42nd St apt 5",
			"Lieferadresse: Unter den Linden 30, 10117 Berlin",
			"Registered office: 96 Mill Lane, Edinburgh EH3 7AB",
		},
		negatives: []string{
			"chapter 3 Main Characters",
			"page 12 Table Of Contents",
			"in 2024 Street Fighter was released",
			"the street is quiet",
		},
	}
}

func findAddresses(t *textScan, out []Entity) []Entity {
	text := t.text
	out = findStreetFirst(t, out)
	out = findBeforePostcode(t, out)
	next := 0 // where the last candidate ended
	for _, start := range t.digitRuns() {
		i := int(start)
		if i < next || i > 0 && (isAlnum(text[i-1]) || text[i-1] == '.' || text[i-1] == '-' || text[i-1] == '$') {
			continue
		}
		j := i
		for j < len(text) && isDigit(text[j]) {
			j++
		}
		if j-i > 6 {
			next = j + 1
			continue
		}
		if j < len(text) && isUpper(text[j]) && (j+1 >= len(text) || text[j+1] == ' ') {
			j++ // 221B
		}
		if j >= len(text) || text[j] != ' ' {
			next = j + 1
			continue
		}
		// Street words: capitalised, an ordinal (42nd) or a direction.
		k := j
		words := 0
		suffixEnd := -1
		for words < 6 {
			if k >= len(text) || text[k] != ' ' {
				break
			}
			ws := k + 1
			we := ws
			for we < len(text) && (isAlnum(text[we]) || text[we] == '\'') {
				we++
			}
			if we == ws {
				break
			}
			w := text[ws:we]
			if !isUpper(w[0]) && !(isDigit(w[0]) && ordinal(w)) {
				// Lowercase suffixes ("42nd st") still end the street.
				if words > 0 && lookupLower(streetSuffixes, w) {
					suffixEnd = we
				}
				break
			}
			words++
			k = we
			if words > 1 && lookupLower(streetSuffixes, w) {
				suffixEnd = we
				if k < len(text) && text[k] == '.' {
					suffixEnd++
					k++
				}
				// A direction after the suffix ("Avenue NW").
				if d := dirAt(text, k); d > 0 {
					suffixEnd = d
					k = d
				}
				break
			}
		}
		if suffixEnd < 0 {
			next = j + 1
			continue
		}
		end := addressTail(text, suffixEnd)
		score := 0.7
		if end > suffixEnd+4 {
			score = 0.85 // with a unit, city or postcode
		}
		out = append(out, Entity{Start: i, End: end, Score: score})
		next = end + 1
	}
	return out
}

// findStreetFirst finds German-style addresses: "Hauptstraße 5". It
// looks at each number after a space, and at the word before it.
func findStreetFirst(t *textScan, out []Entity) []Entity {
	text := t.text
	for _, start := range t.digitRuns() {
		d := int(start)
		if d < 2 || text[d-1] != ' ' || isDigit(text[d-2]) {
			continue
		}
		off := d - 1 // where the street's name ends
		if !germanStreetEnd[text[off-1]|0x20] {
			continue
		}
		for _, suf := range germanStreet {
			k := off - len(suf)
			if k < 0 || !hasLowerPrefix(text[k:off], suf) {
				continue
			}
			// The word ending in the suffix must be capitalised.
			s := k
			for s > 0 && (isLetter(text[s-1]) || text[s-1] >= 0x80) {
				s--
			}
			if s == k && suf != "str." || !isUpper(text[s]) {
				continue
			}
			e := d
			for e < len(text) && isDigit(text[e]) {
				e++
			}
			if e < len(text) && 'a' <= text[e] && text[e] <= 'z' && (e+1 == len(text) || !isLetter(text[e+1])) {
				e++
			}
			if e < len(text) && isAlnum(text[e]) {
				continue
			}
			end := e
			// ", 10115 Berlin"
			if end+8 < len(text) && text[end] == ',' && text[end+1] == ' ' && isDigit(text[end+2]) {
				z := end + 2
				for z < len(text) && isDigit(text[z]) {
					z++
				}
				if z-(end+2) == 5 && z+1 < len(text) && text[z] == ' ' && isUpper(text[z+1]) {
					c := z + 2
					for c < len(text) && (isLetter(text[c]) || text[c] >= 0x80) {
						c++
					}
					end = c
				}
			}
			out = append(out, Entity{Start: s, End: end, Score: 0.75})
		}
	}
	return out
}

// ukPostcode returns the end of a British postcode (" SW1A 2AA",
// " M1 1AE", " EH3 7AB") that starts with the space at i, or 0.
func ukPostcode(s string, i int) int {
	if i >= len(s) || s[i] != ' ' {
		return 0
	}
	j := i + 1
	// Outward code: one or two letters, a digit, then a digit or letter.
	k := j
	for k < len(s) && k-j < 2 && isUpper(s[k]) {
		k++
	}
	if k == j || k >= len(s) || !isDigit(s[k]) {
		return 0
	}
	k++
	if k < len(s) && (isDigit(s[k]) || isUpper(s[k])) {
		k++
	}
	// Inward code: a space, a digit, two letters.
	if k+4 > len(s) || s[k] != ' ' || !isDigit(s[k+1]) || !isUpper(s[k+2]) || !isUpper(s[k+3]) {
		return 0
	}
	k += 4
	if k < len(s) && isAlnum(s[k]) {
		return 0
	}
	return k
}

func hasGermanStreetSuffix(w string) bool {
	w = strings.ToLower(w)
	for _, suf := range germanStreet {
		if strings.HasSuffix(w, suf) {
			return true
		}
	}
	return false
}

// streetParticles are the lowercase words inside German street names
// ("Unter den Linden", "Am Rosenhang", "Platz der Republik").
var streetParticles = map[string]bool{"den": true, "der": true, "dem": true, "des": true, "am": true, "an": true, "im": true, "in": true, "zum": true, "zur": true, "auf": true, "vom": true, "von": true, "bei": true}

// findBeforePostcode finds addresses written street first by what follows
// them: "Am Rosenhang 51, 10115 Berlin" — a house number, a comma, a
// five-digit postcode and a town. The street is the capitalised words
// before the number, whatever they end with.
func findBeforePostcode(t *textScan, out []Entity) []Entity {
	text := t.text
	for _, start := range t.digitRuns() {
		z := int(start)
		if z < 3 || text[z-2] != ',' || text[z-1] != ' ' {
			continue
		}
		comma := z - 2
		if z+7 > len(text) || !allDigits(text[z:z+5]) || text[z+5] != ' ' || !(isUpper(text[z+6]) || text[z+6] >= 0x80) {
			continue
		}
		if text[z:z+2] == "00" {
			continue // no German postcode starts 00
		}
		// The house number: "51", "12a".
		n := comma
		if n > 0 && 'a' <= text[n-1] && text[n-1] <= 'z' {
			n--
		}
		d := n
		for d > 0 && n-d < 4 && isDigit(text[d-1]) {
			d--
		}
		if d == n || d < 2 || text[d-1] != ' ' {
			continue
		}
		// The street: up to four words, the first capitalised.
		start, w := -1, d-1
		for words := 0; words < 4 && w > 0; words++ {
			e := w
			b := e
			for b > 0 && (isLetter(text[b-1]) || text[b-1] >= 0x80 || text[b-1] == '-' || text[b-1] == '.') {
				b--
			}
			if b == e {
				break
			}
			ws := text[b:e]
			if isUpper(ws[0]) || ws[0] >= 0xC3 {
				start = b
				if words == 0 && hasGermanStreetSuffix(ws) {
					break // "Marktplatz 4b": the word is the whole street
				}
			} else if !streetParticles[ws] {
				break
			}
			if b == 0 || text[b-1] != ' ' {
				break
			}
			w = b - 1
		}
		if start < 0 {
			continue
		}
		end := z + 6
		for end < len(text) && (isLetter(text[end]) || text[end] >= 0x80 || text[end] == '-') {
			end++
		}
		out = append(out, Entity{Start: start, End: end, Score: 0.75})
	}
	return out
}

func ordinal(w string) bool {
	n := len(w)
	if n < 3 {
		return false
	}
	s := w[n-2:]
	return (strings.EqualFold(s, "st") || strings.EqualFold(s, "nd") || strings.EqualFold(s, "rd") || strings.EqualFold(s, "th")) && isDigit(w[n-3])
}

// dirAt returns the end of a compass direction (" NW") at i, or 0.
func dirAt(text string, i int) int {
	if i+2 > len(text) || text[i] != ' ' {
		return 0
	}
	j := i + 1
	for j < len(text) && isUpper(text[j]) && j-i <= 2 {
		j++
	}
	switch text[i+1 : j] {
	case "N", "S", "E", "W", "NE", "NW", "SE", "SW":
		if j == len(text) || !isAlnum(text[j]) {
			return j
		}
	}
	return 0
}

// addressTail extends an address over ", Apt 4B", ", Suite 3300",
// ", New York, NY 10118" and UK postcodes.
func addressTail(text string, end int) int {
	for {
		rest := text[end:]
		switch {
		case hasFoldPrefix(rest, ", apt") || hasFoldPrefix(rest, " apt") || hasFoldPrefix(rest, ", suite ") ||
			hasFoldPrefix(rest, " suite ") || hasFoldPrefix(rest, ", unit ") || hasFoldPrefix(rest, " unit ") ||
			hasFoldPrefix(rest, ", #") || hasFoldPrefix(rest, " #"):
			// Skip the separator and the unit word ("Apt.", "Suite"), then
			// read the unit's number.
			k := 1
			if rest[0] == ',' {
				k = 2
			}
			for k < len(rest) && isLetter(rest[k]) {
				k++
			}
			if k < len(rest) && rest[k] == '.' {
				k++
			}
			if k < len(rest) && rest[k] == ' ' {
				k++
			}
			n := k
			for k < len(rest) && (isAlnum(rest[k]) || rest[k] == '-') {
				k++
			}
			if k == n || !isDigit(rest[n]) && k-n > 2 {
				return end
			}
			end += k
		case strings.HasPrefix(rest, ", ") && len(rest) > 3 && isUpper(rest[2]):
			// ", City" then optionally ", ST 12345"
			k := 2
			for k < len(rest) && (isLetter(rest[k]) || rest[k] == ' ' && k+1 < len(rest) && isUpper(rest[k+1])) {
				k++
			}
			city := k
			if strings.HasPrefix(rest[k:], ", ") && k+4 <= len(rest) && isUpper(rest[k+2]) && k+4 <= len(rest) && isUpper(rest[k+3]) {
				k += 4
				if k+6 <= len(rest) && rest[k] == ' ' && allDigits(rest[k+1:k+6]) {
					k += 6
					if k+5 <= len(rest) && rest[k] == '-' && allDigits(rest[k+1:k+5]) {
						k += 5
					}
				}
				return end + k
			}
			if k+6 <= len(rest) && rest[k] == ' ' && allDigits(rest[k+1:k+6]) {
				return end + k + 6
			}
			// A British postcode after the town: "London NW1 6XE".
			if k > 2 && rest[k-1] != ' ' {
				if p := ukPostcode(rest, k); p > 0 {
					return end + p
				}
			}
			// The city scan stopped inside a postcode's letters: back up
			// to the space before them and try there.
			if sp := strings.LastIndexByte(rest[:k], ' '); sp > 2 {
				if p := ukPostcode(rest, sp); p > 0 {
					return end + p
				}
			}
			// A bare city after the street is part of the address only if
			// it is short (one or two words).
			if strings.Count(rest[2:city], " ") <= 1 {
				return end + city
			}
			return end
		default:
			return end
		}
	}
}

func hasFoldPrefix(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}
