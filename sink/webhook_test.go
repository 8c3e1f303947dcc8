package sink_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/apiv1"
	"github.com/wardenhq/warden/sink"
)

// verifySignature checks a Standard Webhooks signature with its own HMAC
// code (not sink.Sign): the header may list several space-separated
// "v1,<base64>" signatures, one must match.
func verifySignature(key []byte, id, ts string, body []byte, header string) bool {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	want := m.Sum(nil)
	for _, part := range strings.Fields(header) {
		v, sig, ok := strings.Cut(part, ",")
		if !ok || v != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(sig)
		if err == nil && hmac.Equal(got, want) {
			return true
		}
	}
	return false
}

var webhookID = regexp.MustCompile(`^evt_([1-9][0-9]*)$`)

// hookReceiver is a Standard Webhooks receiver that checks every request
// and answers 503 whenever fail says so.
type hookReceiver struct {
	key  []byte
	fail func(n int, id string) bool // n counts requests from 0

	mu       sync.Mutex
	requests int
	tries    map[string]int        // requests per webhook-id
	acked    map[string]int        // 2xx answers per webhook-id
	order    []int64               // seqs in the order they were acknowledged
	events   map[int64]apiv1.Event // acknowledged bodies by seq
	bad      []string              // what was wrong with rejected requests
}

func newHookReceiver(t *testing.T, key []byte, fail func(int, string) bool) *hookReceiver {
	return &hookReceiver{key: key, fail: fail, tries: map[string]int{}, acked: map[string]int{}, events: map[int64]apiv1.Event{}}
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "read", http.StatusBadRequest)
		return
	}
	id, ts, sig := r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp"), r.Header.Get("webhook-signature")
	h.mu.Lock()
	defer h.mu.Unlock()
	n := h.requests
	h.requests++
	h.tries[id]++
	reject := func(why string) {
		h.bad = append(h.bad, id+": "+why)
		http.Error(w, why, http.StatusBadRequest)
	}
	if r.Method != http.MethodPost {
		reject("method " + r.Method)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		reject("content type " + ct)
		return
	}
	m := webhookID.FindStringSubmatch(id)
	if m == nil {
		reject("webhook-id is not evt_<seq>")
		return
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		reject("webhook-timestamp is not unix seconds")
		return
	}
	// The spec's receivers refuse timestamps more than 5 minutes off.
	if d := time.Since(time.Unix(unix, 0)); d > 5*time.Minute || d < -5*time.Minute {
		reject("webhook-timestamp is " + d.String() + " off")
		return
	}
	if !verifySignature(h.key, id, ts, body, sig) {
		reject("bad signature " + sig)
		return
	}
	var ev apiv1.Event
	if err := json.Unmarshal(body, &ev); err != nil {
		reject("body is not an event: " + err.Error())
		return
	}
	if strconv.FormatInt(ev.Seq, 10) != m[1] {
		reject("body seq " + strconv.FormatInt(ev.Seq, 10) + " does not match the id")
		return
	}
	if h.fail != nil && h.fail(n, id) {
		http.Error(w, "try later", http.StatusServiceUnavailable)
		return
	}
	h.acked[id]++
	h.order = append(h.order, ev.Seq)
	h.events[ev.Seq] = ev
	w.WriteHeader(http.StatusNoContent)
}

// has reports whether every seq was acknowledged.
func (h *hookReceiver) has(seqs []int64) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, s := range seqs {
		if _, ok := h.events[s]; !ok {
			return false
		}
	}
	return true
}

func (h *hookReceiver) checkClean(t *testing.T) {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.bad) > 0 {
		t.Errorf("the receiver rejected %d requests: %v", len(h.bad), h.bad)
	}
}

// fastRetry is a runner that retries at once and never gives up.
var fastRetry = sink.Options{Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, MaxAttempts: 1 << 20}

