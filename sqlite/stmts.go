package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// The statements every request runs (authentication reads a token and its
// principal; every audited action reads the chain head and appends). They
// are prepared once per connection instead of parsed on every call, which
// was a tenth of the CPU of a model call.
const (
	qTokenByHash    = `SELECT ` + tokenCols + ` FROM tokens WHERE hash = ?`
	qPrincipalByID  = `SELECT ` + principalCols + ` FROM principals WHERE id = ?`
	qLastEvent      = `SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1`
	qLastCheckpoint = `SELECT seq, hash, time, key_id, signature FROM audit_checkpoints ORDER BY seq DESC LIMIT 1`
	qInsertEvent    = `INSERT INTO audit_events (` + eventCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
)

var (
	hotReads  = []string{qTokenByHash, qPrincipalByID, qLastEvent, qLastCheckpoint}
	hotWrites = append([]string{qInsertEvent}, hotReads...)
)

// prepare prepares queries on pool. It runs at Open, while no transaction
// holds a connection: preparing needs one, and the write pool has only one.
// Connections opened later get the statements on first use in a
// transaction (database/sql prepares them on the transaction's own
// connection).
func prepare(ctx context.Context, pool *sql.DB, queries []string) (map[string]*sql.Stmt, error) {
	m := make(map[string]*sql.Stmt, len(queries))
	for _, q := range queries {
		st, err := pool.PrepareContext(ctx, q)
		if err != nil {
			closeStmts(m)
			return nil, fmt.Errorf("prepare %q: %w", q, err)
		}
		m[q] = st
	}
	return m, nil
}

func closeStmts(m map[string]*sql.Stmt) {
	for _, st := range m {
		st.Close()
	}
}
