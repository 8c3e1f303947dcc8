package api_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/wardenhq/warden/apiv1"
	"github.com/wardenhq/warden/client"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/keyring"
	"github.com/wardenhq/warden/wardentest"
)

var bg = context.Background()

func decodeJSON[T any](t *testing.T, r wardentest.Response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
	return v
}

func mustStatus(t *testing.T, r wardentest.Response, want int) {
	t.Helper()
	if r.Status != want {
		t.Fatalf("status %d, want %d: %s", r.Status, want, r.Body)
	}
}

func TestEncryptionAtRestHidesFileNamesAndContent(t *testing.T) {
	s := wardentest.Start(t)
	s.CreateWorkspace("finance", "confidential")
	tok := s.Agent("writer", "finance:editor")
	const name, content = "reports/q3-layoffs-secret.txt", "PLAINTEXT-CANARY-123"
	mustStatus(t, s.Do("PUT", "/api/v1/workspaces/finance/files/"+name, tok, []byte(content+" one")), 201)
	mustStatus(t, s.Do("PUT", "/api/v1/workspaces/finance/files/"+name, tok, []byte(content+" two")), 200)
	mustStatus(t, s.Do("GET", "/api/v1/workspaces/finance/files/"+name+"?version=1", tok, nil), 200)
	mustStatus(t, s.Do("GET", "/api/v1/workspaces/finance/files?prefix=reports/q3-layoffs", tok, nil), 200)
	mustStatus(t, s.Do("DELETE", "/api/v1/workspaces/finance/files/"+name, tok, nil), 200)
	// A denied and an invalid attempt put the name into audit events too.
	mustStatus(t, s.Do("PUT", "/api/v1/workspaces/finance/files/"+name+"%00", tok, []byte("x")), 422)
	// Notes about incidents are sensitive too.
	if _, err := s.Admin.Lock(bg, "agent", "writer", "NOTE-CANARY-777 leaked payroll"); err != nil {
		t.Fatal(err)
	}
	s.Stop() // flush the WAL and the audit log

	for _, canary := range []string{"q3-layoffs-secret", "PLAINTEXT-CANARY-123", "NOTE-CANARY-777", s.AdminToken} {
		filepath.WalkDir(s.Dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(b, []byte(canary)) {
				t.Errorf("%q found in %s", canary, p)
			}
			return nil
		})
	}
}

