//go:build unix

// Package e2e runs the real OpenClaw agent (the pinned npm release, see
// README.md) against Warden's model plane: one `openclaw agent --local` turn
// per test, through an in-process Warden to a fake provider.
package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wardenhq/warden/apiv1"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/llmtest"
	"github.com/wardenhq/warden/wardentest"
)

// turnTimeout bounds one OpenClaw run; a start alone costs 10-15 s.
const turnTimeout = 120 * time.Second

// modelID is the model OpenClaw is told to use.
const modelID = "fake-model"

// The PII in the user's message, and what must never reach the provider.
const (
	email  = "jane.doe@acme-corp.com"
	card   = "4539 1488 0343 6467"
	person = "Margaret Thompson"
)

// piiMessage is the user's prompt.
var piiMessage = "Please draft a short reply to " + email + " confirming that the card " + card +
	" was charged.\n\nRegards, " + person

// openclaw is where the test finds the agent.
type openclaw struct{ bin, nodeDir string }

func needOpenClaw(t *testing.T) openclaw {
	t.Helper()
	oc := openclaw{bin: os.Getenv("WARDEN_OPENCLAW_BIN"), nodeDir: os.Getenv("WARDEN_OPENCLAW_NODE_DIR")}
	if oc.bin == "" || oc.nodeDir == "" {
		t.Skip("needs the real OpenClaw: run integrations/openclaw/e2e/setup.sh, then set WARDEN_OPENCLAW_BIN=<its last line> WARDEN_OPENCLAW_NODE_DIR=<cache>/node/bin")
	}
	for _, p := range []string{oc.bin, filepath.Join(oc.nodeDir, "node")} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("WARDEN_OPENCLAW_BIN / WARDEN_OPENCLAW_NODE_DIR: %v", err)
		}
	}
	return oc
}

// stack is a fake provider behind an in-process Warden, with one agent.
type stack struct {
	fake        *llmtest.Fake
	warden      *wardentest.Server
	token       string // the agent's Warden token
	providerKey string // the key Warden holds for the fake
}