// TestWebhookRetriesDeliverEveryEventOnceInOrder: a receiver that answers
// 503 to the first requests, then to every seventh, still gets every event
// exactly once (deduplicated by webhook-id it is even acknowledged exactly
// once), in sequence order, each with a valid Standard Webhooks signature.
func TestWebhookRetriesDeliverEveryEventOnceInOrder(t *testing.T) {
	e := newEnv(t)
	secret, key := newSecret(t, 32)
	const failFirst = 6
	h := newHookReceiver(t, key, func(n int, _ string) bool { return n < failFirst || n%7 == 3 })
	srv := loopback(t, h)
	d, err := sink.NewWebhook(srv.URL+"/hook?token=x", secret, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := e.runner(t, "siem", d, sink.Filter{}, fastRetry)

	actions := []string{"file.read", "file.write", "tool.call", "egress.connect", "principal.create"}
	var seqs []int64
	for round := range 8 {
		effect := []warden.Effect{warden.Allow, warden.Deny, warden.Ask}[round%3]
		seqs = append(seqs, e.record(t, effect, actions...)...)
	}
	waitFor(t, "every event to be acknowledged", func() bool { return h.has(seqs) })
	waitCursor(t, r, seqs[len(seqs)-1])
	if err := r.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	h.checkClean(t)

	h.mu.Lock()
	defer h.mu.Unlock()
	if h.requests <= len(seqs) {
		t.Fatalf("%d requests for %d events: the receiver's 503s were not retried?", h.requests, len(seqs))
	}
	for id, n := range h.acked {
		if n != 1 {
			t.Errorf("%s acknowledged %d times without a crash; want once", id, n)
		}
	}
	if !slices.Equal(h.order, seqs) {
		t.Errorf("acknowledged in order %v, want %v", h.order, seqs)
	}
	for i, s := range seqs {
		ev := h.events[s]
		want := actions[i%len(actions)]
		if ev.Action != want || ev.Principal != "bot" || ev.Workspace != "ws" || ev.Target != "t/"+want || ev.Hash == "" {
			t.Errorf("seq %d arrived as %+v; want action %s by bot", s, ev, want)
		}
		if ev.Details["note"] != "ünïcode \"quoted\"\n" {
			t.Errorf("seq %d details: %v", s, ev.Details)
		}
	}
	// The first request for evt_1 failed (the first six did); its retries
	// carry the same id, which is what lets receivers deduplicate.
	if h.tries["evt_1"] < 2 {
		t.Errorf("evt_1 was tried %d times, want the same id on every retry", h.tries["evt_1"])
	}
}

// TestSignStandardWebhooksVector: the test vector of the Standard Webhooks
// specification (whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw, msg_p5jXN8AQM9LWM0D4loKWxJek,
// 1614265330, {"test": 2432232314}).
func TestSignStandardWebhooksVector(t *testing.T) {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	const want = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"test": 2432232314}`)
	if got := sink.Sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body); got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
	if !verifySignature(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", body, want) {
		t.Error("the test's own verifier rejects the spec's vector")
	}
	// The spec's secret is accepted as a webhook secret.
	if _, err := sink.NewWebhook("http://127.0.0.1:1/", secret, nil); err != nil {
		t.Errorf("NewWebhook refuses the spec's example secret: %v", err)
	}
	// And agrees with the independent verifier on arbitrary input.
	for i := range 50 {
		_, k := newSecret(t, 16+i)
		b := []byte(strings.Repeat("x", i) + `{"seq":` + strconv.Itoa(i) + "}")
		id := "evt_" + strconv.Itoa(i+1)
		ts := int64(1700000000 + i)
		if !verifySignature(k, id, strconv.FormatInt(ts, 10), b, sink.Sign(k, id, ts, b)) {
			t.Fatalf("Sign disagrees with HMAC-SHA256 of id.timestamp.body (case %d)", i)
		}
	}
}

// TestNewWebhookRefusesBadSecrets: the secret must be whsec_ and the
// standard base64 of at least 16 bytes.
func TestNewWebhookRefusesBadSecrets(t *testing.T) {
	b64 := func(n int) string { return base64.StdEncoding.EncodeToString(make([]byte, n)) }
	for _, s := range []string{
		"",
		"whsec_",
		b64(32),                     // no prefix
		"WHSEC_" + b64(32),          // the prefix is case-sensitive
		"whsec " + b64(32),          // not the prefix
		"whsec_" + "!!not base64!!", // bad base64
		"whsec_" + b64(32)[:10] + "*" + b64(32)[11:],
		"whsec_" + b64(15), // short key
		"whsec_" + b64(8),
	} {
		if _, err := sink.NewWebhook("http://127.0.0.1:1/", s, nil); err == nil {
			t.Errorf("NewWebhook accepted secret %q", s)
		}
	}
	for _, s := range []string{"whsec_" + b64(16), "whsec_" + b64(32), "  whsec_" + b64(24) + "\n"} {
		if _, err := sink.NewWebhook("http://127.0.0.1:1/", s, nil); err != nil {
			t.Errorf("NewWebhook refused secret %q: %v", s, err)
		}
	}
}

// TestWebhookDeliverStopsAtFirstFailure: Deliver reports how many events
// went through before a failure, so the runner resumes at the right one.
func TestWebhookDeliverStopsAtFirstFailure(t *testing.T) {
	secret, key := newSecret(t, 32)
	h := newHookReceiver(t, key, func(_ int, id string) bool { return id == "evt_3" })
	srv := loopback(t, h)
	d, err := sink.NewWebhook(srv.URL, secret, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	evs := []apiv1.Event{{Seq: 1, Action: "a"}, {Seq: 2, Action: "b"}, {Seq: 3, Action: "c"}, {Seq: 4, Action: "d"}}
	n, err := d.Deliver(context.Background(), evs)
	if n != 2 || err == nil {
		t.Fatalf("Deliver = %d, %v; want 2 and the 503", n, err)
	}
	if strings.Contains(err.Error(), srv.URL) {
		t.Errorf("the error shows the webhook URL (it may carry a token): %v", err)
	}
	// A transport error does not show the URL either.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String() + "/hook?token=s3cr3t"
	ln.Close()
	dd, err := sink.NewWebhook(dead, secret, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := dd.Deliver(context.Background(), evs); n != 0 || err == nil || strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("Deliver to a closed port = %d, %v; want 0 and an error without the URL", n, err)
	}
	h.mu.Lock()
	tried := h.tries["evt_4"]
	h.mu.Unlock()
	if tried != 0 {
		t.Error("Deliver went on past the failed event")
	}
	h.checkClean(t)
}
