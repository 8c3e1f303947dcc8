package sink

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/wardenhq/warden/apiv1"
)

// File appends events as JSON Lines and syncs each batch to disk before it
// counts as delivered. After a crash an event may appear twice (same seq):
// readers deduplicate by seq.
type File struct {
	f *os.File
}

// NewFile opens (creating, mode 0600) the file for appending.
func NewFile(path string) (*File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("file sink: %w", err)
	}
	// A crash mid-write may have left a line without its end: close it, so
	// that the next event (sent again) starts a line of its own.
	if st, err := f.Stat(); err == nil && st.Size() > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, st.Size()-1); err == nil && last[0] != '\n' {
			if _, err := f.Write([]byte("\n")); err != nil {
				f.Close()
				return nil, fmt.Errorf("file sink: %w", err)
			}
		}
	}
	return &File{f: f}, nil
}

// Deliver writes the batch and syncs it.
func (s *File) Deliver(_ context.Context, evs []apiv1.Event) (int, error) {
	w := bufio.NewWriterSize(s.f, 256<<10)
	enc := json.NewEncoder(w)
	for _, ev := range evs {
		if err := enc.Encode(ev); err != nil {
			return 0, err
		}
	}
	if err := w.Flush(); err != nil {
		return 0, err
	}
	if err := s.f.Sync(); err != nil {
		return 0, err
	}
	return len(evs), nil
}

// Close closes the file.
func (s *File) Close() error { return s.f.Close() }
