package skilllock

import (
	"testing"
)

// FuzzFrontmatter feeds SKILL.md frontmatter (YAML, with metadata as YAML
// or a JSON5 string) to the reader of name and version: it must never
// panic (it did on "---\n---"), and reads the same input the same way.
func FuzzFrontmatter(f *testing.F) {
	for _, s := range []string{
		"---\nname: a\nversion: 1.10\n---\n",
		"---\nname: a\nmetadata: {\"openclaw\": {\"version\": \"2.0.1\"}}\n---\n",
		"---\nmetadata: |\n  { // c\n    openclaw: { version: 1.10, },\n  }\n---\n",
		"---\nmetadata:\n  openclaw: \"{version: '3.2.0',}\"\n---\n",
		"---\nmetadata: '[[[[[[[['\n---\n",
		"---\nmetadata: '{openclaw: \"{version: 1}\"}'\n---\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, md []byte) {
		fm := parseFrontmatter(md)
		// Decoding never makes text up: a label is no longer than the
		// file it came from, and the same file reads the same.
		if len(fm.Name) > len(md) || len(fm.Version) > len(md) {
			t.Fatalf("frontmatter %+v longer than its input %q", fm, md)
		}
		if again := parseFrontmatter(md); again != fm {
			t.Fatalf("read %+v, then %+v", fm, again)
		}
	})
}
