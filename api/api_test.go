package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/wardenhq/warden/apiv1"
	"github.com/wardenhq/warden/client"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/wardentest"
)

func TestHealthzNeedsNoAuth(t *testing.T) {
	s := wardentest.Start(t)
	r := s.Do("GET", "/healthz", "", nil)
	mustStatus(t, r, 200)
	if h := decodeJSON[apiv1.Health](t, r); h.Status != "ok" {
		t.Fatalf("healthz = %+v", h)
	}
}

func TestAuthentication(t *testing.T) {
	s := wardentest.Start(t)
	tok := s.Agent("bot")
	cases := []struct {
		name, header string
		want         int
	}{
		{"no header", "", 401},
		{"not bearer", "Basic " + tok, 401},
		{"malformed", "Bearer wdn_bogus_00000000", 401},
		{"bad checksum", "Bearer " + tok[:len(tok)-1] + flip(tok[len(tok)-1]), 401},
		{"well formed but unknown", "Bearer " + strings.Replace(tok, tok[4:8], "zzzz", 1), 401},
		{"valid", "Bearer " + tok, 200},
		{"scheme is case-insensitive", "bearer " + tok, 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", s.URL+"/api/v1/whoami", nil)
			if c.header != "" {
				req.Header.Set("Authorization", c.header)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != c.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, c.want)
			}
			if c.want == 401 && resp.Header.Get("WWW-Authenticate") == "" {
				t.Fatal("401 without WWW-Authenticate")
			}
		})
	}
}

func flip(c byte) string {
	if c == '0' {
		return "1"
	}
	return "0"
}

func TestLockRevokeAndNewToken(t *testing.T) {
	s := wardentest.Start(t)
	s.CreateWorkspace("w", "internal")
	tok := s.Agent("bot", "w:viewer")
	mustStatus(t, s.Do("GET", "/api/v1/workspaces/w/files", tok, nil), 200)

	p, err := s.Admin.Lock(bg, "agent", "bot", "reading too much")
	if err != nil || p.State != "locked" || p.LockNote != "reading too much" || p.LockedBy != "admin" {
		t.Fatalf("lock = %+v, %v", p, err)
	}
	r := s.Do("GET", "/api/v1/workspaces/w/files", tok, nil)
	mustStatus(t, r, 423)
	if e := decodeJSON[apiv1.Error](t, r); e.Error.Code != "locked" {
		t.Fatalf("423 body %s", r.Body)
	}
	if _, err := s.Admin.Unlock(bg, "agent", "bot", "false alarm"); err != nil {
		t.Fatal(err)
	}
	mustStatus(t, s.Do("GET", "/api/v1/workspaces/w/files", tok, nil), 200)

	rv, err := s.Admin.Revoke(bg, "agent", "bot")
	if err != nil || rv.Revoked != 1 || rv.Principal.ActiveTokens != 0 {
		t.Fatalf("revoke = %+v, %v", rv, err)
	}
	mustStatus(t, s.Do("GET", "/api/v1/workspaces/w/files", tok, nil), 401)
	nt, err := s.Admin.NewToken(bg, "agent", "bot")
	if err != nil {
		t.Fatal(err)
	}
	mustStatus(t, s.Do("GET", "/api/v1/workspaces/w/files", nt.Token, nil), 200)
	mustStatus(t, s.Do("GET", "/api/v1/workspaces/w/files", tok, nil), 401)
	ts, err := s.Admin.Tokens(bg, "agent", "bot")
	if err != nil || len(ts) != 2 || ts[0].RevokedAt != nil || ts[1].RevokedAt == nil || strings.Contains(ts[0].Hint, nt.Token[4:20]) {
		t.Fatalf("tokens = %+v, %v", ts, err)
	}

	// Locks and revocations survive a restart.
	s.Admin.Lock(bg, "agent", "bot", "again")
	s.Restart()
	mustStatus(t, s.Do("GET", "/api/v1/workspaces/w/files", nt.Token, nil), 423)
	mustStatus(t, s.Do("GET", "/api/v1/workspaces/w/files", tok, nil), 401)

	// Admins cannot lock or revoke themselves, and kinds are not mixed up.
	if _, err := s.Admin.Lock(bg, "human", "admin", ""); client.Code(err) != "invalid" {
		t.Fatalf("self lock = %v", err)
	}
	if _, err := s.Admin.Lock(bg, "human", "bot", ""); client.Code(err) != "not_found" {
		t.Fatalf("locking an agent as a human = %v", err)
	}
}

