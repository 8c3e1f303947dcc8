package dlp

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// BenchmarkScan scans about 64 KiB of what passes through the model plane:
// markdown prose, Go, Python and JavaScript, JSON and log lines, with a few
// sensitive values sprinkled in. Values come from small pools, so the same
// ones recur, as they do in a conversation that resends its history. Run
// it on one core to read MB/s per core:
//
//	go test ./dlp/ -run '^$' -bench Scan -cpu 1
func BenchmarkScan(b *testing.B) {
	benchScan(b, benchCorpus(64<<10))
}

// BenchmarkScanDistinct is BenchmarkScan with every key, phone number,
// email address, card number and IP address made anew, so that none is
// validated twice.
func BenchmarkScanDistinct(b *testing.B) {
	benchScan(b, benchCorpusDistinct(64<<10))
}

func benchScan(b *testing.B, text string) {
	e := newTestEngine(b)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		e.Scan(text)
	}
}

// benchChunks are the kinds of text an agent sends and receives. Their
// {{name}}, {{email}}... slots are filled with values, some of them
// sensitive.
var benchChunks = []string{
	// Markdown prose.
	`## Deploying the service

The service reads its configuration from the environment at start-up. In
production we run three replicas behind the load balancer, and each replica
keeps a small in-memory cache of the last 500 responses. When you change the
schema, run the migration first, then roll the replicas one at a time; the
old and new versions must be able to read each other's rows for a while.

See the runbook for what to do when the health check fails. If in doubt, ask
in the #platform channel before you restart anything in the primary region.
`,
	`### Meeting notes, {{date}}

Attendees: {{name}}, the platform team and two people from support. We agreed to
move the release to next Tuesday because the payment tests are still flaky on
the CI runners. Action items: update the changelog, tag v2.14.0, and write to
{{email}} once the build is green. The customer on ticket 48213 can be reached on
{{phone}} if the refund needs a call.
`,
	`The model answered the question well, but it cited a section of the policy
that does not exist. We should ground the answer in the retrieved documents
only, and say so plainly when nothing relevant was found. Latency was fine:
p50 of 820 ms and p99 of 2.4 s over 1,200 requests last week.
`,
	// Go.
	`func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	var req struct {
		User     string ` + "`json:\"user\"`" + `
		Password string ` + "`json:\"password\"`" + `
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	token, err := s.auth.Login(r.Context(), req.User, req.Password)
	if err != nil {
		s.log.Warn("login failed", "user", req.User, "remote", r.RemoteAddr)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: "session", Value: token, HttpOnly: true, Secure: true})
}
`,
	`// Config is read once at start-up.
type Config struct {
	Addr        string        // listen address, e.g. ":8080"
	DatabaseURL string        // DATABASE_URL
	APIKey      string        // API_KEY, required
	Timeout     time.Duration // per request
	MaxBody     int64
}

func Load() (*Config, error) {
	c := &Config{Addr: ":8080", Timeout: 30 * time.Second, MaxBody: 1 << 20}
	c.APIKey = os.Getenv("API_KEY")
	if c.APIKey == "" {
		return nil, errors.New("API_KEY is not set")
	}
	return c, nil
}
`,
	`for i, item := range items {
	if item.Price <= 0 || item.Quantity == 0 {
		continue
	}
	total += item.Price * float64(item.Quantity)
	if i%100 == 0 {
		log.Printf("processed %d items, total %.2f", i, total)
	}
}
`,
	// Python.
	`import os
import requests

API_URL = "https://api.internal.acme-corp.com/v2"
TOKEN = os.environ["SERVICE_TOKEN"]


def fetch_orders(customer_id: int, limit: int = 50) -> list[dict]:
    """Return the customer's most recent orders."""
    resp = requests.get(
        f"{API_URL}/customers/{customer_id}/orders",
        headers={"Authorization": f"Bearer {TOKEN}"},
        params={"limit": limit},
        timeout=10,
    )
    resp.raise_for_status()
    return resp.json()["orders"]
`,
	`class RateLimiter:
    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.updated = time.monotonic()

    def allow(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False
`,
	// JavaScript.
	`export async function saveDraft(editor, { signal } = {}) {
  const body = JSON.stringify({ title: editor.title, content: editor.getHTML() });
  const res = await fetch("/api/drafts", {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
    body,
    signal,
  });
  if (!res.ok) throw new Error(` + "`save failed: ${res.status}`" + `);
  return res.json();
}
`,
	`const config = {
  region: "eu-west-1",
  bucket: "acme-uploads-prod",
  accessKeyId: "{{key}}",
  maxRetries: 3,
  logger: console,
};
`,
	// JSON.
	`{"id": "ord_7f3a9c", "created": "2026-03-14T09:26:53Z", "status": "paid",
 "customer": {"name": "{{name}}", "email": "{{email}}"},
 "items": [{"sku": "KB-104", "qty": 2, "price": 49.9}, {"sku": "MS-220", "qty": 1, "price": 19.5}],
 "shipping": {"method": "express", "eta_days": 2}, "version": "1.8.3"}
`,
	`{"model": "gpt-4o", "temperature": 0.2, "max_tokens": 1024,
 "messages": [{"role": "system", "content": "You are a careful assistant."},
              {"role": "user", "content": "Summarise the attached incident report in five bullet points."}]}
`,
	// Logs.
	`2026-03-14T09:26:53.114Z INFO  http request method=GET path=/api/v1/items status=200 dur=12.4ms remote={{ip}}
2026-03-14T09:26:53.220Z INFO  http request method=POST path=/api/v1/orders status=201 dur=48.1ms remote=10.0.3.17
2026-03-14T09:26:54.002Z WARN  cache miss ratio high ratio=0.42 shard=7
2026-03-14T09:26:54.871Z ERROR db query failed err="context deadline exceeded" query_id=9f2c41 attempt=3
2026-03-14T09:26:55.013Z INFO  worker finished job=reindex items=18230 took=2.1s
`,
	`Mar 14 09:27:01 web-3 sshd[21844]: Accepted publickey for deploy from {{ip}} port 52144 ssh2
Mar 14 09:27:02 web-3 systemd[1]: Started Session 812 of user deploy.
Mar 14 09:27:09 web-3 kernel: [8812.114233] TCP: request_sock_TCP: Possible SYN flooding on port 443.
`,
	// Payment detail in a support reply.
	`Hi {{name}},

thanks for your patience. I can see the charge on the card ending in the
number you gave ({{card}}) and have started the refund; it takes three to five
working days. Your reference is RF-2026-00417.

Best regards,
Support
`,
}

