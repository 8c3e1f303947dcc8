package api

import (
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/apiv1"
)

// status maps error codes to HTTP status codes. This is the only place that
// does.
func status(code string) int {
	switch code {
	case warden.EINVALID:
		return http.StatusUnprocessableEntity
	case warden.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case warden.EFORBIDDEN:
		return http.StatusForbidden
	case warden.ENOTFOUND:
		return http.StatusNotFound
	case warden.ECONFLICT:
		return http.StatusConflict
	case warden.EGONE:
		return http.StatusGone
	case warden.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case warden.ELOCKED:
		return http.StatusLocked
	case warden.ERATELIMIT:
		return http.StatusTooManyRequests
	case warden.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	case warden.EUNIMPLEMENTED:
		return http.StatusNotImplemented
	}
	return http.StatusInternalServerError
}

// writeError answers with {"error":{"code","message"}}. Internal causes are
// logged, never sent.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := warden.ErrorCode(err)
	st := status(code)
	if st >= 500 {
		s.log.Error("request failed", "request_id", warden.RequestFrom(r.Context()).ID, "route", r.Pattern, "code", code, "err", err)
	}
	if code == warden.EUNAUTHORIZED {
		w.Header().Set("WWW-Authenticate", `Bearer realm="warden"`)
	}
	writeJSON(w, st, apiv1.Error{Error: apiv1.ErrorDetail{Code: code, Message: warden.ErrorMessage(err)}})
}

func writeJSON(w http.ResponseWriter, st int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(st)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		slog.Debug("write response", "err", err)
	}
}
