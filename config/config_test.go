package config_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lienthong/lienthong/config"
)

// env returns a getenv over a fixed map, so tests never see the
// developer's own environment.
func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// secret is the DSN the tests' environment holds; no error may show it.
const secret = "postgres://lienthong:s3cret@db.example/hotich"

var testEnv = env(map[string]string{"HOTICH_DSN": secret})

// valid is a minimal correct configuration; cases edit copies of it.
const valid = `departments:
  - name: tu-phap
    sources:
      - name: ho-tich
        kind: postgres
        dsn_env: HOTICH_DSN
        streams:
          - name: khai-sinh
            table: khai_sinh
            primary_key: [id]
            cursor: updated_at
            mapping: mappings/khai-sinh.yaml
`

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		// want holds substrings of the error, each naming line and key.
		want []string
	}{
		{
			name: "unknown key with suggestion",
			yaml: strings.Replace(valid, "cursor:", "cursr:", 1),
			want: []string{`lienthong.yaml:11: departments[0].sources[0].streams[0]: unknown key "cursr" (did you mean "cursor"?)`},
		},
		{
			name: "unknown top-level key lists the known ones",
			yaml: "frobnicate: true\n" + valid,
			want: []string{`lienthong.yaml:1: unknown key "frobnicate" (known keys: data_dir, national, state, batch, admin_units, serve, ingest, departments, registration, rejects, deleted_records)`},
		},
		{
			name: "every unknown key at once",
			yaml: strings.Replace(strings.Replace(valid, "cursor:", "cursr:", 1), "kind:", "knd:", 1),
			want: []string{
				`lienthong.yaml:5: departments[0].sources[0]: unknown key "knd" (did you mean "kind"?)`,
				`lienthong.yaml:11: departments[0].sources[0].streams[0]: unknown key "cursr"`,
			},
		},
		{
			name: "admin unit lists need both eras and the mapping",
			yaml: "admin_units:\n  before: units-old.json\n" + valid,
			want: []string{`lienthong.yaml:1: admin_units: missing required key "current"`, `lienthong.yaml:1: admin_units: missing required key "old_to_new"`},
		},
		{
			name: "inline dsn on a store",
			yaml: "national:\n  dsn: postgres://x@h/db\n" + valid,
			want: []string{`lienthong.yaml:2: national: unknown key "dsn" (a store's DSN comes from dsn_env or dsn_file`},
		},
		{
			name: "text for a number",
			yaml: valid + "            page_size: lots\n",
			want: []string{`lienthong.yaml:13: departments[0].sources[0].streams[0].page_size: want a whole number, got text`},
		},
		{
			name: "float for a number",
			yaml: "batch:\n  size: 1.5\n" + valid,
			want: []string{`lienthong.yaml:2: batch.size: want a whole number, got the number 1.5`},
		},
		{
			name: "scalar for a list",
			yaml: strings.Replace(valid, "primary_key: [id]", "primary_key: id", 1),
			want: []string{`lienthong.yaml:10: departments[0].sources[0].streams[0].primary_key: want a list, got text`},
		},
		{
			name: "list for a mapping",
			yaml: "batch: [1, 2]\n" + valid,
			want: []string{`lienthong.yaml:1: batch: want a mapping of keys, got a list`},
		},
		{
			name: "bad duration",
			yaml: "batch:\n  period: 2 seconds\n" + valid,
			want: []string{`lienthong.yaml:2: batch.period: invalid duration "2 seconds": write a number and a unit`},
		},
		{
			name: "duration without unit",
			yaml: strings.Replace(valid, "        streams:", "        timeout: 300\n        streams:", 1),
			want: []string{`lienthong.yaml:7: departments[0].sources[0].timeout: want a duration such as "2s" or "10m", got the number 300`},
		},
		{
			name: "duplicate key",
			yaml: strings.Replace(valid, "        kind: postgres\n", "        kind: postgres\n        kind: mysql\n", 1),
			want: []string{`lienthong.yaml:6: invalid YAML: mapping key "kind" already defined at [5:9]`},
		},
		{
			// goccy does not let a key override a merged one.
			name: "key both merged and written",
			yaml: "batch: &b {size: 5}\n" + valid + "            batch:\n              <<: *b\n              size: 6\n",
			want: []string{`lienthong.yaml:16: departments[0].sources[0].streams[0].batch.size: duplicate key "size"`},
		},
		{
			name: "invalid YAML",
			yaml: "departments: [\n",
			want: []string{`lienthong.yaml:1: invalid YAML:`},
		},
		{
			name: "two documents",
			yaml: valid + "---\n" + valid,
			want: []string{`lienthong.yaml:13: a configuration is one YAML document`},
		},
		{
			name: "nested aliases",
			yaml: laughs(),
			want: []string{`lienthong.yaml:1: aliases expand to more than 1048576 nodes`},
		},
		{
			name: "no departments",
			yaml: "departments: []\n",
			want: []string{`lienthong.yaml:1: departments: list at least one department`},
		},
		{
			name: "missing primary_key",
			yaml: strings.Replace(valid, "            primary_key: [id]\n", "", 1),
			want: []string{`lienthong.yaml:8: departments[0].sources[0].streams[0]: missing required key "primary_key"`},
		},
		{
			name: "empty primary_key",
			yaml: strings.Replace(valid, "primary_key: [id]", "primary_key: []", 1),
			want: []string{`lienthong.yaml:10: departments[0].sources[0].streams[0].primary_key: list the key column(s), e.g. [id]`},
		},
		{
			name: "empty primary_key column",
			yaml: strings.Replace(valid, "primary_key: [id]", "primary_key: [id, \"\"]", 1),
			want: []string{`lienthong.yaml:10: departments[0].sources[0].streams[0].primary_key[1]: column name must not be empty`},
		},
		{
			name: "missing mapping",
			yaml: strings.Replace(valid, "            mapping: mappings/khai-sinh.yaml\n", "", 1),
			want: []string{`lienthong.yaml:8: departments[0].sources[0].streams[0]: missing required key "mapping"`},
		},
		{
			name: "missing kind",
			yaml: strings.Replace(valid, "        kind: postgres\n", "", 1),
			want: []string{`lienthong.yaml:4: departments[0].sources[0]: missing required key "kind"`},
		},
		{
			name: "empty kind",
			yaml: strings.Replace(valid, "kind: postgres", `kind: ""`, 1),
			want: []string{`lienthong.yaml:5: departments[0].sources[0].kind: name the connector kind, e.g. postgres`},
		},
		{
			name: "missing name",
			yaml: strings.Replace(valid, "  - name: tu-phap\n    sources:", "  - sources:", 1),
			want: []string{`lienthong.yaml:2: departments[0]: missing required key "name"`},
		},
		{
			name: "no sources",
			yaml: "departments:\n  - name: tu-phap\n    sources: []\n",
			want: []string{`lienthong.yaml:3: departments[0].sources: list at least one source`},
		},
		{
			name: "no streams",
			yaml: strings.SplitAfter(valid, "dsn_env: HOTICH_DSN\n")[0],
			want: []string{`lienthong.yaml:4: departments[0].sources[0]: missing required key "streams"`},
		},
		{
			name: "invalid name",
			yaml: strings.Replace(valid, "name: tu-phap", "name: Tư pháp", 1),
			want: []string{`lienthong.yaml:2: departments[0].name: invalid department name "Tư pháp": use lowercase letters a-z, digits, "-" and "_"`},
		},
		{
			name: "name starting with a dash",
			yaml: strings.Replace(valid, "name: khai-sinh", "name: -khai-sinh", 1),
			want: []string{`lienthong.yaml:8: departments[0].sources[0].streams[0].name: invalid stream name "-khai-sinh"`},
		},
		{
			name: "duplicate stream name",
			yaml: valid + "          - name: khai-sinh\n            table: t\n            primary_key: [id]\n            mapping: m.yaml\n",
			want: []string{`lienthong.yaml:13: departments[0].sources[0].streams[1].name: duplicate stream name "khai-sinh" (first used at line 8)`},
		},
		{
			name: "duplicate source name",
			yaml: valid + strings.SplitAfter(valid, "    sources:\n")[1],
			want: []string{`lienthong.yaml:13: departments[0].sources[1].name: duplicate source name "ho-tich" (first used at line 4)`},
		},
		{
			name: "duplicate department name",
			yaml: valid + strings.TrimPrefix(valid, "departments:\n"),
			want: []string{`lienthong.yaml:13: departments[1].name: duplicate department name "tu-phap" (first used at line 2)`},
		},
		{
			name: "neither table nor query",
			yaml: strings.Replace(valid, "            table: khai_sinh\n", "", 1),
			want: []string{`lienthong.yaml:8: departments[0].sources[0].streams[0]: missing required key "table" or "query"`},
		},
		{
			name: "both table and query",
			yaml: strings.Replace(valid, "            table: khai_sinh\n", "            table: khai_sinh\n            query: SELECT * FROM khai_sinh\n", 1),
			want: []string{`lienthong.yaml:10: departments[0].sources[0].streams[0].query: set only one of "table" and "query"`},
		},
		{
			name: "unknown mode",
			yaml: valid + "            mode: incrementl\n",
			want: []string{`lienthong.yaml:13: departments[0].sources[0].streams[0].mode: unknown mode "incrementl": use incremental or full_refresh`},
		},
		{
			name: "incremental without cursor",
			yaml: strings.Replace(valid, "cursor: updated_at", "mode: incremental", 1),
			want: []string{`lienthong.yaml:11: departments[0].sources[0].streams[0].mode: incremental mode needs a cursor`},
		},
		{
			name: "look_back without cursor",
			yaml: strings.Replace(valid, "cursor: updated_at", "look_back: 10m", 1),
			want: []string{`lienthong.yaml:11: departments[0].sources[0].streams[0].look_back: look_back needs a cursor`},
		},
		{
			name: "look_back neither duration nor number",
			yaml: valid + "            look_back: a while\n",
			want: []string{`lienthong.yaml:13: departments[0].sources[0].streams[0].look_back: invalid look_back "a while"`},
		},
		{
			name: "zero page_size",
			yaml: valid + "            page_size: 0\n",
			want: []string{`lienthong.yaml:13: departments[0].sources[0].streams[0].page_size: must be greater than 0`},
		},
		{
			name: "max_delete_ratio above 1",
			yaml: valid + "            max_delete_ratio: 10\n",
			want: []string{`lienthong.yaml:13: departments[0].sources[0].streams[0].max_delete_ratio: must be greater than 0 and at most 1`},
		},
		{
			name: "zero max_delete_ratio",
			yaml: valid + "            max_delete_ratio: 0\n",
			want: []string{`lienthong.yaml:13: departments[0].sources[0].streams[0].max_delete_ratio: must be greater than 0 and at most 1`},
		},
		{
			name: "negative retry_transient_for",
			yaml: valid + "            retry_transient_for: -1m\n",
			want: []string{`lienthong.yaml:13: departments[0].sources[0].streams[0].retry_transient_for: must not be negative`},
		},
		{
			name: "zero batch size",
			yaml: "batch:\n  size: 0\n" + valid,
			want: []string{`lienthong.yaml:2: batch.size: must be greater than 0`},
		},
		{
			name: "negative stream batch period",
			yaml: valid + "            batch:\n              period: -1s\n",
			want: []string{`lienthong.yaml:14: departments[0].sources[0].streams[0].batch.period: must be greater than 0`},
		},
		{
			name: "zero timeout",
			yaml: strings.Replace(valid, "        streams:", "        timeout: 0s\n        streams:", 1),
			want: []string{`lienthong.yaml:7: departments[0].sources[0].timeout: must be greater than 0`},
		},
		{
			name: "bad record kind",
			yaml: valid + "            kind: Birth Registration\n",
			want: []string{`lienthong.yaml:13: departments[0].sources[0].streams[0].kind: invalid record kind "Birth Registration"`},
		},
		{
			name: "several validation errors at once, in line order",
			yaml: strings.Replace(strings.Replace(valid, "name: tu-phap", "name: TuPhap", 1), "            primary_key: [id]\n", "", 1),
			want: []string{
				"lienthong.yaml:2: departments[0].name: invalid department name \"TuPhap\"",
				"\nlienthong.yaml:8: departments[0].sources[0].streams[0]: missing required key \"primary_key\"",
			},
		},
		{
			name: "dsn_env not set",
			yaml: strings.Replace(valid, "HOTICH_DSN", "HOTICH_DSN_TYPO", 1),
			want: []string{`lienthong.yaml:6: departments[0].sources[0].dsn_env: environment variable HOTICH_DSN_TYPO is not set or is empty`},
		},
		{
			name: "dsn_file missing",
			yaml: strings.Replace(valid, "dsn_env: HOTICH_DSN", "dsn_file: no-such-file", 1),
			want: []string{`lienthong.yaml:6: departments[0].sources[0].dsn_file: cannot read the DSN: open no-such-file:`},
		},
		{
			name: "no dsn",
			yaml: strings.Replace(valid, "        dsn_env: HOTICH_DSN\n", "", 1),
			want: []string{`lienthong.yaml:4: departments[0].sources[0]: missing DSN: set dsn_env (an environment variable), dsn_file (a file) or dsn`},
		},
		{
			name: "two dsn keys",
			yaml: strings.Replace(valid, "dsn_env: HOTICH_DSN", "dsn_env: HOTICH_DSN\n        dsn: /var/lib/hotich.db", 1),
			want: []string{`lienthong.yaml:4: departments[0].sources[0]: set only one of dsn, dsn_env and dsn_file`},
		},
		{
			name: "store with two dsn keys",
			yaml: "state:\n  dsn_env: HOTICH_DSN\n  dsn_file: state.dsn\n" + valid,
			want: []string{`lienthong.yaml:1: state: set only one of dsn_env and dsn_file`},
		},
		{
			name: "store dsn_env not set",
			yaml: "national:\n  dsn_env: NATIONAL_DSN\n" + valid,
			want: []string{`lienthong.yaml:2: national.dsn_env: environment variable NATIONAL_DSN is not set or is empty`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Parse("lienthong.yaml", []byte(tt.yaml), testEnv)
			if err == nil {
				t.Fatal("Parse succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n%v\nlacks\n%s", err, w)
				}
			}
			var ce *config.Error
			if !errors.As(err, &ce) {
				t.Errorf("error is not a *config.Error: %T", err)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error shows the secret: %v", err)
			}
		})
	}
}

