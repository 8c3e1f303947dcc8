package scan

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/titanous/json5"
	"go.yaml.in/yaml/v3"
)

// Frontmatter is what a SKILL.md declares about itself.
type Frontmatter struct {
	Name        string
	Description string
	Version     string
	Env         []string       // requires.env and primaryEnv
	Bins        []string       // requires.bins and anyBins
	OpenClaw    map[string]any // the whole metadata.openclaw block (install specs…), nil if none
}

// ErrNoFrontmatter is returned for a SKILL.md that does not start with ---.
var ErrNoFrontmatter = errors.New("no frontmatter (SKILL.md starts without ---)")

// ParseFrontmatter reads the YAML between the leading "---" lines and the
// metadata.openclaw block (JSON5 in OpenClaw, as a string or inline YAML).
// The other scanners (dependencies, lock file) read skills through it so
// all read one SKILL.md the same way.
func ParseFrontmatter(md []byte) (*Frontmatter, error) {
	md = bytes.TrimPrefix(md, []byte("\ufeff"))
	if !bytes.HasPrefix(md, []byte("---")) {
		return nil, ErrNoFrontmatter
	}
	rest := md[3:]
	end := bytes.Index(rest, []byte("\n---"))
	if end < 0 {
		return nil, fmt.Errorf("the frontmatter has no closing ---")
	}
	var raw map[string]any
	if err := yaml.Unmarshal(rest[:end], &raw); err != nil {
		return nil, fmt.Errorf("the frontmatter is not YAML: %w", err)
	}
	fm := &Frontmatter{}
	fm.Name, _ = raw["name"].(string)
	fm.Description, _ = raw["description"].(string)
	if v := raw["version"]; v != nil {
		fm.Version = fmt.Sprint(v)
	}
	oc, err := openclawBlock(raw["metadata"])
	if err != nil {
		return fm, err
	}
	fm.OpenClaw = oc
	req, _ := oc["requires"].(map[string]any)
	fm.Env = append(strs(req["env"]), strs(oc["primaryEnv"])...)
	fm.Bins = append(strs(req["bins"]), strs(req["anyBins"])...)
	return fm, nil
}

// openclawBlock finds metadata.openclaw, given as a map or as a string.
func openclawBlock(meta any) (map[string]any, error) {
	switch m := meta.(type) {
	case nil:
		return nil, nil
	case string:
		if err := checkNesting(m); err != nil {
			return nil, err
		}
		var v map[string]any
		if json5.Unmarshal([]byte(m), &v) != nil {
			if err := yaml.Unmarshal([]byte(m), &v); err != nil {
				return nil, fmt.Errorf("metadata is neither JSON5 nor YAML: %w", err)
			}
		}
		return openclawBlock(v)
	case map[string]any:
		switch oc := m["openclaw"].(type) {
		case map[string]any:
			return oc, nil
		case string:
			return openclawBlock(map[string]any{"openclaw": mustMap(oc)})
		}
	}
	return nil, nil
}

// maxNesting bounds brackets in a metadata block before a recursive
// parser sees it: real blocks nest three or four deep.
const maxNesting = 64

func checkNesting(s string) error {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '{', '[':
			if depth++; depth > maxNesting {
				return fmt.Errorf("metadata nests more than %d deep", maxNesting)
			}
		case '}', ']':
			depth--
		}
	}
	return nil
}

func mustMap(s string) map[string]any {
	if checkNesting(s) != nil {
		return nil
	}
	var v map[string]any
	if json5.Unmarshal([]byte(s), &v) != nil {
		yaml.Unmarshal([]byte(s), &v)
	}
	return v
}

func strs(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

var (
	envUse = re(`\$\{?([A-Z][A-Z0-9_]{2,})\}?|os\.(?:environ\[["']|getenv\(["']|environ\.get\(["'])([A-Z][A-Z0-9_]{2,})|process\.env\.([A-Z][A-Z0-9_]{2,})|process\.env\[["']([A-Z][A-Z0-9_]{2,})`)
	binUse = re(`(?m)(?:^|[\s;|&(` + "`" + `])(curl|wget|nc|ncat|socat|ssh|scp|rsync|ftp|telnet)\s`)
)

// ordinaryEnv reports whether every process has the variable.
func ordinaryEnv(v string) bool {
	switch v {
	case "HOME", "PATH", "USER", "PWD", "SHELL", "TMPDIR", "LANG", "TERM", "OLDPWD", "HOSTNAME", "LOGNAME", "TZ":
		return true
	}
	return false
}

// codeFile reports whether a file's "$NAME" or "${NAME}" is a template or
// a string, not the environment: only its env APIs count.
func codeFile(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".js", ".mjs", ".cjs", ".ts", ".tsx", ".jsx", ".py":
		return true
	}
	return false
}

// shellAssign finds NAME=… set by the script itself (a shell variable, not
// one the skill needs from outside).
var shellAssign = re(`(?m)^\s*(?:export\s+|local\s+|readonly\s+|declare\s+(?:-\w+\s+)?)?([A-Z][A-Z0-9_]{2,})=|\bread\s+(?:-\w+\s+)*([A-Z][A-Z0-9_]{2,})\b|\bfor\s+([A-Z][A-Z0-9_]{2,})\s+in\b`)

// undeclared compares what the skill's files use with what its
// frontmatter declares. Files are read in name order and each name is
// reported in the first file that uses it, so a run names the same file
// as the last.
func (w *walker) undeclared(fm *Frontmatter) {
	envs, bins := map[string]string{}, map[string]string{}
	for _, name := range sortedKeys(w.texts) {
		if w.expired() {
			return
		}
		b := w.texts[name]
		code := codeFile(name)
		own := map[string]bool{}
		if !code {
			for _, m := range shellAssign.findAllSubmatch(b) {
				for _, g := range m[1:] {
					own[string(g)] = true
				}
			}
		}
		for _, m := range envUse.findAllSubmatch(b) {
			for i, g := range m[1:] {
				v := string(g)
				if v == "" || (i == 0 && (code || own[v])) {
					continue // group 1 is the shell form
				}
				if _, seen := envs[v]; !seen && !ordinaryEnv(v) && !slices.Contains(fm.Env, v) {
					envs[v] = name
				}
			}
		}
		for _, m := range binUse.findAllSubmatch(b) {
			v := string(m[1])
			if _, seen := bins[v]; !seen && !slices.Contains(fm.Bins, v) {
				bins[v] = name
			}
		}
	}
	for _, v := range sortedKeys(envs) {
		w.add(Finding{RuleID: "declared.env", Severity: Warn, Message: fmt.Sprintf("uses the environment variable %s, which the frontmatter does not declare (requires.env)", v), File: envs[v]})
	}
	for _, v := range sortedKeys(bins) {
		w.add(Finding{RuleID: "declared.network", Severity: Warn, Message: fmt.Sprintf("runs %s, a network tool the frontmatter does not declare (requires.bins)", v), File: bins[v]})
	}
}

// findAllSubmatch is re.FindAllSubmatch(b, -1) line by line, each line
// (with its line break) tried only if the prefilter admits it: the whole
// file through three regular expressions was a third of a scan's time.
// The expressions match within a line, so the result is the same.
func (m matcher) findAllSubmatch(b []byte) [][][]byte {
	var out [][][]byte
	for len(b) > 0 {
		n := bytes.IndexByte(b, '\n') + 1
		if n == 0 {
			n = len(b)
		}
		ln := b[:n]
		b = b[n:]
		if !m.pre.admits(asciiLower(string(ln)), nil) {
			continue
		}
		out = append(out, m.re.FindAllSubmatch(ln, -1)...)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
