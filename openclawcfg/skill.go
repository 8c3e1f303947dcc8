package openclawcfg

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/wardenhq/warden/integrations/openclaw/skills"
)

// StateDir is OpenClaw's state folder, whose skills/ holds the skills
// shared by every agent of that state: the folder given, else
// $OPENCLAW_STATE_DIR, else ~/.openclaw.
func StateDir(home string, getenv func(string) string) (string, error) {
	switch {
	case home != "":
		return home, nil
	case getenv("OPENCLAW_STATE_DIR") != "":
		return getenv("OPENCLAW_STATE_DIR"), nil
	}
	h := getenv("HOME")
	if h == "" {
		return "", errors.New("no HOME: pass --openclaw-home")
	}
	return filepath.Join(h, ".openclaw"), nil
}

// SkillState is how an installed skill compares with Warden's copy.
type SkillState string

const (
	SkillMissing  SkillState = "missing" // not there (and, unless written, still not)
	SkillUpToDate SkillState = "current" // there, byte for byte Warden's copy
	SkillDiffers  SkillState = "differs" // there but different: never overwritten
	SkillWritten  SkillState = "written" // installed by this call
)

// SkillInstall is what InstallSkill found or did.
type SkillInstall struct {
	Dir     string     // <skills dir>/<name>
	State   SkillState //
	Differs []string   // with SkillDiffers: the files (slash paths) that differ, are missing or are extra
}

// InstallWardenSkill is InstallSkill of the warden-workspaces skill (the
// copy embedded in this binary) into <stateDir>/skills, where every agent of
// that OpenClaw state finds it.
func InstallWardenSkill(stateDir string, write bool) (*SkillInstall, error) {
	return InstallSkill(filepath.Join(stateDir, "skills"), skills.WardenWorkspacesName, skills.WardenWorkspaces(), write)
}

// String says what a person needs to know about the skill.
func (r *SkillInstall) String() string {
	name := filepath.Base(r.Dir)
	switch r.State {
	case SkillWritten:
		return fmt.Sprintf("Installed skill %s into %s", name, r.Dir)
	case SkillUpToDate:
		return fmt.Sprintf("skill %s in %s is Warden's copy", name, r.Dir)
	case SkillMissing:
		return fmt.Sprintf("skill %s is not in %s: --write installs it", name, r.Dir)
	}
	if len(r.Differs) == 1 && r.Differs[0] == "." {
		return fmt.Sprintf("%s is not a folder (a link or a file?): the skill %s was not installed; remove it and rerun", r.Dir, name)
	}
	return fmt.Sprintf("skill %s in %s differs from Warden's copy (%s): not overwritten; remove the folder and rerun to install Warden's, or keep yours", name, r.Dir, strings.Join(r.Differs, ", "))
}

// InstallSkill makes sure skillsDir/name holds the skill src. A missing
// skill is copied when write is set — into a temporary folder next to it,
// renamed into place, so OpenClaw never loads half a skill — with the
// owner of skillsDir's parent (the state folder) when that is someone
// else. A skill that is there is compared with src and never changed: a
// difference, or a file in the way, is reported for a person to settle.
func InstallSkill(skillsDir, name string, src fs.FS, write bool) (*SkillInstall, error) {
	r := &SkillInstall{Dir: filepath.Join(skillsDir, name)}
	fi, err := os.Lstat(r.Dir)
	switch {
	case err == nil && !fi.IsDir():
		// A symlink or a file: not Warden's to follow or replace.
		r.State, r.Differs = SkillDiffers, []string{"."}
		return r, nil
	case err == nil:
		r.Differs, err = compareSkill(r.Dir, src)
		if err != nil {
			return nil, err
		}
		r.State = SkillUpToDate
		if len(r.Differs) > 0 {
			r.State = SkillDiffers
		}
		return r, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("skill %s: %w", name, err)
	}
	r.State = SkillMissing
	if !write {
		return r, nil
	}
	if err := copySkill(skillsDir, name, src); err != nil {
		return nil, fmt.Errorf("install skill %s: %w", name, err)
	}
	r.State = SkillWritten
	return r, nil
}

// compareSkill lists the files of dir and src that are not the same:
// different bytes, missing from dir, or in dir but not in src.
func compareSkill(dir string, src fs.FS) ([]string, error) {
	var differs []string
	want := map[string]bool{}
	err := fs.WalkDir(src, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		want[p] = true
		b, err := fs.ReadFile(src, p)
		if err != nil {
			return err
		}
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		if err != nil || !bytes.Equal(got, b) {
			differs = append(differs, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel = filepath.ToSlash(rel); !want[rel] {
			differs = append(differs, rel)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("installed skill %s: %w", dir, err)
	}
	slices.Sort(differs)
	return differs, nil
}

// copySkill writes src to skillsDir/name through a temporary folder.
func copySkill(skillsDir, name string, src fs.FS) error {
	var own *owner
	if parent, err := os.Stat(filepath.Dir(skillsDir)); err == nil {
		// Run as root for another user's agent: the skill is theirs.
		if o, ok := statOwner(parent); ok && (o.uid != os.Getuid() || o.gid != os.Getgid()) {
			own = &o
		}
	}
	chown := func(p string) error {
		if own == nil {
			return nil
		}
		return os.Lchown(p, own.uid, own.gid)
	}
	if _, err := os.Lstat(skillsDir); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(skillsDir, 0o755); err != nil {
			return err
		}
		if err := chown(skillsDir); err != nil {
			return err
		}
	}
	tmp, err := os.MkdirTemp(skillsDir, "."+name+".tmp-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp) // after a successful rename there is nothing left
	err = fs.WalkDir(src, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		dst := filepath.Join(tmp, filepath.FromSlash(p))
		if d.IsDir() {
			if p != "." {
				if err := os.Mkdir(dst, 0o755); err != nil {
					return err
				}
			}
			return chown(dst)
		}
		b, err := fs.ReadFile(src, p)
		if err != nil {
			return err
		}
		if err := writeNew(dst, b, 0o644); err != nil {
			return err
		}
		return chown(dst)
	})
	if err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o755); err != nil { // MkdirTemp made it 0700
		return err
	}
	return os.Rename(tmp, filepath.Join(skillsDir, name))
}
