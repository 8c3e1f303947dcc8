package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wardenhq/warden"
)

// Live updates: GET /console/events is a text/event-stream that tells a
// signed-in page that an approval was requested or decided ("approval") or
// an alert was raised or changed ("alert"). It is fed by the audit stream
// (Observe), never by polling the store, and says only which id changed and
// how: the page then reloads its own list, through the services, which
// check and record the read as for any other visit.
var (
	liveKeepAlive = durationVar(15 * time.Second) // a comment line, so proxies keep the stream open
	liveRecheck   = durationVar(30 * time.Second) // the session and its credential are checked again
)

const (
	livePerSession = 4   // streams one session may hold open (tabs)
	liveMax        = 512 // streams in all
	liveBuffer     = 32  // events queued for a slow stream; past it they are dropped
)

// durationVar is a duration tests may shorten.
func durationVar(d time.Duration) *atomic.Int64 {
	var v atomic.Int64
	v.Store(int64(d))
	return &v
}

// Subscriber is what the console needs of the audit log to be told of
// every committed event (*audit.Log). When Options.Events implements it,
// New subscribes the console's live updates to it.
type Subscriber interface {
	Subscribe(fn func(warden.Event))
}

// liveEvent is one event as a stream sends it.
type liveEvent struct {
	kind string // "approval" or "alert"
	data []byte // {"id":..., "change":...}
}

type liveClient struct {
	key  [32]byte
	ch   chan liveEvent
	done chan struct{}
	once sync.Once
}

func (c *liveClient) close() { c.once.Do(func() { close(c.done) }) }

// liveHub fans committed audit events out to the open streams.
type liveHub struct {
	mu         sync.Mutex
	clients    map[*liveClient]struct{}
	perSession map[[32]byte]int
	servers    map[*http.Server]bool // whose shutdown ends the streams
}

func newLiveHub() *liveHub {
	return &liveHub{clients: map[*liveClient]struct{}{}, perSession: map[[32]byte]int{}, servers: map[*http.Server]bool{}}
}

// join adds a stream for the session with key k, unless the bounds are
// reached.
func (hb *liveHub) join(k [32]byte) (*liveClient, bool) {
	hb.mu.Lock()
	defer hb.mu.Unlock()
	if len(hb.clients) >= liveMax || hb.perSession[k] >= livePerSession {
		return nil, false
	}
	c := &liveClient{key: k, ch: make(chan liveEvent, liveBuffer), done: make(chan struct{})}
	hb.clients[c] = struct{}{}
	hb.perSession[k]++
	return c, true
}

func (hb *liveHub) leave(c *liveClient) {
	hb.mu.Lock()
	defer hb.mu.Unlock()
	if _, ok := hb.clients[c]; !ok {
		return
	}
	delete(hb.clients, c)
	if hb.perSession[c.key]--; hb.perSession[c.key] <= 0 {
		delete(hb.perSession, c.key)
	}
}

// watch ends every stream when srv shuts down: a stream never goes idle, so
// Shutdown would otherwise wait for it until its deadline.
func (hb *liveHub) watch(srv *http.Server) {
	hb.mu.Lock()
	seen := hb.servers[srv]
	hb.servers[srv] = true
	hb.mu.Unlock()
	if !seen {
		srv.RegisterOnShutdown(hb.closeAll)
	}
}

func (hb *liveHub) closeAll() {
	hb.mu.Lock()
	defer hb.mu.Unlock()
	for c := range hb.clients {
		c.close()
	}
}

// publish queues ev for every stream; it never blocks (a full queue drops
// the event: the page reloads its whole list on the next one anyway).
func (hb *liveHub) publish(ev liveEvent) {
	hb.mu.Lock()
	defer hb.mu.Unlock()
	for c := range hb.clients {
		select {
		case c.ch <- ev:
		default:
		}
	}
}

// Observe is the audit subscriber: it turns the committed events that
// change the approvals or alerts lists into live events. It does not block.
func (h *Handler) Observe(ev warden.Event) {
	kind, id, change := liveKind(ev)
	if kind == "" {
		return
	}
	data, err := json.Marshal(struct {
		ID     string `json:"id"`
		Change string `json:"change"`
	}{id, change})
	if err != nil {
		return
	}
	h.live.publish(liveEvent{kind: kind, data: data})
}