// laughs is a small file whose nested aliases expand to 10^10 nodes.
func laughs() string {
	var opts strings.Builder
	opts.WriteString("        options:\n          l0: &l0 [a, a, a, a, a, a, a, a, a, a]\n")
	for i := 1; i < 10; i++ {
		alias := fmt.Sprintf("*l%d", i-1)
		fmt.Fprintf(&opts, "          l%d: &l%d [%s]\n", i, i, strings.Repeat(alias+", ", 9)+alias)
	}
	return strings.Replace(valid, "        streams:\n", opts.String()+"        streams:\n", 1)
}

func TestParseErrorIsTyped(t *testing.T) {
	_, err := config.Parse("lienthong.yaml", []byte("batch:\n  period: 2 seconds\n"+valid), testEnv)
	var ce *config.Error
	if !errors.As(err, &ce) {
		t.Fatalf("error is not a *config.Error: %v", err)
	}
	if ce.File != "lienthong.yaml" || ce.Line != 2 || ce.Key != "batch.period" {
		t.Errorf("got file %q line %d key %q, want lienthong.yaml, 2, batch.period", ce.File, ce.Line, ce.Key)
	}
}

func TestParseInlinePassword(t *testing.T) {
	tests := []struct {
		name string
		kind string
		dsn  string
		ok   bool
	}{
		{name: "postgres URL with password", kind: "postgres", dsn: "postgres://lienthong:s3cret@db/hotich"},
		{name: "postgres key/value password", kind: "postgres", dsn: "host=db dbname=hotich password=s3cret"},
		{name: "postgres key/value password with spaces", kind: "postgres", dsn: "host=db password = s3cret"},
		{name: "password query parameter", kind: "sqlserver", dsn: "sqlserver://db?database=hotich&password=s3cret"},
		{name: "ADO password", kind: "sqlserver", dsn: "Server=db;Database=hotich;Pwd=s3cret;"},
		{name: "mysql user:password@", kind: "mysql", dsn: "lienthong:s3cret@tcp(db:3306)/hotich"},
		{name: "postgres URL without password", kind: "postgres", dsn: "postgres://lienthong@db/hotich?sslmode=disable", ok: true},
		{name: "postgres socket with trust", kind: "postgres", dsn: "host=/var/run/postgresql dbname=hotich", ok: true},
		{name: "sqlite path", kind: "sqlite", dsn: "data/hotich.db", ok: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			yaml := strings.Replace(strings.Replace(valid, "dsn_env: HOTICH_DSN", "dsn: '"+tt.dsn+"'", 1), "kind: postgres", "kind: "+tt.kind, 1)
			c, err := config.Parse("lienthong.yaml", []byte(yaml), nil)
			if tt.ok {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if c.Departments[0].Sources[0].ResolvedDSN == "" {
					t.Error("ResolvedDSN is empty")
				}
				return
			}
			want := "lienthong.yaml:6: departments[0].sources[0].dsn: the DSN carries a password: move it to dsn_env or dsn_file"
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("got %v, want %s", err, want)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
}

// TestSecretNeverInErrors: whatever else is wrong, an error never shows a
// resolved DSN or a DSN written in the file.
func TestSecretNeverInErrors(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "hotich.dsn"), []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fromFile := strings.Replace(valid, "dsn_env: HOTICH_DSN", "dsn_file: hotich.dsn", 1)
	tests := []struct {
		name string
		yaml string
	}{
		{name: "validation error beside an env DSN", yaml: strings.Replace(valid, "name: tu-phap", "name: Tu Phap", 1)},
		{name: "missing key beside an env DSN", yaml: strings.Replace(valid, "            mapping: mappings/khai-sinh.yaml\n", "", 1)},
		{name: "decode error beside an env DSN", yaml: strings.Replace(valid, "cursor:", "cursr:", 1)},
		{name: "store env unset beside a source env DSN", yaml: "national:\n  dsn_env: UNSET\n" + valid},
		{name: "validation error beside a file DSN", yaml: strings.Replace(fromFile, "primary_key: [id]", "primary_key: []", 1)},
		{name: "two DSN keys", yaml: strings.Replace(valid, "dsn_env: HOTICH_DSN", "dsn_env: HOTICH_DSN\n        dsn_file: hotich.dsn", 1)},
		{name: "inline DSN with password", yaml: strings.Replace(valid, "dsn_env: HOTICH_DSN", "dsn: "+secret, 1)},
		{name: "DSN where a mapping belongs", yaml: "national: " + secret + "\n" + valid},
		{name: "DSN where a list belongs", yaml: strings.Replace(valid, "primary_key: [id]", "primary_key: "+secret, 1)},
		{name: "DSN where a number belongs", yaml: valid + "            page_size: " + secret + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Parse(filepath.Join(dir, "lienthong.yaml"), []byte(tt.yaml), testEnv)
			if err == nil {
				t.Fatal("Parse succeeded, want an error")
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error shows the secret: %v", err)
			}
		})
	}
}

