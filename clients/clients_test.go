package clients_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lienthong/lienthong/clients"
	"github.com/lienthong/lienthong/internal/database"
	"github.com/lienthong/lienthong/internal/testdb"
)

func TestClients(t *testing.T) {
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
			c, tok, err := s.Add(ctx, clients.NewClient{Name: "portal", Scopes: []string{clients.ScopePrefill}, Forms: []string{"cap-lai-the-bhyt"}})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(tok, "lt_") || len(tok) < 40 {
				t.Errorf("token %q", tok)
			}
			got, err := s.Authenticate(ctx, tok)
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != c.ID || !got.Has(clients.ScopePrefill) || got.Has(clients.ScopeAuditSubject) ||
				!got.MayFill("cap-lai-the-bhyt") || got.MayFill("tro-cap-xa-hoi") {
				t.Errorf("authenticated %+v", got)
			}
			// The store keeps the hash, never the token.
			var n int
			db.QueryRowContext(ctx, db.Rebind(`SELECT count(*) FROM api_clients WHERE token_hash = ?`), []byte(tok)).Scan(&n)
			if n != 0 {
				t.Error("the token is stored in clear")
			}
			if _, err := s.Authenticate(ctx, tok+"x"); !errors.Is(err, clients.ErrUnknownToken) {
				t.Errorf("a wrong token: %v", err)
			}
			if _, _, err := s.Add(ctx, clients.NewClient{Name: "portal", Scopes: []string{clients.ScopePrefill}}); err == nil || !strings.Contains(err.Error(), "exists") {
				t.Errorf("a second client of the same name: %v", err)
			}
			if _, _, err := s.Add(ctx, clients.NewClient{Name: "x", Scopes: []string{"admin"}}); err == nil || !strings.Contains(err.Error(), `unknown scope "admin"`) {
				t.Errorf("an unknown scope: %v", err)
			}
			_, old, err := s.Add(ctx, clients.NewClient{Name: "old", Scopes: []string{clients.ScopePrefill}, ExpiresAt: time.Now().Add(-time.Minute)})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Authenticate(ctx, old); !errors.Is(err, clients.ErrExpired) {
				t.Errorf("an expired token: %v", err)
			}
			// Another replica's register: one trusting what it found for
			// an hour, one asking every time.
			cached, uncached := clients.New(db), clients.New(db)
			cached.CacheFor, uncached.CacheFor = time.Hour, -1
			for _, r := range []*clients.Store{cached, uncached} {
				if _, err := r.Authenticate(ctx, tok); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Revoke(ctx, "portal"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Authenticate(ctx, tok); !errors.Is(err, clients.ErrRevoked) {
				t.Errorf("a revoked token, on the replica that revoked it: %v", err)
			}
			if _, err := uncached.Authenticate(ctx, tok); !errors.Is(err, clients.ErrRevoked) {
				t.Errorf("a revoked token, on a replica without a cache: %v", err)
			}
			if _, err := cached.Authenticate(ctx, tok); err != nil {
				t.Errorf("a replica trusts a token it found for CacheFor: %v", err)
			}
			list, err := s.List(ctx)
			if err != nil || len(list) != 2 || list[1].RevokedAt == nil || list[0].ExpiresAt == nil {
				t.Errorf("list %+v %v", list, err)
			}
		})
	}
}
