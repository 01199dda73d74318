package cli_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	_ "github.com/lienthong/lienthong/connectors/exec"
	_ "github.com/lienthong/lienthong/connectors/file"
	_ "github.com/lienthong/lienthong/connectors/httpjson"
	_ "github.com/lienthong/lienthong/connectors/sqlsource"
	"github.com/lienthong/lienthong/examples"
	"github.com/lienthong/lienthong/internal/cli"
	"github.com/lienthong/lienthong/internal/fixture"
	"github.com/lienthong/lienthong/internal/testdb"
)

// TestMain lets the test binary act as the lienthong binary in a child
// process: the SIGKILL test needs a real process to kill.
func TestMain(m *testing.M) {
	if os.Getenv("LIENTHONG_TEST_CHILD") == "1" {
		var args []string
		if err := json.Unmarshal([]byte(os.Getenv("LIENTHONG_TEST_ARGS")), &args); err != nil {
			panic(err)
		}
		os.Exit(cli.Main(context.Background(), args, cli.Env{Stdout: os.Stdout, Stderr: os.Stderr}))
	}
	os.Exit(m.Run())
}

// child returns a command running lienthong with args in a new process.
func child(t *testing.T, env []string, args ...string) *exec.Cmd {
	t.Helper()
	a, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), append(env, "LIENTHONG_TEST_CHILD=1", "LIENTHONG_TEST_ARGS="+string(a))...)
	return cmd
}

