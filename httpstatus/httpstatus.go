// Package httpstatus maps Warden's error codes to HTTP status codes. It is
// the one table both HTTP surfaces use: the REST API as it is, the model
// plane with the two differences its protocols need.
package httpstatus

import (
	"net/http"

	"github.com/wardenhq/warden"
)

// For returns the status for an error code; unknown codes are 500.
func For(code string) int {
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
	case warden.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case warden.ELOCKED:
		return http.StatusLocked
	case warden.ERATELIMIT:
		return http.StatusTooManyRequests
	case warden.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	case warden.EMETHOD:
		return http.StatusMethodNotAllowed
	case warden.EGONE:
		return http.StatusGone
	}
	return http.StatusInternalServerError
}
