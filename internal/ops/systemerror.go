package ops

import (
	"context"
	"errors"
	"regexp"

	"github.com/lienthong/lienthong/internal/keyring"
	"github.com/lienthong/lienthong/mapping"
	"github.com/lienthong/lienthong/registry"
	"github.com/lienthong/lienthong/sync/state"
)

// SystemError is a failure of something outside lienthong that an
// operation had to reach through Systems: a department's system that
// cannot be reached or answers with an error (discover, a mapping test,
// a check that could not run at all), or the scheduler refusing a run.
// The request was sound; the peer failed (HTTP 502). Message says what
// happened in the peer's words, scrubbed of the source's secret and of
// any DSN password, so it may be shown to the caller as it is.
type SystemError struct {
	// Op is what was being done: "discover", "check", "test mapping
	// version 2 of", "trigger a run of", "retry the rejects of".
	Op string
	// Object names the source or stream: "source tuphap/hotich",
	// "stream tuphap/hotich/khai-sinh".
	Object string
	// Message is the cause, scrubbed.
	Message string
}

func (e *SystemError) Error() string { return e.Op + " " + e.Object + ": " + e.Message }

// dsnPassword finds a password in a URL's user information or in a
// key=value DSN, wherever a message quotes one.
var (
	urlPassword = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://[^\s:/@]*:)[^\s@]+@`)
	kvPassword  = regexp.MustCompile(`(?i)(password\s*=\s*)('[^']*'|[^\s;&]+)`)
)

// scrubDSNs cuts every password a message quotes in a DSN.
func scrubDSNs(msg string) string {
	msg = urlPassword.ReplaceAllString(msg, "${1}xxxxx@")
	return kvPassword.ReplaceAllString(msg, "${1}xxxxx")
}

// systemError turns what Systems returned into the service's error: what
// is the service's own (the request ended, a stream busy, an object gone,
// the key ring, a mapping that does not compile) keeps its kind; anything
// else is the peer's failure, a *SystemError, scrubbed of secret.
func (s *Service) systemError(ctx context.Context, op, object string, err error, secret string) error {
	var me *mapping.Error
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		// The caller went away or the request's deadline passed: not the
		// peer's failure.
		return err
	case errors.As(err, &me):
		return &Invalid{Fields: mappingFields(err)}
	case errors.Is(err, state.ErrBusy), errors.Is(err, state.ErrNotRunning):
		return conflict(err, "%s %s: %s", op, object, scrub(err.Error(), secret))
	case errors.Is(err, registry.ErrNotFound), errors.Is(err, state.ErrNotFound):
		return &opError{kinds: []error{ErrNotFound}, msg: object + " not found", cause: err}
	case errors.Is(err, keyring.ErrNoKeys), errors.Is(err, keyring.ErrUnknownKey), errors.Is(err, keyring.ErrDecrypt),
		errors.Is(err, ErrConflict), errors.Is(err, ErrNotFound), errors.Is(err, ErrForbidden):
		return err
	}
	return &SystemError{Op: op, Object: object, Message: scrubDSNs(scrub(err.Error(), secret))}
}

// secretOf returns a registered source's connection string, for scrubbing
// a message of it; empty when it has none or it cannot be opened.
func (s *Service) secretOf(ctx context.Context, dept, source string) string {
	src, err := s.Registry.Source(ctx, dept, source)
	if err != nil {
		return ""
	}
	spec, err := s.resolve(ctx, src)
	if err != nil {
		return ""
	}
	return spec.ResolvedDSN
}
