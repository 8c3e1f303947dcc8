package audit_test

import (
	"context"
	"testing"

	"github.com/wardenhq/warden"
)

// A caller that went away (a client that dropped mid-request) still did or
// was refused something: its event must be recorded, every time.
func TestRecordIgnoresCancelledCallerContext(t *testing.T) {
	e := newEnv(t)
	l := e.newLog(t, 256)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for i := range 50 {
		if err := l.Record(ctx, sampleEvent(i)); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
	}
	var n int
	e.store.View(context.Background(), func(tx warden.Tx) error {
		seq, _, err := tx.LastEvent()
		n = int(seq)
		return err
	})
	if n != 50 {
		t.Fatalf("%d events recorded, want 50", n)
	}
}
