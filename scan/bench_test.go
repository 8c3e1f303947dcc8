package scan_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardenhq/warden/scan"
)

// realisticMarkdown is n bytes of the documentation skills ship: headings,
// prose, lists, tables, links and fenced shell and Python examples that
// call ordinary APIs — text every rule has to read and none should flag.
func realisticMarkdown(n int) string {
	words := strings.Fields(`the a an to of and for with from in on by your this that city forecast request response
		returns value error retry timeout api key token field object list string number json model agent tool call user
		data skill page file folder note task issue event calendar message channel search result query limit offset
		format output input option default config setting install update version release build test run check`)
	blocks := []string{
		"```bash\npython3 scripts/weather.py --city \"%s\" --units metric\n```\n",
		"```bash\ncurl -s \"https://api.open-meteo.com/v1/forecast?latitude=52.52&longitude=13.41\" | jq '.current'\n```\n",
		"```python\nimport json, sys\nresp = session.get(BASE + \"/v1/%s\", params={\"q\": sys.argv[1]}, timeout=10)\nprint(json.dumps(resp.json(), indent=2))\n```\n",
		"| option | meaning |\n|---|---|\n| `--limit N` | at most N %s |\n| `--format json` | print JSON |\n",
		"- Use `gh issue list --repo owner/%s` to list the open issues.\n- Pass `--json number,title` for machine-readable output.\n",
		"See [the API reference](https://docs.example.com/%s) for every field.\n",
		"> **Note:** the %s endpoint is rate limited to 60 requests per minute.\n",
	}
	r := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	b.WriteString("---\nname: bench\ndescription: A long documentation page\n---\n")
	for b.Len() < n {
		fmt.Fprintf(&b, "\n## %s %s\n\n", strings.ToUpper(words[r.IntN(len(words))][:1])+words[r.IntN(len(words))], words[r.IntN(len(words))])
		for range 1 + r.IntN(3) {
			for i := range 8 + r.IntN(40) {
				if i > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(words[r.IntN(len(words))])
				if r.IntN(12) == 0 {
					b.WriteString(".\n")
				}
			}
			b.WriteString(".\n\n")
		}
		fmt.Fprintf(&b, blocks[r.IntN(len(blocks))], words[r.IntN(len(words))])
	}
	return b.String()[:n]
}

// BenchmarkScanSkillMarkdown scans one skill whose SKILL.md is 4 MB of
// harmless documentation: the rule engine's cost per byte of text.
func BenchmarkScanSkillMarkdown(b *testing.B) {
	dir := b.TempDir()
	md := realisticMarkdown(4 << 20)
	if err := os.WriteFile(filepath.Join(dir, "SKILL.md"), []byte(md), 0o644); err != nil {
		b.Fatal(err)
	}
	s, err := scan.NewScanner()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(md)))
	for b.Loop() {
		rep, err := s.Skill(dir)
		if err != nil {
			b.Fatal(err)
		}
		if rep.Verdict == scan.Block {
			b.Fatalf("harmless text blocked: %s", rep.Reason)
		}
	}
}

// BenchmarkScanSkillCorpus scans every skill of the labelled corpus.
func BenchmarkScanSkillCorpus(b *testing.B) {
	var dirs []string
	for _, label := range []string{"malicious", "benign"} {
		ds, err := os.ReadDir(filepath.Join(corpusDir, label))
		if err != nil {
			b.Fatal(err)
		}
		for _, d := range ds {
			dirs = append(dirs, filepath.Join(corpusDir, label, d.Name()))
		}
	}
	s, err := scan.NewScanner()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		for _, d := range dirs {
			if _, err := s.Skill(d); err != nil {
				b.Fatal(err)
			}
		}
	}
}
