package ops

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lienthong/lienthong/clients"
	"github.com/lienthong/lienthong/config"
	"github.com/lienthong/lienthong/registry"
)

// CreateDepartment registers a department (administrator only).
func (s *Service) CreateDepartment(ctx context.Context, c Caller, d registry.Department) (registry.Department, error) {
	if err := authorize(c, "", adminOnly); err != nil {
		return registry.Department{}, err
	}
	if strings.TrimSpace(d.Title) == "" {
		return registry.Department{}, &Invalid{Fields: []config.FieldError{{Field: "title", Reason: "give the department's full name, e.g. Sở Tư pháp tỉnh Hà Tĩnh"}}}
	}
	out, err := s.Registry.CreateDepartment(ctx, actor(c), d)
	if err != nil {
		return registry.Department{}, fromRegistry(err, fmt.Sprintf("department %q", d.Name))
	}
	s.log().Info("department registered", "department", d.Name, "by", actor(c).Name)
	return out, nil
}

// ListDepartments lists every department (administrator only).
func (s *Service) ListDepartments(ctx context.Context, c Caller) ([]registry.Department, error) {
	if err := authorize(c, "", adminOnly); err != nil {
		return nil, err
	}
	out, err := s.Registry.ListDepartments(ctx)
	if out == nil && err == nil {
		out = []registry.Department{}
	}
	return out, err
}

// Department returns a department: to the administrator, or to a token of
// that department whatever its scopes.
func (s *Service) Department(ctx context.Context, c Caller, dept string) (registry.Department, error) {
	if err := authorize(c, dept, anyScope); err != nil {
		return registry.Department{}, err
	}
	d, err := s.Registry.Department(ctx, dept)
	if errors.Is(err, registry.ErrNotFound) {
		return registry.Department{}, deptNotFound(dept)
	}
	return d, err
}

// DeleteDepartment removes a department that has no source left
// (administrator only) and revokes its tokens.
func (s *Service) DeleteDepartment(ctx context.Context, c Caller, dept string) error {
	if err := authorize(c, "", adminOnly); err != nil {
		return err
	}
	if err := s.Registry.DeleteDepartment(ctx, actor(c), dept); err != nil {
		if errors.Is(err, registry.ErrNotFound) {
			return deptNotFound(dept)
		}
		return fromRegistry(err, fmt.Sprintf("department %q", dept))
	}
	tokens, err := s.Clients.ListDepartment(ctx, dept)
	if err != nil {
		return fmt.Errorf("department %s deleted, but its tokens could not be listed to revoke them: %w", dept, err)
	}
	for _, t := range tokens {
		if t.RevokedAt != nil {
			continue
		}
		if err := s.RevokeToken(ctx, c, dept, t.Name); err != nil && !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("department %s deleted, but its token %s could not be revoked: %w", dept, t.Name, err)
		}
	}
	s.log().Info("department deleted", "department", dept, "by", actor(c).Name)
	return nil
}

// IssueToken issues a department a token with some of DepartmentScopes
// (administrator only). The token is in the answer only: the register
// keeps its hash, and the change log names it, never its value.
func (s *Service) IssueToken(ctx context.Context, c Caller, dept, name string, scopes []string, expires *time.Time) (NewToken, error) {
	if err := authorize(c, "", adminOnly); err != nil {
		return NewToken{}, err
	}
	if _, err := s.Department(ctx, c, dept); err != nil {
		return NewToken{}, err
	}
	var bad []config.FieldError
	if len(scopes) == 0 {
		bad = append(bad, config.FieldError{Field: "scopes", Reason: "give at least one scope: " + strings.Join(DepartmentScopes, ", ")})
	}
	for i, sc := range scopes {
		if !slices.Contains(DepartmentScopes, sc) {
			bad = append(bad, config.FieldError{Field: fmt.Sprintf("scopes[%d]", i), Reason: fmt.Sprintf("unknown scope %q: a department's token may hold %s", sc, strings.Join(DepartmentScopes, ", "))})
		}
	}
	nc := clients.NewClient{Name: name, Department: dept, Scopes: scopes}
	if expires != nil {
		if !expires.After(time.Now()) {
			bad = append(bad, config.FieldError{Field: "expires_at", Reason: "is in the past: give a time to come, or none for a token that does not expire"})
		}
		nc.ExpiresAt = *expires
	}
	if len(bad) > 0 {
		return NewToken{}, &Invalid{Fields: bad}
	}
	cl, tok, err := s.Clients.Add(ctx, nc)
	var inv *clients.InvalidError
	switch {
	case errors.As(err, &inv):
		return NewToken{}, &Invalid{Fields: []config.FieldError{{Field: inv.Field, Reason: inv.Reason}}}
	case errors.Is(err, clients.ErrExists):
		return NewToken{}, conflict(err, "a token or client named %q exists (names are unique over every department): choose another name", name)
	case err != nil:
		return NewToken{}, err
	}
	detail := map[string]any{"name": name, "scopes": scopes}
	if cl.ExpiresAt != nil {
		detail["expires_at"] = cl.ExpiresAt
	}
	if err := s.Registry.Record(ctx, actor(c), "token.issue", dept+"/tokens/"+name, detail); err != nil {
		// A token the change log does not know must not work.
		if rerr := s.Clients.RevokeDepartment(ctx, dept, name); rerr != nil {
			return NewToken{}, fmt.Errorf("issue token %s/%s: the change log failed (%v) and the token could not be revoked: revoke it: %w", dept, name, err, rerr)
		}
		return NewToken{}, fmt.Errorf("issue token %s/%s: the change log failed, the token was revoked: %w", dept, name, err)
	}
	s.log().Info("token issued", "department", dept, "token", name, "scopes", strings.Join(scopes, " "), "by", actor(c).Name)
	return NewToken{Client: cl, Token: tok}, nil
}

// ListTokens lists a department's tokens, revoked ones too, never their
// values (administrator only).
func (s *Service) ListTokens(ctx context.Context, c Caller, dept string) ([]clients.Client, error) {
	if err := authorize(c, "", adminOnly); err != nil {
		return nil, err
	}
	if _, err := s.Department(ctx, c, dept); err != nil {
		return nil, err
	}
	return s.Clients.ListDepartment(ctx, dept)
}

// RevokeToken stops a department's token now (administrator only).
func (s *Service) RevokeToken(ctx context.Context, c Caller, dept, name string) error {
	if err := authorize(c, "", adminOnly); err != nil {
		return err
	}
	if err := s.Clients.RevokeDepartment(ctx, dept, name); err != nil {
		if errors.Is(err, clients.ErrNotFound) {
			return &opError{kinds: []error{ErrNotFound}, msg: fmt.Sprintf("live token %q of department %q not found", name, dept), cause: err}
		}
		return err
	}
	if err := s.Registry.Record(ctx, actor(c), "token.revoke", dept+"/tokens/"+name, nil); err != nil {
		return fmt.Errorf("token %s/%s revoked, but the change log failed: %w", dept, name, err)
	}
	s.log().Info("token revoked", "department", dept, "token", name, "by", actor(c).Name)
	return nil
}

// Changes reads the change log, newest first (administrator only).
func (s *Service) Changes(ctx context.Context, c Caller, f registry.ChangeFilter) ([]registry.Change, error) {
	if err := authorize(c, "", adminOnly); err != nil {
		return nil, err
	}
	out, err := s.Registry.Changes(ctx, f)
	if out == nil && err == nil {
		out = []registry.Change{}
	}
	return out, err
}
