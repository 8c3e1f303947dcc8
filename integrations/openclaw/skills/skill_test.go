package skills_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardenhq/warden/integrations/openclaw/skills"
	"github.com/wardenhq/warden/scan"
)

// TestWardenWorkspacesPassesWardensOwnScanner: the skill Warden installs
// into OpenClaw is allowed by Warden's skill scanner with no warning at all.
func TestWardenWorkspacesPassesWardensOwnScanner(t *testing.T) {
	r, err := scan.ScanSkill(skills.WardenWorkspacesName)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range r.Findings {
		if f.Severity != scan.Info {
			t.Errorf("%s (%s) in %s:%d: %s [%s]", f.RuleID, f.Severity, f.File, f.Line, f.Message, f.Evidence)
		}
	}
	if r.Verdict != scan.Allow {
		t.Errorf("verdict %s (%s), want allow", r.Verdict, r.Reason)
	}
	if r.Files == 0 {
		t.Error("the scanner read no file")
	}
}

// TestWardenWorkspacesDeclaresWhatItNeeds: the frontmatter names the skill
// as its folder does and gates it on the token variable and on the MCP
// server being configured.
func TestWardenWorkspacesDeclaresWhatItNeeds(t *testing.T) {
	md, err := fs.ReadFile(skills.WardenWorkspaces(), "SKILL.md")
	if err != nil {
		t.Fatal(err)
	}
	fm, err := scan.ParseFrontmatter(md)
	if err != nil {
		t.Fatal(err)
	}
	if fm.Name != skills.WardenWorkspacesName {
		t.Errorf("name %q, want %q", fm.Name, skills.WardenWorkspacesName)
	}
	if fm.Description == "" || len(fm.Description) > 160 {
		t.Errorf("description of %d characters, want one line under 160", len(fm.Description))
	}
	if env := strings.Join(fm.Env, ","); env != "WARDEN_AGENT_TOKEN" {
		t.Errorf("requires.env %q, want WARDEN_AGENT_TOKEN", env)
	}
	req, _ := fm.OpenClaw["requires"].(map[string]any)
	if cfg, _ := req["config"].([]any); len(cfg) != 1 || cfg[0] != "mcp.servers.warden" {
		t.Errorf("requires.config %v, want [mcp.servers.warden]", req["config"])
	}
}

// TestEmbeddedSkillIsTheFolder: what configure installs is byte for byte
// the folder in the source tree.
func TestEmbeddedSkillIsTheFolder(t *testing.T) {
	n := 0
	err := fs.WalkDir(skills.WardenWorkspaces(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		got, _ := fs.ReadFile(skills.WardenWorkspaces(), p)
		want, err := os.ReadFile(filepath.Join(skills.WardenWorkspacesName, filepath.FromSlash(p)))
		if err != nil {
			return err
		}
		if string(got) != string(want) {
			t.Errorf("embedded %s differs from the folder", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Error("nothing embedded")
	}
}
