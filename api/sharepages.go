package api

// sharePageRoutes mounts the recipients' pages: /s/{id} and below. They
// authenticate recipients with their own sessions (an email proved by a
// one-time code) and set their own headers; package share decides and
// audits.
func (s *Server) sharePageRoutes() {
	s.mux.Handle("/s/", s.sharePages)
}
