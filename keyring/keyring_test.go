package keyring

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/sqlite"
)

// testDB is a fresh SQLite store in a temporary folder.
type testDB struct {
	path  string
	store *sqlite.DB
}

func newTestDB(t testing.TB) *testDB {
	t.Helper()
	db := &testDB{path: filepath.Join(t.TempDir(), "warden.db")}
	db.reopen(t)
	return db
}

// reopen closes the store (if open) and opens the same file again.
func (db *testDB) reopen(t testing.TB) {
	t.Helper()
	if db.store != nil {
		if err := db.store.Close(); err != nil {
			t.Fatalf("close store: %v", err)
		}
	}
	s, err := sqlite.Open(context.Background(), db.path, sqlite.Options{})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	db.store = s
	t.Cleanup(func() { s.Close() })
}

func mustOpenKeyring(t testing.TB, store warden.Store, master []byte) *Keyring {
	t.Helper()
	k, err := Open(context.Background(), store, master)
	if err != nil {
		t.Fatalf("keyring.Open: %v", err)
	}
	return k
}

func masterKey(seed byte) []byte {
	k := make([]byte, MasterKeySize)
	for i := range k {
		k[i] = seed + byte(i)*7
	}
	return k
}

func TestOpenCreatesKeysOnFirstUse(t *testing.T) {
	db := newTestDB(t)
	ctx := context.Background()
	if _, err := OpenExisting(ctx, db.store, masterKey(1)); !warden.IsCode(err, warden.ENOTFOUND) {
		t.Fatalf("OpenExisting on an empty store = %v, want ENOTFOUND", err)
	}
	k := mustOpenKeyring(t, db.store, masterKey(1))
	if k.Generation() != 1 {
		t.Fatalf("Generation() = %d, want 1", k.Generation())
	}
	err := db.store.View(ctx, func(tx warden.Tx) error {
		id, err := tx.Meta(metaInstallID)
		if err != nil || len(id) != 16 {
			t.Errorf("install id = %x, %v; want 16 bytes", id, err)
		}
		gen, err := tx.Meta(metaKEKGen)
		if err != nil || string(gen) != "1" {
			t.Errorf("kek_gen = %q, %v; want \"1\"", gen, err)
		}
		recs, err := tx.Keys()
		if err != nil {
			return err
		}
		purposes := map[string]bool{}
		for _, r := range recs {
			purposes[r.Purpose] = true
			if r.KEKGen != 1 {
				t.Errorf("key %s has KEK generation %d, want 1", r.Purpose, r.KEKGen)
			}
			if len(r.Wrapped) < 32+16 {
				t.Errorf("key %s is stored as %d bytes: not wrapped?", r.Purpose, len(r.Wrapped))
			}
		}
		for _, p := range []string{PurposeMeta, PurposeIndex, PurposeAudit, PurposeSign} {
			if !purposes[p] {
				t.Errorf("no %s key was created", p)
			}
		}
		if len(recs) != 4 {
			t.Errorf("%d key records, want 4", len(recs))
		}
		pub, err := StoredPublicKey(tx)
		if err != nil || !pub.Equal(k.PublicKey()) {
			t.Errorf("StoredPublicKey = %x, %v; want the keyring's public key", pub, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestReopenWithSameMasterOpensEarlierValues(t *testing.T) {
	db := newTestDB(t)
	master := masterKey(2)
	k1 := mustOpenKeyring(t, db.store, master)
	meta := k1.SealMeta([]byte("secret/path.txt"), "workspace:1")
	aud := k1.SealAudit([]byte(`{"target":"x"}`), "event:7")
	idx := k1.Index("path", []byte("ws"), []byte("a.txt"))
	dataKey, wrapped := newWrapped(k1, "blob-1")

	db.reopen(t)
	for name, open := range map[string]func(context.Context, warden.Store, []byte) (*Keyring, error){
		"Open": Open, "OpenExisting": OpenExisting,
	} {
		t.Run(name, func(t *testing.T) {
			k2, err := open(context.Background(), db.store, bytes.Clone(master))
			if err != nil {
				t.Fatal(err)
			}
			if got, err := k2.OpenMeta(meta, "workspace:1"); err != nil || string(got) != "secret/path.txt" {
				t.Errorf("OpenMeta = %q, %v", got, err)
			}
			if got, err := k2.OpenAudit(aud, "event:7"); err != nil || string(got) != `{"target":"x"}` {
				t.Errorf("OpenAudit = %q, %v", got, err)
			}
			if got := k2.Index("path", []byte("ws"), []byte("a.txt")); !bytes.Equal(got, idx) {
				t.Error("Index changed after reopening")
			}
			if got, err := k2.OpenDataKey(wrapped, k1.Generation(), "blob-1"); err != nil || !bytes.Equal(got, dataKey) {
				t.Errorf("OpenDataKey = %x, %v", got, err)
			}
			if !k2.PublicKey().Equal(k1.PublicKey()) {
				t.Error("the signing key changed after reopening")
			}
			if k2.Generation() != 1 {
				t.Errorf("Generation() = %d, want 1", k2.Generation())
			}
		})
	}
}

func TestSealedValuesOpenOnlyInTheirContext(t *testing.T) {
	db := newTestDB(t)
	k := mustOpenKeyring(t, db.store, masterKey(3))
	plain := []byte("report-2025.pdf")
	flip := func(b []byte, i int) []byte { b = bytes.Clone(b); b[i] ^= 1; return b }
	type sealer struct {
		name string
		seal func([]byte, string) []byte
		open func([]byte, string) ([]byte, error)
	}
	sealers := []sealer{
		{"meta", k.SealMeta, k.OpenMeta},
		{"audit", k.SealAudit, k.OpenAudit},
	}
	for _, s := range sealers {
		t.Run(s.name, func(t *testing.T) {
			sealed := s.seal(plain, "ctx:1")
			if bytes.Contains(sealed, plain) {
				t.Fatal("sealed value contains the plaintext")
			}
			if again := s.seal(plain, "ctx:1"); bytes.Equal(again, sealed) {
				t.Fatal("sealing twice gives the same bytes (nonce reuse?)")
			}
			if got, err := s.open(sealed, "ctx:1"); err != nil || !bytes.Equal(got, plain) {
				t.Fatalf("open in the right context = %q, %v", got, err)
			}
			if got, err := s.open(s.seal(nil, ""), ""); err != nil || len(got) != 0 {
				t.Fatalf("open of a sealed empty value = %q, %v", got, err)
			}
			bad := map[string]struct {
				sealed  []byte
				context string
			}{
				"other context":           {sealed, "ctx:2"},
				"context prefix":          {sealed, "ctx:"},
				"context extended":        {sealed, "ctx:10"},
				"empty context":           {sealed, ""},
				"version byte changed":    {flip(sealed, 0), "ctx:1"},
				"nonce bit flipped":       {flip(sealed, 3), "ctx:1"},
				"ciphertext bit flipped":  {flip(sealed, 14), "ctx:1"},
				"tag bit flipped":         {flip(sealed, len(sealed)-1), "ctx:1"},
				"truncated by one byte":   {sealed[:len(sealed)-1], "ctx:1"},
				"truncated to the header": {sealed[:13], "ctx:1"},
				"empty":                   {nil, "ctx:1"},
				"extended by one byte":    {append(bytes.Clone(sealed), 0), "ctx:1"},
			}
			for name, c := range bad {
				got, err := s.open(c.sealed, c.context)
				if err == nil {
					t.Errorf("%s: opened as %q", name, got)
					continue
				}
				if warden.ErrorCode(err) != warden.EINTEGRITY {
					t.Errorf("%s: error %v, want EINTEGRITY", name, err)
				}
				if got != nil {
					t.Errorf("%s: returned %q along with the error", name, got)
				}
			}
		})
	}
	// The two purposes use different keys and domains: one never opens the other.
	if _, err := k.OpenAudit(k.SealMeta(plain, "x"), "x"); err == nil {
		t.Error("a meta value opened as an audit value")
	}
	if _, err := k.OpenMeta(k.SealAudit(plain, "x"), "x"); err == nil {
		t.Error("an audit value opened as a meta value")
	}
	// Another install's keyring does not open this one's values.
	other := mustOpenKeyring(t, newTestDB(t).store, masterKey(3))
	if _, err := other.OpenMeta(k.SealMeta(plain, "x"), "x"); err == nil {
		t.Error("another install (same master key) opened a meta value")
	}
}

func TestIndexIsDeterministicAndSeparatesInputs(t *testing.T) {
	db := newTestDB(t)
	k := mustOpenKeyring(t, db.store, masterKey(4))
	b := func(ss ...string) [][]byte {
		out := make([][]byte, len(ss))
		for i, s := range ss {
			out[i] = []byte(s)
		}
		return out
	}
	base := k.Index("path", b("ab", "c")...)
	if len(base) != 32 {
		t.Fatalf("Index is %d bytes, want 32", len(base))
	}
	if again := k.Index("path", b("ab", "c")...); !bytes.Equal(again, base) {
		t.Fatal("Index is not deterministic")
	}
	differ := []struct {
		name    string
		context string
		parts   [][]byte
	}{
		{"other context", "name", b("ab", "c")},
		{"part boundary moved", "path", b("a", "bc")},
		{"parts joined", "path", b("abc")},
		{"extra empty part", "path", b("ab", "c", "")},
		{"context absorbs a part", "pathab", b("c")},
		{"empty context", "", b("path", "ab", "c")},
		{"parts swapped", "path", b("c", "ab")},
	}
	seen := map[string]string{string(base): "base"}
	for _, d := range differ {
		got := k.Index(d.context, d.parts...)
		if prev, dup := seen[string(got)]; dup {
			t.Errorf("Index(%s) equals Index(%s)", d.name, prev)
		}
		seen[string(got)] = d.name
	}
	if bytes.Equal(k.Index("x"), k.Index("x", nil)) {
		t.Error("Index with no parts equals Index with one empty part")
	}
	other := mustOpenKeyring(t, newTestDB(t).store, masterKey(4))
	if bytes.Equal(other.Index("path", b("ab", "c")...), base) {
		t.Error("two installs give the same Index: the index key is not per install")
	}
}

func TestOpenWithWrongMasterKeyFailsClearly(t *testing.T) {
	db := newTestDB(t)
	ctx := context.Background()
	right := masterKey(5)
	k := mustOpenKeyring(t, db.store, right)
	sealed := k.SealMeta([]byte("v"), "c")

	for name, open := range map[string]func(context.Context, warden.Store, []byte) (*Keyring, error){
		"Open": Open, "OpenExisting": OpenExisting,
	} {
		got, err := open(ctx, db.store, masterKey(6))
		if err == nil || got != nil {
			t.Fatalf("%s with the wrong master key = %v, %v; want an error", name, got, err)
		}
		if !errors.Is(err, errWrongMasterKey) || !strings.Contains(err.Error(), "master key") {
			t.Errorf("%s with the wrong master key: error %q does not say the master key is wrong", name, err)
		}
	}
	for _, n := range []int{0, 16, 31, 33} {
		if _, err := Open(ctx, db.store, make([]byte, n)); err == nil || !strings.Contains(err.Error(), "32 bytes") {
			t.Errorf("Open with a %d-byte master key = %v, want a length error", n, err)
		}
	}
	// The failed attempts must not have replaced the keys.
	k2 := mustOpenKeyring(t, db.store, right)
	if got, err := k2.OpenMeta(sealed, "c"); err != nil || string(got) != "v" {
		t.Fatalf("after wrong-key attempts the right key no longer opens values: %q, %v", got, err)
	}
	if !k2.PublicKey().Equal(k.PublicKey()) {
		t.Fatal("after wrong-key attempts the signing key changed")
	}
}

func TestOpenRejectsCorruptKeyRecords(t *testing.T) {
	ctx := context.Background()
	master := masterKey(7)
	cases := []struct {
		name   string
		damage func(tx warden.Tx) error
		want   string
	}{
		{"KEK generation not a number", func(tx warden.Tx) error {
			return tx.SetMeta(metaKEKGen, []byte("zero"))
		}, "generation"},
		{"KEK generation 0", func(tx warden.Tx) error {
			return tx.SetMeta(metaKEKGen, []byte("0"))
		}, "generation"},
		{"sign key of the wrong length", func(tx warden.Tx) error {
			id, err := tx.Meta(metaInstallID)
			if err != nil {
				return err
			}
			short := seal(deriveKEK(master, id, 1), make([]byte, 16), keyAAD(PurposeSign))
			return tx.PutKey(warden.KeyRecord{Purpose: PurposeSign, KEKGen: 1, Wrapped: short})
		}, "sign key is missing"},
		{"meta key wrapped for another purpose", func(tx warden.Tx) error {
			id, err := tx.Meta(metaInstallID)
			if err != nil {
				return err
			}
			w := seal(deriveKEK(master, id, 1), make([]byte, 32), keyAAD(PurposeAudit))
			return tx.PutKey(warden.KeyRecord{Purpose: PurposeMeta, KEKGen: 1, Wrapped: w})
		}, "master key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db := newTestDB(t)
			mustOpenKeyring(t, db.store, master)
			if err := db.store.Update(ctx, c.damage); err != nil {
				t.Fatal(err)
			}
			if k, err := Open(ctx, db.store, master); err == nil || k != nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Open = %v, %v; want an error mentioning %q", k, err, c.want)
			}
		})
	}
}

func TestConcurrentFirstOpensAgreeOnOneKeyring(t *testing.T) {
	db := newTestDB(t)
	master := masterKey(11)
	const n = 8
	keys := make([]*Keyring, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { keys[i], errs[i] = Open(context.Background(), db.store, master) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("Open %d: %v", i, errs[i])
		}
		if !keys[i].PublicKey().Equal(keys[0].PublicKey()) {
			t.Fatalf("Open %d created a different keyring", i)
		}
	}
	sealed := keys[3].SealMeta([]byte("x"), "c")
	if _, err := keys[5].OpenMeta(sealed, "c"); err != nil {
		t.Fatalf("keyrings from concurrent first opens do not share keys: %v", err)
	}
}

func TestDataKeysOpenOnlyWithTheirBinding(t *testing.T) {
	db := newTestDB(t)
	k := mustOpenKeyring(t, db.store, masterKey(8))
	key, wrapped := newWrapped(k, "blob-a")
	if len(key) != 32 {
		t.Fatalf("data key is %d bytes, want 32", len(key))
	}
	if bytes.Contains(wrapped, key) {
		t.Fatal("the wrapped key contains the key")
	}
	key2, wrapped2 := newWrapped(k, "blob-a")
	if bytes.Equal(key, key2) || bytes.Equal(wrapped, wrapped2) {
		t.Fatal("two data keys are equal")
	}
	if got, err := k.OpenDataKey(wrapped, k.Generation(), "blob-a"); err != nil || !bytes.Equal(got, key) {
		t.Fatalf("OpenDataKey = %x, %v", got, err)
	}
	flipped := bytes.Clone(wrapped)
	flipped[len(flipped)-5] ^= 2
	other := mustOpenKeyring(t, newTestDB(t).store, masterKey(8))
	cases := []struct {
		name    string
		k       *Keyring
		wrapped []byte
		gen     int
		binding string
	}{
		{"other binding", k, wrapped, 1, "blob-b"},
		{"binding prefix", k, wrapped, 1, "blob-"},
		{"empty binding", k, wrapped, 1, ""},
		{"another version's wrapped key", k, wrapped2, 1, "blob-b"},
		{"wrong generation", k, wrapped, 2, "blob-a"},
		{"generation 0", k, wrapped, 0, "blob-a"},
		{"tampered", k, flipped, 1, "blob-a"},
		{"truncated", k, wrapped[:len(wrapped)-1], 1, "blob-a"},
		{"empty", k, nil, 1, "blob-a"},
		{"another install", other, wrapped, 1, "blob-a"},
	}
	for _, c := range cases {
		got, err := c.k.OpenDataKey(c.wrapped, c.gen, c.binding)
		if err == nil {
			t.Errorf("%s: OpenDataKey succeeded (%x)", c.name, got)
			continue
		}
		if warden.ErrorCode(err) != warden.EINTEGRITY {
			t.Errorf("%s: error %v, want EINTEGRITY", c.name, err)
		}
	}
}

func TestSignaturesVerifyWithThePublicKey(t *testing.T) {
	db := newTestDB(t)
	k := mustOpenKeyring(t, db.store, masterKey(9))
	pub := k.PublicKey()
	if len(pub) != ed25519.PublicKeySize {
		t.Fatalf("public key is %d bytes", len(pub))
	}
	msgs := [][]byte{nil, []byte("checkpoint 1"), bytes.Repeat([]byte{0xff}, 4096)}
	for _, m := range msgs {
		sig := k.Sign(m)
		if !ed25519.Verify(pub, m, sig) {
			t.Errorf("signature over %d bytes does not verify", len(m))
		}
		if ed25519.Verify(pub, append(bytes.Clone(m), 0), sig) {
			t.Errorf("signature over %d bytes verifies for another message", len(m))
		}
		bad := bytes.Clone(sig)
		bad[0] ^= 1
		if ed25519.Verify(pub, m, bad) {
			t.Error("a tampered signature verifies")
		}
	}
	other := mustOpenKeyring(t, newTestDB(t).store, masterKey(9))
	if ed25519.Verify(other.PublicKey(), []byte("x"), k.Sign([]byte("x"))) {
		t.Error("another install's public key verifies this install's signature")
	}
	id := KeyID(pub)
	if len(id) != 16 {
		t.Errorf("KeyID = %q, want 16 hex digits", id)
	}
	if _, err := hex.DecodeString(id); err != nil {
		t.Errorf("KeyID = %q is not hex", id)
	}
	if KeyID(pub) != id || KeyID(other.PublicKey()) == id {
		t.Error("KeyID is not a stable per-key fingerprint")
	}
}

func TestStoredPublicKeyRejectsWrongLength(t *testing.T) {
	db := newTestDB(t)
	ctx := context.Background()
	mustOpenKeyring(t, db.store, masterKey(10))
	err := db.store.Update(ctx, func(tx warden.Tx) error {
		if err := tx.SetMeta(metaPublicKey, []byte("short")); err != nil {
			return err
		}
		if _, err := StoredPublicKey(tx); err == nil {
			t.Error("StoredPublicKey accepted a 5-byte key")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = newTestDB(t).store.View(ctx, func(tx warden.Tx) error {
		if _, err := StoredPublicKey(tx); !warden.IsCode(err, warden.ENOTFOUND) {
			t.Errorf("StoredPublicKey on an empty store = %v, want ENOTFOUND", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// keyWithAllAlphabets is a key whose base64 has '+' and '/' (standard) or
// '-' and '_' (URL), and needs padding, so the encodings differ.
var keyWithAllAlphabets = func() []byte {
	k := make([]byte, MasterKeySize)
	for i := range k {
		k[i] = 0xfb ^ byte(i)
	}
	return k
}()

func TestParseMasterKeyAcceptsBase64Variants(t *testing.T) {
	k := keyWithAllAlphabets
	std := base64.StdEncoding.EncodeToString(k)
	url := base64.URLEncoding.EncodeToString(k)
	if !strings.ContainsAny(std, "+/") || !strings.ContainsAny(url, "-_") || !strings.HasSuffix(std, "=") {
		t.Fatalf("test key does not exercise the alphabets: %s %s", std, url)
	}
	cases := map[string]string{
		"standard padded":   std,
		"standard unpadded": base64.RawStdEncoding.EncodeToString(k),
		"url padded":        url,
		"url unpadded":      base64.RawURLEncoding.EncodeToString(k),
		"trailing newline":  std + "\n",
		"surrounding space": "  \t" + url + " \r\n",
		"EncodeMasterKey":   EncodeMasterKey(k),
	}
	for name, s := range cases {
		got, err := ParseMasterKey(s)
		if err != nil || !bytes.Equal(got, k) {
			t.Errorf("%s: ParseMasterKey(%q) = %x, %v; want the key", name, s, got, err)
		}
	}
}

func TestParseMasterKeyRejectsWrongLengthsAndGarbage(t *testing.T) {
	k := keyWithAllAlphabets
	std := base64.StdEncoding.EncodeToString(k)
	cases := map[string]string{
		"empty":              "",
		"only space":         "  \n",
		"31 bytes":           base64.StdEncoding.EncodeToString(k[:31]),
		"33 bytes":           base64.StdEncoding.EncodeToString(append(bytes.Clone(k), 1)),
		"64 bytes":           base64.StdEncoding.EncodeToString(append(bytes.Clone(k), k...)),
		"hex of the key":     hex.EncodeToString(k),
		"not base64":         "this is not a key!!",
		"mixed alphabets":    strings.Replace(std, "+", "-", 1),
		"space inside":       std[:10] + " " + std[10:],
		"one char dropped":   std[:len(std)-2] + "=",
		"extra padding":      std + "=",
		"raw 32 bytes":       string(k),
		"wrong padding size": base64.RawStdEncoding.EncodeToString(k) + "==",
	}
	for name, s := range cases {
		got, err := ParseMasterKey(s)
		if err == nil {
			t.Errorf("%s: ParseMasterKey(%q) = %x, want an error", name, s, got)
		}
		if got != nil {
			t.Errorf("%s: ParseMasterKey returned %d bytes along with the error", name, len(got))
		}
	}
	if _, err := ParseMasterKey(base64.StdEncoding.EncodeToString(k[:16])); err == nil || !strings.Contains(err.Error(), "16 bytes") {
		t.Errorf("a 16-byte key: error %v does not give the length", err)
	}
}

func TestGenerateMasterKeyRoundTrips(t *testing.T) {
	a, b := GenerateMasterKey(), GenerateMasterKey()
	if len(a) != MasterKeySize || bytes.Equal(a, b) {
		t.Fatalf("GenerateMasterKey gave %d bytes, distinct: %v", len(a), !bytes.Equal(a, b))
	}
	got, err := ParseMasterKey(EncodeMasterKey(a))
	if err != nil || !bytes.Equal(got, a) {
		t.Fatalf("ParseMasterKey(EncodeMasterKey(k)) = %x, %v", got, err)
	}
}

func TestReadKeyFileRefusesLooseModes(t *testing.T) {
	dir := t.TempDir()
	k := GenerateMasterKey()
	for _, mode := range []fs.FileMode{0o644, 0o640, 0o604, 0o660, 0o700, 0o610, 0o601} {
		path := filepath.Join(dir, "key-"+mode.String())
		if err := os.WriteFile(path, []byte(EncodeMasterKey(k)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		got, err := ReadKeyFile(path)
		if mode&0o077 != 0 {
			if err == nil || !strings.Contains(err.Error(), "chmod 600") {
				t.Errorf("mode %04o: ReadKeyFile = %x, %v; want a refusal", mode, got, err)
			}
			continue
		}
		if err != nil || !bytes.Equal(got, k) {
			t.Errorf("mode %04o: ReadKeyFile = %x, %v; want the key", mode, got, err)
		}
	}
	for _, mode := range []fs.FileMode{0o600, 0o400} {
		path := filepath.Join(dir, "ok-"+mode.String())
		if err := os.WriteFile(path, []byte(EncodeMasterKey(k)), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		if got, err := ReadKeyFile(path); err != nil || !bytes.Equal(got, k) {
			t.Errorf("mode %04o: ReadKeyFile = %x, %v; want the key", mode, got, err)
		}
	}
	if _, err := ReadKeyFile(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadKeyFile of a missing file = %v, want fs.ErrNotExist", err)
	}
	garbage := filepath.Join(dir, "garbage")
	if err := os.WriteFile(garbage, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadKeyFile(garbage); err == nil || !strings.Contains(err.Error(), garbage) {
		t.Errorf("ReadKeyFile of garbage = %v, want an error naming the file", err)
	}
}

func TestWriteKeyFileWritesMode0600AndRefusesToOverwrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "master.key")
	k := GenerateMasterKey()
	if err := WriteKeyFile(path, k); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 || !fi.Mode().IsRegular() {
		t.Fatalf("key file mode = %v, want -rw-------", fi.Mode())
	}
	if got, err := ReadKeyFile(path); err != nil || !bytes.Equal(got, k) {
		t.Fatalf("ReadKeyFile after WriteKeyFile = %x, %v", got, err)
	}
	before, _ := os.ReadFile(path)

	if err := WriteKeyFile(path, GenerateMasterKey()); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("WriteKeyFile over an existing file = %v, want fs.ErrExist", err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(after, before) {
		t.Fatal("a refused WriteKeyFile changed the existing key file")
	}
	// A dangling symlink counts as existing: never write through it.
	link := filepath.Join(dir, "link.key")
	target := filepath.Join(dir, "elsewhere.key")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := WriteKeyFile(link, k); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("WriteKeyFile over a dangling symlink = %v, want fs.ErrExist", err)
	}
	if _, err := os.Lstat(target); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("WriteKeyFile wrote through a symlink")
	}
	// No temporary files are left behind.
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".master-key-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
	if err := WriteKeyFile(filepath.Join(dir, "no-such-dir", "k"), k); err == nil {
		t.Error("WriteKeyFile into a missing folder succeeded")
	}
}

func FuzzParseMasterKey(f *testing.F) {
	k := keyWithAllAlphabets
	for _, s := range []string{
		"",
		"=",
		"====",
		EncodeMasterKey(k),
		base64.RawStdEncoding.EncodeToString(k),
		base64.URLEncoding.EncodeToString(k),
		base64.RawURLEncoding.EncodeToString(k),
		" " + EncodeMasterKey(k) + "\n",
		base64.StdEncoding.EncodeToString(k[:31]),
		hex.EncodeToString(k),
		"\xff\xfe",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseMasterKey(s)
		if err != nil {
			if got != nil {
				t.Fatalf("ParseMasterKey(%q) returned bytes with an error", s)
			}
			return
		}
		if len(got) != MasterKeySize {
			t.Fatalf("ParseMasterKey(%q) accepted %d bytes", s, len(got))
		}
		// An accepted key re-encodes to a form that parses to the same key.
		again, err := ParseMasterKey(EncodeMasterKey(got))
		if err != nil || !bytes.Equal(again, got) {
			t.Fatalf("ParseMasterKey(EncodeMasterKey(%x)) = %x, %v", got, again, err)
		}
	})
}

// newWrapped makes a data key and wraps it for context, as a file write does.
func newWrapped(k *Keyring, context string) (key, wrapped []byte) {
	key = NewDataKey()
	wrapped, _ = k.WrapDataKey(key, context)
	return key, wrapped
}
