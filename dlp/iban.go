package dlp

// ibanLengths is the length of an IBAN in each country that issues them
// (SWIFT IBAN registry).
var ibanLengths = map[string]int{
	"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
	"BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
	"EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
	"GL": 18, "GR": 27, "GT": 28, "HN": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
	"IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21,
	"LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28,
	"NL": 18, "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22,
	"RU": 33, "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25,
	"SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}

// ibanRecognizer finds IBANs, compact or in groups of four, that have their
// country's length and pass the ISO 7064 mod-97 check.
func ibanRecognizer() *recognizer {
	return &recognizer{
		typ: IBAN, name: "iban.mod97",
		find:    findIBANs,
		context: []string{"iban", "account", "bank", "transfer", "wire"}, boost: 0.05,
		positives: []string{
			"IBAN: DE89 3704 0044 0532 0130 00.",
			"wire to GB82WEST12345698765432 today",
			"Konto FR14 2004 1010 0505 0001 3M02 606",
		},
		negatives: []string{
			"DE89 3704 0044 0532 0130 01",
			"GB82WEST12345698765433",
			"XX12 3456 7890",
			"ISBN DE12 is not",
		},
	}
}

func findIBANs(t *textScan, out []Entity) []Entity {
	text := t.text
	var bufArray [40]byte
	next := 0 // where the last IBAN ended
	// An IBAN's check digits start a run of digits after two capitals.
	for _, d := range t.digitRuns() {
		i := int(d) - 2
		if i < next || i+4 > len(text) || !isUpper(text[i]) || !isUpper(text[i+1]) || !isDigit(text[i+3]) {
			continue
		}
		if i > 0 && isAlnum(text[i-1]) {
			continue
		}
		want, ok := ibanLengths[text[i:i+2]]
		if !ok {
			continue
		}
		buf := bufArray[:0]
		j := i
		for j < len(text) && len(buf) < want {
			c := text[j]
			switch {
			case isDigit(c) || isUpper(c):
				buf = append(buf, c)
				j++
			case c == ' ' && len(buf)%4 == 0 && j+1 < len(text) && (isDigit(text[j+1]) || isUpper(text[j+1])):
				j++
			default:
				goto done
			}
		}
	done:
		if len(buf) != want || j < len(text) && isAlnum(text[j]) || !mod97(buf) {
			continue
		}
		out = append(out, Entity{Start: i, End: j, Score: 0.9})
		next = j
	}
	return out
}

// mod97 checks an IBAN: move the first four characters to the end, read
// letters as 10..35, and the number mod 97 must be 1.
func mod97(iban []byte) bool {
	r := 0
	add := func(c byte) {
		if isDigit(c) {
			r = (r*10 + int(c-'0')) % 97
		} else {
			v := int(c-'A') + 10
			r = (r*100 + v) % 97
		}
	}
	for _, c := range iban[4:] {
		add(c)
	}
	for _, c := range iban[:4] {
		add(c)
	}
	return r == 1
}
