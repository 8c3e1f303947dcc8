package api

import (
	"net/http"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/apiv1"
)

// credentialRoutes serves humans' console credentials: the password and
// TOTP. Admins set anyone's, a human their own; identity decides and audits.
func (s *Server) credentialRoutes(m *http.ServeMux) {
	m.Handle("PUT /api/v1/humans/{name}/password", s.auth(s.setPassword))
	m.Handle("POST /api/v1/humans/{name}/totp", s.auth(s.enrollTOTP))
	m.Handle("DELETE /api/v1/humans/{name}/totp", s.auth(s.disableTOTP))
}

func (s *Server) setPassword(w http.ResponseWriter, r *http.Request, p *warden.Principal) error {
	var req apiv1.SetPassword
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if err := s.ids.SetPassword(r.Context(), p, r.PathValue("name"), req.Password); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) enrollTOTP(w http.ResponseWriter, r *http.Request, p *warden.Principal) error {
	uri, err := s.ids.EnrollTOTP(r.Context(), p, r.PathValue("name"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, apiv1.TOTPEnrolment{URI: uri})
	return nil
}

func (s *Server) disableTOTP(w http.ResponseWriter, r *http.Request, p *warden.Principal) error {
	if err := s.ids.DisableTOTP(r.Context(), p, r.PathValue("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
