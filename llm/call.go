package llm

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/dlp"
)

// call is one model call on its way through the proxy.
type call struct {
	p     *Proxy
	w     http.ResponseWriter
	r     *http.Request
	start time.Time

	protocol  string // for error shapes, known before the provider is
	prov      *provider
	ep        endpoint
	principal *warden.Principal
	model     string
	stream    bool
	session   string
	label     string // the most restrictive label the caller carries

	vault      *dlp.Vault
	inputSeen  map[string]bool // type NUL value of every entity in the request
	redacted   map[dlp.Type]int
	masked     map[dlp.Type]int
	allowed    map[dlp.Type]int
	blocked    []dlp.Type
	outMasked  map[dlp.Type]int
	outBlocked dlp.Type
	injection  injectionSummary
	usageAdded bool // Warden asked for stream usage the client did not
	toolCalls  int  // tool calls the model emitted
	toolsCut   int  // of which the tool plane blocked

	tokensIn, tokensOut int64
	firstByte           time.Duration
	status              int
	decision            warden.Decision
	errCode             string
}

type injectionSummary struct {
	items, flagged int
	score          float64
	signals        []string
	action         string
}

func (c *call) serve() {
	c.protocol = guessProtocol(c.r)
	c.decision = warden.Decision{Effect: warden.Allow, Rule: "llm"}
	name, rest := splitProviderPath(c.r.URL.Path)
	if pr, ok := c.p.providers[name]; ok {
		c.prov, c.protocol = pr, pr.protocol
	}
	p, err := c.p.opts.Auth.Authenticate(c.r.Context(), presentedToken(c.r))
	if err != nil {
		switch warden.ErrorCode(err) {
		case warden.ELOCKED:
			// A locked agent is told so in words: OpenClaw would treat an
			// error status as a broken key and hide why.
			c.answerLocked(err)
		default:
			c.fail(err) // Authenticate recorded the failure
		}
		return
	}
	c.principal = p
	if c.prov == nil {
		c.finish(warden.Errorf(warden.ENOTFOUND, "no model provider %q is configured (known: %s)", name, c.p.providerNames()))
		return
	}
	ep, upstream, ok := c.prov.route(c.r.Method, rest)
	if !ok {
		c.finish(warden.Errorf(warden.ENOTFOUND, "%s %s is not a %s endpoint Warden relays", c.r.Method, rest, c.prov.protocol))
		return
	}
	c.ep = ep
	limits := c.p.opts.LimitsFor(p.Profile)
	if err := c.p.budget.allow(p.Name, limits); err != nil {
		c.decision = warden.Decision{Effect: warden.Deny, Rule: "llm.budget", Reason: warden.ErrorMessage(err)}
		c.finish(err)
		return
	}
	if ep == epModels {
		c.relayModels(upstream)
		return
	}
	c.forward(upstream)
}

// forward handles a completion call: inspect, redact, send, restore.
func (c *call) forward(upstream fmt.Stringer) {
	raw, err := readBody(c.r, int64(c.p.opts.LLM.MaxRequestSize))
	if err != nil {
		c.finish(err)
		return
	}
	req, err := decodeObject(raw)
	if err != nil {
		c.finish(err)
		return
	}
	c.model, _ = req["model"].(string)
	c.stream, _ = req["stream"].(bool)
	c.session = sessionOf(raw)

	// Labels: data read under a label goes only to providers allowed it.
	if c.label = c.p.labels.current(c.principal.Name, c.session); c.label != "" && !c.prov.cfg.AllowsLabel(c.label) {
		c.refuse("llm.label", fmt.Sprintf("this agent recently read %s data, and provider %q is not approved for %s data. Use an approved provider, or wait until the mark expires.", c.label, c.prov.name, c.label))
		return
	}

	c.inspectUntrusted(req)
	c.redactRequest(req)
	if len(c.blocked) > 0 {
		c.refuse("llm.dlp", fmt.Sprintf("the request contained %s, which policy does not allow to be sent to a model provider. Remove it and try again.", describeTypes(c.blocked)))
		return
	}
	if c.ep == epChat && c.stream {
		c.usageAdded = askForUsage(req)
	}
	body, err := marshal(req)
	if err != nil {
		c.finish(fmt.Errorf("encode upstream request: %w", err))
		return
	}
	ctx, cancel := context.WithTimeout(c.r.Context(), c.prov.timeout)
	defer cancel()
	ureq, err := http.NewRequestWithContext(ctx, http.MethodPost, upstream.String(), bytes.NewReader(body))
	if err != nil {
		c.finish(fmt.Errorf("build upstream request: %w", err))
		return
	}
	ureq.Header = c.prov.header(c.r.Header)
	ureq.Header.Set("Content-Type", "application/json")
	resp, err := c.p.client.Do(ureq)
	if err != nil {
		c.p.log.Warn("model provider unreachable", "provider", c.prov.name, "err", err)
		c.finish(warden.Errorf(warden.EUNAVAILABLE, "model provider %q could not be reached", c.prov.name))
		return
	}
	defer resp.Body.Close()
	c.firstByte = c.p.now().Sub(c.start)
	c.relay(resp)
}

