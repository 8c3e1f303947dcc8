package api_test

import (
	"database/sql"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/wardenhq/warden/apiv1"
	"github.com/wardenhq/warden/client"
	"github.com/wardenhq/warden/wardentest"
)

// Writing at the path of a deleted file starts a new file: the deleted one,
// its history and its protection stay out of reach of everyone below
// workspace admin, and the writer learns nothing about it.
func TestWritingOverADeletedFileCannotBringItBack(t *testing.T) {
	s := wardentest.Start(t)
	s.CreateWorkspace("w", "internal")
	contrib := s.Client(s.Agent("contrib", "w:contributor"))
	viewer := s.Client(s.Agent("viewer", "w:viewer"))
	editor := s.Client(s.Agent("editor", "w:editor"))
	for _, body := range []string{"SECRET v1", "SECRET v2"} {
		if _, err := s.Admin.PutFile(bg, "w", "policy.txt", strings.NewReader(body), -1); err != nil {
			t.Fatal(err)
		}
	}
	s.Admin.Protect(bg, "w", "policy.txt", true)
	if _, err := s.Admin.DeleteFile(bg, "w", "policy.txt"); err != nil {
		t.Fatal(err)
	}

	f, err := contrib.PutFile(bg, "w", "policy.txt", strings.NewReader("fresh"), -1)
	if err != nil || f.Version != 1 || f.Protected {
		t.Fatalf("contributor write over a deleted file = %+v, %v; want a new, unprotected version 1", f, err)
	}
	vs, err := viewer.Versions(bg, "w", "policy.txt", 0)
	if err != nil || len(vs.Versions) != 1 {
		t.Fatalf("viewer sees %d versions, %v; want only the new file's one", len(vs.Versions), err)
	}
	if resp, err := viewer.GetFile(bg, "w", "policy.txt", 2); client.Code(err) != "not_found" {
		if resp != nil {
			resp.Body.Close()
		}
		t.Fatalf("viewer reading version 2 = %v, want not_found", err)
	}
	if _, err := editor.Restore(bg, "w", "policy.txt", 2, 0); client.Code(err) != "not_found" {
		t.Fatalf("editor restoring version 2 = %v, want not_found", err)
	}
	if _, err := editor.Versions(bg, "w", "policy.txt", 1); client.Code(err) != "forbidden" {
		t.Fatalf("editor reaching an archived file = %v, want forbidden", err)
	}

	// The admin still has everything.
	all, err := s.Admin.Files(bg, "w", client.ListOptions{Deleted: true})
	if err != nil || len(all.Files) != 2 || all.Files[0].Archived || !all.Files[1].Archived || all.Files[1].FileID == 0 {
		t.Fatalf("admin listing = %+v, %v", all, err)
	}
	old := all.Files[1].FileID
	resp, err := s.Admin.GetFileRef(bg, "w", "policy.txt", client.FileRef{Version: 2, Archived: old})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "SECRET v2" {
		t.Fatalf("archived version 2 = %q", b)
	}
	restored, err := s.Admin.Restore(bg, "w", "policy.txt", 1, old)
	if err != nil || restored.Version != 2 {
		t.Fatalf("restore from the archive = %+v, %v", restored, err)
	}
	r := s.Do("GET", "/api/v1/workspaces/w/files/policy.txt", s.AdminToken, nil)
	if string(r.Body) != "SECRET v1" {
		t.Fatalf("after restore from the archive: %q", r.Body)
	}
	// Paging through a listing never loses an archived file that shares its
	// path with the current one.
	s.Admin.PutFile(bg, "w", "zz.txt", strings.NewReader("z"), -1)
	var paged []string
	for after := ""; ; {
		page, err := s.Admin.Files(bg, "w", client.ListOptions{Deleted: true, Limit: 1, After: after})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range page.Files {
			paged = append(paged, f.Path+"/"+strconv.FormatBool(f.Archived))
		}
		if after = page.Next; after == "" {
			break
		}
	}
	if strings.Join(paged, " ") != "policy.txt/false policy.txt/true zz.txt/false" {
		t.Fatalf("paged listing = %v", paged)
	}
	mustStatus(t, s.Do("GET", "/api/v1/workspaces/w/files?after=not-a-cursor!", s.AdminToken, nil), 422)
	// file= has no meaning for writes: refused, not applied to the current file.
	for _, m := range []string{"PUT", "DELETE"} {
		mustStatus(t, s.Do(m, "/api/v1/workspaces/w/files/policy.txt?file="+strconv.FormatInt(old, 10), s.AdminToken, []byte("x")), 422)
	}
	mustStatus(t, s.Do("POST", "/api/v1/workspaces/w/files/policy.txt?protect&file="+strconv.FormatInt(old, 10), s.AdminToken, nil), 422)

	// A file id that is not an archived file at this path is not found.
	mustStatus(t, s.Do("GET", "/api/v1/workspaces/w/files/other.txt?versions&file="+strconv.FormatInt(old, 10), s.AdminToken, nil), 404)
	mustStatus(t, s.Do("GET", "/api/v1/workspaces/w/files/policy.txt?file=abc", s.AdminToken, nil), 422)
}

// slowUpload starts a PUT whose body is sent in two halves; the second is
// sent when release is closed. It returns the response status.
func slowUpload(t *testing.T, s *wardentest.Server, token, path string, release <-chan struct{}) <-chan int {
	pr, pw := io.Pipe()
	go func() {
		pw.Write([]byte(strings.Repeat("a", 100_000)))
		<-release
		pw.Write([]byte("end"))
		pw.Close()
	}()
	done := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("PUT", s.URL+"/api/v1/workspaces/w/files/"+path, pr)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	return done
}

