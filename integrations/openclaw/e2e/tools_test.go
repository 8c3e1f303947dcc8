//go:build unix

package e2e

import (
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/apiv1"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/llmtest"
)

// The tool plane end to end: a fake model answers with one tool call (and,
// once it has the tool's result, with text); the real OpenClaw runs the
// turn through Warden, with the Warden plugin loaded and without it.

const blockPrefix = "[Warden policy] "

// toolPolicy is the agents' profile: read-only tools run, writes need a
// human, exec is denied.
func toolPolicy(c *config.Config) {
	c.Profiles = map[string]config.Profile{"default": {Tools: &config.ToolPolicy{
		Allow: []string{"read", "ls", "tool_search", "tool_describe"}, Ask: []string{"write"}, Deny: []string{"exec"},
	}}}
}

// callOnce makes the fake answer with call until a tool result comes back,
// then with text.
func callOnce(call *llmtest.ToolCall) func(req map[string]any) *llmtest.ToolCall {
	return func(req map[string]any) *llmtest.ToolCall {
		msgs, _ := req["messages"].([]any)
		for _, m := range msgs {
			if mm, _ := m.(map[string]any); mm["role"] == "tool" {
				return nil
			}
		}
		return call
	}
}

// withPlugin is OpenClaw's config for loading the Warden plugin from this
// checkout: the load path and, without which it silently never runs in
// agent turns, plugins.entries.warden.enabled.
func withPlugin(t *testing.T, st *stack) (map[string]any, []string) {
	t.Helper()
	dir, err := filepath.Abs("../plugin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "openclaw.plugin.json")); err != nil {
		t.Fatalf("the Warden plugin is not in %s: %v", dir, err)
	}
	extra := map[string]any{"plugins": map[string]any{
		"load": map[string]any{"paths": []any{dir}},
		"entries": map[string]any{"warden": map[string]any{
			"enabled": true,
			"config":  map[string]any{"wardenUrl": st.warden.URL, "approvalTimeoutMs": 90000},
		}},
	}}
	return extra, []string{"WARDEN_AGENT_TOKEN=" + st.token}
}

// events returns Warden's audit events of one action.
func (st *stack) events(t *testing.T, action string) []apiv1.Event {
	t.Helper()
	resp := st.warden.Do("GET", "/api/v1/audit?action="+action+"&limit=1000", st.warden.AdminToken, nil)
	if resp.Status != 200 {
		t.Fatalf("audit query: %d %s", resp.Status, resp.Body)
	}
	var evs apiv1.Events
	if err := json.Unmarshal(resp.Body, &evs); err != nil {
		t.Fatalf("audit query: %v", err)
	}
	return evs.Events
}

// decisions returns the tool.decide events on tool from source.
func (st *stack) decisions(t *testing.T, tool, source string) []apiv1.Event {
	var out []apiv1.Event
	for _, e := range st.events(t, "tool.decide") {
		t.Logf("tool.decide seq=%d %s %s by %s (%s) details=%v", e.Seq, e.Target, e.Decision.Effect, e.Decision.Rule, e.Details["source"], e.Details)
		if e.Target == tool && e.Details["source"] == source {
			out = append(out, e)
		}
	}
	return out
}

// findFile looks for a file named name anywhere under dir.
func findFile(dir, name string) (string, bool) {
	var found string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() == name {
			found = p
			return fs.SkipAll
		}
		return nil
	})
	return found, found != ""
}

// execCanary is an exec call that would leave a file behind.
func execCanary(dir string) *llmtest.ToolCall {
	cmd := "touch " + filepath.Join(dir, "exec-canary")
	b, _ := json.Marshal(map[string]string{"command": cmd})
	return &llmtest.ToolCall{Name: "exec", Arguments: string(b)}
}

// wantExecStopped checks that a denied exec never ran and that OpenClaw's
// user saw why.
func wantExecStopped(t *testing.T, st *stack, r turn, canaryDir string) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(canaryDir, "exec-canary")); err == nil {
		t.Errorf("the denied exec ran: %s exists", filepath.Join(canaryDir, "exec-canary"))
	}
	if !strings.Contains(r.stdout, blockPrefix) || !strings.Contains(r.stdout, "profiles.default.tools.deny") {
		t.Errorf("OpenClaw's output does not show Warden's denial naming the rule:\n%s", r.stdout)
	}
	ds := st.decisions(t, "exec", "model")
	if len(ds) == 0 || ds[len(ds)-1].Decision.Effect != "deny" || ds[len(ds)-1].Decision.Rule != "profiles.default.tools.deny" {
		t.Errorf("no tool.decide deny of exec from the model plane on the audit record: %+v", ds)
	}
}