func TestParseDefaults(t *testing.T) {
	yaml := valid + `          - name: cong-dan
            query: SELECT * FROM cong_dan
            primary_key: [id]
            mapping: /etc/lienthong/cong-dan.yaml
            batch:
              size: 10
`
	c, err := config.Parse("conf/lienthong.yaml", []byte(yaml), testEnv)
	if err != nil {
		t.Fatal(err)
	}
	src := c.Departments[0].Sources[0]
	khai, cong := &src.Streams[0], &src.Streams[1]
	checks := []struct {
		name      string
		got, want any
	}{
		{"path", c.Path, "conf/lienthong.yaml"},
		{"data_dir beside the file", c.DataDir, filepath.Join("conf", "lienthong-data")},
		{"batch size", c.Batch.Size, 1000},
		{"batch period", c.Batch.Period, 2 * time.Second},
		{"timeout left to the connector", src.Timeout, time.Duration(0)},
		{"page size", khai.PageSize, 5000},
		{"max_delete_ratio", khai.MaxDeleteRatio, 0.1},
		{"retry_transient_for", khai.RetryTransientFor, 5 * time.Minute},
		{"mode with cursor", khai.Mode, "incremental"},
		{"mode without cursor", cong.Mode, "full_refresh"},
		{"relative mapping", khai.Mapping, filepath.Join("conf", "mappings", "khai-sinh.yaml")},
		{"absolute mapping", cong.Mapping, "/etc/lienthong/cong-dan.yaml"},
		{"stream without batch", khai.Batch, (*config.Batch)(nil)},
		{"BatchFor without batch", c.BatchFor(khai), config.Batch{Size: 1000, Period: 2 * time.Second}},
		{"BatchFor partial batch", c.BatchFor(cong), config.Batch{Size: 10, Period: 2 * time.Second}},
		{"national DSN", c.NationalDSN(), filepath.Join("conf", "lienthong-data", "lienthong.db")},
		{"state DSN", c.StateDSN(), filepath.Join("conf", "lienthong-data", "lienthong.db")},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s: got %v, want %v", ch.name, ch.got, ch.want)
		}
	}
}