// waitForUpload waits until the server has the upload's first bytes on disk.
func waitForUpload(t *testing.T, s *wardentest.Server) {
	for range 500 {
		if len(tmpFiles(t, s.Dir)) > 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the upload never started")
}

func tmpFiles(t *testing.T, dir string) []string {
	m, _ := filepath.Glob(filepath.Join(dir, "blobs", "tmp", "*"))
	return m
}

// An upload decides at its end on what is true then: a principal locked,
// revoked or removed from the workspace while its body streamed changes
// nothing.
func TestStandingIsRecheckedWhenAnUploadCommits(t *testing.T) {
	cases := []struct {
		name   string
		act    func(s *wardentest.Server)
		status int
	}{
		{"locked", func(s *wardentest.Server) { s.Admin.Lock(bg, "agent", "bot", "mid-upload") }, 423},
		{"revoked", func(s *wardentest.Server) { s.Admin.Revoke(bg, "agent", "bot") }, 401},
		{"ungranted", func(s *wardentest.Server) { s.Admin.Ungrant(bg, "w", "bot") }, 404},
		{"demoted", func(s *wardentest.Server) { s.Admin.Grant(bg, "w", "bot", "viewer") }, 403},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := wardentest.Start(t)
			s.CreateWorkspace("w", "internal")
			tok := s.Agent("bot", "w:editor")
			release := make(chan struct{})
			done := slowUpload(t, s, tok, "x.bin", release)
			waitForUpload(t, s)
			c.act(s)
			close(release)
			if got := <-done; got != c.status {
				t.Fatalf("status %d, want %d", got, c.status)
			}
			if _, err := s.Admin.Versions(bg, "w", "x.bin", 0); client.Code(err) != "not_found" {
				t.Fatalf("the refused upload left a file: %v", err)
			}
			if n := len(blobFiles(t, s.Dir)); n != 0 {
				t.Fatalf("%d blobs left", n)
			}
			evs, _ := s.Admin.Audit(bg, client.AuditQuery{Action: "file.write", Decision: "deny"})
			if len(evs.Events) != 1 {
				t.Fatalf("refused upload not on the record as a denial: %+v", evs.Events)
			}
		})
	}
}

// Version records and file names are bound to where they belong: moving
// them between files in the database is caught, never served.
func TestMovedRecordsFailTheirIntegrityCheck(t *testing.T) {
	s := wardentest.Start(t)
	s.CreateWorkspace("hr", "restricted")
	s.CreateWorkspace("ws", "internal")
	s.Admin.PutFile(bg, "hr", "salaries.txt", strings.NewReader("HR salary data"), -1)
	s.Admin.PutFile(bg, "ws", "notes.txt", strings.NewReader("public notes"), -1)
	s.Admin.PutFile(bg, "ws", "a.txt", strings.NewReader("A"), -1)
	s.Admin.PutFile(bg, "ws", "b.txt", strings.NewReader("B"), -1)
	s.Stop()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(s.Dir, "warden.db"))
	if err != nil {
		t.Fatal(err)
	}
	// File ids in creation order: 1 salaries, 2 notes, 3 a, 4 b.
	exec := func(q string) {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	exec(`UPDATE versions SET blob_id = (SELECT blob_id FROM versions WHERE file_id = 1), wrapped_key = (SELECT wrapped_key FROM versions WHERE file_id = 1),
		size = (SELECT size FROM versions WHERE file_id = 1) WHERE file_id = 2`)
	// Give file 3 ("a.txt") the name record of file 4 ("b.txt").
	exec(`CREATE TEMP TABLE b AS SELECT path_hash, path_sealed FROM files WHERE id = 4`)
	exec(`UPDATE files SET path_hash = X'00' WHERE id = 4`)
	exec(`UPDATE files SET path_hash = (SELECT path_hash FROM b), path_sealed = (SELECT path_sealed FROM b) WHERE id = 3`)
	db.Close()
	s.Restart()

	r := s.Do("GET", "/api/v1/workspaces/ws/files/notes.txt", s.AdminToken, nil)
	if r.Status != 500 || strings.Contains(string(r.Body), "salary") {
		t.Fatalf("a version record moved from another workspace: %d %s", r.Status, r.Body)
	}
	if e := decodeJSON[apiv1.Error](t, r); e.Error.Code != "integrity" {
		t.Fatalf("code %q", e.Error.Code)
	}
	r = s.Do("GET", "/api/v1/workspaces/ws/files/b.txt", s.AdminToken, nil)
	if r.Status != 500 || string(r.Body) == "A" {
		t.Fatalf("a name moved onto another file: %d %s", r.Status, r.Body)
	}
}

// A lock stops a download under way, not only the next request.
func TestLockStopsADownloadUnderWay(t *testing.T) {
	s := wardentest.Start(t)
	s.CreateWorkspace("w", "internal")
	tok := s.Agent("bot", "w:viewer")
	const size = 64 << 20
	if _, err := s.Admin.PutFile(bg, "w", "big.bin", io.LimitReader(zeros{}, size), size); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", s.URL+"/api/v1/workspaces/w/files/big.bin", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if _, err := io.CopyN(io.Discard, resp.Body, 1<<20); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Admin.Lock(bg, "agent", "bot", "mass download"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // past the guard's check interval: not a timing assertion
	n, err := io.Copy(io.Discard, resp.Body)
	if err == nil || n+(1<<20) >= size {
		t.Fatalf("download went on after the lock: %d more bytes, err %v", n, err)
	}
	evs, _ := s.Admin.Audit(bg, client.AuditQuery{Action: "file.read_aborted"})
	if len(evs.Events) != 1 || evs.Events[0].Decision.Rule != "auth.locked" || evs.Events[0].Principal != "bot" {
		t.Fatalf("abort events = %+v", evs.Events)
	}
}
