package llm_test

// Protocol tests of the model plane: the official OpenAI and Anthropic Go
// SDKs talk to a real Warden over HTTP, exactly as an agent would, with the
// llmtest fake as the provider behind it. They check what each side sees:
// the provider never the sensitive values nor the agent's token, the agent
// its values back (streamed too) and nothing the output filter holds back,
// and errors in each provider's own shape.

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go"
	aoption "github.com/anthropics/anthropic-sdk-go/option"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/dlp"
	"github.com/wardenhq/warden/llmtest"
	"github.com/wardenhq/warden/wardentest"
)

// protoKey is the provider key Warden holds.
const protoKey = "sk-proto-upstream-5c1e2d9a7b"

// The sensitive values of the test prompt. The email is on a real-looking
// domain: documentation domains (example.com) are not treated as personal.
const (
	protoEmail = "margaret.thompson@northwind-mail.com"
	protoPhone = "+1 (415) 555-0132"
	protoCard  = "4539 1488 0343 6467"
	protoSSN   = "536-22-8765"
	protoName  = "Margaret Thompson"
	protoAWS   = "AKIAZ4TRWQ6PLM2KX7BN"
)

var protoPrompt = "Please email " + protoEmail + " or call " + protoPhone + ". My card is " + protoCard +
	" and SSN " + protoSSN + ". Use key " + protoAWS + ".\n\nRegards, " + protoName

// protoRedacted maps each value of protoPrompt to the placeholder the
// provider must see instead.
var protoRedacted = []struct{ value, placeholder string }{
	{protoEmail, "<EMAIL_1>"},
	{protoPhone, "<PHONE_1>"},
	{protoCard, "<CREDIT_CARD_1>"},
	{protoSSN, "<SSN_1>"},
	{protoName, "<PERSON_1>"},
	{protoAWS, "<SECRET_1>"},
}

