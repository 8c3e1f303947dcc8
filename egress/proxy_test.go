package egress_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/egress"
)

// fakeAuth knows one agent per token.
type fakeAuth map[string]*warden.Principal

func (f fakeAuth) Authenticate(_ context.Context, tok string) (*warden.Principal, error) {
	if p := f[tok]; p != nil {
		cp := *p
		return &cp, nil
	}
	return nil, warden.Errorf(warden.EUNAUTHORIZED, "unknown token")
}

// events records audit events.
type events struct {
	mu  sync.Mutex
	all []*warden.Event
}

func (e *events) Record(_ context.Context, ev *warden.Event) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.all = append(e.all, ev)
	return nil
}

func (e *events) last(t *testing.T) *warden.Event {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.all) == 0 {
		t.Fatal("no audit event")
	}
	return e.all[len(e.all)-1]
}

// resolver answers from a table, and counts lookups.
type resolver struct {
	mu      sync.Mutex
	answers map[string][][]netip.Addr // successive answers per name
	calls   map[string]int
}

func (r *resolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	as := r.answers[host]
	if len(as) == 0 {
		return nil, fmt.Errorf("no such host %s", host)
	}
	i := min(r.calls[host], len(as)-1)
	r.calls[host]++
	return as[i], nil
}

// dialer dials loopback for real and refuses (and records) anything else:
// a test never sends a packet off this machine.
type dialer struct {
	mu      sync.Mutex
	dialled []string
}

func (d *dialer) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	d.dialled = append(d.dialled, addr)
	d.mu.Unlock()
	ap, err := netip.ParseAddrPort(addr)
	if err != nil || !ap.Addr().IsLoopback() {
		return nil, fmt.Errorf("test dialer: refusing to dial %s off loopback", addr)
	}
	var nd net.Dialer
	return nd.DialContext(ctx, network, addr)
}

func (d *dialer) calls() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.dialled...)
}

type env struct {
	proxy *httptest.Server
	ev    *events
	res   *resolver
	dial  *dialer
	agent *warden.Principal
	tok   string
}

// start runs a proxy whose guard allows loopback (the only place tests may
// reach) unless private is given.
func start(t *testing.T, mode egress.Mode, global []string, profiles map[string][]string, private ...netip.Prefix) *env {
	t.Helper()
	if private == nil {
		private = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	}
	pol, err := egress.NewPolicy(mode, global, profiles)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{ev: &events{}, res: &resolver{answers: map[string][][]netip.Addr{}, calls: map[string]int{}}, dial: &dialer{},
		agent: &warden.Principal{ID: 1, Name: "researcher", Kind: warden.KindAgent, Profile: "research"}, tok: "wdn_test_token"}
	p := egress.New(egress.Options{Auth: fakeAuth{e.tok: e.agent}, Audit: e.ev, Policy: pol, Guard: egress.NewGuard(private),
		Resolver: e.res, Dial: e.dial.Dial})
	e.proxy = httptest.NewServer(p)
	t.Cleanup(func() { e.proxy.Close(); p.Shutdown(context.Background()) })
	return e
}

// client goes through the proxy as name:token and trusts srv's certificate.
func (e *env) client(name, tok string, srv *httptest.Server) *http.Client {
	u, _ := url.Parse(e.proxy.URL)
	u.User = url.UserPassword(name, tok)
	tr := &http.Transport{Proxy: http.ProxyURL(u)}
	if srv != nil && srv.TLS != nil {
		tr.TLSClientConfig = &tls.Config{RootCAs: srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs}
	}
	return &http.Client{Transport: tr}
}

func upstream(t *testing.T, tlsOn bool) *httptest.Server {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Proxy-Authorization") != "" {
			http.Error(w, "proxy credentials leaked upstream", 500)
			return
		}
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "hello %s %d", r.URL.Path, len(b))
	})
	var s *httptest.Server
	if tlsOn {
		s = httptest.NewTLSServer(h)
	} else {
		s = httptest.NewServer(h)
	}
	t.Cleanup(s.Close)
	return s
}

func hostPort(s *httptest.Server) string { u, _ := url.Parse(s.URL); return u.Host }

func TestTunnelsAndForwardsToAllowedHosts(t *testing.T) {
	tlsUp, plainUp := upstream(t, true), upstream(t, false)
	e := start(t, egress.Enforce, nil, map[string][]string{"research": {hostPort(tlsUp), hostPort(plainUp)}})
	for _, tc := range []struct {
		name   string
		srv    *httptest.Server
		method string
	}{{"https through CONNECT", tlsUp, "CONNECT"}, {"plain http forwarded", plainUp, "POST"}} {
		t.Run(tc.name, func(t *testing.T) {
			c := e.client("researcher", e.tok, tc.srv)
			resp, err := c.Post(tc.srv.URL+"/doc", "text/plain", strings.NewReader("12345"))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || string(body) != "hello /doc 5" {
				t.Fatalf("%d %q", resp.StatusCode, body)
			}
			c.CloseIdleConnections() // end the tunnel, so it is recorded
			var ev *warden.Event
			for range 200 {
				e.ev.mu.Lock()
				n := len(e.ev.all)
				e.ev.mu.Unlock()
				if n > 0 {
					ev = e.ev.last(t)
					if ev.Details["method"] == tc.method {
						break
					}
				}
				sleep()
			}
			if ev == nil || ev.Action != "egress.connect" || ev.Decision.Effect != warden.Allow || ev.Principal != "researcher" ||
				ev.Details["ip"] != "127.0.0.1" || ev.Details["method"] != tc.method || ev.Details["bytes_down"].(int64) == 0 || ev.Details["bytes_up"].(int64) == 0 {
				t.Fatalf("event = %+v", ev)
			}
		})
	}
}

