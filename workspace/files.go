package workspace

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/keyring"
)

// What each role may do with files. Roles include those below them.
//
//	viewer       list, read, read history
//	contributor  + create a file at a free path (or over a deleted one)
//	editor       + overwrite, delete, restore an old version; not protected files
//	admin        + protected files, protect/unprotect, undelete, see deleted files

// PutResult describes a stored write.
type PutResult struct {
	File    warden.File
	Created bool // the path had no live file before
}

// Put stores body as a new version of path. Nothing is visible until the
// content is sealed and durable; a failure at any point leaves the previous
// version as it was.
func (s *Service) Put(ctx context.Context, actor *warden.Principal, wsName, rawPath string, body io.Reader) (res *PutResult, err error) {
	o := s.begin(ctx, actor, "file.write", wsName, rawPath)
	defer func() { err = o.finish(ctx, err) }()

	var ws *warden.Workspace
	var role warden.Role
	var path string
	// Check everything that can be checked before reading a byte of the body.
	if err := s.store.View(ctx, func(tx warden.Tx) error {
		var err error
		if ws, role, err = o.access(tx, actor, wsName); err != nil {
			return err
		}
		if path, err = s.cleanPath(o, rawPath); err != nil {
			return err
		}
		f, err := s.lookup(tx, ws.ID, path)
		if err != nil {
			return err
		}
		return o.canWrite(role, f)
	}); err != nil {
		return nil, err
	}

	blob, size, err := s.seal(ctx, io.LimitReader(body, s.opts.MaxFileSize+1), s.opts.MaxFileSize)
	if err != nil {
		return nil, err
	}
	o.detail("size", size)
	res = &PutResult{}
	err = o.commit(ctx, func(tx warden.Tx) error {
		f, err := s.lookup(tx, ws.ID, path)
		if err != nil {
			return err
		}
		if err := o.canWrite(role, f); err != nil { // the file may have changed while we read the body
			return err
		}
		res.Created = f == nil || f.Deleted
		v := blob.version(actor, s.opts.Now())
		if f, err = s.addVersion(tx, ws.ID, path, f, v); err != nil {
			return err
		}
		o.detail("version", v.Version)
		o.detail("created", res.Created)
		res.File = fileOf(path, f, v)
		return nil
	})
	if err != nil {
		blob.discard(s)
		return nil, err
	}
	return res, nil
}

func (s *Service) cleanPath(o *op, raw string) (string, error) {
	p, err := warden.CleanPath(raw)
	if err != nil {
		var we *warden.Error
		errors.As(err, &we)
		return "", o.deny("input.path", we)
	}
	o.ev.Target = p
	return p, nil
}

// lookup returns the file at path, or nil if there never was one.
func (s *Service) lookup(tx warden.Tx, wsID int64, path string) (*warden.FileRecord, error) {
	f, err := tx.FileByPathHash(wsID, s.pathHash(wsID, path))
	if warden.IsCode(err, warden.ENOTFOUND) {
		return nil, nil
	}
	return f, err
}

// hideDeleted refuses access to a deleted file's history: below workspace
// admin, a deleted file is gone. It is a refusal, so it is recorded as one.
func (o *op) hideDeleted(role warden.Role, err *warden.Error) error {
	return o.deny("rbac."+string(role)+".deleted", err)
}

// canWrite decides a write of a new version over f (nil: no file yet).
func (o *op) canWrite(role warden.Role, f *warden.FileRecord) error {
	switch {
	case f == nil || f.Deleted:
		return o.need(role, warden.RoleContributor, "create files")
	case f.Protected:
		return o.need(role, warden.RoleAdmin, "overwrite a protected file")
	default:
		return o.need(role, warden.RoleEditor, "overwrite files")
	}
}

// sealedBlob is content that is sealed and durable but not yet referenced.
type sealedBlob struct {
	id      string
	size    int64
	wrapped []byte
	gen     int
}

func (b *sealedBlob) version(actor *warden.Principal, now time.Time) *warden.FileVersion {
	return &warden.FileVersion{Size: b.size, CreatedAt: now, Author: actor.Name, BlobID: b.id, WrappedKey: b.wrapped, KEKGen: b.gen}
}

