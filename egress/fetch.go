package egress

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/wardenhq/warden"
)

// MaxRedirects is how many redirects a fetch follows, each hop checked.
const MaxRedirects = 5

// Fetcher fetches a URL for a principal the way the proxy would let it: the
// same allowlists (the principal's profile and the global list) and the
// same address guard, re-checked on every redirect hop, connecting to the
// address checked.
type Fetcher struct {
	policy *Policy
	guard  *Guard
	client *http.Client
}

// FetcherOptions configure a Fetcher.
type FetcherOptions struct {
	Policy   *Policy
	Guard    *Guard
	Resolver Resolver                                                          // net.DefaultResolver if nil
	Dial     func(ctx context.Context, network, addr string) (net.Conn, error) // a net.Dialer if nil
	RootCAs  *x509.CertPool                                                    // extra trust (a private CA); nil: the system's
	Timeout  time.Duration                                                     // whole fetch; default 30 min
}

type principalKey struct{}

// NewFetcher returns a Fetcher.
func NewFetcher(o FetcherOptions) *Fetcher {
	if o.Resolver == nil {
		o.Resolver = net.DefaultResolver
	}
	if o.Dial == nil {
		o.Dial = (&net.Dialer{Timeout: 10 * time.Second}).DialContext
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Minute
	}
	f := &Fetcher{policy: o.Policy, guard: o.Guard}
	tr := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			t, err := ParseTarget(addr, 0)
			if err != nil {
				return nil, err
			}
			addrs := []netip.Addr{t.Addr}
			if !t.Addr.IsValid() {
				if addrs, err = o.Resolver.LookupNetIP(ctx, "ip", t.Host); err != nil || len(addrs) == 0 {
					return nil, fmt.Errorf("%s does not resolve", t.Host)
				}
			}
			for _, a := range addrs {
				if err := o.Guard.Check(a); err != nil {
					return nil, err
				}
			}
			return o.Dial(ctx, "tcp", netip.AddrPortFrom(addrs[0].Unmap(), t.Port).String())
		},
		TLSClientConfig:       &tls.Config{RootCAs: o.RootCAs, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   15 * time.Second,
		ResponseHeaderTimeout: time.Minute,
		MaxIdleConnsPerHost:   2,
	}
	f.client = &http.Client{
		Transport: tr,
		Timeout:   o.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > MaxRedirects {
				return fmt.Errorf("more than %d redirects", MaxRedirects)
			}
			p, _ := req.Context().Value(principalKey{}).(*warden.Principal)
			return f.allowed(p, req.URL)
		},
	}
	return f
}

// ErrNotAllowed is wrapped when a URL is not on the principal's allowlist.
var ErrNotAllowed = errors.New("not on the allowlist")

// allowed checks a URL's scheme and the allowlist.
func (f *Fetcher) allowed(p *warden.Principal, u *url.URL) error {
	var port uint16
	switch u.Scheme {
	case "https":
		port = 443
	case "http":
		port = 80
	default:
		return fmt.Errorf("%w: only http and https URLs can be fetched", ErrNotAllowed)
	}
	if u.User != nil {
		return fmt.Errorf("%w: URLs with credentials are not fetched", ErrNotAllowed)
	}
	t, err := ParseTarget(u.Host, port)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrNotAllowed, err)
	}
	if t.Addr.IsValid() {
		if err := f.guard.Check(t.Addr); err != nil {
			return err
		}
	}
	profile := ""
	if p != nil {
		profile = p.Profile
	}
	if ok, _ := f.policy.Allows(profile, t); !ok && f.policy.Mode() != Report {
		return fmt.Errorf("%w: %s is not on the allowlist of profile %s or the global one", ErrNotAllowed, t, profile)
	}
	return nil
}

// Check says whether p may fetch rawURL at all (scheme, allowlist, literal
// addresses), before anything is sent; it returns the URL to fetch, with
// share links rewritten to their direct-download form.
func (f *Fetcher) Check(p *warden.Principal, rawURL string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil || !u.IsAbs() || u.Host == "" || len(rawURL) > 4096 {
		return nil, fmt.Errorf("%w: %q is not an absolute http(s) URL", ErrNotAllowed, rawURL)
	}
	u = DirectDownload(u)
	return u, f.allowed(p, u)
}

// Get fetches u (from Check) for p; redirects are followed and checked.
func (f *Fetcher) Get(ctx context.Context, p *warden.Principal, u *url.URL) (*http.Response, error) {
	req, err := http.NewRequestWithContext(context.WithValue(ctx, principalKey{}, p), http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "warden-import")
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		resp.Body.Close()
		return nil, fmt.Errorf("the server answered %s", resp.Status)
	}
	return resp, nil
}
