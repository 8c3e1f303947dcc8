package sink

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wardenhq/warden/apiv1"
)

// Webhook posts each event as its own request, signed per the Standard
// Webhooks spec: webhook-id (evt_<seq>, the same on every retry, for
// deduplication), webhook-timestamp (unix seconds) and webhook-signature
// ("v1," and the base64 HMAC-SHA256 of "id.timestamp.body" under the
// secret's key).
type Webhook struct {
	url    string
	key    []byte
	client *http.Client
	now    func() time.Time
}

// NewWebhook returns a webhook destination. secret is "whsec_" and the
// base64 key, as Standard Webhooks secrets are written.
func NewWebhook(url, secret string, client *http.Client) (*Webhook, error) {
	b64, ok := strings.CutPrefix(strings.TrimSpace(secret), "whsec_")
	if !ok {
		return nil, fmt.Errorf("webhook secret must start with whsec_")
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(key) < 16 {
		return nil, fmt.Errorf("webhook secret: want whsec_ and the base64 of at least 16 bytes")
	}
	if client == nil {
		client = &http.Client{Timeout: 15 * time.Second}
	}
	return &Webhook{url: url, key: key, client: client, now: time.Now}, nil
}

// Sign returns the webhook-signature value for a message.
func Sign(key []byte, id string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "%s.%d.", id, ts)
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Deliver posts events one by one, stopping at the first failure.
func (w *Webhook) Deliver(ctx context.Context, evs []apiv1.Event) (int, error) {
	for i, ev := range evs {
		body, err := json.Marshal(ev)
		if err != nil {
			return i, err
		}
		id := "evt_" + strconv.FormatInt(ev.Seq, 10)
		ts := w.now().Unix()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
		if err != nil {
			return i, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "warden-sink")
		req.Header.Set("webhook-id", id)
		req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
		req.Header.Set("webhook-signature", Sign(w.key, id, ts, body))
		resp, err := w.client.Do(req)
		if err != nil {
			return i, fmt.Errorf("post failed: %w", stripURL(err))
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			return i, fmt.Errorf("the receiver answered %d", resp.StatusCode)
		}
	}
	return len(evs), nil
}

// Close releases idle connections.
func (w *Webhook) Close() error {
	w.client.CloseIdleConnections()
	return nil
}

// stripURL keeps a transport error's cause without the URL (a webhook URL
// may carry a token).
func stripURL(err error) error {
	type unwrapper interface{ Unwrap() error }
	if u, ok := err.(unwrapper); ok && u.Unwrap() != nil {
		return u.Unwrap()
	}
	return err
}
