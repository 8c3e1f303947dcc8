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
		},
		negatives: []string{
			"chapter 3 Main Characters",
			"page 12 Table Of Contents",
			"in 2024 Street Fighter was released",
			"the street is quiet",
		},
	}
}

func findAddresses(text string, out []Entity) []Entity {
	out = findStreetFirst(text, out)
	for i := 0; i < len(text); i++ {
		if !isDigit(text[i]) || i > 0 && (isAlnum(text[i-1]) || text[i-1] == '.' || text[i-1] == '-' || text[i-1] == '$') {
			continue
		}
		j := i
		for j < len(text) && isDigit(text[j]) {
			j++
		}
		if j-i > 6 {
			i = j
			continue
		}
		if j < len(text) && isUpper(text[j]) && (j+1 >= len(text) || text[j+1] == ' ') {
			j++ // 221B
		}
		if j >= len(text) || text[j] != ' ' {
			i = j
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
				if streetSuffixes[asciiLower(w)] && words > 0 {
					suffixEnd = we
				}
				break
			}
			words++
			k = we
			if streetSuffixes[asciiLower(w)] && words > 1 {
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
			i = j
			continue
		}
		end := addressTail(text, suffixEnd)
		score := 0.7
		if end > suffixEnd+4 {
			score = 0.85 // with a unit, city or postcode
		}
		out = append(out, Entity{Start: i, End: end, Score: score})
		i = end
	}
	return out
}

// findStreetFirst finds German-style addresses: "Hauptstraße 5".
func findStreetFirst(text string, out []Entity) []Entity {
	lower := strings.ToLower(text)
	for _, suf := range germanStreet {
		for off := 0; ; {
			k := strings.Index(lower[off:], suf)
			if k < 0 {
				break
			}
			k += off
			off = k + len(suf)
			// The word containing the suffix must be capitalised.
			s := k
			for s > 0 && (isLetter(text[s-1]) || text[s-1] >= 0x80) {
				s--
			}
			if s == k && suf != "str." || s >= len(text) || !isUpper(text[s]) {
				continue
			}
			e := off
			if e+1 >= len(text) || text[e] != ' ' || !isDigit(text[e+1]) {
				continue
			}
			e++
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

func ordinal(w string) bool {
	n := len(w)
	if n < 3 {
		return false
	}
	s := asciiLower(w[n-2:])
	return (s == "st" || s == "nd" || s == "rd" || s == "th") && isDigit(w[n-3])
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
		case hasFoldPrefix(rest, ", apt ") || hasFoldPrefix(rest, " apt ") || hasFoldPrefix(rest, ", suite ") ||
			hasFoldPrefix(rest, " suite ") || hasFoldPrefix(rest, ", unit ") || hasFoldPrefix(rest, ", #") || hasFoldPrefix(rest, " #"):
			k := strings.IndexAny(rest[1:], " #") + 2
			for k < len(rest) && (isAlnum(rest[k]) || rest[k] == '-') {
				k++
			}
			if k == strings.IndexAny(rest[1:], " #")+2 {
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
