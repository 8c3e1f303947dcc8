package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/apiv1"
	"github.com/wardenhq/warden/share"
)

// shareRoutes serves the share API and the recipients' pages, if shares
// are configured.
func (s *Server) shareRoutes() {
	if s.shares == nil {
		return
	}
	m := s.mux
	m.Handle("POST /api/v1/workspaces/{ws}/shares", s.auth(s.createShare))
	m.Handle("GET /api/v1/workspaces/{ws}/shares", s.auth(s.listShares))
	m.Handle("GET /api/v1/shares/{id}", s.auth(s.getShare))
	m.Handle("POST /api/v1/shares/{id}/revoke", s.auth(s.revokeShare))
	s.sharePageRoutes()
}

// shareBase is the origin links are built on: public_url, else the
// address the request came to.
func (s *Server) shareBase(r *http.Request) string {
	if s.publicURL != "" {
		return strings.TrimSuffix(s.publicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (s *Server) shareJSON(r *http.Request, sh *share.Share) apiv1.Share {
	out := apiv1.Share{ID: sh.ID, URL: s.shareBase(r) + "/s/" + sh.ID, Workspace: sh.Workspace, Path: sh.Path, Folder: sh.Folder,
		Download: sh.Download, Watermark: sh.Watermark, Password: sh.Password, Domains: sh.Domains, Emails: sh.Emails,
		MaxViews: sh.MaxViews, Views: sh.Views, State: string(sh.State), CreatedAt: sh.CreatedAt, CreatedBy: sh.CreatedBy,
		ExpiresAt: sh.ExpiresAt, RevokedBy: sh.RevokedBy}
	if out.Domains == nil {
		out.Domains = []string{}
	}
	if out.Emails == nil {
		out.Emails = []string{}
	}
	if !sh.RevokedAt.IsZero() {
		t := sh.RevokedAt
		out.RevokedAt = &t
	}
	return out
}

func (s *Server) createShare(w http.ResponseWriter, r *http.Request, p *warden.Principal) error {
	var req apiv1.CreateShare
	if err := decode(w, r, &req); err != nil {
		return err
	}
	var exp time.Duration
	if req.ExpiresIn != "" {
		d, err := time.ParseDuration(req.ExpiresIn)
		if err != nil {
			return warden.Errorf(warden.EINVALID, "expires_in: not a duration like 72h")
		}
		exp = d
	}
	sh, err := s.shares.Create(r.Context(), p, share.CreateRequest{Workspace: r.PathValue("ws"), Path: req.Path, ExpiresIn: exp,
		MaxViews: req.MaxViews, Domains: req.Domains, Emails: req.Emails, Download: req.Download, Watermark: req.Watermark, Password: req.Password})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, s.shareJSON(r, sh))
	return nil
}

func (s *Server) listShares(w http.ResponseWriter, r *http.Request, p *warden.Principal) error {
	list, err := s.shares.List(r.Context(), p, r.PathValue("ws"))
	if err != nil {
		return err
	}
	out := apiv1.Shares{Shares: []apiv1.Share{}}
	for _, sh := range list {
		out.Shares = append(out.Shares, s.shareJSON(r, sh))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getShare(w http.ResponseWriter, r *http.Request, p *warden.Principal) error {
	sh, err := s.shares.Get(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.shareJSON(r, sh))
	return nil
}

func (s *Server) revokeShare(w http.ResponseWriter, r *http.Request, p *warden.Principal) error {
	sh, err := s.shares.Revoke(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.shareJSON(r, sh))
	return nil
}
