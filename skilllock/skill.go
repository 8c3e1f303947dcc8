package skilllock

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/titanous/json5"
	"go.yaml.in/yaml/v3"

	"github.com/wardenhq/warden/report"
)

// Skill is one skill folder as found on disk.
type Skill struct {
	Name      string // folder name, the key in the lock
	Dir       string // the folder (symbolic link resolved)
	Declared  string // SKILL.md's frontmatter name, if any
	Origin    *Origin
	Publisher string // ClawHub owner handle, "" if unknown
	Version   string
	Tree      *Tree
	Err       error // set when the tree could not be hashed within its bounds (ErrLimit)
}

// Origin is where ClawHub says a skill came from: <skill>/.clawhub/origin.json
// ({version: 1, registry, slug, installedVersion, installedAt, ownerHandle?},
// written by `openclaw skills install` and the clawhub CLI), completed by the
// workspace's .clawhub/lock.json ({version: 1, skills: {slug: {version,
// registry?, ownerHandle?}}}) when origin.json lacks the owner. The legacy
// .clawdhub folder is read too.
type Origin struct {
	Registry    string `json:"registry"`
	Slug        string `json:"slug"`
	Version     string `json:"installedVersion"`
	OwnerHandle string `json:"ownerHandle"`
}

// Source names where a skill came from: clawhub:<registry>/<slug> for a
// ClawHub install, local:<path> otherwise, the path relative to base (the
// lock file's folder) when it can be, so a lock committed with a
// workspace reads the same on every machine.
func (s *Skill) Source(base string) string {
	if s.Origin != nil {
		return "clawhub:" + strings.TrimSuffix(s.Origin.Registry, "/") + "/" + s.Origin.Slug
	}
	p := s.Dir
	if rel, err := filepath.Rel(base, s.Dir); err == nil && !strings.HasPrefix(rel, "..") {
		p = rel
	}
	return "local:" + filepath.ToSlash(p)
}

// Scan finds the skills in dir — every folder (or link to a folder, which
// OpenClaw follows too) with a SKILL.md, not starting with "." — and
// hashes each, in parallel. A tree past its bounds is kept with Err set;
// any other failure is returned.
func Scan(dir string, workers int, progress *report.Progress) ([]Skill, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("skills folder: %w", err)
	}
	if _, err := os.Lstat(filepath.Join(dir, "SKILL.md")); err == nil {
		return nil, fmt.Errorf("%s is a skill, not a folder of skills: name the folder that holds it", dir)
	}
	wsLock := readWorkspaceLock(filepath.Dir(dir))
	var skills []Skill
	for _, de := range ents {
		name := de.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		p, err := filepath.EvalSymlinks(filepath.Join(dir, name))
		if err != nil {
			continue // a dangling link is no skill OpenClaw can load
		}
		if fi, err := os.Stat(p); err != nil || !fi.IsDir() {
			continue
		}
		if fi, err := os.Lstat(filepath.Join(p, "SKILL.md")); err != nil || fi.IsDir() {
			continue
		}
		skills = append(skills, Skill{Name: name, Dir: p})
	}
	progress.SetTotal(int64(len(skills)))
	errs := make([]error, len(skills))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range max(1, workers) {
		wg.Go(func() {
			for i := range jobs {
				errs[i] = skills[i].load(wsLock)
				progress.Add(1)
			}
		})
	}
	for i := range skills {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("skill %s: %w", skills[i].Name, err)
		}
	}
	return skills, nil
}

// load hashes the skill and reads what it says of itself.
func (s *Skill) load(wsLock map[string]wsEntry) error {
	t, err := HashTree(s.Dir)
	switch {
	case err == nil:
		s.Tree = t
	case errors.Is(err, ErrLimit):
		s.Err = err
	default:
		return err
	}
	s.Origin = readOrigin(s.Dir)
	fm := readFrontmatter(filepath.Join(s.Dir, "SKILL.md"))
	s.Declared = fm.Name
	s.Version = fm.Version
	if s.Origin != nil {
		if s.Origin.Version != "" {
			s.Version = s.Origin.Version
		}
		s.Publisher = s.Origin.OwnerHandle
		if w, ok := wsLock[s.Origin.Slug]; ok && s.Publisher == "" {
			s.Publisher = w.OwnerHandle
		}
	}
	return nil
}

// readSmallFile reads at most 1 MiB of p, or nothing: a link (not
// followed: it could lead anywhere) or a special file reads as nothing.
func readSmallFile(p string) []byte {
	fi, err := os.Lstat(p)
	if err != nil || !fi.Mode().IsRegular() {
		return nil
	}
	f, _, err := openRegular(p)
	if err != nil {
		return nil
	}
	defer f.Close()
	b, _ := io.ReadAll(io.LimitReader(f, 1<<20))
	return b
}

// readOrigin reads .clawhub/origin.json the way OpenClaw does: version 1
// with a registry and a slug, or it does not count.
func readOrigin(dir string) *Origin {
	for _, d := range []string{".clawhub", ".clawdhub"} {
		var o struct {
			Version int `json:"version"`
			Origin
		}
		if json.Unmarshal(readSmallFile(filepath.Join(dir, d, "origin.json")), &o) != nil {
			continue
		}
		if o.Version == 1 && o.Registry != "" && o.Slug != "" {
			return &o.Origin
		}
	}
	return nil
}