// relay answers the agent from the provider's response.
func (c *call) relay(resp *http.Response) {
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		// The provider refused Warden's key: not the agent's fault, and
		// a 401 would make the agent give up on its own (valid) token.
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		c.p.log.Error("model provider refused Warden's key", "provider", c.prov.name, "status", resp.StatusCode)
		c.finish(warden.Errorf(warden.EUNAVAILABLE, "model provider %q refused Warden's API key (status %d); an operator must fix the key", c.prov.name, resp.StatusCode))
		return
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		c.status = resp.StatusCode
		c.errCode = "upstream"
		copyHeaders(c.w.Header(), resp.Header)
		c.w.WriteHeader(resp.StatusCode)
		io.Copy(c.w, io.LimitReader(resp.Body, 1<<20))
		c.record()
		return
	}
	c.status = resp.StatusCode
	// Clients parse a reply to a streamed request as events whatever its
	// content type says, so it is relayed (and inspected) as events unless
	// it is JSON; a reply is never passed on uninspected.
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if ct == "text/event-stream" || (c.stream && ct != "application/json") {
		c.relayStream(resp)
	} else {
		c.relayJSON(resp)
	}
	c.record()
}

// relayJSON restores and filters a whole (non-streamed) reply.
func (c *call) relayJSON(resp *http.Response) {
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		c.status, c.errCode = http.StatusBadGateway, warden.EUNAVAILABLE
		c.writeError(warden.Errorf(warden.EUNAVAILABLE, "reading the model provider's reply failed"))
		return
	}
	doc, err := decodeObject(raw)
	if err != nil {
		// Not JSON: Warden cannot restore, filter or decide on what it
		// cannot read, so it does not pass it on.
		c.status, c.errCode = http.StatusBadGateway, warden.EUNAVAILABLE
		c.p.log.Warn("model provider answered with something that is not JSON", "provider", c.prov.name, "content_type", resp.Header.Get("Content-Type"))
		c.writeError(warden.Errorf(warden.EUNAVAILABLE, "the model provider's reply was not JSON; Warden does not relay what it cannot inspect"))
		return
	}
	c.usage(doc)
	t := c.transformer()
	t.value(doc, "")
	if t.blocked != nil {
		c.outBlocked = t.blocked.Type
		c.decision = warden.Decision{Effect: warden.Deny, Rule: "llm.output", Reason: "the reply contained " + describeTypes([]dlp.Type{t.blocked.Type})}
		c.writeRefusal(c.outputBlockedText())
		return
	}
	c.gateReply(doc)
	out, _ := marshal(doc)
	copyHeaders(c.w.Header(), resp.Header)
	c.w.Header().Set("Content-Type", "application/json")
	// With a length the client has the whole reply once the bytes are
	// out, without waiting for the audit record that follows.
	c.w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	c.w.WriteHeader(resp.StatusCode)
	c.w.Write(out)
	http.NewResponseController(c.w).Flush()
}

// relayModels passes the model list through.
func (c *call) relayModels(upstream fmt.Stringer) {
	ctx, cancel := context.WithTimeout(c.r.Context(), c.prov.timeout)
	defer cancel()
	ureq, err := http.NewRequestWithContext(ctx, http.MethodGet, upstream.String(), nil)
	if err != nil {
		c.finish(err)
		return
	}
	ureq.Header = c.prov.header(c.r.Header)
	resp, err := c.p.client.Do(ureq)
	if err != nil {
		c.finish(warden.Errorf(warden.EUNAVAILABLE, "model provider %q could not be reached", c.prov.name))
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		c.finish(warden.Errorf(warden.EUNAVAILABLE, "model provider %q refused Warden's API key (status %d); an operator must fix the key", c.prov.name, resp.StatusCode))
		return
	}
	c.status = resp.StatusCode
	copyHeaders(c.w.Header(), resp.Header)
	c.w.WriteHeader(resp.StatusCode)
	io.Copy(c.w, io.LimitReader(resp.Body, 16<<20))
	c.record()
}

