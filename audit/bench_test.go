package audit

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/keyring"
	"github.com/wardenhq/warden/sqlite"
)

func benchLog(b *testing.B) (*Log, string) {
	path := filepath.Join(b.TempDir(), "warden.db")
	store, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	keys, err := keyring.Open(context.Background(), store, keyring.GenerateMasterKey())
	if err != nil {
		b.Fatal(err)
	}
	l := New(store, keys, Options{})
	b.Cleanup(func() { l.Close(context.Background()); store.Close() })
	return l, path
}

func benchEvent() *warden.Event {
	return &warden.Event{Principal: "bot", Kind: warden.KindAgent, Action: "file.read", Workspace: "finance", Target: "reports/q3.xlsx",
		Decision: warden.Decision{Effect: warden.Allow, Rule: "rbac.viewer"}, Details: map[string]any{"version": 3, "size": 12345}}
}

// BenchmarkInsertBaseline is one durable SQLite insert per transaction,
// without hashing, sealing or signing: the floor for one event at a time.
func BenchmarkInsertBaseline(b *testing.B) {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(b.TempDir(), "x.db")+"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	db.Exec(`CREATE TABLE e (seq INTEGER PRIMARY KEY, body BLOB)`)
	body := make([]byte, 200)
	for b.Loop() {
		if _, err := db.Exec(`INSERT INTO e (body) VALUES (?)`, body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRecordSerial records events one after another: each waits for
// its own commit.
func BenchmarkRecordSerial(b *testing.B) {
	l, _ := benchLog(b)
	ctx := context.Background()
	for b.Loop() {
		if err := l.Record(ctx, benchEvent()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRecordParallel records from many goroutines: group commit puts
// concurrent events into one transaction.
func BenchmarkRecordParallel(b *testing.B) {
	l, _ := benchLog(b)
	ctx := context.Background()
	b.SetParallelism(32)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := l.Record(ctx, benchEvent()); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkVerify checks a chain of 10,000 events with the master key.
func BenchmarkVerify(b *testing.B) {
	l, _ := benchLog(b)
	ctx := context.Background()
	for range 10000 / 100 {
		l.store.Update(ctx, func(tx warden.Tx) error {
			for range 100 {
				if err := l.Append(tx, benchEvent()); err != nil {
					return err
				}
			}
			return nil
		})
	}
	for b.Loop() {
		rep, err := Verify(ctx, l.store, l.keys.PublicKey(), l.keys)
		if err != nil || !rep.OK() {
			b.Fatal(err, rep)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/10000, "ns/event")
}
