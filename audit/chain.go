package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"strconv"

	"github.com/wardenhq/warden"
)

// The chain: each record's hash is SHA-256 over a length-prefixed encoding of
// every stored column and the previous record's hash. The sealed column is
// hashed as stored (ciphertext), so the chain can be checked without the
// master key, and a record cannot change in any byte without breaking it.
const (
	hashDomain       = "warden-audit-v1"
	checkpointDomain = "warden-audit-checkpoint-v1"
)

// RecordHash computes the chain hash of r from its fields and r.PrevHash.
func RecordHash(r *warden.EventRecord) []byte {
	h := sha256.New()
	field(h, []byte(hashDomain))
	num(h, r.Seq)
	num(h, r.Time.UnixNano())
	for _, s := range []string{r.RequestID, r.Principal, string(r.Kind), r.Action, r.Workspace, string(r.Effect), r.Rule, r.Error} {
		field(h, []byte(s))
	}
	field(h, r.TargetHash)
	field(h, r.Sealed)
	field(h, r.PrevHash)
	return h.Sum(nil)
}

// checkpointMessage is what a checkpoint signs.
func checkpointMessage(c *warden.Checkpoint) []byte {
	h := sha256.New()
	field(h, []byte(checkpointDomain))
	num(h, c.Seq)
	field(h, c.Hash)
	num(h, c.Time.UnixNano())
	field(h, []byte(c.KeyID))
	return h.Sum(nil)
}

// sealContext binds an event's sealed part to its sequence number, so sealed
// parts cannot be swapped between records.
func sealContext(seq int64) string { return "event:" + strconv.FormatInt(seq, 10) }

func field(h hash.Hash, b []byte) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(b)))
	h.Write(n[:])
	h.Write(b)
}

func num(h hash.Hash, v int64) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(v))
	h.Write(n[:])
}