var benchValues = struct {
	dates, names, emails, phones, keys, ips, cards []string
}{
	dates:  []string{"March 14", "2026-03-14", "Tuesday 3 March"},
	names:  []string{"Margaret Thompson", "Daniel Okafor", "Sofia Lindqvist", "Wei Zhang"},
	emails: []string{"m.thompson@acme-corp.com", "d.okafor@northwind.io", "sofia@lindqvist.se"},
	phones: []string{"+1 (415) 555-0132", "+44 20 7946 0958", "(212) 555-0199"},
	keys:   []string{"AKIAZ4TRWQ6PLM2KX7BN", "AKIAQ3EGRZ5LBW7TXN4P"},
	ips:    []string{"81.2.69.160", "203.0.113.7", "2a02:1205:34c5:a3f0::1"},
	cards:  []string{"4539 1488 0343 6467", "5555 5555 5555 4444"},
}

// benchCorpus builds about size bytes of mixed text, the same every run.
func benchCorpus(size int) string {
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	var b strings.Builder
	for b.Len() < size {
		v := benchValues
		fill := strings.NewReplacer("{{date}}", pick(v.dates), "{{name}}", pick(v.names), "{{email}}", pick(v.emails),
			"{{phone}}", pick(v.phones), "{{key}}", pick(v.keys), "{{ip}}", pick(v.ips), "{{card}}", pick(v.cards))
		fill.WriteString(&b, benchChunks[rng.IntN(len(benchChunks))])
		b.WriteByte('\n')
	}
	return b.String()
}

// benchCorpusDistinct is benchCorpus with a new value in every slot but the
// names and dates.
func benchCorpusDistinct(size int) string {
	rng := rand.New(rand.NewPCG(1, 2))
	v := benchValues
	pick := func(s []string) func() string { return func() string { return s[rng.IntN(len(s))] } }
	digits := func(n int) string {
		d := make([]byte, n)
		for i := range d {
			d[i] = byte('0' + rng.IntN(10))
		}
		return string(d)
	}
	return buildBenchCorpus(rng, size, map[string]func() string{
		"date": pick(v.dates), "name": pick(v.names),
		"email": func() string {
			return fmt.Sprintf("user%d@%s", rng.IntN(1e6), pick([]string{"acme-corp.com", "northwind.io", "web.de"})())
		},
		"phone": func() string {
			return fmt.Sprintf("+1 (%s) %d%s-%s", pick([]string{"212", "415", "617", "312"})(), 2+rng.IntN(8), digits(2), digits(4))
		},
		"key": func() string {
			k := []byte("AKIA")
			for range 16 {
				k = append(k, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[rng.IntN(32)])
			}
			return string(k)
		},
		"ip": func() string {
			return fmt.Sprintf("%d.%d.%d.%d", 81+rng.IntN(100), rng.IntN(256), rng.IntN(256), 1+rng.IntN(254))
		},
		"card": func() string {
			body := "4" + digits(14)
			for c := range 10 {
				if n := body + string(byte('0'+c)); luhn(n) {
					return n[:4] + " " + n[4:8] + " " + n[8:12] + " " + n[12:]
				}
			}
			panic("no check digit")
		},
	})
}

// buildBenchCorpus joins chunks, filling each slot with a fresh value.
func buildBenchCorpus(rng *rand.Rand, size int, fill map[string]func() string) string {
	var b strings.Builder
	for b.Len() < size {
		chunk := benchChunks[rng.IntN(len(benchChunks))]
		for {
			i := strings.Index(chunk, "{{")
			if i < 0 {
				break
			}
			j := strings.Index(chunk, "}}")
			b.WriteString(chunk[:i])
			b.WriteString(fill[chunk[i+2:j]]())
			chunk = chunk[j+2:]
		}
		b.WriteString(chunk)
		b.WriteByte('\n')
	}
	return b.String()
}

// BenchmarkBaselineOneRegexp is the baseline BenchmarkScan is read against
// (docs/BENCHMARKS.md): one bare email regular expression from the standard
// library over the same corpus — the cheapest detector one could write,
// with none of the twelve recognizers' validation.
func BenchmarkBaselineOneRegexp(b *testing.B) {
	text := benchCorpus(64 << 10)
	re := regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		re.FindAllStringIndex(text, -1)
	}
}
