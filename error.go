package warden

import (
	"errors"
	"fmt"
	"time"
)

// Error codes shared by every plane. The HTTP layer maps each to exactly one
// status code; the CLI maps them to exit codes.
const (
	EINVALID      = "invalid"            // bad input: 422
	EUNAUTHORIZED = "unauthenticated"    // no, unknown or revoked token: 401
	EFORBIDDEN    = "forbidden"          // authenticated but not allowed: 403
	ENOTFOUND     = "not_found"          // missing, or hidden from the caller: 404
	ECONFLICT     = "conflict"           // state conflict, e.g. a name taken: 409
	ETOOLARGE     = "too_large"          // body over a configured limit: 413
	ELOCKED       = "locked"             // the principal is locked: 423
	ERATELIMIT    = "rate_limited"       // 429, with Error.RetryAfter
	EMETHOD       = "method_not_allowed" // 405
	EINTEGRITY    = "integrity"          // stored data failed authentication: 500
	EINTERNAL     = "internal"           // anything else: 500
	EUNAVAILABLE  = "unavailable"        // shutting down or not ready: 503
	EGONE         = "gone"               // existed, but no longer opens (an expired share): 410
)

// Error is an application error: a code from the list above and a message that
// is safe to show to the caller. Err, if set, is the internal cause; it is
// logged but never shown.
type Error struct {
	Code    string
	Message string
	Err     error
	// RetryAfter says when to try again, for ERATELIMIT.
	RetryAfter time.Duration
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap exposes the internal cause to errors.Is and errors.As.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// WrapError returns an *Error with code and message that keeps err as its
// internal cause.
func WrapError(code string, err error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// ErrorCode returns the code of the first *Error in err's chain, or EINTERNAL
// for any other non-nil error and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the caller-safe message of the first *Error in err's
// chain; for any other error it returns a generic text so that internal details
// (paths, SQL, key material) never reach a caller.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// IsCode reports whether err carries the given code.
func IsCode(err error, code string) bool { return ErrorCode(err) == code }

// RetryAfter returns how long a rate-limited caller should wait, or 0.
func RetryAfter(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}
