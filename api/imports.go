package api

import (
	"net/http"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/apiv1"
	"github.com/wardenhq/warden/urlimport"
)

func importOut(im *urlimport.Import) apiv1.Import {
	out := apiv1.Import{ID: im.ID, Workspace: im.Workspace, Path: im.Path, Source: im.Source, By: im.By, Status: im.Status,
		Error: im.Error, Bytes: im.Bytes, Version: im.Version, Started: im.Started}
	if !im.Finished.IsZero() {
		t := im.Finished
		out.Finished = &t
	}
	return out
}

func (s *Server) startImport(w http.ResponseWriter, r *http.Request, p *warden.Principal) error {
	var req apiv1.ImportRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.URL == "" || req.Path == "" {
		return warden.Errorf(warden.EINVALID, "url and path are required")
	}
	im, err := s.imports.Start(r.Context(), p, r.PathValue("ws"), req.Path, req.URL)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/workspaces/"+im.Workspace+"/imports/"+im.ID)
	writeJSON(w, http.StatusAccepted, importOut(im))
	return nil
}

func (s *Server) getImport(w http.ResponseWriter, r *http.Request, p *warden.Principal) error {
	im, err := s.imports.Get(r.Context(), p, r.PathValue("ws"), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, importOut(im))
	return nil
}
