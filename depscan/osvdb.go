package depscan

import (
	"archive/zip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/google/osv-scalibr/enricher/vulnmatch/osvlocal"
	osvpb "github.com/ossf/osv-schema/bindings/go/osvschema"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/wardenhq/warden/report"
)

// maxAdvisory bounds one OSV record (real ones are a few KiB; the largest
// kernel records are a few MiB).
const maxAdvisory = 32 << 20

// key names a package across lockfiles and advisories.
type key struct{ eco, name string }

var pypiSeparators = regexp.MustCompile(`[-_.]+`)

// keyOf normalises as OSV does: PyPI names per PEP 503, an ecosystem
// without its release suffix ("Debian:12" is "Debian").
func keyOf(eco, name string) key {
	eco, _, _ = strings.Cut(eco, ":")
	if eco == "PyPI" {
		name = strings.ToLower(pypiSeparators.ReplaceAllLiteralString(name, "-"))
	}
	return key{eco, name}
}

// wantedNames is the set of packages worth loading advisories for.
func wantedNames(pkgs []Package) map[key]bool {
	w := make(map[key]bool, len(pkgs))
	for _, p := range pkgs {
		w[keyOf(p.Ecosystem, p.Name)] = true
	}
	return w
}

// offlineDB is the advisories of a local OSV database that name a scanned
// package, indexed by package.
type offlineDB struct {
	index   map[key][]*osvpb.Vulnerability
	seen    map[key]map[string]bool // advisory ids per package, so a record in both a zip and a JSON file counts once
	total   int                     // OSV records read, relevant or not
	ecos    map[string]bool         // ecosystems with at least one record, relevant or not
	skipped []string
}

func newDB() *offlineDB {
	return &offlineDB{index: map[key][]*osvpb.Vulnerability{}, seen: map[key]map[string]bool{}, ecos: map[string]bool{}}
}

// loadDB reads every *.json and *.zip under dir. Only advisories that name
// a wanted package are decoded in full. OSV's export layout
// <Ecosystem>/all.zip is honoured by skipping the exports of ecosystems no
// scanned package belongs to.
func loadDB(dir string, wanted map[key]bool) (*offlineDB, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("offline OSV database: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("offline OSV database: %s is not a folder", dir)
	}
	ecos := map[string]bool{}
	for k := range wanted {
		ecos[k.eco] = true
	}
	db := newDB()
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("offline OSV database: %w", err)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		switch strings.ToLower(filepath.Ext(path)) {
		case ".json":
			b, err := readBounded(path)
			if err != nil {
				db.skipped = append(db.skipped, fmt.Sprintf("OSV database %s: %v", path, err))
				return nil
			}
			if err := db.add(b, wanted); err != nil {
				db.skipped = append(db.skipped, fmt.Sprintf("OSV database %s: %v", path, err))
			}
		case ".zip":
			parent := filepath.Dir(path)
			if d.Name() == "all.zip" && parent != filepath.Clean(dir) && !ecos[filepath.Base(parent)] {
				return nil
			}
			if err := db.addZip(path, wanted); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if db.total == 0 {
		return nil, fmt.Errorf("offline OSV database %s: no OSV advisories found (want <Ecosystem>/all.zip exports or OSV JSON files)", dir)
	}
	return db, nil
}

func readBounded(path string) ([]byte, error) {
	f, _, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxAdvisory+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxAdvisory {
		return nil, fmt.Errorf("larger than %d MiB", maxAdvisory>>20)
	}
	return b, nil
}

// addZip reads an OSV export: one JSON record per entry. A zip that
// cannot be opened fails the scan (the database is not what it claims to
// be); a bad entry is counted and reported once.
func (db *offlineDB) addZip(path string, wanted map[key]bool) error {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return fmt.Errorf("offline OSV database %s: %w", path, err)
	}
	defer zr.Close()
	bad := 0
	var firstErr error
	for _, zf := range zr.File {
		if !strings.HasSuffix(zf.Name, ".json") {
			continue
		}
		err := func() error {
			if zf.UncompressedSize64 > maxAdvisory {
				return fmt.Errorf("%s: larger than %d MiB", zf.Name, maxAdvisory>>20)
			}
			rc, err := zf.Open()
			if err != nil {
				return err
			}
			defer rc.Close()
			b, err := io.ReadAll(io.LimitReader(rc, maxAdvisory+1))
			if err != nil {
				return fmt.Errorf("%s: %w", zf.Name, err)
			}
			if len(b) > maxAdvisory {
				return fmt.Errorf("%s: larger than %d MiB", zf.Name, maxAdvisory>>20)
			}
			if err := db.add(b, wanted); err != nil {
				return fmt.Errorf("%s: %w", zf.Name, err)
			}
			return nil
		}()
		if err != nil {
			bad++
			if firstErr == nil {
				firstErr = err
			}
		}
	}
	if bad > 0 {
		db.skipped = append(db.skipped, fmt.Sprintf("OSV database %s: %d record(s) not read, first: %v", path, bad, firstErr))
	}
	return nil
}

