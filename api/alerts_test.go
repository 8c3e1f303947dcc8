package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/apiv1"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/wardentest"
)

// alertServer starts a server where agent bot (profile narrow, which denies
// exec) has made n unusual_tool alerts, and returns them newest first.
func alertServer(t *testing.T, n int) (*wardentest.Server, string, []apiv1.Alert) {
	t.Helper()
	s := wardentest.Start(t, func(c *config.Config) {
		c.Profiles = map[string]config.Profile{"narrow": {Tools: &config.ToolPolicy{Allow: []string{"read"}, Deny: []string{"exec"}}}}
		c.Detect = map[string]config.DetectRule{"unusual_tool_repeated": {Mode: "off"}} // the other rules as shipped
	})
	p, err := s.Admin.CreatePrincipal(bg, warden.KindAgent, apiv1.CreatePrincipal{Name: "bot", Profile: "narrow"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		body, _ := json.Marshal(apiv1.DecideRequest{Tool: "exec", Params: map[string]any{"n": i}})
		mustStatus(t, s.Do("POST", "/api/v1/decide", p.Token, body), 200)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		as := getAlerts(t, s, s.AdminToken, "?status=all")
		if len(as) == n {
			return s, p.Token, as
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d alerts within 10s, want %d: %+v", len(as), n, as)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func getAlerts(t *testing.T, s *wardentest.Server, tok, query string) []apiv1.Alert {
	t.Helper()
	r := s.Do("GET", "/api/v1/alerts"+query, tok, nil)
	mustStatus(t, r, 200)
	return decodeJSON[apiv1.Alerts](t, r).Alerts
}

func ids(as []apiv1.Alert) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.ID
	}
	return out
}

func note(s string) []byte { b, _ := json.Marshal(apiv1.Note{Note: s}); return b }

func TestAlertsListByStatus(t *testing.T) {
	s, _, all := alertServer(t, 3)
	for i, a := range all {
		if a.Rule != "unusual_tool" || a.Principal != "bot" || a.Kind != warden.KindAgent || a.Status != warden.AlertOpen || len(a.Events) != 1 || a.UpdatedAt != nil {
			t.Errorf("alert %d = %+v", i, a)
		}
		if i > 0 && a.CreatedAt.After(all[i-1].CreatedAt) {
			t.Errorf("alerts not newest first: %v then %v", all[i-1].CreatedAt, a.CreatedAt)
		}
	}
	// Newest first: the newest alert names the last decision.
	if all[0].Events[0] < all[2].Events[0] {
		t.Errorf("alerts not newest first: events %v, %v", all[0].Events, all[2].Events)
	}
	mustStatus(t, s.Do("POST", "/api/v1/alerts/"+all[0].ID+"/acknowledge", s.AdminToken, note("on it")), 200)
	mustStatus(t, s.Do("POST", "/api/v1/alerts/"+all[1].ID+"/resolve", s.AdminToken, nil), 200)

	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"", ids(all)},
		{"?status=all", ids(all)},
		{"?status=open", []string{all[2].ID}},
		{"?status=acknowledged", []string{all[0].ID}},
		{"?status=resolved", []string{all[1].ID}},
		{"?status=all&limit=2", ids(all[:2])},
		{"?limit=1", ids(all[:1])},
	} {
		if got := ids(getAlerts(t, s, s.AdminToken, tc.query)); strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("GET /api/v1/alerts%s = %v, want %v", tc.query, got, tc.want)
		}
	}
	for _, q := range []string{"?status=closed", "?status=OPEN", "?limit=0", "?limit=-1", "?limit=x"} {
		r := s.Do("GET", "/api/v1/alerts"+q, s.AdminToken, nil)
		mustStatus(t, r, 422)
		if e := decodeJSON[apiv1.Error](t, r); e.Error.Code != warden.EINVALID {
			t.Errorf("%s: %s", q, r.Body)
		}
	}
	// One alert by id; an unknown id is 404.
	r := s.Do("GET", "/api/v1/alerts/"+all[2].ID, s.AdminToken, nil)
	mustStatus(t, r, 200)
	if a := decodeJSON[apiv1.Alert](t, r); a.ID != all[2].ID || a.Reason == "" || len(a.Events) != 1 {
		t.Errorf("get = %+v", a)
	}
	mustStatus(t, s.Do("GET", "/api/v1/alerts/alt_000000000000000000000000", s.AdminToken, nil), 404)
	mustStatus(t, s.Do("POST", "/api/v1/alerts/alt_000000000000000000000000/resolve", s.AdminToken, note("x")), 404)
}

