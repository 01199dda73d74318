package clients

import (
	"context"
	"testing"
	"time"

	"github.com/lienthong/lienthong/internal/database"
	"github.com/lienthong/lienthong/internal/testdb"
)

// TestMigrateKeepsPortalClients: a register made before departments had
// tokens keeps its clients, as portal clients, after the migration.
func TestMigrateKeepsPortalClients(t *testing.T) {
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
			ms, err := database.LoadMigrations(migrations, "migrations", db.Dialect)
			if err != nil {
				t.Fatal(err)
			}
			if len(ms) < 2 || ms[1].Version != 2 {
				t.Fatalf("migrations %v", ms)
			}
			if _, err := db.Migrate(ctx, "clients", ms[:1]); err != nil {
				t.Fatal(err)
			}
			tok, hash := NewToken()
			s := New(db)
			if _, err := db.ExecContext(ctx, db.Rebind(`INSERT INTO api_clients (name, token_hash, scopes, forms, created_at) VALUES (?, ?, ?, '', ?)`),
				"portal", hash[:], ScopePrefill, s.timeArg(time.Now().UTC().Truncate(time.Microsecond))); err != nil {
				t.Fatal(err)
			}
			if n, err := s.Pending(ctx); err != nil || n != 1 {
				t.Fatalf("pending before: %d %v", n, err)
			}
			if n, err := s.Migrate(ctx); err != nil || n != 1 {
				t.Fatalf("migrate: %d %v", n, err)
			}
			c, err := s.Authenticate(ctx, tok)
			if err != nil || c.Department != "" || !c.Has(ScopePrefill) {
				t.Errorf("the old client after the migration: %+v %v", c, err)
			}
		})
	}
}
