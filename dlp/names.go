package dlp

import (
	"bufio"
	"embed"
	"fmt"
	"strings"
)

//go:embed names/first.txt names/last.txt names/common.txt
var nameFiles embed.FS

// nameRecognizer finds people's names: capitalised words that a gazetteer
// of first names and surnames knows, scored up by the shape of a full name
// (first + last), by titles (Dr., Ms.) and by the words around names in
// letters (Dear, Regards), and down when the word is also a common word.
type nameRecognizer struct {
	first, last, common map[string]bool
}

func newNameRecognizer() (*recognizer, error) {
	n := &nameRecognizer{}
	var err error
	if n.first, err = readNames("names/first.txt"); err != nil {
		return nil, err
	}
	if n.last, err = readNames("names/last.txt"); err != nil {
		return nil, err
	}
	if n.common, err = readNames("names/common.txt"); err != nil {
		return nil, err
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
		},
		negatives: []string{
			"The Will of the People",
			"May the best team win",
			"Rose Garden Street is closed",
			"Call the Main Street office",
			"We Grant Access To Everyone",
			"Sales Report For March",
		},
	}, nil
}

func readNames(path string) (map[string]bool, error) {
	f, err := nameFiles.Open(path)
	if err != nil {
		return nil, fmt.Errorf("name list: %w", err)
	}
	defer f.Close()
	m := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if w := strings.TrimSpace(sc.Text()); w != "" && w[0] != '#' {
			m[w] = true
		}
	}
	return m, sc.Err()
}

// titles and cues before a name, lowercase.
var (
	nameTitles = map[string]bool{"mr": true, "mrs": true, "ms": true, "miss": true, "dr": true, "prof": true, "professor": true, "sir": true, "madam": true, "mx": true}
	nameCues   = []string{"dear ", "hi ", "hello ", "hey ", "regards,", "regards ", "sincerely,", "thanks,", "thank you,", "cheers,", "best,", "from:", "to:", "cc:", "name:", "signed,", "yours,", "by ", "with ", "contact "}
)

// word is a token of letters (and apostrophes or hyphens inside).
type word struct{ start, end int }

func (n *nameRecognizer) find(text string, out []Entity) []Entity {
	var buf []byte
	lower := func(w word) string {
		buf = buf[:0]
		for i := w.start; i < w.end; i++ {
			c := text[i]
			if isUpper(c) {
				c += 32
			}
			buf = append(buf, c)
		}
		return string(buf)
	}
	for i := 0; i < len(text); {
		w, ok := nextCapitalised(text, i)
		if !ok {
			break
		}
		i = w.end
		lw := lower(w)
		title := nameTitles[strings.TrimSuffix(lw, ".")]
		start := w.start
		parts := []word{}
		if title {
			// "Dr. Alan Turing": the name follows the title.
			nw, ok := adjacentCapitalised(text, w.end)
			if !ok {
				continue
			}
			w, lw = nw, lower(nw)
			start = nw.start
		}
		parts = append(parts, w)
		isFirst, isLast := n.first[lw], n.last[lw]
		if !isFirst && !isLast && !title {
			continue
		}
		// Extend with a middle initial and further capitalised name words.
		end := w.end
		for len(parts) < 4 {
			nw, ok := adjacentCapitalised(text, end)
			if !ok {
				break
			}
			lnw := lower(nw)
			if len(lnw) == 2 && lnw[1] == '.' || n.last[lnw] || n.first[lnw] && len(parts) < 2 {
				parts = append(parts, nw)
				end = nw.end
				continue
			}
			break
		}
		i = end
		score := 0.0
		common := n.common[lw]
		switch {
		case title:
			score = 0.85
		case len(parts) >= 2 && isFirst:
			score = 0.8
			if common {
				score = 0.55
			}
			if n.common[lower(parts[len(parts)-1])] {
				score -= 0.25
			}
		case isFirst:
			score = 0.45
			if common {
				score = 0.2
			}
		default:
			score = 0.3 // a surname alone
		}
		before := asciiLower(text[max(0, start-16):start])
		if containsAny(before, nameCues) {
			score += 0.3
		}
		if atSentenceStart(text, start) && !title && len(parts) == 1 {
			score -= 0.1
		}
		if afterStreetNumber(text, start) {
			score -= 0.5
		}
		if len(parts) == 1 && !title && followedByStreetWord(text, end) {
			score -= 0.5
		}
		if len(parts) >= 2 && followedByStreetWord(text, end) {
			score -= 0.5
		}
		out = append(out, Entity{Start: start, End: end, Score: clamp01(score)})
	}
	return out
}

// nextCapitalised finds the next word at or after i that starts with an
// uppercase ASCII letter, followed by lowercase letters (or a title's dot).
func nextCapitalised(text string, i int) (word, bool) {
	for i < len(text) {
		if !isUpper(text[i]) || i > 0 && (isAlnum(text[i-1]) || text[i-1] == '_' || text[i-1] == '@') {
			i++
			continue
		}
		w, ok := capitalisedAt(text, i)
		if ok {
			return w, true
		}
		for i < len(text) && isAlnum(text[i]) {
			i++
		}
	}
	return word{}, false
}

// capitalisedAt reads "Name", "O'Brien", "Smith-Jones" or an initial "J."
// starting at i.
func capitalisedAt(text string, i int) (word, bool) {
	j := i + 1
	lowers := 0
	for j < len(text) {
		c := text[j]
		switch {
		case 'a' <= c && c <= 'z':
			lowers++
		case (c == '\'' || c == '-') && j+1 < len(text) && isLetter(text[j+1]) && j > i:
		case isUpper(c) && j > i && (text[j-1] == '\'' || text[j-1] == '-' || text[j-1] == 'c' && j == i+2 && text[i] == 'M'):
		default:
			goto done
		}
		j++
	}
done:
	if j < len(text) && (isDigit(text[j]) || text[j] == '_' || isUpper(text[j])) {
		return word{}, false // CamelCase, CONSTANTS and identifiers are not names
	}
	if lowers == 0 {
		if j < len(text) && text[j] == '.' && j == i+1 {
			return word{i, j + 1}, true // an initial
		}
		return word{}, false
	}
	if j < len(text) && text[j] == '.' && j-i <= 5 && nameTitles[asciiLower(text[i:j])] {
		j++ // "Dr."
	}
	return word{i, j}, true
}

// adjacentCapitalised reads the capitalised word right after end, separated
// by exactly one space.
func adjacentCapitalised(text string, end int) (word, bool) {
	if end+1 >= len(text) || text[end] != ' ' || !isUpper(text[end+1]) {
		return word{}, false
	}
	return capitalisedAt(text, end+1)
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
	_, ok := streetSuffixes[asciiLower(text[end+1:k])]
	return ok
}
