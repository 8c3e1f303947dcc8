package sqlite

import "database/sql"

// OpenRaw opens the database file without Warden's wrapper, for tests that
// tamper with it.
func OpenRaw(path string) (*sql.DB, error) { return sql.Open("sqlite", "file:"+path) }
