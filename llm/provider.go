package llm

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/wardenhq/warden/config"
)

// The protocols and the endpoints of each that agents may call.
const (
	protoOpenAI    = "openai"
	protoAnthropic = "anthropic"
)

// endpoint is one callable API of a protocol.
type endpoint string

const (
	epChat      endpoint = "chat"      // OpenAI POST /chat/completions
	epResponses endpoint = "responses" // OpenAI POST /responses
	epModels    endpoint = "models"    // OpenAI GET /models
	epMessages  endpoint = "messages"  // Anthropic POST /v1/messages
)

// provider is a configured upstream with its key.
type provider struct {
	name     string
	protocol string
	base     *url.URL
	key      string
	cfg      config.Provider
	timeout  time.Duration
}

func newProvider(name string, c config.Provider, key string) (*provider, error) {
	u, err := url.Parse(strings.TrimRight(c.BaseURL, "/"))
	if err != nil {
		return nil, fmt.Errorf("provider %s: base_url: %w", name, err)
	}
	if c.Protocol == protoAnthropic {
		// Anthropic paths carry their /v1; a base URL written with it
		// would double it.
		u.Path = strings.TrimSuffix(u.Path, "/v1")
	}
	t := c.Timeout.D()
	if t == 0 {
		t = 10 * time.Minute
	}
	return &provider{name: name, protocol: c.Protocol, base: u, key: key, cfg: c, timeout: t}, nil
}

// route maps the path after /llm/{provider} to an endpoint and the
// upstream URL. Agents' base URLs end in /v1 for OpenAI
// (".../llm/openai/v1") and without it for Anthropic (".../llm/anthropic",
// whose clients add /v1/messages); OpenAI paths are accepted without /v1 too.
func (p *provider) route(method, rest string) (endpoint, *url.URL, bool) {
	var ep endpoint
	var upstreamPath string
	switch p.protocol {
	case protoOpenAI:
		rel := strings.TrimPrefix(rest, "/v1")
		switch {
		case method == http.MethodPost && rel == "/chat/completions":
			ep = epChat
		case method == http.MethodPost && rel == "/responses":
			ep = epResponses
		case method == http.MethodGet && rel == "/models":
			ep = epModels
		default:
			return "", nil, false
		}
		upstreamPath = rel
	case protoAnthropic:
		if method != http.MethodPost || rest != "/v1/messages" {
			return "", nil, false
		}
		ep, upstreamPath = epMessages, rest
	}
	u := *p.base
	u.Path = p.base.Path + upstreamPath
	u.RawPath = ""
	return ep, &u, true
}

// forwardHeaders are the request headers passed upstream; everything
// else — the agent's credentials above all, cookies, proxy headers — stays.
var forwardHeaders = []string{
	"Content-Type", "Accept", "User-Agent", "Traceparent", "Tracestate",
	"Anthropic-Version", "Anthropic-Beta", "Openai-Beta",
	"X-Stainless-Lang", "X-Stainless-Package-Version", "X-Stainless-Os", "X-Stainless-Arch",
	"X-Stainless-Runtime", "X-Stainless-Runtime-Version", "X-Stainless-Retry-Count", "X-Stainless-Timeout",
}

// header builds the upstream request headers: selected ones from the
// agent, then the provider key.
func (p *provider) header(in http.Header) http.Header {
	h := http.Header{}
	for _, k := range forwardHeaders {
		if v := in.Values(k); len(v) > 0 {
			h[k] = append([]string(nil), v...)
		}
	}
	// Warden reads and rewrites bodies: ask for them uncompressed.
	h.Set("Accept-Encoding", "identity")
	if p.key != "" {
		switch p.protocol {
		case protoAnthropic:
			h.Set("X-Api-Key", p.key)
		default:
			h.Set("Authorization", "Bearer "+p.key)
		}
	}
	if p.protocol == protoAnthropic && h.Get("Anthropic-Version") == "" {
		h.Set("Anthropic-Version", "2023-06-01")
	}
	return h
}

// responseHeaders are upstream response headers relayed to the agent.
var responseHeaders = []string{
	"Content-Type", "Openai-Processing-Ms", "Openai-Version", "Request-Id", "X-Request-Id",
	"Anthropic-Ratelimit-Requests-Remaining", "Anthropic-Ratelimit-Tokens-Remaining",
	"X-Ratelimit-Remaining-Requests", "X-Ratelimit-Remaining-Tokens", "Retry-After",
}
