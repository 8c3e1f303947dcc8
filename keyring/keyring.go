// Package keyring holds Warden's keys and does all of its cryptography.
//
// The hierarchy: a 32-byte master key (from WARDEN_MASTER_KEY or a key file)
// derives key-encryption keys, KEK(g) = HKDF-SHA256(master, salt=install id,
// info="warden kek <g>"), one per generation g. A KEK wraps two kinds of keys
// with AES-256-GCM: the install-wide keys (metadata sealing, keyed index
// hashes, audit detail sealing, audit signing), and one random data key per
// file version. File contents are sealed under their data key in fixed-size
// AES-256-GCM chunks (see Writer and Reader); keys and other small values are
// sealed with XChaCha20-Poly1305 (see newSealer). Rotation re-wraps keys and never touches
// content, so it costs one small write per version.
package keyring

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/wardenhq/warden"
)

// Purposes of the install-wide keys.
const (
	PurposeMeta  = "meta"  // seals file names and other metadata
	PurposeIndex = "index" // keys the HMAC behind lookups of sealed values
	PurposeAudit = "audit" // seals the sensitive fields of audit events
	PurposeSign  = "sign"  // Ed25519 seed that signs audit checkpoints
)

// Meta keys the keyring keeps in the store.
const (
	metaInstallID = "install_id"
	metaKEKGen    = "kek_gen"
	metaPublicKey = "audit_public_key"
	metaFormat    = "keyring_format"
)

// format names the sealing formats and key hierarchy of this package. A data
// folder written with other formats is refused with a clear message rather
// than failing later as a wrong key. Changing any format means a new value
// here and code that still opens the old one.
const format = "1"

// sealVersion is the first byte of every sealed value, so the format can change.
const sealVersion = 1

// errWrongMasterKey means the master key does not open this install's keys.
var errWrongMasterKey = errors.New("the master key does not open this data dir's keys (wrong WARDEN_MASTER_KEY or key file, or damaged key records)")

// Keyring holds the unwrapped install-wide keys of one install. It is safe
// for concurrent use.
type Keyring struct {
	master    []byte
	installID []byte
	gen       int
	kek       cipher.AEAD
	meta      cipher.AEAD
	audit     cipher.AEAD
	index     []byte
	sign      ed25519.PrivateKey
}

