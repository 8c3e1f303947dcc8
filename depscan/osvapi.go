package depscan

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"

	osvpb "github.com/ossf/osv-schema/bindings/go/osvschema"
	"osv.dev/bindings/go/api"
	"osv.dev/bindings/go/osvdev"

	"github.com/wardenhq/warden/report"
)

const (
	// maxPages bounds the pages followed for one package: a package with
	// more than this many pages of advisories is reported as incomplete.
	maxPages = 10
	// detailFetchers is how many advisories are fetched at once.
	detailFetchers = 8
)

// matcher finds the advisories that affect packages.
type matcher interface {
	match(ctx context.Context, pkgs []Package, prog *report.Progress) ([]hit, []string, error)
}

// hit is one advisory affecting one package.
type hit struct {
	pkg  Package
	vuln *osvpb.Vulnerability
}

// apiMatcher asks the OSV API (osv.dev's Go bindings): querybatch says
// which advisories affect each package version, vulns/{id} gives each
// advisory's details (the batch answer carries ids only).
type apiMatcher struct {
	client *osvdev.OSVClient
}

func newAPI(base string, hc *http.Client) *apiMatcher {
	if base == "" {
		base = DefaultAPI
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	cfg := osvdev.DefaultConfig()
	cfg.UserAgent = "warden-scan-deps"
	// Three attempts (waits of 0, 1 and 4 s): enough for a blip, short
	// enough that an unreachable API fails the scan quickly.
	cfg.MaxRetryAttempts = 3
	return &apiMatcher{client: &osvdev.OSVClient{HTTPClient: hc, Config: cfg, BaseHostURL: strings.TrimRight(base, "/")}}
}

func (m *apiMatcher) match(ctx context.Context, pkgs []Package, prog *report.Progress) ([]hit, []string, error) {
	type pv struct {
		k       key
		version string
	}
	// One query per distinct package version.
	idx := map[pv]int{}
	var queries []*api.Query
	for _, p := range pkgs {
		k := pv{keyOf(p.Ecosystem, p.Name), p.Version}
		if _, ok := idx[k]; ok {
			continue
		}
		idx[k] = len(queries)
		queries = append(queries, &api.Query{
			Package: &osvpb.Package{Name: p.Name, Ecosystem: p.Ecosystem},
			Param:   &api.Query_Version{Version: p.Version},
		})
	}
	ids, incomplete, err := m.queryAll(ctx, queries)
	if err != nil {
		return nil, nil, fmt.Errorf("OSV API %s: %w", m.client.BaseHostURL, err)
	}
	details, err := m.details(ctx, ids)
	if err != nil {
		return nil, nil, fmt.Errorf("OSV API %s: %w", m.client.BaseHostURL, err)
	}
	var hits []hit
	for _, p := range pkgs {
		prog.Add(1)
		for _, id := range ids[idx[pv{keyOf(p.Ecosystem, p.Name), p.Version}]] {
			hits = append(hits, hit{pkg: p, vuln: details[id]})
		}
	}
	var skipped []string
	for _, i := range incomplete {
		q := queries[i]
		skipped = append(skipped, fmt.Sprintf("OSV API: %s %s has more than %d pages of advisories; only the first were read", q.GetPackage().GetName(), q.GetVersion(), maxPages))
	}
	return hits, skipped, nil
}

// queryAll runs the batch queries, following next_page_token, and returns
// the advisory ids per query.
func (m *apiMatcher) queryAll(ctx context.Context, queries []*api.Query) (ids [][]string, incomplete []int, err error) {
	ids = make([][]string, len(queries))
	pending := make([]int, len(queries))
	for i := range pending {
		pending[i] = i
	}
	for page := 0; len(pending) > 0; page++ {
		if page == maxPages {
			return ids, pending, nil
		}
		batch := make([]*api.Query, len(pending))
		for j, i := range pending {
			batch[j] = queries[i]
		}
		res, err := m.client.QueryBatch(ctx, batch)
		if err != nil {
			return nil, nil, err
		}
		if len(res.GetResults()) != len(batch) {
			return nil, nil, fmt.Errorf("querybatch answered %d results for %d queries", len(res.GetResults()), len(batch))
		}
		var next []int
		for j, r := range res.GetResults() {
			i := pending[j]
			for _, v := range r.GetVulns() {
				ids[i] = append(ids[i], v.GetId())
			}
			if tok := r.GetNextPageToken(); tok != "" {
				q := &api.Query{Package: queries[i].GetPackage(), Param: queries[i].GetParam(), PageToken: tok}
				queries[i] = q
				next = append(next, i)
			}
		}
		pending = next
	}
	return ids, nil, nil
}

// details fetches each advisory once, a few at a time.
func (m *apiMatcher) details(ctx context.Context, ids [][]string) (map[string]*osvpb.Vulnerability, error) {
	out := map[string]*osvpb.Vulnerability{}
	var todo []string
	for _, l := range ids {
		for _, id := range l {
			if _, ok := out[id]; !ok {
				out[id] = nil
				todo = append(todo, id)
			}
		}
	}
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		firstErr error
		sem      = make(chan struct{}, detailFetchers)
	)
	for _, id := range todo {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			v, err := m.client.GetVulnByID(ctx, id)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = fmt.Errorf("advisory %s: %w", id, err)
				}
				return
			}
			out[id] = v
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}
