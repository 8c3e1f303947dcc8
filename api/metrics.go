package api

import (
	"net"
	"net/http"
	"net/netip"

	"github.com/wardenhq/warden"
)

// serveMetrics answers a scraper on the same machine without a token; from
// elsewhere (a TLS listener) it takes an admin's or auditor's token: the
// counters name actions and rules.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	if a, err := netip.ParseAddr(host); err == nil && a.Unmap().IsLoopback() {
		s.metrics.ServeHTTP(w, r)
		return
	}
	s.auth(func(w http.ResponseWriter, r *http.Request, p *warden.Principal) error {
		if !p.CanReadAudit() {
			return warden.Errorf(warden.EFORBIDDEN, "metrics are for admins and auditors, or for scrapers on this machine")
		}
		if err := s.audit.Record(r.Context(), &warden.Event{RequestID: warden.RequestFrom(r.Context()).ID, Remote: r.RemoteAddr,
			Principal: p.Name, Kind: p.Kind, Action: "metrics.read", Decision: warden.Decision{Effect: warden.Allow, Rule: "rbac.audit"}}); err != nil {
			return err
		}
		s.metrics.ServeHTTP(w, r)
		return nil
	}).ServeHTTP(w, r)
}
