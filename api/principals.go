package api

import (
	"net/http"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/apiv1"
	"github.com/wardenhq/warden/identity"
)

func principalOut(info *identity.Info) apiv1.Principal {
	p := info.Principal
	out := apiv1.Principal{
		Name: p.Name, Kind: p.Kind, Role: p.Role, Profile: p.Profile, State: p.State,
		LockNote: p.LockNote, LockedBy: p.LockedBy, CreatedAt: p.CreatedAt, CreatedBy: p.CreatedBy,
		Grants: []string{},
	}
	if !p.LockedAt.IsZero() {
		t := p.LockedAt
		out.LockedAt = &t
	}
	for _, g := range info.Grants {
		out.Grants = append(out.Grants, g.String())
	}
	for _, t := range info.Tokens {
		if !t.Revoked() {
			out.ActiveTokens++
		}
	}
	return out
}

func (s *Server) whoami(w http.ResponseWriter, r *http.Request, p *warden.Principal) error {
	info, err := s.ids.Get(r.Context(), p, p.Kind, p.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, principalOut(info))
	return nil
}

func (s *Server) createPrincipal(kind warden.PrincipalKind) authed {
	return func(w http.ResponseWriter, r *http.Request, p *warden.Principal) error {
		var req apiv1.CreatePrincipal
		if err := decode(w, r, &req); err != nil {
			return err
		}
		var grants []warden.Grant
		for _, g := range req.Grants {
			gr, err := warden.ParseGrant(g)
			if err != nil {
				return err
			}
			grants = append(grants, gr)
		}
		var info *identity.Info
		var tok string
		var err error
		if kind == warden.KindAgent {
			if req.Role != "" {
				return warden.Errorf(warden.EINVALID, "agents have no global role; give them grants and a profile")
			}
			info, tok, err = s.ids.CreateAgent(r.Context(), p, req.Name, req.Profile, grants)
		} else {
			if req.Profile != "" {
				return warden.Errorf(warden.EINVALID, "humans have no profile; give them a role")
			}
			info, tok, err = s.ids.CreateHuman(r.Context(), p, req.Name, warden.HumanRole(req.Role), grants)
		}
		if err != nil {
			return err
		}
		out := principalOut(info)
		out.Token = tok
		writeJSON(w, http.StatusCreated, out)
		return nil
	}
}

func (s *Server) listPrincipals(kind warden.PrincipalKind) authed {
	return func(w http.ResponseWriter, r *http.Request, p *warden.Principal) error {
		infos, err := s.ids.List(r.Context(), p, kind)
		if err != nil {
			return err
		}
		out := []apiv1.Principal{}
		for _, info := range infos {
			out = append(out, principalOut(info))
		}
		// Always present, even when empty, under the plural of the kind.
		writeJSON(w, http.StatusOK, map[string][]apiv1.Principal{string(kind) + "s": out})
		return nil
	}
}

func (s *Server) getPrincipal(kind warden.PrincipalKind) authed {
	return func(w http.ResponseWriter, r *http.Request, p *warden.Principal) error {
		info, err := s.ids.Get(r.Context(), p, kind, r.PathValue("name"))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, principalOut(info))
		return nil
	}
}

// maxNote bounds a lock note.
const maxNote = 2000

func (s *Server) lockPrincipal(kind warden.PrincipalKind, lock bool) authed {
	return func(w http.ResponseWriter, r *http.Request, p *warden.Principal) error {
		var req apiv1.Note
		if r.ContentLength != 0 {
			if err := decode(w, r, &req); err != nil {
				return err
			}
		}
		if len(req.Note) > maxNote {
			return warden.Errorf(warden.EINVALID, "note is longer than %d bytes", maxNote)
		}
		var info *identity.Info
		var err error
		if lock {
			info, err = s.ids.Lock(r.Context(), p, kind, r.PathValue("name"), req.Note)
		} else {
			info, err = s.ids.Unlock(r.Context(), p, kind, r.PathValue("name"), req.Note)
		}
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, principalOut(info))
		return nil
	}
}

func (s *Server) revokePrincipal(kind warden.PrincipalKind) authed {
	return func(w http.ResponseWriter, r *http.Request, p *warden.Principal) error {
		info, n, err := s.ids.Revoke(r.Context(), p, kind, r.PathValue("name"))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, apiv1.Revoked{Principal: principalOut(info), Revoked: n})
		return nil
	}
}

func (s *Server) newToken(kind warden.PrincipalKind) authed {
	return func(w http.ResponseWriter, r *http.Request, p *warden.Principal) error {
		info, tok, err := s.ids.NewToken(r.Context(), p, kind, r.PathValue("name"))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, apiv1.NewToken{Name: info.Principal.Name, Token: tok})
		return nil
	}
}

func (s *Server) listTokens(kind warden.PrincipalKind) authed {
	return func(w http.ResponseWriter, r *http.Request, p *warden.Principal) error {
		info, err := s.ids.Get(r.Context(), p, kind, r.PathValue("name"))
		if err != nil {
			return err
		}
		out := apiv1.Tokens{Tokens: []apiv1.Token{}}
		for _, t := range info.Tokens {
			tj := apiv1.Token{ID: t.ID, Hint: "wdn_…" + t.Hint + "_…", CreatedAt: t.CreatedAt}
			if t.Revoked() {
				at := t.RevokedAt
				tj.RevokedAt = &at
			}
			out.Tokens = append(out.Tokens, tj)
		}
		writeJSON(w, http.StatusOK, out)
		return nil
	}
}
