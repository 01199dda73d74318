package ops_test

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lienthong/lienthong/internal/ops"
	"github.com/lienthong/lienthong/registry"
	"github.com/lienthong/lienthong/sync/state"
)

// TestAuthorisation calls every method as the administrator, the owning
// department's token with every scope, the owning department's read-only
// token, another department's token with every scope, and a portal
// client, and checks each answer: allowed, forbidden (an admin-only
// action, a scope the token lacks) or not found (another department's
// objects, exactly as if they did not exist).
func TestAuthorisation(t *testing.T) {
	for _, d := range dialects() {
		t.Run(d.name, func(t *testing.T) { testAuthorisation(t, newEnv(t, d.dsn(t))) })
	}
}

func testAuthorisation(t *testing.T, e *env) {
	ctx := e.ctx
	ref := e.registered(t, "tuphap", "hotich")
	admin := e.admin
	// A run of tuphap's stream, for Run and Cancel.
	runOf := func() int64 {
		r, err := e.st.StartRun(ctx, state.Ref{Department: "tuphap", Source: "hotich", Stream: fmt.Sprintf("s%d", e.next())}, "incremental")
		if err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	done := runOf()
	type method struct {
		name  string
		scope string // "admin", "any" or the scope needed
		call  func(c ops.Caller) error
	}
	methods := []method{
		{"CreateDepartment", "admin", func(c ops.Caller) error {
			_, err := e.svc.CreateDepartment(ctx, c, registry.Department{Name: fmt.Sprintf("d%d", e.next()), Title: "Sở"})
			return err
		}},
		{"ListDepartments", "admin", func(c ops.Caller) error { _, err := e.svc.ListDepartments(ctx, c); return err }},
		{"DeleteDepartment", "admin", func(c ops.Caller) error {
			name := fmt.Sprintf("d%d", e.next())
			if _, err := e.svc.CreateDepartment(ctx, admin, registry.Department{Name: name, Title: "Sở"}); err != nil {
				t.Fatal(err)
			}
			return e.svc.DeleteDepartment(ctx, c, name)
		}},
		{"Department", "any", func(c ops.Caller) error { _, err := e.svc.Department(ctx, c, "tuphap"); return err }},
		{"IssueToken", "admin", func(c ops.Caller) error {
			_, err := e.svc.IssueToken(ctx, c, "tuphap", fmt.Sprintf("t%d", e.next()), []string{ops.ScopeRunsRead}, nil)
			return err
		}},
		{"ListTokens", "admin", func(c ops.Caller) error { _, err := e.svc.ListTokens(ctx, c, "tuphap"); return err }},
		{"RevokeToken", "admin", func(c ops.Caller) error {
			name := fmt.Sprintf("t%d", e.next())
			if _, err := e.svc.IssueToken(ctx, admin, "tuphap", name, []string{ops.ScopeRunsRead}, nil); err != nil {
				t.Fatal(err)
			}
			return e.svc.RevokeToken(ctx, c, "tuphap", name)
		}},
		{"Changes", "admin", func(c ops.Caller) error { _, err := e.svc.Changes(ctx, c, registry.ChangeFilter{}); return err }},
		{"CreateSource", ops.ScopeSourcesWrite, func(c ops.Caller) error {
			_, err := e.svc.CreateSource(ctx, c, "tuphap", e.sourceBody(fmt.Sprintf("src%d", e.next()), "khai-sinh"))
			return err
		}},
		{"Source", ops.ScopeSourcesRead, func(c ops.Caller) error { _, err := e.svc.Source(ctx, c, "tuphap", "hotich"); return err }},
		{"ListSources", ops.ScopeSourcesRead, func(c ops.Caller) error { _, err := e.svc.ListSources(ctx, c, "tuphap"); return err }},
		{"UpdateSource", ops.ScopeSourcesWrite, func(c ops.Caller) error {
			cur, err := e.svc.Source(ctx, admin, "tuphap", "hotich")
			if err != nil {
				t.Fatal(err)
			}
			_, err = e.svc.UpdateSource(ctx, c, "tuphap", "hotich", cur.Revision, []byte(`{"name": "hotich", "kind": "postgres", "timeout": "3m"}`))
			return err
		}},
		{"DeleteSource", ops.ScopeSourcesWrite, func(c ops.Caller) error {
			name := fmt.Sprintf("src%d", e.next())
			if _, err := e.svc.CreateSource(ctx, admin, "tuphap", e.sourceBody(name)); err != nil {
				t.Fatal(err)
			}
			return e.svc.DeleteSource(ctx, c, "tuphap", name)
		}},
		{"Discover", ops.ScopeSourcesRead, func(c ops.Caller) error { _, err := e.svc.Discover(ctx, c, "tuphap", "hotich"); return err }},
		{"CreateStream", ops.ScopeSourcesWrite, func(c ops.Caller) error {
			_, err := e.svc.CreateStream(ctx, c, "tuphap", "hotich", fmt.Appendf(nil, `{"name": "s%d", "table": "khai_sinh", "primary_key": ["id"], "cursor": "ngay_cap_nhat"}`, e.next()))
			return err
		}},
		{"Stream", ops.ScopeSourcesRead, func(c ops.Caller) error { _, err := e.svc.Stream(ctx, c, ref); return err }},
		{"UpdateStream", ops.ScopeSourcesWrite, func(c ops.Caller) error {
			cur, err := e.svc.Stream(ctx, admin, ref)
			if err != nil {
				t.Fatal(err)
			}
			_, err = e.svc.UpdateStream(ctx, c, ref, cur.Revision, []byte(`{"name": "khai-sinh", "table": "khai_sinh", "primary_key": ["id"], "cursor": "ngay_cap_nhat"}`))
			return err
		}},
		{"DeleteStream", ops.ScopeSourcesWrite, func(c ops.Caller) error {
			name := fmt.Sprintf("s%d", e.next())
			if _, err := e.svc.CreateStream(ctx, admin, "tuphap", "hotich", fmt.Appendf(nil, `{"name": %q, "table": "khai_sinh", "primary_key": ["id"]}`, name)); err != nil {
				t.Fatal(err)
			}
			return e.svc.DeleteStream(ctx, c, state.Ref{Department: "tuphap", Source: "hotich", Stream: name})
		}},
		{"UploadMapping", ops.ScopeMappingsWrite, func(c ops.Caller) error { _, err := e.svc.UploadMapping(ctx, c, ref, khaiSinh(t)); return err }},
		{"Mappings", ops.ScopeSourcesRead, func(c ops.Caller) error { _, err := e.svc.Mappings(ctx, c, ref); return err }},
		{"Mapping", ops.ScopeSourcesRead, func(c ops.Caller) error { _, err := e.svc.Mapping(ctx, c, ref, 1); return err }},
		{"TestMapping", ops.ScopeMappingsWrite, func(c ops.Caller) error { _, err := e.svc.TestMapping(ctx, c, ref, 1, 3); return err }},
		{"ActivateMapping", ops.ScopeMappingsWrite, func(c ops.Caller) error { _, err := e.svc.ActivateMapping(ctx, c, ref, 1); return err }},
		{"Trigger", ops.ScopeRunsWrite, func(c ops.Caller) error { _, err := e.svc.Trigger(ctx, c, ref); return err }},
		{"Cancel", ops.ScopeRunsWrite, func(c ops.Caller) error { return e.svc.Cancel(ctx, c, runOf()) }},
		{"Runs", ops.ScopeRunsRead, func(c ops.Caller) error {
			_, err := e.svc.Runs(ctx, c, state.Filter{Department: "tuphap"})
			return err
		}},
		{"Run", ops.ScopeRunsRead, func(c ops.Caller) error { _, err := e.svc.Run(ctx, c, done); return err }},
		{"Rejects", ops.ScopeRejectsRead, func(c ops.Caller) error {
			_, err := e.svc.Rejects(ctx, c, state.Filter{Department: "tuphap"})
			return err
		}},
		{"RejectReasons", ops.ScopeRejectsRead, func(c ops.Caller) error {
			_, err := e.svc.RejectReasons(ctx, c, state.Filter{Department: "tuphap"})
			return err
		}},
		{"ExportRejects", ops.ScopeRejectsRead, func(c ops.Caller) error {
			return e.svc.ExportRejects(ctx, c, state.Filter{Department: "tuphap"}, io.Discard)
		}},
		{"RetryRejects", ops.ScopeRejectsWrite, func(c ops.Caller) error { _, err := e.svc.RetryRejects(ctx, c, ref, ""); return err }},
	}
	roScopes := []string{ops.ScopeSourcesRead, ops.ScopeRunsRead, ops.ScopeRejectsRead}
	callers := []struct {
		name   string
		c      ops.Caller
		expect func(scope string) error
	}{
		{"admin", e.admin, func(string) error { return nil }},
		{"own token", e.own, func(scope string) error {
			if scope == "admin" {
				return ops.ErrForbidden
			}
			return nil
		}},
		{"own read-only token", e.ownRO, func(scope string) error {
			if scope == "admin" || (scope != "any" && !slices.Contains(roScopes, scope)) {
				return ops.ErrForbidden
			}
			return nil
		}},
		{"another department's token", e.other, func(scope string) error {
			if scope == "admin" {
				return ops.ErrForbidden
			}
			return ops.ErrNotFound
		}},
		{"portal client", e.portal, func(string) error { return ops.ErrForbidden }},
	}
	for _, m := range methods {
		for _, c := range callers {
			want := c.expect(m.scope)
			err := m.call(c.c)
			switch {
			case want == nil && err != nil:
				t.Errorf("%s as %s: %v, want it allowed", m.name, c.name, err)
			case want != nil && !errors.Is(err, want):
				t.Errorf("%s as %s: %v, want %v", m.name, c.name, err, want)
			case errors.Is(want, ops.ErrForbidden) && m.scope != "admin" && m.scope != "any" && c.name == "own read-only token" &&
				!strings.Contains(err.Error(), "lacks the scope "+m.scope):
				t.Errorf("%s as %s: %q does not name the missing scope %s", m.name, c.name, err, m.scope)
			}
		}
	}

	// Another department, and a department that does not exist, answer
	// alike: the token cannot tell them apart.
	_, errOther := e.svc.Source(ctx, e.other, "tuphap", "hotich")
	_, errNone := e.svc.Source(ctx, e.other, "khong-co", "hotich")
	if errOther == nil || errNone == nil || errOther.Error() != fmt.Sprintf("department %q not found", "tuphap") ||
		errNone.Error() != fmt.Sprintf("department %q not found", "khong-co") {
		t.Errorf("another department %v, none %v", errOther, errNone)
	}
	// A run of another department is as absent as a run that never was.
	_, errOther = e.svc.Run(ctx, e.other, done)
	_, errNone = e.svc.Run(ctx, e.other, done+1000)
	if errOther == nil || errNone == nil || errOther.Error() != fmt.Sprintf("run %d not found", done) || errNone.Error() != fmt.Sprintf("run %d not found", done+1000) {
		t.Errorf("another department's run %v, none %v", errOther, errNone)
	}
	// Listings without a department are forced to the token's own.
	runs, err := e.svc.Runs(ctx, e.other, state.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		if r.Department != "yte" {
			t.Errorf("yte's token lists run %d of %s", r.ID, r.Department)
		}
	}
	if all, err := e.svc.Runs(ctx, e.own, state.Filter{}); err != nil || len(all) == 0 {
		t.Errorf("tuphap's runs: %d %v", len(all), err)
	}
	// An expired token issued by the service is refused by the register.
	nt, err := e.svc.IssueToken(ctx, admin, "tuphap", "short", []string{ops.ScopeRunsRead}, ptr(time.Now().Add(time.Hour)))
	if err != nil || nt.ExpiresAt == nil || nt.Department != "tuphap" {
		t.Errorf("a token with an expiry: %+v %v", nt.Client, err)
	}
}

func ptr[T any](v T) *T { return &v }
