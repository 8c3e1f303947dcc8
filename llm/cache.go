package llm

import (
	"crypto/sha256"
	"sync"

	"github.com/wardenhq/warden/dlp"
)

// scanCache remembers what DLP and the injection detector found in long
// strings. Agents resend the whole conversation on every turn — OpenClaw's
// system prompt alone is ~48 KB — so most of each request was scanned on
// the previous turn. Keys are SHA-256 digests of the text (a collision
// would apply one text's findings to another; SHA-256 makes that
// impossible in practice, which a faster non-cryptographic hash would not).
// Two generations bound the memory: when the young one is full it becomes
// the old one, and what is used again is promoted.
type scanCache struct {
	mu       sync.Mutex
	max      int
	young    map[[32]byte]cached
	old      map[[32]byte]cached
	disabled bool
}

// cached is what one text yielded.
type cached struct {
	entities  []dlp.Entity
	scanned   bool
	injection *InjectionResult
}

// minCached is the length below which scanning is cheaper than hashing
// and bookkeeping.
const minCached = 512

func newScanCache(max int) *scanCache {
	return &scanCache{max: max, young: map[[32]byte]cached{}, old: map[[32]byte]cached{}, disabled: max <= 0}
}

func (c *scanCache) get(key [32]byte) (cached, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.young[key]; ok {
		return v, true
	}
	if v, ok := c.old[key]; ok {
		c.putLocked(key, v)
		return v, true
	}
	return cached{}, false
}

func (c *scanCache) update(key [32]byte, fn func(*cached)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.young[key]
	if !ok {
		v = c.old[key]
	}
	fn(&v)
	c.putLocked(key, v)
}

func (c *scanCache) putLocked(key [32]byte, v cached) {
	if len(c.young) >= c.max {
		c.old, c.young = c.young, map[[32]byte]cached{}
	}
	c.young[key] = v
}

// entities returns Scan(text), from the cache when it can.
func (c *scanCache) entities(e *dlp.Engine, text string) []dlp.Entity {
	if c.disabled || len(text) < minCached {
		return e.Scan(text)
	}
	key := sha256.Sum256([]byte(text))
	if v, ok := c.get(key); ok && v.scanned {
		return v.entities
	}
	ents := e.Scan(text)
	c.update(key, func(v *cached) { v.entities, v.scanned = ents, true })
	return ents
}

// injection returns score(text), from the cache when it can.
func (c *scanCache) injection(score func(string) InjectionResult, text string) InjectionResult {
	if c.disabled || len(text) < minCached {
		return score(text)
	}
	key := sha256.Sum256([]byte(text))
	if v, ok := c.get(key); ok && v.injection != nil {
		return *v.injection
	}
	r := score(text)
	c.update(key, func(v *cached) { v.injection = &r })
	return r
}
