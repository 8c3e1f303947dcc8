package llm

import (
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/config"
)

// budget enforces each agent's request rate and daily token allowance.
// Tokens are counted from the usage providers report; a day is a UTC
// calendar day. State is in memory and rebuilt from the audit record at
// start (see Proxy.AddUsage).
type budget struct {
	now func() time.Time
	mu  sync.Mutex
	per map[string]*agentBudget
}

type agentBudget struct {
	limiter *rate.Limiter
	rpm     int
	day     string // "2006-01-02" of used
	used    int64
}

func newBudget(now func() time.Time) *budget {
	return &budget{now: now, per: map[string]*agentBudget{}}
}

func (b *budget) get(agent string) *agentBudget {
	a := b.per[agent]
	if a == nil {
		a = &agentBudget{}
		b.per[agent] = a
	}
	return a
}

// allow takes one request from agent's allowance, or says when to retry.
func (b *budget) allow(agent string, l config.LLMLimits) error {
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	a := b.get(agent)
	if a.limiter == nil || a.rpm != l.RequestsPerMinute {
		// The bucket holds a minute's requests and refills over the minute.
		a.limiter = rate.NewLimiter(rate.Limit(float64(l.RequestsPerMinute)/60), l.RequestsPerMinute)
		a.rpm = l.RequestsPerMinute
	}
	day := now.UTC().Format(time.DateOnly)
	if a.day == day && a.used >= l.TokensPerDay {
		midnight := now.UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
		e := warden.Errorf(warden.ERATELIMIT, "this agent used its %d tokens for today (UTC); the budget resets at midnight UTC", l.TokensPerDay)
		e.RetryAfter = midnight.Sub(now)
		return e
	}
	r := a.limiter.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		e := warden.Errorf(warden.ERATELIMIT, "this agent may make %d model requests a minute", l.RequestsPerMinute)
		e.RetryAfter = d
		return e
	}
	return nil
}

// add counts tokens used by agent at time at.
func (b *budget) add(agent string, at time.Time, tokens int64) {
	day := at.UTC().Format(time.DateOnly)
	if day != b.now().UTC().Format(time.DateOnly) {
		return // another day's usage does not count against today
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	a := b.get(agent)
	if a.day != day {
		a.day, a.used = day, 0
	}
	a.used += tokens
}
