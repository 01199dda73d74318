package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lienthong/lienthong/examples"
	"github.com/lienthong/lienthong/internal/cli"
)

// TestFailedAttemptsInLedger: every attempt to run a stream leaves a row in
// the run ledger, even when the run cannot start, so `runs` never goes on
// showing an old success. Each of the five causes gets a failed row with a
// message saying what is wrong, and no secret.
func TestFailedAttemptsInLedger(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "mappings"), 0o755)
	body, err := examples.Mappings.ReadFile("mappings/khai-sinh.yaml")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "mappings", "khai-sinh.yaml"), body, 0o644)
	bad := strings.Replace(string(body), "full_name:          name(ho_ten)", "full_name:          nam(ho_ten)", 1)
	os.WriteFile(filepath.Join(dir, "mappings", "hong.yaml"), []byte(bad), 0o644)
	os.MkdirAll(filepath.Join(dir, "drop"), 0o755)
	cfg := filepath.Join(dir, "lienthong.yaml")
	stream := func(name, mapping string) string {
		return `        streams:
          - {name: ` + name + `, table: khai_sinh, primary_key: [id], cursor: ngay_cap_nhat, mapping: mappings/` + mapping + `}
`
	}
	os.WriteFile(cfg, []byte(`departments:
  - name: tu-phap
    sources:
      - name: unreachable
        kind: postgres
        dsn_env: LT_UNREACHABLE
`+stream("s1", "khai-sinh.yaml")+`      - name: wrong-password
        kind: mysql
        dsn_env: LT_WRONG_PASSWORD
`+stream("s2", "khai-sinh.yaml")+`      - name: no-secret
        kind: postgres
        dsn_env: LT_NOT_SET
`+stream("s3", "khai-sinh.yaml")+`      - name: bad-mapping
        kind: file
        options: {dir: drop}
`+stream("s4", "hong.yaml")+`      - name: typo
        kind: postgress
        dsn: host=127.0.0.1 dbname=x
`+stream("s5", "khai-sinh.yaml")), 0o644)

	const pgSecret, mySecret = "Unr3achableS3cret", "Wr0ngPassw0rd"
	vars := map[string]string{
		"LT_UNREACHABLE":    "postgres://lienthong:" + pgSecret + "@127.0.0.1:1/hotich?sslmode=disable&connect_timeout=2",
		"LT_WRONG_PASSWORD": "root:" + mySecret + "@tcp(127.0.0.1:3306)/mysql",
	}
	env := func(out, errOut *bytes.Buffer) cli.Env {
		return cli.Env{Stdout: out, Stderr: errOut, Getenv: func(k string) string { return vars[k] }}
	}
	var syncOut, syncErr bytes.Buffer
	if code := cli.Main(context.Background(), []string{"sync", "--config", cfg}, env(&syncOut, &syncErr)); code != 1 {
		t.Fatalf("sync: exit %d\n%s\n%s", code, syncOut.String(), syncErr.String())
	}

	var jsonOut, textOut, errOut bytes.Buffer
	if code := cli.Main(context.Background(), []string{"runs", "--config", cfg, "--json"}, env(&jsonOut, &errOut)); code != 0 {
		t.Fatalf("runs --json: exit %d\n%s", code, errOut.String())
	}
	if code := cli.Main(context.Background(), []string{"runs", "--config", cfg}, env(&textOut, &errOut)); code != 0 {
		t.Fatalf("runs: exit %d\n%s", code, errOut.String())
	}
	var runs []struct {
		ID     int64  `json:"id"`
		Stream string `json:"stream"`
		Mode   string `json:"mode"`
		Status string `json:"status"`
		Read   int64  `json:"read"`
		Error  string `json:"error"`
		Ended  string `json:"ended_at"`
	}
	if err := json.Unmarshal(jsonOut.Bytes(), &runs); err != nil {
		t.Fatalf("runs --json: %v\n%s", err, jsonOut.String())
	}
	want := map[string][]string{
		"s1": {"unreachable", "connect"},
		"s2": {"wrong-password", "Access denied"},
		"s3": {"lienthong.yaml:", "LT_NOT_SET", "is not set"},
		"s4": {"hong.yaml", "nam"},
		"s5": {"lienthong.yaml:", "unknown connector kind \"postgress\"", "did you mean \"postgres\"", "known kinds"},
	}
	seen := map[string]bool{}
	for _, r := range runs {
		if r.Status != "failed" || r.Mode != "incremental" || r.Read != 0 || r.Ended == "" {
			t.Errorf("run %d of %s: status %s, mode %s, read %d, ended %q", r.ID, r.Stream, r.Status, r.Mode, r.Read, r.Ended)
		}
		for _, w := range want[r.Stream] {
			if !strings.Contains(r.Error, w) {
				t.Errorf("run of %s: error %q lacks %q", r.Stream, r.Error, w)
			}
		}
		if !strings.Contains(textOut.String(), "failed") || !strings.Contains(textOut.String(), r.Error) {
			t.Errorf("runs does not show the failed run of %s:\n%s", r.Stream, textOut.String())
		}
		seen[r.Stream] = true
	}
	if len(runs) != 5 || len(seen) != 5 {
		t.Fatalf("want one failed run for each of 5 streams, got:\n%s", jsonOut.String())
	}
	ledger, _ := os.ReadFile(filepath.Join(dir, "lienthong-data", "lienthong.db"))
	for name, text := range map[string]string{"sync stdout": syncOut.String(), "sync stderr": syncErr.String(),
		"runs": textOut.String() + jsonOut.String(), "state store": string(ledger)} {
		for _, secret := range []string{pgSecret, mySecret} {
			if strings.Contains(text, secret) {
				t.Errorf("%s holds a password:\n%s", name, text)
			}
		}
	}
}

// TestUnknownKindAtLoad: check and discover, which load one source, report
// an unknown connector kind with the file and line of the configuration.
func TestUnknownKindAtLoad(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "lienthong.yaml")
	os.WriteFile(cfg, []byte(`departments:
  - name: tu-phap
    sources:
      - name: ho-tich
        kind: sqllite
        dsn: hotich.db
        streams:
          - {name: khai-sinh, table: khai_sinh, primary_key: [id], cursor: u, mapping: k.yaml}
`), 0o644)
	for _, cmd := range []string{"check", "discover"} {
		code, _, errOut := run(t, cmd, "ho-tich", "--config", cfg)
		if code == 0 || !strings.Contains(errOut, cfg+`:5: departments[0].sources[0].kind: unknown connector kind "sqllite" (did you mean "sqlite"?); known kinds: exec, file, httpjson, `) ||
			!strings.Contains(errOut, "mysql, postgres, sqlite") {
			t.Errorf("%s: exit %d\n%s", cmd, code, errOut)
		}
	}
}