func TestWritesMakeVersionsAndNothingIsLost(t *testing.T) {
	s := wardentest.Start(t)
	s.CreateWorkspace("docs", "internal")
	ed := s.Client(s.Agent("ed", "docs:editor"))
	for _, body := range []string{"v1", "v2", "v3"} {
		if _, err := ed.PutFile(bg, "docs", "a/b.txt", strings.NewReader(body), int64(len(body))); err != nil {
			t.Fatal(err)
		}
	}
	for v, want := range map[int]string{0: "v3", 1: "v1", 2: "v2", 3: "v3"} {
		r := s.Do("GET", "/api/v1/workspaces/docs/files/a/b.txt"+versionQuery(v), s.AdminToken, nil)
		mustStatus(t, r, 200)
		if string(r.Body) != want {
			t.Errorf("version %d = %q, want %q", v, r.Body, want)
		}
		if r.Header.Get("Content-Type") != "application/octet-stream" || r.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("unsafe content headers: %v", r.Header)
		}
	}
	r := s.Do("GET", "/api/v1/workspaces/docs/files/a/b.txt?version=9", s.AdminToken, nil)
	mustStatus(t, r, 404)

	// Delete: a tombstone; editors no longer see it, admins can restore.
	if _, err := ed.DeleteFile(bg, "docs", "a/b.txt"); err != nil {
		t.Fatal(err)
	}
	mustStatus(t, s.Do("GET", "/api/v1/workspaces/docs/files/a/b.txt", s.Agent("ed2", "docs:editor"), nil), 404)
	if _, err := ed.DeleteFile(bg, "docs", "a/b.txt"); client.Code(err) != "not_found" {
		t.Fatalf("second delete = %v", err)
	}
	vs, err := s.Admin.Versions(bg, "docs", "a/b.txt", 0)
	if err != nil || len(vs.Versions) != 4 || !vs.Versions[3].Deleted || !vs.File.Deleted {
		t.Fatalf("versions after delete = %+v, %v", vs, err)
	}
	listed, err := s.Admin.Files(bg, "docs", client.ListOptions{Deleted: true})
	if err != nil || len(listed.Files) != 1 || !listed.Files[0].Deleted {
		t.Fatalf("admin listing with deleted = %+v, %v", listed, err)
	}
	// Below workspace admin a deleted file answers like one that never existed.
	if _, err := ed.Restore(bg, "docs", "a/b.txt", 2, 0); client.Code(err) != "not_found" {
		t.Fatalf("editor undelete = %v, want not_found", err)
	}
	gone := s.Do("GET", "/api/v1/workspaces/docs/files/a/b.txt?versions", s.Agent("ed3", "docs:editor"), nil)
	never := s.Do("GET", "/api/v1/workspaces/docs/files/a/never.txt?versions", s.Agent("ed4", "docs:editor"), nil)
	if gone.Status != 404 || strings.Replace(string(gone.Body), "a/b.txt", "a/never.txt", 1) != string(never.Body) {
		t.Fatalf("deleted and never-existing files answer differently:\n%s\n%s", gone.Body, never.Body)
	}
	f, err := s.Admin.Restore(bg, "docs", "a/b.txt", 2, 0)
	if err != nil || f.Version != 5 || f.Deleted {
		t.Fatalf("restore = %+v, %v", f, err)
	}
	r = s.Do("GET", "/api/v1/workspaces/docs/files/a/b.txt", s.AdminToken, nil)
	if string(r.Body) != "v2" {
		t.Fatalf("after restore head = %q", r.Body)
	}
	vs, _ = s.Admin.Versions(bg, "docs", "a/b.txt", 0)
	if vs.Versions[4].RestoredFrom != 2 {
		t.Fatalf("restored_from = %d", vs.Versions[4].RestoredFrom)
	}
	if _, err := s.Admin.Restore(bg, "docs", "a/b.txt", 4, 0); client.Code(err) != "invalid" {
		t.Fatalf("restoring a tombstone = %v, want invalid", err)
	}
	// Every version is still there after a restart.
	s.Restart()
	for v, want := range map[int]string{1: "v1", 2: "v2", 3: "v3", 5: "v2"} {
		r := s.Do("GET", "/api/v1/workspaces/docs/files/a/b.txt"+versionQuery(v), s.AdminToken, nil)
		if r.Status != 200 || string(r.Body) != want {
			t.Errorf("after restart version %d = %d %q", v, r.Status, r.Body)
		}
	}
}

func versionQuery(v int) string {
	if v == 0 {
		return ""
	}
	return "?version=" + strconv.Itoa(v)
}

func TestProtectedFilesNeedAWorkspaceAdmin(t *testing.T) {
	s := wardentest.Start(t)
	s.CreateWorkspace("legal", "restricted")
	ed := s.Client(s.Agent("ed", "legal:editor"))
	wsAdmin := s.Client(s.Agent("boss", "legal:admin"))
	if _, err := ed.PutFile(bg, "legal", "contract.pdf", strings.NewReader("signed"), 6); err != nil {
		t.Fatal(err)
	}
	if _, err := ed.Protect(bg, "legal", "contract.pdf", true); client.Code(err) != "forbidden" {
		t.Fatalf("editor protect = %v", err)
	}
	if f, err := wsAdmin.Protect(bg, "legal", "contract.pdf", true); err != nil || !f.Protected {
		t.Fatalf("admin protect = %+v, %v", f, err)
	}
	if _, err := ed.PutFile(bg, "legal", "contract.pdf", strings.NewReader("forged"), 6); client.Code(err) != "forbidden" {
		t.Fatalf("editor overwrite of protected = %v", err)
	}
	if _, err := ed.DeleteFile(bg, "legal", "contract.pdf"); client.Code(err) != "forbidden" {
		t.Fatalf("editor delete of protected = %v", err)
	}
	if _, err := wsAdmin.PutFile(bg, "legal", "contract.pdf", strings.NewReader("amended"), 7); err != nil {
		t.Fatalf("admin overwrite of protected = %v", err)
	}
	if f, err := wsAdmin.Protect(bg, "legal", "contract.pdf", false); err != nil || f.Protected {
		t.Fatalf("unprotect = %+v, %v", f, err)
	}
	if _, err := ed.PutFile(bg, "legal", "contract.pdf", strings.NewReader("edit"), 4); err != nil {
		t.Fatalf("editor overwrite after unprotect = %v", err)
	}
}

