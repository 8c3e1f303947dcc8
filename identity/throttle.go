package identity

import (
	"net"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// throttle limits how many failed authentications are answered and recorded
// one by one. Each failure costs an audit record and an fsync, so without it
// anyone who can reach the port could grow the audit log without bound and
// bury real events. Budgets are per client address (an IPv6 /64 counts as
// one address, as one host usually holds the whole /64) and, on top, for all
// addresses together, so that many addresses do not add up to a flood.
// Past a budget, failures get 429 and are only counted; the counts reach the
// record as summaries, when throttling of an address starts and then once a
// window, and at shutdown.
type throttle struct {
	mu      sync.Mutex
	limit   rate.Limit
	burst   int
	global  *rate.Limiter
	window  time.Duration
	maxHost int
	hosts   map[string]*hostState
}

type hostState struct {
	lim        *rate.Limiter
	seen       time.Time
	throttling bool // a summary announced the start of throttling
	suppressed int  // failures not recorded one by one since the last summary
}

// overflowHost shares one budget among new addresses once the table is full,
// so that an attacker with many addresses cannot make it grow without bound.
const overflowHost = "*"

// globalFactor sets the budget of all addresses together, in per-address budgets.
const globalFactor = 10

func newThrottle(perMinute, burst int) *throttle {
	l := rate.Limit(float64(perMinute) / 60)
	return &throttle{
		limit: l, burst: burst, global: rate.NewLimiter(l*globalFactor, burst*globalFactor),
		window: time.Minute, maxHost: 10000, hosts: map[string]*hostState{},
	}
}

// verdict is what to do with one failed authentication.
type verdict struct {
	host       string        // the address it is counted under
	record     bool          // record it as an individual event
	announce   bool          // throttling of this address starts: record a summary
	retryAfter time.Duration // when throttled
}

// hostKey is the address failures are counted under.
func hostKey(remote string) string {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	ip := net.ParseIP(host)
	if ip != nil && ip.To4() == nil {
		return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
	return host
}

func (t *throttle) failure(remote string, now time.Time) verdict {
	t.mu.Lock()
	defer t.mu.Unlock()
	v := verdict{host: hostKey(remote)}
	st := t.state(&v.host, now)
	st.seen = now
	if st.lim.AllowN(now, 1) {
		if t.global.AllowN(now, 1) {
			v.record = true
			return v
		}
		// Give the address its token back: it is the total that is over.
		r := st.lim.ReserveN(now, 1)
		r.CancelAt(now)
		v.retryAfter = t.delay(t.global, now)
	} else {
		v.retryAfter = t.delay(st.lim, now)
	}
	if !st.throttling {
		st.throttling, v.announce = true, true
		return v
	}
	st.suppressed++
	return v
}

// delay says when lim has a token again, without taking it.
func (t *throttle) delay(lim *rate.Limiter, now time.Time) time.Duration {
	r := lim.ReserveN(now, 1)
	d := r.DelayFrom(now)
	r.CancelAt(now)
	return d
}

func (t *throttle) state(host *string, now time.Time) *hostState {
	if st, ok := t.hosts[*host]; ok {
		return st
	}
	if len(t.hosts) >= t.maxHost {
		*host = overflowHost
		if st, ok := t.hosts[*host]; ok {
			return st
		}
	}
	st := &hostState{lim: rate.NewLimiter(t.limit, t.burst)}
	t.hosts[*host] = st
	return st
}

// pending is a summary due for the record.
type pending struct {
	host       string
	suppressed int
}

// sweep returns the counts of suppressed failures to record, and forgets
// addresses that have been quiet for long. With all, it returns every count
// (at shutdown); otherwise addresses still within their first window of
// throttling wait for the next sweep.
func (t *throttle) sweep(now time.Time, all bool) []pending {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []pending
	for h, st := range t.hosts {
		if st.suppressed > 0 {
			out = append(out, pending{h, st.suppressed})
			st.suppressed = 0
		}
		if now.Sub(st.seen) > t.window {
			// Quiet for a window: the next failure starts afresh, and the
			// entry goes once its budget has refilled.
			st.throttling = false
			if now.Sub(st.seen) > 10*t.window || all {
				delete(t.hosts, h)
			}
		}
	}
	return out
}