// Open loads the install's keys from the store, creating them on first use.
func Open(ctx context.Context, store warden.Store, master []byte) (*Keyring, error) {
	if len(master) != MasterKeySize {
		return nil, fmt.Errorf("open keyring: master key must be %d bytes", MasterKeySize)
	}
	var k *Keyring
	err := store.Update(ctx, func(tx warden.Tx) error {
		var err error
		k, err = load(tx, master)
		if warden.IsCode(err, warden.ENOTFOUND) {
			k, err = create(tx, master)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("open keyring: %w", err)
	}
	return k, nil
}

// OpenExisting loads the keys of an initialised install without writing.
func OpenExisting(ctx context.Context, store warden.Store, master []byte) (*Keyring, error) {
	var k *Keyring
	err := store.View(ctx, func(tx warden.Tx) error {
		var err error
		k, err = load(tx, master)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("open keyring: %w", err)
	}
	return k, nil
}

func create(tx warden.Tx, master []byte) (*Keyring, error) {
	id := make([]byte, 16)
	rand.Read(id)
	if err := tx.SetMeta(metaInstallID, id); err != nil {
		return nil, err
	}
	if err := tx.SetMeta(metaKEKGen, []byte("1")); err != nil {
		return nil, err
	}
	if err := tx.SetMeta(metaFormat, []byte(format)); err != nil {
		return nil, err
	}
	kek := deriveKEK(master, id, 1)
	for _, p := range []string{PurposeMeta, PurposeIndex, PurposeAudit, PurposeSign} {
		raw := make([]byte, 32)
		rand.Read(raw)
		if err := tx.PutKey(warden.KeyRecord{Purpose: p, KEKGen: 1, Wrapped: seal(kek, raw, keyAAD(p))}); err != nil {
			return nil, err
		}
	}
	k, err := load(tx, master)
	if err != nil {
		return nil, err
	}
	if err := tx.SetMeta(metaPublicKey, k.PublicKey()); err != nil {
		return nil, err
	}
	return k, nil
}

func load(tx warden.Tx, master []byte) (*Keyring, error) {
	id, err := tx.Meta(metaInstallID)
	if err != nil {
		return nil, err
	}
	f, err := tx.Meta(metaFormat)
	switch {
	case warden.IsCode(err, warden.ENOTFOUND):
		return nil, errors.New("this data dir was made by a pre-release development build of Warden whose formats this build cannot read; create a new data dir")
	case err != nil:
		return nil, err
	case string(f) != format:
		return nil, fmt.Errorf("this data dir uses keyring format %q; this Warden reads format %q", f, format)
	}
	gen, err := readGen(tx)
	if err != nil {
		return nil, err
	}
	recs, err := tx.Keys()
	if err != nil {
		return nil, err
	}
	k := &Keyring{master: master, installID: id, gen: gen, kek: deriveKEK(master, id, gen)}
	raw := map[string][]byte{}
	for _, r := range recs {
		key, err := open(deriveKEK(master, id, r.KEKGen), r.Wrapped, keyAAD(r.Purpose))
		if err != nil {
			return nil, errWrongMasterKey
		}
		raw[r.Purpose] = key
	}
	for _, p := range []string{PurposeMeta, PurposeIndex, PurposeAudit, PurposeSign} {
		if len(raw[p]) != 32 {
			return nil, fmt.Errorf("keyring: the %s key is missing from the store", p)
		}
	}
	k.meta = newSealer(raw[PurposeMeta])
	k.audit = newSealer(raw[PurposeAudit])
	k.index = raw[PurposeIndex]
	k.sign = ed25519.NewKeyFromSeed(raw[PurposeSign])
	return k, nil
}

func readGen(tx warden.Tx) (int, error) {
	b, err := tx.Meta(metaKEKGen)
	if err != nil {
		return 0, err
	}
	g, err := strconv.Atoi(string(b))
	if err != nil || g < 1 {
		return 0, fmt.Errorf("keyring: bad KEK generation %q in store", b)
	}
	return g, nil
}

// Generation is the KEK generation that wraps new data keys.
func (k *Keyring) Generation() int { return k.gen }

// NewDataKey returns a fresh random data key for one file version.
func NewDataKey() []byte {
	key := make([]byte, 32)
	rand.Read(key)
	return key
}

// DataKeyContext names the one place a data key belongs: a version of a file
// in a workspace, stored in a blob. Wrapping binds the key to it, so a
// version row copied onto another file, version or workspace does not open.
func DataKeyContext(workspaceID, fileID int64, version int, blobID string) string {
	return fmt.Sprintf("ws:%d/file:%d/v:%d/blob:%s", workspaceID, fileID, version, blobID)
}

// WrapDataKey wraps key under the current KEK, bound to context (see
// DataKeyContext). It returns the wrapped key and the KEK generation.
func (k *Keyring) WrapDataKey(key []byte, context string) ([]byte, int) {
	return seal(k.kek, key, dataKeyAAD(context)), k.gen
}

// OpenDataKey unwraps a data key wrapped under KEK generation gen for context.
func (k *Keyring) OpenDataKey(wrapped []byte, gen int, aad string) ([]byte, error) {
	kek := k.kek
	if gen != k.gen {
		kek = deriveKEK(k.master, k.installID, gen)
	}
	key, err := open(kek, wrapped, dataKeyAAD(aad))
	if err != nil {
		return nil, warden.WrapError(warden.EINTEGRITY, err, "a stored data key failed to open")
	}
	return key, nil
}

// SealMeta encrypts a metadata value. context binds it to where it is stored
// (for a file name, the workspace), so sealed values cannot be swapped.
func (k *Keyring) SealMeta(plain []byte, context string) []byte {
	return seal(k.meta, plain, []byte("meta\x00"+context))
}

// OpenMeta decrypts a value sealed by SealMeta with the same context.
func (k *Keyring) OpenMeta(sealed []byte, context string) ([]byte, error) {
	return open(k.meta, sealed, []byte("meta\x00"+context))
}

// SealAudit encrypts the sensitive part of an audit event.
func (k *Keyring) SealAudit(plain []byte, context string) []byte {
	return seal(k.audit, plain, []byte("audit\x00"+context))
}

// OpenAudit decrypts a value sealed by SealAudit with the same context.
func (k *Keyring) OpenAudit(sealed []byte, context string) ([]byte, error) {
	return open(k.audit, sealed, []byte("audit\x00"+context))
}

// Index returns a keyed hash (HMAC-SHA256) of parts under a context, for
// finding sealed values without decrypting them. Parts are length-prefixed so
// ("ab","c") and ("a","bc") differ.
func (k *Keyring) Index(context string, parts ...[]byte) []byte {
	m := hmac.New(sha256.New, k.index)
	writeField(m, []byte(context))
	for _, p := range parts {
		writeField(m, p)
	}
	return m.Sum(nil)
}

func writeField(w interface{ Write([]byte) (int, error) }, b []byte) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(b)))
	w.Write(n[:])
	w.Write(b)
}

