package egress

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wardenhq/warden"
)

// Authenticator checks an agent's token.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (*warden.Principal, error)
}

// Recorder puts an event on the audit record.
type Recorder interface {
	Record(ctx context.Context, ev *warden.Event) error
}

// Resolver looks names up. net.DefaultResolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Options configure a Proxy.
type Options struct {
	Auth   Authenticator
	Audit  Recorder
	Policy *Policy
	Guard  *Guard
	// Resolver resolves host names (net.DefaultResolver if nil).
	Resolver Resolver
	// Dial connects to an address the guard has checked (a net.Dialer's
	// DialContext if nil). Tests inject one that records and refuses.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// DialTimeout bounds resolving and connecting (default 10 s).
	DialTimeout time.Duration
	// IdleTimeout closes a tunnel with no traffic either way (default 5 min).
	IdleTimeout time.Duration
	Logger      *slog.Logger
	Now         func() time.Time
}

// Proxy is the egress forward proxy: CONNECT tunnels (HTTPS, not
// intercepted) and plain HTTP forwarding. It is an http.Handler for the
// egress listener.
type Proxy struct {
	opts      Options
	transport *http.Transport

	mu      sync.Mutex
	tunnels map[net.Conn]struct{} // open tunnels' client sides
	wg      sync.WaitGroup        // tunnels not yet recorded
	closed  bool                  // shutting down: no new tunnels
}

// New returns a Proxy.
func New(o Options) *Proxy {
	if o.Resolver == nil {
		o.Resolver = net.DefaultResolver
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = 10 * time.Second
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 5 * time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	p := &Proxy{opts: o, tunnels: map[net.Conn]struct{}{}}
	if o.Dial == nil {
		d := &net.Dialer{
			// Belt and braces: the dialer checks the address it is about
			// to connect to, whatever led there.
			Control: func(network, address string, _ syscallRawConn) error {
				ap, err := netip.ParseAddrPort(address)
				if err != nil {
					return fmt.Errorf("%w: %s", ErrForbiddenAddress, address)
				}
				return o.Guard.Check(ap.Addr())
			},
		}
		p.opts.Dial = d.DialContext
	}
	p.transport = &http.Transport{
		// Plain HTTP forwarding dials the address checked for this request,
		// carried in the context: never a second lookup.
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			ap, ok := ctx.Value(dialKey{}).(netip.AddrPort)
			if !ok {
				return nil, errors.New("egress: no checked address")
			}
			return p.opts.Dial(ctx, network, ap.String())
		},
		Proxy:                 nil,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: 2 * time.Minute,
		DisableCompression:    true,
	}
	return p
}

type dialKey struct{}

// Shutdown ends every open tunnel and waits until each is recorded (or ctx
// is done); it also releases idle upstream connections.
func (p *Proxy) Shutdown(ctx context.Context) error {
	p.transport.CloseIdleConnections()
	p.mu.Lock()
	p.closed = true
	for c := range p.tunnels {
		c.Close()
	}
	p.mu.Unlock()
	done := make(chan struct{})
	go func() { p.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("egress: tunnels still closing: %w", ctx.Err())
	}
}

// conn is what one proxied connection did, for its audit event.
type conn struct {
	start    time.Time
	p        *warden.Principal
	method   string
	target   Target
	addr     netip.Addr
	decision warden.Decision
	up, down atomic.Int64
	errCode  string
}

func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := &conn{start: p.opts.Now(), method: r.Method}
	ctx := warden.WithRequest(r.Context(), warden.RequestInfo{ID: newID(), Remote: r.RemoteAddr, UserAgent: r.UserAgent()})
	r = r.WithContext(ctx)
	principal, err := p.authenticate(r)
	if err != nil {
		w.Header().Set("Proxy-Authenticate", `Basic realm="warden egress"`)
		status := http.StatusProxyAuthRequired
		if warden.ErrorCode(err) == warden.ERATELIMIT {
			status = http.StatusTooManyRequests
		}
		if warden.ErrorCode(err) == warden.ELOCKED {
			status = http.StatusForbidden
		}
		http.Error(w, "warden egress: "+warden.ErrorMessage(err), status)
		return
	}
	c.p = principal
	var defPort uint16
	var hostport string
	switch {
	case r.Method == http.MethodConnect:
		hostport = r.Host
	case r.URL.IsAbs() && r.URL.Scheme == "http":
		hostport, defPort = r.URL.Host, 80
	default:
		c.decision = warden.Decision{Effect: warden.Deny, Rule: "egress.bad_request", Reason: "only CONNECT and absolute http:// URLs go through the proxy"}
		p.refuse(w, r, c, http.StatusBadRequest)
		return
	}
	if c.target, err = ParseTarget(hostport, defPort); err != nil {
		c.decision = warden.Decision{Effect: warden.Deny, Rule: "egress.bad_target", Reason: err.Error()}
		p.refuse(w, r, c, http.StatusBadRequest)
		return
	}
	addr, status := p.decide(ctx, c)
	if status != 0 {
		p.refuse(w, r, c, status)
		return
	}
	if r.Method == http.MethodConnect {
		p.tunnel(w, r, c, addr)
		return
	}
	p.forward(w, r, c, addr)
}