// project writes a lienthong.yaml syncing the fixture table, with both
// stores on nationalDSN; DSNs come from the environment, as in production.
func project(t *testing.T, batch int) string {
	t.Helper()
	dir := t.TempDir()
	body, err := examples.Mappings.ReadFile("mappings/khai-sinh.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "mappings"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "mappings", "khai-sinh.yaml"), body, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := `national:
  dsn_env: LT_NATIONAL_DSN
batch:
  size: ` + strconv.Itoa(batch) + `
  period: 5s
departments:
  - name: tu-phap
    title: Sở Tư pháp tỉnh Hà Tĩnh
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
            page_size: 1000
`
	path := filepath.Join(dir, "lienthong.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// department seeds a civil-status table of rows on a fresh PostgreSQL
// database and returns a configuration syncing it into another, the
// environment holding both DSNs, and a connection to the national one.
func department(t *testing.T, rows int) (cfg string, env []string, nat *sql.DB) {
	t.Helper()
	srcDSN, natDSN := testdb.Postgres(t), testdb.Postgres(t)
	src, err := sql.Open("postgres", srcDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if err := fixture.CreateKhaiSinh(src); err != nil {
		t.Fatal(err)
	}
	if err := fixture.SeedKhaiSinh(src, 1, rows, 3); err != nil {
		t.Fatal(err)
	}
	if nat, err = sql.Open("postgres", natDSN); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nat.Close() })
	return project(t, 500), []string{"LT_NATIONAL_DSN=" + natDSN, "LT_SOURCE_DSN=" + srcDSN}, nat
}

// TestSIGKILLResume kills a sync with SIGKILL in the middle of a run, runs
// it again, and checks that every source row is in the national store or in
// the rejects exactly once.
func TestSIGKILLResume(t *testing.T) {
	const rows = 60000
	cfg, env, nat := department(t, rows)

	var stderr bytes.Buffer
	first := child(t, env, "sync", "--config", cfg)
	first.Stderr = &stderr
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- first.Wait() }()
	killedAt := int64(-1)
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline) && killedAt < 0; time.Sleep(5 * time.Millisecond) {
		select {
		case err := <-exited:
			t.Fatalf("sync finished (%v) before it could be killed; stderr:\n%s", err, stderr.String())
		default:
		}
		var read int64
		err := nat.QueryRow(`SELECT read FROM runs WHERE status = 'running'`).Scan(&read)
		if err == nil && read >= rows/4 {
			if err := first.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			killedAt = read
		}
	}
	if killedAt < 0 {
		t.Fatalf("the run never reached a quarter of the rows; stderr:\n%s", stderr.String())
	}
	<-exited

	var live int64
	if err := nat.QueryRow(`SELECT count(*) FROM national_records`).Scan(&live); err != nil {
		t.Fatal(err)
	}
	if live >= rows-rows/fixture.BadEvery {
		t.Fatalf("the killed run had already delivered everything (%d); the test proves nothing", live)
	}

	metricsFile := filepath.Join(t.TempDir(), "lienthong.prom")
	second := child(t, env, "sync", "--config", cfg, "--json", "--metrics-file", metricsFile)
	out, err := second.Output()
	if err != nil {
		t.Fatalf("second sync: %v\n%s", err, out)
	}
	checkMetricsFile(t, metricsFile)

	var abandoned, succeeded struct{ read, inserted, unchanged, rejected int64 }
	if err := nat.QueryRow(`SELECT read, inserted, unchanged, rejected FROM runs WHERE status = 'abandoned'`).Scan(
		&abandoned.read, &abandoned.inserted, &abandoned.unchanged, &abandoned.rejected); err != nil {
		t.Fatalf("the killed run is not marked abandoned: %v", err)
	}
	if err := nat.QueryRow(`SELECT read, inserted, unchanged, rejected FROM runs WHERE status = 'succeeded'`).Scan(
		&succeeded.read, &succeeded.inserted, &succeeded.unchanged, &succeeded.rejected); err != nil {
		t.Fatal(err)
	}
	if succeeded.read >= rows || succeeded.read == 0 {
		t.Errorf("second run read %d rows: it should resume from the killed run's checkpoint", succeeded.read)
	}
	if total := abandoned.read + succeeded.read; total < rows || total > rows+500 {
		t.Errorf("the two runs read %d rows; want %d plus at most one replayed batch", total, rows)
	}

	var n, distinct, bad, both, missing int64
	if err := nat.QueryRow(`SELECT count(*), count(DISTINCT source_key) FROM national_records WHERE deleted_at IS NULL`).Scan(&n, &distinct); err != nil {
		t.Fatal(err)
	}
	if err := nat.QueryRow(`SELECT count(*) FROM rejects`).Scan(&bad); err != nil {
		t.Fatal(err)
	}
	if err := nat.QueryRow(`SELECT count(*) FROM national_records n JOIN rejects r ON r.source_key = n.source_key`).Scan(&both); err != nil {
		t.Fatal(err)
	}
	if err := nat.QueryRow(`SELECT count(*) FROM generate_series(1, $1::int) g WHERE g::text NOT IN
		(SELECT source_key FROM national_records UNION ALL SELECT source_key FROM rejects)`, rows).Scan(&missing); err != nil {
		t.Fatal(err)
	}
	if n != distinct || n+bad != rows || both != 0 || missing != 0 || bad != rows/fixture.BadEvery {
		t.Fatalf("after kill and resume: %d national (%d distinct), %d rejects, %d in both, %d missing; want %d rows exactly once",
			n, distinct, bad, both, missing, rows)
	}
}

// checkMetricsFile parses a --metrics-file output as Prometheus would and
// checks the run's series are there with the stream's labels.
func checkMetricsFile(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("metrics file: %v", err)
	}
	defer f.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(f)
	if err != nil {
		t.Fatalf("metrics file does not parse: %v", err)
	}
	for _, name := range []string{"lienthong_records_total", "lienthong_runs_total", "lienthong_run_duration_seconds",
		"lienthong_stream_last_success_timestamp_seconds", "lienthong_batch_write_duration_seconds"} {
		mf, ok := families[name]
		if !ok || len(mf.GetMetric()) == 0 {
			t.Errorf("metrics file lacks %s", name)
			continue
		}
		labels := map[string]string{}
		for _, l := range mf.GetMetric()[0].GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		if labels["department"] != "tu-phap" || labels["source"] != "ho-tich" || labels["stream"] != "khai-sinh" {
			t.Errorf("%s labels = %v", name, labels)
		}
	}
	if g := families["lienthong_stream_last_success_timestamp_seconds"]; g != nil && g.GetMetric()[0].GetGauge().GetValue() < float64(time.Now().Add(-time.Hour).Unix()) {
		t.Errorf("last success timestamp is not recent: %v", g.GetMetric()[0].GetGauge().GetValue())
	}
}

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

// TestSIGINT interrupts a sync as an operator's Ctrl-C would: the batch in
// flight is committed, the ledger says the run was interrupted, the exit
// code is 130, and the next sync resumes.
func TestSIGINT(t *testing.T) {
	const rows = 60000
	cfg, env, nat := department(t, rows)
	first := child(t, env, "sync", "--config", cfg)
	var stderr bytes.Buffer
	first.Stderr = &stderr
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(5 * time.Millisecond) {
		var read int64
		if nat.QueryRow(`SELECT read FROM runs WHERE status = 'running'`).Scan(&read) == nil && read >= rows/4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the run never got going:\n%s", stderr.String())
		}
	}
	if err := first.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err := first.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 130 || !strings.Contains(stderr.String(), "interrupted") {
		t.Fatalf("interrupted sync: %v, stderr:\n%s", err, stderr.String())
	}
	var status, msg string
	var read int64
	if err := nat.QueryRow(`SELECT status, error, read FROM runs`).Scan(&status, &msg, &read); err != nil {
		t.Fatal(err)
	}
	if status != "failed" || !strings.Contains(msg, "interrupted") || read == 0 || read >= rows {
		t.Fatalf("ledger after the interrupt: %s %q read %d", status, msg, read)
	}
	if out, err := child(t, env, "sync", "--config", cfg).CombinedOutput(); err != nil {
		t.Fatalf("sync after the interrupt: %v\n%s", err, out)
	}
	var total, n int64
	nat.QueryRow(`SELECT sum(read) FROM runs`).Scan(&total)
	nat.QueryRow(`SELECT (SELECT count(*) FROM national_records) + (SELECT count(*) FROM rejects)`).Scan(&n)
	if n != rows || total < rows || total > rows+500 {
		t.Fatalf("after resuming: %d records delivered or rejected, %d read in all; want %d, read once plus at most one batch", n, total, rows)
	}
}
