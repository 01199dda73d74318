package config_test

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lienthong/lienthong/config"
)

func TestDecodeSource(t *testing.T) {
	yamlBody := `name: ho-tich
kind: postgres
dsn: host=db.example dbname=hotich sslmode=disable
timeout: 90s
options:
  schema: public
streams:
  - name: khai-sinh
    table: khai_sinh
    primary_key: [id]
    cursor: updated_at
    schedule: "@every 10m"
    retry_transient_for: 1d
`
	jsonBody := `{"name": "ho-tich", "kind": "postgres", "dsn": "host=db.example dbname=hotich sslmode=disable",
 "timeout": "90s", "options": {"schema": "public"},
 "streams": [{"name": "khai-sinh", "table": "khai_sinh", "primary_key": ["id"], "cursor": "updated_at",
   "schedule": "@every 10m", "retry_transient_for": "1d"}]}`
	for name, body := range map[string]string{"yaml": yamlBody, "json": jsonBody} {
		t.Run(name, func(t *testing.T) {
			src, errs := config.DecodeSource([]byte(body))
			if errs != nil {
				t.Fatal(errs)
			}
			if src.Name != "ho-tich" || src.Timeout != 90*time.Second || src.Options["schema"] != "public" || len(src.Streams) != 1 {
				t.Fatalf("%+v", src)
			}
			s := src.Streams[0]
			// The loader's defaults.
			if s.Mode != "incremental" || s.PageSize != 5000 || s.MaxDeleteRatio != 0.1 || s.RetryTransientFor != 24*time.Hour {
				t.Errorf("stream %+v", s)
			}
		})
	}
	// Streams are optional.
	if src, errs := config.DecodeSource([]byte(`{"name": "api", "kind": "httpjson"}`)); errs != nil || src.Kind != "httpjson" {
		t.Errorf("%+v %v", src, errs)
	}
}

func TestDecodeSourceErrors(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       []config.FieldError
	}{
		{"unknown key", `{"name": "a", "kind": "postgres", "timout": "1m"}`,
			[]config.FieldError{{Field: "timout", Reason: `unknown key "timout" (did you mean "timeout"?)`}}},
		{"stream key", `{"name": "a", "kind": "postgres", "streams": [{"name": "s", "table": "t", "primary_key": ["id"], "cursr": "c"}]}`,
			[]config.FieldError{{Field: "streams[0].cursr", Reason: `unknown key "cursr" (did you mean "cursor"?)`}}},
		{"bad duration", `{"name": "a", "kind": "postgres", "timeout": "soon"}`, nil},
		{"wrong type", `{"name": "a", "kind": "postgres", "streams": {"name": "s"}}`, nil},
		{"bad name", `{"name": "Hộ tịch", "kind": "postgres"}`, nil},
		{"per-kind rule", `{"name": "a", "kind": "postgres", "streams": [{"name": "s", "table": "t", "primary_key": ["id"], "mode": "incremental"}]}`,
			[]config.FieldError{{Field: "streams[0].mode", Reason: `incremental mode needs a cursor: set "cursor" to a column that grows on every change, or use mode full_refresh`}}},
		{"password", `{"name": "a", "kind": "postgres", "dsn": "postgres://u:hunter2@db/x"}`,
			[]config.FieldError{{Field: "dsn", Reason: `the DSN carries a password: send the whole DSN as "secret" (sealed, never shown again) and leave dsn out`}}},
		{"dsn_env", `{"name": "a", "kind": "postgres", "dsn_env": "X"}`, nil},
		{"mapping", `{"name": "a", "kind": "postgres", "streams": [{"name": "s", "table": "t", "primary_key": ["id"], "mapping": "m.yaml"}]}`, nil},
		{"duplicate stream", `{"name": "a", "kind": "postgres", "streams": [{"name": "s", "table": "t", "primary_key": ["id"]}, {"name": "s", "table": "u", "primary_key": ["id"]}]}`, nil},
		{"not YAML", `{"name": `, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errs := config.DecodeSource([]byte(tc.body))
			if len(errs) == 0 {
				t.Fatal("no error")
			}
			if tc.want != nil && !reflect.DeepEqual(errs, tc.want) {
				t.Errorf("got %#v\nwant %#v", errs, tc.want)
			}
			for _, e := range errs {
				if e.Reason == "" || strings.Contains(e.Reason, "hunter2") {
					t.Errorf("reason %q", e.Reason)
				}
			}
			t.Log(errs)
		})
	}
	_, errs := config.DecodeSource([]byte(`{"name": "a", "kind": "postgres", "timeout": "soon", "streams": [{"name": "s", "table": "t", "primary_key": ["id"], "page_size": "x"}]}`))
	fields := map[string]bool{}
	for _, e := range errs {
		fields[e.Field] = true
	}
	if !fields["timeout"] || !fields["streams[0].page_size"] {
		t.Errorf("every mistake at once, by path: %v", errs)
	}
	_, errs = config.DecodeSource([]byte(`{"streams": [{"name": "s"}, {"name": "s", "table": "t", "primary_key": ["id"]}]}`))
	want := []config.FieldError{
		{Field: "kind", Reason: `missing required key "kind"`},
		{Field: "name", Reason: `missing required key "name"`},
		{Field: "streams[0]", Reason: `missing required key "table" or "query"`},
		{Field: "streams[0].primary_key", Reason: `missing required key "primary_key"`},
		{Field: "streams[1].name", Reason: `duplicate stream name "s" (first used at streams[0].name)`},
	}
	if !reflect.DeepEqual(errs, want) {
		t.Errorf("missing keys:\n got %v\nwant %v", errs, want)
	}
	_, errs = config.DecodeSource([]byte(`{"name": "a", "kind": "postgres", "dsn_env": "X", "streams": [{"name": "s", "table": "t", "primary_key": ["id"], "mapping": "m.yaml"}]}`))
	if len(errs) != 2 || errs[0].Field != "dsn_env" || errs[1].Field != "streams[0].mapping" {
		t.Errorf("dsn_env and mapping: %v", errs)
	}
}

