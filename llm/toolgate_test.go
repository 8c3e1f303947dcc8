package llm_test

import (
	"context"
	"strings"
	"testing"

	"github.com/wardenhq/warden/apiv1"
	"github.com/wardenhq/warden/client"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/llmtest"
)

// gateReply is what a client got back from one protocol: its text and the
// tool calls that reached it.
type gateReply struct {
	text   string
	tools  []string
	finish string
}

type gateCase struct {
	name string
	run  func(t *testing.T, e *protoEnv) gateReply
}

var gateCases = []gateCase{
	{"openai chat", func(t *testing.T, e *protoEnv) gateReply {
		oc := e.openai("fake")
		res, err := oc.Chat.Completions.New(context.Background(), protoChatParams("go"))
		if err != nil {
			t.Fatal(err)
		}
		m := res.Choices[0].Message
		r := gateReply{text: m.Content, finish: res.Choices[0].FinishReason}
		for _, tc := range m.ToolCalls {
			r.tools = append(r.tools, tc.Function.Name)
		}
		return r
	}},
	{"openai chat streamed", func(t *testing.T, e *protoEnv) gateReply {
		res := chatStream(t, e.openai("fake"), protoChatParams("go"))
		m := res.Choices[0].Message
		r := gateReply{text: m.Content, finish: res.Choices[0].FinishReason}
		for _, tc := range m.ToolCalls {
			r.tools = append(r.tools, tc.Function.Name)
		}
		return r
	}},
	{"openai responses", func(t *testing.T, e *protoEnv) gateReply {
		oc := e.openai("fake")
		res, err := oc.Responses.New(context.Background(), protoResponsesParams("go"))
		if err != nil {
			t.Fatal(err)
		}
		r := gateReply{text: res.OutputText()}
		for _, it := range res.Output {
			if it.Type == "function_call" {
				r.tools = append(r.tools, it.AsFunctionCall().Name)
			}
		}
		return r
	}},
	{"openai responses streamed", func(t *testing.T, e *protoEnv) gateReply {
		s := responsesStream(t, e.openai("fake"), protoResponsesParams("go"))
		// What the client saw streamed must agree with the final response.
		r := gateReply{text: s.completed.OutputText()}
		if s.deltas != r.text {
			t.Errorf("streamed text %q, final text %q", s.deltas, r.text)
		}
		if s.argDeltas != "" && len(s.completed.Output) > 0 && s.completed.Output[0].Type != "function_call" {
			t.Errorf("arguments of a blocked call were streamed: %q", s.argDeltas)
		}
		for _, it := range s.completed.Output {
			if it.Type == "function_call" {
				r.tools = append(r.tools, it.AsFunctionCall().Name)
			}
		}
		return r
	}},
	{"anthropic", func(t *testing.T, e *protoEnv) gateReply {
		ac := e.anthropic("fakeant")
		msg, err := ac.Messages.New(context.Background(), protoMessageParams("go"))
		if err != nil {
			t.Fatal(err)
		}
		r := gateReply{text: messageText(msg), finish: string(msg.StopReason)}
		for _, c := range msg.Content {
			if c.Type == "tool_use" {
				r.tools = append(r.tools, c.Name)
			}
		}
		return r
	}},
	{"anthropic streamed", func(t *testing.T, e *protoEnv) gateReply {
		msg := messageStream(t, e.anthropic("fakeant"), protoMessageParams("go"))
		r := gateReply{text: messageText(&msg), finish: string(msg.StopReason)}
		for _, c := range msg.Content {
			if c.Type == "tool_use" {
				r.tools = append(r.tools, c.Name)
			}
		}
		return r
	}},
}

func gateStart(t *testing.T) *protoEnv {
	return protoStart(t, func(c *config.Config) {
		c.Profiles = map[string]config.Profile{"default": {Tools: &config.ToolPolicy{
			Allow: []string{"read"}, Ask: []string{"message"}, Deny: []string{"exec"},
			Rules: []config.ToolRule{{When: `tool == "write" && params.path.startsWith("/etc/")`, Decision: "deny", Reason: "system files are off limits"}},
		}}}
	})
}

func wantStopped(t *testing.T, name string, r gateReply, phrases ...string) {
	t.Helper()
	if len(r.tools) != 0 {
		t.Errorf("%s: tool calls %v reached the client", name, r.tools)
	}
	if !strings.HasPrefix(r.text, "[Warden policy] ") {
		t.Errorf("%s: text %q does not start with the policy prefix", name, r.text)
	}
	for _, p := range phrases {
		if !strings.Contains(r.text, p) {
			t.Errorf("%s: text %q does not contain %q", name, r.text, p)
		}
	}
	if r.finish == "tool_calls" || r.finish == "tool_use" {
		t.Errorf("%s: finish reason %q promises a tool call that is not there", name, r.finish)
	}
}

