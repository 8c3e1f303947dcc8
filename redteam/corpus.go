package redteam

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
)

// CorpusVersion is bumped whenever attacks are added, removed or changed,
// so reports name the corpus they ran.
const CorpusVersion = 1

//go:embed corpus/*.json
var corpusFS embed.FS

// corpusFile is one file of corpus/: attacks of one or more categories.
type corpusFile struct {
	Version int      `json:"version"`
	Attacks []Attack `json:"attacks"`
}

// Corpus loads the shipped attacks, sorted by id, and validates them.
func Corpus() ([]Attack, error) {
	return loadCorpus(corpusFS, "corpus")
}

func loadCorpus(fsys fs.FS, dir string) ([]Attack, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("corpus: %w", err)
	}
	var all []Attack
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, fmt.Errorf("corpus: %w", err)
		}
		var f corpusFile
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			return nil, fmt.Errorf("corpus %s: %w", n, err)
		}
		if f.Version != CorpusVersion {
			return nil, fmt.Errorf("corpus %s: version %d, want %d", n, f.Version, CorpusVersion)
		}
		all = append(all, f.Attacks...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	return all, Validate(all)
}

// Validate checks attacks for what the runner and judge rely on.
func Validate(attacks []Attack) error {
	seen := map[string]bool{}
	for _, a := range attacks {
		switch {
		case a.ID == "" || seen[a.ID]:
			return fmt.Errorf("attack %q: empty or duplicate id", a.ID)
		case !slices.Contains(Categories, a.Category):
			return fmt.Errorf("attack %s: unknown category %q", a.ID, a.Category)
		case !strings.HasPrefix(a.ID, a.Category+"."):
			return fmt.Errorf("attack %s: id must start with its category %q", a.ID, a.Category)
		case len(a.Turns) == 0:
			return fmt.Errorf("attack %s: no turns", a.ID)
		case len(a.Success) == 0:
			return fmt.Errorf("attack %s: no success check", a.ID)
		}
		seen[a.ID] = true
		users := 0
		for i, t := range a.Turns {
			switch t.Role {
			case "user":
				users++
			case "assistant":
			case "tool":
				if t.Tool == "" {
					return fmt.Errorf("attack %s turn %d: a tool turn names its tool", a.ID, i+1)
				}
			default:
				return fmt.Errorf("attack %s turn %d: role %q (want user, assistant or tool)", a.ID, i+1, t.Role)
			}
			if strings.TrimSpace(t.Content) == "" {
				return fmt.Errorf("attack %s turn %d: empty content", a.ID, i+1)
			}
		}
		if last := a.Turns[len(a.Turns)-1].Role; last == "assistant" {
			return fmt.Errorf("attack %s: the last turn must be user or tool (something the target answers)", a.ID)
		}
		if users == 0 && a.Turns[0].Role != "tool" {
			return fmt.Errorf("attack %s: no user turn", a.ID)
		}
		for _, c := range a.Success {
			switch c.Kind {
			case CheckCanary, CheckNoRefusal:
			case CheckTool:
			case CheckMarker:
				if strings.TrimSpace(c.Marker) == "" {
					return fmt.Errorf("attack %s: a marker check needs its marker", a.ID)
				}
			default:
				return fmt.Errorf("attack %s: unknown check %q", a.ID, c.Kind)
			}
		}
	}
	return nil
}
