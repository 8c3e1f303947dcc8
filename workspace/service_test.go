package workspace_test

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/audit"
	"github.com/wardenhq/warden/blob"
	"github.com/wardenhq/warden/keyring"
	"github.com/wardenhq/warden/sqlite"
	"github.com/wardenhq/warden/workspace"
)

// flakyStore fails every audit insert while broken is set, as a full disk or
// a failing database would.
type flakyStore struct {
	warden.Store
	broken atomic.Bool
}

func (s *flakyStore) Update(ctx context.Context, fn func(warden.Tx) error) error {
	return s.Store.Update(ctx, func(tx warden.Tx) error { return fn(flakyTx{tx, s}) })
}

type flakyTx struct {
	warden.Tx
	s *flakyStore
}

func (t flakyTx) InsertEvent(r *warden.EventRecord) error {
	if t.s.broken.Load() {
		return errors.New("disk full")
	}
	return t.Tx.InsertEvent(r)
}

type fixture struct {
	store *flakyStore
	ws    *workspace.Service
	blobs string
	hook  *hookBlobs
	admin *warden.Principal
	bot   *warden.Principal
}

// hookBlobs runs a function once, right after the next blob commits: the
// moment between sealing content and committing the version that uses it.
type hookBlobs struct {
	warden.BlobStore
	next atomic.Pointer[func()]
}

func (h *hookBlobs) Create(ctx context.Context) (warden.BlobWriter, error) {
	w, err := h.BlobStore.Create(ctx)
	return hookWriter{w, h}, err
}

type hookWriter struct {
	warden.BlobWriter
	h *hookBlobs
}

func (w hookWriter) Commit() error {
	err := w.BlobWriter.Commit()
	if fn := w.h.next.Swap(nil); fn != nil {
		(*fn)()
	}
	return err
}

func newFixture(t *testing.T) *fixture {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "warden.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	fs := &flakyStore{Store: db}
	keys, err := keyring.Open(ctx, fs, keyring.GenerateMasterKey())
	if err != nil {
		t.Fatal(err)
	}
	blobs, err := blob.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	log := audit.New(fs, keys, audit.Options{})
	t.Cleanup(func() { log.Close(ctx) })
	hook := &hookBlobs{BlobStore: blobs}
	f := &fixture{store: fs, ws: workspace.New(fs, hook, keys, log, workspace.Options{}), blobs: filepath.Join(dir, "blobs"), hook: hook}
	f.admin = &warden.Principal{Name: "admin", Kind: warden.KindHuman, Role: warden.HumanAdmin}
	f.bot = &warden.Principal{Name: "bot", Kind: warden.KindAgent}
	err = fs.Update(ctx, func(tx warden.Tx) error {
		if err := tx.CreatePrincipal(f.admin); err != nil {
			return err
		}
		return tx.CreatePrincipal(f.bot)
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.ws.Create(ctx, f.admin, "w", "internal"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.ws.SetMember(ctx, f.admin, "w", "bot", warden.RoleEditor); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestNothingHappensThatCannotBeRecorded(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	if _, err := f.ws.Put(ctx, f.bot, "w", "a.txt", strings.NewReader("v1")); err != nil {
		t.Fatal(err)
	}
	f.store.broken.Store(true)

	if _, err := f.ws.Put(ctx, f.bot, "w", "a.txt", strings.NewReader("v2")); err == nil {
		t.Fatal("a write succeeded although its audit event could not be stored")
	}
	if c, err := f.ws.Open(ctx, f.bot, "w", "a.txt", 0, 0); err == nil {
		c.Close()
		t.Fatal("a read handed out content although it could not be recorded")
	}
	if _, _, err := f.ws.Files(ctx, f.bot, "w", workspace.ListOptions{}); err == nil {
		t.Fatal("a listing succeeded although it could not be recorded")
	}
	if _, err := f.ws.Delete(ctx, f.bot, "w", "a.txt"); err == nil {
		t.Fatal("a delete succeeded although it could not be recorded")
	}
	if _, err := f.ws.SetMember(ctx, f.admin, "w", "bot", warden.RoleViewer); err == nil {
		t.Fatal("a grant changed although it could not be recorded")
	}

	f.store.broken.Store(false)
	c, err := f.ws.Open(ctx, f.bot, "w", "a.txt", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	b, _ := io.ReadAll(c.Reader)
	if string(b) != "v1" || c.File.Version != 1 {
		t.Fatalf("after the outage the file is %q version %d; want v1 version 1", b, c.File.Version)
	}
	ms, _ := f.ws.Members(ctx, f.admin, "w")
	if len(ms) != 1 || ms[0].Role != warden.RoleEditor {
		t.Fatalf("members changed: %+v", ms)
	}
}

func TestRefusedWriteLeavesNoBlob(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	if _, err := f.ws.Put(ctx, f.admin, "w", "p.txt", strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	f.store.broken.Store(true)
	f.ws.Put(ctx, f.admin, "w", "q.txt", strings.NewReader("never stored"))
	f.store.broken.Store(false)
	orphans, err := f.ws.Orphans(ctx)
	if err != nil || len(orphans) != 0 {
		t.Fatalf("orphans = %v, %v", orphans, err)
	}
}

// A restore copies content before it commits. If meanwhile the file was
// deleted and its path taken by a new file, the copy must not land on the
// new file: that would put removed content back in front of everyone.
func TestRestoreDoesNotLandOnAFileThatTookThePath(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	contrib := &warden.Principal{Name: "contrib", Kind: warden.KindAgent}
	f.store.Update(ctx, func(tx warden.Tx) error { return tx.CreatePrincipal(contrib) })
	f.ws.SetMember(ctx, f.admin, "w", "contrib", warden.RoleContributor)
	f.ws.Put(ctx, f.admin, "w", "p.txt", strings.NewReader("SECRET v1"))
	f.ws.Put(ctx, f.admin, "w", "p.txt", strings.NewReader("v2"))

	race := func() {
		if _, err := f.ws.Delete(ctx, f.admin, "w", "p.txt"); err != nil {
			t.Error(err)
		}
		if _, err := f.ws.Put(ctx, contrib, "w", "p.txt", strings.NewReader("fresh")); err != nil {
			t.Error(err)
		}
	}
	f.hook.next.Store(&race)
	if _, err := f.ws.Restore(ctx, f.admin, "w", "p.txt", 1, 0); warden.ErrorCode(err) != warden.ECONFLICT {
		t.Fatalf("restore across a replacement = %v, want conflict", err)
	}
	c, err := f.ws.Open(ctx, contrib, "w", "p.txt", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	b, _ := io.ReadAll(c.Reader)
	if string(b) != "fresh" || c.File.Version != 1 {
		t.Fatalf("the new file is %q version %d", b, c.File.Version)
	}
}
