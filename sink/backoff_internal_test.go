package sink

import (
	"testing"
	"time"
)

// TestBackoffGrowsCappedAndJittered: retry n waits first·2^(n-1), capped
// at the limit, each draw within ±20 % of that, and the draws differ.
func TestBackoffGrowsCappedAndJittered(t *testing.T) {
	const first, limit = 100 * time.Millisecond, 5 * time.Second
	const draws = 400
	prevBase := time.Duration(0)
	for n := 1; n <= 40; n++ {
		base := first << (n - 1)
		if n > 20 || base > limit {
			base = limit
		}
		if base < prevBase {
			t.Fatalf("retry %d: base %v shrank from %v", n, base, prevBase)
		}
		prevBase = base
		lo, hi := time.Duration(float64(base)*0.8), time.Duration(float64(base)*1.2)
		seen := map[time.Duration]bool{}
		var sum float64
		for range draws {
			d := backoff(first, limit, n)
			if d < lo || d > hi {
				t.Fatalf("retry %d: backoff %v outside [%v, %v]", n, d, lo, hi)
			}
			seen[d] = true
			sum += float64(d)
		}
		if len(seen) < draws/2 {
			t.Errorf("retry %d: only %d distinct delays in %d draws: not jittered", n, len(seen), draws)
		}
		// The jitter is centred: the mean of 400 uniform draws in
		// [0.8, 1.2]·base lies within 1 % of base with overwhelming
		// probability (its standard deviation is 0.58 %); 5 % is far out.
		if mean := sum / draws; mean < 0.95*float64(base) || mean > 1.05*float64(base) {
			t.Errorf("retry %d: mean delay %v, want about %v", n, time.Duration(mean), base)
		}
	}
	// The cap holds whatever the attempt count, and a first delay above it.
	for _, n := range []int{100, 10_000, 1 << 30} {
		if d := backoff(first, limit, n); d > limit*12/10 || d < limit*8/10 {
			t.Errorf("retry %d: %v, want about the %v cap", n, d, limit)
		}
	}
	if d := backoff(time.Minute, time.Second, 1); d > 1200*time.Millisecond {
		t.Errorf("first delay above the cap: %v", d)
	}
	// Defaults: 500 ms doubling to 5 min.
	r := NewRunner("x", nil, Filter{}, nil, nil, Options{})
	if r.opts.Backoff != 500*time.Millisecond || r.opts.MaxBackoff != 5*time.Minute || r.opts.MaxAttempts != 30 {
		t.Errorf("defaults: %+v", r.opts)
	}
}
