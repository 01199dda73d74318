package server

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/lienthong/lienthong/clients"
)

// caller is who a request authenticated as: the administrator, or a client
// of the register.
type caller struct {
	admin  bool
	client clients.Client
}

// name is how the audit log names the caller.
func (c caller) name() string {
	if c.admin {
		return "admin"
	}
	return c.client.Name
}

type callerKey struct{}

func callerOf(ctx context.Context) caller {
	c, _ := ctx.Value(callerKey{}).(caller)
	return c
}

// requireScope lets a request through only with a bearer token of a client
// that holds scope, or, when admin is set, the administrator's token. A
// missing or unknown token is 401, a token without the scope 403.
func (s *server) requireScope(scope string, admin bool) middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			tok, ok := bearer(r)
			if !ok {
				unauthorized(w, r, "send a bearer token: Authorization: Bearer <token>")
				return
			}
			if s.Access.AdminTokenHash != nil && clients.Equal(tok, *s.Access.AdminTokenHash) {
				if !admin {
					problem(w, r, http.StatusForbidden, "the administrator token does not read citizens' data: use a portal client's token with the "+scope+" scope")
					return
				}
				next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, caller{admin: true})))
				return
			}
			if s.Access.Clients == nil {
				unauthorized(w, r, "this server has no client register")
				return
			}
			c, err := s.Access.Clients.Authenticate(r.Context(), tok)
			switch {
			case errors.Is(err, clients.ErrUnknownToken):
				unauthorized(w, r, "the token is not known")
				return
			case errors.Is(err, clients.ErrExpired), errors.Is(err, clients.ErrRevoked):
				unauthorized(w, r, strings.TrimPrefix(err.Error(), "clients: "))
				return
			case err != nil:
				s.storeFailed(w, r, err)
				return
			}
			if !c.Has(scope) {
				problem(w, r, http.StatusForbidden, "the client "+c.Name+" does not hold the "+scope+" scope")
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, caller{client: c})))
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