func TestDecodeStream(t *testing.T) {
	s, errs := config.DecodeStream([]byte("name: s\ntable: t\nprimary_key: [id]\ncursor: c\nbatch: {size: 10}\n"), "postgres")
	if errs != nil {
		t.Fatal(errs)
	}
	if s.Mode != "incremental" || s.Batch.Size != 10 || s.Batch.Period != 2*time.Second || s.PageSize != 5000 {
		t.Errorf("%+v", s)
	}
	// Per-kind: an HTTP source keeps its own position, a SQL one needs a cursor.
	body := []byte(`{"name": "s", "table": "t", "primary_key": ["id"], "mode": "incremental"}`)
	if _, errs := config.DecodeStream(body, "httpjson"); errs != nil {
		t.Errorf("httpjson: %v", errs)
	}
	_, errs = config.DecodeStream(body, "mysql")
	if len(errs) != 1 || errs[0].Field != "mode" {
		t.Errorf("mysql: %v", errs)
	}
	_, errs = config.DecodeStream([]byte(`{"name": "s", "table": "t", "primary_key": ["id"], "timeout": "1h"}`), "postgres")
	if len(errs) != 1 || errs[0].Field != "timeout" || !strings.Contains(errs[0].Reason, "scheduled runs") {
		t.Errorf("timeout without schedule: %v", errs)
	}
	_, errs = config.DecodeStream([]byte(`{"name": "s", "table": "t", "primary_key": ["id"], "max_delete_ratio": 2, "pagesize": 1}`), "postgres")
	if len(errs) != 1 || !strings.Contains(errs[0].Reason, `did you mean "page_size"`) {
		t.Errorf("unknown key: %v", errs)
	}
}

func TestResolveSecret(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "dsn")
	os.WriteFile(file, []byte(secret+"\n"), 0o600)
	src := config.Source{Name: "ho-tich", Kind: "postgres", DSNEnv: "HOTICH_DSN"}
	if err := config.ResolveSecret(&src, testEnv); err != nil || src.ResolvedDSN != secret {
		t.Errorf("env: %v", err)
	}
	src = config.Source{Name: "ho-tich", Kind: "postgres", DSNFile: file}
	if err := config.ResolveSecret(&src, nil); err != nil || src.ResolvedDSN != secret {
		t.Errorf("file: %v", err)
	}
	src = config.Source{Name: "ho-tich", Kind: "sqlite", DSN: "/data/x.db"}
	if err := config.ResolveSecret(&src, nil); err != nil || src.ResolvedDSN != "/data/x.db" {
		t.Errorf("inline: %v", err)
	}
	for _, tc := range []struct {
		src  config.Source
		want string
	}{
		{config.Source{Name: "ho-tich", Kind: "postgres", DSNEnv: "MISSING"}, "source ho-tich: dsn_env: environment variable MISSING is not set"},
		{config.Source{Name: "ho-tich", Kind: "postgres", DSNFile: filepath.Join(dir, "none")}, "source ho-tich: dsn_file: cannot read the DSN"},
		{config.Source{Name: "ho-tich", Kind: "postgres", DSN: secret}, "source ho-tich: dsn: the DSN carries a password"},
		{config.Source{Name: "ho-tich", Kind: "postgres"}, "missing DSN"},
	} {
		err := config.ResolveSecret(&tc.src, testEnv)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("got %v, want %q", err, tc.want)
		}
	}
	sealed := config.Source{Name: "x", Kind: "postgres", Sealed: true}
	if err := config.ResolveSecret(&sealed, nil); err != nil {
		t.Errorf("sealed: %v", err)
	}
}

