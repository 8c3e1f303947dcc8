//go:build linux

package crashtest

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardenhq/warden/apiv1"
	"github.com/wardenhq/warden/client"
)

// siemReceiver is a Standard Webhooks receiver on 127.0.0.1 that can be
// "down" (answering 503). It verifies every signature with its own HMAC
// code and deduplicates by webhook-id.
type siemReceiver struct {
	key []byte
	up  atomic.Bool
	// slow delays every answer, so that a kill lands mid-delivery.
	slow atomic.Int64

	mu       sync.Mutex
	got      map[int64]apiv1.Event // by seq
	dups     int
	refused  int // 503s while down
	rejected []string
}

var evtID = regexp.MustCompile(`^evt_([1-9][0-9]*)$`)

func (h *siemReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	time.Sleep(time.Duration(h.slow.Load()))
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.up.Load() {
		h.refused++
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	id, ts, sig := r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp"), r.Header.Get("webhook-signature")
	m := hmac.New(sha256.New, h.key)
	m.Write([]byte(id + "." + ts + "."))
	m.Write(body)
	want := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
	ok := false
	for _, s := range strings.Fields(sig) {
		ok = ok || hmac.Equal([]byte(s), []byte(want))
	}
	var ev apiv1.Event
	idm := evtID.FindStringSubmatch(id)
	switch {
	case !ok:
		h.rejected = append(h.rejected, id+": bad signature")
	case idm == nil:
		h.rejected = append(h.rejected, id+": not evt_<seq>")
	case json.Unmarshal(body, &ev) != nil:
		h.rejected = append(h.rejected, id+": body is not an event")
	case strconv.FormatInt(ev.Seq, 10) != idm[1]:
		h.rejected = append(h.rejected, id+": body seq differs")
	default:
		if _, seen := h.got[ev.Seq]; seen {
			h.dups++
		}
		h.got[ev.Seq] = ev
		w.WriteHeader(http.StatusOK)
		return
	}
	http.Error(w, "rejected", http.StatusBadRequest)
}

// missing returns the seqs not received yet.
func (h *siemReceiver) missing(seqs []int64) []int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []int64
	for _, s := range seqs {
		if _, ok := h.got[s]; !ok {
			out = append(out, s)
		}
	}
	return out
}

// auditChain reads the whole audit chain through the API.
func auditChain(t *testing.T, c *client.Client) []apiv1.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), safety)
	defer cancel()
	var out []apiv1.Event
	var after int64
	for {
		page, err := c.Audit(ctx, client.AuditQuery{After: after, Limit: 1000})
		if err != nil {
			t.Fatalf("audit query: %v", err)
		}
		out = append(out, page.Events...)
		if len(page.Events) == 0 || page.Next == 0 || page.Next == after {
			return out
		}
		after = page.Next
	}
}

// deliverable is the seqs of evs a sink without filters delivers.
func deliverable(evs []apiv1.Event) []int64 {
	var out []int64
	for _, ev := range evs {
		if !strings.HasPrefix(ev.Action, "sink.") {
			out = append(out, ev.Seq)
		}
	}
	return out
}

