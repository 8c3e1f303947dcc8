package workspace

import (
	"context"
	"fmt"

	"github.com/wardenhq/warden"
)

// Orphans lists committed blobs that no file version references. A crash
// between sealing an upload and committing its version leaves one behind;
// they hold no readable data without a version's wrapped key. Call it only
// when no write is in flight (at start-up).
func (s *Service) Orphans(ctx context.Context) ([]string, error) {
	refs := map[string]struct{}{}
	if err := s.store.View(ctx, func(tx warden.Tx) error {
		return tx.ForEachBlobID(func(id string) error { refs[id] = struct{}{}; return nil })
	}); err != nil {
		return nil, fmt.Errorf("find orphan blobs: %w", err)
	}
	var out []string
	err := s.blobs.List(ctx, func(id string) error {
		if _, ok := refs[id]; !ok {
			out = append(out, id)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("find orphan blobs: %w", err)
	}
	return out, nil
}