// startStack starts a fake provider and a Warden that reaches it as "fake"
// (openai) and "fakeant" (anthropic).
func startStack(t *testing.T, opts ...wardentest.Option) *stack {
	t.Helper()
	st := &stack{fake: llmtest.Start(t), providerKey: "sk-provider-" + randomHex(12)}
	st.fake.Reply = echoUserPlaceholders
	keyFile := filepath.Join(t.TempDir(), "provider.key")
	if err := os.WriteFile(keyFile, []byte(st.providerKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	providers := func(c *config.Config) {
		c.Providers = map[string]config.Provider{
			"fake":    {Protocol: "openai", BaseURL: st.fake.URL + "/v1", APIKeyFile: keyFile},
			"fakeant": {Protocol: "anthropic", BaseURL: st.fake.URL, APIKeyFile: keyFile},
		}
	}
	st.warden = wardentest.Start(t, append([]wardentest.Option{providers}, opts...)...)
	st.token = st.warden.Agent("openclaw-e2e")
	return st
}

// echoUserPlaceholders answers with the placeholders in the user's
// messages (not the system prompt), in order of first appearance.
func echoUserPlaceholders(req map[string]any) string {
	msgs, _ := req["messages"].([]any)
	var seen []string
	for _, m := range msgs {
		if mm, _ := m.(map[string]any); mm["role"] != "user" {
			continue
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.Encode(m)
		for _, p := range llmtest.Placeholder.FindAllString(buf.String(), -1) {
			if !slices.Contains(seen, p) {
				seen = append(seen, p)
			}
		}
	}
	if len(seen) == 0 {
		return "I saw no placeholders."
	}
	return "I saw: " + strings.Join(seen, " ")
}

// provider is OpenClaw's models.providers.warden entry.
func (st *stack) provider(api string) map[string]any {
	base := st.warden.URL + "/llm/fake/v1"
	if api == "anthropic-messages" {
		base = st.warden.URL + "/llm/fakeant"
	}
	return map[string]any{
		"baseUrl": base,
		"apiKey":  st.token,
		"api":     api,
		"models":  []any{map[string]any{"id": modelID, "name": "Fake model via Warden"}},
	}
}

// turn is one finished OpenClaw run.
type turn struct {
	session        string
	dir            string // the run's folder: state, home, config
	stdout, stderr string
	exit           int
	took           time.Duration
}

func (r turn) String() string {
	return fmt.Sprintf("openclaw exit %d after %s\n--- stdout ---\n%s\n--- stderr ---\n%s", r.exit, r.took.Round(time.Millisecond), r.stdout, r.stderr)
}

// run runs one `openclaw agent --local` turn with a fresh session key in
// a state folder of its own, with Warden (api: openai-completions or
// anthropic-messages) as its only model provider. OpenClaw's output is
// logged if the test fails.
func (oc openclaw) run(t *testing.T, st *stack, api, message string) turn {
	t.Helper()
	return oc.runWith(t, st, api, message, nil, nil)
}

// runWith is run with more top-level OpenClaw config (plugins, say) and
// more environment variables.
func (oc openclaw) runWith(t *testing.T, st *stack, api, message string, extra map[string]any, env []string) turn {
	t.Helper()
	provider := st.provider(api)
	dir := t.TempDir()
	state, home := filepath.Join(dir, "state"), filepath.Join(dir, "home")
	for _, d := range []string{state, home} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	cfg := map[string]any{
		"models": map[string]any{"providers": map[string]any{"warden": provider}},
		"agents": map[string]any{"defaults": map[string]any{"model": map[string]any{"primary": "warden/" + modelID}}},
	}
	maps.Copy(cfg, extra)
	cfgPath := filepath.Join(dir, "openclaw.json")
	b, _ := json.MarshalIndent(cfg, "", "  ")
	if err := os.WriteFile(cfgPath, b, 0o600); err != nil {
		t.Fatal(err)
	}

	r := turn{session: "agent:main:e2e-" + randomHex(8), dir: dir}
	ctx, cancel := context.WithTimeout(t.Context(), turnTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, oc.bin, "agent", "--local", "--agent", "main", "--session-key", r.session, "--message", message)
	cmd.Dir = dir
	cmd.Env = append(cleanEnv(),
		"PATH="+oc.nodeDir+string(os.PathListSeparator)+os.Getenv("PATH"),
		"HOME="+home,
		"OPENCLAW_STATE_DIR="+state,
		"OPENCLAW_CONFIG_PATH="+cfgPath,
		"NO_COLOR=1",
	)
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// OpenClaw may start children: end the whole process group we made.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	err := cmd.Run()
	r.took = time.Since(start)
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // stragglers of our group, if any
	}
	r.stdout, r.stderr = stdout.String(), stderr.String()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		r.exit = exit.ExitCode()
	default:
		t.Fatalf("run openclaw: %v\n%s", err, r)
	}
	if ctx.Err() != nil {
		describeRequests(t, st.fake.Requests())
		for _, e := range st.llmCalls(t) {
			t.Logf("llm.call seq=%d decision=%s details=%v", e.Seq, e.Decision.Effect, e.Details)
		}
		t.Fatalf("openclaw did not finish within %s\n%s", turnTimeout, r)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("session %s\n%s", r.session, r)
		}
	})
	t.Logf("openclaw turn %s: exit %d in %s; stdout:\n%s", r.session, r.exit, r.took.Round(time.Millisecond), r.stdout)
	return r
}

// cleanEnv is this process's environment without what would make OpenClaw
// use anything but the config the test writes: provider keys, proxies, its
// own variables, and HOME and PATH (set by the caller).
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		u := strings.ToUpper(k)
		switch {
		case u == "HOME" || u == "PATH",
			strings.HasPrefix(u, "OPENCLAW_"),
			strings.HasSuffix(u, "_API_KEY"),
			strings.HasSuffix(u, "_PROXY"):
			continue
		}
		env = append(env, kv)
	}
	return env
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// llmCalls returns Warden's llm.call audit events.
func (st *stack) llmCalls(t *testing.T) []apiv1.Event {
	t.Helper()
	resp := st.warden.Do("GET", "/api/v1/audit?action=llm.call&limit=1000", st.warden.AdminToken, nil)
	if resp.Status != 200 {
		t.Fatalf("audit query: %d %s", resp.Status, resp.Body)
	}
	var evs apiv1.Events
	if err := json.Unmarshal(resp.Body, &evs); err != nil {
		t.Fatalf("audit query: %v: %s", err, resp.Body)
	}
	return evs.Events
}

