package sqlite

import (
	"context"
	"database/sql"

	"github.com/wardenhq/warden"
)

// tx implements warden.Tx on one SQL transaction.
type tx struct {
	ctx   context.Context
	tx    *sql.Tx
	stmts map[string]*sql.Stmt // prepared statements of the pool
}

var _ warden.Tx = (*tx)(nil)

func (t *tx) exec(what, q string, args ...any) (sql.Result, error) {
	var r sql.Result
	var err error
	if st := t.stmts[q]; st != nil {
		r, err = t.tx.StmtContext(t.ctx, st).ExecContext(t.ctx, args...)
	} else {
		r, err = t.tx.ExecContext(t.ctx, q, args...)
	}
	return r, mapErr(err, what)
}

func (t *tx) row(q string, args ...any) *sql.Row {
	if st := t.stmts[q]; st != nil {
		return t.tx.StmtContext(t.ctx, st).QueryRowContext(t.ctx, args...)
	}
	return t.tx.QueryRowContext(t.ctx, q, args...)
}

// Meta returns an install-wide value.
func (t *tx) Meta(key string) ([]byte, error) {
	var v []byte
	err := t.row(`SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
	return v, mapErr(err, "meta "+key)
}

// SetMeta creates or replaces an install-wide value.
func (t *tx) SetMeta(key string, value []byte) error {
	_, err := t.exec("meta "+key, `INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	return err
}

// Keys returns the install-wide wrapped keys.
func (t *tx) Keys() ([]warden.KeyRecord, error) {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT purpose, kek_gen, wrapped FROM keys ORDER BY purpose`)
	if err != nil {
		return nil, mapErr(err, "keys")
	}
	defer rows.Close()
	var out []warden.KeyRecord
	for rows.Next() {
		var r warden.KeyRecord
		if err := rows.Scan(&r.Purpose, &r.KEKGen, &r.Wrapped); err != nil {
			return nil, mapErr(err, "keys")
		}
		out = append(out, r)
	}
	return out, mapErr(rows.Err(), "keys")
}

// PutKey creates or replaces a wrapped key.
func (t *tx) PutKey(r warden.KeyRecord) error {
	_, err := t.exec("key", `INSERT INTO keys (purpose, kek_gen, wrapped) VALUES (?, ?, ?)
		ON CONFLICT (purpose) DO UPDATE SET kek_gen = excluded.kek_gen, wrapped = excluded.wrapped`, r.Purpose, r.KEKGen, r.Wrapped)
	return err
}

// VersionKeys pages through the data keys of file versions.
func (t *tx) VersionKeys(afterFile int64, afterVersion int, limit int) ([]warden.VersionKey, error) {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT f.workspace_id, v.file_id, v.version, v.blob_id, v.wrapped_key, v.kek_gen
		FROM versions v JOIN files f ON f.id = v.file_id
		WHERE v.wrapped_key IS NOT NULL AND (v.file_id, v.version) > (?, ?) ORDER BY v.file_id, v.version LIMIT ?`, afterFile, afterVersion, limit)
	if err != nil {
		return nil, mapErr(err, "version keys")
	}
	defer rows.Close()
	var out []warden.VersionKey
	for rows.Next() {
		var k warden.VersionKey
		if err := rows.Scan(&k.WorkspaceID, &k.FileID, &k.Version, &k.BlobID, &k.Wrapped, &k.KEKGen); err != nil {
			return nil, mapErr(err, "version keys")
		}
		out = append(out, k)
	}
	return out, mapErr(rows.Err(), "version keys")
}

// SetVersionKey replaces one version's wrapped data key.
func (t *tx) SetVersionKey(fileID int64, version int, wrapped []byte, gen int) error {
	_, err := t.exec("version key", `UPDATE versions SET wrapped_key = ?, kek_gen = ? WHERE file_id = ? AND version = ?`, wrapped, gen, fileID, version)
	return err
}

// CountVersionKeys counts versions with a data key.
func (t *tx) CountVersionKeys() (int64, error) {
	var n int64
	err := t.row(`SELECT COUNT(*) FROM versions WHERE wrapped_key IS NOT NULL`).Scan(&n)
	return n, mapErr(err, "version keys")
}