// TestOpenClawToolPlaneWithoutPlugin: with no plugin at all, the model
// plane alone stops the denied call before OpenClaw sees it.
func TestOpenClawToolPlaneWithoutPlugin(t *testing.T) {
	oc := needOpenClaw(t)
	t.Parallel()
	st := startStack(t, toolPolicy)
	canaries := t.TempDir()
	st.fake.ToolFor = callOnce(execCanary(canaries))
	r := oc.run(t, st, "openai-completions", "Run the command, please.")
	if r.exit != 0 {
		t.Errorf("openclaw exit %d, want 0", r.exit)
	}
	wantExecStopped(t, st, r, canaries)
	if regs := st.events(t, "plugin.register"); len(regs) != 0 {
		t.Errorf("a plugin registered in a run without one: %+v", regs)
	}
}

// TestOpenClawToolPlaneWithPlugin: the plugin registers, the model plane
// still stops the denied call, and a call that needs a human waits in
// before_tool_call for Warden's approval: approved, it runs once; denied,
// it does not run and the model is told why.
func TestOpenClawToolPlaneWithPlugin(t *testing.T) {
	oc := needOpenClaw(t)
	t.Parallel()
	st := startStack(t, toolPolicy)
	extra, env := withPlugin(t, st)

	t.Run("denied exec", func(t *testing.T) {
		canaries := t.TempDir()
		st.fake.ToolFor = callOnce(execCanary(canaries))
		r := oc.runWith(t, st, "openai-completions", "Run the command, please.", extra, env)
		wantExecStopped(t, st, r, canaries)
		if regs := st.events(t, "plugin.register"); len(regs) == 0 {
			t.Errorf("the plugin never registered with Warden; OpenClaw output:\n%s", r)
		}
	})

	for _, tc := range []struct {
		name    string
		approve bool
	}{{"write approved by a human", true}, {"write denied by a human", false}} {
		t.Run(tc.name, func(t *testing.T) {
			file := "warden-e2e-" + randomHex(4) + ".txt"
			args, _ := json.Marshal(map[string]string{"path": file, "content": "written after a human said yes"})
			st.fake.ToolFor = callOnce(&llmtest.ToolCall{Name: "write", Arguments: string(args)})
			before := len(st.decisions(t, "write", "plugin"))
			decided := make(chan string, 1)
			go func() { decided <- decidePending(st, "write", tc.approve) }()
			r := oc.runWith(t, st, "openai-completions", "Write the file, please.", extra, env)
			if id := <-decided; id == "" {
				t.Fatalf("no pending approval for the write appeared; OpenClaw output:\n%s", r)
			}
			ds := st.decisions(t, "write", "plugin")[before:]
			if len(ds) == 0 || ds[0].Decision.Effect != "ask" {
				t.Fatalf("the plugin did not ask Warden about the write: %+v", ds)
			}
			path, written := findFile(r.dir, file)
			if tc.approve {
				if !written {
					t.Errorf("the approved write did not happen; OpenClaw output:\n%s", r)
				} else if b, _ := os.ReadFile(path); string(b) != "written after a human said yes" {
					t.Errorf("written %q", b)
				}
				if last := ds[len(ds)-1]; last.Decision.Effect != "allow" || last.Decision.Rule != "approvals.once" {
					t.Errorf("last plugin decision %s by %s, want allow by approvals.once", last.Decision.Effect, last.Decision.Rule)
				}
				results := 0
				for _, e := range st.events(t, "tool.result") {
					if e.Target == "write" && e.Details["result_sha256"] != nil {
						results++
					}
				}
				if results == 0 {
					t.Errorf("after_tool_call left no tool.result event for the write")
				}
				return
			}
			if written {
				t.Errorf("the denied write happened: %s", path)
			}
			// The model got the block reason as the tool's result.
			if !strings.Contains(lastToolResult(st.fake.Requests()), blockPrefix) {
				t.Errorf("the model was not told a policy stopped the write; last tool result: %q", lastToolResult(st.fake.Requests()))
			}
		})
	}
}

// decidePending waits for a pending approval of tool and approves or
// denies it as a human would; it returns the approval id ("" if none came).
func decidePending(st *stack, tool string, approve bool) string {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	admin := st.warden.Admin
	for ctx.Err() == nil {
		list, err := admin.Approvals(ctx, "pending", 0)
		if err == nil {
			for _, a := range list {
				if a.Tool != tool {
					continue
				}
				if approve {
					_, err = admin.Approve(ctx, a.ID, "e2e says yes", false)
				} else {
					_, err = admin.Deny(ctx, a.ID, "e2e says no")
				}
				if err == nil {
					return a.ID
				}
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return ""
}

// lastToolResult is the content of the last tool message the model saw.
func lastToolResult(reqs []llmtest.Request) string {
	out := ""
	for _, r := range reqs {
		msgs, _ := r.JSON()["messages"].([]any)
		for _, m := range msgs {
			if mm, _ := m.(map[string]any); mm["role"] == "tool" {
				b, _ := json.Marshal(mm["content"])
				out = string(b)
			}
		}
	}
	return out
}