// refuse answers with a normal assistant reply that says what was blocked
// and why: agents show that to their user, where an error status would
// read as a broken key. The refusal is on the record before it is sent.
func (c *call) refuse(rule, reason string) {
	c.decision = warden.Decision{Effect: warden.Deny, Rule: rule, Reason: reason}
	c.status = http.StatusOK
	if err := c.recordErr(); err != nil {
		c.fail(err)
		return
	}
	c.writeRefusal("Warden blocked this request: " + reason)
}

func (c *call) answerLocked(err error) {
	c.status = http.StatusOK
	// Answer in the shape the client asked for (streamed or not).
	if raw, rerr := readBody(c.r, int64(c.p.opts.LLM.MaxRequestSize)); rerr == nil {
		if req, derr := decodeObject(raw); derr == nil {
			c.model, _ = req["model"].(string)
			c.stream, _ = req["stream"].(bool)
		}
	}
	if c.prov != nil {
		c.ep, _, _ = c.prov.route(c.r.Method, c.restPath())
	}
	c.writeRefusal("Warden blocked this request: " + warden.ErrorMessage(err) + " An administrator must unlock the agent before it can use models again.")
}

func (c *call) outputBlockedText() string {
	return fmt.Sprintf("Warden cut this reply: it contained %s, which policy does not allow a model to hand out.", describeTypes([]dlp.Type{c.outBlocked}))
}

// finish ends a call that failed before a reply: it is recorded, then the
// agent gets an error in its provider's shape.
func (c *call) finish(err error) {
	c.errCode = warden.ErrorCode(err)
	if c.decision.Effect == "" || c.decision.Effect == warden.Allow && (c.errCode == warden.EINVALID || c.errCode == warden.ETOOLARGE || c.errCode == warden.ENOTFOUND) {
		c.decision = warden.Decision{Effect: warden.Deny, Rule: "llm.input", Reason: warden.ErrorMessage(err)}
	}
	if rerr := c.recordErr(); rerr != nil {
		err = rerr
	}
	c.fail(err)
}

// fail writes err without recording (the caller did, or cannot).
func (c *call) fail(err error) {
	c.status = errorStatus(err)
	c.writeError(err)
}

// record puts the call on the audit record; a failure is logged (the reply
// is already out). See recordErr for calls not yet answered.
func (c *call) record() {
	if err := c.recordErr(); err != nil {
		c.p.log.Error("recording a model call failed", "request_id", warden.RequestFrom(c.r.Context()).ID, "err", err)
	}
}

func (c *call) recordErr() error {
	if c.principal == nil {
		return nil
	}
	if c.tokensIn+c.tokensOut > 0 {
		c.p.budget.add(c.principal.Name, c.start, c.tokensIn+c.tokensOut)
	}
	req := warden.RequestFrom(c.r.Context())
	action := "llm.call"
	if c.ep == epModels {
		action = "llm.models"
	}
	ev := &warden.Event{
		RequestID: req.ID, Remote: req.Remote, Principal: c.principal.Name, Kind: c.principal.Kind,
		Action: action, Decision: c.decision, Error: c.errCode,
		Details: map[string]any{
			"status":     c.status,
			"latency_ms": c.p.now().Sub(c.start).Milliseconds(),
		},
	}
	if c.prov != nil {
		ev.Target = c.prov.name
		if c.model != "" {
			ev.Target += "/" + c.model
		}
		ev.Details["provider"] = c.prov.name
		ev.Details["endpoint"] = string(c.ep)
	}
	d := ev.Details
	setIf(d, "model", c.model, c.model != "")
	setIf(d, "session", c.session, c.session != "")
	setIf(d, "stream", c.stream, c.stream)
	setIf(d, "tokens_in", c.tokensIn, c.tokensIn > 0)
	setIf(d, "tokens_out", c.tokensOut, c.tokensOut > 0)
	setIf(d, "first_byte_ms", c.firstByte.Milliseconds(), c.firstByte > 0)
	setIf(d, "label", c.label, c.label != "")
	// A refused request sent nothing: what DLP found in it is "found",
	// not "redacted".
	found, maskedKey := "redacted", "masked"
	if c.decision.Effect == warden.Deny && c.decision.Rule != "llm.output" {
		found, maskedKey = "found", "found_masked"
	}
	setIf(d, found, counts(c.redacted), len(c.redacted) > 0)
	setIf(d, maskedKey, counts(c.masked), len(c.masked) > 0)
	setIf(d, "allowed", counts(c.allowed), len(c.allowed) > 0)
	setIf(d, "blocked", typeNames(c.blocked), len(c.blocked) > 0)
	setIf(d, "output_masked", counts(c.outMasked), len(c.outMasked) > 0)
	setIf(d, "output_blocked", string(c.outBlocked), c.outBlocked != "")
	setIf(d, "tool_calls", c.toolCalls, c.toolCalls > 0)
	setIf(d, "tool_calls_blocked", c.toolsCut, c.toolsCut > 0)
	if c.injection.items > 0 {
		d["injection"] = map[string]any{
			"score": round2(c.injection.score), "signals": c.injection.signals, "items": c.injection.items,
			"flagged": c.injection.flagged, "action": c.injection.action,
		}
	}
	return c.p.opts.Audit.Record(c.r.Context(), ev)
}

