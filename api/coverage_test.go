package api_test

import (
	"strings"
	"testing"

	"github.com/wardenhq/warden/apiv1"
	"github.com/wardenhq/warden/client"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/wardentest"
)

// allEvents pages through the whole audit log.
func allEvents(t *testing.T, s *wardentest.Server) map[string][]apiv1.Event {
	t.Helper()
	byReq := map[string][]apiv1.Event{}
	var after int64
	for {
		page, err := s.Admin.Audit(bg, client.AuditQuery{After: after, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Events {
			byReq[e.RequestID] = append(byReq[e.RequestID], e)
		}
		if page.Next == 0 {
			return byReq
		}
		after = page.Next
	}
}

// Every request by a principal leaves an event. A service records what it
// does before it answers; input a handler refuses before reaching a service
// gets a generic "api.request" denial. No successful request may rely on the
// generic event, which is written only after the answer.
func TestEveryRequestIsOnTheRecord(t *testing.T) {
	s := wardentest.Start(t, func(c *config.Config) { c.Limits.MaxFileSize = 1 << 20 })
	s.CreateWorkspace("w", "internal")
	s.Agent("bot", "w:viewer")
	s.Agent("bot2", "w:viewer")
	s.Agent("victim")
	s.Admin.PutFile(bg, "w", "f.txt", strings.NewReader("one"), -1)
	s.Admin.PutFile(bg, "w", "f.txt", strings.NewReader("two"), -1)
	s.Admin.PutFile(bg, "w", "gone.txt", strings.NewReader("x"), -1)
	// The tool plane: an agent's asks leave approvals to approve and deny.
	toolAgent := s.Agent("tool-agent")
	var apr []string
	for _, c := range []string{"make", "make clean"} {
		d, err := s.Client(toolAgent).Decide(bg, apiv1.DecideRequest{Tool: "exec", Params: map[string]any{"command": c}})
		if err != nil || d.ApprovalID == "" {
			t.Fatalf("decide: %+v, %v", d, err)
		}
		apr = append(apr, "/api/v1/approvals/"+d.ApprovalID)
	}

	ok := []struct{ method, path, body string }{
		{"GET", "/api/v1/whoami", ""},
		{"POST", "/api/v1/workspaces", `{"name":"w2"}`},
		{"GET", "/api/v1/workspaces", ""},
		{"GET", "/api/v1/workspaces/w", ""},
		{"PATCH", "/api/v1/workspaces/w", `{"label":"confidential"}`},
		{"GET", "/api/v1/workspaces/w/members", ""},
		{"PUT", "/api/v1/workspaces/w/members/bot", `{"role":"editor"}`},
		{"DELETE", "/api/v1/workspaces/w/members/bot2", ""},
		{"GET", "/api/v1/workspaces/w/files", ""},
		{"GET", "/api/v1/workspaces/w/files/f.txt", ""},
		{"GET", "/api/v1/workspaces/w/files/f.txt?versions", ""},
		{"GET", "/api/v1/workspaces/w/files/f.txt?version=1", ""},
		{"PUT", "/api/v1/workspaces/w/files/new.txt", "new"},
		{"DELETE", "/api/v1/workspaces/w/files/gone.txt", ""},
		{"POST", "/api/v1/workspaces/w/files/f.txt?restore=1", ""},
		{"POST", "/api/v1/workspaces/w/files/f.txt?protect", ""},
		{"POST", "/api/v1/agents", `{"name":"made"}`},
		{"GET", "/api/v1/agents", ""},
		{"GET", "/api/v1/agents/victim", ""},
		{"POST", "/api/v1/agents/victim/lock", `{"note":"n"}`},
		{"POST", "/api/v1/agents/victim/unlock", `{"note":"n"}`},
		{"POST", "/api/v1/agents/victim/tokens", ""},
		{"GET", "/api/v1/agents/victim/tokens", ""},
		{"POST", "/api/v1/agents/victim/revoke", ""},
		{"POST", "/api/v1/humans", `{"name":"h","role":"auditor"}`},
		{"GET", "/api/v1/humans", ""},
		{"GET", "/api/v1/humans/h", ""},
		{"GET", "/api/v1/audit?limit=1", ""},
		{"GET", "/api/v1/approvals", ""},
		{"GET", "/api/v1/approvals?status=all&limit=5", ""},
		{"GET", apr[0], ""},
		{"POST", apr[0] + "/approve", `{"note":"n"}`},
		{"GET", apr[0] + "?wait=5s", ""},
		{"POST", apr[1] + "/deny", ""},
	}
	// Tool-plane requests only an agent makes.
	agentOK := []struct{ method, path, body string }{
		{"POST", "/api/v1/decide", `{"tool":"read","params":{"path":"a"}}`},
		{"POST", "/api/v1/decide", `{"tool":"exec","params":{"command":"ls"}}`},
		{"POST", "/api/v1/decide", `{"tool":"exec","params":{"command":"make"}}`},
		{"POST", "/api/v1/plugins/register", `{"plugin":"warden-openclaw","version":"1"}`},
		{"POST", "/api/v1/tools/result", `{"tool":"read","result_bytes":3}`},
		{"GET", "/api/v1/approvals?status=all", ""},
		{"GET", apr[1], ""},
	}
	refused := []struct {
		method, path, body string
		status             int
	}{
		{"POST", "/api/v1/workspaces", `{"name":`, 422},
		{"PATCH", "/api/v1/workspaces/w", `{}`, 422},
		{"GET", "/api/v1/workspaces/w/files?limit=-1", "", 422},
		{"GET", "/api/v1/workspaces/w/files/f.txt?version=abc", "", 422},
		{"GET", "/api/v1/workspaces/w/files/f.txt?file=abc", "", 422},
		{"POST", "/api/v1/workspaces/w/files/f.txt?restore=x", "", 422},
		{"POST", "/api/v1/workspaces/w/files/f.txt?protect=maybe", "", 422},
		{"POST", "/api/v1/workspaces/w/files/f.txt", "", 422},
		{"PUT", "/api/v1/workspaces/w/files/big.bin", strings.Repeat("x", 2<<20), 413},
		{"POST", "/api/v1/agents", `{"name":"x","grants":["w"]}`, 422},
		{"POST", "/api/v1/agents/victim/lock", `{"note":"` + strings.Repeat("n", 3000) + `"}`, 422},
		{"GET", "/api/v1/audit?limit=5000", "", 422},
		{"GET", "/api/v1/workspaces/w/files/a/../../../etc/passwd", "", 422},
		{"POST", "/api/v1/decide", `{"tool":`, 422},
		{"POST", "/api/v1/decide", `{"tool":"exec","source":"model"}`, 422},
		{"GET", "/api/v1/approvals?limit=0", "", 422},
		{"GET", apr[1] + "?wait=bogus", "", 422},
		{"POST", apr[1] + "/approve", `{"note":`, 422},
		{"POST", apr[1] + "/deny", `{"always":true}`, 422},
		{"POST", "/api/v1/plugins/register", `{"plugin":`, 422},
		{"POST", "/api/v1/tools/result", `{"tool":"read","result":"content"}`, 422},
		{"POST", "/api/v1/workspaces/w/imports", `{"url":`, 422},
		{"POST", "/api/v1/agents/victim/unlock", `{}`, 422},
		{"POST", "/api/v1/workspaces/w/imports", `{"url":"http://169.254.169.254/","path":"m"}`, 403},
		{"GET", "/api/v1/workspaces/w/imports/imp_unknown", "", 404},
	}
	okIDs, refusedIDs := map[string]string{}, map[string]string{}
	for _, c := range ok {
		var body []byte
		if c.body != "" {
			body = []byte(c.body)
		}
		r := s.Do(c.method, c.path, s.AdminToken, body)
		if r.Status/100 != 2 {
			t.Fatalf("%s %s: %d %s", c.method, c.path, r.Status, r.Body)
		}
		okIDs[r.Header.Get("X-Request-Id")] = c.method + " " + c.path
	}
	for _, c := range agentOK {
		r := s.Do(c.method, c.path, toolAgent, []byte(c.body))
		if r.Status/100 != 2 {
			t.Fatalf("agent %s %s: %d %s", c.method, c.path, r.Status, r.Body)
		}
		okIDs[r.Header.Get("X-Request-Id")] = "agent " + c.method + " " + c.path
	}
	for _, c := range refused {
		r := s.Do(c.method, c.path, s.AdminToken, []byte(c.body))
		if r.Status != c.status {
			t.Fatalf("%s %s: %d, want %d: %s", c.method, c.path, r.Status, c.status, r.Body)
		}
		refusedIDs[r.Header.Get("X-Request-Id")] = c.method + " " + c.path
	}
	byReq := allEvents(t, s)
	for id, what := range okIDs {
		evs := byReq[id]
		if len(evs) == 0 {
			t.Errorf("%s: no event", what)
			continue
		}
		for _, e := range evs {
			if e.Action == "api.request" {
				t.Errorf("%s: recorded only by the generic fallback, after the answer", what)
			}
		}
	}
	for id, what := range refusedIDs {
		evs := byReq[id]
		if len(evs) == 0 {
			t.Errorf("%s: refusal left no event", what)
			continue
		}
		if evs[0].Decision.Effect != "deny" || evs[0].Principal != "admin" {
			t.Errorf("%s: event %+v, want a denial by admin", what, evs[0])
		}
		if route, _ := evs[0].Details["route"].(string); strings.Contains(route, "passwd") {
			t.Errorf("%s: the raw path is in the clear route field", what)
		}
	}
}