func TestParseExplicitValues(t *testing.T) {
	yaml := "data_dir: /var/lib/lienthong\nbatch:\n  size: 50\n  period: 500ms\n" +
		strings.Replace(valid, "        streams:", "        timeout: 30s\n        streams:", 1) +
		"            mode: full_refresh\n            page_size: 100\n            look_back: \"500\"\n" +
		"            max_delete_ratio: 0.5\n            retry_transient_for: 0s\n"
	c, err := config.Parse("lienthong.yaml", []byte(yaml), testEnv)
	if err != nil {
		t.Fatal(err)
	}
	src := c.Departments[0].Sources[0]
	s := src.Streams[0]
	checks := []struct {
		name      string
		got, want any
	}{
		{"data_dir", c.DataDir, "/var/lib/lienthong"},
		{"batch", c.Batch, config.Batch{Size: 50, Period: 500 * time.Millisecond}},
		{"timeout", src.Timeout, 30 * time.Second},
		{"mode", s.Mode, "full_refresh"},
		{"page size", s.PageSize, 100},
		{"look_back", s.LookBack, "500"},
		{"max_delete_ratio", s.MaxDeleteRatio, 0.5},
		{"retry_transient_for", s.RetryTransientFor, time.Duration(0)},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s: got %v, want %v", ch.name, ch.got, ch.want)
		}
	}
}

