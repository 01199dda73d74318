package transient_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"testing"

	_ "github.com/go-sql-driver/mysql"
	_ "modernc.org/sqlite"

	"github.com/lienthong/lienthong/internal/testdb"
	"github.com/lienthong/lienthong/internal/transient"
)

// Each case makes its error for real, from the driver or the network.
func TestIs(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name string
		err  func(t *testing.T) error
		want bool
	}{
		{"postgres backend terminated", func(t *testing.T) error {
			db := open(t, "postgres", testdb.AdminDSN())
			_, err := db.ExecContext(ctx, `SELECT pg_terminate_backend(pg_backend_pid())`)
			return err
		}, true},
		{"postgres syntax error", func(t *testing.T) error {
			_, err := open(t, "postgres", testdb.AdminDSN()).ExecContext(ctx, `SELEC 1`)
			return err
		}, false},
		{"mariadb connection killed", func(t *testing.T) error {
			db := open(t, "mysql", testdb.MySQLAdminDSN())
			conn, err := db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			var id int64
			if err := conn.QueryRowContext(ctx, `SELECT CONNECTION_ID()`).Scan(&id); err != nil {
				t.Fatal(err)
			}
			if _, err := db.ExecContext(ctx, fmt.Sprintf("KILL CONNECTION %d", id)); err != nil {
				t.Fatal(err)
			}
			_, err = conn.ExecContext(ctx, `SELECT 1`)
			return err
		}, true},
		{"sqlite busy", func(t *testing.T) error {
			path := filepath.Join(t.TempDir(), "busy.db")
			holder := open(t, "sqlite", path)
			tx, err := holder.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			if _, err := tx.ExecContext(ctx, `CREATE TABLE t (x INTEGER)`); err != nil {
				t.Fatal(err)
			}
			_, err = open(t, "sqlite", path+"?_pragma=busy_timeout(0)").ExecContext(ctx, `CREATE TABLE u (x INTEGER)`)
			return err
		}, true},
		{"connection refused", func(t *testing.T) error {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := ln.Addr().String()
			ln.Close()
			_, err = net.Dial("tcp", addr)
			return fmt.Errorf("query page: %w", err)
		}, true},
		{"unknown host", func(t *testing.T) error {
			_, err := net.Dial("tcp", "no-such-host.invalid:5432")
			return err
		}, false},
		{"cancelled", func(*testing.T) error { return fmt.Errorf("write batch: %w", context.Canceled) }, false},
		{"plain error", func(*testing.T) error { return errors.New("column \"x\" does not exist") }, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.err(t)
			if err == nil {
				t.Fatal("the case made no error")
			}
			if got := transient.Is(err); got != c.want {
				t.Fatalf("Is(%v) = %v, want %v", err, got, c.want)
			}
		})
	}
}

func open(t *testing.T, driver, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