func TestRegistration(t *testing.T) {
	c, err := config.Parse("lienthong.yaml", []byte(""), nil)
	if err != nil {
		t.Fatalf("a file without departments: %v", err)
	}
	if len(c.Departments) != 0 || strings.Join(c.Registration.Kinds, ",") != "postgres,mysql,httpjson" || !c.Registration.Allows("mysql") || c.Registration.Allows("sqlite") {
		t.Errorf("defaults %+v", c.Registration)
	}
	c, err = config.Parse("lienthong.yaml", []byte("registration:\n  kinds: [postgres]\n  allow_networks: [10.20.0.0/16, 192.0.2.10/32]\n"), nil, config.KnownKinds("postgres", "mysql"))
	if err != nil {
		t.Fatal(err)
	}
	if n := c.Registration.Networks(); len(n) != 2 || n[0].String() != "10.20.0.0/16" {
		t.Errorf("networks %v", n)
	}
	for body, want := range map[string]string{
		"registration:\n  allow_networks: [10.20.0.0/33]\n":      `lienthong.yaml:2: registration.allow_networks[0]: invalid network "10.20.0.0/33"`,
		"registration:\n  kinds: [postgress]\n":                  `lienthong.yaml:2: registration.kinds[0]: unknown connector kind "postgress" (did you mean "postgres"?)`,
		"registration:\n  kinds: []\n":                           `registration.kinds: list at least one connector kind`,
		"registration:\n  kinds: [postgres, postgres]\n":         `registration.kinds[1]: kind "postgres" is listed twice`,
		"registration:\n  allow_networks: 10.0.0.0/8\n":          `registration.allow_networks: want a list`,
		"registration:\n  kinds: [mysql]\n  allow_network: []\n": `unknown key "allow_network" (did you mean "allow_networks"?)`,
	} {
		_, err := config.Parse("lienthong.yaml", []byte(body), nil, config.KnownKinds("postgres", "mysql"))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", body, err, want)
		}
	}
}

func TestDecodeSourceSecret(t *testing.T) {
	for name, tc := range map[string]struct {
		body string
		want *string
	}{
		"json":   {`{"name": "a", "kind": "postgres", "secret": "postgres://u:pw@db/x"}`, ptr("postgres://u:pw@db/x")},
		"yaml":   {"secret: 'tok en'\nname: a\nkind: httpjson\n", ptr("tok en")},
		"number": {"name: a\nkind: httpjson\nsecret: 12345\n", ptr("12345")},
		"empty":  {`{"name": "a", "kind": "postgres", "secret": ""}`, ptr("")},
		"null":   {`{"name": "a", "kind": "postgres", "secret": null}`, nil},
		"absent": {`{"name": "a", "kind": "postgres"}`, nil},
	} {
		t.Run(name, func(t *testing.T) {
			src, sec, errs := config.DecodeSourceSecret([]byte(tc.body))
			if errs != nil || src.Name != "a" {
				t.Fatal(src, errs)
			}
			if (sec == nil) != (tc.want == nil) || (sec != nil && *sec != *tc.want) {
				t.Errorf("secret %v, want %v", sec, tc.want)
			}
		})
	}
	_, sec, errs := config.DecodeSourceSecret([]byte(`{"name": "a", "kind": "postgres", "secret": {"pw": "hunter2"}, "timout": "1m"}`))
	if sec != nil || len(errs) != 2 || errs[0].Field != "secret" || errs[1].Field != "timout" || strings.Contains(fmt.Sprint(errs), "hunter2") {
		t.Errorf("a secret that is not text: %v", errs)
	}
	_, _, errs = config.DecodeSourceSecret([]byte(`{"secret": "hunter2"}`))
	if len(errs) != 2 || strings.Contains(fmt.Sprint(errs), "hunter2") {
		t.Errorf("only a secret: %v", errs)
	}
	// DecodeSource takes no secret: the key is unknown, its value unsaid.
	_, errs = config.DecodeSource([]byte(`{"name": "a", "kind": "postgres", "secret": "hunter2"}`))
	if len(errs) != 1 || errs[0].Field != "secret" || strings.Contains(errs[0].Reason, "hunter2") {
		t.Errorf("DecodeSource with a secret: %v", errs)
	}
	// A syntax error near a secret does not quote it.
	_, _, errs = config.DecodeSourceSecret([]byte(`{"name": "a", "secret": "hunter2" "x"}`))
	if len(errs) == 0 || strings.Contains(fmt.Sprint(errs), "hunter2") {
		t.Errorf("syntax error: %v", errs)
	}
}

func ptr(s string) *string { return &s }