// authenticate reads Proxy-Authorization: Basic name:token.
func (p *Proxy) authenticate(r *http.Request) (*warden.Principal, error) {
	name, tok, ok := proxyBasic(r.Header.Get("Proxy-Authorization"))
	if !ok {
		tok = "" // recorded as a missing credential by the identity service
	}
	pr, err := p.opts.Auth.Authenticate(r.Context(), tok)
	if err != nil {
		return nil, err
	}
	if name != pr.Name {
		return nil, warden.Errorf(warden.EUNAUTHORIZED, "the proxy user name must be the token's principal (%s)", pr.Name)
	}
	return pr, nil
}

func proxyBasic(h string) (name, token string, ok bool) {
	scheme, v, found := strings.Cut(h, " ")
	if !found || !strings.EqualFold(scheme, "Basic") {
		return "", "", false
	}
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v))
	if err != nil {
		return "", "", false
	}
	return strings.Cut(string(b), ":")
}

// decide applies the allowlist and the guard; it returns the checked
// address to dial, or an HTTP status with c.decision set.
func (p *Proxy) decide(ctx context.Context, c *conn) (netip.AddrPort, int) {
	ok, rule := p.opts.Policy.Allows(c.p.Profile, c.target)
	switch {
	case ok:
		c.decision = warden.Decision{Effect: warden.Allow, Rule: rule}
	case p.opts.Policy.Mode() == Report:
		c.decision = warden.Decision{Effect: warden.Allow, Rule: "egress.report",
			Reason: fmt.Sprintf("%s is not on the allowlist of profile %s; allowed because egress.mode is report", c.target, c.p.Profile)}
	default:
		c.decision = warden.Decision{Effect: warden.Deny, Rule: "egress.not_allowed",
			Reason: fmt.Sprintf("%s is not on the allowlist of profile %s or the global one", c.target, c.p.Profile)}
		return netip.AddrPort{}, http.StatusForbidden
	}
	addrs := []netip.Addr{c.target.Addr}
	if !c.target.Addr.IsValid() {
		lctx, cancel := context.WithTimeout(ctx, p.opts.DialTimeout)
		defer cancel()
		var err error
		addrs, err = p.opts.Resolver.LookupNetIP(lctx, "ip", c.target.Host)
		if err != nil || len(addrs) == 0 {
			c.decision = warden.Decision{Effect: warden.Deny, Rule: "egress.resolve", Reason: fmt.Sprintf("%s does not resolve", c.target.Host)}
			c.errCode = warden.EUNAVAILABLE
			return netip.AddrPort{}, http.StatusBadGateway
		}
	}
	// Every address a name resolves to must be allowed: a name that mixes
	// public and private answers is refused whole.
	for _, a := range addrs {
		if err := p.opts.Guard.Check(a); err != nil {
			c.addr = a.Unmap()
			c.decision = warden.Decision{Effect: warden.Deny, Rule: "egress.address", Reason: err.Error()}
			return netip.AddrPort{}, http.StatusForbidden
		}
	}
	c.addr = addrs[0].Unmap()
	return netip.AddrPortFrom(c.addr, c.target.Port), 0
}

// refuse answers a refused or failed request and records it.
func (p *Proxy) refuse(w http.ResponseWriter, r *http.Request, c *conn, status int) {
	if err := p.record(r.Context(), c); err != nil {
		status = http.StatusServiceUnavailable
	}
	w.Header().Set("X-Warden-Rule", c.decision.Rule)
	http.Error(w, fmt.Sprintf("warden egress: %s (%s)", c.decision.Reason, c.decision.Rule), status)
}

// tunnel connects and splices bytes both ways until either side closes.
func (p *Proxy) tunnel(w http.ResponseWriter, r *http.Request, c *conn, addr netip.AddrPort) {
	dctx, cancel := context.WithTimeout(r.Context(), p.opts.DialTimeout)
	up, err := p.opts.Dial(dctx, "tcp", addr.String())
	cancel()
	if err != nil {
		p.dialFailed(w, r, c, err)
		return
	}
	defer up.Close()
	rc := http.NewResponseController(w)
	down, brw, err := rc.Hijack()
	if err != nil {
		c.errCode = "hijack"
		p.record(r.Context(), c)
		http.Error(w, "warden egress: cannot tunnel on this connection", http.StatusInternalServerError)
		return
	}
	defer down.Close()
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.tunnels[down] = struct{}{}
	p.wg.Add(1)
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.tunnels, down)
		p.mu.Unlock()
		p.wg.Done()
	}()
	if _, err := down.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n")); err != nil {
		c.errCode = "client_gone"
		p.record(context.WithoutCancel(r.Context()), c)
		return
	}
	// Bytes the client sent after the CONNECT line, already buffered.
	if n := brw.Reader.Buffered(); n > 0 {
		b, _ := brw.Reader.Peek(n)
		if _, err := up.Write(b); err != nil {
			c.errCode = "upstream"
			p.record(context.WithoutCancel(r.Context()), c)
			return
		}
		c.up.Add(int64(n))
	}
	p.splice(down, up, c)
	p.record(context.WithoutCancel(r.Context()), c)
}

