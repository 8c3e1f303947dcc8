package api_test

import (
	"strings"
	"testing"

	"github.com/wardenhq/warden/wardentest"
)

// /metrics counts what the audit record holds, for a scraper on this
// machine.
func TestMetricsCountThePlanesDecisions(t *testing.T) {
	s := wardentest.Start(t)
	s.CreateWorkspace("w", "internal")
	bot := s.Agent("bot", "w:viewer")
	mustStatus(t, s.Do("PUT", "/api/v1/workspaces/w/files/a.txt", s.AdminToken, []byte("x")), 201)
	mustStatus(t, s.Do("PUT", "/api/v1/workspaces/w/files/b.txt", bot, []byte("x")), 403)
	var body string
	for range 100 {
		r := s.Do("GET", "/metrics", "", nil)
		mustStatus(t, r, 200)
		body = string(r.Body)
		if strings.Contains(body, `warden_events_total{action="file.write",decision="deny",plane="data"} 1`) {
			break
		}
	}
	for _, want := range []string{
		`warden_events_total{action="file.write",decision="allow",plane="data"} 1`,
		`warden_events_total{action="file.write",decision="deny",plane="data"} 1`,
		`warden_audit_head_seq `,
		`go_goroutines `,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
