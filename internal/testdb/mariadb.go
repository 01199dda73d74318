package testdb

import (
	"database/sql"
	"os"
	"testing"

	"github.com/go-sql-driver/mysql"
)

// MySQLAdminDSN is the MariaDB (or MySQL) server tests use, in
// go-sql-driver/mysql form. LIENTHONG_TEST_MYSQL overrides it.
func MySQLAdminDSN() string {
	if dsn := os.Getenv("LIENTHONG_TEST_MYSQL"); dsn != "" {
		return dsn
	}
	return "root@tcp(127.0.0.1:3306)/"
}

// MariaDB creates an empty utf8mb4 database for the test and returns its
// DSN, in go-sql-driver/mysql form with the admin DSN's user and
// parameters. Its collation is utf8mb4_general_ci, the default most
// department systems run with, under which 'a', 'A' and 'à' are equal. The
// database is dropped when the test ends. A server that does not answer
// fails the test: the suite runs against real MariaDB, never a stand-in.
func MariaDB(t testing.TB) string {
	t.Helper()
	cfg, err := mysql.ParseDSN(MySQLAdminDSN())
	if err != nil {
		t.Fatalf("parse the MariaDB admin DSN (LIENTHONG_TEST_MYSQL): %v", err)
	}
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatalf("open mariadb: %v", err)
	}
	defer admin.Close()
	name := "lt_test_" + randomHex(6)
	if _, err := admin.Exec("CREATE DATABASE `" + name + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci"); err != nil {
		t.Fatalf("create test database (is MariaDB running on 127.0.0.1:3306?): %v", err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("mysql", cfg.FormatDSN())
		if err != nil {
			t.Errorf("drop test database: %v", err)
			return
		}
		defer admin.Close()
		if _, err := admin.Exec("DROP DATABASE IF EXISTS `" + name + "`"); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	db := cfg.Clone()
	db.DBName = name
	return db.FormatDSN()
}