func setIf(d map[string]any, k string, v any, ok bool) {
	if ok {
		d[k] = v
	}
}

func counts(m map[dlp.Type]int) map[string]int {
	out := make(map[string]int, len(m))
	for t, n := range m {
		out[strings.ToLower(string(t))] = n
	}
	return out
}

func typeNames(ts []dlp.Type) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = strings.ToLower(string(t))
	}
	return out
}

// describeTypes names entity types for a person: "a credit card number and
// a private key".
func describeTypes(ts []dlp.Type) string {
	names := map[dlp.Type]string{
		dlp.Email: "an email address", dlp.Phone: "a phone number", dlp.CreditCard: "a payment card number",
		dlp.SSN: "a social security number", dlp.IBAN: "a bank account number (IBAN)", dlp.IPAddress: "an IP address",
		dlp.Secret: "a secret or API key", dlp.PrivateKey: "a private key", dlp.JWT: "an access token (JWT)",
		dlp.URLCredentials: "credentials in a URL", dlp.Person: "a person's name", dlp.Address: "a street address",
	}
	var parts []string
	for _, t := range ts {
		if n := names[t]; n != "" && !slices.Contains(parts, n) {
			parts = append(parts, n)
		}
	}
	switch len(parts) {
	case 0:
		return "sensitive data"
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

func round2(f float64) float64 { return float64(int(f*100+0.5)) / 100 }

func (p *Proxy) providerNames() string {
	names := make([]string, 0, len(p.providers))
	for n := range p.providers {
		names = append(names, n)
	}
	slices.Sort(names)
	if len(names) == 0 {
		return "none; add providers to warden.yaml"
	}
	return strings.Join(names, ", ")
}

func (c *call) restPath() string {
	_, rest := splitProviderPath(c.r.URL.Path)
	return rest
}

// splitProviderPath splits "/llm/openai/v1/chat/completions" into
// "openai" and "/v1/chat/completions".
func splitProviderPath(p string) (string, string) {
	rest := strings.TrimPrefix(p, "/llm/")
	name, tail, _ := strings.Cut(rest, "/")
	return name, "/" + tail
}

// guessProtocol picks the error shape before the provider is known.
func guessProtocol(r *http.Request) string {
	if r.Header.Get("Anthropic-Version") != "" || strings.HasSuffix(r.URL.Path, "/v1/messages") {
		return protoAnthropic
	}
	return protoOpenAI
}

// runtimeLine is the line OpenClaw appends to the user's prompt.
var runtimeLine = regexp.MustCompile(`Runtime: agent=[^\s|"\\]+ \| session=([^\s|"\\]{1,200})`)

// sessionOf returns OpenClaw's session key from the request, if present.
func sessionOf(raw []byte) string {
	if !bytes.Contains(raw, []byte("Runtime: agent=")) {
		return ""
	}
	m := runtimeLine.FindSubmatch(raw)
	if m == nil {
		return ""
	}
	return string(m[1])
}

// decodeObject parses a JSON object, keeping numbers exact.
func decodeObject(raw []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v map[string]any
	if err := dec.Decode(&v); err != nil || v == nil {
		return nil, warden.Errorf(warden.EINVALID, "the request body is not a JSON object")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, warden.Errorf(warden.EINVALID, "the request body has data after the JSON object")
	}
	return v, nil
}

// askForUsage makes a streamed chat call report token usage (budgets need
// it) and says whether the client had not asked, so the usage chunk is
// kept from it.
func askForUsage(req map[string]any) bool {
	so, _ := req["stream_options"].(map[string]any)
	if so == nil {
		so = map[string]any{}
		req["stream_options"] = so
	}
	if v, _ := so["include_usage"].(bool); v {
		return false
	}
	so["include_usage"] = true
	return true
}

func copyHeaders(dst, src http.Header) {
	for _, k := range responseHeaders {
		if v := src.Values(k); len(v) > 0 {
			dst[k] = append([]string(nil), v...)
		}
	}
}

func newNonce() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// marshal encodes v as JSON without HTML escaping: bodies keep '<', '>'
// and '&' as they came (placeholders stay readable, sizes stay the same).
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
