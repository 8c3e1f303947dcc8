package egress_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/apiv1"
	"github.com/wardenhq/warden/client"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/wardentest"
)

// The proxy as `warden serve` runs it: real tokens, real audit chain.
func TestEgressProxyServedByWarden(t *testing.T) {
	up := upstream(t, false)
	s := wardentest.Start(t, func(c *config.Config) {
		c.Egress.AllowPrivate = []string{"127.0.0.0/8"} // the only place a test may reach
		c.Profiles = map[string]config.Profile{"research": {Egress: &config.EgressPolicy{Allow: []string{hostPort(up)}}}}
	})
	if s.EgressURL == "" {
		t.Fatal("no egress proxy")
	}
	ctx := context.Background()
	p, err := s.Admin.CreatePrincipal(ctx, warden.KindAgent, apiv1.CreatePrincipal{Name: "researcher", Profile: "research"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.Admin.CreatePrincipal(ctx, warden.KindAgent, apiv1.CreatePrincipal{Name: "writer"})
	if err != nil {
		t.Fatal(err)
	}
	via := func(name, tok string) *http.Client {
		u, _ := url.Parse(s.EgressURL)
		if name != "" {
			u.User = url.UserPassword(name, tok)
		}
		return &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(u)}}
	}
	for _, tc := range []struct {
		name, user, tok string
		status          int
	}{
		{"the profile's host", "researcher", p.Token, 200},
		{"another profile", "writer", other.Token, 403},
		{"no credentials", "", "", 407},
		{"a revoked-looking token", "researcher", "wdn_" + p.Token[4:12] + "x", 407},
	} {
		resp, err := via(tc.user, tc.tok).Get(up.URL + "/page")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, resp.StatusCode, tc.status)
		}
	}
	evs, err := s.Admin.Audit(ctx, client.AuditQuery{Action: "egress.connect"})
	if err != nil || len(evs.Events) != 2 {
		t.Fatalf("egress.connect events = %+v, %v; want 2 (allowed and refused)", evs, err)
	}
	ok, refused := evs.Events[0], evs.Events[1]
	if ok.Principal != "researcher" || ok.Decision.Effect != warden.Allow || ok.Details["ip"] != "127.0.0.1" || ok.Details["bytes_down"] == float64(0) {
		t.Errorf("allowed event = %+v", ok)
	}
	if refused.Principal != "writer" || refused.Decision.Effect != warden.Deny || refused.Decision.Rule != "egress.not_allowed" {
		t.Errorf("refused event = %+v", refused)
	}
	fails, err := s.Admin.Audit(ctx, client.AuditQuery{Action: "auth.authenticate"})
	if err != nil || len(fails.Events) < 2 {
		t.Errorf("failed proxy authentications on the record: %+v, %v", fails, err)
	}
}