func TestAlertAcknowledgeThenResolve(t *testing.T) {
	s, _, all := alertServer(t, 1)
	id := all[0].ID
	r := s.Do("POST", "/api/v1/alerts/"+id+"/acknowledge", s.AdminToken, note("looking into it"))
	mustStatus(t, r, 200)
	a := decodeJSON[apiv1.Alert](t, r)
	if a.Status != warden.AlertAcknowledged || a.UpdatedBy != "admin" || a.UpdatedAt == nil || a.Note != "admin: looking into it" {
		t.Errorf("acknowledged = %+v", a)
	}
	// Acknowledging twice is a conflict; the note is not added again.
	mustStatus(t, s.Do("POST", "/api/v1/alerts/"+id+"/acknowledge", s.AdminToken, note("again")), 409)

	r = s.Do("POST", "/api/v1/alerts/"+id+"/resolve", s.AdminToken, note("test agent, expected"))
	mustStatus(t, r, 200)
	a = decodeJSON[apiv1.Alert](t, r)
	wantNote := "admin: looking into it\nadmin: test agent, expected"
	if a.Status != warden.AlertResolved || a.Note != wantNote {
		t.Errorf("resolved = %+v", a)
	}
	// Resolved is final.
	r = s.Do("POST", "/api/v1/alerts/"+id+"/resolve", s.AdminToken, note("twice"))
	mustStatus(t, r, 409)
	if e := decodeJSON[apiv1.Error](t, r); e.Error.Code != warden.ECONFLICT || !strings.Contains(e.Error.Message, "resolved") {
		t.Errorf("resolve twice: %s", r.Body)
	}
	mustStatus(t, s.Do("POST", "/api/v1/alerts/"+id+"/acknowledge", s.AdminToken, nil), 409)

	// The notes are kept, across a restart too, and sealed with the alert
	// (the reason and events are still there).
	s.Restart()
	r = s.Do("GET", "/api/v1/alerts/"+id, s.AdminToken, nil)
	mustStatus(t, r, 200)
	got := decodeJSON[apiv1.Alert](t, r)
	if got.Note != wantNote || got.Status != warden.AlertResolved || got.Reason != all[0].Reason || len(got.Events) != 1 || got.Events[0] != all[0].Events[0] {
		t.Errorf("after restart = %+v", got)
	}
	// Each change is on the record.
	evs := auditEvents(t, s, "action=alert.resolve")
	var ok, conflict int
	for _, ev := range evs {
		switch {
		case ev.Target == id && ev.Decision.Effect == warden.Allow && ev.Details["note"] == "test agent, expected":
			ok++
		case ev.Target == id && ev.Error == warden.ECONFLICT:
			conflict++
		}
	}
	if ok != 1 || conflict != 1 {
		t.Errorf("alert.resolve events: %d allowed, %d conflicts; want 1 and 1: %+v", ok, conflict, evs)
	}
}

