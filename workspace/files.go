package workspace

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/keyring"
)

// What each role may do with files. Roles include those below them.
//
//	viewer       list, read, read history
//	contributor  + create a file at a free path (a deleted file's path is free)
//	editor       + overwrite, delete, restore an old version; not protected files
//	admin        + protected files, protect/unprotect, undelete, deleted and archived files
//
// A deleted file is gone for everyone below workspace admin: it answers like
// a file that never existed. Writing at its path starts a new file and
// archives the deleted one with its history, which only admins can reach
// (by file id), so a write cannot bring old content back into view.

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

	var path string
	// Check everything that can be checked before reading a byte of the body.
	if err := s.store.View(ctx, func(tx warden.Tx) error {
		ws, role, err := o.access(tx, actor, wsName)
		if err != nil {
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

	blob, err := s.seal(ctx, io.LimitReader(body, s.opts.MaxFileSize+1), s.opts.MaxFileSize)
	if err != nil {
		return nil, err
	}
	o.detail("size", blob.size)
	res = &PutResult{}
	err = o.commit(ctx, func(tx warden.Tx) error {
		// The body may have streamed for minutes: decide again on what is
		// true now, from the caller's standing to the file's state.
		ws, role, err := o.recheck(tx, actor, wsName)
		if err != nil {
			return err
		}
		f, err := s.lookup(tx, ws.ID, path)
		if err != nil {
			return err
		}
		if err := o.canWrite(role, f); err != nil {
			return err
		}
		if f != nil && f.Deleted {
			if err := s.archive(tx, f); err != nil {
				return err
			}
			o.detail("archived", f.ID)
			f = nil
		}
		res.Created = f == nil
		v := &warden.FileVersion{Size: blob.size, CreatedAt: s.opts.Now(), Author: actor.Name}
		if f, err = s.addVersion(tx, ws.ID, path, f, v, blob); err != nil {
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

// lookup returns the current file at path, or nil if there is none. The
// file's sealed name must open under its own id and equal path: a name
// record moved onto another file is an integrity failure, not a rename.
func (s *Service) lookup(tx warden.Tx, wsID int64, path string) (*warden.FileRecord, error) {
	f, err := tx.FileByPathHash(wsID, s.pathHash(wsID, path))
	if warden.IsCode(err, warden.ENOTFOUND) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	name, err := s.openPath(f)
	if err != nil {
		return nil, err
	}
	if name != path {
		return nil, warden.Errorf(warden.EINTEGRITY, "a stored file record does not match its name")
	}
	return f, nil
}

// hideDeleted refuses access to a deleted file below workspace admin: it is
// reported exactly like a file that never existed, and recorded as a refusal.
func (o *op) hideDeleted(role warden.Role, path string) error {
	return o.deny("rbac."+string(role)+".deleted", notFound(path))
}

func notFound(path string) *warden.Error {
	return warden.Errorf(warden.ENOTFOUND, "file %q not found", path)
}

// canWrite decides a write of a new version over f (nil: no file yet). A
// deleted file's path is free: writing there starts a new file.
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
// Its data key stays in memory until the version that owns it is known and
// the key can be wrapped bound to it.
type sealedBlob struct {
	id   string
	size int64
	key  []byte
}

// discard deletes a blob that no version will reference.
func (b *sealedBlob) discard(s *Service) {
	clear(b.key)
	if err := s.blobs.Delete(context.Background(), b.id); err != nil {
		s.opts.Logger.Warn("could not remove unreferenced blob", "err", err)
	}
}

// seal streams r into a new blob under a fresh data key. It holds one chunk
// in memory whatever the size.
func (s *Service) seal(ctx context.Context, r io.Reader, limit int64) (*sealedBlob, error) {
	w, err := s.blobs.Create(ctx)
	if err != nil {
		return nil, err
	}
	key := keyring.NewDataKey()
	sw, err := keyring.NewWriter(w, key, w.ID())
	if err != nil {
		w.Abort()
		return nil, err
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
		return nil, bodyErr(err)
	}
	return &sealedBlob{id: w.ID(), size: sw.Size(), key: key}, nil
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

// addVersion appends v to the file at path (creating the file if f is nil)
// and makes it the head. blob is the version's content, nil for a deletion;
// its data key is wrapped here, bound to workspace, file, version and blob.
func (s *Service) addVersion(tx warden.Tx, wsID int64, path string, f *warden.FileRecord, v *warden.FileVersion, blob *sealedBlob) (*warden.FileRecord, error) {
	if f == nil {
		f = &warden.FileRecord{WorkspaceID: wsID, PathHash: s.pathHash(wsID, path), PathSealed: []byte{}}
		if err := tx.CreateFile(f); err != nil {
			return nil, err
		}
		// The name is sealed bound to the file's id, known only now.
		f.PathSealed = s.keys.SealMeta([]byte(path), pathContext(f))
	}
	v.FileID, v.Version = f.ID, f.Head+1
	if blob != nil {
		v.BlobID = blob.id
		v.WrappedKey, v.KEKGen = s.keys.WrapDataKey(blob.key, keyring.DataKeyContext(wsID, f.ID, v.Version, blob.id))
	}
	if err := tx.AddVersion(v); err != nil {
		return nil, err
	}
	f.Head, f.Deleted = v.Version, v.Tombstone
	return f, tx.UpdateFile(f)
}

// archive takes a deleted file off its path, with its history, so that the
// path can hold a new file. Only workspace admins reach it afterwards.
func (s *Service) archive(tx warden.Tx, f *warden.FileRecord) error {
	f.Archived = true
	f.PathHash = s.keys.Index("archived-path", []byte(strconv.FormatInt(f.WorkspaceID, 10)), []byte(strconv.FormatInt(f.ID, 10)))
	return tx.UpdateFile(f)
}

func fileOf(path string, f *warden.FileRecord, v *warden.FileVersion) warden.File {
	return warden.File{
		ID: f.ID, Path: path, Version: v.Version, Size: v.Size, Deleted: v.Tombstone, Protected: f.Protected, Archived: f.Archived,
		ModTime: v.CreatedAt, Author: v.Author,
	}
}

// pathContext binds a sealed name to its workspace and file.
func pathContext(f *warden.FileRecord) string {
	return "path:" + strconv.FormatInt(f.WorkspaceID, 10) + ":" + strconv.FormatInt(f.ID, 10)
}

func (s *Service) pathHash(wsID int64, path string) []byte {
	return s.keys.Index("path", []byte(strconv.FormatInt(wsID, 10)), []byte(path))
}

func (s *Service) openPath(f *warden.FileRecord) (string, error) {
	p, err := s.keys.OpenMeta(f.PathSealed, pathContext(f))
	if err != nil {
		return "", warden.WrapError(warden.EINTEGRITY, err, "a stored file name failed its integrity check")
	}
	return string(p), nil
}
