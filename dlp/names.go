package dlp

import (
	"bufio"
	"embed"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

//go:embed names/first.txt names/last.txt names/common.txt names/words.txt
var nameFiles embed.FS

// nameRecognizer finds people's names. A candidate is a run of capitalised
// words ("Margaret Thompson", "Jürgen Müller", "Mary J. O'Brien"). Each
// word is looked up: a given name or a surname the gazetteer knows, a name
// that is usually an ordinary word ("Will", "Rose": common.txt), an English
// word ("Customer", "Period": words.txt), or unknown. English words split
// a run, since they are not part of a name; the rest of the run scores by
// how many of its words the gazetteer knows. The words around a run then
// move the score: a greeting or sign-off ("Dear", "Regards,"), a label
// ("Name:", "Payee:"), a title ("Dr."), an email address after it, or
// another name it is listed with raise it, so that names the gazetteer
// has never seen — most of the world's — are found where a person is
// named, and a known name alone is not enough where nothing says so.
type nameRecognizer struct {
	kinds map[string]uint8 // lowercase word → what it is (kind bits)
}

// Kinds of word, as bits: a word can be both a given name and a surname.
const (
	kindFirst  uint8 = 1 << iota // a given name
	kindLast                     // a surname
	kindCommon                   // a name that is more often an ordinary word
	kindWord                     // an English word that is no name
	kindTitle                    // Mr, Dr: see nameTitles
	kindStreet                   // Street, Ave: see streetSuffixes
)

func newNameRecognizer() (*recognizer, error) {
	n := &nameRecognizer{kinds: make(map[string]uint8, 60000)}
	for _, f := range []struct {
		path string
		kind uint8
	}{
		{"names/first.txt", kindFirst}, {"names/last.txt", kindLast},
		{"names/common.txt", kindCommon}, {"names/words.txt", kindWord},
	} {
		if err := readNames(f.path, func(w string) { n.kinds[w] |= f.kind }); err != nil {
			return nil, err
		}
	}
	// Words that start place names ("San Jose", "St. Louis") are not names.
	for _, w := range []string{"san", "santa", "santo", "los", "las", "st", "ste", "mt", "ft", "port", "fort", "mount", "lake", "north", "south", "east", "west", "new", "upper", "lower"} {
		n.kinds[w] = kindWord
	}
	// One look-up per word tells all.
	for w := range nameTitles {
		n.kinds[w] |= kindTitle
	}
	for w := range streetSuffixes {
		n.kinds[w] |= kindStreet
	}
	return &recognizer{
		typ: Person, name: "person.gazetteer",
		find: n.find,
		positives: []string{
			"Regards, Margaret Thompson",
			"Dear Mr. Okafor, thank you",
			"meeting with John Smith and Maria Garcia",
			"Dr. Alan Turing wrote",
			"Hi Jennifer,\nthe report is attached",
			"Thanks,\nChiamaka Eze",               // a name the gazetteer does not know, after a sign-off
			"Reviewer: Jürgen Müller",             // letters beyond ASCII
			"assigned to Karim Darwish yesterday", // one known part
			"From: Haoran Guo <haoran.guo@northwind.io>",
			"panel: Mary Smith, Tunde Adeyemi and Wei Zhang",
			`{"name": "Lakshmi Venkataraman"}`,
		},
		negatives: []string{
			"The Will of the People",
			"May the best team win",
			"Rose Garden Street is closed",
			"Call the Main Street office",
			"We Grant Access To Everyone",
			"Sales Report For March",
			"Dear Customer, your order shipped",
			"Regards,\nCustomer Support",
			"Victoria Falls and San Jose",
			"Dr Pepper is a drink",
			"@Override\npublic String toString()",
			"Baker Street is on the Bakerloo line",
			"Lieferadresse: Unter den Linden 30, 10117 Berlin",
		},
	}, nil
}

func readNames(path string, add func(string)) error {
	f, err := nameFiles.Open(path)
	if err != nil {
		return fmt.Errorf("name list: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if w := strings.TrimSpace(sc.Text()); w != "" && w[0] != '#' {
			add(w)
		}
	}
	return sc.Err()
}

// Words before and after names, lowercase.
var (
	nameTitles = map[string]bool{"mr": true, "mrs": true, "ms": true, "miss": true, "dr": true, "prof": true, "professor": true, "sir": true, "madam": true, "mx": true, "herr": true, "frau": true}
	// nameCues are the words that put a name right after them, by kind.
	nameCues = cueTable(map[uint8][]string{
		// Greetings and sign-offs.
		cueGreeting: {"dear", "hi", "hello", "hey", "hallo", "liebe", "lieber", "thanks", "thx"},
		cueSignoff:  {"regards", "cheers", "thanks", "sincerely", "best", "yours", "signed", "faithfully", "truly", "wishes", "grüßen", "grüße", "gruß", "gruss"},
		// Labels name the person in a form, header or record ("Payee:
		// ...", "name": "...").
		cueLabel: {"name", "customer", "client", "author", "reviewer", "payee", "holder", "applicant", "patient", "employee",
			"contact", "kontakt", "attendees", "panel", "from", "to", "cc", "bcc", "owner", "assignee", "manager", "recipient",
			"sender", "member", "tenant", "guest", "passenger", "buyer", "seller", "landlord", "beneficiary", "student",
			"candidate", "witness", "caller", "requester", "reporter", "attn", "by"},
		// Words that often precede a name in running text.
		cueWeak: {"by", "with", "to", "welcome", "cc", "via"},
	})
)

// Kinds of cue word, as bits.
const (
	cueGreeting uint8 = 1 << iota
	cueSignoff
	cueLabel
	cueWeak
)

func cueTable(kinds map[uint8][]string) map[string]uint8 {
	m := map[string]uint8{}
	for k, words := range kinds {
		for _, w := range words {
			m[w] |= k
		}
	}
	return m
}

// cueShapes has, for each first byte of a cue word, a bit for each length
// a cue word with it has: most words before a capital are no cue, and this
// says so without a look-up.
var cueShapes = func() (s [256]uint16) {
	for w := range nameCues {
		if len(w) < 16 {
			s[w[0]] |= 1 << len(w)
			if 'a' <= w[0] && w[0] <= 'z' {
				s[w[0]-'a'+'A'] |= 1 << len(w)
			}
		}
	}
	return s
}()

// Score steps, named so the rules below read as sentences.
const (
	scoreStrongCue = 0.35 // greeting, sign-off, label
	scoreWeakCue   = 0.15 // "with", "by", a mention
	scoreTitle     = 0.35
	scoreAfter     = 0.2 // " <email>", " wrote"
	scoreListed    = 0.2 // listed with a name just found
)

// nameToken is one capitalised word of a run.
type nameToken struct {
	start, end int
	kind       uint8
	initial    bool // "J."
	title      bool // "Dr."
}

func (n *nameRecognizer) find(ts *textScan, out []Entity) []Entity {
	text := ts.text
	// Candidates below floor are dropped by the engine; a lone word that
	// cannot reach it is not looked up.
	floor := min(ts.minScore, DefaultMinScore)
	var words []word
	var run []nameToken
	prevEnd, prevFound := -1, false
	for i := 0; i < len(text); {
		w, ok := nextCapitalised(text, i)
		if !ok {
			break
		}
		words = append(words[:0], w)
		end := w.end
		for len(words) < 6 {
			nw, ok := adjacentCapitalised(text, end)
			if !ok {
				break
			}
			words = append(words, nw)
			end = nw.end
		}
		i = end
		if len(words) == 1 {
			// The most a lone word can score: a given name with every cue.
			best := 0.45 + cueAfter(text, w.end)
			if c := cueBefore(text, w.start); c >= scoreStrongCue {
				best += c
			}
			if prevFound && listedAfter(text, prevEnd, w.start) {
				best += scoreListed
			}
			if best < floor {
				prevFound = false
				continue
			}
		}
		run = run[:0]
		for _, w := range words {
			run = append(run, n.token(text, w))
		}
		// Split the run at English words and titles; what is left between
		// them are the candidates.
		titled := false
		for s := 0; s < len(run); {
			t := run[s]
			if t.title || t.kind&kindWord != 0 {
				titled = t.title
				s++
				continue
			}
			e := s
			for e < len(run) && !run[e].title && run[e].kind&kindWord == 0 {
				e++
			}
			// A common word that is no given name does not begin a name
			// ("Call Margaret Thompson"); "Will Smith" keeps its Will.
			for e-s > 1 && run[s].kind&kindCommon != 0 && run[s].kind&kindFirst == 0 &&
				run[s+1].kind&(kindFirst|kindLast) != 0 && run[s+1].kind&kindCommon == 0 {
				s++
			}
			score, ok := n.score(text, run[s:e], titled)
			titled = false
			if ok {
				start, stop := run[s].start, run[e-1].end
				if prevFound && listedAfter(text, prevEnd, start) {
					score += scoreListed
				}
				score = clamp01(score)
				out = append(out, Entity{Start: start, End: stop, Score: score})
				prevEnd, prevFound = stop, score >= DefaultMinScore
			}
			s = e
		}
	}
	return out
}

// token classifies a capitalised word.
func (n *nameRecognizer) token(text string, w word) nameToken {
	t := nameToken{start: w.start, end: w.end}
	s := text[w.start:w.end]
	switch {
	case len(s) == 2 && s[1] == '.':
		t.initial = true
		return t
	case s[len(s)-1] == '.':
		t.title = true
		return t
	}
	var buf [24]byte
	if len(s) > len(buf) {
		return t
	}
	b := buf[:0]
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 0x80:
			return t // the lists are ASCII: an accented word is unknown to them
		case c == '\'':
			continue // O'Brien is listed as obrien
		case isUpper(c):
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	k := n.kinds[string(b)]
	switch {
	case k&kindTitle != 0:
		t.title = true
		return t
	case k&kindStreet != 0:
		t.kind = kindWord // "Baker Street" names a street
		return t
	}
	t.kind = k
	if t.kind == 0 && strings.IndexByte(s, '-') > 0 {
		// Smith-Jones is a name if a part is; Coca-Cola is a word if every
		// part is.
		words := true
		for _, p := range strings.Split(string(b), "-") {
			k := n.kinds[p]
			if k&(kindFirst|kindLast) != 0 && k&kindCommon == 0 {
				t.kind = kindLast
				return t
			}
			words = words && k&kindWord != 0
		}
		if words {
			t.kind = kindWord
		}
	}
	return t
}

// score rates a candidate: the words of a run between English words and
// titles. ok is false when it cannot be a name at all.
func (n *nameRecognizer) score(text string, ts []nameToken, titled bool) (float64, bool) {
	words, known, common := 0, 0, 0
	lastCommon := false
	var only uint8
	for _, t := range ts {
		if t.initial {
			continue
		}
		words++
		only = t.kind
		lastCommon = t.kind&kindCommon != 0
		switch {
		case t.kind&kindCommon != 0:
			common++
		case t.kind&(kindFirst|kindLast) != 0:
			known++
		}
	}
	if words == 0 {
		return 0, false
	}
	start, end := ts[0].start, ts[len(ts)-1].end
	score := 0.0
	if words == 1 {
		switch {
		case only&kindCommon != 0:
			score = 0.1
		case only&kindFirst != 0:
			score = 0.45
		case only&kindLast != 0:
			score = 0.3
		default:
			score = 0.25
		}
	} else {
		switch {
		case known >= 2:
			score = 0.85
		case known == 1:
			score = 0.7
		default:
			score = 0.4
		}
		if lastCommon {
			score -= 0.3 // "Jordan Brand"
			common--
		}
		score -= 0.1 * float64(common)
	}
	if titled {
		score += scoreTitle
	}
	cue := cueBefore(text, start)
	if words == 1 && !titled && cue < scoreStrongCue {
		cue = 0 // a lone name needs a greeting, a sign-off, a label or a title
	}
	score += cue + cueAfter(text, end)
	if words == 1 && !titled && atSentenceStart(text, start) {
		score -= 0.1
	}
	if afterStreetNumber(text, start) || followedByStreetWord(text, end) {
		score -= 0.5
	}
	if followedByHouseNumber(text, end) {
		score -= 0.4 // "Unter den Linden 30"
	}
	return score, true
}

// cueBefore rates what precedes a name: a greeting or sign-off or a label
// is a strong cue, a preposition or an @ mention a weak one.
func cueBefore(text string, start int) float64 {
	if start > 0 && text[start-1] == '@' {
		if start > 1 && isAlnum(text[start-2]) {
			return 0
		}
		return scoreWeakCue
	}
	var comma, line, label, space bool
	j := start
scan:
	for ; j > 0 && start-j < 8; j-- {
		switch text[j-1] {
		case ' ', '\t':
			space = true
		case '\n', '\r':
			line = true
		case ',':
			comma = true
		case ':', '=':
			label = true
		case '"', '\'':
		default:
			break scan
		}
	}
	k := j
	for k > 0 && j-k < 16 && (isLetter(text[k-1]) || text[k-1] >= 0x80) {
		k--
	}
	if k == j {
		return 0
	}
	ws := text[k:j]
	var cue uint8
	if len(ws) < 16 && cueShapes[ws[0]]&(1<<len(ws)) != 0 {
		cue = lookupLower(nameCues, ws)
	}
	switch {
	case (comma || line) && cue&cueSignoff != 0:
		return scoreStrongCue
	case !line && !label && cue&cueGreeting != 0:
		return scoreStrongCue
	case (label || comma) && (cue&cueLabel != 0 || len(ws) >= 4 && strings.EqualFold(ws[len(ws)-4:], "name")):
		return scoreStrongCue
	case label:
		return scoreWeakCue // "Anything: Name"
	case space && !comma && !line && cue&(cueWeak|cueLabel) != 0:
		return scoreWeakCue
	}
	return 0
}

// cueAfter rates what follows a name: an email address in angle brackets
// (a mail header, a commit author) or a verb of saying.
func cueAfter(text string, end int) float64 {
	if end+2 >= len(text) || text[end] != ' ' && text[end] != ',' {
		return 0 // the cues below all begin with a space or a comma
	}
	rest := text[end:min(len(text), end+80)]
	switch {
	case strings.HasPrefix(rest, " <"):
		if k := strings.IndexByte(rest, '>'); k > 0 && strings.IndexByte(rest[:k], '@') > 0 {
			return scoreAfter
		}
	case hasFoldPrefix(rest, " wrote") || hasFoldPrefix(rest, " said") || hasFoldPrefix(rest, " schrieb") || strings.HasPrefix(rest, ", who "):
		return scoreAfter
	}
	return 0
}

// listedAfter reports whether the text between a name that ended at
// prevEnd and a candidate at start joins them in a list.
func listedAfter(text string, prevEnd, start int) bool {
	if prevEnd < 0 || start <= prevEnd || start-prevEnd > 6 {
		return false
	}
	switch text[prevEnd:start] {
	case ", ", " and ", " & ", ", and ", " und ", " or ", "; ":
		return true
	}
	return false
}

// word is a token of letters (and apostrophes or hyphens inside).
type word struct{ start, end int }

// nextCapitalised finds the next word at or after i that starts with an
// uppercase letter, followed by lowercase letters (or a title's dot).
func nextCapitalised(text string, i int) (word, bool) {
	for i < len(text) {
		if i = nextUpper(text, i); i == len(text) {
			break
		}
		c := text[i]
		if i > 0 && (isAlnum(text[i-1]) || text[i-1] == '_') {
			// Inside a word (CamelCase, CONSTANT): skip the rest of it.
			i++
			for i < len(text) && (isAlnum(text[i]) || text[i] == '_') {
				i++
			}
			continue
		}
		if i > 0 && text[i-1] >= 0x80 && letterBefore(text, i) {
			i++
			continue
		}
		if c >= 0x80 {
			r, size := utf8.DecodeRuneInString(text[i:])
			if !unicode.IsUpper(r) {
				i += size
				continue
			}
		}
		if i > 0 && text[i-1] == '@' && i > 1 && isAlnum(text[i-2]) {
			i++ // the domain of an address
			continue
		}
		w, ok := capitalisedAt(text, i)
		if ok {
			return w, true
		}
		i++
		for i < len(text) && (isAlnum(text[i]) || text[i] >= 0x80) {
			i++
		}
	}
	return word{}, false
}

// letterBefore reports whether the rune ending at i is a letter.
func letterBefore(text string, i int) bool {
	r, _ := utf8.DecodeLastRuneInString(text[:i])
	return unicode.IsLetter(r)
}

// capitalisedAt reads "Name", "Jürgen", "O'Brien", "Smith-Jones",
// "McBride", an initial "J." or a title "Dr." starting at i.
func capitalisedAt(text string, i int) (word, bool) {
	j := i + 1
	if text[i] >= 0x80 {
		_, size := utf8.DecodeRuneInString(text[i:])
		j = i + size
	}
	lowers := 0
	for j < len(text) {
		c := text[j]
		switch {
		case 'a' <= c && c <= 'z':
			lowers++
			j++
			continue
		case c >= 0x80:
			r, size := utf8.DecodeRuneInString(text[j:])
			if unicode.IsLower(r) {
				lowers++
				j += size
				continue
			}
			if unicode.IsUpper(r) && (text[j-1] == '\'' || text[j-1] == '-') {
				j += size
				continue
			}
		case (c == '\'' || c == '-') && j+1 < len(text) && (isLetter(text[j+1]) || text[j+1] >= 0x80):
			j++
			continue
		case isUpper(c) && (text[j-1] == '\'' || text[j-1] == '-' || j == i+2 && text[i:j] == "Mc" || j == i+3 && text[i:j] == "Mac"):
			j++
			continue
		}
		break
	}
	if j < len(text) {
		c := text[j]
		if isDigit(c) || c == '_' || isUpper(c) || c >= 0x80 {
			return word{}, false // CamelCase, CONSTANTS and identifiers are not names
		}
		if (c == '.' || c == '@') && j+1 < len(text) && isAlnum(text[j+1]) {
			return word{}, false // part of a domain, an address or a dotted path
		}
	}
	if lowers == 0 {
		if j < len(text) && text[j] == '.' && j == i+1 {
			return word{i, j + 1}, true // an initial
		}
		return word{}, false
	}
	if strings.HasSuffix(text[i:j], "'s") {
		j -= 2 // a possessive: Smith's
	}
	if j < len(text) && text[j] == '.' && j-i <= 5 && lookupLower(nameTitles, text[i:j]) {
		j++ // "Dr."
	}
	return word{i, j}, true
}

// nameParticles join the parts of a name in lower case: "Ludwig van
// Beethoven", "Ana de la Cruz".
var nameParticles = map[string]bool{"van": true, "von": true, "de": true, "der": true, "da": true, "di": true, "du": true, "del": true, "della": true, "le": true, "la": true, "bin": true, "ibn": true, "al": true, "el": true, "ter": true, "dos": true}

// adjacentCapitalised reads the capitalised word right after end, separated
// by one space, or by particles and single spaces.
func adjacentCapitalised(text string, end int) (word, bool) {
	for range 3 {
		if end+1 >= len(text) || text[end] != ' ' {
			return word{}, false
		}
		c := text[end+1]
		if isUpper(c) || c >= 0x80 {
			if c >= 0x80 {
				if r, _ := utf8.DecodeRuneInString(text[end+1:]); !unicode.IsUpper(r) {
					return word{}, false
				}
			}
			return capitalisedAt(text, end+1)
		}
		k := end + 1
		for k < len(text) && 'a' <= text[k] && text[k] <= 'z' {
			k++
		}
		if !nameParticles[text[end+1:k]] {
			return word{}, false
		}
		end = k
	}
	return word{}, false
}

func atSentenceStart(text string, i int) bool {
	j := i - 1
	for j >= 0 && (text[j] == ' ' || text[j] == '\t') {
		j--
	}
	return j < 0 || text[j] == '.' || text[j] == '!' || text[j] == '?' || text[j] == '\n' || text[j] == '"'
}

func afterStreetNumber(text string, i int) bool {
	j := i - 1
	if j < 0 || text[j] != ' ' {
		return false
	}
	return j > 0 && isDigit(text[j-1])
}

func followedByStreetWord(text string, end int) bool {
	if end+1 >= len(text) || text[end] != ' ' {
		return false
	}
	k := end + 1
	for k < len(text) && isLetter(text[k]) {
		k++
	}
	return lookupLower(streetSuffixes, text[end+1:k])
}

// followedByHouseNumber reports " 30," or " 12a" at the end of a line:
// the number that follows a street name in much of Europe.
func followedByHouseNumber(text string, end int) bool {
	if end+1 >= len(text) || text[end] != ' ' || !isDigit(text[end+1]) {
		return false
	}
	k := end + 1
	for k < len(text) && k-end <= 4 && isDigit(text[k]) {
		k++
	}
	if k < len(text) && 'a' <= text[k] && text[k] <= 'z' {
		k++
	}
	return k == len(text) || text[k] == ',' || text[k] == '\n'
}
