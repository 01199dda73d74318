package clients_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/lienthong/lienthong/clients"
	"github.com/lienthong/lienthong/internal/database"
	"github.com/lienthong/lienthong/internal/testdb"
)

// TestDepartmentTokens: a department's token carries its department and
// only department scopes; listing and revoking go by department.
func TestDepartmentTokens(t *testing.T) {
	for _, d := range []struct {
		name string
		dsn  func(testing.TB) string
	}{{"postgres", testdb.Postgres}, {"sqlite", testdb.SQLite}} {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db, err := database.Open(ctx, d.dsn(t))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			s := clients.New(db)
			if _, err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			if n, err := s.Pending(ctx); err != nil || n != 0 {
				t.Fatalf("pending %d %v", n, err)
			}
			tp, tokTP, err := s.Add(ctx, clients.NewClient{Name: "tuphap-ci", Department: "tuphap",
				Scopes: []string{clients.ScopeSourcesRead, clients.ScopeRunsWrite}, ExpiresAt: time.Now().Add(time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			if tp.Department != "tuphap" {
				t.Errorf("added %+v", tp)
			}
			got, err := s.Authenticate(ctx, tokTP)
			if err != nil {
				t.Fatal(err)
			}
			if got.Department != "tuphap" || !got.Has(clients.ScopeSourcesRead) || !got.Has(clients.ScopeRunsWrite) || got.Has(clients.ScopeSourcesWrite) {
				t.Errorf("authenticated %+v", got)
			}
			if _, _, err := s.Add(ctx, clients.NewClient{Name: "yte-ci", Department: "yte", Scopes: clients.DepartmentScopes}); err != nil {
				t.Fatal(err)
			}
			portal, tokPortal, err := s.Add(ctx, clients.NewClient{Name: "portal", Scopes: []string{clients.ScopePrefill}})
			if err != nil {
				t.Fatal(err)
			}
			if portal.Department != "" {
				t.Errorf("a portal client has department %q", portal.Department)
			}

			for _, tc := range []struct {
				name  string
				nc    clients.NewClient
				field string
			}{
				{"department token with a portal scope", clients.NewClient{Name: "a", Department: "tuphap", Scopes: []string{clients.ScopePrefill}}, "scopes"},
				{"portal client with a department scope", clients.NewClient{Name: "b", Scopes: []string{clients.ScopeSourcesWrite}}, "scopes"},
				{"department token without a scope", clients.NewClient{Name: "c", Department: "tuphap"}, "scopes"},
				{"unknown scope", clients.NewClient{Name: "d", Department: "tuphap", Scopes: []string{"sources:admin"}}, "scopes"},
				{"department token with forms", clients.NewClient{Name: "e", Department: "tuphap", Scopes: []string{clients.ScopeRunsRead}, Forms: []string{"khai-sinh"}}, "forms"},
				{"bad department name", clients.NewClient{Name: "f", Department: "Tư pháp", Scopes: []string{clients.ScopeRunsRead}}, "department"},
				{"bad name", clients.NewClient{Name: "Bad Name", Department: "tuphap", Scopes: []string{clients.ScopeRunsRead}}, "name"},
			} {
				_, _, err := s.Add(ctx, tc.nc)
				var inv *clients.InvalidError
				if !errors.As(err, &inv) || inv.Field != tc.field {
					t.Errorf("%s: %v, want an InvalidError on %s", tc.name, err, tc.field)
				}
			}
			// Names are unique over the register, across departments.
			if _, _, err := s.Add(ctx, clients.NewClient{Name: "tuphap-ci", Department: "yte", Scopes: []string{clients.ScopeRunsRead}}); !errors.Is(err, clients.ErrExists) {
				t.Errorf("a name used by another department's token: %v", err)
			}

			list, err := s.ListDepartment(ctx, "tuphap")
			if err != nil || len(list) != 1 || list[0].Name != "tuphap-ci" || list[0].ExpiresAt == nil {
				t.Errorf("tuphap's tokens %+v %v", list, err)
			}
			if list, err := s.ListDepartment(ctx, "congan"); err != nil || len(list) != 0 {
				t.Errorf("a department without tokens %+v %v", list, err)
			}
			if all, err := s.List(ctx); err != nil || len(all) != 3 {
				t.Errorf("every client %+v %v", all, err)
			}

			// Revoking by department: another department's token or a
			// portal client is not found and keeps working.
			if err := s.RevokeDepartment(ctx, "yte", "tuphap-ci"); !errors.Is(err, clients.ErrNotFound) {
				t.Errorf("revoke another department's token: %v", err)
			}
			if err := s.RevokeDepartment(ctx, "tuphap", "portal"); !errors.Is(err, clients.ErrNotFound) {
				t.Errorf("revoke a portal client as a department's token: %v", err)
			}
			if _, err := s.Authenticate(ctx, tokTP); err != nil {
				t.Errorf("a token revoked under another department stopped: %v", err)
			}
			if _, err := s.Authenticate(ctx, tokPortal); err != nil {
				t.Errorf("the portal stopped: %v", err)
			}
			if err := s.RevokeDepartment(ctx, "tuphap", "tuphap-ci"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Authenticate(ctx, tokTP); !errors.Is(err, clients.ErrRevoked) {
				t.Errorf("a revoked department token: %v", err)
			}
			if err := s.RevokeDepartment(ctx, "tuphap", "tuphap-ci"); !errors.Is(err, clients.ErrNotFound) {
				t.Errorf("revoke twice: %v", err)
			}
			if err := s.Revoke(ctx, "nobody"); !errors.Is(err, clients.ErrNotFound) {
				t.Errorf("revoke an unknown client: %v", err)
			}
		})
	}
}
