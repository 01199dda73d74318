package server

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/lienthong/lienthong/config"
	"github.com/lienthong/lienthong/internal/keyring"
	"github.com/lienthong/lienthong/internal/ops"
	"github.com/lienthong/lienthong/registry"
	"github.com/lienthong/lienthong/sync/state"
)

// answer writes v as JSON, or err as problem details when it is set: the
// end of a handler that asks internal/ops one thing.
func (s *server) answer(w http.ResponseWriter, r *http.Request, v any, err error) {
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, v)
}

// fail answers an operation's error: the one place where internal/ops's,
// the registry's and the stores' errors become HTTP answers. Errors made
// to be shown (not found, conflicts, invalid fields, a failed check, a
// department system's failure: 502) are echoed; anything else is logged under the request id and answered with
// a generic 500, since a driver's error may name hosts or hold a query.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var (
		tooBig     *http.MaxBytesError
		invalid    *ops.Invalid
		regInvalid *registry.InvalidError
		check      *ops.CheckFailed
		system     *ops.SystemError
	)
	switch {
	case errors.As(err, &tooBig):
		problem(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("the request body is over the limit of %d bytes", tooBig.Limit))
	case errors.As(err, &invalid):
		invalidFields(w, r, invalid.Fields)
	case errors.As(err, &regInvalid):
		invalidFields(w, r, regInvalid.Fields)
	case errors.As(err, &check):
		writeProblem(w, r, Problem{Status: http.StatusUnprocessableEntity, Title: "Check failed",
			Detail:   "the check against the department's system failed, so nothing was saved: " + strings.Join(check.Problems, "; "),
			Problems: check.Problems})
	case errors.As(err, &system):
		// The department's system or the scheduler failed, not lienthong
		// nor the request; ops scrubbed the message of every secret.
		s.Log.Warn("department system failed", "request_id", requestIDOf(r.Context()), "path", redactPath(r.URL.Path), "error", system.Error())
		writeProblem(w, r, Problem{Status: http.StatusBadGateway, Title: "Department system failed", Detail: system.Error()})
	case errors.Is(err, ops.ErrRevisionRequired):
		problem(w, r, http.StatusPreconditionRequired, shown(err))
	case errors.Is(err, registry.ErrStale):
		problem(w, r, http.StatusPreconditionFailed, shown(err)+": read it again and send its new ETag in If-Match")
	case errors.Is(err, ops.ErrForbidden):
		problem(w, r, http.StatusForbidden, shown(err))
	case errors.Is(err, ops.ErrNotFound), errors.Is(err, registry.ErrNotFound), errors.Is(err, sql.ErrNoRows):
		problem(w, r, http.StatusNotFound, shown(err))
	case errors.Is(err, ops.ErrConflict), errors.Is(err, registry.ErrFileManaged), errors.Is(err, registry.ErrExists),
		errors.Is(err, registry.ErrInUse), errors.Is(err, state.ErrBusy):
		problem(w, r, http.StatusConflict, shown(err))
	case errors.Is(err, keyring.ErrNoKeys), errors.Is(err, keyring.ErrUnknownKey), errors.Is(err, keyring.ErrDecrypt):
		// The operator's key ring, not the request, is at fault; the
		// sentinel's own words say what to do, and hold no secret.
		s.Log.Error("secret keys", "request_id", requestIDOf(r.Context()), "path", redactPath(r.URL.Path), "error", err)
		problem(w, r, http.StatusServiceUnavailable, "the server cannot use the sources' secrets: "+keyringReason(err))
	case errors.Is(err, context.DeadlineExceeded):
		s.storeFailed(w, r, err)
	default:
		s.Log.Error("request failed", "request_id", requestIDOf(r.Context()), "path", redactPath(r.URL.Path), "error", err)
		problem(w, r, http.StatusInternalServerError, "the server failed on this request; the log has the details under its request id")
	}
}

// shown is an error as an answer says it, without the package prefixes.
func shown(err error) string {
	msg := err.Error()
	for _, p := range []string{"registry: ", "ops: ", "state: "} {
		msg = strings.ReplaceAll(msg, p, "")
	}
	return msg
}

func keyringReason(err error) string {
	for _, e := range []error{keyring.ErrNoKeys, keyring.ErrUnknownKey, keyring.ErrDecrypt} {
		if errors.Is(err, e) {
			return strings.TrimPrefix(e.Error(), "keyring: ")
		}
	}
	return "unknown"
}

// invalidFields answers 422 with the fields at fault, each named in the
// detail too, for a reader who sees only it.
func invalidFields(w http.ResponseWriter, r *http.Request, fields []config.FieldError) {
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = f.Field + ": " + f.Reason
	}
	detail := "the request is not valid"
	if len(parts) > 0 {
		detail += ": " + strings.Join(parts, "; ")
	}
	writeProblem(w, r, Problem{Status: http.StatusUnprocessableEntity, Title: "Invalid request", Detail: detail, Errors: fields})
}