// Sign signs msg with the audit signing key.
func (k *Keyring) Sign(msg []byte) []byte { return ed25519.Sign(k.sign, msg) }

// PublicKey returns the audit signing public key.
func (k *Keyring) PublicKey() ed25519.PublicKey { return k.sign.Public().(ed25519.PublicKey) }

// KeyID returns a short fingerprint of an Ed25519 public key.
func KeyID(pub ed25519.PublicKey) string {
	h := sha256.Sum256(pub)
	return hex.EncodeToString(h[:8])
}

// StoredPublicKey returns the audit public key recorded in the store at
// initialisation, for verifying without the master key.
func StoredPublicKey(tx warden.Tx) (ed25519.PublicKey, error) {
	b, err := tx.Meta(metaPublicKey)
	if err != nil {
		return nil, err
	}
	if len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("keyring: stored audit public key has %d bytes", len(b))
	}
	return ed25519.PublicKey(b), nil
}

func deriveKEK(master, installID []byte, gen int) cipher.AEAD {
	key, err := hkdf.Key(sha256.New, master, installID, "warden kek "+strconv.Itoa(gen), 32)
	if err != nil {
		panic("keyring: hkdf: " + err.Error()) // only for impossible lengths
	}
	return newSealer(key)
}

// newSealer is the AEAD for small values under long-lived keys: wrapped keys,
// file names, audit details. XChaCha20-Poly1305's 192-bit random nonces can
// be drawn for as many values as an install will ever seal; AES-GCM's 96-bit
// random nonces would put a limit of about 2^32 values on each key, which a
// busy audit log reaches in days.
func newSealer(key []byte) cipher.AEAD {
	a, err := chacha20poly1305.NewX(key)
	if err != nil {
		panic("keyring: " + err.Error()) // keys are always 32 bytes here
	}
	return a
}

func newGCM(key []byte) cipher.AEAD {
	b, err := aes.NewCipher(key)
	if err != nil {
		panic("keyring: " + err.Error()) // keys are always 32 bytes here
	}
	g, err := cipher.NewGCM(b)
	if err != nil {
		panic("keyring: " + err.Error())
	}
	return g
}

func keyAAD(purpose string) []byte { return []byte("warden key\x00" + purpose) }
func dataKeyAAD(obj string) []byte { return []byte("warden data key\x00" + obj) }

// seal returns version || nonce || ciphertext+tag under a random nonce.
func seal(a cipher.AEAD, plain, aad []byte) []byte {
	out := make([]byte, 1+a.NonceSize(), 1+a.NonceSize()+len(plain)+a.Overhead())
	out[0] = sealVersion
	rand.Read(out[1:])
	return a.Seal(out, out[1:1+a.NonceSize()], plain, aad)
}

func open(a cipher.AEAD, sealed, aad []byte) ([]byte, error) {
	if len(sealed) < 1+a.NonceSize()+a.Overhead() || sealed[0] != sealVersion {
		return nil, warden.Errorf(warden.EINTEGRITY, "a sealed value is malformed")
	}
	n := 1 + a.NonceSize()
	plain, err := a.Open(nil, sealed[1:n], sealed[n:], aad)
	if err != nil {
		return nil, warden.Errorf(warden.EINTEGRITY, "a sealed value failed authentication")
	}
	return plain, nil
}
