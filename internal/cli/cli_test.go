package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/lienthong/lienthong/connectors/exec"
	_ "github.com/lienthong/lienthong/connectors/file"
	_ "github.com/lienthong/lienthong/connectors/httpjson"
	_ "github.com/lienthong/lienthong/connectors/sqlsource"
	"github.com/lienthong/lienthong/examples"
	"github.com/lienthong/lienthong/internal/cli"
)

func TestDemo(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	var out, errOut bytes.Buffer
	code := cli.Main(context.Background(), []string{"demo", "--dir", dir, "--records", "900"}, cli.Env{Stdout: &out, Stderr: &errOut})
	if code != 0 {
		t.Fatalf("demo exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
	report := out.String()
	for _, want := range []string{
		"1. First sync", "succeeded", "Every run: read = inserted + updated + unchanged + rejected + skipped.",
		"required_missing", "bad_date", "id_invalid", "bad_value", "duplicate_key", "malformed_row",
		"id_sex_mismatch", "id_birth_year_mismatch",
		"ld-tbxh/xuat-file/bao-tro", "bhxh/the-bhyt-api/the-bhyt", `"kind": "health_insurance_card"`,
		`"kind": "person"`, `"kind": "birth_registration"`, `"full_name"`,
	} {
		if !strings.Contains(report, want) {
			t.Errorf("demo report lacks %q:\n%s", want, report)
		}
	}
	if !strings.Contains(report, "7 registrations are annulled") {
		t.Errorf("demo report lacks the deletion step:\n%s", report)
	}
	// The demo's configuration works with the other commands.
	out.Reset()
	code = cli.Main(context.Background(), []string{"runs", "--config", filepath.Join(dir, "lienthong.yaml"), "--json"}, cli.Env{Stdout: &out, Stderr: &errOut})
	var runs []map[string]any
	if code != 0 || json.Unmarshal(out.Bytes(), &runs) != nil || len(runs) != 9 {
		t.Fatalf("runs --json: exit %d, %d runs, output:\n%s\n%s", code, len(runs), out.String(), errOut.String())
	}
	if runs[0]["deleted"].(float64) != 7 {
		t.Errorf("last run deleted %v, want 7", runs[0]["deleted"])
	}
	// The insurance API's token is not in this environment: the other
	// departments' streams still sync; only that one fails, saying why.
	out.Reset()
	errOut.Reset()
	noEnv := cli.Env{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }}
	code = cli.Main(context.Background(), []string{"sync", "--config", filepath.Join(dir, "lienthong.yaml")}, noEnv)
	if code != 1 || !strings.Contains(errOut.String(), "LIENTHONG_DEMO_BHXH_TOKEN") || strings.Count(out.String(), "succeeded") != 3 {
		t.Fatalf("sync without one source's secret: exit %d\n%s\n%s", code, out.String(), errOut.String())
	}
}

func TestSecretsStayOut(t *testing.T) {
	dir := t.TempDir()
	mappings := filepath.Join(dir, "mappings")
	os.MkdirAll(mappings, 0o755)
	body, _ := examples.Mappings.ReadFile("mappings/khai-sinh.yaml")
	os.WriteFile(filepath.Join(mappings, "khai-sinh.yaml"), body, 0o644)
	cfg := filepath.Join(dir, "lienthong.yaml")
	os.WriteFile(cfg, []byte(`departments:
  - name: tu-phap
    sources:
      - name: ho-tich
        kind: postgres
        dsn_env: LT_SOURCE_DSN
        streams:
          - name: khai-sinh
            table: khai_sinh
            primary_key: [id]
            cursor: ngay_cap_nhat
            mapping: mappings/khai-sinh.yaml
`), 0o644)
	const secret = "Sup3rS3cret"
	env := map[string]string{"LT_SOURCE_DSN": "postgres://lienthong:" + secret + "@127.0.0.1:1/hotich?sslmode=disable&connect_timeout=2"}
	var out, errOut bytes.Buffer
	code := cli.Main(context.Background(), []string{"sync", "--config", cfg, "--metrics-file", filepath.Join(dir, "m.prom")},
		cli.Env{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return env[k] }})
	if code == 0 {
		t.Fatalf("sync against a closed port succeeded?\n%s", out.String())
	}
	ledger, _ := os.ReadFile(filepath.Join(dir, "lienthong-data", "lienthong.db"))
	metricsText, _ := os.ReadFile(filepath.Join(dir, "m.prom"))
	for name, text := range map[string]string{"stdout": out.String(), "stderr": errOut.String(), "state store": string(ledger), "metrics": string(metricsText)} {
		if strings.Contains(text, secret) {
			t.Errorf("%s contains the password:\n%s", name, text)
		}
	}
	if !strings.Contains(errOut.String(), "ho-tich") {
		t.Errorf("the error should name the source: %s", errOut.String())
	}
}