// TestParseAliases: YAML anchors, aliases and merge keys decode like the
// keys they stand for, and each stream gets its own copy to default.
func TestParseAliases(t *testing.T) {
	yaml := `departments:
  - name: tu-phap
    sources: &sources
      - name: ho-tich
        kind: postgres
        dsn_env: HOTICH_DSN
        streams:
          - name: khai-sinh
            table: khai_sinh
            primary_key: [id]
            mapping: mappings/khai-sinh.yaml
            batch: &small {size: 5}
          - name: ket-hon
            table: ket_hon
            primary_key: [id]
            mapping: mappings/ket-hon.yaml
            batch: *small
          - name: khai-tu
            table: khai_tu
            primary_key: [id]
            mapping: mappings/khai-tu.yaml
            batch:
              <<: *small
              period: 1s
            page_size: 7
  - name: tu-phap-cu
    sources: *sources
`
	c, err := config.Parse(filepath.Join("conf", "lienthong.yaml"), []byte(yaml), testEnv)
	if err != nil {
		t.Fatal(err)
	}
	refs := c.Streams()
	if len(refs) != 6 {
		t.Fatalf("got %d streams, want 6", len(refs))
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"anchored batch", c.BatchFor(refs[0].Stream), config.Batch{Size: 5, Period: 2 * time.Second}},
		{"aliased batch", c.BatchFor(refs[1].Stream), config.Batch{Size: 5, Period: 2 * time.Second}},
		{"merged batch", c.BatchFor(refs[2].Stream), config.Batch{Size: 5, Period: time.Second}},
		{"page_size", refs[2].Stream.PageSize, 7},
		{"mapping resolved once", refs[0].Stream.Mapping, filepath.Join("conf", "mappings", "khai-sinh.yaml")},
		{"aliased sources resolved once", refs[3].Stream.Mapping, filepath.Join("conf", "mappings", "khai-sinh.yaml")},
		{"aliased sources are copies", refs[0].Stream != refs[3].Stream, true},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s: got %v, want %v", ch.name, ch.got, ch.want)
		}
	}
}