// recordHead is the part of an OSV record read to decide whether the rest
// is worth decoding: encoding/json on these few fields is several times
// cheaper than protojson on the whole record.
type recordHead struct {
	ID       string `json:"id"`
	Affected []struct {
		Package struct {
			Ecosystem string `json:"ecosystem"`
			Name      string `json:"name"`
		} `json:"package"`
	} `json:"affected"`
}

// add reads one OSV record.
func (db *offlineDB) add(b []byte, wanted map[key]bool) error {
	var h recordHead
	if err := json.Unmarshal(b, &h); err != nil {
		return fmt.Errorf("not OSV JSON: %v", err)
	}
	if h.ID == "" {
		return fmt.Errorf("not an OSV record (no id)")
	}
	db.total++
	var keys []key
	for _, a := range h.Affected {
		k := keyOf(a.Package.Ecosystem, a.Package.Name)
		db.ecos[k.eco] = true
		if wanted[k] && !db.seen[k][h.ID] {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	v := &osvpb.Vulnerability{}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: not a valid OSV record: %v", h.ID, err)
	}
	for _, k := range keys {
		if db.seen[k] == nil {
			db.seen[k] = map[string]bool{}
		}
		if !db.seen[k][h.ID] {
			db.seen[k][h.ID] = true
			db.index[k] = append(db.index[k], v)
		}
	}
	return nil
}

// uncovered is a finding per ecosystem of the scanned packages that the
// database holds no record of: a copy of OSV without PyPI/all.zip would
// otherwise pass every Python project as clean, saying nothing.
func (db *offlineDB) uncovered(pkgs []Package, dir string) []report.Finding {
	type use struct {
		n     int
		files []string
	}
	uses := map[string]*use{}
	for _, p := range pkgs {
		eco := keyOf(p.Ecosystem, "").eco
		if p.alias || db.ecos[eco] {
			continue
		}
		u := uses[eco]
		if u == nil {
			u = &use{}
			uses[eco] = u
		}
		u.n++
		if !slices.Contains(u.files, p.File) {
			u.files = append(u.files, p.File)
		}
	}
	var out []report.Finding
	for _, eco := range slices.Sorted(maps.Keys(uses)) {
		u := uses[eco]
		out = append(out, report.Finding{
			RuleID:   RuleNoAdvisories,
			Severity: report.Medium,
			Message: fmt.Sprintf("the offline OSV database holds no %s advisories: %d %s package(s) in %s were not checked",
				eco, u.n, eco, shortList(u.files, 5)),
			File:        u.files[0],
			Evidence:    eco,
			Fingerprint: fingerprint(RuleNoAdvisories, eco),
			Fix: fmt.Sprintf("download https://osv-vulnerabilities.storage.googleapis.com/%s/all.zip to %s",
				url.PathEscape(eco), filepath.Join(dir, eco, "all.zip")),
			Properties: map[string]string{"ecosystem": eco, "packages": strconv.Itoa(u.n), "files": strings.Join(u.files, ",")},
		})
	}
	return out
}

// match asks osv-scalibr's matcher which of a package's candidate
// advisories affect its version, once per distinct package and version.
func (db *offlineDB) match(ctx context.Context, pkgs []Package, prog *report.Progress) ([]hit, []string, error) {
	type pv struct {
		k       key
		version string
	}
	type result struct {
		vulns []*osvpb.Vulnerability
		err   error
	}
	cache := map[pv]result{}
	var hits []hit
	var skipped []string
	for i, p := range pkgs {
		if i%256 == 0 && ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		prog.Add(1)
		k := keyOf(p.Ecosystem, p.Name)
		cands := db.index[k]
		if len(cands) == 0 {
			continue
		}
		r, ok := cache[pv{k, p.Version}]
		if !ok {
			r.vulns, r.err = affecting(cands, p)
			cache[pv{k, p.Version}] = r
		}
		if r.err != nil {
			skipped = append(skipped, fmt.Sprintf("%s: %s %s: %v", p.File, p.Name, p.Version, r.err))
			continue
		}
		for _, v := range r.vulns {
			hits = append(hits, hit{pkg: p, vuln: v})
		}
	}
	return hits, skipped, nil
}

// affecting is osvlocal.VulnerabilitiesAffectingPackage made safe: its
// version parsers panic on a version their ecosystem cannot read (such as
// a malformed PyPI version in a lockfile or an advisory).
func affecting(cands []*osvpb.Vulnerability, p Package) (vulns []*osvpb.Vulnerability, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("version cannot be compared: %v", r)
		}
	}()
	return osvlocal.VulnerabilitiesAffectingPackage(cands, p.pkg), nil
}
