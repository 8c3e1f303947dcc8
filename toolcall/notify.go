package toolcall

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/wardenhq/warden"
)

// Notification is what a webhook receives for each new approval: enough
// to find it and decide, never the call's parameters (they are shown,
// masked, to signed-in approvers only).
type Notification struct {
	Type       string    `json:"type"` // "approval.request"
	ApprovalID string    `json:"approval_id"`
	Agent      string    `json:"agent"`
	Profile    string    `json:"profile,omitempty"`
	Tool       string    `json:"tool"`
	Rule       string    `json:"rule"`
	Reason     string    `json:"reason,omitempty"`
	Time       time.Time `json:"time"`
	URL        string    `json:"url,omitempty"` // the console's approval page, if console_url is set
	Text       string    `json:"text"`          // one line for chat webhooks (Slack, Mattermost read "text")
}

// NotifierOptions configure a Notifier.
type NotifierOptions struct {
	URL        string          // where to POST
	ConsoleURL string          // base URL of the console, for links; "" for none
	Client     *http.Client    // default: 10 s timeout
	Backoff    []time.Duration // waits between attempts; default 1s, 5s, 30s
	Logger     *slog.Logger
}

// Notifier posts a Notification for every approval.request event on the
// audit chain. It is fed by audit.Log.Subscribe, after the approval has
// committed, and delivers in the background with retries; a notification
// that cannot be delivered is logged (by approval id), and the approval
// still waits in the console and in `warden approvals list`.
type Notifier struct {
	opts  NotifierOptions
	queue chan Notification
	stop  chan struct{}
	wg    sync.WaitGroup
	once  sync.Once
}

// NewNotifier starts a Notifier; Close stops it.
func NewNotifier(opts NotifierOptions) *Notifier {
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if opts.Backoff == nil {
		opts.Backoff = []time.Duration{time.Second, 5 * time.Second, 30 * time.Second}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	n := &Notifier{opts: opts, queue: make(chan Notification, 1024), stop: make(chan struct{})}
	n.wg.Add(1)
	go n.run()
	return n
}

// Observe is the audit subscriber: it must not block.
func (n *Notifier) Observe(ev warden.Event) {
	if ev.Action != "approval.request" {
		return
	}
	id, _ := ev.Details["approval_id"].(string)
	profile, _ := ev.Details["profile"].(string)
	m := Notification{Type: ev.Action, ApprovalID: id, Agent: ev.Principal, Profile: profile, Tool: ev.Target,
		Rule: ev.Decision.Rule, Reason: ev.Decision.Reason, Time: ev.Time}
	if base := strings.TrimRight(n.opts.ConsoleURL, "/"); base != "" {
		m.URL = base + "/console/approvals#" + id
	}
	// The tool name comes from the agent: escaped, so that chat webhooks
	// (which read <url|label> as a link) show it as text.
	esc := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	m.Text = fmt.Sprintf("Warden: agent %s asks to run %s (%s). Approve or deny: %s", m.Agent, esc.Replace(m.Tool), esc.Replace(m.Rule),
		map[bool]string{true: m.URL, false: "warden approvals approve " + id}[m.URL != ""])
	select {
	case n.queue <- m:
	default:
		n.opts.Logger.Error("approval notification dropped: the queue is full", "approval_id", id)
	}
}

func (n *Notifier) run() {
	defer n.wg.Done()
	for {
		select {
		case <-n.stop:
			return
		case m := <-n.queue:
			n.deliver(m)
		}
	}
}

// deliver posts m, retrying after each backoff; a stop ends the waits.
func (n *Notifier) deliver(m Notification) {
	body, _ := json.Marshal(m)
	for attempt := 0; ; attempt++ {
		err := n.post(body)
		if err == nil {
			return
		}
		if attempt == len(n.opts.Backoff) {
			n.opts.Logger.Error("approval notification not delivered", "approval_id", m.ApprovalID, "attempts", attempt+1, "err", err)
			return
		}
		n.opts.Logger.Warn("approval notification failed; retrying", "approval_id", m.ApprovalID, "attempt", attempt+1, "err", err)
		select {
		case <-n.stop:
			return
		case <-time.After(n.opts.Backoff[attempt]):
		}
	}
}

func (n *Notifier) post(body []byte) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-n.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.opts.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "warden-approvals")
	resp, err := n.opts.Client.Do(req)
	if err != nil {
		// The URL may carry a secret (chat webhooks do): say what failed
		// without it.
		return fmt.Errorf("post to the webhook failed: %s", redactURL(err.Error(), n.opts.URL))
	}
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("the webhook answered %d", resp.StatusCode)
	}
	return nil
}

// redactURL removes the webhook URL from a message.
func redactURL(msg, url string) string {
	return strings.ReplaceAll(msg, url, "<approvals.notify_url>")
}

// Close stops delivering; notifications still queued are dropped (logged
// by count).
func (n *Notifier) Close() {
	n.once.Do(func() {
		close(n.stop)
		n.wg.Wait()
		if left := len(n.queue); left > 0 {
			n.opts.Logger.Warn("approval notifications not sent at shutdown", "count", left)
		}
	})
}