func TestListingFiltersSortsAndPages(t *testing.T) {
	s := wardentest.Start(t)
	s.CreateWorkspace("w", "internal")
	paths := []string{"b/2.txt", "a/1.txt", "a/Report-Q3.txt", "c.txt", "a/sub/3.txt"}
	for _, p := range paths {
		if _, err := s.Admin.PutFile(bg, "w", p, strings.NewReader(p), -1); err != nil {
			t.Fatal(err)
		}
	}
	v := s.Client(s.Agent("v", "w:viewer"))
	all, err := v.Files(bg, "w", client.ListOptions{})
	if err != nil || names(all) != "a/1.txt a/Report-Q3.txt a/sub/3.txt b/2.txt c.txt" {
		t.Fatalf("list = %s, %v", names(all), err)
	}
	if got, _ := v.Files(bg, "w", client.ListOptions{Prefix: "a/"}); names(got) != "a/1.txt a/Report-Q3.txt a/sub/3.txt" {
		t.Fatalf("prefix = %s", names(got))
	}
	if got, _ := v.Files(bg, "w", client.ListOptions{Query: "report"}); names(got) != "a/Report-Q3.txt" {
		t.Fatalf("search = %s", names(got))
	}
	page1, _ := v.Files(bg, "w", client.ListOptions{Limit: 2})
	page2, _ := v.Files(bg, "w", client.ListOptions{Limit: 2, After: page1.Next})
	page3, _ := v.Files(bg, "w", client.ListOptions{Limit: 2, After: page2.Next})
	if names(page1) != "a/1.txt a/Report-Q3.txt" || names(page2) != "a/sub/3.txt b/2.txt" || names(page3) != "c.txt" || page3.Next != "" {
		t.Fatalf("pages = %s | %s | %s (next %q)", names(page1), names(page2), names(page3), page3.Next)
	}
	if _, err := v.Files(bg, "w", client.ListOptions{Deleted: true}); client.Code(err) != "forbidden" {
		t.Fatalf("viewer listing deleted files = %v", err)
	}
}

func names(f *apiv1.Files) string {
	var out []string
	for _, x := range f.Files {
		out = append(out, x.Path)
	}
	return strings.Join(out, " ")
}

func TestRangeReadsDecryptOnlyWhatIsAsked(t *testing.T) {
	s := wardentest.Start(t)
	s.CreateWorkspace("w", "internal")
	data := make([]byte, 5*keyring.ChunkSize+123)
	rand.Read(data)
	if _, err := s.Admin.PutFile(bg, "w", "big.bin", bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}
	for _, rg := range [][2]int{{0, 9}, {keyring.ChunkSize - 5, keyring.ChunkSize + 5}, {3*keyring.ChunkSize + 7, len(data) - 1}} {
		req, _ := http.NewRequest("GET", s.URL+"/api/v1/workspaces/w/files/big.bin", nil)
		req.Header.Set("Authorization", "Bearer "+s.AdminToken)
		req.Header.Set("Range", "bytes="+strconv.Itoa(rg[0])+"-"+strconv.Itoa(rg[1]))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 206 || !bytes.Equal(b, data[rg[0]:rg[1]+1]) {
			t.Fatalf("range %v: status %d, %d bytes, equal=%v", rg, resp.StatusCode, len(b), bytes.Equal(b, data[rg[0]:rg[1]+1]))
		}
	}
}

