package cli_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
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
// environment holding both DSNs, and connections to the national one and
// the source.
func department(t *testing.T, rows int) (cfg string, env []string, nat, src *sql.DB) {
	t.Helper()
	srcDSN, natDSN := testdb.Postgres(t), testdb.Postgres(t)
	src, err := sql.Open("postgres", srcDSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
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
	return project(t, batchSize), []string{"LT_NATIONAL_DSN=" + natDSN, "LT_SOURCE_DSN=" + srcDSN}, nat, src
}

// batchSize is the batch size of the kill and interrupt tests' syncs.
const batchSize = 500

// checkEachRowOnce checks, key by key, that every source row 1..rows is in
// the national store or in the rejects, exactly once.
func checkEachRowOnce(t *testing.T, nat *sql.DB, rows int) {
	t.Helper()
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
	if err := nat.QueryRow(`SELECT count(*) FROM generate_series(1, $1::int) g
		LEFT JOIN (SELECT source_key FROM national_records UNION ALL SELECT source_key FROM rejects) k ON k.source_key = g::text
		WHERE k.source_key IS NULL`, rows).Scan(&missing); err != nil {
		t.Fatal(err)
	}
	if n != distinct || n+bad != int64(rows) || both != 0 || missing != 0 || bad != int64(rows/fixture.BadEvery) {
		t.Fatalf("%d national (%d distinct), %d rejects, %d in both, %d missing; want %d rows exactly once",
			n, distinct, bad, both, missing, rows)
	}
}

// killWhen starts a sync, kills it with SIGKILL as soon as ready says so,
// and waits for the process to end.
func killWhen(t *testing.T, cfg string, env []string, ready func() bool) {
	t.Helper()
	var stderr bytes.Buffer
	cmd := child(t, env, "sync", "--config", cfg)
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	for deadline := time.Now().Add(2 * time.Minute); !ready(); time.Sleep(5 * time.Millisecond) {
		select {
		case err := <-exited:
			t.Fatalf("sync finished (%v) before it could be killed; stderr:\n%s", err, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the moment to kill the sync never came; stderr:\n%s", stderr.String())
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-exited
}

// runningRead is how many records the running run has committed, or -1.
func runningRead(nat *sql.DB) int64 {
	var read int64
	if err := nat.QueryRow(`SELECT read FROM runs WHERE status = 'running'`).Scan(&read); err != nil {
		return -1
	}
	return read
}

// TestSIGKILLResume kills a sync with SIGKILL at three points (early, in
// the middle, and while the last batch is being written), runs it again
// each time, and checks that every source row is in the national store or
// in the rejects exactly once, and that the rerun resumed where the killed
// run's last committed batch left off.
func TestSIGKILLResume(t *testing.T) {
	const part = 20000 // rows added before each kill
	cfg, env, nat, src := department(t, part)
	for i, point := range []string{"early", "mid", "last batch"} {
		lo, hi := i*part+1, (i+1)*part
		if i > 0 {
			if err := fixture.SeedKhaiSinh(src, lo, hi, 3); err != nil {
				t.Fatal(err)
			}
		}
		switch point {
		case "early":
			killWhen(t, cfg, env, func() bool { return runningRead(nat) >= batchSize })
		case "mid":
			killWhen(t, cfg, env, func() bool { return runningRead(nat) >= part/2 })
		case "last batch":
			// A transaction of the test's inserts the record of a row of
			// the last batch and holds it uncommitted: the sync's write
			// of that batch waits on it, and is killed waiting.
			tx, err := nat.Begin()
			if err != nil {
				t.Fatal(err)
			}
			key := fmt.Sprintf("UBND xã Thạch Kênh, huyện Thạch Hà|%d/2024", hi-1)
			if _, err := tx.Exec(`INSERT INTO national_records (kind, natural_key, content_hash, department, source, stream,
				source_key, mapping_version, first_synced_at, last_synced_at, last_run_id)
				VALUES ('birth_registration', $1, sha256('x'), 'tu-phap', 'ho-tich', 'khai-sinh', $2, 'test', now(), now(), 0)`,
				key, strconv.Itoa(hi-1)); err != nil {
				t.Fatal(err)
			}
			var pid int
			if err := tx.QueryRow(`SELECT pg_backend_pid()`).Scan(&pid); err != nil {
				t.Fatal(err)
			}
			killWhen(t, cfg, env, func() bool {
				var waiting int
				err := nat.QueryRow(`SELECT count(*) FROM pg_locks WHERE NOT granted AND pid <> $1 AND $1 = ANY(pg_blocking_pids(pid))`, pid).Scan(&waiting)
				return err == nil && waiting > 0
			})
			if err := tx.Rollback(); err != nil {
				t.Fatal(err)
			}
			if r := runningRead(nat); r < part-batchSize {
				t.Fatalf("the sync was killed with %d records of %d committed, not in its last batch", r, part)
			}
		}
		var killedRead int64
		if err := nat.QueryRow(`SELECT read FROM runs WHERE status = 'running'`).Scan(&killedRead); err != nil {
			t.Fatalf("%s: the killed run is not in the ledger as running: %v", point, err)
		}
		var live int64
		if err := nat.QueryRow(`SELECT count(*) FROM national_records`).Scan(&live); err != nil {
			t.Fatal(err)
		}
		if live >= int64(hi-hi/fixture.BadEvery) {
			t.Fatalf("%s: the killed run had already delivered everything (%d); the test proves nothing", point, live)
		}

		metricsFile := filepath.Join(t.TempDir(), "lienthong.prom")
		if out, err := child(t, env, "sync", "--config", cfg, "--json", "--metrics-file", metricsFile).Output(); err != nil {
			t.Fatalf("%s: sync after the kill: %v\n%s", point, err, out)
		}
		checkMetricsFile(t, metricsFile)
		var abandoned, resumed int64
		if err := nat.QueryRow(`SELECT read FROM runs WHERE status = 'abandoned' ORDER BY id DESC LIMIT 1`).Scan(&abandoned); err != nil || abandoned != killedRead {
			t.Fatalf("%s: the killed run is not marked abandoned with its %d records: %d %v", point, killedRead, abandoned, err)
		}
		if err := nat.QueryRow(`SELECT read FROM runs WHERE status = 'succeeded' ORDER BY id DESC LIMIT 1`).Scan(&resumed); err != nil {
			t.Fatal(err)
		}
		if total := abandoned + resumed; total < part || total > part+batchSize {
			t.Errorf("%s: the killed and the resumed run read %d rows; want %d plus at most the one batch in flight", point, total, part)
		}
		checkEachRowOnce(t, nat, hi)
	}
}

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

// TestSIGINT interrupts a sync as an operator's Ctrl-C would: the batch in
// flight is committed, the ledger says the run was interrupted, the exit
// code is 130, and the next sync resumes.
// TestSIGINT interrupts a sync as an operator's Ctrl-C would: the batch in
// flight is committed, the ledger says the run was interrupted, the exit
// code is 130, and the next sync resumes and delivers every row once.
func TestSIGINT(t *testing.T) {
	const rows = 60000
	cfg, env, nat, _ := department(t, rows)
	first := child(t, env, "sync", "--config", cfg)
	var stderr bytes.Buffer
	first.Stderr = &stderr
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(2 * time.Minute); runningRead(nat) < rows/4; time.Sleep(5 * time.Millisecond) {
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
	var total int64
	if err := nat.QueryRow(`SELECT sum(read) FROM runs`).Scan(&total); err != nil {
		t.Fatal(err)
	}
	// The interrupted run committed its batch in flight: nothing is read
	// twice.
	if total != rows {
		t.Errorf("the two runs read %d rows in all, want %d, each once", total, rows)
	}
	checkEachRowOnce(t, nat, rows)
}