// protoRestore replaces protoPrompt's placeholders with their values, as
// Warden must before the agent sees a reply.
func protoRestore(s string) string {
	var pairs []string
	for _, r := range protoRedacted {
		pairs = append(pairs, r.placeholder, r.value)
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

// protoWatchdog only turns a hang into a failure; nothing is asserted about
// how long anything takes.
const protoWatchdog = 60 * time.Second

type protoEnv struct {
	s     *wardentest.Server
	fake  *llmtest.Fake
	token string
}

// protoStart starts the fake provider and a Warden with two providers on
// it: "fake" (OpenAI) and "fakeant" (Anthropic), and an agent "bot".
func protoStart(t *testing.T, opts ...wardentest.Option) *protoEnv {
	t.Helper()
	fake := llmtest.Start(t)
	keyFile := filepath.Join(t.TempDir(), "provider.key")
	if err := os.WriteFile(keyFile, []byte(protoKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := func(c *config.Config) {
		c.Providers = map[string]config.Provider{
			"fake":    {Protocol: "openai", BaseURL: fake.URL + "/v1", APIKeyFile: keyFile},
			"fakeant": {Protocol: "anthropic", BaseURL: fake.URL, APIKeyFile: keyFile},
		}
		// These tests are about the protocols: the tool plane lets every
		// call through (toolgate_test.go covers what it blocks).
		c.Profiles = map[string]config.Profile{"default": {Tools: &config.ToolPolicy{Allow: []string{"*"}}}}
	}
	s := wardentest.Start(t, append([]wardentest.Option{base}, opts...)...)
	return &protoEnv{s: s, fake: fake, token: s.Agent("bot")}
}

// openai returns an OpenAI client pointed at provider through Warden.
func (e *protoEnv) openai(provider string) openai.Client {
	return openai.NewClient(
		option.WithBaseURL(e.s.URL+"/llm/"+provider+"/v1"),
		option.WithAPIKey(e.token),
		option.WithMaxRetries(0),
	)
}

// anthropic returns an Anthropic client pointed at provider through
// Warden; the token goes as x-api-key, the SDK's default.
func (e *protoEnv) anthropic(provider string) anthropic.Client {
	return anthropic.NewClient(
		aoption.WithoutEnvironmentDefaults(),
		aoption.WithBaseURL(e.s.URL+"/llm/"+provider),
		aoption.WithAPIKey(e.token),
		aoption.WithMaxRetries(0),
	)
}

// checkUpstream checks every request the provider received: the provider
// key in the protocol's header, never the agent's token, never a value of
// protoPrompt, and the placeholders in the last one.
func (e *protoEnv) checkUpstream(t *testing.T, protocol string) {
	t.Helper()
	reqs := e.fake.Requests()
	if len(reqs) == 0 {
		t.Fatal("the provider received no request")
	}
	for i, r := range reqs {
		switch protocol {
		case "anthropic":
			if got := r.Header.Get("X-Api-Key"); got != protoKey {
				t.Errorf("request %d: upstream x-api-key = %q, want the provider key", i, got)
			}
			if got := r.Header.Get("Authorization"); got != "" {
				t.Errorf("request %d: upstream Authorization = %q, want none", i, got)
			}
			if got := r.Header.Get("Anthropic-Version"); got == "" {
				t.Errorf("request %d: no anthropic-version upstream", i)
			}
		default:
			if got := r.Header.Get("Authorization"); got != "Bearer "+protoKey {
				t.Errorf("request %d: upstream Authorization = %q, want Bearer <provider key>", i, got)
			}
			if got := r.Header.Get("X-Api-Key"); got != "" {
				t.Errorf("request %d: upstream x-api-key = %q, want none", i, got)
			}
		}
	}
	if e.fake.Seen(e.token) {
		t.Error("the provider saw the agent's Warden token")
	}
	for _, r := range protoRedacted {
		if e.fake.Seen(r.value) {
			t.Errorf("the provider saw the value %q", r.value)
		}
	}
	last := reqs[len(reqs)-1].Text()
	for _, r := range protoRedacted {
		if !strings.Contains(last, r.placeholder) {
			t.Errorf("the provider did not see the placeholder %s; body: %s", r.placeholder, last)
		}
	}
}

// protoWantReply is the restored echo of the placeholders the provider saw.
func (e *protoEnv) protoWantReply(t *testing.T) string {
	t.Helper()
	want := protoRestore(llmtest.EchoPlaceholders(e.fake.Last(t).JSON()))
	for _, r := range protoRedacted {
		if !strings.Contains(want, r.value) {
			t.Fatalf("expected reply %q lacks %q: the provider did not see %s", want, r.value, r.placeholder)
		}
	}
	return want
}

func wantNoPlaceholders(t *testing.T, what, s string) {
	t.Helper()
	if p := llmtest.Placeholder.FindString(s); p != "" {
		t.Errorf("%s still carries placeholder %s: %q", what, p, s)
	}
}

func protoChatParams(msgs ...string) openai.ChatCompletionNewParams {
	p := openai.ChatCompletionNewParams{Model: "gpt-fake"}
	for _, m := range msgs {
		p.Messages = append(p.Messages, openai.UserMessage(m))
	}
	return p
}

func protoResponsesParams(msgs ...string) responses.ResponseNewParams {
	p := responses.ResponseNewParams{Model: "gpt-fake"}
	if len(msgs) == 1 {
		p.Input = responses.ResponseNewParamsInputUnion{OfString: openai.String(msgs[0])}
		return p
	}
	var items responses.ResponseInputParam
	for _, m := range msgs {
		items = append(items, responses.ResponseInputItemParamOfMessage(m, responses.EasyInputMessageRoleUser))
	}
	p.Input = responses.ResponseNewParamsInputUnion{OfInputItemList: items}
	return p
}

func protoMessageParams(msgs ...string) anthropic.MessageNewParams {
	var blocks []anthropic.ContentBlockParamUnion
	for _, m := range msgs {
		blocks = append(blocks, anthropic.NewTextBlock(m))
	}
	return anthropic.MessageNewParams{
		Model: "claude-fake", MaxTokens: 256,
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(blocks...)},
	}
}

// chatStream runs a streamed chat completion and returns the accumulated
// completion.
func chatStream(t *testing.T, c openai.Client, p openai.ChatCompletionNewParams) openai.ChatCompletion {
	t.Helper()
	stream := c.Chat.Completions.NewStreaming(context.Background(), p)
	defer stream.Close()
	acc := openai.ChatCompletionAccumulator{}
	for stream.Next() {
		if !acc.AddChunk(stream.Current()) {
			t.Fatalf("the accumulator refused chunk %s", stream.Current().RawJSON())
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("chat stream: %v", err)
	}
	if len(acc.Choices) == 0 {
		t.Fatal("chat stream: no choices")
	}
	return acc.ChatCompletion
}

// responsesResult is what a streamed Responses call gave the client.
type responsesResult struct {
	deltas    string // response.output_text.delta, concatenated
	done      string // response.output_text.done text
	completed responses.Response
	argDeltas string // response.function_call_arguments.delta, concatenated
	argsDone  string // response.function_call_arguments.done arguments
	sawDone   bool
}

func responsesStream(t *testing.T, c openai.Client, p responses.ResponseNewParams) responsesResult {
	t.Helper()
	stream := c.Responses.NewStreaming(context.Background(), p)
	defer stream.Close()
	var r responsesResult
	completed := false
	for stream.Next() {
		ev := stream.Current()
		switch ev.Type {
		case "response.output_text.delta":
			r.deltas += ev.Delta
		case "response.output_text.done":
			r.done, r.sawDone = ev.Text, true
		case "response.function_call_arguments.delta":
			r.argDeltas += ev.Delta
		case "response.function_call_arguments.done":
			r.argsDone, r.sawDone = ev.Arguments, true
		case "response.completed":
			r.completed, completed = ev.Response, true
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("responses stream: %v", err)
	}
	if !completed {
		t.Fatal("responses stream: no response.completed event")
	}
	return r
}

// messageStream runs a streamed Anthropic message and returns the
// accumulated message.
func messageStream(t *testing.T, c anthropic.Client, p anthropic.MessageNewParams) anthropic.Message {
	t.Helper()
	stream := c.Messages.NewStreaming(context.Background(), p)
	defer stream.Close()
	var msg anthropic.Message
	for stream.Next() {
		if err := msg.Accumulate(stream.Current()); err != nil {
			t.Fatalf("accumulate %s: %v", stream.Current().RawJSON(), err)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("messages stream: %v", err)
	}
	return msg
}

func messageText(m *anthropic.Message) string {
	var b strings.Builder
	for _, c := range m.Content {
		if c.Type == "text" {
			b.WriteString(c.Text)
		}
	}
	return b.String()
}

// --- 1. OpenAI chat completions ---

func TestProtocolOpenAIChatRedactsAndRestores(t *testing.T) {
	e := protoStart(t)
	c := e.openai("fake")

	t.Run("not streamed", func(t *testing.T) {
		res, err := c.Chat.Completions.New(context.Background(), protoChatParams(protoPrompt))
		if err != nil {
			t.Fatal(err)
		}
		e.checkUpstream(t, "openai")
		want := e.protoWantReply(t)
		if got := res.Choices[0].Message.Content; got != want {
			t.Errorf("reply = %q, want %q", got, want)
		}
		if res.Usage.TotalTokens != llmtest.PromptTokens+llmtest.CompletionTokens {
			t.Errorf("usage total = %d, want the provider's", res.Usage.TotalTokens)
		}
	})
	for _, size := range []int{1, 2, 3, 7} {
		t.Run("streamed in pieces of "+strconv.Itoa(size), func(t *testing.T) {
			e.fake.ChunkSize = size
			got := chatStream(t, c, protoChatParams(protoPrompt))
			e.checkUpstream(t, "openai")
			want := e.protoWantReply(t)
			if got.Choices[0].Message.Content != want {
				t.Errorf("reply = %q, want %q", got.Choices[0].Message.Content, want)
			}
			if got.Choices[0].FinishReason != "stop" {
				t.Errorf("finish reason = %q, want stop", got.Choices[0].FinishReason)
			}
			// Warden asks the provider for usage (budgets need it) but
			// keeps the usage chunk from a client that did not ask.
			if got.Usage.TotalTokens != 0 {
				t.Errorf("the client got a usage chunk it did not ask for: %+v", got.Usage)
			}
		})
	}
	t.Run("streamed with include_usage", func(t *testing.T) {
		e.fake.ChunkSize = 3
		p := protoChatParams(protoPrompt)
		p.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
		got := chatStream(t, c, p)
		e.checkUpstream(t, "openai")
		if got.Choices[0].Message.Content != e.protoWantReply(t) {
			t.Errorf("reply = %q", got.Choices[0].Message.Content)
		}
		if got.Usage.TotalTokens != llmtest.PromptTokens+llmtest.CompletionTokens {
			t.Errorf("usage = %+v, want the provider's", got.Usage)
		}
	})
}

// --- 2. Streams are relayed as they arrive ---

func TestProtocolStreamRelaysBeforeUpstreamFinishes(t *testing.T) {
	e := protoStart(t)
	const reply = "The first words arrive now, and then <EMAIL_1> follows later in this reply."
	e.fake.Reply = func(map[string]any) string { return reply }
	want := protoRestore(reply)

	// Each reads a stream, reports on first when the first text reached
	// the client (and whether the gate had been released by then), and
	// returns all the text.
	type reader func(first chan<- bool, gate *llmtest.Gate) (string, error)
	cases := []struct {
		name string
		read reader
	}{
		{"openai chat", func(first chan<- bool, gate *llmtest.Gate) (string, error) {
			c := e.openai("fake")
			stream := c.Chat.Completions.NewStreaming(context.Background(), protoChatParams(protoPrompt))
			defer stream.Close()
			var text strings.Builder
			for stream.Next() {
				ch := stream.Current()
				if len(ch.Choices) > 0 && ch.Choices[0].Delta.Content != "" {
					if text.Len() == 0 {
						first <- gate.Released()
					}
					text.WriteString(ch.Choices[0].Delta.Content)
				}
			}
			return text.String(), stream.Err()
		}},
		{"openai responses", func(first chan<- bool, gate *llmtest.Gate) (string, error) {
			c := e.openai("fake")
			stream := c.Responses.NewStreaming(context.Background(), protoResponsesParams(protoPrompt))
			defer stream.Close()
			var text strings.Builder
			for stream.Next() {
				if ev := stream.Current(); ev.Type == "response.output_text.delta" && ev.Delta != "" {
					if text.Len() == 0 {
						first <- gate.Released()
					}
					text.WriteString(ev.Delta)
				}
			}
			return text.String(), stream.Err()
		}},
		{"anthropic messages", func(first chan<- bool, gate *llmtest.Gate) (string, error) {
			c := e.anthropic("fakeant")
			stream := c.Messages.NewStreaming(context.Background(), protoMessageParams(protoPrompt))
			defer stream.Close()
			var text strings.Builder
			for stream.Next() {
				if ev := stream.Current(); ev.Type == "content_block_delta" && ev.Delta.Text != "" {
					if text.Len() == 0 {
						first <- gate.Released()
					}
					text.WriteString(ev.Delta.Text)
				}
			}
			return text.String(), stream.Err()
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			gate := llmtest.NewGate(t, 4) // "The first wo", in pieces of 3
			e.fake.ChunkSize = 3
			e.fake.Gate = gate
			defer func() { e.fake.Gate = nil }()

			first := make(chan bool, 1)
			type result struct {
				text string
				err  error
			}
			done := make(chan result, 1)
			go func() {
				text, err := tc.read(first, gate)
				done <- result{text, err}
			}()
			select {
			case released := <-first:
				if released {
					t.Error("the first text reached the client only after the upstream was released")
				}
			case r := <-done:
				t.Fatalf("the stream ended before the upstream was released: %q, %v", r.text, r.err)
			case <-time.After(protoWatchdog):
				t.Error("no text reached the client while the upstream stream was held: Warden buffers the stream")
			}
			// The fake goes on to the gate (it may reach it just after the
			// client got the first words): the rest was really held back.
			select {
			case <-gate.Reached():
			case <-time.After(protoWatchdog):
				t.Error("the fake never held its stream at the gate")
			}
			gate.Release()
			r := <-done
			if r.err != nil {
				t.Fatal(r.err)
			}
			if r.text != want {
				t.Errorf("streamed text = %q, want %q", r.text, want)
			}
		})
	}
}

// An agent that hangs up mid-stream stops the upstream call too: Warden
// does not go on paying for a reply nobody reads.
func TestProtocolClientHangupCancelsUpstream(t *testing.T) {
	e := protoStart(t)
	e.fake.Reply = func(map[string]any) string { return "The first words arrive now, and the rest never does." }
	cases := []struct {
		name string
		open func(ctx context.Context) (next func() bool, text func() string, closeFn func() error)
	}{
		{"openai chat", func(ctx context.Context) (func() bool, func() string, func() error) {
			c := e.openai("fake")
			s := c.Chat.Completions.NewStreaming(ctx, protoChatParams("hello"))
			return s.Next, func() string {
				if ch := s.Current(); len(ch.Choices) > 0 {
					return ch.Choices[0].Delta.Content
				}
				return ""
			}, s.Close
		}},
		{"anthropic messages", func(ctx context.Context) (func() bool, func() string, func() error) {
			c := e.anthropic("fakeant")
			s := c.Messages.NewStreaming(ctx, protoMessageParams("hello"))
			return s.Next, func() string { return s.Current().Delta.Text }, s.Close
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			gate := llmtest.NewGate(t, 4)
			e.fake.ChunkSize = 3
			e.fake.Gate = gate
			defer func() { e.fake.Gate = nil }()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			next, text, closeFn := tc.open(ctx)
			got := false
			for !got && next() {
				got = text() != ""
			}
			if !got {
				t.Fatal("no text before the gate")
			}
			select {
			case <-gate.Reached():
			case <-time.After(protoWatchdog):
				t.Fatal("the fake never reached the gate")
			}
			cancel()
			closeFn()
			select {
			case <-gate.Abandoned():
			case <-time.After(protoWatchdog):
				t.Error("the upstream request was not cancelled after the client hung up")
			}
		})
	}
}

// --- 3. OpenAI Responses API ---

func TestProtocolOpenAIResponsesRedactsAndRestores(t *testing.T) {
	e := protoStart(t)
	c := e.openai("fake")

	t.Run("not streamed", func(t *testing.T) {
		res, err := c.Responses.New(context.Background(), protoResponsesParams(protoPrompt))
		if err != nil {
			t.Fatal(err)
		}
		e.checkUpstream(t, "openai")
		if got, want := res.OutputText(), e.protoWantReply(t); got != want {
			t.Errorf("output text = %q, want %q", got, want)
		}
	})
	for _, size := range []int{1, 2, 3, 7} {
		t.Run("streamed in pieces of "+strconv.Itoa(size), func(t *testing.T) {
			e.fake.ChunkSize = size
			r := responsesStream(t, c, protoResponsesParams(protoPrompt))
			e.checkUpstream(t, "openai")
			want := e.protoWantReply(t)
			if r.deltas != want {
				t.Errorf("output_text deltas = %q, want %q", r.deltas, want)
			}
			if !r.sawDone || r.done != want {
				t.Errorf("response.output_text.done text = %q (seen %v), want %q", r.done, r.sawDone, want)
			}
			if got := r.completed.OutputText(); got != want {
				t.Errorf("response.completed output text = %q, want %q", got, want)
			}
			if r.completed.Usage.TotalTokens != llmtest.PromptTokens+llmtest.CompletionTokens {
				t.Errorf("completed usage total = %d, want the provider's", r.completed.Usage.TotalTokens)
			}
		})
	}
}

// --- 4. Models ---

func TestProtocolOpenAIModelsList(t *testing.T) {
	e := protoStart(t)
	c := e.openai("fake")
	page, err := c.Models.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Data) != 1 || page.Data[0].ID != "fake-model" || page.Data[0].OwnedBy != "fake" {
		t.Errorf("models = %+v, want the fake's one model", page.Data)
	}
	last := e.fake.Last(t)
	if last.Method != "GET" || last.Path != "/v1/models" {
		t.Errorf("upstream request = %s %s, want GET /v1/models", last.Method, last.Path)
	}
	if got := last.Header.Get("Authorization"); got != "Bearer "+protoKey {
		t.Errorf("upstream Authorization = %q, want the provider key", got)
	}
	if e.fake.Seen(e.token) {
		t.Error("the provider saw the agent's token")
	}
}

// --- 5. Anthropic messages ---

func TestProtocolAnthropicMessagesRedactsAndRestores(t *testing.T) {
	e := protoStart(t)
	c := e.anthropic("fakeant")

	t.Run("not streamed", func(t *testing.T) {
		// What the SDK sends to Warden: the token as x-api-key.
		var sent http.Header
		spy := aoption.WithMiddleware(func(r *http.Request, next aoption.MiddlewareNext) (*http.Response, error) {
			sent = r.Header.Clone()
			return next(r)
		})
		msg, err := c.Messages.New(context.Background(), protoMessageParams(protoPrompt), spy)
		if err != nil {
			t.Fatal(err)
		}
		if sent.Get("X-Api-Key") != e.token || sent.Get("Authorization") != "" {
			t.Errorf("the SDK sent x-api-key %q and Authorization %q; want the token as x-api-key only", sent.Get("X-Api-Key"), sent.Get("Authorization"))
		}
		e.checkUpstream(t, "anthropic")
		if last := e.fake.Last(t); last.Path != "/v1/messages" {
			t.Errorf("upstream path = %s, want /v1/messages", last.Path)
		}
		if got, want := messageText(msg), e.protoWantReply(t); got != want {
			t.Errorf("reply = %q, want %q", got, want)
		}
		if msg.StopReason != "end_turn" {
			t.Errorf("stop reason = %q, want end_turn", msg.StopReason)
		}
	})
	for _, size := range []int{1, 2, 3, 7} {
		t.Run("streamed in pieces of "+strconv.Itoa(size), func(t *testing.T) {
			e.fake.ChunkSize = size
			msg := messageStream(t, c, protoMessageParams(protoPrompt))
			e.checkUpstream(t, "anthropic")
			if got, want := messageText(&msg), e.protoWantReply(t); got != want {
				t.Errorf("reply = %q, want %q", got, want)
			}
			if msg.StopReason != "end_turn" {
				t.Errorf("stop reason = %q, want end_turn", msg.StopReason)
			}
			if msg.Usage.OutputTokens != llmtest.CompletionTokens {
				t.Errorf("output tokens = %d, want the provider's", msg.Usage.OutputTokens)
			}
		})
	}
}

// --- 6. Tool calls ---

// The tool prompt is two messages, each redacted on its own; the URL's
// password holds a backslash, which a JSON string must escape.
const (
	protoToolURL     = "https://admin:pa\\ss@db.internal-corp.net/app"
	protoToolPrompt1 = "Write to " + protoEmail + " please.\n\nRegards, " + protoName
	protoToolPrompt2 = "open " + protoToolURL
	protoToolArgs    = `{"to":"<EMAIL_1>","body":"hi <PERSON_1>","url":"https://<URL_CREDENTIALS_1>@db.internal-corp.net/app"}`
)

// checkToolArgs checks arguments the client received.
func checkToolArgs(t *testing.T, args string) {
	t.Helper()
	if !json.Valid([]byte(args)) {
		t.Fatalf("tool arguments are not valid JSON: %s", args)
	}
	var got struct{ To, Body, URL string }
	if err := json.Unmarshal([]byte(args), &got); err != nil {
		t.Fatal(err)
	}
	if got.To != protoEmail || got.Body != "hi "+protoName || got.URL != protoToolURL {
		t.Errorf("tool arguments = %+v, want to=%q body=%q url=%q", got, protoEmail, "hi "+protoName, protoToolURL)
	}
	wantNoPlaceholders(t, "tool arguments", args)
}

func (e *protoEnv) checkToolUpstream(t *testing.T) {
	t.Helper()
	body := e.fake.Last(t).Text()
	for _, p := range []string{"<EMAIL_1>", "<PERSON_1>", "<URL_CREDENTIALS_1>"} {
		if !strings.Contains(body, p) {
			t.Fatalf("the provider did not see %s (the test's premise): %s", p, body)
		}
	}
	for _, v := range []string{protoEmail, protoName, "pa\\\\ss", "admin:pa"} {
		if e.fake.Seen(v) {
			t.Errorf("the provider saw %q", v)
		}
	}
}

func TestProtocolToolCallArgumentsRestored(t *testing.T) {
	e := protoStart(t)
	e.fake.Tool = &llmtest.ToolCall{Name: "send_email", Arguments: protoToolArgs}
	oc, ac := e.openai("fake"), e.anthropic("fakeant")

	cases := []struct {
		name string
		call func(t *testing.T) string // returns the arguments the client got
	}{
		{"openai chat", func(t *testing.T) string {
			res, err := oc.Chat.Completions.New(context.Background(), protoChatParams(protoToolPrompt1, protoToolPrompt2))
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Choices) == 0 || len(res.Choices[0].Message.ToolCalls) != 1 {
				t.Fatalf("no tool call in %s", res.RawJSON())
			}
			tc := res.Choices[0].Message.ToolCalls[0]
			if tc.Function.Name != "send_email" || res.Choices[0].FinishReason != "tool_calls" {
				t.Errorf("tool call %q, finish %q", tc.Function.Name, res.Choices[0].FinishReason)
			}
			return tc.Function.Arguments
		}},
		{"openai chat streamed", func(t *testing.T) string {
			res := chatStream(t, oc, protoChatParams(protoToolPrompt1, protoToolPrompt2))
			if len(res.Choices[0].Message.ToolCalls) != 1 {
				t.Fatalf("tool calls = %+v, want one", res.Choices[0].Message.ToolCalls)
			}
			tc := res.Choices[0].Message.ToolCalls[0]
			if tc.Function.Name != "send_email" || tc.ID != "call_1" {
				t.Errorf("tool call %q id %q", tc.Function.Name, tc.ID)
			}
			return tc.Function.Arguments
		}},
		{"openai responses", func(t *testing.T) string {
			res, err := oc.Responses.New(context.Background(), protoResponsesParams(protoToolPrompt1, protoToolPrompt2))
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Output) != 1 || res.Output[0].Type != "function_call" {
				t.Fatalf("output = %s, want one function_call", res.RawJSON())
			}
			fc := res.Output[0].AsFunctionCall()
			if fc.Name != "send_email" {
				t.Errorf("function call name %q", fc.Name)
			}
			return fc.Arguments
		}},
		{"openai responses streamed", func(t *testing.T) string {
			r := responsesStream(t, oc, protoResponsesParams(protoToolPrompt1, protoToolPrompt2))
			if r.argsDone != r.argDeltas {
				t.Errorf("function_call_arguments.done = %q, deltas = %q; want the same", r.argsDone, r.argDeltas)
			}
			checkToolArgs(t, r.argDeltas)
			if len(r.completed.Output) != 1 {
				t.Fatalf("completed output = %+v, want one item", r.completed.Output)
			}
			return r.completed.Output[0].AsFunctionCall().Arguments
		}},
		{"anthropic", func(t *testing.T) string {
			msg, err := ac.Messages.New(context.Background(), protoMessageParams(protoToolPrompt1, protoToolPrompt2))
			if err != nil {
				t.Fatal(err)
			}
			if len(msg.Content) != 1 || msg.Content[0].Type != "tool_use" || msg.Content[0].Name != "send_email" {
				t.Fatalf("content = %s, want one send_email tool_use", msg.RawJSON())
			}
			return string(msg.Content[0].Input)
		}},
		{"anthropic streamed", func(t *testing.T) string {
			msg := messageStream(t, ac, protoMessageParams(protoToolPrompt1, protoToolPrompt2))
			if len(msg.Content) != 1 || msg.Content[0].Type != "tool_use" || msg.Content[0].Name != "send_email" {
				t.Fatalf("content = %+v, want one send_email tool_use", msg.Content)
			}
			if msg.StopReason != "tool_use" {
				t.Errorf("stop reason = %q, want tool_use", msg.StopReason)
			}
			return string(msg.Content[0].Input)
		}},
	}
	for _, tc := range cases {
		sizes := []int{3}
		if strings.HasSuffix(tc.name, "streamed") {
			sizes = []int{1, 3, 7}
		}
		for _, size := range sizes {
			t.Run(tc.name+"/pieces of "+strconv.Itoa(size), func(t *testing.T) {
				e.fake.ChunkSize = size
				args := tc.call(t)
				e.checkToolUpstream(t)
				checkToolArgs(t, args)
			})
		}
	}
}

// --- 7. Output filtering ---

// protoReader sends one request in a protocol's shape and returns the text
// the client got.
type protoReader struct {
	name string
	read func(t *testing.T, e *protoEnv, msgs ...string) string
}

var protoReaders = []protoReader{
	{"openai chat", func(t *testing.T, e *protoEnv, msgs ...string) string {
		c := e.openai("fake")
		res, err := c.Chat.Completions.New(context.Background(), protoChatParams(msgs...))
		if err != nil {
			t.Fatal(err)
		}
		return res.Choices[0].Message.Content
	}},
	{"openai chat streamed", func(t *testing.T, e *protoEnv, msgs ...string) string {
		return chatStream(t, e.openai("fake"), protoChatParams(msgs...)).Choices[0].Message.Content
	}},
	{"openai responses", func(t *testing.T, e *protoEnv, msgs ...string) string {
		c := e.openai("fake")
		res, err := c.Responses.New(context.Background(), protoResponsesParams(msgs...))
		if err != nil {
			t.Fatal(err)
		}
		return res.OutputText()
	}},
	{"openai responses streamed", func(t *testing.T, e *protoEnv, msgs ...string) string {
		// Everything the client was shown: the deltas, then the final
		// response (which a cut replaces with the notice).
		r := responsesStream(t, e.openai("fake"), protoResponsesParams(msgs...))
		return r.deltas + "\n" + r.done + "\n" + r.completed.OutputText()
	}},
	{"anthropic", func(t *testing.T, e *protoEnv, msgs ...string) string {
		c := e.anthropic("fakeant")
		msg, err := c.Messages.New(context.Background(), protoMessageParams(msgs...))
		if err != nil {
			t.Fatal(err)
		}
		return messageText(msg)
	}},
	{"anthropic streamed", func(t *testing.T, e *protoEnv, msgs ...string) string {
		msg := messageStream(t, e.anthropic("fakeant"), protoMessageParams(msgs...))
		return messageText(&msg)
	}},
}

const (
	protoOutCard = "4111 1111 1111 1111"
	protoOutAWS  = "AKIAQ3EGRZ5LBW7TXN4P"
	// protoKeyBody is 60 base64 characters of a private key block.
	protoKeyBody = "MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1P"
	protoKeyPEM  = "-----BEGIN RSA PRIVATE KEY-----\n" + protoKeyBody + "\n-----END RSA PRIVATE KEY-----"
)

func TestProtocolOutputFilterMasksSecretsTheAgentDidNotSend(t *testing.T) {
	e := protoStart(t)
	e.fake.Reply = func(map[string]any) string {
		return "Sure. Card " + protoOutCard + " and key " + protoOutAWS + " for you."
	}
	for _, rd := range protoReaders {
		for _, size := range []int{1, 3, 7} {
			t.Run(rd.name+"/pieces of "+strconv.Itoa(size), func(t *testing.T) {
				e.fake.ChunkSize = size
				got := rd.read(t, e, "What card and key should I use?")
				for _, v := range []string{protoOutCard, protoOutAWS, "4111", "AKIAQ3"} {
					if strings.Contains(got, v) {
						t.Errorf("the client saw %q: %q", v, got)
					}
				}
				for _, m := range []string{dlp.MaskText(dlp.CreditCard), dlp.MaskText(dlp.Secret), "Sure. Card ", " for you."} {
					if !strings.Contains(got, m) {
						t.Errorf("reply %q lacks %q", got, m)
					}
				}
			})
		}
	}
}

func TestProtocolOutputFilterCutsPrivateKey(t *testing.T) {
	e := protoStart(t)
	e.fake.Reply = func(map[string]any) string {
		return "Here is the key you asked for:\n" + protoKeyPEM + "\nKeep it safe."
	}
	for _, rd := range protoReaders {
		for _, size := range []int{1, 3, 7} {
			t.Run(rd.name+"/pieces of "+strconv.Itoa(size), func(t *testing.T) {
				e.fake.ChunkSize = size
				got := rd.read(t, e, "Give me the deploy key.")
				if !strings.Contains(got, "Warden cut this reply") {
					t.Errorf("reply %q does not say Warden cut it", got)
				}
				for _, v := range []string{"BEGIN RSA", "-----BEGIN", protoKeyBody[:16], protoKeyBody[20:40], protoKeyBody[44:], "END RSA", "Keep it safe"} {
					if strings.Contains(got, v) {
						t.Errorf("the client saw %q of the key block or after it: %q", v, got)
					}
				}
			})
		}
	}
}

// A private key in a tool call's arguments cuts the reply too. The client
// must not be left holding part of the call: a truncated write or exec is
// worse than none, and agents run what they receive.
func TestProtocolOutputFilterCutsPrivateKeyInToolArguments(t *testing.T) {
	e := protoStart(t)
	cmd := "echo saving && cat > /home/bot/.ssh/id_rsa <<'EOF'\n" + protoKeyPEM + "\nEOF"
	args, err := json.Marshal(map[string]string{"command": cmd})
	if err != nil {
		t.Fatal(err)
	}
	e.fake.Tool = &llmtest.ToolCall{Name: "exec", Arguments: string(args)}
	oc, ac := e.openai("fake"), e.anthropic("fakeant")

	// Each returns the text the client got, the tool calls it holds (name
	// and arguments), and the raw JSON it was shown.
	type got struct {
		text  string
		calls []string
		raw   string
	}
	cases := []struct {
		name string
		call func(t *testing.T) got
	}{
		{"openai chat", func(t *testing.T) got {
			res, err := oc.Chat.Completions.New(context.Background(), protoChatParams("Save my key."))
			if err != nil {
				t.Fatal(err)
			}
			g := got{text: res.Choices[0].Message.Content, raw: res.RawJSON()}
			for _, tc := range res.Choices[0].Message.ToolCalls {
				g.calls = append(g.calls, tc.Function.Name+" "+tc.Function.Arguments)
			}
			return g
		}},
		{"openai chat streamed", func(t *testing.T) got {
			res := chatStream(t, oc, protoChatParams("Save my key."))
			g := got{text: res.Choices[0].Message.Content}
			for _, tc := range res.Choices[0].Message.ToolCalls {
				g.calls = append(g.calls, tc.Function.Name+" "+tc.Function.Arguments)
			}
			b, _ := json.Marshal(res)
			g.raw = string(b)
			return g
		}},
		{"openai responses", func(t *testing.T) got {
			res, err := oc.Responses.New(context.Background(), protoResponsesParams("Save my key."))
			if err != nil {
				t.Fatal(err)
			}
			g := got{text: res.OutputText(), raw: res.RawJSON()}
			for _, it := range res.Output {
				if it.Type == "function_call" {
					g.calls = append(g.calls, it.Name+" "+it.AsFunctionCall().Arguments)
				}
			}
			return g
		}},
		{"openai responses streamed", func(t *testing.T) got {
			r := responsesStream(t, oc, protoResponsesParams("Save my key."))
			g := got{text: r.completed.OutputText(), raw: r.argDeltas + "\n" + r.argsDone + "\n" + r.completed.RawJSON()}
			for _, it := range r.completed.Output {
				if it.Type == "function_call" {
					g.calls = append(g.calls, it.Name+" "+it.AsFunctionCall().Arguments)
				}
			}
			return g
		}},
		{"anthropic", func(t *testing.T) got {
			msg, err := ac.Messages.New(context.Background(), protoMessageParams("Save my key."))
			if err != nil {
				t.Fatal(err)
			}
			g := got{text: messageText(msg), raw: msg.RawJSON()}
			for _, b := range msg.Content {
				if b.Type == "tool_use" {
					g.calls = append(g.calls, b.Name+" "+string(b.Input))
				}
			}
			return g
		}},
		{"anthropic streamed", func(t *testing.T) got {
			msg := messageStream(t, ac, protoMessageParams("Save my key."))
			g := got{text: messageText(&msg), raw: msg.RawJSON()}
			for _, b := range msg.Content {
				if b.Type == "tool_use" {
					g.calls = append(g.calls, b.Name+" "+string(b.Input))
				}
			}
			return g
		}},
	}
	for _, tc := range cases {
		for _, size := range []int{3, 7} {
			t.Run(tc.name+"/pieces of "+strconv.Itoa(size), func(t *testing.T) {
				e.fake.ChunkSize = size
				g := tc.call(t)
				if !strings.Contains(g.text, "Warden cut this reply") {
					t.Errorf("reply text %q does not say Warden cut it", g.text)
				}
				for _, v := range []string{"BEGIN RSA", protoKeyBody[:16], protoKeyBody[20:40], protoKeyBody[44:]} {
					if strings.Contains(g.raw, v) || strings.Contains(g.text, v) {
						t.Errorf("the client saw %q of the key", v)
					}
				}
				if len(g.calls) > 0 {
					t.Errorf("the cut reply still hands the client a tool call to run: %q", g.calls)
				}
			})
		}
	}
}

func TestProtocolOutputFilterPassesTheAgentsOwnValues(t *testing.T) {
	t.Run("restored from a placeholder", func(t *testing.T) {
		e := protoStart(t)
		e.fake.Reply = func(map[string]any) string {
			return "Your card <CREDIT_CARD_1> and key <SECRET_1> are on file."
		}
		want := "Your card " + protoCard + " and key " + protoAWS + " are on file."
		for _, rd := range protoReaders {
			t.Run(rd.name, func(t *testing.T) {
				got := rd.read(t, e, protoPrompt)
				if !strings.Contains(got, want) {
					t.Errorf("reply = %q, want it to contain %q", got, want)
				}
				if e.fake.Seen(protoCard) || e.fake.Seen(protoAWS) {
					t.Error("the provider saw the card or the key")
				}
			})
		}
	})
	t.Run("allowed through", func(t *testing.T) {
		e := protoStart(t, func(c *config.Config) {
			c.LLM.DLP.Actions = map[string]string{"credit_card": "allow"}
		})
		// The model repeats the card it was sent, and makes up another.
		e.fake.Reply = func(map[string]any) string {
			return "Your card " + protoCard + " is on file; not " + protoOutCard + " at all."
		}
		for _, rd := range protoReaders {
			t.Run(rd.name, func(t *testing.T) {
				got := rd.read(t, e, "My card is "+protoCard+", please keep it on file.")
				if !e.fake.Seen(protoCard) {
					t.Fatal("an allowed card did not reach the provider (the test's premise)")
				}
				if !strings.Contains(got, "Your card "+protoCard+" is on file") {
					t.Errorf("the agent's own card was filtered from the reply: %q", got)
				}
				if strings.Contains(got, protoOutCard) || !strings.Contains(got, dlp.MaskText(dlp.CreditCard)) {
					t.Errorf("a card the agent did not send was not masked: %q", got)
				}
			})
		}
	})
}

// --- 8. Errors in the provider's shape ---

// protoCall is one SDK call; it returns the SDK's error.
type protoCall func(e *protoEnv) error

func openaiChatCall(provider string, stream bool, msg string) protoCall {
	return func(e *protoEnv) error {
		c := e.openai(provider)
		if !stream {
			_, err := c.Chat.Completions.New(context.Background(), protoChatParams(msg))
			return err
		}
		s := c.Chat.Completions.NewStreaming(context.Background(), protoChatParams(msg))
		defer s.Close()
		for s.Next() {
		}
		return s.Err()
	}
}

func anthropicCall(provider string, stream bool, msg string) protoCall {
	return func(e *protoEnv) error {
		c := e.anthropic(provider)
		if !stream {
			_, err := c.Messages.New(context.Background(), protoMessageParams(msg))
			return err
		}
		s := c.Messages.NewStreaming(context.Background(), protoMessageParams(msg))
		defer s.Close()
		for s.Next() {
		}
		return s.Err()
	}
}

func TestProtocolErrorsInProviderShape(t *testing.T) {
	long := strings.Repeat("lorem ipsum dolor sit amet ", 400) // ~10 KB
	notJSON := []byte("{this is not json")
	cases := []struct {
		name      string
		anthropic bool
		upstream  int // the fake's status, 0 for a reply
		call      protoCall
		status    int
		errType   string // Warden's own errors: the error type in the body
		header    http.Header
	}{
		{name: "openai unknown provider", call: openaiChatCall("nope", false, "hi"), status: 404, errType: "invalid_request_error"},
		{name: "anthropic unknown provider", anthropic: true, call: anthropicCall("nope", false, "hi"), status: 404, errType: "not_found_error"},
		{name: "openai unknown endpoint", call: func(e *protoEnv) error {
			c := e.openai("fake")
			_, err := c.Embeddings.New(context.Background(), openai.EmbeddingNewParams{
				Model: "text-embedding-3-small", Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String("hi")},
			})
			return err
		}, status: 404, errType: "invalid_request_error"},
		{name: "anthropic unknown endpoint", anthropic: true, call: func(e *protoEnv) error {
			c := e.anthropic("fakeant")
			_, err := c.Messages.CountTokens(context.Background(), anthropic.MessageCountTokensParams{
				Model: "claude-fake", Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hi"))},
			})
			return err
		}, status: 404, errType: "not_found_error"},
		{name: "openai body not JSON", call: func(e *protoEnv) error {
			c := e.openai("fake")
			_, err := c.Chat.Completions.New(context.Background(), protoChatParams("hi"),
				option.WithRequestBody("application/json", notJSON))
			return err
		}, status: 400, errType: "invalid_request_error"},
		{name: "anthropic body not JSON", anthropic: true, call: func(e *protoEnv) error {
			c := e.anthropic("fakeant")
			_, err := c.Messages.New(context.Background(), protoMessageParams("hi"),
				aoption.WithRequestBody("application/json", notJSON))
			return err
		}, status: 400, errType: "invalid_request_error"},
		{name: "openai body too large", call: openaiChatCall("fake", false, long), status: 413, errType: "invalid_request_error"},
		{name: "anthropic body too large", anthropic: true, call: anthropicCall("fakeant", false, long), status: 413, errType: "request_too_large"},
		{name: "openai upstream 500", upstream: 500, call: openaiChatCall("fake", false, "hi"), status: 500},
		{name: "openai upstream 500 streamed", upstream: 500, call: openaiChatCall("fake", true, "hi"), status: 500},
		{name: "anthropic upstream 500", anthropic: true, upstream: 500, call: anthropicCall("fakeant", false, "hi"), status: 500},
		{name: "anthropic upstream 500 streamed", anthropic: true, upstream: 500, call: anthropicCall("fakeant", true, "hi"), status: 500},
		{name: "openai upstream 429", upstream: 429, call: openaiChatCall("fake", true, "hi"), status: 429, header: http.Header{"Retry-After": {"17"}}},
		{name: "anthropic upstream 429", anthropic: true, upstream: 429, call: anthropicCall("fakeant", false, "hi"), status: 429, header: http.Header{"Retry-After": {"17"}}},
		{name: "openai upstream 401", upstream: 401, call: openaiChatCall("fake", false, "hi"), status: 502, errType: "server_error"},
		{name: "openai upstream 401 streamed", upstream: 401, call: openaiChatCall("fake", true, "hi"), status: 502, errType: "server_error"},
		{name: "openai models upstream 401", upstream: 401, call: func(e *protoEnv) error {
			c := e.openai("fake")
			_, err := c.Models.List(context.Background())
			return err
		}, status: 502, errType: "server_error"},
		{name: "anthropic upstream 401", anthropic: true, upstream: 401, call: anthropicCall("fakeant", false, "hi"), status: 502, errType: "overloaded_error"},
		{name: "anthropic upstream 403 streamed", anthropic: true, upstream: 403, call: anthropicCall("fakeant", true, "hi"), status: 502, errType: "overloaded_error"},
	}
	e := protoStart(t, func(c *config.Config) { c.LLM.MaxRequestSize = 4096 })
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.fake.Status, e.fake.ErrorHeader = tc.upstream, tc.header
			defer func() { e.fake.Status, e.fake.ErrorHeader = 0, nil }()
			err := tc.call(e)
			if err == nil {
				t.Fatalf("no error, want status %d", tc.status)
			}
			var raw string
			var resp *http.Response
			if tc.anthropic {
				var ae *anthropic.Error
				if !errors.As(err, &ae) {
					t.Fatalf("error %T %v is not an *anthropic.Error", err, err)
				}
				if ae.StatusCode != tc.status {
					t.Errorf("status = %d, want %d (%s)", ae.StatusCode, tc.status, ae.RawJSON())
				}
				raw, resp = ae.RawJSON(), ae.Response
				if tc.errType != "" {
					var body struct {
						Type  string `json:"type"`
						Error struct{ Type, Message string }
					}
					if err := json.Unmarshal([]byte(raw), &body); err != nil || body.Type != "error" || body.Error.Type != tc.errType || body.Error.Message == "" {
						t.Errorf("error body %s is not an Anthropic error of type %s", raw, tc.errType)
					}
					if string(ae.Type()) != tc.errType {
						t.Errorf("SDK error type = %q, want %q", ae.Type(), tc.errType)
					}
				}
			} else {
				var oe *openai.Error
				if !errors.As(err, &oe) {
					t.Fatalf("error %T %v is not an *openai.Error", err, err)
				}
				if oe.StatusCode != tc.status {
					t.Errorf("status = %d, want %d (%s)", oe.StatusCode, tc.status, oe.RawJSON())
				}
				raw, resp = oe.RawJSON(), oe.Response
				if tc.errType != "" && (oe.Type != tc.errType || oe.Message == "") {
					t.Errorf("error type %q message %q, want type %s with a message (%s)", oe.Type, oe.Message, tc.errType, raw)
				}
			}
			if (tc.upstream == 500 || tc.upstream == 429) && !strings.Contains(raw, "fake error") {
				t.Errorf("the provider's error was not relayed: %s", raw)
			}
			for k := range tc.header {
				if resp == nil || resp.Header.Get(k) != tc.header.Get(k) {
					t.Errorf("header %s was not relayed", k)
				}
			}
			if strings.Contains(raw, protoKey) || strings.Contains(raw, e.token) {
				t.Errorf("the error carries a key or token: %s", raw)
			}
		})
	}
	// The 413 was refused before anything went upstream.
	for _, r := range e.fake.Requests() {
		if strings.Contains(string(r.Body), "lorem ipsum") {
			t.Error("a request over max_request_size reached the provider")
		}
	}
}