// blobFiles returns the sealed objects in a data dir.
func blobFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	root := filepath.Join(dir, "blobs")
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if rel, _ := filepath.Rel(root, p); err == nil && !d.IsDir() && !strings.HasPrefix(rel, "tmp"+string(filepath.Separator)) {
			out = append(out, p)
		}
		return err
	})
	return out
}

func flipByte(t *testing.T, path string, off int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x40
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

func TestTamperedContentFailsLoudlyAndNeverReturnsAlteredBytes(t *testing.T) {
	s := wardentest.Start(t)
	s.CreateWorkspace("w", "internal")
	small := []byte("the quarterly numbers are fine")
	if _, err := s.Admin.PutFile(bg, "w", "small.txt", bytes.NewReader(small), int64(len(small))); err != nil {
		t.Fatal(err)
	}
	blobs := blobFiles(t, s.Dir)
	if len(blobs) != 1 {
		t.Fatalf("blobs: %v", blobs)
	}
	flipByte(t, blobs[0], 20) // inside the first (only) chunk
	r := s.Do("GET", "/api/v1/workspaces/w/files/small.txt", s.AdminToken, nil)
	mustStatus(t, r, 500)
	if e := decodeJSON[apiv1.Error](t, r); e.Error.Code != "integrity" || bytes.Contains(r.Body, small[:10]) {
		t.Fatalf("body = %s", r.Body)
	}

	// A damaged later chunk of a large file: the transfer is cut, and the
	// client never receives a complete body.
	big := make([]byte, 4*keyring.ChunkSize)
	rand.Read(big)
	if _, err := s.Admin.PutFile(bg, "w", "big.bin", bytes.NewReader(big), int64(len(big))); err != nil {
		t.Fatal(err)
	}
	var bigBlob string
	for _, b := range blobFiles(t, s.Dir) {
		if b != blobs[0] {
			bigBlob = b
		}
	}
	flipByte(t, bigBlob, 16+3*(keyring.ChunkSize+16)+100) // chunk 3
	resp, err := s.Admin.GetFile(bg, "w", "big.bin", 0)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err == nil {
		t.Fatalf("read %d bytes of a damaged file without error", len(got))
	}
	if !bytes.Equal(got, big[:len(got)]) || len(got) > 3*keyring.ChunkSize {
		t.Fatalf("received %d bytes, altered or past the damaged chunk", len(got))
	}

	// Multi-range requests are read by net/http in a goroutine of its own: a
	// damaged chunk there must cut that response, not the server.
	req, _ := http.NewRequest("GET", s.URL+"/api/v1/workspaces/w/files/big.bin", nil)
	req.Header.Set("Authorization", "Bearer "+s.AdminToken)
	req.Header.Set("Range", "bytes=0-1,"+strconv.Itoa(3*keyring.ChunkSize+10)+"-"+strconv.Itoa(3*keyring.ChunkSize+20))
	if resp, err := http.DefaultClient.Do(req); err == nil {
		io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	mustStatus(t, s.Do("GET", "/healthz", "", nil), 200)
}

func TestUploadLimitIsEnforced(t *testing.T) {
	s := wardentest.Start(t, func(c *config.Config) { c.Limits.MaxFileSize = 1000 })
	s.CreateWorkspace("w", "internal")
	r := s.Do("PUT", "/api/v1/workspaces/w/files/too-big", s.AdminToken, make([]byte, 1001))
	mustStatus(t, r, 413)
	// Without a Content-Length the limit is enforced while streaming.
	_, err := s.Admin.PutFile(bg, "w", "too-big-chunked", io.LimitReader(zeros{}, 5000), -1)
	if client.Code(err) != "too_large" {
		t.Fatalf("chunked oversize upload = %v", err)
	}
	mustStatus(t, s.Do("PUT", "/api/v1/workspaces/w/files/ok", s.AdminToken, make([]byte, 1000)), 201)
	if got := len(blobFiles(t, s.Dir)); got != 1 {
		t.Fatalf("%d blobs stored; refused uploads must leave nothing", got)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
