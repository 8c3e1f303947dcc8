package identity

import (
	"testing"
	"time"
)

func TestThrottleAllowsABurstThenCountsAndSummarises(t *testing.T) {
	th := newThrottle(60, 5) // one a second, bursts of five
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 5 {
		if v := th.failure("10.0.0.1:1111", now); !v.record {
			t.Fatalf("failure %d within the burst not recorded: %+v", i, v)
		}
	}
	v := th.failure("10.0.0.1:2222", now) // another port, same address
	if v.record || !v.announce || v.suppressed != 0 || v.retryAfter <= 0 || v.retryAfter > time.Second {
		t.Fatalf("first throttled failure = %+v; want a summary and a retry within a second", v)
	}
	for range 3 {
		if v := th.failure("10.0.0.1:3333", now); v.record || v.announce {
			t.Fatalf("later throttled failure = %+v; want silent counting", v)
		}
	}
	if v := th.failure("10.0.0.2:1", now); !v.record {
		t.Fatal("another address shares the first one's budget")
	}
	// A minute later the budget has refilled; the next throttled failure
	// after that carries the count of the silent ones.
	now = now.Add(time.Minute)
	for range 5 {
		th.failure("10.0.0.1:1", now)
	}
	v = th.failure("10.0.0.1:1", now)
	if !v.announce || v.suppressed != 3 {
		t.Fatalf("summary after a minute = %+v; want 3 suppressed", v)
	}
}

func TestThrottleTableIsBounded(t *testing.T) {
	th := newThrottle(60, 1)
	th.maxHost = 3
	now := time.Now()
	for _, h := range []string{"a", "b", "c"} {
		th.failure(h+":1", now)
	}
	// The table is full: a new address shares the overflow budget.
	if v := th.failure("d:1", now); !v.record {
		t.Fatal("overflow budget not used")
	}
	if v := th.failure("e:1", now); v.record {
		t.Fatal("a second new address got its own budget although the table is full")
	}
	if len(th.hosts) != 4 {
		t.Fatalf("%d entries, want 3 plus the overflow one", len(th.hosts))
	}
	// Old entries are dropped to make room.
	if v := th.failure("f:1", now.Add(time.Hour)); !v.record || len(th.hosts) > 4 {
		t.Fatalf("after an hour: %+v with %d entries", v, len(th.hosts))
	}
}
