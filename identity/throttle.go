package identity

import (
	"net"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// throttle limits how many failed authentications per client address are
// answered and recorded one by one. Each failure costs an audit record and
// an fsync, so without it anyone who can reach the port could grow the audit
// log without bound and bury real events. Past the limit, failures get 429
// and are counted; one summary event per address per window records them.
type throttle struct {
	mu      sync.Mutex
	limit   rate.Limit
	burst   int
	window  time.Duration
	maxHost int
	hosts   map[string]*hostState
}

type hostState struct {
	lim        *rate.Limiter
	seen       time.Time
	announced  time.Time // when the last summary event was due
	suppressed int       // failures not recorded one by one since then
}

// overflowHost shares one budget among addresses once the table is full, so
// an attacker with many addresses cannot make the table grow without bound.
const overflowHost = "*"

func newThrottle(perMinute, burst int) *throttle {
	return &throttle{
		limit: rate.Limit(float64(perMinute) / 60), burst: burst,
		window: time.Minute, maxHost: 10000, hosts: map[string]*hostState{},
	}
}

// verdict is what to do with one failed authentication.
type verdict struct {
	record     bool          // record it as an individual event
	announce   bool          // record a summary event for this address
	suppressed int           // failures folded into that summary
	retryAfter time.Duration // when throttled
}

func (t *throttle) failure(remote string, now time.Time) verdict {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	st := t.state(host, now)
	st.seen = now
	if st.lim.AllowN(now, 1) {
		return verdict{record: true}
	}
	// Ask when the next token comes, then give it back: the caller is
	// refused, not queued.
	r := st.lim.ReserveN(now, 1)
	v := verdict{retryAfter: r.DelayFrom(now)}
	r.CancelAt(now)
	if now.Sub(st.announced) >= t.window {
		v.announce, v.suppressed = true, st.suppressed
		st.announced, st.suppressed = now, 0
		return v
	}
	st.suppressed++
	return v
}

func (t *throttle) state(host string, now time.Time) *hostState {
	if st, ok := t.hosts[host]; ok {
		return st
	}
	if len(t.hosts) >= t.maxHost {
		for h, st := range t.hosts {
			if now.Sub(st.seen) > 10*t.window {
				delete(t.hosts, h)
			}
		}
		if len(t.hosts) >= t.maxHost {
			host = overflowHost
			if st, ok := t.hosts[host]; ok {
				return st
			}
		}
	}
	st := &hostState{lim: rate.NewLimiter(t.limit, t.burst)}
	t.hosts[host] = st
	return st
}