func TestAlertNoteLimits(t *testing.T) {
	s, _, all := alertServer(t, 1)
	id := all[0].ID
	mustStatus(t, s.Do("POST", "/api/v1/alerts/"+id+"/acknowledge", s.AdminToken, note(strings.Repeat("x", 1001))), 422)
	mustStatus(t, s.Do("POST", "/api/v1/alerts/"+id+"/acknowledge", s.AdminToken, []byte(`{"note":`)), 422)
	// An empty body is no note; the alert is acknowledged without one.
	r := s.Do("POST", "/api/v1/alerts/"+id+"/acknowledge", s.AdminToken, nil)
	mustStatus(t, r, 200)
	if a := decodeJSON[apiv1.Alert](t, r); a.Note != "" || a.Status != warden.AlertAcknowledged {
		t.Errorf("acknowledged = %+v", a)
	}
}

func TestAlertsRoles(t *testing.T) {
	s, botTok, all := alertServer(t, 1)
	id := all[0].ID
	auditor := s.Human("audrey", "auditor")
	approver := s.Human("alice", "approver")
	operator := s.Human("olga", "operator")

	// Auditors read.
	if got := getAlerts(t, s, auditor, "?status=open"); len(got) != 1 || got[0].ID != id {
		t.Errorf("auditor list = %+v", got)
	}
	mustStatus(t, s.Do("GET", "/api/v1/alerts/"+id, auditor, nil), 200)
	// ... and change nothing.
	for _, verb := range []string{"acknowledge", "resolve"} {
		r := s.Do("POST", "/api/v1/alerts/"+id+"/"+verb, auditor, note("auditor says"))
		mustStatus(t, r, 403)
		if e := decodeJSON[apiv1.Error](t, r); e.Error.Code != warden.EFORBIDDEN {
			t.Errorf("auditor %s: %s", verb, r.Body)
		}
	}
	// Agents (the bot the alert is about included) and other humans see
	// nothing.
	for name, tok := range map[string]string{"agent": botTok, "approver": approver, "operator": operator} {
		for _, req := range []struct{ method, path string }{
			{"GET", "/api/v1/alerts"},
			{"GET", "/api/v1/alerts/" + id},
			{"POST", "/api/v1/alerts/" + id + "/acknowledge"},
			{"POST", "/api/v1/alerts/" + id + "/resolve"},
		} {
			if r := s.Do(req.method, req.path, tok, nil); r.Status != 403 {
				t.Errorf("%s %s %s: %d %s, want 403", name, req.method, req.path, r.Status, r.Body)
			}
		}
	}
	mustStatus(t, s.Do("GET", "/api/v1/alerts", "", nil), 401)
	// Nothing changed, and the refusals are recorded.
	r := s.Do("GET", "/api/v1/alerts/"+id, s.AdminToken, nil)
	mustStatus(t, r, 200)
	if a := decodeJSON[apiv1.Alert](t, r); a.Status != warden.AlertOpen || a.Note != "" || a.UpdatedBy != "" {
		t.Errorf("after refused updates: %+v", a)
	}
	denied := 0
	for _, ev := range auditEvents(t, s, "decision=deny") {
		if strings.HasPrefix(ev.Action, "alert.") && ev.Error == warden.EFORBIDDEN {
			denied++
		}
	}
	if want := 2 + 3*4; denied != want {
		t.Errorf("%d refused alert.* events on the record, want %d", denied, want)
	}
}

// Alerts name the events behind them, and those are real events in the
// audit log.
func TestAlertEventsAreAuditEvents(t *testing.T) {
	s, _, all := alertServer(t, 2)
	for _, a := range all {
		for _, seq := range a.Events {
			r := s.Do("GET", fmt.Sprintf("/api/v1/audit?after=%d&limit=1", seq-1), s.AdminToken, nil)
			mustStatus(t, r, 200)
			evs := decodeJSON[apiv1.Events](t, r).Events
			if len(evs) != 1 || evs[0].Seq != seq || evs[0].Action != "tool.decide" || evs[0].Principal != "bot" || evs[0].Target != "exec" {
				t.Errorf("alert %s event %d = %+v", a.ID, seq, evs)
			}
		}
	}
}
