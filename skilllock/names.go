package skilllock

import (
	"bufio"
	_ "embed"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
)

//go:embed popular.txt
var popularTxt string

// PopularNames returns the embedded list of well-known skill names
// (popular.txt says where each comes from).
func PopularNames() []string {
	names, err := readNames(strings.NewReader(popularTxt), nil)
	if err != nil {
		// popular.txt is compiled in; TestPopularListParses keeps it valid.
		panic(fmt.Sprintf("skilllock: embedded popular.txt: %v", err))
	}
	return names
}

// readNames reads one name a line; "#" starts a comment, blank lines are
// skipped. valid, if set, checks each name.
func readNames(r io.Reader, valid *regexp.Regexp) ([]string, error) {
	var names []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if valid != nil && !valid.MatchString(line) {
			return nil, fmt.Errorf("line %d: %q is not a publisher handle (letters, digits, '-', '_', '.') or (local)", n, line)
		}
		names = append(names, line)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}

// ReadNames reads a list of extra well-known skill names in popular.txt's
// format (for --popular).
func ReadNames(r io.Reader) ([]string, error) {
	return readNames(r, nil)
}

// Allowlist is the set of publishers whose skills may be installed.
type Allowlist struct {
	handles map[string]bool // lower case
}

// LocalPublisher, listed in an allowlist, admits skills with no registry
// publisher: ones written or copied by hand. The parentheses keep it from
// being any real handle.
const LocalPublisher = "(local)"

var handle = regexp.MustCompile(`^(?:[A-Za-z0-9][A-Za-z0-9._-]{0,99}|\(local\))$`)

// ReadAllowlist reads a publisher allowlist: one ClawHub owner handle a
// line (compared without regard to case, as ClawHub's handles are GitHub
// logins), "#" comments, and "(local)" to admit skills no registry
// published. An empty list admits nobody.
func ReadAllowlist(r io.Reader) (*Allowlist, error) {
	names, err := readNames(r, handle)
	if err != nil {
		return nil, fmt.Errorf("publisher allowlist: %w", err)
	}
	a := &Allowlist{handles: map[string]bool{}}
	for _, n := range names {
		a.handles[strings.ToLower(n)] = true
	}
	return a, nil
}

// Allows reports whether a skill by publisher ("" for none) is admitted.
func (a *Allowlist) Allows(publisher string) bool {
	if publisher == "" {
		publisher = LocalPublisher
	}
	return a.handles[strings.ToLower(publisher)]
}
