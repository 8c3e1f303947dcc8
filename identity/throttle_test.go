package identity

import (
	"fmt"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestThrottleAllowsABurstThenAnnouncesAndCounts(t *testing.T) {
	th := newThrottle(60, 5) // one a second, bursts of five
	for i := range 5 {
		if v := th.failure("10.0.0.1:1111", t0); !v.record {
			t.Fatalf("failure %d within the burst not recorded: %+v", i, v)
		}
	}
	v := th.failure("10.0.0.1:2222", t0) // another port, same address
	if v.record || !v.announce || v.host != "10.0.0.1" || v.retryAfter <= 0 || v.retryAfter > time.Second {
		t.Fatalf("first throttled failure = %+v; want an announcement and a retry within a second", v)
	}
	for range 3 {
		if v := th.failure("10.0.0.1:3333", t0); v.record || v.announce {
			t.Fatalf("later throttled failure = %+v; want silent counting", v)
		}
	}
	if v := th.failure("10.0.0.2:1", t0); !v.record {
		t.Fatal("another address shares the first one's budget")
	}
	// The sweep hands over the count; quiet addresses start afresh.
	got := th.sweep(t0.Add(time.Second), false)
	if len(got) != 1 || got[0] != (pending{"10.0.0.1", 3}) {
		t.Fatalf("sweep = %+v", got)
	}
	if got := th.sweep(t0.Add(2*time.Second), false); len(got) != 0 {
		t.Fatalf("second sweep = %+v; counts must be handed over once", got)
	}
	later := t0.Add(2 * time.Minute)
	th.sweep(later, false)
	for range 5 {
		th.failure("10.0.0.1:1", later)
	}
	if v := th.failure("10.0.0.1:1", later); !v.announce {
		t.Fatalf("throttling that starts again is not announced: %+v", v)
	}
}

func TestThrottleCountsAnIPv6Slash64AsOneAddress(t *testing.T) {
	th := newThrottle(60, 3)
	recorded := 0
	for i := range 50 {
		if th.failure(fmt.Sprintf("[2001:db8:1:2::%x]:443", i+1), t0).record {
			recorded++
		}
	}
	if recorded != 3 {
		t.Fatalf("%d of 50 failures from one /64 recorded one by one; want 3", recorded)
	}
	if v := th.failure("[2001:db8:1:3::1]:443", t0); !v.record || v.host != "2001:db8:1:3::/64" {
		t.Fatalf("another /64 = %+v", v)
	}
}

func TestThrottleHasAGlobalBudget(t *testing.T) {
	th := newThrottle(60, 2) // per address 2; all together 20
	recorded := 0
	for i := range 100 {
		if th.failure(fmt.Sprintf("10.1.%d.%d:1", i/250, i%250), t0).record {
			recorded++
		}
	}
	if recorded != 2*globalFactor {
		t.Fatalf("%d failures from 100 addresses recorded one by one; want %d", recorded, 2*globalFactor)
	}
}

func TestThrottleTableIsBounded(t *testing.T) {
	th := newThrottle(60, 1)
	th.maxHost = 3
	for _, h := range []string{"a", "b", "c"} {
		th.failure(h+":1", t0)
	}
	// The table is full: new addresses share the overflow budget.
	if v := th.failure("d:1", t0); !v.record || v.host != overflowHost {
		t.Fatalf("overflow = %+v", v)
	}
	if v := th.failure("e:1", t0); v.record {
		t.Fatal("a second new address got a budget of its own although the table is full")
	}
	if len(th.hosts) != 4 {
		t.Fatalf("%d entries, want 3 plus the overflow one", len(th.hosts))
	}
	// Quiet entries are swept out, which makes room again.
	th.sweep(t0.Add(time.Hour), false)
	if len(th.hosts) != 0 {
		t.Fatalf("%d entries after an hour of quiet", len(th.hosts))
	}
	if v := th.failure("f:1", t0.Add(time.Hour)); !v.record || v.host != "f" {
		t.Fatalf("after the sweep: %+v", v)
	}
}
