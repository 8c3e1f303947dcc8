package urlimport_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/apiv1"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/wardentest"
)

var bg = context.Background()

// origin serves test files over HTTPS (a self-signed CA, given to Warden
// in egress.ca_file) and plain HTTP.
type origin struct {
	https, http *httptest.Server
}

func startOrigin(t *testing.T) *origin {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/file.txt", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "imported through the guard") })
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		w.Write(bytes.Repeat([]byte("x"), 3<<20))
	})
	mux.HandleFunc("/short", func(w http.ResponseWriter, r *http.Request) {
		// Promises more than it sends, then hangs up.
		w.Header().Set("Content-Length", "100000")
		w.Write(bytes.Repeat([]byte("y"), 5000))
		w.(http.Flusher).Flush()
		conn, _, _ := http.NewResponseController(w).Hijack()
		conn.Close()
	})
	mux.HandleFunc("/to-private", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
	})
	mux.HandleFunc("/to-elsewhere", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://not-allowed.example/", http.StatusFound)
	})
	mux.HandleFunc("/loop/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Path+"x", http.StatusFound)
	})
	mux.HandleFunc("/hop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/file.txt", http.StatusFound) })
	o := &origin{https: httptest.NewTLSServer(mux), http: httptest.NewServer(mux)}
	t.Cleanup(o.https.Close)
	t.Cleanup(o.http.Close)
	return o
}

func host(s *httptest.Server) string { return s.Listener.Addr().String() }

// server starts Warden allowed to reach the origin (loopback is private:
// it must be opened explicitly), trusting its CA.
func server(t *testing.T, o *origin) (*wardentest.Server, string) {
	t.Helper()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	cert := o.https.Certificate()
	os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o600)
	s := wardentest.Start(t, func(c *config.Config) {
		c.Limits.MaxFileSize = 1 << 20
		c.Egress.AllowPrivate = []string{"127.0.0.0/8"}
		c.Egress.CAFile = ca
		c.Profiles = map[string]config.Profile{"importer": {Egress: &config.EgressPolicy{Allow: []string{host(o.https), host(o.http)}}}}
	})
	s.CreateWorkspace("docs", "internal")
	p, err := s.Admin.CreatePrincipal(bg, "agent", apiv1.CreatePrincipal{Name: "bot", Profile: "importer", Grants: []string{"docs:contributor"}})
	if err != nil {
		t.Fatal(err)
	}
	return s, p.Token
}

func start(t *testing.T, s *wardentest.Server, tok, url, path string) wardentest.Response {
	t.Helper()
	b, _ := json.Marshal(apiv1.ImportRequest{URL: url, Path: path})
	return s.Do("POST", "/api/v1/workspaces/docs/imports", tok, b)
}

