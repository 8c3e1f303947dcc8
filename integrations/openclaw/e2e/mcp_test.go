//go:build unix

package e2e

import (
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wardenhq/warden/apiv1"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/llmtest"
	"github.com/wardenhq/warden/openclawcfg"
)

// Agents' workspaces end to end: the real OpenClaw connects to Warden's MCP
// server with the entry `warden openclaw configure` writes, loads the
// warden-workspaces skill, and a fake model calls the projected Warden
// tools (OpenClaw names them warden__<tool>).

// mcpTool is the name OpenClaw gives a tool of Warden's MCP server.
func mcpTool(tool string) string { return openclawcfg.MCPServerName + "__" + tool }

// mcpPolicy lets Warden's MCP tools through the model plane's tool gate:
// the built-in default profile asks a human for any tool it does not know
// as read-only, warden__file_read included, though Warden's services decide
// each of these calls by the agent's role anyway.
func mcpPolicy(c *config.Config) {
	c.Profiles = map[string]config.Profile{"default": {Tools: &config.ToolPolicy{Allow: []string{mcpTool("*")}}}}
}

// withMCP is OpenClaw's config for Warden's MCP server, as configure
// writes it, and the warden-workspaces skill as configure installs it (into
// a skills folder OpenClaw is pointed at, since the run makes its own state
// folder). direct turns OpenClaw's tool search off, so MCP tools are in the
// request's tools array; without it they are deferred behind tool_call.
func withMCP(t *testing.T, st *stack, direct bool) (map[string]any, []string) {
	t.Helper()
	state := t.TempDir()
	if _, err := openclawcfg.InstallWardenSkill(state, true); err != nil {
		t.Fatal(err)
	}
	skills := filepath.Join(state, "skills")
	patch, err := openclawcfg.Build(openclawcfg.Options{
		WardenURL: st.warden.URL, Agent: "openclaw-e2e", TokenEnv: openclawcfg.DefaultTokenEnv,
		WardenBin: "/usr/local/bin/warden", Providers: []openclawcfg.Provider{{Name: "fake", Protocol: "openai"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	extra := map[string]any{
		"mcp":    patch["mcp"],
		"skills": map[string]any{"load": map[string]any{"extraDirs": []any{skills}}},
	}
	if direct {
		extra["tools"] = map[string]any{"toolSearch": false}
	}
	return extra, []string{openclawcfg.DefaultTokenEnv + "=" + st.token}
}

// toolNames is the names in a request's tools array.
func toolNames(req map[string]any) []string {
	var names []string
	tools, _ := req["tools"].([]any)
	for _, tl := range tools {
		m, _ := tl.(map[string]any)
		f, _ := m["function"].(map[string]any)
		if n, ok := f["name"].(string); ok {
			names = append(names, n)
		}
	}
	return names
}

// hasToolResult reports whether a request carries a tool result.
func hasToolResult(req map[string]any) bool {
	msgs, _ := req["messages"].([]any)
	return slices.ContainsFunc(msgs, func(m any) bool {
		mm, _ := m.(map[string]any)
		return mm["role"] == "tool"
	})
}

// callProjected makes the fake call the tool of the request's tools array
// named like Warden's tool, once: with no such tool it answers in text.
func callProjected(tool string, args map[string]any) func(req map[string]any) *llmtest.ToolCall {
	b, _ := json.Marshal(args)
	return func(req map[string]any) *llmtest.ToolCall {
		if hasToolResult(req) {
			return nil
		}
		for _, n := range toolNames(req) {
			if strings.HasSuffix(n, "__"+tool) {
				return &llmtest.ToolCall{Name: n, Arguments: string(b)}
			}
		}
		return nil
	}
}

// callAnyway makes the fake call name once, offered or not.
func callAnyway(name string, args map[string]any) func(req map[string]any) *llmtest.ToolCall {
	b, _ := json.Marshal(args)
	return callOnce(&llmtest.ToolCall{Name: name, Arguments: string(b)})
}

// toolResults is the text of every tool result in the requests, in order.
func toolResults(reqs []llmtest.Request) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range reqs {
		msgs, _ := r.JSON()["messages"].([]any)
		for _, m := range msgs {
			mm, _ := m.(map[string]any)
			if mm["role"] != "tool" {
				continue
			}
			var text string
			switch c := mm["content"].(type) {
			case string:
				text = c
			default:
				b, _ := json.Marshal(c)
				text = string(b)
			}
			if id, _ := mm["tool_call_id"].(string); !seen[id+text] {
				seen[id+text] = true
				out = append(out, text)
			}
		}
	}
	return out
}

// mcpEvents is the audit events of action by principal that came over MCP.
func (st *stack) mcpEvents(t *testing.T, action, principal string) []apiv1.Event {
	t.Helper()
	var out []apiv1.Event
	for _, e := range st.events(t, action) {
		if e.Principal == principal && strings.HasPrefix(e.RequestID, "mcp-") {
			out = append(out, e)
		}
	}
	return out
}

// fileText is a workspace file's latest content and version, read as the
// admin.
func (st *stack) fileText(t *testing.T, ws, path string) (string, int) {
	t.Helper()
	resp, err := st.warden.Admin.GetFile(context.Background(), ws, path, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	vs, err := st.warden.Admin.Versions(context.Background(), ws, path, 0)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), len(vs.Versions)
}

// putFile writes a file as the admin.
func (st *stack) putFile(t *testing.T, ws, path, content string) {
	t.Helper()
	if _, err := st.warden.Admin.PutFile(context.Background(), ws, path, strings.NewReader(content), int64(len(content))); err != nil {
		t.Fatalf("put %s/%s: %v", ws, path, err)
	}
}

// TestOpenClawReadsAWorkspaceFileOverMCP: a viewer agent's model calls the
// projected file_read — from the tools array, and through OpenClaw's
// default deferred surface (tool_call) — and the file's content reaches the
// model as the tool result; the read is on Warden's audit record as the
// agent's, over MCP. The warden-workspaces skill is offered to the model.
func TestOpenClawReadsAWorkspaceFileOverMCP(t *testing.T) {
	oc := needOpenClaw(t)
	t.Parallel()
	st := startStack(t, mcpPolicy)
	st.fake.Reply = func(map[string]any) string { return "Read it." }
	st.warden.CreateWorkspace("notes", "internal")
	content := "Launch plan, revision " + randomHex(6) + ": ship on Thursday."
	st.putFile(t, "notes", "plan.md", content)
	st.token = st.warden.Agent("reader", "notes:viewer")
	args := map[string]any{"workspace": "notes", "path": "plan.md"}

	for _, tc := range []struct {
		name   string
		direct bool
		call   func(req map[string]any) *llmtest.ToolCall
	}{
		{"projected tool from the tools array", true, callProjected("file_read", args)},
		{"through tool_call (deferred tools)", false, callAnyway("tool_call", map[string]any{"id": mcpTool("file_read"), "args": args})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(st.mcpEvents(t, "file.read", "reader"))
			skip := len(st.fake.Requests())
			st.fake.ToolFor = tc.call
			extra, env := withMCP(t, st, tc.direct)
			r := oc.runWith(t, st, "openai-completions", "What does plan.md in the notes workspace say?", extra, env)
			reqs := st.fake.Requests()[skip:]
			if r.exit != 0 {
				t.Errorf("openclaw exit %d, want 0", r.exit)
			}
			if len(reqs) == 0 {
				t.Fatal("the model received no request")
			}
			first := reqs[0].JSON()
			names := toolNames(first)
			if tc.direct {
				for _, want := range []string{"file_read", "files_list", "file_search", "file_versions", "workspaces_list"} {
					if !slices.Contains(names, mcpTool(want)) {
						t.Errorf("%s is not in the tools array: %v", mcpTool(want), names)
					}
				}
			}
			if !strings.Contains(reqs[0].Text(), "<name>warden-workspaces</name>") {
				t.Error("the warden-workspaces skill is not among the model's available skills")
			}
			results := toolResults(reqs)
			if len(results) == 0 {
				t.Fatalf("no tool result reached the model; tools offered: %v", names)
			}
			if !slices.ContainsFunc(results, func(s string) bool { return strings.Contains(s, content) }) {
				t.Errorf("the file's content did not reach the model; tool results: %q", results)
			}
			reads := st.mcpEvents(t, "file.read", "reader")[before:]
			if len(reads) != 1 {
				t.Fatalf("%d file.read events by reader over MCP, want 1: %+v", len(reads), reads)
			}
			if e := reads[0]; e.Workspace != "notes" || e.Target != "plan.md" || e.Decision.Effect != "allow" {
				t.Errorf("file.read event: workspace %q target %q %s, want notes plan.md allow", e.Workspace, e.Target, e.Decision.Effect)
			}
		})
	}
}

// TestOpenClawViewerCannotWriteOverMCP: a viewer-only agent is not offered
// file_write, and its model's call of it writes nothing; an agent that may
// write elsewhere is offered it, and Warden refuses its write to the
// workspace it only views — a tool error the model sees, a denied
// file.write on the audit record. The file never changes.
func TestOpenClawViewerCannotWriteOverMCP(t *testing.T) {
	oc := needOpenClaw(t)
	t.Parallel()
	st := startStack(t, mcpPolicy)
	st.fake.Reply = func(map[string]any) string { return "Done." }
	st.warden.CreateWorkspace("notes", "internal")
	st.warden.CreateWorkspace("scratch", "internal")
	content := "Launch plan, revision " + randomHex(6) + "."
	st.putFile(t, "notes", "plan.md", content)
	write := map[string]any{"workspace": "notes", "path": "plan.md", "content": "overwritten by a viewer"}
	unchanged := func(t *testing.T) {
		t.Helper()
		if got, versions := st.fileText(t, "notes", "plan.md"); got != content || versions != 1 {
			t.Errorf("notes/plan.md is %q in %d versions, want the original in 1", got, versions)
		}
	}

	t.Run("viewer only: not offered, and nothing written", func(t *testing.T) {
		st.token = st.warden.Agent("viewer", "notes:viewer")
		skip := len(st.fake.Requests())
		st.fake.ToolFor = callAnyway(mcpTool("file_write"), write)
		extra, env := withMCP(t, st, true)
		r := oc.runWith(t, st, "openai-completions", "Replace plan.md in notes with my text.", extra, env)
		reqs := st.fake.Requests()[skip:]
		if len(reqs) == 0 {
			t.Fatal("the model received no request")
		}
		names := toolNames(reqs[0].JSON())
		if !slices.Contains(names, mcpTool("file_read")) {
			t.Fatalf("the viewer is not offered %s (is the MCP server connected?): %v", mcpTool("file_read"), names)
		}
		for _, n := range []string{"file_write", "url_import", "share_create"} {
			if slices.Contains(names, mcpTool(n)) {
				t.Errorf("a viewer-only agent is offered %s", mcpTool(n))
			}
		}
		// OpenClaw 2026.9.6 answers a call of a tool it does not have with
		// "Tool <name> not found" as the tool's result.
		results := toolResults(reqs)
		if !slices.ContainsFunc(results, func(s string) bool { return strings.Contains(s, mcpTool("file_write")+" not found") }) {
			t.Errorf("the model was not told %s does not exist; tool results: %q (OpenClaw exit %d)", mcpTool("file_write"), results, r.exit)
		}
		unchanged(t)
		if ws := st.mcpEvents(t, "file.write", "viewer"); len(ws) != 0 {
			t.Errorf("file.write events by the viewer: %+v", ws)
		}
		calls := 0
		for _, e := range st.llmCalls(t) {
			if e.Principal == "viewer" {
				n, _ := e.Details["tool_calls"].(float64)
				calls += int(n)
			}
		}
		if calls == 0 {
			t.Error("no llm.call of the viewer records the model's tool call")
		}
	})

	t.Run("viewer here, contributor elsewhere: refused by Warden", func(t *testing.T) {
		st.token = st.warden.Agent("mixed", "notes:viewer", "scratch:contributor")
		skip := len(st.fake.Requests())
		st.fake.ToolFor = callProjected("file_write", write)
		extra, env := withMCP(t, st, true)
		r := oc.runWith(t, st, "openai-completions", "Replace plan.md in notes with my text.", extra, env)
		if r.exit != 0 {
			t.Errorf("openclaw exit %d, want 0", r.exit)
		}
		reqs := st.fake.Requests()[skip:]
		if len(reqs) == 0 {
			t.Fatal("the model received no request")
		}
		if names := toolNames(reqs[0].JSON()); !slices.Contains(names, mcpTool("file_write")) {
			t.Fatalf("an agent that contributes to scratch is not offered %s: %v", mcpTool("file_write"), names)
		}
		results := toolResults(reqs)
		if !slices.ContainsFunc(results, func(s string) bool { return strings.Contains(s, "refused (forbidden)") }) {
			t.Errorf("the model was not told Warden refused the write; tool results: %q", results)
		}
		t.Logf("the model was told: %q", results)
		unchanged(t)
		ws := st.mcpEvents(t, "file.write", "mixed")
		if len(ws) != 1 {
			t.Fatalf("%d file.write events by mixed over MCP, want 1: %+v", len(ws), ws)
		}
		if e := ws[0]; e.Workspace != "notes" || e.Target != "plan.md" || e.Decision.Effect != "deny" || e.Decision.Rule != "rbac.viewer" {
			t.Errorf("file.write event: workspace %q target %q %s by %s, want notes plan.md deny by rbac.viewer", e.Workspace, e.Target, e.Decision.Effect, e.Decision.Rule)
		}
	})
}