// liveKind classifies an audit event: which list it changes, the id, and
// how. Refused or failed actions change nothing.
func liveKind(ev warden.Event) (kind, id, change string) {
	if ev.Error != "" || ev.Decision.Effect == warden.Deny {
		return "", "", ""
	}
	str := func(k string) string { s, _ := ev.Details[k].(string); return s }
	switch ev.Action {
	case "approval.request":
		return "approval", str("approval_id"), "requested"
	case "approval.approve":
		return "approval", ev.Target, "approved"
	case "approval.deny":
		return "approval", ev.Target, "denied"
	case "detect.alert":
		return "alert", str("alert_id"), "raised"
	case "alert.acknowledge":
		return "alert", ev.Target, "acknowledged"
	case "alert.resolve":
		return "alert", ev.Target, "resolved"
	}
	return "", "", ""
}

// liveAllowed reports whether p may be told of events of kind ("" : of
// any kind): approvals go to those who see the approvals list (admins,
// approvers, auditors), alerts to those who see alerts (admins, auditors).
func liveAllowed(p *warden.Principal, kind string) bool {
	approvals := canReadApprovals(p)
	switch kind {
	case "approval":
		return approvals
	case "alert":
		return p.CanReadAudit()
	}
	return approvals || p.CanReadAudit()
}

func canReadApprovals(p *warden.Principal) bool {
	return p != nil && p.Kind == warden.KindHuman &&
		(p.Role == warden.HumanAdmin || p.Role == warden.HumanApprover || p.Role == warden.HumanAuditor)
}

// liveStream serves GET /console/events. It is refused with a bare status (not
// the sign-in redirect, which EventSource cannot follow usefully): 401
// without a live session, 403 for a role that sees neither list, 429 past
// the bounds. Opening a stream does not count as activity: the session
// still ends after SessionIdle without a page request.
func (h *Handler) liveStream(w http.ResponseWriter, r *http.Request) {
	id, sess, ok := h.peek(r)
	if !ok {
		http.Error(w, "not signed in", http.StatusUnauthorized)
		return
	}
	p, err := h.principalOf(r, sess)
	if err != nil {
		http.Error(w, "not signed in", http.StatusUnauthorized)
		return
	}
	if !liveAllowed(p, "") {
		http.Error(w, "this role sees neither approvals nor alerts", http.StatusForbidden)
		return
	}
	c, ok := h.live.join(sessionKey(id))
	if !ok {
		http.Error(w, "too many live streams", http.StatusTooManyRequests)
		return
	}
	defer h.live.leave(c)
	if srv, ok := r.Context().Value(http.ServerContextKey).(*http.Server); ok && srv != nil {
		h.live.watch(srv)
	}
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // a server write timeout would cut the stream
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	send := func(s string) bool {
		if _, err := fmt.Fprint(w, s); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	// Reconnect after 10 s if the stream drops.
	if !send("retry: 10000\n\n") {
		return
	}
	keep, check := time.NewTicker(time.Duration(liveKeepAlive.Load())), time.NewTicker(time.Duration(liveRecheck.Load()))
	defer keep.Stop()
	defer check.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-c.done:
			return
		case ev := <-c.ch:
			if liveAllowed(p, ev.kind) && !send("event: "+ev.kind+"\ndata: "+string(ev.data)+"\n\n") {
				return
			}
		case <-keep.C:
			if !send(": keep-alive\n\n") {
				return
			}
		case <-check.C:
			s, ok := h.sessions.peek(id, h.now())
			if ok {
				if p, err = h.principalOf(r, s); err != nil || !liveAllowed(p, "") {
					ok = false
				}
			}
			if !ok {
				// The page stops listening and says to reload.
				send("event: end\ndata: {}\n\n")
				return
			}
		}
	}
}

// peek is lookup without marking the session used.
func (h *Handler) peek(r *http.Request) (string, session, bool) {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return "", session{}, false
	}
	sess, ok := h.sessions.peek(c.Value, h.now())
	return c.Value, sess, ok
}