// wait polls an import until it ends.
func wait(t *testing.T, s *wardentest.Server, tok string, r wardentest.Response) apiv1.Import {
	t.Helper()
	if r.Status != http.StatusAccepted {
		t.Fatalf("start: %d %s", r.Status, r.Body)
	}
	var im apiv1.Import
	json.Unmarshal(r.Body, &im)
	for range 1000 {
		g := s.Do("GET", "/api/v1/workspaces/docs/imports/"+im.ID, tok, nil)
		if g.Status != 200 {
			t.Fatalf("get import: %d %s", g.Status, g.Body)
		}
		json.Unmarshal(g.Body, &im)
		if im.Status != "running" {
			return im
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("import still running")
	return im
}

func fileStatus(s *wardentest.Server, tok, path string) int {
	return s.Do("GET", "/api/v1/workspaces/docs/files/"+path, tok, nil).Status
}

func TestImportStreamsIntoTheEncryptedStore(t *testing.T) {
	o := startOrigin(t)
	s, tok := server(t, o)
	for _, tc := range []struct{ name, url string }{
		{"https with a private CA", o.https.URL + "/file.txt"},
		{"plain http", o.http.URL + "/file.txt"},
		{"a redirect on the allowlist", o.https.URL + "/hop"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := strings.ReplaceAll(tc.name, " ", "-") + ".txt"
			im := wait(t, s, tok, start(t, s, tok, tc.url+"?token=secret-in-query", path))
			if im.Status != "done" || im.Version != 1 || im.Bytes != int64(len("imported through the guard")) || strings.Contains(im.Source, "secret") {
				t.Fatalf("import = %+v", im)
			}
			r := s.Do("GET", "/api/v1/workspaces/docs/files/"+path, tok, nil)
			if r.Status != 200 || string(r.Body) != "imported through the guard" {
				t.Fatalf("file: %d %q", r.Status, r.Body)
			}
		})
	}
}

// Every way a download can go wrong leaves no file behind.
func TestFailedImportsWriteNothing(t *testing.T) {
	o := startOrigin(t)
	s, tok := server(t, o)
	for _, tc := range []struct{ name, url, want string }{
		{"redirect to a metadata address", o.https.URL + "/to-private", "forbidden address"},
		{"redirect off the allowlist", o.https.URL + "/to-elsewhere", "not on the allowlist"},
		{"more than five redirects", o.https.URL + "/loop/", "redirects"},
		{"larger than the file limit", o.https.URL + "/big", "too_large"},
		{"shorter than its Content-Length", o.http.URL + "/short", "unavailable"},
		{"a missing file", o.https.URL + "/nope", "404"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := strings.ReplaceAll(tc.name, " ", "-")
			im := wait(t, s, tok, start(t, s, tok, tc.url+"?sig=secret-in-query", path))
			if im.Status != "failed" || !strings.Contains(im.Error, tc.want) || strings.Contains(im.Error, "secret") {
				t.Fatalf("import = %+v, want failed with %q", im, tc.want)
			}
			if st := fileStatus(s, tok, path); st != 404 {
				t.Fatalf("the failed import left a file (status %d)", st)
			}
		})
	}
}

// Refused before anything is fetched: the answer says why at once.
func TestImportsRefusedUpFront(t *testing.T) {
	o := startOrigin(t)
	s, tok := server(t, o)
	viewer, err := s.Admin.CreatePrincipal(bg, "agent", apiv1.CreatePrincipal{Name: "reader", Profile: "importer", Grants: []string{"docs:viewer"}})
	if err != nil {
		t.Fatal(err)
	}
	// The origin must see no request for any of these.
	hits := 0
	counted := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits++ }))
	defer counted.Close()
	for _, tc := range []struct {
		name, tok, url, path string
		status               int
	}{
		{"not on the allowlist", tok, counted.URL + "/x", "a", 403},
		{"a metadata address", tok, "http://169.254.169.254/latest/meta-data/", "b", 403},
		{"a private address in another notation", tok, "http://2130706433:" + port(counted) + "/", "c", 403},
		{"not http", tok, "ftp://" + host(o.http) + "/file.txt", "d", 403},
		{"credentials in the URL", tok, "https://user:pw@" + host(o.https) + "/file.txt", "e", 403},
		{"not a URL", tok, "file.txt", "f", 403},
		{"a viewer cannot create files", viewer.Token, o.https.URL + "/file.txt", "g", 403},
		{"a bad path", tok, o.https.URL + "/file.txt", "../escape", 422},
		{"no such workspace", tok, o.https.URL + "/file.txt", "h", 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, _ := json.Marshal(apiv1.ImportRequest{URL: tc.url, Path: tc.path})
			ws := "docs"
			if tc.status == 404 {
				ws = "nope"
			}
			r := s.Do("POST", "/api/v1/workspaces/"+ws+"/imports", tc.tok, b)
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
			}
		})
	}
	if hits != 0 {
		t.Fatalf("the refused imports reached an origin %d times", hits)
	}
	// Another principal's import is not visible.
	im := wait(t, s, tok, start(t, s, tok, o.https.URL+"/file.txt", "mine.txt"))
	if r := s.Do("GET", "/api/v1/workspaces/docs/imports/"+im.ID, viewer.Token, nil); r.Status != 404 {
		t.Fatalf("another agent read the import: %d", r.Status)
	}
}

func port(s *httptest.Server) string { _, p, _ := net.SplitHostPort(host(s)); return p }
