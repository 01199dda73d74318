package database

import (
	"context"
	"strings"
	"testing"
)

func TestRedactAndScrub(t *testing.T) {
	tests := []struct {
		name, dsn, secret string
		dialect           Dialect
	}{
		{"url", "postgres://lt:s3cret@127.0.0.1:1/db?sslmode=disable&connect_timeout=1", "s3cret", Postgres},
		{"url with unescaped slash", "postgres://lt:pa/ss#word@127.0.0.1:1/db?sslmode=disable&connect_timeout=1", "pa/ss#word", Postgres},
		{"key=value", "host=127.0.0.1 port=1 user=lt password=s3cret dbname=db sslmode=disable connect_timeout=1", "s3cret", Postgres},
		{"key=value without host", "user=lt password='s3 cret' dbname=db connect_timeout=1", "s3 cret", Postgres},
		{"sqlite path", "/tmp/x/lienthong.db", "", SQLite},
		{"mistyped url", "postgresql//lt:S3cretNat@127.0.0.1/db", "S3cretNat", SQLite},
		{"unknown scheme", "pg://lt:S3cretNat@127.0.0.1/db", "S3cretNat", SQLite},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DialectOf(tt.dsn); got != tt.dialect {
				t.Fatalf("DialectOf = %s, want %s", got, tt.dialect)
			}
			if tt.secret == "" {
				return
			}
			if r := Redact(tt.dsn); strings.Contains(r, tt.secret) {
				t.Fatalf("Redact(%q) = %q still holds the password", tt.dsn, r)
			}
			_, err := Open(context.Background(), tt.dsn)
			if err == nil {
				t.Fatal("opening a store on a closed port succeeded")
			}
			if strings.Contains(err.Error(), tt.secret) {
				t.Fatalf("error holds the password: %v", err)
			}
		})
	}
}
