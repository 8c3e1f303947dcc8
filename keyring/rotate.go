package keyring

import (
	"context"
	"fmt"
	"strconv"

	"github.com/wardenhq/warden"
)

// RotateResult says what a rotation did.
type RotateResult struct {
	FromGeneration int
	ToGeneration   int
	DataKeys       int64 // file-version data keys re-wrapped
}

// Rotate re-wraps every key of the install under a new KEK generation,
// derived from newMaster (or from master when newMaster is nil). Content is
// not re-encrypted. It runs in one transaction, so a crash leaves either the
// old wrapping or the new, never a mix. progress, if set, is called with the
// number of data keys done and the total.
//
// The caller must make sure no server is using the store: a running server
// would keep wrapping new keys under the old generation.
//
// record, if set, runs inside the same transaction before it commits, with
// the result so far, so that the rotation and its audit event commit together.
func Rotate(ctx context.Context, store warden.Store, master, newMaster []byte, progress func(done, total int64), record func(warden.Tx, RotateResult) error) (RotateResult, error) {
	if newMaster == nil {
		newMaster = master
	}
	if len(newMaster) != MasterKeySize {
		return RotateResult{}, fmt.Errorf("rotate keys: new master key must be %d bytes", MasterKeySize)
	}
	var res RotateResult
	err := store.Update(ctx, func(tx warden.Tx) error {
		old, err := load(tx, master)
		if err != nil {
			return err
		}
		res.FromGeneration, res.ToGeneration = old.gen, old.gen+1
		next := deriveKEK(newMaster, old.installID, res.ToGeneration)

		recs, err := tx.Keys()
		if err != nil {
			return err
		}
		for _, r := range recs {
			raw, err := open(deriveKEK(master, old.installID, r.KEKGen), r.Wrapped, keyAAD(r.Purpose))
			if err != nil {
				return errWrongMasterKey
			}
			r.KEKGen, r.Wrapped = res.ToGeneration, seal(next, raw, keyAAD(r.Purpose))
			if err := tx.PutKey(r); err != nil {
				return err
			}
		}

		total, err := tx.CountVersionKeys()
		if err != nil {
			return err
		}
		var afterFile int64
		var afterVersion int
		for {
			if err := ctx.Err(); err != nil {
				return err
			}
			batch, err := tx.VersionKeys(afterFile, afterVersion, 1000)
			if err != nil {
				return err
			}
			if len(batch) == 0 {
				break
			}
			for _, vk := range batch {
				context := DataKeyContext(vk.WorkspaceID, vk.FileID, vk.Version, vk.BlobID)
				key, err := old.OpenDataKey(vk.Wrapped, vk.KEKGen, context)
				if err != nil {
					return fmt.Errorf("file %d version %d: %w", vk.FileID, vk.Version, err)
				}
				if err := tx.SetVersionKey(vk.FileID, vk.Version, seal(next, key, dataKeyAAD(context)), res.ToGeneration); err != nil {
					return err
				}
				res.DataKeys++
			}
			last := batch[len(batch)-1]
			afterFile, afterVersion = last.FileID, last.Version
			if progress != nil {
				progress(res.DataKeys, total)
			}
		}
		if err := tx.SetMeta(metaKEKGen, []byte(strconv.Itoa(res.ToGeneration))); err != nil {
			return err
		}
		if record != nil {
			return record(tx, res)
		}
		return nil
	})
	if err != nil {
		return RotateResult{}, fmt.Errorf("rotate keys: %w", err)
	}
	return res, nil
}
