package keyring

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

// storedVersion is a file version written with a data key, and the key.
type storedVersion struct {
	wsID    int64
	fileID  int64
	version int
	blobID  string
	key     []byte
	wrapped []byte // as first stored
}

// fixture is an install with sealed values and file versions to rotate.
type fixture struct {
	db       *testDB
	master   []byte
	keys     *Keyring
	versions []storedVersion
	meta     []byte // SealMeta("name.txt", "ws:1")
	audit    []byte // SealAudit("details", "event:1")
	index    []byte // Index("path", "a")
}

// newFixture creates an install with files*perFile versions carrying data
// keys, plus one tombstone version without a key.
func newFixture(t testing.TB, files, perFile int) *fixture {
	t.Helper()
	f := &fixture{db: newTestDB(t), master: masterKey(20)}
	f.keys = mustOpenKeyring(t, f.db.store, f.master)
	f.meta = f.keys.SealMeta([]byte("name.txt"), "ws:1")
	f.audit = f.keys.SealAudit([]byte("details"), "event:1")
	f.index = f.keys.Index("path", []byte("a"))
	now := time.Unix(1_700_000_000, 0)
	err := f.db.store.Update(context.Background(), func(tx warden.Tx) error {
		ws := &warden.Workspace{Name: "rotate", Label: warden.LabelInternal, CreatedAt: now, CreatedBy: "test"}
		if err := tx.CreateWorkspace(ws); err != nil {
			return err
		}
		for i := range files {
			path := fmt.Sprintf("file-%d.txt", i)
			fr := &warden.FileRecord{
				WorkspaceID: ws.ID,
				PathHash:    f.keys.Index("path", []byte(path)),
				PathSealed:  f.keys.SealMeta([]byte(path), "ws:"+strconv.FormatInt(ws.ID, 10)),
				Head:        perFile,
			}
			if err := tx.CreateFile(fr); err != nil {
				return err
			}
			for v := 1; v <= perFile; v++ {
				blob := fmt.Sprintf("blob-%d-%d", i, v)
				key := NewDataKey()
				wrapped, _ := f.keys.WrapDataKey(key, DataKeyContext(ws.ID, fr.ID, v, blob))
				err := tx.AddVersion(&warden.FileVersion{
					FileID: fr.ID, Version: v, Size: 10, CreatedAt: now, Author: "test",
					BlobID: blob, WrappedKey: wrapped, KEKGen: f.keys.Generation(),
				})
				if err != nil {
					return err
				}
				f.versions = append(f.versions, storedVersion{ws.ID, fr.ID, v, blob, key, wrapped})
			}
			if i == 0 {
				// A tombstone carries no data key; rotation must skip it.
				if err := tx.AddVersion(&warden.FileVersion{
					FileID: fr.ID, Version: perFile + 1, Tombstone: true, CreatedAt: now, Author: "test",
				}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("create fixture: %v", err)
	}
	return f
}

// storedKeys reads every version's wrapped key and generation from the store.
func (f *fixture) storedKeys(t testing.TB) map[[2]int64]warden.FileVersion {
	t.Helper()
	out := map[[2]int64]warden.FileVersion{}
	err := f.db.store.View(context.Background(), func(tx warden.Tx) error {
		for _, sv := range f.versions {
			v, err := tx.Version(sv.fileID, sv.version)
			if err != nil {
				return err
			}
			out[[2]int64{sv.fileID, int64(sv.version)}] = *v
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// checkEverythingOpens asserts that k opens every value and data key of f,
// with the data keys as the store now holds them.
func (f *fixture) checkEverythingOpens(t testing.TB, k *Keyring, wantGen int) {
	t.Helper()
	if k.Generation() != wantGen {
		t.Errorf("Generation() = %d, want %d", k.Generation(), wantGen)
	}
	if got, err := k.OpenMeta(f.meta, "ws:1"); err != nil || string(got) != "name.txt" {
		t.Errorf("OpenMeta of a value sealed before rotation = %q, %v", got, err)
	}
	if got, err := k.OpenAudit(f.audit, "event:1"); err != nil || string(got) != "details" {
		t.Errorf("OpenAudit of a value sealed before rotation = %q, %v", got, err)
	}
	if !bytes.Equal(k.Index("path", []byte("a")), f.index) {
		t.Error("Index changed across rotation: lookups of existing files would break")
	}
	stored := f.storedKeys(t)
	for _, sv := range f.versions {
		v := stored[[2]int64{sv.fileID, int64(sv.version)}]
		if v.KEKGen != wantGen {
			t.Errorf("file %d version %d has KEK generation %d, want %d", sv.fileID, sv.version, v.KEKGen, wantGen)
		}
		got, err := k.OpenDataKey(v.WrappedKey, v.KEKGen, DataKeyContext(sv.wsID, sv.fileID, sv.version, v.BlobID))
		if err != nil || !bytes.Equal(got, sv.key) {
			t.Fatalf("file %d version %d: data key after rotation = %x, %v; want the original key", sv.fileID, sv.version, got, err)
		}
	}
	err := f.db.store.View(context.Background(), func(tx warden.Tx) error {
		recs, err := tx.Keys()
		for _, r := range recs {
			if r.KEKGen != wantGen {
				t.Errorf("install key %s has KEK generation %d, want %d", r.Purpose, r.KEKGen, wantGen)
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestRotateWithSameMasterBumpsGenerationAndKeepsEverythingOpen(t *testing.T) {
	f := newFixture(t, 3, 4)
	ctx := context.Background()
	pub := f.keys.PublicKey()
	var calls [][2]int64
	res, err := Rotate(ctx, f.db.store, f.master, nil, func(done, total int64) {
		calls = append(calls, [2]int64{done, total})
	}, nil)
	if err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	want := RotateResult{FromGeneration: 1, ToGeneration: 2, DataKeys: int64(len(f.versions))}
	if res != want {
		t.Fatalf("Rotate = %+v, want %+v", res, want)
	}
	if len(calls) == 0 || calls[len(calls)-1] != [2]int64{12, 12} {
		t.Fatalf("progress calls = %v, want the last to be (12, 12)", calls)
	}
	// Content is never re-encrypted: the data keys are the same keys, only
	// their wrapping changed.
	stored := f.storedKeys(t)
	for _, sv := range f.versions {
		if bytes.Equal(stored[[2]int64{sv.fileID, int64(sv.version)}].WrappedKey, sv.wrapped) {
			t.Fatalf("file %d version %d kept its old wrapping", sv.fileID, sv.version)
		}
	}
	k := mustOpenKeyring(t, f.db.store, f.master)
	f.checkEverythingOpens(t, k, 2)
	if !k.PublicKey().Equal(pub) {
		t.Error("rotation changed the audit signing key")
	}
	// New data keys are wrapped under the new generation.
	key, wrapped := newWrapped(k, "blob-new")
	if got, err := k.OpenDataKey(wrapped, 2, "blob-new"); err != nil || !bytes.Equal(got, key) {
		t.Fatalf("a new data key does not open under generation 2: %v", err)
	}
	if _, err := k.OpenDataKey(wrapped, 1, "blob-new"); err == nil {
		t.Fatal("a new data key opens under generation 1")
	}
	// The tombstone version is untouched.
	err = f.db.store.View(ctx, func(tx warden.Tx) error {
		v, err := tx.Version(f.versions[0].fileID, 5)
		if err != nil {
			return err
		}
		if v.WrappedKey != nil || v.KEKGen != 0 {
			t.Errorf("tombstone version got a key: %x gen %d", v.WrappedKey, v.KEKGen)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// A second rotation goes on to generation 3.
	res, err = Rotate(ctx, f.db.store, f.master, nil, nil, nil)
	if err != nil || res.FromGeneration != 2 || res.ToGeneration != 3 {
		t.Fatalf("second Rotate = %+v, %v; want 2 -> 3", res, err)
	}
	f.checkEverythingOpens(t, mustOpenKeyring(t, f.db.store, f.master), 3)
}

func TestRotateToNewMasterRetiresTheOldOne(t *testing.T) {
	f := newFixture(t, 2, 3)
	ctx := context.Background()
	newMaster := masterKey(21)
	pub := f.keys.PublicKey()
	res, err := Rotate(ctx, f.db.store, f.master, newMaster, nil, nil)
	if err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	if res.ToGeneration != 2 || res.DataKeys != 6 {
		t.Fatalf("Rotate = %+v", res)
	}
	f.db.reopen(t)
	for name, open := range map[string]func(context.Context, warden.Store, []byte) (*Keyring, error){
		"Open": Open, "OpenExisting": OpenExisting,
	} {
		if _, err := open(ctx, f.db.store, f.master); !errors.Is(err, errWrongMasterKey) {
			t.Errorf("%s with the old master after rotation = %v, want the wrong-master error", name, err)
		}
	}
	k := mustOpenKeyring(t, f.db.store, newMaster)
	f.checkEverythingOpens(t, k, 2)
	if !k.PublicKey().Equal(pub) {
		t.Error("rotation changed the audit signing key")
	}
	// The old master cannot rotate any more either.
	if _, err := Rotate(ctx, f.db.store, f.master, nil, nil, nil); !errors.Is(err, errWrongMasterKey) {
		t.Errorf("Rotate with the retired master = %v, want the wrong-master error", err)
	}
	// And back again to another new master.
	third := masterKey(22)
	if _, err := Rotate(ctx, f.db.store, newMaster, third, nil, nil); err != nil {
		t.Fatal(err)
	}
	f.checkEverythingOpens(t, mustOpenKeyring(t, f.db.store, third), 3)
}

func TestRotateRefusesBadInputsAndChangesNothing(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name              string
		master, newMaster func(f *fixture) []byte
	}{
		{"wrong master", func(*fixture) []byte { return masterKey(30) }, func(*fixture) []byte { return masterKey(31) }},
		{"wrong master, same master", func(*fixture) []byte { return masterKey(30) }, func(*fixture) []byte { return nil }},
		{"short new master", func(f *fixture) []byte { return f.master }, func(*fixture) []byte { return make([]byte, 16) }},
		{"empty new master", func(f *fixture) []byte { return f.master }, func(*fixture) []byte { return []byte{} }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, 1, 2)
			before := f.storedKeys(t)
			if _, err := Rotate(ctx, f.db.store, c.master(f), c.newMaster(f), nil, nil); err == nil {
				t.Fatal("Rotate succeeded")
			}
			after := f.storedKeys(t)
			for id, v := range before {
				if !bytes.Equal(after[id].WrappedKey, v.WrappedKey) || after[id].KEKGen != v.KEKGen {
					t.Fatalf("a refused Rotate changed version %v", id)
				}
			}
			f.checkEverythingOpens(t, mustOpenKeyring(t, f.db.store, f.master), 1)
		})
	}
	t.Run("uninitialised store", func(t *testing.T) {
		db := newTestDB(t)
		if _, err := Rotate(ctx, db.store, masterKey(1), nil, nil, nil); err == nil {
			t.Fatal("Rotate of an empty store succeeded")
		}
		err := db.store.View(ctx, func(tx warden.Tx) error {
			if _, err := tx.Meta(metaInstallID); !warden.IsCode(err, warden.ENOTFOUND) {
				t.Errorf("Rotate of an empty store created an install: %v", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// TestRotateCancelledMidwayKeepsOldWrapping cancels a rotation after its
// first batch of data keys: as one transaction, it must leave every key as
// it was.
func TestRotateCancelledMidwayKeepsOldWrapping(t *testing.T) {
	f := newFixture(t, 3, 500) // 1500 data keys: more than one batch
	before := f.storedKeys(t)
	for _, newMaster := range [][]byte{nil, masterKey(23)} {
		ctx, cancel := context.WithCancel(context.Background())
		var progress []int64
		_, err := Rotate(ctx, f.db.store, f.master, newMaster, func(done, total int64) {
			progress = append(progress, done)
			if total != 1500 {
				t.Errorf("progress total = %d, want 1500", total)
			}
			cancel() // midway: more batches remain
		}, nil)
		cancel()
		if err == nil {
			t.Fatal("a cancelled Rotate succeeded")
		}
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled Rotate = %v, want context.Canceled", err)
		}
		if len(progress) != 1 || progress[0] <= 0 || progress[0] >= 1500 {
			t.Fatalf("progress = %v: the cancellation did not happen midway", progress)
		}
		after := f.storedKeys(t)
		for id, v := range before {
			if !bytes.Equal(after[id].WrappedKey, v.WrappedKey) || after[id].KEKGen != 1 {
				t.Fatalf("version %v was re-wrapped by a cancelled rotation", id)
			}
		}
		k := mustOpenKeyring(t, f.db.store, f.master)
		f.checkEverythingOpens(t, k, 1)
		if newMaster != nil {
			if _, err := OpenExisting(context.Background(), f.db.store, newMaster); err == nil {
				t.Fatal("the new master opens the keyring after a cancelled rotation")
			}
		}
	}
}

// TestRotateAbortsOnADamagedDataKey: a data key that fails to open stops the
// rotation, which then changes nothing, not even the install-wide keys it
// re-wrapped first.
func TestRotateAbortsOnADamagedDataKey(t *testing.T) {
	f := newFixture(t, 2, 700)
	ctx := context.Background()
	bad := f.versions[len(f.versions)-3] // in the second batch
	damaged := bytes.Clone(bad.wrapped)
	damaged[len(damaged)-1] ^= 1
	if err := f.db.store.Update(ctx, func(tx warden.Tx) error {
		return tx.SetVersionKey(bad.fileID, bad.version, damaged, 1)
	}); err != nil {
		t.Fatal(err)
	}
	_, err := Rotate(ctx, f.db.store, f.master, masterKey(24), nil, nil)
	if err == nil {
		t.Fatal("Rotate over a damaged data key succeeded")
	}
	if warden.ErrorCode(err) != warden.EINTEGRITY {
		t.Errorf("Rotate error %v, want EINTEGRITY", err)
	}
	if want := fmt.Sprintf("file %d version %d", bad.fileID, bad.version); !bytes.Contains([]byte(err.Error()), []byte(want)) {
		t.Errorf("Rotate error %q does not name %s", err, want)
	}
	// Everything but the damaged key still opens under the old master.
	f.versions = append(f.versions[:len(f.versions)-3], f.versions[len(f.versions)-2:]...)
	f.checkEverythingOpens(t, mustOpenKeyring(t, f.db.store, f.master), 1)
}

// TestRotateCoversEveryDataKeyAcrossBatches: data keys are re-wrapped in
// pages of 1000 ordered by (file, version); a page boundary in the middle
// of a file's versions must neither skip nor repeat a key.
func TestRotateCoversEveryDataKeyAcrossBatches(t *testing.T) {
	f := newFixture(t, 2, 700) // the first page ends at file 2, version 300
	var calls [][2]int64
	res, err := Rotate(context.Background(), f.db.store, f.master, masterKey(25), func(done, total int64) {
		calls = append(calls, [2]int64{done, total})
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.DataKeys != 1400 {
		t.Fatalf("re-wrapped %d data keys, want 1400", res.DataKeys)
	}
	if want := [][2]int64{{1000, 1400}, {1400, 1400}}; fmt.Sprint(calls) != fmt.Sprint(want) {
		t.Fatalf("progress calls %v, want %v", calls, want)
	}
	f.checkEverythingOpens(t, mustOpenKeyring(t, f.db.store, masterKey(25)), 2)
}
