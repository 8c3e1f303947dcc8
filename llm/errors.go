package llm

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/httpstatus"
)

// errorStatus maps an error to the status a model API would use: the
// shared table, except that a malformed request is 400 (what clients of
// these protocols expect, where the REST API says 422) and an unreachable
// provider is 502 (Warden is the gateway in front of it).
func errorStatus(err error) int {
	switch code := warden.ErrorCode(err); code {
	case warden.EINVALID:
		return http.StatusBadRequest
	case warden.EUNAVAILABLE:
		return http.StatusBadGateway
	default:
		return httpstatus.For(code)
	}
}

// writeError answers in the provider's own error shape, so SDKs parse it.
func (c *call) writeError(err error) {
	st := errorStatus(err)
	msg := warden.ErrorMessage(err)
	if st >= 500 && warden.ErrorCode(err) == warden.EINTERNAL {
		c.p.log.Error("model call failed", "request_id", warden.RequestFrom(c.r.Context()).ID, "err", err)
	}
	h := c.w.Header()
	h.Set("Content-Type", "application/json")
	switch warden.ErrorCode(err) {
	case warden.ERATELIMIT:
		secs := int(math.Ceil(warden.RetryAfter(err).Seconds()))
		h.Set("Retry-After", strconv.Itoa(max(secs, 1)))
	case warden.EUNAUTHORIZED:
		h.Set("WWW-Authenticate", `Bearer realm="warden"`)
	}
	var body any
	if c.protocol == protoAnthropic {
		body = map[string]any{"type": "error", "error": map[string]any{"type": anthropicErrorType(st), "message": msg}}
	} else {
		body = map[string]any{"error": map[string]any{"message": msg, "type": openAIErrorType(st), "code": warden.ErrorCode(err)}}
	}
	c.w.WriteHeader(st)
	json.NewEncoder(c.w).Encode(body)
}

func anthropicErrorType(st int) string {
	switch st {
	case http.StatusBadRequest:
		return "invalid_request_error"
	case http.StatusUnauthorized:
		return "authentication_error"
	case http.StatusForbidden:
		return "permission_error"
	case http.StatusNotFound:
		return "not_found_error"
	case http.StatusRequestEntityTooLarge:
		return "request_too_large"
	case http.StatusTooManyRequests:
		return "rate_limit_error"
	case http.StatusBadGateway, http.StatusServiceUnavailable:
		return "overloaded_error"
	}
	return "api_error"
}

func openAIErrorType(st int) string {
	switch st {
	case http.StatusBadRequest, http.StatusNotFound, http.StatusRequestEntityTooLarge:
		return "invalid_request_error"
	case http.StatusUnauthorized:
		return "authentication_error"
	case http.StatusForbidden:
		return "permission_error"
	case http.StatusTooManyRequests:
		return "rate_limit_exceeded"
	}
	return "server_error"
}
