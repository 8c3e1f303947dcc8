package identity

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/wardenhq/warden"
)

// authCache remembers successful authentications so that a busy agent's
// every request does not cost a database read. It is exact, not eventually
// consistent: every change to principals or tokens in this process (the
// only writer while the server holds the data folder) bumps the
// generation, and an entry from an older generation is never used. The
// generation is read before the database, so a change that commits during
// a lookup leaves an entry that is already stale. The TTL only bounds how
// long an unused entry lingers.
type authCache struct {
	gen     atomic.Uint64
	ttl     time.Duration
	max     int
	mu      sync.Mutex
	entries map[[32]byte]authEntry
}

type authEntry struct {
	p     warden.Principal
	gen   uint64
	until time.Time
}

func newAuthCache(ttl time.Duration, max int) *authCache {
	return &authCache{ttl: ttl, max: max, entries: map[[32]byte]authEntry{}}
}

// generation is read before a lookup whose result may be stored.
func (c *authCache) generation() uint64 { return c.gen.Load() }

// invalidate forgets every entry; call it after a change commits.
func (c *authCache) invalidate() {
	c.gen.Add(1)
	c.mu.Lock()
	clear(c.entries)
	c.mu.Unlock()
}

// get returns a copy of the cached principal for a token hash.
func (c *authCache) get(key [32]byte, now time.Time) (*warden.Principal, bool) {
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if !ok || e.gen != c.gen.Load() || !now.Before(e.until) {
		return nil, false
	}
	p := e.p
	return &p, true
}

// put stores an authenticated principal looked up at generation gen.
func (c *authCache) put(key [32]byte, p *warden.Principal, gen uint64, now time.Time) {
	if gen != c.gen.Load() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		clear(c.entries) // rare: more live tokens than max; start over
	}
	c.entries[key] = authEntry{p: *p, gen: gen, until: now.Add(c.ttl)}
}