func TestBadInputIsRefusedWithAClearMessage(t *testing.T) {
	s := wardentest.Start(t)
	s.CreateWorkspace("w", "internal")
	s.Agent("bot", "w:editor")
	s.Admin.PutFile(bg, "w", "f.txt", strings.NewReader("x"), 1)
	cases := []struct {
		method, path, body string
		want               int
		msg                string
	}{
		{"POST", "/api/v1/workspaces", `{"name":"Bad Name"}`, 422, "lowercase"},
		{"POST", "/api/v1/workspaces", `{"name":"ok","label":"secret"}`, 422, "unknown label"},
		{"POST", "/api/v1/workspaces", `{"name":"ok","colour":"red"}`, 422, "colour"},
		{"POST", "/api/v1/workspaces", `{"name":`, 422, "JSON"},
		{"POST", "/api/v1/workspaces", ``, 422, "empty"},
		{"POST", "/api/v1/workspaces", `{"name":"a"} {"name":"b"}`, 422, "after the JSON"},
		{"POST", "/api/v1/workspaces", `{"name":"w"}`, 409, "already exists"},
		{"POST", "/api/v1/workspaces", `{"name":"` + strings.Repeat("a", 2<<20) + `"}`, 413, "larger"},
		{"PATCH", "/api/v1/workspaces/w", `{}`, 422, "nothing to change"},
		{"PATCH", "/api/v1/workspaces/w", `{"label":"top"}`, 422, "unknown label"},
		{"PUT", "/api/v1/workspaces/w/members/bot", `{"role":"owner"}`, 422, "unknown role"},
		{"PUT", "/api/v1/workspaces/w/members/nobody", `{"role":"viewer"}`, 404, "principal"},
		{"DELETE", "/api/v1/workspaces/w/members/admin", ``, 404, "no grant"},
		{"POST", "/api/v1/agents", `{"name":"x","grants":["w"]}`, 422, "workspace:role"},
		{"POST", "/api/v1/agents", `{"name":"x","grants":["w:god"]}`, 422, "unknown role"},
		{"POST", "/api/v1/agents", `{"name":"x","grants":["nope:viewer"]}`, 422, "does not exist"},
		{"POST", "/api/v1/agents", `{"name":"x","profile":"ghost"}`, 422, "unknown profile"},
		{"POST", "/api/v1/agents", `{"name":"x","role":"admin"}`, 422, "no global role"},
		{"POST", "/api/v1/agents", `{"name":"bot"}`, 409, "already exists"},
		{"POST", "/api/v1/agents", `{"name":"-x"}`, 422, "lowercase"},
		{"POST", "/api/v1/humans", `{"name":"h","role":"king"}`, 422, "unknown human role"},
		{"POST", "/api/v1/humans", `{"name":"h","role":"admin","profile":"default"}`, 422, "no profile"},
		{"POST", "/api/v1/agents/bot/lock", `{"note":"` + strings.Repeat("n", 3000) + `"}`, 422, "note"},
		{"POST", "/api/v1/agents/ghost/lock", `{}`, 404, "not found"},
		{"GET", "/api/v1/workspaces/w/files/..%2F..%2Fetc%2Fpasswd", ``, 422, "'..'"},
		{"GET", "/api/v1/workspaces/w/files/a/../../../etc/passwd", ``, 422, "canonical"},
		{"PUT", "/api/v1/workspaces/w/files/a//b", `x`, 422, "canonical"},
		{"PUT", "/api/v1/workspaces/w/files/a%00b", `x`, 422, "NUL"},
		{"PUT", "/api/v1/workspaces/w/files/a%5Cb", `x`, 422, "backslash"},
		{"PUT", "/api/v1/workspaces/w/files/" + strings.Repeat("x", 300), `x`, 422, "segment"},
		{"PUT", "/api/v1/workspaces/w/files/a%0Ab", `x`, 422, "control"},
		{"GET", "/api/v1/workspaces/w/files/f.txt?version=abc", ``, 422, "version"},
		{"GET", "/api/v1/workspaces/w/files/f.txt?version=0", ``, 422, "version"},
		{"GET", "/api/v1/workspaces/w/files?limit=-1", ``, 422, "limit"},
		{"GET", "/api/v1/workspaces/w/files?deleted=maybe", ``, 422, "deleted"},
		{"GET", "/api/v1/workspaces/w/files?prefix=/abs", ``, 422, "relative"},
		{"POST", "/api/v1/workspaces/w/files/f.txt", ``, 422, "needs an action"},
		{"POST", "/api/v1/workspaces/w/files/f.txt?restore=x", ``, 422, "version number"},
		{"POST", "/api/v1/workspaces/w/files/f.txt?restore=1&protect", ``, 422, "one action"},
		{"POST", "/api/v1/workspaces/w/files/f.txt?protect=maybe", ``, 422, "true or false"},
		{"POST", "/api/v1/workspaces/w/files/f.txt?restore=7", ``, 404, "no version 7"},
		{"GET", "/api/v1/audit?after=-3", ``, 422, "after"},
		{"GET", "/api/v1/audit?since=yesterday", ``, 422, "since"},
		{"GET", "/api/v1/audit?decision=maybe", ``, 422, "decision"},
		{"GET", "/api/v1/audit?limit=5000", ``, 422, "limit"},
		{"GET", "/api/v1/nope", ``, 404, "no such endpoint"},
		{"DELETE", "/api/v1/workspaces", ``, 405, "method"},
	}
	for _, c := range cases {
		t.Run(c.method+" "+truncate(c.path)+" "+truncate(c.body), func(t *testing.T) {
			var body []byte
			if c.body != "" {
				body = []byte(c.body)
			}
			r := s.Do(c.method, c.path, s.AdminToken, body)
			if r.Status != c.want {
				t.Fatalf("status %d, want %d: %s", r.Status, c.want, r.Body)
			}
			e := decodeJSON[apiv1.Error](t, r)
			if e.Error.Code == "" || !strings.Contains(e.Error.Message, c.msg) {
				t.Fatalf("error %+v does not mention %q", e.Error, c.msg)
			}
			if len(e.Error.Message) > 300 {
				t.Fatalf("message too long (%d bytes): input must not be echoed at length", len(e.Error.Message))
			}
		})
	}
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40]
	}
	return s
}

