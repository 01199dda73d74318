// Package testdb gives tests their own real databases: a fresh PostgreSQL
// database per test on the machine's server, dropped when the test ends, or a
// SQLite file in the test's temporary directory.
//
// It is for tests only and must not be imported by production code.
package testdb

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/lib/pq" // PostgreSQL driver
)

// AdminDSN is the PostgreSQL server tests use. LIENTHONG_TEST_PG overrides it.
func AdminDSN() string {
	if dsn := os.Getenv("LIENTHONG_TEST_PG"); dsn != "" {
		return dsn
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// Postgres creates an empty database for the test and returns its DSN. The
// database is dropped when the test ends. A server that does not answer fails
// the test: the suite runs against real PostgreSQL, never a stand-in.
func Postgres(t testing.TB) string {
	t.Helper()
	admin, err := sql.Open("postgres", AdminDSN())
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	defer admin.Close()
	name := "lt_test_" + randomHex(6)
	if _, err := admin.Exec(`CREATE DATABASE ` + name); err != nil {
		t.Fatalf("create test database (is PostgreSQL running on 127.0.0.1:5432?): %v", err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("postgres", AdminDSN())
		if err != nil {
			t.Errorf("drop test database: %v", err)
			return
		}
		defer admin.Close()
		if _, err := admin.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	return fmt.Sprintf("postgres://postgres@127.0.0.1:5432/%s?sslmode=disable", name)
}

// SQLite returns the path of a new SQLite file in the test's temporary
// directory.
func SQLite(t testing.TB) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "lienthong.db")
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
