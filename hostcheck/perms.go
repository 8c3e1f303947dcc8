package hostcheck

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/wardenhq/warden/report"
)

// maxPermEntries bounds the walk of the state folder.
const maxPermEntries = 50000

// skipTrees are folders whose contents are code, not state: their
// permissions are checked at the top, not file by file.
var skipTrees = map[string]bool{"node_modules": true, ".git": true}

// reach is who can get to a path through its folders: the execute bits of
// every folder above it.
type reach struct{ group, others bool }

// reachOf is the reach of what is inside dir: each folder from the root
// down to dir must be searchable.
func reachOf(dir string) reach {
	r := reach{group: true, others: true}
	for p := filepath.Clean(dir); ; p = filepath.Dir(p) {
		if fi, err := os.Stat(p); err == nil {
			m := fi.Mode().Perm()
			r.others = r.others && m&0o001 != 0
			r.group = r.group && m&0o011 != 0
		}
		if filepath.Dir(p) == p {
			return r
		}
	}
}

// exposure is what a path's mode gives users other than its owner, given
// whether they can reach it.
func exposure(m fs.FileMode, r reach) (rule string, sev report.Severity, who string) {
	p := m.Perm()
	switch {
	case r.others && p&0o002 != 0:
		return "fs.writable", report.Critical, "every user"
	case r.group && p&0o020 != 0:
		return "fs.writable", report.High, "its group"
	case r.others && p&0o004 != 0:
		return "fs.readable", report.High, "every user"
	case r.group && p&0o040 != 0:
		return "fs.readable", report.Medium, "its group"
	}
	return "", 0, ""
}

// checkPermissions walks the state folder (and the config file when it
// lives elsewhere) for files and folders other users can read or write.
// A finding on a folder stands for what is inside it: entries below it
// that are exposed the same way are counted in it, not listed one by one.
func (h *host) checkPermissions() {
	type reported struct {
		idx   int
		rule  string
		count int
	}
	var dirs []struct {
		path string
		reported
	}
	ancestor := func(p, rule string) *reported {
		for i := len(dirs) - 1; i >= 0; i-- {
			d := &dirs[i]
			if d.rule == rule && strings.HasPrefix(p, d.path+string(filepath.Separator)) {
				return &d.reported
			}
		}
		return nil
	}
	reaches := map[string]reach{filepath.Dir(h.o.StateDir): reachOf(filepath.Dir(h.o.StateDir))}
	n := 0
	err := filepath.WalkDir(h.o.StateDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			h.skipped = append(h.skipped, fmt.Sprintf("%s: %v", h.rel(p), err))
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if n++; n > maxPermEntries {
			h.skipped = append(h.skipped, fmt.Sprintf("permissions: stopped after %d entries of the state folder", maxPermEntries))
			return fs.SkipAll
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return nil // a link's own mode means nothing; its target is checked where it lives
		}
		fi, err := d.Info()
		if err != nil {
			return nil
		}
		r := reaches[filepath.Dir(p)]
		if d.IsDir() {
			m := fi.Mode().Perm()
			reaches[p] = reach{group: r.group && m&0o011 != 0, others: r.others && m&0o001 != 0}
		}
		if rule, sev, who := exposure(fi.Mode(), r); rule != "" {
			if a := ancestor(p, rule); a != nil {
				a.count++
			} else {
				what := "file"
				if d.IsDir() {
					what = "folder"
				}
				verb := map[string]string{"fs.readable": "readable", "fs.writable": "writable"}[rule]
				h.add(rule, sev, p, fmt.Sprintf("%s %s is %s by %s", what, h.rel(p), verb, who), fmt.Sprintf("mode %04o", fi.Mode().Perm()), "")
				if d.IsDir() {
					dirs = append(dirs, struct {
						path string
						reported
					}{p, reported{idx: len(h.findings) - 1, rule: rule}})
				}
			}
		}
		if d.IsDir() && skipTrees[d.Name()] {
			return fs.SkipDir
		}
		return nil
	})
	if err != nil {
		h.skipped = append(h.skipped, fmt.Sprintf("permissions: %v", err))
	}
	for _, d := range dirs {
		if d.count > 0 {
			h.findings[d.idx].Message += fmt.Sprintf(", and so are %d entries inside it", d.count)
		}
	}
	// A config file outside the state folder (OPENCLAW_CONFIG_PATH).
	if rel := h.rel(h.cfg.Path); filepath.IsAbs(filepath.FromSlash(rel)) && h.cfg.Exists {
		if fi, err := os.Lstat(h.cfg.Path); err == nil && fi.Mode().IsRegular() {
			if rule, sev, who := exposure(fi.Mode(), reachOf(filepath.Dir(h.cfg.Path))); rule != "" {
				verb := map[string]string{"fs.readable": "readable", "fs.writable": "writable"}[rule]
				h.add(rule, sev, h.cfg.Path, fmt.Sprintf("the config file is %s by %s", verb, who), fmt.Sprintf("mode %04o", fi.Mode().Perm()), "")
			}
		}
	}
}
