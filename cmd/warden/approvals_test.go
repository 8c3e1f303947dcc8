package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/wardenhq/warden/apiv1"
	"github.com/wardenhq/warden/wardentest"
)

// askAs makes agent token decide an exec that asks and returns the approval id.
func askAs(t *testing.T, s *wardentest.Server, token, command string) string {
	t.Helper()
	d, err := s.Client(token).Decide(context.Background(), apiv1.DecideRequest{Tool: "exec", Params: map[string]any{"command": command}})
	if err != nil || d.Decision != "ask" || d.ApprovalID == "" {
		t.Fatalf("decide exec %q = %+v, %v; want ask", command, d, err)
	}
	return d.ApprovalID
}

func TestApprovalsCommandsAgainstARealServer(t *testing.T) {
	s := wardentest.Start(t)
	bot := s.Agent("bot")
	c := newCLI(t, map[string]string{"WARDEN_ADDR": s.URL, "WARDEN_TOKEN": s.AdminToken})
	if out := c.ok("approvals", "list"); !strings.Contains(out, "No approvals.") {
		t.Fatalf("empty list = %q", out)
	}
	if out := strings.TrimSpace(c.ok("approvals", "list", "--json")); out != "[]" {
		t.Fatalf("empty list --json = %q, want []", out)
	}
	first := askAs(t, s, bot, "make deploy")
	second := askAs(t, s, bot, "rm -rf build")

	var listed []apiv1.Approval
	if err := json.Unmarshal([]byte(c.ok("approvals", "list", "--json")), &listed); err != nil {
		t.Fatal(err)
	}
	if len(listed) != 2 || listed[0].ID != second || listed[1].ID != first || listed[1].Status != "pending" ||
		listed[1].Agent != "bot" || listed[1].Tool != "exec" || listed[1].Params["command"] != "make deploy" {
		t.Fatalf("list --json = %+v", listed)
	}
	out := c.ok("approvals", "list")
	for _, want := range []string{"ID", "STATUS", first, second, "pending", "bot", "exec", "default.ask", `{"command":"make deploy"}`} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}

	out = c.ok("approvals", "show", first)
	for _, want := range []string{"id:       " + first, "status:   pending", "agent:    bot (profile default)", "tool:     exec", "rule:     default.ask", "expires:", `"command": "make deploy"`} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	if out := c.ok("approvals", "show", first, "--wait", "1s"); !strings.Contains(out, "status:   pending") {
		t.Errorf("show --wait on an undecided approval:\n%s", out)
	}

	if out := c.ok("approvals", "approve", first, "--note", "x"); strings.TrimSpace(out) != "Approved "+first+" (exec by bot, once)." {
		t.Fatalf("approve = %q", out)
	}
	var shown apiv1.Approval
	if err := json.Unmarshal([]byte(c.ok("approvals", "show", first, "--json")), &shown); err != nil {
		t.Fatal(err)
	}
	if shown.Status != "approved" || shown.Note != "x" || shown.DecidedBy != "admin" || shown.Always {
		t.Fatalf("show --json after approve = %+v", shown)
	}
	if out := c.ok("approvals", "show", first); !strings.Contains(out, "decided:") || !strings.Contains(out, "by admin: x") {
		t.Errorf("show after approve:\n%s", out)
	}
	if out := c.ok("approvals", "deny", second); strings.TrimSpace(out) != "Denied "+second+" (exec by bot)." {
		t.Fatalf("deny = %q", out)
	}
	if err := json.Unmarshal([]byte(c.ok("approvals", "list", "--status", "denied", "--json")), &listed); err != nil || len(listed) != 1 || listed[0].ID != second {
		t.Fatalf("list --status denied = %+v, %v", listed, err)
	}
	if err := json.Unmarshal([]byte(c.ok("approvals", "list", "--status", "all", "--limit", "1", "--json")), &listed); err != nil || len(listed) != 1 {
		t.Fatalf("list --status all --limit 1 = %+v, %v", listed, err)
	}
	if out := c.ok("approvals", "list"); !strings.Contains(out, "No approvals.") {
		t.Fatalf("pending list after deciding both = %q", out)
	}

	third := askAs(t, s, bot, "make test")
	if out := c.ok("approval", "approve", third, "--always"); !strings.Contains(out, "always") {
		t.Fatalf("approve --always = %q", out)
	}
	if d, err := s.Client(bot).Decide(context.Background(), apiv1.DecideRequest{Tool: "exec", Params: map[string]any{"command": "make test"}}); err != nil || d.Rule != "approvals.always" {
		t.Fatalf("after approve --always: %+v, %v", d, err)
	}
}

func TestApprovalsCommandsReportRefusals(t *testing.T) {
	s := wardentest.Start(t)
	bot := s.Agent("bot")
	id := askAs(t, s, bot, "make")
	admin := newCLI(t, map[string]string{"WARDEN_ADDR": s.URL, "WARDEN_TOKEN": s.AdminToken})
	admin.ok("approvals", "deny", id, "--note", "no")
	agent := newCLI(t, map[string]string{"WARDEN_ADDR": s.URL, "WARDEN_TOKEN": bot})
	auditor := newCLI(t, map[string]string{"WARDEN_ADDR": s.URL, "WARDEN_TOKEN": s.Human("audrey", "auditor")})
	cases := []struct {
		name string
		c    *cli
		args []string
		want string
	}{
		{"approving a denied approval", admin, []string{"approvals", "approve", id}, "not pending"},
		{"unknown id", admin, []string{"approvals", "show", "apr_000000000000000000000000"}, "404"},
		{"malformed id", admin, []string{"approvals", "approve", "nope"}, "404"},
		{"bogus status", admin, []string{"approvals", "list", "--status", "bogus"}, "unknown status"},
		{"agent approving", agent, []string{"approvals", "approve", id}, "only admins and approvers"},
		{"auditor denying", auditor, []string{"approvals", "deny", id}, "only admins and approvers"},
		{"no id", admin, []string{"approvals", "approve"}, "arg"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := tc.c.run("", tc.args...)
			if code == 0 || !strings.Contains(errs, tc.want) {
				t.Fatalf("exit %d, stdout %q, stderr %q; want failure mentioning %q", code, out, errs, tc.want)
			}
		})
	}
	// The agent and the auditor may still read.
	if out := agent.ok("approvals", "show", id); !strings.Contains(out, "status:   denied") {
		t.Fatalf("agent show = %q", out)
	}
	if out := auditor.ok("approvals", "list", "--status", "all"); !strings.Contains(out, id) {
		t.Fatalf("auditor list = %q", out)
	}
}