func waitDelivered(t *testing.T, h *siemReceiver, seqs []int64, what string) {
	t.Helper()
	deadline := time.Now().Add(safety)
	for {
		miss := h.missing(seqs)
		if len(miss) == 0 {
			return
		}
		if time.Now().After(deadline) {
			if len(miss) > 20 {
				miss = miss[:20]
			}
			t.Fatalf("%s: %d events never reached the webhook, e.g. seqs %v", what, len(h.missing(seqs)), miss)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestKillWithSinkBacklog: a webhook sink's receiver goes down, agents keep
// working (a backlog builds up in the audit chain), the server is killed
// with SIGKILL mid-traffic and started again on the same data folder, and
// the receiver comes back. Every event of the chain, in particular of every
// acknowledged request, then reaches the receiver at least once, with a
// valid signature: no gap across the crash.
func TestKillWithSinkBacklog(t *testing.T) {
	s := newServer(t)
	key := make([]byte, 32)
	rand.Read(key)
	h := &siemReceiver{key: key, got: map[int64]apiv1.Event{}}
	h.up.Store(true)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rs := httptest.NewUnstartedServer(h)
	rs.Listener.Close()
	rs.Listener = ln
	rs.Start()
	t.Cleanup(rs.Close)

	// The secret reaches the server through the environment (a name
	// without the WARDEN_ prefix, which env() would drop), the sink through
	// ./warden.yaml in the server's working folder.
	t.Setenv("CRASHTEST_SINK_SECRET", "whsec_"+base64.StdEncoding.EncodeToString(key))
	yaml := fmt.Sprintf("sinks:\n  - name: siem\n    type: webhook\n    url: %s/hooks/warden\n    secret_env: CRASHTEST_SINK_SECRET\n", rs.URL)
	if err := os.WriteFile(filepath.Join(s.root, "warden.yaml"), []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	s.start()
	s.setup()

	// Up: the sink keeps pace.
	agent := s.client(s.agentToken)
	put := func(ctx context.Context, c *client.Client, name string) (string, error) {
		body := "event payload " + name
		resp, err := c.Do(ctx, "PUT", "/api/v1/workspaces/"+wsName+"/files/sink/"+name, nil, strings.NewReader(body), int64(len(body)))
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		io.Copy(io.Discard, resp.Body)
		return resp.Header.Get("X-Request-Id"), nil
	}
	for i := range 10 {
		if _, err := put(context.Background(), agent, fmt.Sprintf("warm-%d.txt", i)); err != nil {
			t.Fatalf("put while up: %v", err)
		}
	}
	waitDelivered(t, h, deliverable(auditChain(t, s.client(s.adminToken))), "receiver up")

	// Down: a backlog builds up while four agents' requests go on; kill -9
	// in the middle of them.
	h.up.Store(false)
	const wantAcks = 200
	var (
		ackMu  sync.Mutex
		acked  []string // X-Request-Id of every acknowledged request
		killed atomic.Bool
		wg     sync.WaitGroup
	)
	ctx, cancel := context.WithCancel(context.Background())
	enough := make(chan struct{})
	var enoughOnce sync.Once
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil && !killed.Load(); i++ {
				id, err := put(ctx, agent, fmt.Sprintf("w%d-%d.txt", w, i))
				if err != nil {
					var ce *client.Error
					if errors.As(err, &ce) || !killed.Load() {
						t.Errorf("put failed while the server was up: %v", err)
					}
					return
				}
				if id == "" {
					t.Error("an acknowledged request has no X-Request-Id")
				}
				ackMu.Lock()
				acked = append(acked, id)
				if len(acked) >= wantAcks {
					enoughOnce.Do(func() { close(enough) })
				}
				ackMu.Unlock()
			}
		})
	}
	select {
	case <-enough:
	case <-time.After(safety):
		t.Error("the backlog did not build up")
	}
	killed.Store(true)
	s.kill()
	cancel()
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	h.mu.Lock()
	refused := h.refused
	h.mu.Unlock()
	if refused == 0 {
		t.Fatal("the sink never tried the receiver while it was down")
	}

	// Restart on the same folder; the receiver comes back.
	s.start()
	h.up.Store(true)
	evs := auditChain(t, s.client(s.adminToken))
	byRequest := map[string][]int64{}
	for _, ev := range evs {
		if ev.RequestID != "" {
			byRequest[ev.RequestID] = append(byRequest[ev.RequestID], ev.Seq)
		}
	}
	for _, id := range acked {
		if len(byRequest[id]) == 0 {
			t.Fatalf("acknowledged request %s has no event in the chain after the crash", id)
		}
	}
	want := deliverable(evs)
	for i, seq := range want {
		if seq != int64(i+1) {
			t.Fatalf("the chain itself has a gap at %d (seq %d)", i+1, seq)
		}
	}
	waitDelivered(t, h, want, "after kill -9 and restart")

	h.mu.Lock()
	if len(h.rejected) > 0 {
		t.Errorf("the receiver rejected %d deliveries: %v", len(h.rejected), h.rejected[:min(len(h.rejected), 10)])
	}
	for _, id := range acked {
		for _, seq := range byRequest[id] {
			if ev := h.got[seq]; ev.RequestID != id {
				t.Errorf("seq %d arrived as request %q, want %q", seq, ev.RequestID, id)
			}
		}
	}
	t.Logf("kill with the receiver down: %d acknowledged requests (%d refused deliveries); %d events delivered after the restart, %d duplicates",
		len(acked), refused, len(want), h.dups)
	h.mu.Unlock()

	// Round two: a backlog again, then kill -9 while the sink is working
	// through it (the receiver answers slowly), so that the cursor lags
	// what was delivered: duplicates are allowed, gaps are not.
	h.up.Store(false)
	agent = s.client(s.agentToken)
	for i := range 150 {
		if _, err := put(context.Background(), agent, fmt.Sprintf("r2-%d.txt", i)); err != nil {
			t.Fatalf("put: %v", err)
		}
	}
	backlog := deliverable(auditChain(t, s.client(s.adminToken)))
	backlog = backlog[len(want):]
	h.slow.Store(int64(3 * time.Millisecond))
	h.up.Store(true)
	deadline := time.Now().Add(safety)
	for len(h.missing(backlog)) > len(backlog)*2/3 {
		if time.Now().After(deadline) {
			t.Fatal("the sink did not start on its backlog")
		}
		time.Sleep(5 * time.Millisecond)
	}
	s.kill()
	left := len(h.missing(backlog))
	h.slow.Store(0)
	s.start()
	all := deliverable(auditChain(t, s.client(s.adminToken)))
	waitDelivered(t, h, all, "after kill -9 mid-delivery and restart")
	h.mu.Lock()
	t.Logf("kill mid-delivery: %d of a backlog of %d were still undelivered; %d duplicates in all", left, len(backlog), h.dups)
	if len(h.rejected) > 0 {
		t.Errorf("the receiver rejected %d deliveries: %v", len(h.rejected), h.rejected[:min(len(h.rejected), 10)])
	}
	h.mu.Unlock()
	s.kill()
	s.auditVerify("after the sink crash test")
}
