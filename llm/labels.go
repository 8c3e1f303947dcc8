package llm

import (
	"sync"
	"time"
)

// labels remembers which agents (and sessions) read labelled data, until
// when.
type labels struct {
	now  func() time.Time
	mu   sync.Mutex
	mark map[string]labelMark // agent, or agent NUL session
}

type labelMark struct {
	label string
	until time.Time
}

func newLabels(now func() time.Time) *labels {
	return &labels{now: now, mark: map[string]labelMark{}}
}

var labelRank = map[string]int{"": 0, "public": 0, "internal": 1, "confidential": 2, "restricted": 3}

// set records that agent (in session, if known) read data under label,
// and carries it until then. A session's read marks the agent too: its
// other sessions share memory.
func (l *labels) set(agent, session, label string, until time.Time) {
	if !until.After(l.now()) {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	keys := []string{agent}
	if session != "" {
		keys = append(keys, agent+"\x00"+session)
	}
	for _, k := range keys {
		m, ok := l.mark[k]
		if !ok || m.until.Before(l.now()) || labelRank[label] > labelRank[m.label] {
			m = labelMark{label: label, until: until}
		} else if labelRank[label] == labelRank[m.label] && until.After(m.until) {
			m.until = until
		}
		l.mark[k] = m
	}
	// Drop expired marks now and then so the map does not grow for ever.
	if len(l.mark) > 1024 {
		for k, m := range l.mark {
			if m.until.Before(l.now()) {
				delete(l.mark, k)
			}
		}
	}
}

// current returns the most restrictive label agent (or its session)
// carries now, or "".
func (l *labels) current(agent, session string) string {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	best := ""
	for _, k := range []string{agent, agent + "\x00" + session} {
		if m, ok := l.mark[k]; ok && m.until.After(now) && labelRank[m.label] > labelRank[best] {
			best = m.label
		}
	}
	return best
}