// discard deletes a blob that no version will reference.
func (b *sealedBlob) discard(s *Service) {
	if err := s.blobs.Delete(context.Background(), b.id); err != nil {
		s.opts.Logger.Warn("could not remove unreferenced blob", "err", err)
	}
}

// seal streams r into a new blob under a fresh data key. It holds one chunk
// in memory whatever the size.
func (s *Service) seal(ctx context.Context, r io.Reader, limit int64) (*sealedBlob, int64, error) {
	w, err := s.blobs.Create(ctx)
	if err != nil {
		return nil, 0, err
	}
	key, wrapped := s.keys.NewDataKey(w.ID())
	sw, err := keyring.NewWriter(w, key, w.ID())
	if err != nil {
		w.Abort()
		return nil, 0, err
	}
	_, err = io.Copy(sw, r)
	if err == nil {
		err = sw.Close()
	}
	if err == nil && sw.Size() > limit {
		err = warden.Errorf(warden.ETOOLARGE, "file is larger than the limit of %d bytes", limit)
	}
	if err == nil {
		err = w.Commit()
	}
	if err != nil {
		w.Abort()
		return nil, 0, bodyErr(err)
	}
	return &sealedBlob{id: w.ID(), size: sw.Size(), wrapped: wrapped, gen: s.keys.Generation()}, sw.Size(), nil
}

// bodyErr classifies an error while reading an upload.
func bodyErr(err error) error {
	var mbe *http.MaxBytesError
	switch {
	case warden.ErrorCode(err) != warden.EINTERNAL:
		return err
	case errors.As(err, &mbe):
		return warden.Errorf(warden.ETOOLARGE, "file is larger than the limit of %d bytes", mbe.Limit)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, context.Canceled):
		return warden.WrapError(warden.EINVALID, err, "the upload was cut short; nothing was stored")
	}
	return fmt.Errorf("store upload: %w", err)
}

// addVersion appends v to the file at path (creating the file record if f is
// nil) and makes it the head.
func (s *Service) addVersion(tx warden.Tx, wsID int64, path string, f *warden.FileRecord, v *warden.FileVersion) (*warden.FileRecord, error) {
	if f == nil {
		f = &warden.FileRecord{WorkspaceID: wsID, PathHash: s.pathHash(wsID, path), PathSealed: s.keys.SealMeta([]byte(path), pathContext(wsID))}
		if err := tx.CreateFile(f); err != nil {
			return nil, err
		}
	}
	v.FileID, v.Version = f.ID, f.Head+1
	if err := tx.AddVersion(v); err != nil {
		return nil, err
	}
	f.Head, f.Deleted = v.Version, v.Tombstone
	return f, tx.UpdateFile(f)
}

func fileOf(path string, f *warden.FileRecord, v *warden.FileVersion) warden.File {
	return warden.File{ID: f.ID, Path: path, Version: v.Version, Size: v.Size, Deleted: v.Tombstone, Protected: f.Protected, ModTime: v.CreatedAt, Author: v.Author}
}

// Content is an opened file version. The caller must Close it.
type Content struct {
	File    warden.File // File.Version is the version opened
	Reader  io.ReadSeeker
	closer  io.Closer
	Version *warden.FileVersion
}

// Close releases the content.
func (c *Content) Close() error { return c.closer.Close() }

// Open opens version (0 for the head) of path for reading. The first chunk
// is authenticated before Open returns, and the read is on the record before
// a byte is handed out.
func (s *Service) Open(ctx context.Context, actor *warden.Principal, wsName, rawPath string, version int) (c *Content, err error) {
	o := s.begin(ctx, actor, "file.read", wsName, rawPath)
	defer func() {
		err = o.finish(ctx, err)
		if err != nil && c != nil {
			c.Close()
			c = nil
		}
	}()
	if version < 0 {
		return nil, warden.Errorf(warden.EINVALID, "version must be a positive number")
	}
	var path string
	var f *warden.FileRecord
	var v *warden.FileVersion
	if err := s.store.View(ctx, func(tx warden.Tx) error {
		var err error
		path, f, v, err = s.resolve(tx, o, actor, wsName, rawPath, version)
		return err
	}); err != nil {
		return nil, err
	}
	o.detail("version", v.Version)
	o.detail("size", v.Size)
	c, err = s.openVersion(ctx, v)
	if err != nil {
		return nil, err
	}
	c.File = fileOf(path, f, v)
	return c, nil
}

