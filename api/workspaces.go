package api

import (
	"net/http"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/apiv1"
	"github.com/wardenhq/warden/workspace"
)

func workspaceOut(v *workspace.View) apiv1.Workspace {
	return apiv1.Workspace{Name: v.Workspace.Name, Label: v.Workspace.Label, Role: v.Role, CreatedAt: v.Workspace.CreatedAt, CreatedBy: v.Workspace.CreatedBy}
}

func (s *Server) createWorkspace(w http.ResponseWriter, r *http.Request, p *warden.Principal) error {
	var req apiv1.CreateWorkspace
	if err := decode(w, r, &req); err != nil {
		return err
	}
	v, err := s.ws.Create(r.Context(), p, req.Name, req.Label)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, workspaceOut(v))
	return nil
}

func (s *Server) listWorkspaces(w http.ResponseWriter, r *http.Request, p *warden.Principal) error {
	vs, err := s.ws.List(r.Context(), p)
	if err != nil {
		return err
	}
	out := apiv1.Workspaces{Workspaces: []apiv1.Workspace{}}
	for i := range vs {
		out.Workspaces = append(out.Workspaces, workspaceOut(&vs[i]))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getWorkspace(w http.ResponseWriter, r *http.Request, p *warden.Principal) error {
	v, err := s.ws.Get(r.Context(), p, r.PathValue("ws"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, workspaceOut(v))
	return nil
}

func (s *Server) patchWorkspace(w http.ResponseWriter, r *http.Request, p *warden.Principal) error {
	var req apiv1.PatchWorkspace
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Label == "" {
		return warden.Errorf(warden.EINVALID, "nothing to change: send {\"label\": ...}")
	}
	v, err := s.ws.SetLabel(r.Context(), p, r.PathValue("ws"), req.Label)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, workspaceOut(v))
	return nil
}

func (s *Server) listMembers(w http.ResponseWriter, r *http.Request, p *warden.Principal) error {
	ms, err := s.ws.Members(r.Context(), p, r.PathValue("ws"))
	if err != nil {
		return err
	}
	out := apiv1.Members{Members: []apiv1.Member{}}
	for _, m := range ms {
		out.Members = append(out.Members, apiv1.Member(m))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) putMember(w http.ResponseWriter, r *http.Request, p *warden.Principal) error {
	var req apiv1.SetMember
	if err := decode(w, r, &req); err != nil {
		return err
	}
	m, err := s.ws.SetMember(r.Context(), p, r.PathValue("ws"), r.PathValue("principal"), warden.Role(req.Role))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, apiv1.Member(*m))
	return nil
}

func (s *Server) deleteMember(w http.ResponseWriter, r *http.Request, p *warden.Principal) error {
	if err := s.ws.RemoveMember(r.Context(), p, r.PathValue("ws"), r.PathValue("principal")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