func TestParseSecrets(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("hotich.dsn", "  "+secret+"\n")
	write("state.dsn", "postgres://state@db/state\n")
	write("empty.dsn", "\n")

	tests := []struct {
		name  string
		yaml  string
		env   map[string]string
		check func(t *testing.T, c *config.Config)
		// wantErr, if set, is a substring of the expected error.
		wantErr string
	}{
		{
			name: "from env",
			yaml: valid,
			env:  map[string]string{"HOTICH_DSN": secret},
			check: func(t *testing.T, c *config.Config) {
				if got := c.Departments[0].Sources[0].ResolvedDSN; got != secret {
					t.Errorf("ResolvedDSN = %q", got)
				}
			},
		},
		{
			name:    "env set but blank",
			yaml:    valid,
			env:     map[string]string{"HOTICH_DSN": "  "},
			wantErr: "dsn_env: environment variable HOTICH_DSN is not set or is empty",
		},
		{
			name: "from file relative to the config, trimmed",
			yaml: strings.Replace(valid, "dsn_env: HOTICH_DSN", "dsn_file: hotich.dsn", 1),
			check: func(t *testing.T, c *config.Config) {
				src := c.Departments[0].Sources[0]
				if src.ResolvedDSN != secret {
					t.Errorf("ResolvedDSN = %q", src.ResolvedDSN)
				}
				if want := filepath.Join(dir, "hotich.dsn"); src.DSNFile != want {
					t.Errorf("DSNFile = %q, want %q", src.DSNFile, want)
				}
			},
		},
		{
			name:    "empty file",
			yaml:    strings.Replace(valid, "dsn_env: HOTICH_DSN", "dsn_file: empty.dsn", 1),
			wantErr: "lienthong.yaml:6: departments[0].sources[0].dsn_file: file " + filepath.Join(dir, "empty.dsn") + " is empty",
		},
		{
			name: "sqlite inline path relative to the config",
			yaml: strings.Replace(strings.Replace(valid, "dsn_env: HOTICH_DSN", "dsn: file:data/hotich.db?mode=ro", 1), "kind: postgres", "kind: sqlite", 1),
			check: func(t *testing.T, c *config.Config) {
				if got, want := c.Departments[0].Sources[0].ResolvedDSN, "file:"+filepath.Join(dir, "data", "hotich.db")+"?mode=ro"; got != want {
					t.Errorf("ResolvedDSN = %q, want %q", got, want)
				}
			},
		},
		{
			name: "postgres inline DSN without password is kept as written",
			yaml: strings.Replace(valid, "dsn_env: HOTICH_DSN", "dsn: host=/var/run/postgresql dbname=hotich", 1),
			check: func(t *testing.T, c *config.Config) {
				if got := c.Departments[0].Sources[0].ResolvedDSN; got != "host=/var/run/postgresql dbname=hotich" {
					t.Errorf("ResolvedDSN = %q", got)
				}
			},
		},
		{
			name: "stores from env and file",
			yaml: "national:\n  dsn_env: NATIONAL_DSN\nstate:\n  dsn_file: state.dsn\n" + valid,
			env:  map[string]string{"HOTICH_DSN": secret, "NATIONAL_DSN": "postgres://national@db/national"},
			check: func(t *testing.T, c *config.Config) {
				if got := c.NationalDSN(); got != "postgres://national@db/national" {
					t.Errorf("NationalDSN = %q", got)
				}
				if got := c.StateDSN(); got != "postgres://state@db/state" {
					t.Errorf("StateDSN = %q", got)
				}
			},
		},
		{
			name: "state defaults to national",
			yaml: "national:\n  dsn_env: NATIONAL_DSN\n" + valid,
			env:  map[string]string{"HOTICH_DSN": secret, "NATIONAL_DSN": "postgres://national@db/national"},
			check: func(t *testing.T, c *config.Config) {
				if got := c.StateDSN(); got != "postgres://national@db/national" {
					t.Errorf("StateDSN = %q", got)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.Parse(filepath.Join(dir, "lienthong.yaml"), []byte(tt.yaml), env(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestFindStreams(t *testing.T) {
	yaml := `departments:
  - name: tu-phap
    sources:
      - name: ho-tich
        kind: postgres
        dsn_env: HOTICH_DSN
        streams:
          - {name: khai-sinh, table: khai_sinh, primary_key: [id], mapping: a.yaml}
          - {name: cong-dan, table: cong_dan, primary_key: [id], mapping: b.yaml}
  - name: y-te
    sources:
      - name: ho-tich
        kind: postgres
        dsn_env: HOTICH_DSN
        streams:
          - {name: khai-sinh, table: giay_chung_sinh, primary_key: [id], mapping: c.yaml}
      - name: tiem-chung
        kind: postgres
        dsn_env: HOTICH_DSN
        streams:
          - {name: mui-tiem, table: mui_tiem, primary_key: [id], mapping: d.yaml}
`
	c, err := config.Parse("lienthong.yaml", []byte(yaml), testEnv)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		query string
		want  []string
		// wantErr is a substring of the expected error.
		wantErr string
	}{
		{name: "empty means all, in file order", query: "", want: []string{"tu-phap/ho-tich/khai-sinh", "tu-phap/ho-tich/cong-dan", "y-te/ho-tich/khai-sinh", "y-te/tiem-chung/mui-tiem"}},
		{name: "unique short name", query: "cong-dan", want: []string{"tu-phap/ho-tich/cong-dan"}},
		{name: "source/stream", query: "tiem-chung/mui-tiem", want: []string{"y-te/tiem-chung/mui-tiem"}},
		{name: "full name", query: "y-te/ho-tich/khai-sinh", want: []string{"y-te/ho-tich/khai-sinh"}},
		{name: "ambiguous short name", query: "khai-sinh", wantErr: `stream name "khai-sinh" is ambiguous: write one of tu-phap/ho-tich/khai-sinh, y-te/ho-tich/khai-sinh`},
		{name: "ambiguous source/stream", query: "ho-tich/khai-sinh", wantErr: `is ambiguous: write one of tu-phap/ho-tich/khai-sinh, y-te/ho-tich/khai-sinh`},
		{name: "unknown", query: "ket-hon", wantErr: `unknown stream "ket-hon": the configured streams are tu-phap/ho-tich/khai-sinh, tu-phap/ho-tich/cong-dan, y-te/ho-tich/khai-sinh, y-te/tiem-chung/mui-tiem`},
		{name: "unknown department", query: "cong-an/ho-tich/khai-sinh", wantErr: `unknown stream "cong-an/ho-tich/khai-sinh"`},
		{name: "too many parts", query: "a/b/c/d", wantErr: `invalid stream name "a/b/c/d"`},
		{name: "empty part", query: "ho-tich/", wantErr: `invalid stream name "ho-tich/"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			refs, err := c.FindStreams(tt.query)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range refs {
				got = append(got, r.FullName())
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestBatchFor(t *testing.T) {
	c := &config.Config{Batch: config.Batch{Size: 1000, Period: 2 * time.Second}}
	tests := []struct {
		name   string
		stream *config.Stream
		want   config.Batch
	}{
		{name: "nil stream", stream: nil, want: c.Batch},
		{name: "no override", stream: &config.Stream{}, want: c.Batch},
		{name: "size only", stream: &config.Stream{Batch: &config.Batch{Size: 5}}, want: config.Batch{Size: 5, Period: 2 * time.Second}},
		{name: "full override", stream: &config.Stream{Batch: &config.Batch{Size: 5, Period: time.Second}}, want: config.Batch{Size: 5, Period: time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.BatchFor(tt.stream); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestExample keeps examples/lienthong.yaml loadable. It does not need the
// mapping files: those belong to the mapping loader.
func TestExample(t *testing.T) {
	t.Setenv("HOTICH_DSN", secret)
	c, err := config.Load("../examples/lienthong.yaml")
	if err != nil {
		t.Fatal(err)
	}
	refs, err := c.FindStreams("tu-phap/ho-tich/khai-sinh")
	if err != nil {
		t.Fatal(err)
	}
	s := refs[0].Stream
	if s.Mode != "incremental" || s.LookBack != "10m" || s.Kind != "birth_registration" {
		t.Errorf("khai-sinh: mode %q, look_back %q, kind %q", s.Mode, s.LookBack, s.Kind)
	}
	if sched, err := c.ScheduleFor(s); err != nil || sched == nil || s.Timeout != time.Hour {
		t.Errorf("khai-sinh: schedule %q (%v), timeout %s", s.Schedule, err, s.Timeout)
	}
	if refs[0].Source.ResolvedDSN != secret {
		t.Error("ho-tich DSN not resolved from HOTICH_DSN")
	}
	if _, err := c.FindStreams("cong-dan"); err != nil {
		t.Error(err)
	}
	// The README's guide leaves national out: the embedded store.
	if !strings.HasSuffix(c.NationalDSN(), filepath.Join("examples", "lienthong-data", "lienthong.db")) {
		t.Errorf("NationalDSN = %q, want the embedded store", c.NationalDSN())
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := config.Load(filepath.Join(t.TempDir(), "lienthong.yaml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("got %v, want a not-exist error", err)
	}
}

// FuzzParse: no input makes Parse panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte(valid))
	f.Add([]byte("batch: {size: 1, period: 1s}\n" + valid))
	if b, err := os.ReadFile("../examples/lienthong.yaml"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := config.Parse("lienthong.yaml", data, testEnv)
		if err == nil {
			c.Streams()
			c.NationalDSN()
		}
	})
}

// Sources that are not databases may have no secret, and keep their own
// position without a cursor column; databases need both.
func TestNonDatabaseSources(t *testing.T) {
	src := `departments:
  - name: ld-tbxh
    sources:
      - name: xuat-file
        kind: file
        options: {dir: drop}
        streams:
          - name: bao-tro
            table: "*.csv"
            primary_key: [ma_doi_tuong]
            mode: incremental
            mapping: bao-tro.yaml
`
	if _, err := config.Parse("lienthong.yaml", []byte(src), nil); err != nil {
		t.Fatalf("a file source without DSN or cursor: %v", err)
	}
	sql := strings.Replace(strings.Replace(src, "kind: file", "kind: postgres", 1), "        options: {dir: drop}\n", "", 1)
	_, err := config.Parse("lienthong.yaml", []byte(sql), nil)
	if err == nil || !strings.Contains(err.Error(), "missing DSN") || !strings.Contains(err.Error(), "incremental mode needs a cursor") {
		t.Fatalf("a postgres source without DSN or cursor: %v", err)
	}
}

func TestInlineSecretRefused(t *testing.T) {
	src := `departments:
  - name: bhxh
    sources:
      - name: api
        kind: httpjson
        dsn: eyJhbGciOiJIUzI1NiJ9.secret-token
        options: {base_url: "https://api.example.vn"}
        streams:
          - {name: the-bhyt, table: /cards, primary_key: [ma_the], mapping: the.yaml}
`
	_, err := config.Parse("lienthong.yaml", []byte(src), nil)
	if err == nil || !strings.Contains(err.Error(), "lienthong.yaml:6: departments[0].sources[0].dsn: a httpjson source's DSN is its secret") {
		t.Fatalf("inline token: %v", err)
	}
	if strings.Contains(err.Error(), "secret-token") {
		t.Fatalf("the error repeats the token: %v", err)
	}
}

func TestWithoutSourceSecrets(t *testing.T) {
	src := `departments:
  - name: tu-phap
    sources:
      - name: ho-tich
        kind: postgres
        dsn_env: HOTICH_DSN
        streams:
          - {name: khai-sinh, table: khai_sinh, primary_key: [id], cursor: updated_at, mapping: k.yaml}
`
	if _, err := config.Parse("lienthong.yaml", []byte(src), nil); err == nil || !strings.Contains(err.Error(), "HOTICH_DSN") {
		t.Fatalf("a missing source secret must fail by default: %v", err)
	}
	c, err := config.Parse("lienthong.yaml", []byte(src), nil, config.WithoutSourceSecrets())
	if err != nil || c.Departments[0].Sources[0].ResolvedDSN != "" {
		t.Fatalf("WithoutSourceSecrets: %v", err)
	}
}

func TestOnlySourceSecret(t *testing.T) {
	src := `departments:
  - name: tu-phap
    sources:
      - {name: ho-tich, kind: postgres, dsn_env: HOTICH_DSN, streams: [{name: k, table: k, primary_key: [id], cursor: u, mapping: k.yaml}]}
  - name: bhxh
    sources:
      - {name: api, kind: httpjson, dsn_env: BHXH_TOKEN, streams: [{name: the, table: the, primary_key: [id], mapping: t.yaml}]}
`
	env := map[string]string{"HOTICH_DSN": "postgres://x@h/db"}
	c, err := config.Parse("lienthong.yaml", []byte(src), func(k string) string { return env[k] }, config.OnlySourceSecret("tu-phap/ho-tich"))
	if err != nil || c.Departments[0].Sources[0].ResolvedDSN != "postgres://x@h/db" || c.Departments[1].Sources[0].ResolvedDSN != "" {
		t.Fatalf("OnlySourceSecret: %v", err)
	}
}
