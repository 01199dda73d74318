package sqlsource_test

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/connectors/sqlsource"
	"github.com/lienthong/lienthong/internal/netguard"
	"github.com/lienthong/lienthong/internal/testdb"
)

// TestGuardedConnections: a registered source's connections go through the
// guard the caller gives: a database on loopback is refused, with the
// address and the option to set, until the guard allows 127.0.0.0/8.
func TestGuardedConnections(t *testing.T) {
	const option = "registration.allow_networks"
	loopback := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	for _, tc := range []struct {
		kind, dsn string
	}{
		{"postgres", testdb.Postgres(t)},
		{"mysql", testdb.MariaDB(t)},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			ctx := context.Background()
			_, err := sqlsource.Open(ctx, connectors.Config{Name: "dang-ky", Kind: tc.kind, DSN: tc.dsn, Guard: netguard.New(nil, option)})
			if err == nil {
				t.Fatal("a source on 127.0.0.1 opened through a guard that does not allow loopback")
			}
			if msg := err.Error(); !errors.Is(err, netguard.ErrRefused) || !strings.Contains(msg, "127.0.0.1") ||
				!strings.Contains(msg, "loopback") || !strings.Contains(msg, option) {
				t.Fatalf("refusal %q (ErrRefused: %v): want it to name the address, why, and %s", msg, errors.Is(err, netguard.ErrRefused), option)
			}
			src, err := sqlsource.Open(ctx, connectors.Config{Name: "dang-ky", Kind: tc.kind, DSN: tc.dsn, Guard: netguard.New(loopback, option)})
			if err != nil {
				t.Fatalf("a source on 127.0.0.1 with 127.0.0.0/8 allowed: %v", err)
			}
			src.Close()
		})
	}
	t.Run("sqlite", func(t *testing.T) {
		_, err := sqlsource.Open(context.Background(), connectors.Config{Name: "dang-ky", Kind: "sqlite", DSN: testdb.SQLite(t),
			Guard: netguard.New(loopback, option)})
		if err == nil || !strings.Contains(err.Error(), "file on this server") {
			t.Fatalf("a guarded sqlite source: %v, want it refused", err)
		}
	})
}
