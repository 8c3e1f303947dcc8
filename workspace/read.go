package workspace

import (
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/keyring"
)

// Content is an opened file version. The caller must Close it.
type Content struct {
	File   warden.File // File.Version is the version opened
	Reader io.ReadSeeker
	closer io.Closer
}

// Close releases the content.
func (c *Content) Close() error { return c.closer.Close() }

// Open opens version (0 for the head) of the file at path, or of the archived
// file with id archived (workspace admins; 0 for the current file). The first
// chunk is authenticated before Open returns, and the read is on the record
// before a byte is handed out.
func (s *Service) Open(ctx context.Context, actor *warden.Principal, wsName, rawPath string, version int, archived int64) (c *Content, err error) {
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
		if path, _, f, err = s.locate(tx, o, actor, wsName, rawPath, warden.RoleViewer, "read files", archived); err != nil {
			return err
		}
		asked := version
		if version == 0 {
			version = f.Head
		}
		v, err = tx.Version(f.ID, version)
		if warden.IsCode(err, warden.ENOTFOUND) {
			return warden.Errorf(warden.ENOTFOUND, "file %q has no version %d (latest is %d)", path, version, f.Head)
		} else if err != nil {
			return err
		}
		if v.Tombstone {
			if asked == 0 {
				return warden.Errorf(warden.ENOTFOUND, "the latest version of %q (%d) is its deletion; read an earlier one, e.g. version=%d", path, version, version-1)
			}
			return warden.Errorf(warden.ENOTFOUND, "version %d of %q is a deletion; read an earlier version", version, path)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	o.detail("version", v.Version)
	o.detail("size", v.Size)
	c, err = s.openVersion(ctx, f, v)
	if err != nil {
		return nil, err
	}
	c.File = fileOf(path, f, v)
	return c, nil
}

// StillAllowed reports whether actor may still read in wsName: not locked,
// its token not revoked, still at least a viewer. A long download calls it
// as it goes, so that a lock or revocation also stops a transfer under way;
// a refusal is recorded as "file.read_aborted".
func (s *Service) StillAllowed(ctx context.Context, actor *warden.Principal, wsName, path string, sent int64) error {
	o := s.begin(ctx, actor, "file.read_aborted", wsName, path)
	err := s.store.View(ctx, func(tx warden.Tx) error {
		_, role, err := o.recheck(tx, actor, wsName)
		if err != nil {
			return err
		}
		return o.need(role, warden.RoleViewer, "read files")
	})
	if err == nil {
		return nil
	}
	o.detail("sent", sent)
	return o.finish(ctx, err)
}

// locate finds the file an operation that needs min is about, after checking
// the workspace, the path and the role: the current file at path, or with
// archived != 0 the archived file of that id (workspace admins only). Below
// workspace admin a deleted file is gone, and that refusal is recorded.
func (s *Service) locate(tx warden.Tx, o *op, actor *warden.Principal, wsName, rawPath string, min warden.Role, what string, archived int64) (string, warden.Role, *warden.FileRecord, error) {
	ws, role, err := o.access(tx, actor, wsName)
	if err != nil {
		return "", "", nil, err
	}
	// The label travels with the event: the model plane marks an agent
	// that read confidential data by it.
	o.detail("label", string(ws.Label))
	path, err := s.cleanPath(o, rawPath)
	if err != nil {
		return "", "", nil, err
	}
	if err := o.need(role, min, what); err != nil {
		return "", "", nil, err
	}
	if archived != 0 {
		o.detail("archived", archived)
		if err := o.need(role, warden.RoleAdmin, "reach archived files"); err != nil {
			return "", "", nil, err
		}
		f, err := s.archived(tx, ws, path, archived)
		return path, role, f, err
	}
	f, err := s.lookup(tx, ws.ID, path)
	if err != nil {
		return "", "", nil, err
	}
	if f == nil {
		return "", "", nil, notFound(path)
	}
	if f.Deleted && !role.AtLeast(warden.RoleAdmin) {
		return "", "", nil, o.hideDeleted(role, path)
	}
	return path, role, f, nil
}

// archived returns the archived file with id at path in ws.
func (s *Service) archived(tx warden.Tx, ws *warden.Workspace, path string, id int64) (*warden.FileRecord, error) {
	missing := warden.Errorf(warden.ENOTFOUND, "no archived file %d at %q", id, path)
	f, err := tx.FileByID(id)
	if warden.IsCode(err, warden.ENOTFOUND) {
		return nil, missing
	} else if err != nil {
		return nil, err
	}
	if f.WorkspaceID != ws.ID || !f.Archived {
		return nil, missing
	}
	name, err := s.openPath(f)
	if err != nil {
		return nil, err
	}
	if name != path {
		return nil, missing
	}
	return f, nil
}

func (s *Service) openVersion(ctx context.Context, f *warden.FileRecord, v *warden.FileVersion) (*Content, error) {
	key, err := s.keys.OpenDataKey(v.WrappedKey, v.KEKGen, keyring.DataKeyContext(f.WorkspaceID, f.ID, v.Version, v.BlobID))
	if err != nil {
		s.opts.Logger.Error("a data key failed to open: the version record was altered or moved", "file", f.ID, "version", v.Version)
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
	return &Content{Reader: r, closer: b}, nil
}

// ListOptions select files for Files.
type ListOptions struct {
	Prefix         string // only paths starting with this
	Query          string // only paths containing this, case-insensitively
	After          string // a cursor returned by a previous page ("" for the first)
	Limit          int    // at most this many (default and cap 1000)
	IncludeDeleted bool   // deleted and archived files too: workspace admins only
}

// listKey orders a listing: by path, the current file first, then archived
// files at the same path by id.
type listKey struct {
	path string
	rank int64 // 0 for the current file, the file id for an archived one
}

func keyOf(f warden.File) listKey {
	if f.Archived {
		return listKey{f.Path, f.ID}
	}
	return listKey{f.Path, 0}
}

func (k listKey) compare(o listKey) int {
	if c := strings.Compare(k.path, o.path); c != 0 {
		return c
	}
	return cmp.Compare(k.rank, o.rank)
}

// cursor encodes a key for the next page. It is opaque to callers: a path
// alone cannot say where among the files that shared it a page ended.
func (k listKey) cursor() string {
	return base64.RawURLEncoding.EncodeToString([]byte(k.path + "\x00" + strconv.FormatInt(k.rank, 10)))
}

func parseCursor(s string) (listKey, error) {
	bad := warden.Errorf(warden.EINVALID, "after must be a cursor returned as next by a previous page")
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return listKey{}, bad
	}
	path, rank, ok := strings.Cut(string(b), "\x00")
	n, err := strconv.ParseInt(rank, 10, 64)
	if !ok || err != nil || n < 0 {
		return listKey{}, bad
	}
	return listKey{path, n}, nil
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
	var after *listKey
	if lo.After != "" {
		k, err := parseCursor(lo.After)
		if err != nil {
			return nil, "", o.deny("input.invalid", err.(*warden.Error))
		}
		after = &k
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
			p, err := s.openPath(&e.File)
			if err != nil {
				return err
			}
			if !strings.HasPrefix(p, prefix) || (q != "" && !strings.Contains(strings.ToLower(p), q)) {
				continue
			}
			f := fileOf(p, &e.File, &e.Head)
			if after != nil && keyOf(f).compare(*after) <= 0 {
				continue
			}
			files = append(files, f)
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	slices.SortFunc(files, func(a, b warden.File) int { return keyOf(a).compare(keyOf(b)) })
	if len(files) > lo.Limit {
		files = files[:lo.Limit]
		next = keyOf(files[len(files)-1]).cursor()
	}
	o.detail("count", len(files))
	return files, next, nil
}

// Versions returns a file's history, oldest first: the current file at
// path, or with archived != 0 that archived file (workspace admins).
func (s *Service) Versions(ctx context.Context, actor *warden.Principal, wsName, rawPath string, archived int64) (f *warden.File, vs []*warden.FileVersion, err error) {
	o := s.begin(ctx, actor, "file.versions", wsName, rawPath)
	defer func() { err = o.finish(ctx, err) }()
	err = s.store.View(ctx, func(tx warden.Tx) error {
		path, rec, head, err := s.locateHead(tx, o, actor, wsName, rawPath, warden.RoleViewer, "read file history", archived)
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

// locateHead is locate plus the file's head version (which may be a deletion,
// for workspace admins).
func (s *Service) locateHead(tx warden.Tx, o *op, actor *warden.Principal, wsName, rawPath string, min warden.Role, what string, archived int64) (string, *warden.FileRecord, *warden.FileVersion, error) {
	path, _, f, err := s.locate(tx, o, actor, wsName, rawPath, min, what, archived)
	if err != nil {
		return "", nil, nil, err
	}
	head, err := tx.Version(f.ID, f.Head)
	if err != nil {
		return "", nil, nil, err
	}
	return path, f, head, nil
}