// describeRequests logs what OpenClaw sent through Warden, for the record.
func describeRequests(t *testing.T, reqs []llmtest.Request) {
	t.Helper()
	for i, r := range reqs {
		var hdrs []string
		for k := range r.Header {
			hdrs = append(hdrs, k)
		}
		slices.Sort(hdrs)
		body := r.JSON()
		var keys []string
		for k := range body {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		var roles []string
		if msgs, ok := body["messages"].([]any); ok {
			for _, m := range msgs {
				mm, _ := m.(map[string]any)
				roles = append(roles, fmt.Sprint(mm["role"]))
			}
		}
		t.Logf("request %d: %s %s (%d bytes)\n  headers: %s\n  body keys: %s\n  stream=%v stream_options=%v model=%v roles=%v\n  placeholders: %v",
			i+1, r.Method, r.Path, len(r.Body), strings.Join(hdrs, ", "), strings.Join(keys, ", "),
			body["stream"], body["stream_options"], body["model"], roles, placeholdersIn(r))
	}
}

// placeholdersIn returns the distinct placeholders in a request, in order.
func placeholdersIn(r llmtest.Request) []string {
	var out []string
	for _, p := range llmtest.Placeholder.FindAllString(r.Text(), -1) {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// userText is the text of the request's user messages, as the provider
// reads it.
func userText(r llmtest.Request) string {
	msgs, _ := r.JSON()["messages"].([]any)
	var b strings.Builder
	for _, m := range msgs {
		if mm, _ := m.(map[string]any); mm["role"] == "user" {
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(false)
			enc.Encode(m)
		}
	}
	return b.String()
}

// TestOpenClawPIIIsRedactedAndRestored: the provider sees placeholders and
// Warden's key, OpenClaw's user sees the real values, and the audit event
// names OpenClaw's session.
func TestOpenClawPIIIsRedactedAndRestored(t *testing.T) {
	oc := needOpenClaw(t)
	t.Parallel()
	st := startStack(t)
	r := oc.run(t, st, "openai-completions", piiMessage)
	reqs := st.fake.Requests()
	describeRequests(t, reqs)
	if r.exit != 0 {
		t.Fatalf("openclaw exit %d, want 0", r.exit)
	}
	if len(reqs) == 0 {
		t.Fatal("the provider received no request")
	}

	t.Run("provider never sees the values", func(t *testing.T) {
		for _, v := range []string{email, card, strings.ReplaceAll(card, " ", ""), person, "Thompson"} {
			if st.fake.Seen(v) {
				t.Errorf("the provider saw %q", v)
			}
		}
		user := userText(reqs[0])
		for _, typ := range []string{"EMAIL", "CREDIT_CARD", "PERSON"} {
			if !strings.Contains(user, "<"+typ+"_") {
				t.Errorf("no <%s_n> placeholder in the user's message as the provider read it:\n%s", typ, user)
			}
		}
	})

	t.Run("provider sees Warden's key, never the agent's token", func(t *testing.T) {
		for i, req := range reqs {
			if got, want := req.Header.Get("Authorization"), "Bearer "+st.providerKey; got != want {
				t.Errorf("request %d: Authorization %q, want %q", i+1, got, want)
			}
		}
		if st.fake.Seen(st.token) {
			t.Error("the provider saw the agent's Warden token")
		}
	})

	t.Run("OpenClaw streams chat completions", func(t *testing.T) {
		for i, req := range reqs {
			body := req.JSON()
			if req.Path != "/v1/chat/completions" {
				t.Errorf("request %d: path %s, want /v1/chat/completions", i+1, req.Path)
			}
			if body["stream"] != true {
				t.Errorf("request %d: stream = %v, want true", i+1, body["stream"])
			}
			if so, _ := body["stream_options"].(map[string]any); so["include_usage"] != true {
				t.Errorf("request %d: stream_options = %v, want include_usage", i+1, body["stream_options"])
			}
			if body["model"] != modelID {
				t.Errorf("request %d: model = %v, want %s", i+1, body["model"], modelID)
			}
		}
	})

	t.Run("user sees the values restored", func(t *testing.T) {
		if !strings.Contains(r.stdout, "I saw: ") {
			t.Fatalf("the fake's reply is not in OpenClaw's output")
		}
		for _, v := range []string{email, card, person} {
			if !strings.Contains(r.stdout, v) {
				t.Errorf("OpenClaw's answer lacks %q", v)
			}
		}
		if m := llmtest.Placeholder.FindString(r.stdout); m != "" {
			t.Errorf("OpenClaw's answer still holds placeholder %s", m)
		}
	})

	t.Run("audit names the OpenClaw session", func(t *testing.T) {
		evs := st.llmCalls(t)
		if len(evs) != len(reqs) {
			t.Errorf("%d llm.call events for %d provider requests", len(evs), len(reqs))
		}
		var found bool
		for _, e := range evs {
			t.Logf("llm.call seq=%d principal=%s target=%s decision=%s details=%v", e.Seq, e.Principal, e.Target, e.Decision.Effect, e.Details)
			if e.Details["session"] != r.session {
				continue
			}
			found = true
			if e.Principal != "openclaw-e2e" || e.Target != "fake/"+modelID || e.Details["stream"] != true {
				t.Errorf("event %d: principal %q target %q stream %v", e.Seq, e.Principal, e.Target, e.Details["stream"])
			}
			red, _ := e.Details["redacted"].(map[string]any)
			for _, typ := range []string{"email", "credit_card", "person"} {
				if n, _ := red[typ].(float64); n < 1 {
					t.Errorf("event %d: redacted %v, want %s counted", e.Seq, e.Details["redacted"], typ)
				}
			}
			for _, v := range []string{email, card, person} {
				if b, _ := json.Marshal(e); bytes.Contains(b, []byte(v)) {
					t.Errorf("event %d holds %q", e.Seq, v)
				}
			}
		}
		if !found {
			t.Errorf("no llm.call event with details.session = %q", r.session)
		}
	})
}

// TestOpenClawShowsWardensDLPRefusal: a blocked prompt never reaches the
// provider, and OpenClaw shows Warden's refusal as the answer and exits 0.
func TestOpenClawShowsWardensDLPRefusal(t *testing.T) {
	oc := needOpenClaw(t)
	t.Parallel()
	st := startStack(t, func(c *config.Config) { c.LLM.DLP.Actions = map[string]string{"credit_card": "block"} })
	r := oc.run(t, st, "openai-completions", piiMessage)
	const refusal = "Warden blocked this request: the request contained a payment card number, which policy does not allow to be sent to a model provider. Remove it and try again."
	if r.exit != 0 {
		t.Errorf("openclaw exit %d, want 0", r.exit)
	}
	if !strings.Contains(r.stdout, refusal) {
		t.Errorf("OpenClaw's output lacks Warden's refusal %q", refusal)
	}
	if n := len(st.fake.Requests()); n != 0 {
		t.Errorf("the provider received %d requests, want none", n)
	}
	evs := st.llmCalls(t)
	var found bool
	for _, e := range evs {
		t.Logf("llm.call seq=%d decision=%s rule=%s details=%v", e.Seq, e.Decision.Effect, e.Decision.Rule, e.Details)
		if e.Details["session"] == r.session && e.Decision.Effect == "deny" && e.Decision.Rule == "llm.dlp" {
			found = true
		}
	}
	if !found {
		t.Errorf("no denied llm.call event (rule llm.dlp) with details.session = %q", r.session)
	}
}

// TestOpenClawAnthropicMessagesRestored: the same round trip over the
// Anthropic Messages API.
func TestOpenClawAnthropicMessagesRestored(t *testing.T) {
	oc := needOpenClaw(t)
	t.Parallel()
	st := startStack(t)
	r := oc.run(t, st, "anthropic-messages", piiMessage)
	reqs := st.fake.Requests()
	describeRequests(t, reqs)
	if r.exit != 0 {
		t.Fatalf("openclaw exit %d, want 0", r.exit)
	}
	if len(reqs) == 0 {
		t.Fatal("the provider received no request")
	}
	for i, req := range reqs {
		if req.Path != "/v1/messages" {
			t.Errorf("request %d: path %s, want /v1/messages", i+1, req.Path)
		}
		if got := req.Header.Get("X-Api-Key"); got != st.providerKey {
			t.Errorf("request %d: x-api-key %q, want Warden's provider key", i+1, got)
		}
		if req.JSON()["stream"] != true {
			t.Errorf("request %d: stream = %v, want true", i+1, req.JSON()["stream"])
		}
	}
	for _, v := range []string{email, card, strings.ReplaceAll(card, " ", ""), person, st.token} {
		if st.fake.Seen(v) {
			t.Errorf("the provider saw %q", v)
		}
	}
	for _, v := range []string{email, card, person} {
		if !strings.Contains(r.stdout, v) {
			t.Errorf("OpenClaw's answer lacks %q", v)
		}
	}
	var found bool
	for _, e := range st.llmCalls(t) {
		if e.Details["session"] == r.session && e.Target == "fakeant/"+modelID {
			found = true
		}
	}
	if !found {
		t.Errorf("no llm.call event for fakeant with details.session = %q", r.session)
	}
}