func TestMethodNotAllowedNamesTheAllowedMethods(t *testing.T) {
	s := wardentest.Start(t)
	r := s.Do("DELETE", "/api/v1/workspaces", s.AdminToken, nil)
	mustStatus(t, r, 405)
	if allow := r.Header.Get("Allow"); !strings.Contains(allow, "GET") || !strings.Contains(allow, "POST") {
		t.Fatalf("Allow = %q", allow)
	}
}

func TestAuditRecordsAllowedAndDeniedActions(t *testing.T) {
	s := wardentest.Start(t)
	s.CreateWorkspace("w", "internal")
	s.CreateWorkspace("hidden", "restricted")
	tok := s.Agent("bot", "w:viewer")
	mustStatus(t, s.Do("GET", "/api/v1/workspaces/w/files", tok, nil), 200)
	mustStatus(t, s.Do("PUT", "/api/v1/workspaces/w/files/x.txt", tok, []byte("x")), 403)
	mustStatus(t, s.Do("GET", "/api/v1/workspaces/hidden/files/x", tok, nil), 404)
	mustStatus(t, s.Do("POST", "/api/v1/agents", tok, []byte(`{"name":"evil"}`)), 403)
	mustStatus(t, s.Do("GET", "/api/v1/whoami", "wdn_bogus_00000000", nil), 401)
	mustStatus(t, s.Do("GET", "/api/v1/audit", tok, nil), 403)

	page, err := s.Admin.Audit(bg, client.AuditQuery{Principal: "bot"})
	if err != nil {
		t.Fatal(err)
	}
	type key struct{ action, effect, rule, ws, errCode string }
	var got []key
	for _, ev := range page.Events {
		got = append(got, key{ev.Action, string(ev.Decision.Effect), ev.Decision.Rule, ev.Workspace, ev.Error})
		if ev.RequestID == "" || ev.Hash == "" || ev.Remote == "" || ev.Kind != "agent" {
			t.Errorf("event %d lacks request id, hash, remote or kind: %+v", ev.Seq, ev)
		}
	}
	want := []key{
		{"file.list", "allow", "rbac.viewer", "w", ""},
		{"file.write", "deny", "rbac.viewer", "w", "forbidden"},
		{"file.read", "deny", "rbac.no_grant", "hidden", "not_found"},
		{"agent.create", "deny", "rbac.global_admin", "", "forbidden"},
		{"audit.query", "deny", "rbac.auditor", "", "forbidden"},
	}
	if len(got) != len(want) {
		t.Fatalf("events for bot:\n got %v\nwant %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d = %v, want %v", i, got[i], want[i])
		}
	}
	denied, _ := s.Admin.Audit(bg, client.AuditQuery{Action: "auth.*"})
	if len(denied.Events) != 1 || denied.Events[0].Decision.Rule != "auth.malformed" || !strings.HasPrefix(denied.Events[0].Details["credential"].(string), "hmac:") {
		t.Fatalf("auth failures = %+v", denied.Events)
	}
	// Targets come back decrypted for admins; audit reads are themselves recorded.
	reads, _ := s.Admin.Audit(bg, client.AuditQuery{Action: "file.write"})
	if len(reads.Events) != 1 || reads.Events[0].Target != "x.txt" {
		t.Fatalf("file.write events = %+v", reads.Events)
	}
	queries, _ := s.Admin.Audit(bg, client.AuditQuery{Action: "audit.query", Principal: "admin"})
	if len(queries.Events) < 3 {
		t.Fatalf("audit queries not recorded: %d", len(queries.Events))
	}
	// Auditors may read; paging works.
	aud := s.Client(s.Human("eve", "auditor"))
	p1, err := aud.Audit(bg, client.AuditQuery{Limit: 2})
	if err != nil || len(p1.Events) != 2 || p1.Next != p1.Events[1].Seq {
		t.Fatalf("auditor page = %+v, %v", p1, err)
	}
	p2, _ := aud.Audit(bg, client.AuditQuery{Limit: 2, After: p1.Next})
	if p2.Events[0].Seq != p1.Next+1 {
		t.Fatalf("page 2 starts at %d", p2.Events[0].Seq)
	}
}

