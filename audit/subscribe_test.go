package audit_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/wardenhq/warden"
)

// TestSubscribersSeeCommittedEventsInChainOrder: events from Record (group
// commit) and from Update (with a change) reach subscribers once committed,
// in sequence order; an Update that rolls back announces nothing.
func TestSubscribersSeeCommittedEventsInChainOrder(t *testing.T) {
	e := newEnv(t)
	l := e.newLog(t, 256)
	var mu sync.Mutex
	var seen []warden.Event
	l.Subscribe(func(ev warden.Event) {
		mu.Lock()
		seen = append(seen, ev)
		mu.Unlock()
	})
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			if err := l.Record(ctx, sampleEvent(i)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if err := l.Update(ctx, func(tx warden.Tx) error {
		if err := l.Append(tx, sampleEvent(100)); err != nil {
			return err
		}
		return l.Append(tx, sampleEvent(101))
	}); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("roll back")
	if err := l.Update(ctx, func(tx warden.Tx) error {
		if err := l.Append(tx, sampleEvent(200)); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("Update: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 22 {
		t.Fatalf("subscribers saw %d events, want 22 (20 recorded + 2 committed, none rolled back)", len(seen))
	}
	for i, ev := range seen {
		if ev.Seq != int64(i+1) {
			t.Fatalf("event %d has seq %d: not in chain order", i, ev.Seq)
		}
		if ev.RequestID == "req-200" {
			t.Fatal("a rolled-back event was announced")
		}
	}
	if seen[20].RequestID != "req-100" || seen[21].Details["i"] != float64(101) {
		t.Fatalf("Update's events: %+v %+v", seen[20], seen[21])
	}
}
