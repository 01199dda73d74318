package database

import (
	"context"
	"strings"
	"testing"
)

// TestDSNParseErrorNamesThePart: a store URL that does not parse says which
// part is wrong and how to write it, and never quotes the password.
func TestDSNParseErrorNamesThePart(t *testing.T) {
	tests := []struct {
		name, dsn, want, secret string
	}{
		{"slash in password", "postgres://lt:pa/ss@db.local/lienthong", `the password holds "/", which a URL must write %2F`, "pa/ss"},
		{"hash in password", "postgres://lt:Pa55#word@db.local/lienthong", `the password holds "#", which a URL must write %23`, "Pa55#word"},
		{"question mark in password", "postgres://lt:wh?at@db.local/lienthong", `the password holds "?", which a URL must write %3F`, "wh?at"},
		{"bad escape in password", "postgres://lt:100%sure@db.local/lienthong", `the password holds a "%" not followed by two hex digits: write it %25`, "100%sure"},
		{"space in user", "postgres://le thong:x@db.local/lienthong", `the user name "le thong" holds " ", which a URL must write %20`, ""},
		{"port", "postgres://lt:S3cret@db.local:54x2/lienthong", `the port "54x2" after host "db.local" is not a number`, "S3cret"},
		{"database name", "postgres://lt:S3cret@db.local:5432/lien%zzthong", `the database name "lien%zzthong" has a % not followed by two hex digits`, "S3cret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(context.Background(), tt.dsn)
			if err == nil || !strings.Contains(err.Error(), "the postgres store DSN does not parse: "+tt.want) {
				t.Fatalf("Open(%s): %v\nwant %q", tt.name, err, tt.want)
			}
			if tt.secret != "" && strings.Contains(err.Error(), tt.secret) {
				t.Fatalf("the error holds the password: %v", err)
			}
		})
	}
}