// locate finds the file at rawPath for an operation that needs min, after
// checking the workspace, the path and the role. Below workspace admin a
// deleted file is gone; that refusal is recorded as one.
func (s *Service) locate(tx warden.Tx, o *op, actor *warden.Principal, wsName, rawPath string, min warden.Role, what string) (string, *warden.FileRecord, error) {
	ws, role, err := o.access(tx, actor, wsName)
	if err != nil {
		return "", nil, err
	}
	path, err := s.cleanPath(o, rawPath)
	if err != nil {
		return "", nil, err
	}
	if err := o.need(role, min, what); err != nil {
		return "", nil, err
	}
	f, err := s.lookup(tx, ws.ID, path)
	if err != nil {
		return "", nil, err
	}
	if f == nil {
		return "", nil, warden.Errorf(warden.ENOTFOUND, "file %q not found", path)
	}
	if f.Deleted && !role.AtLeast(warden.RoleAdmin) {
		return "", nil, o.hideDeleted(role, warden.Errorf(warden.ENOTFOUND, "file %q was deleted; a workspace admin can restore it", path))
	}
	return path, f, nil
}

// resolve finds the version of a file that a read asks for (0: the head),
// which must have content.
func (s *Service) resolve(tx warden.Tx, o *op, actor *warden.Principal, wsName, rawPath string, version int) (string, *warden.FileRecord, *warden.FileVersion, error) {
	path, f, err := s.locate(tx, o, actor, wsName, rawPath, warden.RoleViewer, "read files")
	if err != nil {
		return "", nil, nil, err
	}
	if version == 0 {
		version = f.Head
	}
	v, err := tx.Version(f.ID, version)
	if warden.IsCode(err, warden.ENOTFOUND) {
		return "", nil, nil, warden.Errorf(warden.ENOTFOUND, "file %q has no version %d (latest is %d)", path, version, f.Head)
	} else if err != nil {
		return "", nil, nil, err
	}
	if v.Tombstone {
		return "", nil, nil, warden.Errorf(warden.ENOTFOUND, "version %d of %q is a deletion; read an earlier version", version, path)
	}
	return path, f, v, nil
}

func (s *Service) openVersion(ctx context.Context, v *warden.FileVersion) (*Content, error) {
	key, err := s.keys.OpenDataKey(v.WrappedKey, v.KEKGen, v.BlobID)
	if err != nil {
		return nil, err
	}
	b, err := s.blobs.Open(ctx, v.BlobID)
	if err != nil {
		return nil, err
	}
	r, err := keyring.NewReader(b, b.Size(), v.Size, key, v.BlobID)
	if err != nil {
		b.Close()
		s.opts.Logger.Error("stored content failed its integrity check", "blob", v.BlobID, "err", err)
		return nil, err
	}
	return &Content{Reader: r, closer: b, Version: v}, nil
}

// ListOptions select files for Files.
type ListOptions struct {
	Prefix         string // only paths starting with this
	Query          string // only paths containing this, case-insensitively
	After          string // only paths sorted after this (the cursor)
	Limit          int    // at most this many (default and cap 1000)
	IncludeDeleted bool   // workspace admins only
}

// MaxListLimit caps one page of Files.
const MaxListLimit = 1000