type wsEntry struct {
	Version     string `json:"version"`
	Registry    string `json:"registry"`
	OwnerHandle string `json:"ownerHandle"`
}

// readWorkspaceLock reads ClawHub's lock of the workspace that holds the
// skills folder (ClawHub installs into <workdir>/skills by default).
func readWorkspaceLock(workspace string) map[string]wsEntry {
	for _, d := range []string{".clawhub", ".clawdhub"} {
		var l struct {
			Version int                `json:"version"`
			Skills  map[string]wsEntry `json:"skills"`
		}
		if json.Unmarshal(readSmallFile(filepath.Join(workspace, d, "lock.json")), &l) == nil && l.Version == 1 {
			return l.Skills
		}
	}
	return nil
}

type frontmatter struct {
	Name    string
	Version string
}

// readFrontmatter reads name and version from SKILL.md's YAML frontmatter:
// version at the top level, else metadata.version or
// metadata.openclaw.version. metadata, or metadata.openclaw, may be a
// string holding JSON5 (as OpenClaw's block is often written): it is read
// as the skill scanner reads it (scan.ParseFrontmatter), JSON5 first, then
// YAML. Scalars are taken as written (1.10 stays "1.10", not a float).
// Whatever does not parse is left empty: these are labels, not what the
// lock trusts (the hash is).
func readFrontmatter(p string) frontmatter {
	return parseFrontmatter(readSmallFile(p))
}

// parseFrontmatter is readFrontmatter of a SKILL.md's bytes.
func parseFrontmatter(md []byte) frontmatter {
	md = bytes.TrimPrefix(md, []byte("\ufeff"))
	md = bytes.ReplaceAll(md, []byte("\r\n"), []byte("\n"))
	if !bytes.HasPrefix(md, []byte("---\n")) {
		return frontmatter{}
	}
	// end 0 is "---\n---": an empty frontmatter (and md[4:3] would panic).
	end := bytes.Index(md[3:], []byte("\n---"))
	if end < 1 {
		return frontmatter{}
	}
	var doc yaml.Node
	if yaml.Unmarshal(md[4:3+end], &doc) != nil || len(doc.Content) == 0 {
		return frontmatter{}
	}
	root := doc.Content[0]
	fm := frontmatter{Name: scalarAt(root, "name"), Version: scalarAt(root, "version")}
	if fm.Version == "" {
		fm.Version = metaVersion(child(root, "metadata"))
	}
	return fm
}

// metaVersion reads version, else openclaw.version, of a metadata block
// written as YAML or as a JSON5 string.
func metaVersion(meta *yaml.Node) string {
	if meta != nil && meta.Kind == yaml.ScalarNode {
		return blockVersion(meta.Value, true)
	}
	if v := scalarAt(meta, "version"); v != "" {
		return v
	}
	oc := child(meta, "openclaw")
	if oc != nil && oc.Kind == yaml.ScalarNode {
		return blockVersion(oc.Value, false)
	}
	return scalarAt(oc, "version")
}

// blockVersion reads a block given as a string: JSON5 (numbers kept as
// written), else YAML. With nested, the block is metadata and its
// openclaw entry is looked into too.
func blockVersion(s string, nested bool) string {
	// The JSON5 and YAML decoders recurse per bracket: a block nested
	// deeper than any real one is not decoded (the skill scanner's bound).
	if nesting(s) > maxNesting {
		return ""
	}
	dec := json5.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var m map[string]any
	if dec.Decode(&m) != nil {
		var n yaml.Node
		if yaml.Unmarshal([]byte(s), &n) != nil || len(n.Content) == 0 || n.Content[0].Kind != yaml.MappingNode {
			return ""
		}
		if !nested {
			return scalarAt(n.Content[0], "version")
		}
		return metaVersion(n.Content[0])
	}
	if v := jsonScalar(m["version"]); v != "" || !nested {
		return v
	}
	switch oc := m["openclaw"].(type) {
	case map[string]any:
		return jsonScalar(oc["version"])
	case string:
		return blockVersion(oc, false)
	}
	return ""
}

// maxNesting is the skill scanner's bound on brackets in a metadata block.
const maxNesting = 64

// nesting is the deepest bracket nesting of s, counting brackets inside
// strings too (over-counting only leaves a label empty).
func nesting(s string) int {
	depth, deepest := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '{', '[':
			depth++
			deepest = max(deepest, depth)
		case '}', ']':
			depth--
		}
	}
	return deepest
}

// jsonScalar is a JSON5 string or number as written, else "".
func jsonScalar(v any) string {
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x)
	case json5.Number:
		return string(x)
	}
	return ""
}

// child returns the value of key in a YAML mapping node, or nil.
func child(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// scalarAt returns the scalar value of key in n, as written, or "".
func scalarAt(n *yaml.Node, key string) string {
	c := child(n, key)
	if c == nil || c.Kind != yaml.ScalarNode {
		return ""
	}
	return strings.TrimSpace(c.Value)
}

// names returns the skill's distinct names: folder, declared, ClawHub slug.
func (s *Skill) names() []string {
	n := []string{s.Name}
	for _, o := range []string{s.Declared, s.slug()} {
		if o != "" && !slices.Contains(n, o) {
			n = append(n, o)
		}
	}
	return n
}

func (s *Skill) slug() string {
	if s.Origin == nil {
		return ""
	}
	return s.Origin.Slug
}
