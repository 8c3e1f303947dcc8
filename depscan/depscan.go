// Package depscan finds dependencies with known vulnerabilities: it reads the
// lockfiles under a folder (go.mod/go.sum, package-lock.json,
// pnpm-lock.yaml, yarn.lock, requirements.txt, poetry.lock, Cargo.lock) and
// the install specs of OpenClaw skills (SKILL.md), and matches every pinned
// package against OSV advisories, from a local copy of the OSV database or
// from the OSV API.
//
// Parsing and version matching are Google's osv-scalibr (the library inside
// osv-scanner): its lockfile extractors, and osvlocal's matcher with each
// ecosystem's version ordering. This package only walks the folder, loads
// and indexes the advisories, and turns matches into report findings.
package depscan

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"

	"github.com/google/osv-scalibr/extractor"

	"github.com/wardenhq/warden/report"
)

// DefaultAPI is the public OSV API, used when no offline database is given.
const DefaultAPI = "https://api.osv.dev"

// Rule ids of the findings that are not advisories (those carry the
// advisory's own id, such as GHSA-xxxx-xxxx-xxxx).
const (
	RuleUnpinned   = "deps.unpinned_install" // a skill installs a package without an exact version
	RuleNotChecked = "deps.not_checked"      // a skill install OSV cannot describe (brew, download)
	RuleUnreadable = "deps.unreadable"       // a lockfile or SKILL.md that could not be read or parsed
	// RuleNoAdvisories: the offline database holds no advisory of an
	// ecosystem the project uses, so its packages were matched against
	// nothing.
	RuleNoAdvisories = "deps.no_advisories_for_ecosystem"
)

// Options says where the advisories come from.
type Options struct {
	// OfflineDB is a folder of OSV advisories: JSON files and/or OSV's
	// per-ecosystem all.zip exports, at any depth. When set, nothing is
	// fetched from the network.
	OfflineDB string
	// API is the OSV API base URL, used only when OfflineDB is empty
	// (DefaultAPI if empty).
	API string
	// HTTPClient talks to the API (http.DefaultClient if nil).
	HTTPClient *http.Client
	// Progress counts packages as they are matched; nil is silent.
	Progress *report.Progress
}

// Package is one dependency at one place.
type Package struct {
	Ecosystem string // OSV ecosystem: npm, Go, PyPI, crates.io
	Name      string
	Version   string
	File      string // slash-separated, relative to the scanned folder
	Line      int

	// alias marks an extra name tried for the same install (a go install
	// path's parent modules): matched, not counted.
	alias bool
	// pkg is the osv-scalibr form the matcher works on.
	pkg *extractor.Package
}

// Scan reads the dependencies under root and reports those affected by an
// OSV advisory. An error means the scan could not run (missing folder or
// database, API unreachable); an unreadable lockfile is a finding.
func Scan(ctx context.Context, root string, opts Options) (*report.Report, error) {
	// WalkDir does not follow a root that is a symbolic link (it would
	// report the link alone): resolve it, so a linked project folder is
	// scanned like the folder itself.
	real, err := filepath.EvalSymlinks(root)
	if err != nil {
		return nil, fmt.Errorf("scan deps: %w", err)
	}
	if fi, err := os.Stat(real); err != nil {
		return nil, fmt.Errorf("scan deps: %w", err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("scan deps: %s is not a folder", root)
	}
	rep := &report.Report{Tool: "deps", Target: root, Unit: "packages", Rules: rules()}
	inv, err := collect(ctx, real)
	if err != nil {
		return nil, err
	}
	rep.Skipped = append(rep.Skipped, inv.skipped...)
	rep.Findings = append(rep.Findings, inv.findings...)
	for _, p := range inv.pkgs {
		if !p.alias {
			rep.Scanned++
		}
	}

	var m matcher
	if opts.OfflineDB != "" {
		db, err := loadDB(opts.OfflineDB, wantedNames(inv.pkgs))
		if err != nil {
			return nil, err
		}
		rep.Skipped = append(rep.Skipped, db.skipped...)
		rep.Findings = append(rep.Findings, db.uncovered(inv.pkgs, opts.OfflineDB)...)
		m = db
	} else {
		m = newAPI(opts.API, opts.HTTPClient)
	}
	opts.Progress.SetTotal(int64(len(inv.pkgs)))
	hits, skipped, err := m.match(ctx, inv.pkgs, opts.Progress)
	opts.Progress.Finish()
	if err != nil {
		return nil, err
	}
	rep.Skipped = append(rep.Skipped, skipped...)
	rep.Findings = append(rep.Findings, vulnFindings(hits)...)
	for _, h := range hits {
		rep.Rules = append(rep.Rules, advisoryRule(h.vuln))
	}
	rep.Rules = dedupeRules(rep.Rules)
	return rep, nil
}
