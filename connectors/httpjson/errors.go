package httpjson

import (
	"errors"
	"fmt"
	"net/http"
)

var (
	// ErrBadResponse is returned, wrapped in a *ResponseError, when a
	// response can not be read as the stream's options describe it: not
	// JSON, no records at records_path, a record that is not an object.
	ErrBadResponse = errors.New("httpjson: unreadable response")
	// ErrResponseTooLarge is returned, wrapped in a *ResponseError, when a
	// response exceeds max_response_bytes.
	ErrResponseTooLarge = errors.New("httpjson: response too large")
	// ErrCheckpoint is returned, wrapped, when a checkpoint handed to Read
	// can not be resumed from. Resetting the stream's checkpoint reads it
	// again from the beginning.
	ErrCheckpoint = errors.New("httpjson: unusable checkpoint")
	// ErrInvalidStream is returned, wrapped, when a stream's configuration
	// can not be read by this connector.
	ErrInvalidStream = errors.New("httpjson: invalid stream")
	// ErrRedirect is returned, wrapped, when the API answers with a
	// redirect that options.redirects does not follow.
	ErrRedirect = errors.New("httpjson: redirect not followed")
)

// StatusError is a response whose status is not a success, after any
// retries. URL has its credentials removed. The body is not kept: an
// error page may hold citizens' data, and errors go into the run ledger.
type StatusError struct {
	Method     string
	URL        string
	StatusCode int
	Attempts   int
	// Hint describes the body without its content: its media type, its
	// length, and a JSON error code that reads as one ("invalid_token"),
	// never free text.
	Hint string
	// Cause is why the retries stopped early, if they did.
	Cause error
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("%s %s: status %d %s", e.Method, e.URL, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Attempts > 1 {
		msg += fmt.Sprintf(" after %d attempts", e.Attempts)
	}
	if e.Cause != nil {
		msg += " (" + e.Cause.Error() + ")"
	}
	msg += "; " + e.Hint
	if hint := statusHint(e.StatusCode); hint != "" {
		msg += "; " + hint
	}
	return msg
}

func statusHint(code int) string {
	switch {
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return "check the source's secret (dsn_env or dsn_file) and options.auth"
	case code == http.StatusNotFound:
		return "check base_url and the stream's table, which is the API path"
	case code == http.StatusBadRequest:
		return "check the stream's query, cursor_param and pagination options"
	case code == http.StatusTooManyRequests || code >= 500:
		return "the API kept failing; the next run resumes after the last committed record (lower rate_limit or raise retry.max if this repeats)"
	}
	return ""
}

// ResponseError is a successful response that can not be read. URL has its
// credentials removed. The body, which holds records, is not kept. It
// wraps ErrBadResponse or ErrResponseTooLarge.
type ResponseError struct {
	Method     string
	URL        string
	StatusCode int
	// Hint describes the body by its media type and length.
	Hint string
	Err  error
}

func (e *ResponseError) Error() string {
	return fmt.Sprintf("%s %s: status %d: %v; %s", e.Method, e.URL, e.StatusCode, e.Err, e.Hint)
}

func (e *ResponseError) Unwrap() error { return e.Err }