// Files returns files in path order, and the cursor for the next page ("" at
// the end). Names are sealed at rest, so listing opens every name in the
// workspace; it is linear in the workspace's size.
func (s *Service) Files(ctx context.Context, actor *warden.Principal, wsName string, lo ListOptions) (files []warden.File, next string, err error) {
	o := s.begin(ctx, actor, "file.list", wsName, lo.Prefix)
	defer func() { err = o.finish(ctx, err) }()
	if lo.Limit <= 0 || lo.Limit > MaxListLimit {
		lo.Limit = MaxListLimit
	}
	prefix, err := warden.CleanPrefix(lo.Prefix)
	if err != nil {
		var we *warden.Error
		errors.As(err, &we)
		return nil, "", o.deny("input.path", we)
	}
	if lo.Query != "" {
		o.detail("query", true) // the search text itself may be sensitive
	}
	err = s.store.View(ctx, func(tx warden.Tx) error {
		ws, role, err := o.access(tx, actor, wsName)
		if err != nil {
			return err
		}
		if err := o.need(role, warden.RoleViewer, "list files"); err != nil {
			return err
		}
		if lo.IncludeDeleted {
			if err := o.need(role, warden.RoleAdmin, "list deleted files"); err != nil {
				return err
			}
		}
		entries, err := tx.Files(ws.ID, lo.IncludeDeleted)
		if err != nil {
			return err
		}
		q := strings.ToLower(lo.Query)
		for _, e := range entries {
			p, err := s.openPath(ws.ID, e.File.PathSealed)
			if err != nil {
				return err
			}
			if !strings.HasPrefix(p, prefix) || (q != "" && !strings.Contains(strings.ToLower(p), q)) || (lo.After != "" && p <= lo.After) {
				continue
			}
			files = append(files, fileOf(p, &e.File, &e.Head))
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	slices.SortFunc(files, func(a, b warden.File) int { return strings.Compare(a.Path, b.Path) })
	if len(files) > lo.Limit {
		files = files[:lo.Limit]
		next = files[len(files)-1].Path
	}
	o.detail("count", len(files))
	return files, next, nil
}

// Versions returns a file's history, oldest first.
func (s *Service) Versions(ctx context.Context, actor *warden.Principal, wsName, rawPath string) (f *warden.File, vs []*warden.FileVersion, err error) {
	o := s.begin(ctx, actor, "file.versions", wsName, rawPath)
	defer func() { err = o.finish(ctx, err) }()
	err = s.store.View(ctx, func(tx warden.Tx) error {
		path, rec, head, err := s.resolveHead(tx, o, actor, wsName, rawPath, warden.RoleViewer, "read file history")
		if err != nil {
			return err
		}
		ff := fileOf(path, rec, head)
		f = &ff
		vs, err = tx.Versions(rec.ID)
		return err
	})
	return f, vs, err
}

// resolveHead finds a file and its head version (which may be a deletion,
// for workspace admins).
func (s *Service) resolveHead(tx warden.Tx, o *op, actor *warden.Principal, wsName, rawPath string, min warden.Role, what string) (string, *warden.FileRecord, *warden.FileVersion, error) {
	path, f, err := s.locate(tx, o, actor, wsName, rawPath, min, what)
	if err != nil {
		return "", nil, nil, err
	}
	head, err := tx.Version(f.ID, f.Head)
	if err != nil {
		return "", nil, nil, err
	}
	return path, f, head, nil
}

// Delete marks a file deleted by adding a tombstone version. Its history
// stays; a workspace admin can restore it.
func (s *Service) Delete(ctx context.Context, actor *warden.Principal, wsName, rawPath string) (f *warden.File, err error) {
	o := s.begin(ctx, actor, "file.delete", wsName, rawPath)
	defer func() { err = o.finish(ctx, err) }()
	err = o.commit(ctx, func(tx warden.Tx) error {
		ws, role, err := o.access(tx, actor, wsName)
		if err != nil {
			return err
		}
		path, err := s.cleanPath(o, rawPath)
		if err != nil {
			return err
		}
		if err := o.need(role, warden.RoleEditor, "delete files"); err != nil {
			return err
		}
		rec, err := s.lookup(tx, ws.ID, path)
		if err != nil {
			return err
		}
		if rec == nil || rec.Deleted {
			return warden.Errorf(warden.ENOTFOUND, "file %q not found", path)
		}
		if rec.Protected {
			if err := o.need(role, warden.RoleAdmin, "delete a protected file"); err != nil {
				return err
			}
		}
		v := &warden.FileVersion{Tombstone: true, CreatedAt: s.opts.Now(), Author: actor.Name}
		if rec, err = s.addVersion(tx, ws.ID, path, rec, v); err != nil {
			return err
		}
		o.detail("version", v.Version)
		ff := fileOf(path, rec, v)
		f = &ff
		return nil
	})
	return f, err
}

// Restore makes a copy of an old version the new head. The content is
// re-sealed under a fresh data key, which also proves the old version is
// intact. Restoring over a live file needs editor (admin if protected);
// undeleting needs workspace admin.
func (s *Service) Restore(ctx context.Context, actor *warden.Principal, wsName, rawPath string, version int) (f *warden.File, err error) {
	o := s.begin(ctx, actor, "file.restore", wsName, rawPath)
	defer func() { err = o.finish(ctx, err) }()
	o.detail("from", version)
	if version <= 0 {
		return nil, warden.Errorf(warden.EINVALID, "restore needs a version number (restore=N)")
	}
	var ws *warden.Workspace
	var role warden.Role
	var path string
	var src *warden.FileVersion
	check := func(tx warden.Tx, rec *warden.FileRecord) error {
		if rec == nil {
			return warden.Errorf(warden.ENOTFOUND, "file %q not found", path)
		}
		switch {
		case rec.Deleted:
			return o.need(role, warden.RoleAdmin, "restore a deleted file")
		case rec.Protected:
			return o.need(role, warden.RoleAdmin, "restore a protected file")
		}
		return o.need(role, warden.RoleEditor, "restore versions")
	}
	if err := s.store.View(ctx, func(tx warden.Tx) error {
		var err error
		if ws, role, err = o.access(tx, actor, wsName); err != nil {
			return err
		}
		if path, err = s.cleanPath(o, rawPath); err != nil {
			return err
		}
		if err := o.need(role, warden.RoleEditor, "restore versions"); err != nil {
			return err
		}
		rec, err := s.lookup(tx, ws.ID, path)
		if err != nil {
			return err
		}
		if err := check(tx, rec); err != nil {
			return err
		}
		src, err = tx.Version(rec.ID, version)
		if warden.IsCode(err, warden.ENOTFOUND) {
			return warden.Errorf(warden.ENOTFOUND, "file %q has no version %d", path, version)
		} else if err != nil {
			return err
		}
		if src.Tombstone {
			return warden.Errorf(warden.EINVALID, "version %d of %q is a deletion; restore an earlier version", version, path)
		}
		return nil
	}); err != nil {
		return nil, err
	}

	old, err := s.openVersion(ctx, src)
	if err != nil {
		return nil, err
	}
	blob, _, err := s.seal(ctx, old.Reader, src.Size)
	old.Close()
	if err != nil {
		return nil, err
	}
	err = o.commit(ctx, func(tx warden.Tx) error {
		rec, err := s.lookup(tx, ws.ID, path)
		if err != nil {
			return err
		}
		if err := check(tx, rec); err != nil {
			return err
		}
		v := blob.version(actor, s.opts.Now())
		v.RestoredFrom = version
		if rec, err = s.addVersion(tx, ws.ID, path, rec, v); err != nil {
			return err
		}
		o.detail("version", v.Version)
		ff := fileOf(path, rec, v)
		f = &ff
		return nil
	})
	if err != nil {
		blob.discard(s)
		return nil, err
	}
	return f, nil
}

// Protect sets or clears a file's protection: protected files can be changed
// or deleted only by workspace admins. Workspace admins only.
func (s *Service) Protect(ctx context.Context, actor *warden.Principal, wsName, rawPath string, on bool) (f *warden.File, err error) {
	action := "file.protect"
	if !on {
		action = "file.unprotect"
	}
	o := s.begin(ctx, actor, action, wsName, rawPath)
	defer func() { err = o.finish(ctx, err) }()
	err = o.commit(ctx, func(tx warden.Tx) error {
		path, rec, head, err := s.resolveHead(tx, o, actor, wsName, rawPath, warden.RoleAdmin, "protect files")
		if err != nil {
			return err
		}
		rec.Protected = on
		ff := fileOf(path, rec, head)
		f = &ff
		return tx.UpdateFile(rec)
	})
	return f, err
}
