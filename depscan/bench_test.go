package depscan

import (
	"archive/zip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkScanDeps scans a package-lock.json of 5,000 packages against an
// npm/all.zip of 2,000 advisories (half of them affecting the installed
// version): lockfile parsing, database load and matching, end to end.
func BenchmarkScanDeps(b *testing.B) {
	const nPkgs, nVulns = 5000, 2000
	root, db := b.TempDir(), b.TempDir()
	pkgs := map[string]any{"": map[string]any{"name": "big", "version": "1.0.0"}}
	for i := range nPkgs {
		pkgs[fmt.Sprintf("node_modules/pkg-%d", i)] = map[string]any{"version": "1.0.0", "resolved": fmt.Sprintf("https://registry.npmjs.org/pkg-%d/-/pkg-%d-1.0.0.tgz", i, i)}
	}
	lock, _ := json.Marshal(map[string]any{"name": "big", "version": "1.0.0", "lockfileVersion": 3, "requires": true, "packages": pkgs})
	if err := os.WriteFile(filepath.Join(root, "package-lock.json"), lock, 0o644); err != nil {
		b.Fatal(err)
	}
	os.MkdirAll(filepath.Join(db, "npm"), 0o755)
	f, err := os.Create(filepath.Join(db, "npm", "all.zip"))
	if err != nil {
		b.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for i := range nVulns {
		introduced := "0"
		if i%2 == 1 {
			introduced = "3.0.0" // does not affect 1.0.0
		}
		rec, _ := json.Marshal(map[string]any{
			"schema_version": "1.6.0", "id": fmt.Sprintf("GHSA-bench-%04d", i), "modified": "2026-01-01T00:00:00Z",
			"aliases": []string{fmt.Sprintf("CVE-2099-%05d", i)}, "summary": "benchmark advisory",
			"severity": []map[string]string{{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}},
			"affected": []map[string]any{{
				"package": map[string]string{"ecosystem": "npm", "name": fmt.Sprintf("pkg-%d", i*nPkgs/nVulns)},
				"ranges":  []map[string]any{{"type": "SEMVER", "events": []map[string]string{{"introduced": introduced}, {"fixed": "4.0.0"}}}},
			}},
		})
		w, _ := zw.Create(fmt.Sprintf("GHSA-bench-%04d.json", i))
		w.Write(rec)
	}
	zw.Close()
	f.Close()

	b.ResetTimer()
	for b.Loop() {
		rep, err := Scan(context.Background(), root, Options{OfflineDB: db})
		if err != nil {
			b.Fatal(err)
		}
		if rep.Scanned != nPkgs || len(rep.Findings) != nVulns/2 {
			b.Fatalf("scanned %d, %d findings; want %d and %d", rep.Scanned, len(rep.Findings), nPkgs, nVulns/2)
		}
	}
	b.ReportMetric(float64(nPkgs)*float64(b.N)/b.Elapsed().Seconds(), "packages/s")
}
