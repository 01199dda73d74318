package cli

import (
	"strings"
	"testing"

	"github.com/lienthong/lienthong/config"
)

// TestScrubSource: a failed attempt's error never carries the source's
// secret, whether a password in a DSN or a DSN that is a token.
func TestScrubSource(t *testing.T) {
	for _, tt := range []struct {
		name   string
		src    config.Source
		secret string
	}{
		{"postgres url", config.Source{DSNEnv: "X", ResolvedDSN: "postgres://lt:S3cretPw@db/hotich"}, "S3cretPw"},
		{"mysql", config.Source{DSNEnv: "X", ResolvedDSN: "lt:S3cretPw@tcp(db:3306)/hotich"}, "S3cretPw"},
		{"key=value", config.Source{DSNFile: "f", ResolvedDSN: "host=db user=lt password=S3cretPw dbname=hotich"}, "S3cretPw"},
		{"api token", config.Source{DSNEnv: "X", ResolvedDSN: "eyJhbGciOiJIUzI1NiJ9.tok3n"}, "eyJhbGciOiJIUzI1NiJ9.tok3n"},
	} {
		text := "open " + tt.src.ResolvedDSN + ": refused for " + tt.secret
		got := scrubSource(text, &tt.src)
		if strings.Contains(got, tt.secret) {
			t.Errorf("%s: %q", tt.name, got)
		}
	}
	// A DSN written inline holds no secret (config refuses one that does):
	// a SQLite path stays, as it helps to find the file.
	src := config.Source{DSN: "/srv/hotich.db", ResolvedDSN: "/srv/hotich.db"}
	if got := scrubSource("open /srv/hotich.db: no such file", &src); got != "open /srv/hotich.db: no such file" {
		t.Errorf("sqlite path: %q", got)
	}
}
