package workspace

import (
	"context"

	"github.com/wardenhq/warden"
)

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
		switch {
		case rec == nil:
			return notFound(path)
		case rec.Deleted && !role.AtLeast(warden.RoleAdmin):
			return o.hideDeleted(role, path)
		case rec.Deleted:
			return warden.Errorf(warden.ENOTFOUND, "file %q is already deleted", path)
		case rec.Protected:
			if err := o.need(role, warden.RoleAdmin, "delete a protected file"); err != nil {
				return err
			}
		}
		v := &warden.FileVersion{Tombstone: true, CreatedAt: s.opts.Now(), Author: actor.Name}
		if rec, err = s.addVersion(tx, ws.ID, path, rec, v, nil); err != nil {
			return err
		}
		o.detail("version", v.Version)
		ff := fileOf(path, rec, v)
		f = &ff
		return nil
	})
	return f, err
}

// Restore copies version of a file forward as the new head of path: a
// version of the current file, or with archived != 0 of that archived file
// (workspace admins). The content is re-sealed under a fresh data key, which
// also proves the old version is intact. Restoring over a live file needs
// editor (admin if protected); undeleting needs workspace admin.
func (s *Service) Restore(ctx context.Context, actor *warden.Principal, wsName, rawPath string, version int, archived int64) (f *warden.File, err error) {
	o := s.begin(ctx, actor, "file.restore", wsName, rawPath)
	defer func() { err = o.finish(ctx, err) }()
	o.detail("from", version)
	if version <= 0 {
		return nil, warden.Errorf(warden.EINVALID, "restore needs a version number (restore=N)")
	}
	var path string
	var srcFile *warden.FileRecord
	var src *warden.FileVersion
	if err := s.store.View(ctx, func(tx warden.Tx) error {
		var err error
		var role warden.Role
		if path, role, srcFile, err = s.locate(tx, o, actor, wsName, rawPath, warden.RoleEditor, "restore versions", archived); err != nil {
			return err
		}
		target := srcFile
		if archived != 0 {
			if target, err = s.lookup(tx, srcFile.WorkspaceID, path); err != nil {
				return err
			}
		}
		if err := o.canRestoreOver(role, path, target); err != nil {
			return err
		}
		src, err = tx.Version(srcFile.ID, version)
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

	old, err := s.openVersion(ctx, srcFile, src)
	if err != nil {
		return nil, err
	}
	blob, err := s.seal(ctx, old.Reader, src.Size)
	old.Close()
	if err != nil {
		return nil, err
	}
	err = o.commit(ctx, func(tx warden.Tx) error {
		ws, role, err := o.recheck(tx, actor, wsName)
		if err != nil {
			return err
		}
		target, err := s.lookup(tx, ws.ID, path)
		if err != nil {
			return err
		}
		// The copy took a while: make sure it still lands where it was
		// meant to. Content restored from a file must not end up on
		// another file that took its path meanwhile, and an archived
		// source must still be archived.
		if archived == 0 && (target == nil || target.ID != srcFile.ID) {
			return warden.Errorf(warden.ECONFLICT, "%q was replaced while the restore ran; nothing was changed", path)
		}
		if archived != 0 {
			if cur, err := tx.FileByID(srcFile.ID); err != nil || !cur.Archived {
				return warden.Errorf(warden.ECONFLICT, "archived file %d changed while the restore ran; nothing was changed", archived)
			}
		}
		if err := o.canRestoreOver(role, path, target); err != nil {
			return err
		}
		v := &warden.FileVersion{Size: blob.size, CreatedAt: s.opts.Now(), Author: actor.Name}
		if archived == 0 {
			// Version numbers name versions of this file only; a copy from an
			// archived file is recorded in the audit event instead.
			v.RestoredFrom = version
		}
		if target, err = s.addVersion(tx, ws.ID, path, target, v, blob); err != nil {
			return err
		}
		o.detail("version", v.Version)
		ff := fileOf(path, target, v)
		f = &ff
		return nil
	})
	if err != nil {
		blob.discard(s)
		return nil, err
	}
	return f, nil
}

// canRestoreOver decides a restore that makes a new head of target, the
// current file at path (nil: none, when restoring from an archived file).
func (o *op) canRestoreOver(role warden.Role, path string, target *warden.FileRecord) error {
	switch {
	case target == nil:
		return o.need(role, warden.RoleEditor, "restore versions")
	case target.Deleted && !role.AtLeast(warden.RoleAdmin):
		return o.hideDeleted(role, path)
	case target.Deleted:
		return nil // an admin undeleting
	case target.Protected:
		return o.need(role, warden.RoleAdmin, "restore a protected file")
	}
	return o.need(role, warden.RoleEditor, "restore versions")
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
		path, rec, head, err := s.locateHead(tx, o, actor, wsName, rawPath, warden.RoleAdmin, "protect files", 0)
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