func TestWorkspaceListingShowsOnlyGrantedWorkspaces(t *testing.T) {
	s := wardentest.Start(t)
	for _, w := range []string{"a", "b", "c"} {
		s.CreateWorkspace(w, "internal")
	}
	bot := s.Client(s.Agent("bot", "a:viewer", "c:editor"))
	ws, err := bot.Workspaces(bg)
	if err != nil || len(ws) != 2 || ws[0].Name != "a" || ws[0].Role != "viewer" || ws[1].Role != "editor" {
		t.Fatalf("workspaces = %+v, %v", ws, err)
	}
	all, _ := s.Admin.Workspaces(bg)
	if len(all) != 3 {
		t.Fatalf("admin sees %d workspaces", len(all))
	}
	me, err := bot.Whoami(bg)
	if err != nil || me.Name != "bot" || strings.Join(me.Grants, ",") != "a:viewer,c:editor" || me.Profile != "default" {
		t.Fatalf("whoami = %+v, %v", me, err)
	}
}

func TestFailedAuthenticationsAreThrottledPerAddress(t *testing.T) {
	s := wardentest.Start(t, func(c *config.Config) { c.Limits.AuthFailureBurst = 5; c.Limits.AuthFailuresPerMinute = 1 })
	good := s.Agent("bot")
	var statuses []int
	var retry string
	for range 12 {
		r := s.Do("GET", "/api/v1/whoami", "wdn_bogus_00000000", nil)
		statuses = append(statuses, r.Status)
		if r.Status == 429 {
			retry = r.Header.Get("Retry-After")
		}
	}
	want := []int{401, 401, 401, 401, 401, 429, 429, 429, 429, 429, 429, 429}
	for i := range want {
		if statuses[i] != want[i] {
			t.Fatalf("statuses = %v, want %v", statuses, want)
		}
	}
	if retry == "" || retry == "0" {
		t.Fatalf("Retry-After = %q", retry)
	}
	// A valid token from the same address is not throttled.
	mustStatus(t, s.Do("GET", "/api/v1/whoami", good, nil), 200)
	fails, _ := s.Admin.Audit(bg, client.AuditQuery{Action: "auth.*"})
	var individual, summaries int
	for _, ev := range fails.Events {
		switch ev.Action {
		case "auth.authenticate":
			individual++
		case "auth.throttled":
			summaries++
		}
	}
	if individual != 5 || summaries != 1 {
		t.Fatalf("audit: %d individual failures, %d summaries; want 5 and 1", individual, summaries)
	}
	// What was only counted reaches the record too, at the latest at shutdown.
	s.Restart()
	sums, _ := s.Admin.Audit(bg, client.AuditQuery{Action: "auth.throttled"})
	if len(sums.Events) != 2 || sums.Events[1].Details["suppressed"] != float64(6) || sums.Events[1].Details["address"] != "127.0.0.1" {
		t.Fatalf("throttle summaries = %+v", sums.Events)
	}
	if _, ok := sums.Events[1].Details["credential"]; ok {
		t.Fatal("a summary carries the credential of one of the requests it counts")
	}
}
