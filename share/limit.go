package share

import (
	"net"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Rate is a token bucket: Burst requests at once, then one per Every.
type Rate struct {
	Every time.Duration
	Burst int
}

// limiter keeps one token bucket per key (a share, a client address),
// bounded in number: past maxKeys the buckets that are full again go
// first, and if that is not enough the map is cleared — a flood of
// distinct keys costs the flooder its own limits too.
type limiter struct {
	mu   sync.Mutex
	m    map[string]*rate.Limiter
	rate Rate
}

const maxKeys = 50_000

func newLimiter(r Rate) *limiter { return &limiter{m: map[string]*rate.Limiter{}, rate: r} }

// allow takes a token for key at now, or says how long until one is free.
func (l *limiter) allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.m[key]
	if b == nil {
		if len(l.m) >= maxKeys {
			for k, v := range l.m {
				if v.TokensAt(now) >= float64(l.rate.Burst) {
					delete(l.m, k)
				}
			}
			if len(l.m) >= maxKeys {
				clear(l.m)
			}
		}
		b = rate.NewLimiter(rate.Every(l.rate.Every), l.rate.Burst)
		l.m[key] = b
	}
	r := b.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

func splitHostPort(s string) (string, string, error) { return net.SplitHostPort(s) }

// clientKey is a client's address for limits: the host, with an IPv6 /64
// as one address (one host usually holds the whole /64).
func clientKey(remote string) string {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
		return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
	return host
}
