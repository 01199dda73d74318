package ops_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/lienthong/lienthong/internal/ops"
	"github.com/lienthong/lienthong/internal/testdb"
)

// TestCreateSourceRefusals: what a department may not register is refused
// field by field, before anything reaches its system, and a source that
// fails its check is not saved. No answer holds the secret.
func TestCreateSourceRefusals(t *testing.T) {
	e := newEnv(t, testdb.Postgres(t))
	stream := `[{"name": "khai-sinh", "table": "khai_sinh", "primary_key": ["id"], "cursor": "ngay_cap_nhat"}]`
	withSecret := func(extra string) []byte {
		s, _ := json.Marshal(e.secretDSN)
		return []byte(`{"name": "hotich", "kind": "postgres", "secret": ` + string(s) + `, "streams": ` + stream + extra + `}`)
	}
	for _, tc := range []struct {
		name  string
		body  []byte
		field string
		says  string
	}{
		{"dsn_env", []byte(`{"name": "hotich", "kind": "postgres", "dsn_env": "HOTICH_DSN", "streams": ` + stream + `}`), "dsn_env", "secret"},
		{"dsn_file", []byte(`{"name": "hotich", "kind": "postgres", "dsn_file": "/etc/passwd", "streams": ` + stream + `}`), "dsn_file", "secret"},
		{"a password in dsn", []byte(`{"name": "hotich", "kind": "postgres", "dsn": "` + e.secretDSN + `", "streams": ` + stream + `}`), "dsn", "secret"},
		{"a kind the API does not allow", []byte(`{"name": "hotich", "kind": "sqlite", "dsn": "/var/lib/x.db", "streams": ` + stream + `}`), "kind", "postgres, mysql, httpjson"},
		{"dsn and secret", withSecret(`, "dsn": "host=127.0.0.1 dbname=x"`), "secret", "not both"},
		{"a mapping in a stream", []byte(`{"name": "hotich", "kind": "postgres", "secret": "x", "streams": [{"name": "k", "table": "t", "primary_key": ["id"], "cursor": "c", "mapping": "k.yaml"}]}`), "streams[0].mapping", ""},
		{"a misspelt key", withSecret(`, "timout": "1m"`), "timout", "timeout"},
		{"a misspelt stream key", []byte(`{"name": "hotich", "kind": "postgres", "secret": "x", "streams": [{"name": "k", "tabel": "t", "primary_key": ["id"]}]}`), "streams[0].tabel", "table"},
		{"a bad duration", withSecret(`, "timeout": "soon"`), "timeout", ""},
		{"a secret that is not a string", []byte(`{"name": "hotich", "kind": "postgres", "secret": 42, "streams": ` + stream + `}`), "secret", "string"},
		{"a key written twice", []byte(`{"name": "hotich", "name": "hotich2", "kind": "postgres"}`), "name", "twice"},
		{"a SQL source without its DSN", []byte(`{"name": "hotich", "kind": "postgres", "streams": ` + stream + `}`), "secret", "connection string"},
		{"not an object", []byte(`["hotich"]`), "", "JSON object"},
		{"not JSON", []byte(`{"name": "hotich", "secret": "` + e.password + `"`), "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.svc.CreateSource(e.ctx, e.own, "tuphap", tc.body)
			var inv *ops.Invalid
			if !errors.As(err, &inv) {
				t.Fatalf("want *Invalid, got %v", err)
			}
			found := false
			for _, f := range inv.Fields {
				if f.Field == tc.field && strings.Contains(f.Reason, tc.says) {
					found = true
				}
			}
			if !found {
				t.Errorf("no error on %q saying %q: %+v", tc.field, tc.says, inv.Fields)
			}
			e.noSecretText(t, "the refusal", err.Error())
		})
	}

	// The check against the real system: a table that does not exist, a
	// database that does not exist. Nothing is saved.
	for _, tc := range []struct{ name, body, says string }{
		{"no such table", `{"name": "hotich", "kind": "postgres", "secret": ` + quote(e.secretDSN) + `, "streams": [{"name": "k", "table": "khai_sinh_cu", "primary_key": ["id"], "cursor": "ngay_cap_nhat"}]}`, "khai_sinh_cu"},
		{"no such column", `{"name": "hotich", "kind": "postgres", "secret": ` + quote(e.secretDSN) + `, "streams": [{"name": "k", "table": "khai_sinh", "primary_key": ["id"], "cursor": "ngay_sua"}]}`, "ngay_sua"},
		{"no such database", `{"name": "hotich", "kind": "postgres", "secret": ` + quote(strings.Replace(e.secretDSN, "/lt_test_", "/nosuchdb_", 1)) + `, "streams": []}`, "nosuchdb_"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.svc.CreateSource(e.ctx, e.own, "tuphap", []byte(tc.body))
			var cf *ops.CheckFailed
			if !errors.As(err, &cf) || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("want a failed check naming %s, got %v", tc.says, err)
			}
			e.noSecret(t, "the problems", cf)
			if _, err := e.svc.Source(e.ctx, e.own, "tuphap", "hotich"); !errors.Is(err, ops.ErrNotFound) {
				t.Errorf("a source that failed its check was saved: %v", err)
			}
		})
	}

	// An httpjson source's token goes in "secret" too, never in dsn.
	_, err := e.svc.CreateSource(e.ctx, e.own, "tuphap", []byte(`{"name": "api", "kind": "httpjson", "dsn": "`+e.password+`", "options": {"base_url": "https://example.org"}}`))
	var inv *ops.Invalid
	if !errors.As(err, &inv) || inv.Fields[0].Field != "dsn" {
		t.Errorf("an httpjson token in dsn: %v", err)
	}
	e.noSecretText(t, "the refusal", err.Error())
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
