package keyring

import (
	"context"
	"database/sql"
	"strings"
	"testing"
)

func TestOpenRefusesOtherFormatsClearly(t *testing.T) {
	ctx := context.Background()
	for name, c := range map[string]struct{ stmt, want string }{
		"unknown format": {`UPDATE meta SET value = X'39' WHERE key = 'keyring_format'`, `format "9"`},
		"no format":      {`DELETE FROM meta WHERE key = 'keyring_format'`, "pre-release"},
	} {
		t.Run(name, func(t *testing.T) {
			db := newTestDB(t)
			mustOpenKeyring(t, db.store, masterKey(1))
			raw, err := sql.Open("sqlite", "file:"+db.path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := raw.Exec(c.stmt); err != nil {
				t.Fatal(err)
			}
			raw.Close()
			_, err = Open(ctx, db.store, masterKey(1))
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "master key") {
				t.Fatalf("Open = %v; want a message about the format, not the key", err)
			}
		})
	}
}
