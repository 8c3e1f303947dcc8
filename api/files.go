package api

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/apiv1"
	"github.com/wardenhq/warden/workspace"
)

func fileOut(f *warden.File) apiv1.File {
	out := apiv1.File{Path: f.Path, Version: f.Version, Size: f.Size, Deleted: f.Deleted, Protected: f.Protected, Archived: f.Archived, Modified: f.ModTime, Author: f.Author}
	if f.Archived {
		out.FileID = f.ID // the only way to reach it; current files are reached by path
	}
	return out
}

// archivedParam reads ?file=ID, which selects an archived file (0: none).
func archivedParam(r *http.Request) (int64, error) {
	v := r.URL.Query().Get("file")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, warden.Errorf(warden.EINVALID, "file must be the id of an archived file")
	}
	return n, nil
}

func (s *Server) listFiles(w http.ResponseWriter, r *http.Request, p *warden.Principal) error {
	q := r.URL.Query()
	lo := workspace.ListOptions{Prefix: q.Get("prefix"), Query: q.Get("q"), After: q.Get("after")}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return warden.Errorf(warden.EINVALID, "limit must be a positive number")
		}
		lo.Limit = n
	}
	if v := q.Get("deleted"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return warden.Errorf(warden.EINVALID, "deleted must be true or false")
		}
		lo.IncludeDeleted = b
	}
	files, next, err := s.ws.Files(r.Context(), p, r.PathValue("ws"), lo)
	if err != nil {
		return err
	}
	out := apiv1.Files{Files: []apiv1.File{}, Next: next}
	for i := range files {
		out.Files = append(out.Files, fileOut(&files[i]))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getFile(w http.ResponseWriter, r *http.Request, p *warden.Principal) error {
	q := r.URL.Query()
	ws, path := r.PathValue("ws"), r.PathValue("path")
	if path == "" {
		return s.listFiles(w, r, p)
	}
	archived, err := archivedParam(r)
	if err != nil {
		return err
	}
	if q.Has("versions") {
		f, vs, err := s.ws.Versions(r.Context(), p, ws, path, archived)
		if err != nil {
			return err
		}
		out := apiv1.Versions{File: fileOut(f), Versions: []apiv1.Version{}}
		for _, v := range vs {
			out.Versions = append(out.Versions, apiv1.Version{Version: v.Version, Size: v.Size, Deleted: v.Tombstone, RestoredFrom: v.RestoredFrom, Created: v.CreatedAt, Author: v.Author})
		}
		writeJSON(w, http.StatusOK, out)
		return nil
	}
	version := 0
	if v := q.Get("version"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return warden.Errorf(warden.EINVALID, "version must be a positive number")
		}
		version = n
	}
	c, err := s.ws.Open(r.Context(), p, ws, path, version, archived)
	if err != nil {
		return err
	}
	defer c.Close()
	h := w.Header()
	// Stored bytes are never rendered by a browser on this origin.
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", "attachment")
	h.Set("ETag", fmt.Sprintf(`"%d.%d"`, c.File.ID, c.File.Version))
	h.Set("X-Warden-Version", strconv.Itoa(c.File.Version))
	content := &guard{r: c.Reader, last: time.Now(), check: func(sent int64) error {
		return s.ws.StillAllowed(r.Context(), p, ws, c.File.Path, sent)
	}}
	http.ServeContent(w, r, "", c.File.ModTime, content)
	if err := content.failure(); err != nil {
		// The headers and earlier bytes are gone; cut the connection so no
		// client takes a short body for the whole file.
		s.log.Warn("file transfer stopped part-way; aborting the response", "request_id", warden.RequestFrom(r.Context()).ID,
			"code", warden.ErrorCode(err), "err", err)
		panic(http.ErrAbortHandler)
	}
	return nil
}