func TestToolGateReplacesDeniedCallsInEveryProtocol(t *testing.T) {
	e := gateStart(t)
	for _, tc := range []struct {
		name, tool, args string
		phrases          []string
	}{
		{"deny list", "exec", `{"command":"rm -rf /"}`, []string{"exec", "profiles.default.tools.deny"}},
		{"rule on the arguments", "write", `{"path":"/etc/passwd","content":"x"}`, []string{"profiles.default.tools.rules[0]", "system files are off limits"}},
		{"bridge tool unwrapped", "tool_call", `{"id":"exec","args":{"command":"ls"}}`, []string{"exec", "profiles.default.tools.deny"}},
	} {
		for _, pc := range gateCases {
			t.Run(tc.name+"/"+pc.name, func(t *testing.T) {
				e.fake.Tool = &llmtest.ToolCall{Name: tc.tool, Arguments: tc.args}
				e.fake.ChunkSize = 5
				wantStopped(t, pc.name, pc.run(t, e), tc.phrases...)
			})
		}
	}
}

func TestToolGateLetsAllowedCallsThrough(t *testing.T) {
	e := gateStart(t)
	for _, tc := range []struct{ tool, args string }{
		{"read", `{"path":"notes.md"}`},
		{"write", `{"path":"notes.md","content":"x"}`}, // the rule does not match; write is unlisted
	} {
		for _, pc := range gateCases {
			t.Run(tc.tool+"/"+pc.name, func(t *testing.T) {
				e.fake.Tool = &llmtest.ToolCall{Name: tc.tool, Arguments: tc.args}
				r := pc.run(t, e)
				if tc.tool == "write" {
					// write is unlisted, so the profile asks; without a
					// plugin that stops the call with a note.
					wantStopped(t, pc.name, r, "needs a human approval")
					return
				}
				if len(r.tools) != 1 || r.tools[0] != tc.tool {
					t.Fatalf("%s: tool calls %v, want [%s]", pc.name, r.tools, tc.tool)
				}
			})
		}
	}
}

// An ask without a live plugin stops the call with a note naming a real
// approval; once a human approves, the same call passes once; with a plugin
// registered, the model plane leaves the ask to the plugin.
func TestToolGateAskNeedsApprovalUnlessPluginIsLive(t *testing.T) {
	e := gateStart(t)
	e.fake.Tool = &llmtest.ToolCall{Name: "message", Arguments: `{"to":"ops","text":"deploy done"}`}
	chat := gateCases[0]

	r := chat.run(t, e)
	wantStopped(t, "first ask", r, "needs a human approval", "profiles.default.tools.ask")
	pending, err := e.s.Admin.Approvals(context.Background(), "pending", 0)
	if err != nil || len(pending) != 1 || pending[0].Tool != "message" || pending[0].Agent != "bot" {
		t.Fatalf("pending approvals = %+v, %v; want one for bot's message", pending, err)
	}
	id := pending[0].ID
	if !strings.Contains(r.text, id) {
		t.Errorf("note %q does not name approval %s", r.text, id)
	}
	// Asking again while pending reuses the approval.
	wantStopped(t, "second ask", chat.run(t, e), id)

	if _, err := e.s.Admin.Approve(context.Background(), id, "fine", false); err != nil {
		t.Fatal(err)
	}
	if r := chat.run(t, e); len(r.tools) != 1 || r.tools[0] != "message" {
		t.Fatalf("after approval: tool calls %v (text %q), want the approved call", r.tools, r.text)
	}
	// Used up: the next identical call asks again, with a new approval.
	r = chat.run(t, e)
	wantStopped(t, "after use", r, "needs a human approval")
	if strings.Contains(r.text, id) {
		t.Errorf("a used approval was offered again: %q", r.text)
	}

	// With the plugin registered, the call goes to the agent, whose plugin
	// will ask before it runs.
	agent := e.s.Client(e.token)
	if _, err := agent.RegisterPlugin(context.Background(), apiv1.PluginRegistration{Plugin: "warden-openclaw", Version: "test"}); err != nil {
		t.Fatal(err)
	}
	for _, pc := range gateCases {
		if r := pc.run(t, e); len(r.tools) != 1 {
			t.Errorf("%s with a live plugin: tool calls %v (text %q), want the call passed to the plugin", pc.name, r.tools, r.text)
		}
	}

	evs, err := e.s.Admin.Audit(context.Background(), client.AuditQuery{Action: "tool.decide", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	deferred := 0
	for _, ev := range evs.Events {
		if ev.Details["source"] != "model" {
			t.Errorf("tool.decide from source %v, want model", ev.Details["source"])
		}
		if ev.Details["deferred_to_plugin"] == true {
			deferred++
		}
	}
	if deferred != len(gateCases) {
		t.Errorf("%d decisions deferred to the plugin, want %d", deferred, len(gateCases))
	}
}