func TestRefusesWithoutValidProxyCredentials(t *testing.T) {
	up := upstream(t, false)
	e := start(t, egress.Enforce, []string{hostPort(up)}, nil)
	for _, tc := range []struct{ name, user, tok string }{
		{"no credentials", "", ""}, {"unknown token", "researcher", "wdn_wrong"}, {"another name", "admin", e.tok},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := e.client(tc.user, tc.tok, nil)
			if tc.user == "" {
				c = &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(mustURL(e.proxy.URL))}}
			}
			resp, err := c.Get(up.URL)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusProxyAuthRequired || !strings.HasPrefix(resp.Header.Get("Proxy-Authenticate"), "Basic") {
				t.Fatalf("status %d, Proxy-Authenticate %q", resp.StatusCode, resp.Header.Get("Proxy-Authenticate"))
			}
		})
	}
	if n := len(e.dial.calls()); n != 0 {
		t.Fatalf("dialled %d times for unauthenticated requests", n)
	}
}

func TestAllowlistAndModes(t *testing.T) {
	up := upstream(t, false)
	for _, tc := range []struct {
		name     string
		mode     egress.Mode
		global   []string
		profiles map[string][]string
		status   int
		rule     string
	}{
		{"not listed: refused", egress.Enforce, nil, nil, 403, "egress.not_allowed"},
		{"another profile's list does not count", egress.Enforce, nil, map[string][]string{"devops": {hostPort(up)}}, 403, "egress.not_allowed"},
		{"global list", egress.Enforce, []string{hostPort(up)}, nil, 200, "egress.allow: " + hostPort(up)},
		{"profile list", egress.Enforce, nil, map[string][]string{"research": {hostPort(up)}}, 200, "profiles.research.egress.allow: " + hostPort(up)},
		{"report mode lets it through", egress.Report, nil, nil, 200, "egress.report"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := start(t, tc.mode, tc.global, tc.profiles)
			resp, err := e.client("researcher", e.tok, nil).Get(up.URL + "/x")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d (%s), want %d", resp.StatusCode, body, tc.status)
			}
			if ev := e.ev.last(t); ev.Decision.Rule != tc.rule {
				t.Fatalf("rule %q, want %q", ev.Decision.Rule, tc.rule)
			}
			if tc.status == 403 && (!strings.Contains(string(body), "not on the allowlist") || resp.Header.Get("X-Warden-Rule") != tc.rule) {
				t.Fatalf("refusal body %q, rule header %q", body, resp.Header.Get("X-Warden-Rule"))
			}
		})
	}
}

// Names are resolved once; every answer must be a public (or admin-allowed)
// address; the address dialled is the one checked, whatever a second lookup
// would say (DNS rebinding).
func TestNamesResolveOnceAndEveryAnswerIsChecked(t *testing.T) {
	up := upstream(t, false)
	_, port, _ := net.SplitHostPort(hostPort(up))
	loop := netip.MustParseAddr("127.0.0.1")
	e := start(t, egress.Report, nil, nil)
	e.res.answers["rebind.test"] = [][]netip.Addr{{loop}, {netip.MustParseAddr("169.254.169.254")}}
	e.res.answers["mixed.test"] = [][]netip.Addr{{loop, netip.MustParseAddr("10.0.0.5")}}
	e.res.answers["metadata.test"] = [][]netip.Addr{{netip.MustParseAddr("169.254.169.254")}}
	e.res.answers["mapped.test"] = [][]netip.Addr{{netip.MustParseAddr("::ffff:10.1.1.1")}}
	c := e.client("researcher", e.tok, nil)

	resp, err := c.Get("http://rebind.test:" + port + "/a")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("rebind.test first answer: %d", resp.StatusCode)
	}
	if got := e.dial.calls(); len(got) != 1 || got[0] != "127.0.0.1:"+port {
		t.Fatalf("dialled %v, want exactly the checked address", got)
	}
	if n := e.res.calls["rebind.test"]; n != 1 {
		t.Fatalf("%d lookups, want 1", n)
	}
	for _, host := range []string{"mixed.test", "metadata.test", "mapped.test", "nxdomain.test"} {
		before := len(e.dial.calls())
		resp, err := c.Get("http://" + host + ":" + port + "/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Errorf("%s: allowed", host)
		}
		if len(e.dial.calls()) != before {
			t.Errorf("%s: dialled %v", host, e.dial.calls()[before:])
		}
	}
}

// Forbidden addresses are refused before any dial, even when allowlisted.
func TestForbiddenAddressesAreNeverDialled(t *testing.T) {
	targets := []string{"169.254.169.254:80", "10.0.0.1:443", "[::1]:443", "2130706433:80", "0x7f.1:80", "[fd00:ec2::254]:80", "[::ffff:192.168.0.1]:443", "100.100.100.200:80"}
	e := start(t, egress.Enforce, []string{"*.example.com", "169.254.169.254", "10.0.0.1", "2130706433"}, nil, netip.Prefix{})
	for _, target := range targets {
		status := rawConnect(t, e, target)
		if status == 200 {
			t.Errorf("CONNECT %s: 200", target)
		}
	}
	if got := e.dial.calls(); len(got) != 0 {
		t.Fatalf("dialled %v", got)
	}
}

// rawConnect sends one CONNECT and returns the status.
func rawConnect(t *testing.T, e *env, target string) int {
	t.Helper()
	c, err := net.Dial("tcp", hostPort(e.proxy))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	auth := base64.StdEncoding.EncodeToString([]byte("researcher:" + e.tok))
	fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\nHost: %s\r\nProxy-Authorization: Basic %s\r\n\r\n", target, target, auth)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("CONNECT %s: %v", target, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func mustURL(s string) *url.URL { u, _ := url.Parse(s); return u }