// guard streams stored content and stops it part-way when it must: a chunk
// that fails authentication, or a caller that may no longer read (locked,
// revoked, removed from the workspace while the transfer ran), checked every
// checkBytes or checkEvery. It must not panic itself: for multi-range
// requests http.ServeContent reads in a goroutine of its own, where a panic
// would take the whole server down; the handler aborts instead.
type guard struct {
	r     io.ReadSeeker
	check func(sent int64) error
	sent  int64
	due   int64
	last  time.Time
	mu    sync.Mutex
	err   error
}

const (
	checkBytes = 64 << 20
	checkEvery = time.Second
)

func (g *guard) Read(p []byte) (int, error) {
	if g.sent >= g.due || time.Since(g.last) >= checkEvery {
		g.due, g.last = g.sent+checkBytes, time.Now()
		if g.sent > 0 { // the first bytes were allowed moments ago
			if err := g.check(g.sent); err != nil {
				g.fail(err)
				return 0, err
			}
		}
	}
	n, err := g.r.Read(p)
	g.sent += int64(n)
	if err != nil && err != io.EOF {
		g.fail(err)
	}
	return n, err
}

func (g *guard) Seek(off int64, whence int) (int64, error) { return g.r.Seek(off, whence) }

func (g *guard) fail(err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.err == nil {
		g.err = err
	}
}

func (g *guard) failure() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.err
}

// noArchived refuses ?file= where it has no meaning, rather than acting on
// the current file at the path when the caller meant an archived one.
func noArchived(r *http.Request) error {
	if r.URL.Query().Has("file") {
		return warden.Errorf(warden.EINVALID, "file= selects an archived file for reading, history and restore only")
	}
	return nil
}

func (s *Server) putFile(w http.ResponseWriter, r *http.Request, p *warden.Principal) error {
	if err := noArchived(r); err != nil {
		return err
	}
	if r.ContentLength > s.maxFile {
		return warden.Errorf(warden.ETOOLARGE, "file is larger than the limit of %d bytes", s.maxFile)
	}
	body := http.MaxBytesReader(w, r.Body, s.maxFile)
	res, err := s.ws.Put(r.Context(), p, r.PathValue("ws"), r.PathValue("path"), body)
	if err != nil {
		return err
	}
	st := http.StatusOK
	if res.Created {
		st = http.StatusCreated
	}
	writeJSON(w, st, fileOut(&res.File))
	return nil
}

func (s *Server) deleteFile(w http.ResponseWriter, r *http.Request, p *warden.Principal) error {
	if err := noArchived(r); err != nil {
		return err
	}
	f, err := s.ws.Delete(r.Context(), p, r.PathValue("ws"), r.PathValue("path"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, fileOut(f))
	return nil
}

// postFile runs one action on a file, named by a query parameter:
// ?restore=N, ?protect or ?protect=false.
func (s *Server) postFile(w http.ResponseWriter, r *http.Request, p *warden.Principal) error {
	q := r.URL.Query()
	ws, path := r.PathValue("ws"), r.PathValue("path")
	switch {
	case q.Has("restore") && q.Has("protect"):
		return warden.Errorf(warden.EINVALID, "give one action: ?restore=N or ?protect")
	case q.Has("restore"):
		n, err := strconv.Atoi(q.Get("restore"))
		if err != nil || n <= 0 {
			return warden.Errorf(warden.EINVALID, "restore must be a version number")
		}
		archived, err := archivedParam(r)
		if err != nil {
			return err
		}
		f, err := s.ws.Restore(r.Context(), p, ws, path, n, archived)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, fileOut(f))
		return nil
	case q.Has("protect"):
		if err := noArchived(r); err != nil {
			return err
		}
		on := true
		if v := q.Get("protect"); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return warden.Errorf(warden.EINVALID, "protect must be true or false")
			}
			on = b
		}
		f, err := s.ws.Protect(r.Context(), p, ws, path, on)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, fileOut(f))
		return nil
	}
	return warden.Errorf(warden.EINVALID, "POST on a file needs an action: ?restore=N or ?protect[=false]")
}
