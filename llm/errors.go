package llm

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"

	"github.com/wardenhq/warden"
)

// errorStatus maps an error to the status a model API would use. Unlike
// the REST API, a malformed request is 400 here: that is what clients of
// these protocols expect.
func errorStatus(err error) int {
	switch warden.ErrorCode(err) {
	case warden.EINVALID:
		return http.StatusBadRequest
	case warden.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case warden.EFORBIDDEN:
		return http.StatusForbidden
	case warden.ENOTFOUND:
		return http.StatusNotFound
	case warden.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case warden.ERATELIMIT:
		return http.StatusTooManyRequests
	case warden.EUNAVAILABLE:
		return http.StatusBadGateway
	}
	return http.StatusInternalServerError
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
