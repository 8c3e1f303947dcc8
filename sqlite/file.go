package sqlite

import (
	"github.com/wardenhq/warden"
)

const fileCols = `f.id, f.workspace_id, f.path_hash, f.path_sealed, f.head, f.deleted, f.protected, f.archived`
const versionCols = `v.file_id, v.version, v.size, v.tombstone, v.restored_from, v.created_at, v.author, v.blob_id, v.wrapped_key, v.kek_gen`

func fileDest(f *warden.FileRecord) []any {
	return []any{&f.ID, &f.WorkspaceID, &f.PathHash, &f.PathSealed, &f.Head, &f.Deleted, &f.Protected, &f.Archived}
}

type versionScan struct {
	v       warden.FileVersion
	created int64
}

func (s *versionScan) dest() []any {
	v := &s.v
	return []any{&v.FileID, &v.Version, &v.Size, &v.Tombstone, &v.RestoredFrom, &s.created, &v.Author, &v.BlobID, &v.WrappedKey, &v.KEKGen}
}

func (s *versionScan) done() warden.FileVersion {
	s.v.CreatedAt = fromNanos(s.created)
	return s.v
}

// FileByPathHash finds a file by its keyed path hash.
func (t *tx) FileByPathHash(workspaceID int64, pathHash []byte) (*warden.FileRecord, error) {
	var f warden.FileRecord
	err := t.row(`SELECT `+fileCols+` FROM files f WHERE f.workspace_id = ? AND f.path_hash = ?`, workspaceID, pathHash).Scan(fileDest(&f)...)
	if err != nil {
		return nil, mapErr(err, "file")
	}
	return &f, nil
}

// FileByID finds a file by id.
func (t *tx) FileByID(id int64) (*warden.FileRecord, error) {
	var f warden.FileRecord
	if err := t.row(`SELECT `+fileCols+` FROM files f WHERE f.id = ?`, id).Scan(fileDest(&f)...); err != nil {
		return nil, mapErr(err, "file")
	}
	return &f, nil
}

// Files lists a workspace's files with their head versions.
func (t *tx) Files(workspaceID int64, includeDeleted bool) ([]warden.FileEntry, error) {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT `+fileCols+`, `+versionCols+` FROM files f
		JOIN versions v ON v.file_id = f.id AND v.version = f.head
		WHERE f.workspace_id = ? AND (? OR f.deleted = 0) ORDER BY f.id`, workspaceID, includeDeleted)
	if err != nil {
		return nil, mapErr(err, "files")
	}
	defer rows.Close()
	var out []warden.FileEntry
	for rows.Next() {
		var e warden.FileEntry
		var vs versionScan
		if err := rows.Scan(append(fileDest(&e.File), vs.dest()...)...); err != nil {
			return nil, mapErr(err, "files")
		}
		e.Head = vs.done()
		out = append(out, e)
	}
	return out, mapErr(rows.Err(), "files")
}

// CreateFile stores a new file record.
func (t *tx) CreateFile(f *warden.FileRecord) error {
	r, err := t.exec("file", `INSERT INTO files (workspace_id, path_hash, path_sealed, head, deleted, protected, archived) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		f.WorkspaceID, f.PathHash, f.PathSealed, f.Head, f.Deleted, f.Protected, f.Archived)
	if err != nil {
		return err
	}
	f.ID, err = r.LastInsertId()
	return err
}

// UpdateFile saves a file's fields.
func (t *tx) UpdateFile(f *warden.FileRecord) error {
	r, err := t.exec("file", `UPDATE files SET path_hash = ?, path_sealed = ?, head = ?, deleted = ?, protected = ?, archived = ? WHERE id = ?`,
		f.PathHash, f.PathSealed, f.Head, f.Deleted, f.Protected, f.Archived, f.ID)
	if err != nil {
		return err
	}
	return mustAffect(r, "file")
}

// AddVersion stores a new version.
func (t *tx) AddVersion(v *warden.FileVersion) error {
	var wrapped any
	if v.WrappedKey != nil {
		wrapped = v.WrappedKey
	}
	_, err := t.exec("version", `INSERT INTO versions (file_id, version, size, tombstone, restored_from, created_at, author, blob_id, wrapped_key, kek_gen)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		v.FileID, v.Version, v.Size, v.Tombstone, v.RestoredFrom, nanos(v.CreatedAt), v.Author, v.BlobID, wrapped, v.KEKGen)
	return err
}

// Version returns one version of a file.
func (t *tx) Version(fileID int64, version int) (*warden.FileVersion, error) {
	var vs versionScan
	err := t.row(`SELECT `+versionCols+` FROM versions v WHERE v.file_id = ? AND v.version = ?`, fileID, version).Scan(vs.dest()...)
	if err != nil {
		return nil, mapErr(err, "version")
	}
	v := vs.done()
	return &v, nil
}

// Versions lists a file's versions, oldest first.
func (t *tx) Versions(fileID int64) ([]*warden.FileVersion, error) {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT `+versionCols+` FROM versions v WHERE v.file_id = ? ORDER BY v.version`, fileID)
	if err != nil {
		return nil, mapErr(err, "versions")
	}
	defer rows.Close()
	var out []*warden.FileVersion
	for rows.Next() {
		var vs versionScan
		if err := rows.Scan(vs.dest()...); err != nil {
			return nil, mapErr(err, "versions")
		}
		v := vs.done()
		out = append(out, &v)
	}
	return out, mapErr(rows.Err(), "versions")
}

// ForEachBlobID calls fn with every referenced blob id.
func (t *tx) ForEachBlobID(fn func(string) error) error {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT blob_id FROM versions WHERE blob_id != ''`)
	if err != nil {
		return mapErr(err, "blob ids")
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return mapErr(err, "blob ids")
		}
		if err := fn(id); err != nil {
			return err
		}
	}
	return mapErr(rows.Err(), "blob ids")
}
