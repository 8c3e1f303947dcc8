package policy

import (
	"fmt"
	"path"
	"strings"
)

// A pattern names tools: an exact name, an OpenClaw group, or a glob ("*",
// "email.*"). When several patterns of a profile match a tool, the most
// specific wins — an exact name over a group over a glob, and of two globs
// the one with more literal characters — so that `allow: [read]` with
// `deny: ["*"]` allows read and denies the rest.
type pattern struct {
	text  string
	exact string          // exact tool name
	group map[string]bool // members of a group
	glob  string          // path.Match pattern
}

// Specificity of a match, highest wins; a glob adds its literal
// characters to specGlob.
const (
	specGlob  = 1000
	specGroup = 2000
	specExact = 3000
)

func compilePattern(p string) (pattern, error) {
	p = strings.ToLower(strings.TrimSpace(p))
	switch {
	case p == "":
		return pattern{}, fmt.Errorf("empty tool name")
	case strings.HasPrefix(p, "group:"):
		members, ok := groups[p]
		if !ok {
			return pattern{}, fmt.Errorf("unknown tool group %q (known: %s)", p, groupNames())
		}
		set := map[string]bool{}
		for _, m := range members {
			set[m] = true
		}
		return pattern{text: p, group: set}, nil
	case strings.ContainsAny(p, "*?["):
		if _, err := path.Match(p, ""); err != nil {
			return pattern{}, fmt.Errorf("bad glob %q: %v", p, err)
		}
		return pattern{text: p, glob: p}, nil
	}
	return pattern{text: p, exact: p}, nil
}

// match returns how specifically p names tool (0: not at all).
func (p pattern) match(tool string) int {
	switch {
	case p.exact != "":
		if p.exact == tool {
			return specExact
		}
	case p.group != nil:
		if p.group[tool] {
			return specGroup
		}
	default:
		if ok, _ := path.Match(p.glob, tool); ok {
			return specGlob + min(999, len(p.glob)-strings.Count(p.glob, "*")-strings.Count(p.glob, "?"))
		}
	}
	return 0
}

func groupNames() string {
	names := make([]string, 0, len(groups))
	for g := range groups {
		names = append(names, g)
	}
	sortStrings(names)
	return strings.Join(names, ", ")
}
