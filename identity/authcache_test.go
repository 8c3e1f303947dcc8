package identity

import (
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

func TestAuthCacheNeverServesAnEntryFromBeforeAChange(t *testing.T) {
	now := time.Unix(1000, 0)
	c := newAuthCache(time.Minute, 2)
	k := [32]byte{1}
	p := &warden.Principal{Name: "bot", State: warden.StateActive}

	gen := c.generation()
	c.put(k, p, gen, now)
	got, ok := c.get(k, now)
	if !ok || got.Name != "bot" {
		t.Fatalf("get = %v, %v; want the cached principal", got, ok)
	}
	got.Name = "mutated"
	if again, _ := c.get(k, now); again.Name != "bot" {
		t.Fatal("get returned the cached principal itself, not a copy")
	}

	// A lookup that started before a change (a lock committed meanwhile)
	// must not be stored.
	stale := c.generation()
	c.invalidate()
	if _, ok := c.get(k, now); ok {
		t.Fatal("an entry survived invalidate")
	}
	c.put(k, p, stale, now)
	if _, ok := c.get(k, now); ok {
		t.Fatal("a lookup from before the change was cached")
	}

	c.put(k, p, c.generation(), now)
	if _, ok := c.get(k, now.Add(time.Minute)); ok {
		t.Fatal("an entry outlived its TTL")
	}
	// Full: starting over keeps it bounded.
	c.put([32]byte{2}, p, c.generation(), now)
	c.put([32]byte{3}, p, c.generation(), now)
	if len(c.entries) > 2 {
		t.Fatalf("%d entries, bound 2", len(c.entries))
	}
}
