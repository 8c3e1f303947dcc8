package api

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/apiv1"
	"github.com/wardenhq/warden/httpstatus"
)

// status maps error codes to HTTP status codes (the shared table).
func status(code string) int { return httpstatus.For(code) }

// writeError answers with {"error":{"code","message"}}. Internal causes are
// logged, never sent.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := warden.ErrorCode(err)
	st := status(code)
	if st >= 500 {
		s.log.Error("request failed", "request_id", warden.RequestFrom(r.Context()).ID, "route", r.Pattern, "code", code, "err", err)
	}
	switch code {
	case warden.EUNAUTHORIZED:
		w.Header().Set("WWW-Authenticate", `Bearer realm="warden"`)
	case warden.ERATELIMIT:
		secs := int(math.Ceil(warden.RetryAfter(err).Seconds()))
		w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
	}
	writeJSON(w, st, apiv1.Error{Error: apiv1.ErrorDetail{Code: code, Message: warden.ErrorMessage(err)}})
}

func writeJSON(w http.ResponseWriter, st int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(st)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	// An error here means the client went away; there is no one to tell.
	_ = enc.Encode(v)
}
