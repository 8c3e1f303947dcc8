package depscan

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"

	cpb "github.com/google/osv-scalibr/binary/proto/config_go_proto"
	"github.com/google/osv-scalibr/extractor"
	"github.com/google/osv-scalibr/extractor/filesystem"
	"github.com/google/osv-scalibr/extractor/filesystem/language/golang/gomod"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/packagelockjson"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/pnpmlock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/yarnlock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/poetrylock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/requirements"
	"github.com/google/osv-scalibr/extractor/filesystem/language/rust/cargolock"
	scalibrfs "github.com/google/osv-scalibr/fs"

	"github.com/wardenhq/warden/report"
)

// maxLockfile bounds one lockfile read into memory; real package-lock.json
// files of large monorepos are tens of MiB.
const maxLockfile = 256 << 20

// skipDirs are never walked: installed copies (node_modules, vendor) are
// described by the lockfile beside them, and .git holds no lockfile of the
// working tree.
var skipDirs = []string{"node_modules", ".git", "vendor"}

// extractors are osv-scalibr's lockfile parsers for the formats Warden
// reads. None of them needs the network or runs a toolchain.
func extractors() []filesystem.Extractor {
	cfg := &cpb.PluginConfig{}
	var out []filesystem.Extractor
	for _, mk := range []func(*cpb.PluginConfig) (filesystem.Extractor, error){
		gomod.New, packagelockjson.New, pnpmlock.New, yarnlock.New,
		requirements.New, poetrylock.New, cargolock.New,
	} {
		ex, err := mk(cfg)
		if err != nil {
			// The constructors only fail on bad plugin config, which
			// this fixed empty config is not.
			panic(fmt.Sprintf("depscan: osv-scalibr extractor: %v", err))
		}
		out = append(out, ex)
	}
	return out
}

// inventory is what the folder declares.
type inventory struct {
	pkgs     []Package
	findings []report.Finding // from skill install specs
	skipped  []string
}

// fileAPI is what an extractor's FileRequired sees of a file.
type fileAPI struct {
	path string
	d    fs.DirEntry
}

func (f fileAPI) Path() string               { return f.path }
func (f fileAPI) Stat() (fs.FileInfo, error) { return f.d.Info() }

// collect walks root and reads every lockfile and SKILL.md in it.
func collect(ctx context.Context, root string) (*inventory, error) {
	inv := &inventory{}
	exs := extractors()
	fsys := scalibrfs.DirFS(root)
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if err != nil {
			inv.skipped = append(inv.skipped, fmt.Sprintf("%s: %v", rel, err))
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if path != root && slices.Contains(skipDirs, d.Name()) {
				return fs.SkipDir
			}
			return nil
		}
		if d.Name() == "SKILL.md" {
			if target, ok := inv.input(root, path, rel, d); ok {
				inv.readSkill(target, rel)
			}
			return nil
		}
		target := ""
		for _, ex := range exs {
			if !ex.FileRequired(fileAPI{path: rel, d: d}) {
				continue
			}
			if target == "" {
				var ok bool
				if target, ok = inv.input(root, path, rel, d); !ok {
					break
				}
			}
			inv.extract(ctx, ex, fsys, root, target, rel)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("scan deps: walk %s: %w", root, err)
	}
	return inv, nil
}

// input says where to read a walked file from (see input), and records a
// deps.unreadable finding when it cannot be read.
func (inv *inventory) input(root, path, rel string, d fs.DirEntry) (string, bool) {
	target, why := input(root, path, d)
	if why != "" {
		inv.findings = append(inv.findings, unreadable(rel, why))
		return "", false
	}
	return target, true
}

// unreadable is the finding of a lockfile or SKILL.md that was not read.
func unreadable(rel, why string) report.Finding {
	return report.Finding{RuleID: RuleUnreadable, Severity: report.Medium, File: rel,
		Message:     fmt.Sprintf("%s was not read: %s; its dependencies were not checked", rel, why),
		Fingerprint: fingerprint(RuleUnreadable, rel, why)}
}

