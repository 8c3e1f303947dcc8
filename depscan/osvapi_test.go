package depscan

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// fakeOSV is a minimal OSV API: querybatch answers from a table of
// "ecosystem/name@version" → advisory ids, vulns/{id} serves the fixture
// records. lodash's answer comes in two pages.
type fakeOSV struct {
	mu      sync.Mutex
	queries []string // every query seen, with its page token
	fetched []string
}

func (f *fakeOSV) handler(t *testing.T) http.Handler {
	affected := map[string][]string{
		"npm/lodash@4.17.20":               {"GHSA-test-lod1-0001"},
		"npm/minimist@1.2.5":               {"GHSA-test-mini-0003"},
		"Go/golang.org/x/text@0.3.7":       {"GO-2099-0001"},
		"Go/github.com/example/tool@1.0.0": {"GO-2099-0002"},
		"PyPI/jinja2@2.11.2":               {"PYSEC-2099-1"},
		"PyPI/Jinja2@2.11.2":               {"PYSEC-2099-1"},
		"crates.io/smallvec@1.6.0":         {"RUSTSEC-2099-0001"},
	}
	records := map[string]string{}
	filepath.WalkDir("testdata/osv", func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(path)
			var h recordHead
			json.Unmarshal(b, &h)
			records[h.ID] = string(b)
		}
		return nil
	})
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/querybatch", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Queries []struct {
				Package   struct{ Name, Ecosystem string }
				Version   string
				PageToken string `json:"page_token"`
			}
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		type vuln struct {
			ID string `json:"id"`
		}
		type list struct {
			Vulns         []vuln `json:"vulns,omitempty"`
			NextPageToken string `json:"next_page_token,omitempty"`
		}
		var out struct {
			Results []list `json:"results"`
		}
		for _, q := range req.Queries {
			k := q.Package.Ecosystem + "/" + q.Package.Name + "@" + q.Version
			f.mu.Lock()
			f.queries = append(f.queries, k+"#"+q.PageToken)
			f.mu.Unlock()
			var l list
			ids := affected[k]
			if k == "npm/lodash@4.17.20" && q.PageToken == "" {
				// First page: nothing yet, more to come.
				ids, l.NextPageToken = nil, "page2"
			}
			for _, id := range ids {
				l.Vulns = append(l.Vulns, vuln{ID: id})
			}
			out.Results = append(out.Results, l)
		}
		json.NewEncoder(w).Encode(out)
	})
	mux.HandleFunc("GET /v1/vulns/{id}", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		f.mu.Lock()
		f.fetched = append(f.fetched, id)
		f.mu.Unlock()
		rec, ok := records[id]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(rec))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("unexpected request %s %s", r.Method, r.URL)
		http.NotFound(w, r)
	})
	return mux
}

func TestOnlineAPIFindsWhatTheOfflineDatabaseFinds(t *testing.T) {
	fake := &fakeOSV{}
	srv := httptest.NewServer(fake.handler(t))
	defer srv.Close()
	rep, err := Scan(context.Background(), project, Options{API: srv.URL, HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	offline := scanOffline(t, project, fixtureDB(t, false))
	fps := func(fs []string) []string { slices.Sort(fs); return fs }
	var on, off []string
	for _, f := range advisoryFindings(rep) {
		on = append(on, f.Fingerprint+" "+f.Severity.String()+" "+f.Fix)
	}
	for _, f := range advisoryFindings(offline) {
		off = append(off, f.Fingerprint+" "+f.Severity.String()+" "+f.Fix)
	}
	if !slices.Equal(fps(on), fps(off)) || len(on) != len(expected) {
		t.Errorf("online findings differ from offline:\n%s\nvs\n%s", strings.Join(on, "\n"), strings.Join(off, "\n"))
	}
	if !slices.Contains(fake.queries, "npm/lodash@4.17.20#page2") {
		t.Errorf("the second page of lodash was not asked for: %q", fake.queries)
	}
	// Each advisory is fetched once, however many packages it affects.
	slices.Sort(fake.fetched)
	if len(slices.Compact(slices.Clone(fake.fetched))) != len(fake.fetched) {
		t.Errorf("advisories fetched more than once: %q", fake.fetched)
	}
	// Each distinct package version is asked once (plus lodash's second page).
	if n := strings.Count(strings.Join(fake.queries, " "), "npm/lodash@4.17.20#"); n != 2 {
		t.Errorf("lodash asked %d times, want 2 (two pages)", n)
	}
}

func TestOnlineAPIErrorStopsTheScan(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "bad request", http.StatusBadRequest)
	}))
	defer srv.Close()
	_, err := Scan(context.Background(), project, Options{API: srv.URL, HTTPClient: srv.Client()})
	if err == nil || !strings.Contains(err.Error(), srv.URL) {
		t.Fatalf("err = %v, want an error naming the API", err)
	}
}
