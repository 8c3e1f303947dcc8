// Package sqlite is the embedded Store: metadata and the audit chain in one
// SQLite database through modernc.org/sqlite, a pure-Go build of SQLite (no
// cgo, so the binary stays static).
//
// Writes go through a pool of one connection with BEGIN IMMEDIATE, which is
// how SQLite serialises writers anyway and avoids SQLITE_BUSY upgrades; reads
// use a separate pool and see WAL snapshots without blocking the writer.
// synchronous=FULL makes every commit durable before Update returns.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/wardenhq/warden"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Options configure Open.
type Options struct {
	// ReadOnly opens an existing database for reading only: no migrations,
	// and Update fails. For offline inspection such as `warden audit verify`.
	ReadOnly bool
}

// DB is a Store backed by one SQLite file.
type DB struct {
	path  string
	write *sql.DB
	read  *sql.DB
	ro    bool
	// Prepared hot statements of each pool, by query text.
	writeStmts, readStmts map[string]*sql.Stmt
}

var _ warden.Store = (*DB)(nil)

// Open opens or creates the database at path (mode 0600) and applies pending
// migrations.
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	if opts.ReadOnly {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
	} else if err := createFile(path); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	pragmas := []string{"busy_timeout(10000)", "foreign_keys(1)", "synchronous(FULL)"}
	db := &DB{path: path, ro: opts.ReadOnly}
	var err error
	if !opts.ReadOnly {
		db.write, err = sql.Open("sqlite", dsn(path, append(pragmas, "journal_mode(WAL)"), "_txlock=immediate"))
		if err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
		db.write.SetMaxOpenConns(1)
		db.write.SetConnMaxIdleTime(0)
		db.write.SetConnMaxLifetime(0)
		if err := db.write.PingContext(ctx); err != nil {
			db.write.Close()
			return nil, fmt.Errorf("open store %s: %w", path, err)
		}
		if err := db.migrate(ctx); err != nil {
			db.write.Close()
			return nil, fmt.Errorf("open store: %w", err)
		}
	}
	db.read, err = sql.Open("sqlite", dsn(path, append(pragmas, "query_only(1)")))
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	db.read.SetMaxOpenConns(max(4, runtime.GOMAXPROCS(0)))
	if err := db.read.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if opts.ReadOnly {
		if err := db.checkVersion(ctx); err != nil {
			db.Close()
			return nil, fmt.Errorf("open store: %w", err)
		}
	} else if db.writeStmts, err = prepare(ctx, db.write, hotWrites); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	if db.readStmts, err = prepare(ctx, db.read, hotReads); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	return db, nil
}

// createFile makes sure the database file exists with mode 0600 before SQLite
// opens it; SQLite gives its -wal and -shm files the same mode.
func createFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	return f.Close()
}

func dsn(path string, pragmas []string, extra ...string) string {
	q := url.Values{}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	s := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	for _, e := range extra {
		s += "&" + e
	}
	return s
}

// Close closes both pools.
func (db *DB) Close() error {
	closeStmts(db.readStmts)
	closeStmts(db.writeStmts)
	var errs []error
	if db.read != nil {
		errs = append(errs, db.read.Close())
	}
	if db.write != nil {
		errs = append(errs, db.write.Close())
	}
	return errors.Join(errs...)
}

// Update runs fn in a write transaction and commits it if fn returns nil.
func (db *DB) Update(ctx context.Context, fn func(warden.Tx) error) error {
	if db.ro {
		return warden.Errorf(warden.EINTERNAL, "store is open read-only")
	}
	return db.run(ctx, db.write, db.writeStmts, false, fn)
}

// View runs fn in a read-only transaction.
func (db *DB) View(ctx context.Context, fn func(warden.Tx) error) error {
	return db.run(ctx, db.read, db.readStmts, true, fn)
}

func (db *DB) run(ctx context.Context, pool *sql.DB, stmts map[string]*sql.Stmt, readOnly bool, fn func(warden.Tx) error) (err error) {
	sqlTx, err := pool.BeginTx(ctx, &sql.TxOptions{ReadOnly: readOnly})
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			sqlTx.Rollback()
			panic(p)
		}
		if err != nil {
			sqlTx.Rollback()
		}
	}()
	if err := fn(&tx{ctx: ctx, tx: sqlTx, stmts: stmts}); err != nil {
		return err
	}
	if readOnly {
		return sqlTx.Rollback()
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

func (db *DB) migrate(ctx context.Context) error {
	files, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(files)
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	var current int
	if err := db.write.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if current > len(files) {
		return fmt.Errorf("the database has schema version %d but this Warden knows only %d: it was written by a newer Warden", current, len(files))
	}
	for i, name := range files {
		v := i + 1
		if n, err := strconv.Atoi(strings.SplitN(strings.TrimPrefix(name, "migrations/"), "_", 2)[0]); err != nil || n != v {
			return fmt.Errorf("migrate: %s is out of sequence", name)
		}
		if v <= current {
			continue
		}
		body, err := migrationFS.ReadFile(name)
		if err != nil {
			return err
		}
		t, err := db.write.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migrate %s: %w", name, err)
		}
		if _, err := t.ExecContext(ctx, string(body)); err != nil {
			t.Rollback()
			return fmt.Errorf("migrate %s: %w", name, err)
		}
		if _, err := t.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, v, time.Now().UnixNano()); err != nil {
			t.Rollback()
			return fmt.Errorf("migrate %s: %w", name, err)
		}
		if err := t.Commit(); err != nil {
			return fmt.Errorf("migrate %s: %w", name, err)
		}
	}
	return nil
}

// SchemaVersion returns the number of migrations this build knows.
func SchemaVersion() int {
	files, _ := fs.Glob(migrationFS, "migrations/*.sql")
	return len(files)
}

func (db *DB) checkVersion(ctx context.Context) error {
	var v int
	if err := db.read.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return fmt.Errorf("%s is not a Warden database: %w", db.path, err)
	}
	if v != SchemaVersion() {
		return fmt.Errorf("%s has schema version %d; this Warden needs %d (start the server once to migrate)", db.path, v, SchemaVersion())
	}
	return nil
}

// mapErr turns driver errors into Warden errors where callers act on them.
func mapErr(err error, what string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return warden.Errorf(warden.ENOTFOUND, "%s not found", what)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return warden.WrapError(warden.ECONFLICT, err, "%s already exists", what)
		}
	}
	return fmt.Errorf("store: %s: %w", what, err)
}

// nanos stores an optional time (locked_at, revoked_at): 0 means unset.
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// fromNanos reads an optional time stored by nanos.
func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// stamp stores a required time exactly, the Unix epoch included; hashed
// records (audit events, checkpoints) must read back bit for bit.
func stamp(t time.Time) int64 { return t.UnixNano() }

// fromStamp reads a time stored by stamp.
func fromStamp(n int64) time.Time { return time.Unix(0, n).UTC() }