// extract runs one extractor on one file. A lockfile it cannot read is a
// finding (its dependencies went unchecked, so CI must not pass silently)
// and the scan goes on: one broken file does not hide the others.
func (inv *inventory) extract(ctx context.Context, ex filesystem.Extractor, fsys scalibrfs.FS, root, path, rel string) {
	f, fi, err := openRegular(path)
	if err != nil {
		inv.findings = append(inv.findings, unreadable(rel, err.Error()))
		return
	}
	defer f.Close()
	if fi.Size() > maxLockfile {
		inv.findings = append(inv.findings, report.Finding{RuleID: RuleUnreadable, Severity: report.Medium, File: rel,
			Message: fmt.Sprintf("a lockfile larger than %d MiB was not read; its dependencies were not checked", maxLockfile>>20)})
		return
	}
	got, err := safeExtract(ctx, ex, &filesystem.ScanInput{FS: fsys, Path: rel, Root: root, Info: fi, Reader: f})
	if err != nil {
		inv.findings = append(inv.findings, report.Finding{RuleID: RuleUnreadable, Severity: report.Medium, File: rel,
			Message: fmt.Sprintf("a lockfile that could not be read (%s: %v); its dependencies were not checked", ex.Name(), firstLine(err.Error(), 300))})
		return
	}
	var loose []string
	for _, p := range got {
		if isGoDirective(p) {
			// The go directive is the minimum language version, not the
			// toolchain that builds the code: matching it against Go's
			// own advisories reports what the build may not contain
			// (osv-scanner drops it by default for the same reason).
			continue
		}
		if p.Version == "" || !exactRequirement(p) {
			loose = append(loose, p.Name)
			continue
		}
		inv.pkgs = append(inv.pkgs, fromScalibr(p, rel))
	}
	if len(loose) > 0 {
		slices.Sort(loose)
		loose = slices.Compact(loose)
		inv.skipped = append(inv.skipped, fmt.Sprintf("%s: %d package(s) without an exact version not checked: %s", rel, len(loose), shortList(loose, 10)))
	}
}

// safeExtract turns a panic of a parser on hostile input into an error.
func safeExtract(ctx context.Context, ex filesystem.Extractor, in *filesystem.ScanInput) (pkgs []*extractor.Package, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("parser failed: %v", r)
		}
	}()
	inv, err := ex.Extract(ctx, in)
	return inv.Packages, err
}

func isGoDirective(p *extractor.Package) bool {
	return p.Ecosystem().Ecosystem == "Go" && p.Name == "stdlib"
}

// exactRequirement is false for a requirements.txt line such as
// "requests>=2.0": osv-scalibr reports its lowest version, which is not
// what pip installs, so matching it would report a version nobody runs.
func exactRequirement(p *extractor.Package) bool {
	m, ok := p.Metadata.(*requirements.Metadata)
	if !ok {
		return true
	}
	return m.VersionComparator == "" || m.VersionComparator == "==" || m.VersionComparator == "==="
}

func fromScalibr(p *extractor.Package, rel string) Package {
	file, line := rel, 0
	// A requirements file can include others (-r): the descriptor names
	// the file the line is in.
	if d := p.Location.Descriptor; d != nil && d.File != nil {
		line = d.File.LineNumber
		if d.File.Path != "" {
			file = filepath.ToSlash(d.File.Path)
		}
	}
	return Package{
		Ecosystem: string(p.Ecosystem().Ecosystem),
		Name:      p.Name,
		Version:   p.Version,
		File:      file,
		Line:      line,
		pkg:       p,
	}
}

func shortList(s []string, n int) string {
	if len(s) <= n {
		return strings.Join(s, ", ")
	}
	return strings.Join(s[:n], ", ") + fmt.Sprintf(" and %d more", len(s)-n)
}
