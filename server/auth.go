package server

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/lienthong/lienthong/clients"
	"github.com/lienthong/lienthong/internal/ops"
)

type callerKey struct{}

// callerOf is the caller the bearer middleware resolved; the zero Caller
// (no admin, no client) on routes without a token.
func callerOf(ctx context.Context) ops.Caller {
	c, _ := ctx.Value(callerKey{}).(ops.Caller)
	return c
}

// callerName is how the audit log and the server's log name a caller.
func callerName(c ops.Caller) string {
	if c.Admin {
		return "admin"
	}
	return c.Client.Name
}

// authenticate lets a request through only with a bearer token it can
// resolve to a caller: the administrator's token, or a live token of the
// client register (a department's or a portal's). A missing, unknown,
// expired or revoked token is 401 with WWW-Authenticate. What the caller
// may do is not decided here: internal/ops decides it for every
// operation.
func (s *server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := s.resolveCaller(w, r)
		if !ok {
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, c)))
	})
}

// resolveCaller finds who the request's bearer token belongs to; when it
// cannot, it has answered the request and returns false.
func (s *server) resolveCaller(w http.ResponseWriter, r *http.Request) (ops.Caller, bool) {
	tok, ok := bearer(r)
	if !ok {
		unauthorized(w, r, "send a bearer token: Authorization: Bearer <token>")
		return ops.Caller{}, false
	}
	if s.Access.AdminTokenHash != nil && clients.Equal(tok, *s.Access.AdminTokenHash) {
		return ops.Caller{Admin: true}, true
	}
	reg := s.clients()
	if reg == nil {
		unauthorized(w, r, "the token is not known (this server has no client register)")
		return ops.Caller{}, false
	}
	c, err := reg.Authenticate(r.Context(), tok)
	switch {
	case errors.Is(err, clients.ErrUnknownToken):
		unauthorized(w, r, "the token is not known")
		return ops.Caller{}, false
	case errors.Is(err, clients.ErrExpired), errors.Is(err, clients.ErrRevoked):
		unauthorized(w, r, strings.TrimPrefix(err.Error(), "clients: "))
		return ops.Caller{}, false
	case err != nil:
		s.storeFailed(w, r, err)
		return ops.Caller{}, false
	}
	return ops.Caller{Client: c}, true
}

// clients is the client register: the pre-fill's, or else the one
// internal/ops issues department tokens into.
func (s *server) clients() *clients.Store {
	if s.Access.Clients != nil {
		return s.Access.Clients
	}
	if s.Ops != nil {
		return s.Ops.Clients
	}
	return nil
}

// requireScope guards the pre-fill and audit routes, which keep their own
// rule: a client's token that holds scope, or, when admin is set, the
// administrator's token. A token without the scope is 403.
func (s *server) requireScope(scope string, admin bool) middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, ok := s.resolveCaller(w, r)
			if !ok {
				return
			}
			switch {
			case c.Admin && !admin:
				problem(w, r, http.StatusForbidden, "the administrator token does not read citizens' data: use a portal client's token with the "+scope+" scope")
				return
			case !c.Admin && !c.Client.Has(scope):
				problem(w, r, http.StatusForbidden, "the client "+c.Client.Name+" does not hold the "+scope+" scope")
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, c)))
		})
	}
}

// bearer returns the request's bearer token.
func bearer(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

func unauthorized(w http.ResponseWriter, r *http.Request, detail string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="lienthong"`)
	problem(w, r, http.StatusUnauthorized, detail)
}
