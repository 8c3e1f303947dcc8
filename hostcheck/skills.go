package hostcheck

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/wardenhq/warden/report"
	"github.com/wardenhq/warden/scan"
	"github.com/wardenhq/warden/skilllock"
)

// skillDirs are the folders OpenClaw loads skills from that exist on this
// host: <workspace>/skills, <workspace>/.agents/skills, ~/.agents/skills,
// <state>/skills and skills.load.extraDirs (bundled skills ship with
// OpenClaw and are not checked here).
func (h *host) skillDirs() []string {
	home := ""
	if filepath.Base(h.o.StateDir) == ".openclaw" {
		home = filepath.Dir(h.o.StateDir)
	}
	var cands []string
	for _, ws := range h.workspaces() {
		cands = append(cands, filepath.Join(ws, "skills"), filepath.Join(ws, ".agents", "skills"))
	}
	if home != "" {
		cands = append(cands, filepath.Join(home, ".agents", "skills"))
	}
	cands = append(cands, filepath.Join(h.o.StateDir, "skills"))
	for _, d := range stringList(h.cfg.Get("skills", "load", "extraDirs")) {
		if home != "" {
			d = expandHome(d, home)
		}
		cands = append(cands, d)
	}
	var out []string
	for _, d := range cands {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() && !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

// checkSkills scans every installed skill with Warden's skill scanner and
// verifies each skills folder against its lock (--skills-lock, else
// warden-skills.lock.json next to the folder, as `warden skills` does).
func (h *host) checkSkills() {
	dirs := h.skillDirs()
	if len(dirs) == 0 {
		return
	}
	sc, err := scan.NewScanner()
	if err != nil {
		h.skipped = append(h.skipped, "skills: "+err.Error())
		return
	}
	type group struct {
		dirs   []string
		skills []skilllock.Skill
	}
	byLock := map[string]*group{}
	var locks []string
	for _, dir := range dirs {
		skills, err := skilllock.Scan(dir, 2, nil)
		if err != nil {
			h.add("skills.unreadable", dflt, dir, "skills folder "+h.rel(dir)+" could not be read", err.Error(), dir)
			continue
		}
		for _, s := range skills {
			h.scanSkill(sc, dir, s)
		}
		lock := h.o.SkillsLock
		if lock == "" {
			if lock, err = skilllock.DefaultPath(dir); err != nil {
				h.skipped = append(h.skipped, fmt.Sprintf("skills lock of %s: %v", dir, err))
				continue
			}
		}
		g := byLock[lock]
		if g == nil {
			g = &group{}
			byLock[lock] = g
			locks = append(locks, lock)
		}
		g.dirs = append(g.dirs, dir)
		g.skills = append(g.skills, skills...)
	}
	for _, lockPath := range locks {
		g := byLock[lockPath]
		l, err := skilllock.Read(lockPath)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if len(g.skills) > 0 {
				h.add("skills.no_lock", dflt, g.dirs[0], fmt.Sprintf("%d installed skill(s) in %s are pinned by no lock", len(g.skills), strings.Join(h.rels(g.dirs), ", ")),
					"no "+lockPath, lockPath)
			}
			continue
		case err != nil:
			h.add("skills.no_lock", report.High, lockPath, "the skills lock cannot be read, so nothing is verified against it", err.Error(), lockPath)
			continue
		}
		check := skilllock.Check{Lock: l, Popular: skilllock.PopularNames(), Base: filepath.Dir(lockPath)}
		for _, f := range skilllock.Verify(g.skills, check) {
			f.File = h.rel(filepath.Join(skillDirOf(g.dirs, g.skills, f.File), f.File))
			f.Message += " (lock " + h.rel(lockPath) + ")"
			h.findings = append(h.findings, f)
		}
	}
}

// skillDirOf is the skills folder a skill name came from (the first for a
// locked skill no longer installed).
func skillDirOf(dirs []string, skills []skilllock.Skill, name string) string {
	for _, s := range skills {
		if s.Name == name {
			for _, d := range dirs {
				if _, err := os.Stat(filepath.Join(d, name)); err == nil {
					return d
				}
			}
		}
	}
	return dirs[0]
}

func (h *host) rels(ps []string) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = h.rel(p)
	}
	return out
}

// scanSkill reports a skill the scanner would block (high) or warn about
// (medium), naming its findings' rules.
func (h *host) scanSkill(sc *scan.Scanner, dir string, s skilllock.Skill) {
	p := filepath.Join(dir, s.Name)
	r, err := sc.Skill(p)
	if err != nil {
		h.add("skills.unreadable", dflt, p, "skill "+s.Name+" could not be scanned", err.Error(), p)
		return
	}
	h.scanned += r.Files
	if r.Verdict == scan.Allow {
		return
	}
	sev := report.Medium
	if r.Verdict == scan.Block {
		sev = report.High
	}
	var rules []string
	for _, f := range r.Findings {
		if f.Severity != scan.Info && !slices.Contains(rules, f.RuleID) {
			rules = append(rules, f.RuleID)
		}
	}
	h.add("skills.scan", sev, p, fmt.Sprintf("skill %s: Warden's scanner says %s — %s", s.Name, r.Verdict, r.Reason), strings.Join(rules, ", "), p)
}