// splice copies both ways; when one direction ends, the other is given
// the end too (half-close where possible) and the tunnel closes when both
// are done, or when no byte moved either way for IdleTimeout.
func (p *Proxy) splice(down, up net.Conn, c *conn) {
	var last atomic.Int64 // unix nanos of the last byte moved
	last.Store(time.Now().UnixNano())
	stop := make(chan struct{})
	go func() {
		t := time.NewTicker(max(p.opts.IdleTimeout/4, 10*time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case now := <-t.C:
				if now.Sub(time.Unix(0, last.Load())) >= p.opts.IdleTimeout {
					down.Close()
					up.Close()
					return
				}
			}
		}
	}()
	var wg sync.WaitGroup
	cp := func(dst, src net.Conn, n *atomic.Int64) {
		defer wg.Done()
		buf := make([]byte, 256<<10)
		for {
			k, err := src.Read(buf)
			if k > 0 {
				last.Store(time.Now().UnixNano())
				if _, werr := dst.Write(buf[:k]); werr != nil {
					break
				}
				n.Add(int64(k))
			}
			if err != nil {
				break
			}
		}
		if cw, ok := dst.(interface{ CloseWrite() error }); ok {
			cw.CloseWrite()
		} else {
			dst.Close()
		}
	}
	wg.Add(2)
	go cp(up, down, &c.up)
	go cp(down, up, &c.down)
	wg.Wait()
	close(stop)
}

// hopHeaders are the connection's own, never forwarded.
var hopHeaders = []string{"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization",
	"Te", "Trailer", "Transfer-Encoding", "Upgrade"}

// forward sends a plain HTTP request on to the checked address.
func (p *Proxy) forward(w http.ResponseWriter, r *http.Request, c *conn, addr netip.AddrPort) {
	out := r.Clone(context.WithValue(r.Context(), dialKey{}, addr))
	out.RequestURI = ""
	for _, h := range r.Header.Values("Connection") {
		for _, k := range strings.Split(h, ",") {
			out.Header.Del(strings.TrimSpace(k))
		}
	}
	for _, h := range hopHeaders {
		out.Header.Del(h)
	}
	body := &countingReader{r: r.Body, n: &c.up}
	if r.Body != nil && r.Body != http.NoBody {
		out.Body = body
	}
	resp, err := p.transport.RoundTrip(out)
	if err != nil {
		p.dialFailed(w, r, c, err)
		return
	}
	defer resp.Body.Close()
	for _, h := range hopHeaders {
		resp.Header.Del(h)
	}
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(resp.StatusCode)
	n, err := io.Copy(w, resp.Body)
	c.down.Add(n)
	if err != nil {
		c.errCode = "interrupted"
	}
	p.record(context.WithoutCancel(r.Context()), c)
}

func (p *Proxy) dialFailed(w http.ResponseWriter, r *http.Request, c *conn, err error) {
	if errors.Is(err, ErrForbiddenAddress) {
		c.decision = warden.Decision{Effect: warden.Deny, Rule: "egress.address", Reason: err.Error()}
		p.refuse(w, r, c, http.StatusForbidden)
		return
	}
	c.errCode = warden.EUNAVAILABLE
	p.opts.Logger.Info("egress connection failed", "target", c.target.String(), "err", err)
	if rerr := p.record(r.Context(), c); rerr != nil {
		http.Error(w, "warden egress: cannot record", http.StatusServiceUnavailable)
		return
	}
	http.Error(w, fmt.Sprintf("warden egress: cannot reach %s", c.target), http.StatusBadGateway)
}

// record writes the connection's one audit event.
func (p *Proxy) record(ctx context.Context, c *conn) error {
	req := warden.RequestFrom(ctx)
	ev := &warden.Event{RequestID: req.ID, Remote: req.Remote, Principal: c.p.Name, Kind: c.p.Kind, Action: "egress.connect",
		Target: c.target.String(), Decision: c.decision, Error: c.errCode,
		Details: map[string]any{
			"method": c.method, "host": c.target.Host, "port": c.target.Port, "mode": string(p.opts.Policy.Mode()),
			"bytes_up": c.up.Load(), "bytes_down": c.down.Load(), "duration_ms": p.opts.Now().Sub(c.start).Milliseconds(),
		}}
	if c.target.Addr.IsValid() {
		ev.Details["host"] = c.target.Addr.String()
	}
	if c.addr.IsValid() {
		ev.Details["ip"] = c.addr.String()
	}
	if c.p.Kind == warden.KindAgent {
		ev.Details["profile"] = c.p.Profile
	}
	err := p.opts.Audit.Record(ctx, ev)
	if err != nil {
		p.opts.Logger.Error("recording an egress connection failed", "err", err)
	}
	return err
}

type countingReader struct {
	r io.ReadCloser
	n *atomic.Int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	k, err := c.r.Read(b)
	c.n.Add(int64(k))
	return k, err
}

func (c *countingReader) Close() error { return c.r.Close() }

func newID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}
