package blob

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/wardenhq/warden"
)

var ctx = context.Background()

func TestCommittedObjectsAreReadableAndPrivate(t *testing.T) {
	d, err := Open(filepath.Join(t.TempDir(), "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	w, _ := d.Create(ctx)
	data := make([]byte, 3*writebackEvery+5) // crosses the writeback threshold
	for i := range data {
		data[i] = byte(i)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Open(ctx, w.ID()); warden.ErrorCode(err) != warden.EINTEGRITY {
		t.Fatalf("uncommitted object is visible: %v", err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(); err == nil {
		t.Fatal("second commit succeeded")
	}
	r, err := d.Open(ctx, w.ID())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, _ := io.ReadAll(io.NewSectionReader(r, 0, r.Size()))
	if !slices.Equal(got, data) {
		t.Fatal("content differs")
	}
	fi, _ := os.Stat(d.path(w.ID()))
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("object mode %04o", fi.Mode().Perm())
	}
	var ids []string
	d.List(ctx, func(id string) error { ids = append(ids, id); return nil })
	if len(ids) != 1 || ids[0] != w.ID() {
		t.Fatalf("List = %v", ids)
	}
}

func TestAbortAndCleanTempLeaveNothing(t *testing.T) {
	root := filepath.Join(t.TempDir(), "blobs")
	d, _ := Open(root)
	w, _ := d.Create(ctx)
	w.Write([]byte("partial"))
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	w2, _ := d.Create(ctx) // as if the process died mid-upload
	w2.Write([]byte("cut short"))
	n, err := d.CleanTemp()
	if err != nil || n != 1 {
		t.Fatalf("CleanTemp = %d, %v", n, err)
	}
	left, _ := os.ReadDir(filepath.Join(root, "tmp"))
	if len(left) != 0 {
		t.Fatalf("tmp not empty: %v", left)
	}
	count := 0
	d.List(ctx, func(string) error { count++; return nil })
	if count != 0 {
		t.Fatalf("%d objects listed", count)
	}
}

func TestOpenRejectsBadIDs(t *testing.T) {
	d, _ := Open(filepath.Join(t.TempDir(), "blobs"))
	for _, id := range []string{"", "../../etc/passwd", "ABCDEF0123456789ABCDEF0123456789", "zz" + NewID()[2:]} {
		if _, err := d.Open(ctx, id); warden.ErrorCode(err) != warden.EINTEGRITY {
			t.Errorf("Open(%q) = %v", id, err)
		}
	}
	if _, err := d.Open(ctx, NewID()); warden.ErrorCode(err) != warden.EINTEGRITY {
		t.Errorf("missing object: %v", err)
	}
	if err := d.Delete(ctx, "../x"); err == nil {
		t.Error("Delete accepted a bad id")
	}
	if err := d.Delete(ctx, NewID()); err != nil {
		t.Errorf("Delete of a missing object = %v", err)
	}
}
