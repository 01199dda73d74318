package deploy_test

import (
	"bufio"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lienthong/lienthong/examples"
	"github.com/lienthong/lienthong/internal/fixture"
	"github.com/lienthong/lienthong/internal/testdb"
	"github.com/lienthong/lienthong/internal/testio"
)

// patience bounds each wait for something the processes do on their own
// schedule; it guards against a hang and is no measure of speed.
const patience = 3 * time.Minute

// adminToken is the administrator token the serve under test starts with:
// the ledger's views (/v1/streams) answer only a token.
const adminToken = "lt_admin-token-of-the-scrape-test-0123456789"

// logBuffer collects a child process's output for the test to read.
type logBuffer = testio.Buffer

// startProcess starts a child process that the test stops (SIGTERM, then
// kill) when it ends, logging its output if the test failed.
func startProcess(t *testing.T, name string, cmd *exec.Cmd) *logBuffer {
	t.Helper()
	out := &logBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			s := out.String()
			if len(s) > 6000 {
				s = s[len(s)-6000:]
			}
			t.Logf("%s output (tail):\n%s", name, s)
		}
	})
	return out
}

// waitFor polls cond until it holds, failing the test after patience.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(patience); !cond(); time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %s waiting for %s", patience, what)
		}
	}
}

// freePort returns a loopback port nobody listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// buildLienthong builds the lienthong binary the way scripts/test (and
// the Dockerfile) do, so the build cache of that step serves this one.
func buildLienthong(t *testing.T) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		gobin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), "lienthong")
	cmd := exec.Command(gobin, "build", "-trimpath", "-o", bin, "github.com/lienthong/lienthong/cmd/lienthong")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build lienthong: %v\n%s", err, out)
	}
	return bin
}

// sample is one element of a PromQL result.
type sample struct {
	Metric map[string]string
	Value  float64
}

// promAPI queries a Prometheus over its HTTP API.
type promAPI string

// query evaluates expr now. An error answer fails the test: every query
// the test sends must parse and evaluate.
func (p promAPI) query(t *testing.T, expr string) []sample {
	t.Helper()
	resp, err := http.Get(string(p) + "/api/v1/query?query=" + url.QueryEscape(expr))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Status string
		Error  string
		Data   struct {
			ResultType string
			Result     json.RawMessage
		}
	}
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &body); err != nil || body.Status != "success" {
		t.Fatalf("query %s: %s %s", expr, body.Error, raw)
	}
	value := func(v [2]any) float64 {
		f, _ := strconv.ParseFloat(fmt.Sprint(v[1]), 64)
		return f
	}
	switch body.Data.ResultType {
	case "vector":
		var vs []struct {
			Metric map[string]string
			Value  [2]any
		}
		json.Unmarshal(body.Data.Result, &vs)
		out := make([]sample, len(vs))
		for i, v := range vs {
			out[i] = sample{v.Metric, value(v.Value)}
		}
		return out
	case "scalar":
		var v [2]any
		json.Unmarshal(body.Data.Result, &v)
		return []sample{{nil, value(v)}}
	}
	t.Fatalf("query %s: result type %s", expr, body.Data.ResultType)
	return nil
}

// one returns the single value of expr, or NaN when it has none.
func (p promAPI) one(t *testing.T, expr string) float64 {
	t.Helper()
	s := p.query(t, expr)
	if len(s) != 1 {
		return math.NaN()
	}
	return s[0].Value
}

// TestPrometheusScrapesServe: a real Prometheus on loopback scrapes a
// running lienthong serve while it syncs on its schedule, and PromQL over
// what it scraped agrees with the stores: records, rejects outstanding,
// failures in a row, freshness, schedule gaps, series of a stream that has
// not run yet, the scheduler's leader. The alerting rules load and the
// failing stream's alert fires; every dashboard query evaluates.
func TestPrometheusScrapesServe(t *testing.T) {
	promBin, err := exec.LookPath("prometheus")
	if err != nil {
		t.Fatal("prometheus is not installed: run scripts/test, which installs the Debian package prometheus, or apt-get install prometheus")
	}
	bin := buildLienthong(t)

	// The department's register: 300 rows, one in 50 without a name.
	srcDSN := testdb.Postgres(t)
	src, err := sql.Open("postgres", srcDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if err := fixture.CreateKhaiSinh(src); err != nil {
		t.Fatal(err)
	}
	if err := fixture.SeedKhaiSinh(src, 1, 300, 1); err != nil {
		t.Fatal(err)
	}
	storeDSN := testdb.Postgres(t)
	store, err := sql.Open("postgres", storeDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()

	dir := t.TempDir()
	mapping, err := examples.Mappings.ReadFile("mappings/khai-sinh.yaml")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "khai-sinh.yaml"), mapping, 0o644)
	conf := `national:
  dsn_env: LT_NATIONAL_DSN
batch:
  size: 100
  period: 1s
serve:
  retry:
    attempts: 1
departments:
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
            mapping: khai-sinh.yaml
            schedule: "*/2 * * * * *"
          - name: hong
            table: bang_khong_co
            primary_key: [id]
            cursor: ngay_cap_nhat
            mapping: khai-sinh.yaml
            schedule: "*/2 * * * * *"
          - name: hang-nam
            table: khai_sinh
            primary_key: [id]
            cursor: ngay_cap_nhat
            mapping: khai-sinh.yaml
            schedule: "0 0 1 1 *"
`
	cfgPath := filepath.Join(dir, "lienthong.yaml")
	os.WriteFile(cfgPath, []byte(conf), 0o644)

	serve := exec.Command(bin, "serve", "--config", cfgPath, "--listen", "127.0.0.1:0", "--log-format", "json")
	serve.Env = append(os.Environ(), "LT_NATIONAL_DSN="+storeDSN, "LT_SOURCE_DSN="+srcDSN,
		"LIENTHONG_PLAN_INTERVAL=1s", "LIENTHONG_POLL_INTERVAL=200ms", "LIENTHONG_BUSY_WAIT=500ms",
		"LIENTHONG_ADMIN_TOKEN="+adminToken)
	serveLog := startProcess(t, "lienthong serve", serve)
	var addr string
	waitFor(t, "lienthong serve to listen", func() bool {
		sc := bufio.NewScanner(strings.NewReader(serveLog.String()))
		for sc.Scan() {
			var line struct{ Msg, Listen string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "serving" {
				addr = line.Listen
				return true
			}
		}
		return false
	})

	promPort := freePort(t)
	rules, err := filepath.Abs("prometheus/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	promConf := fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [%q]
scrape_configs:
  - job_name: lienthong
    static_configs:
      - targets: [%q]
`, rules, addr)
	promCfg := filepath.Join(dir, "prometheus.yml")
	os.WriteFile(promCfg, []byte(promConf), 0o644)
	startProcess(t, "prometheus", exec.Command(promBin, "--config.file="+promCfg, "--storage.tsdb.path="+filepath.Join(dir, "tsdb"),
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", promPort), "--log.level=warn"))
	prom := promAPI(fmt.Sprintf("http://127.0.0.1:%d", promPort))
	waitFor(t, "Prometheus to be ready", func() bool {
		resp, err := http.Get(string(prom) + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	waitFor(t, "the first scrape", func() bool { return prom.one(t, `up{job="lienthong"}`) == 1 })

	// A stream that has not run has its series from start-up.
	if n := prom.one(t, `count(lienthong_records_total{stream="hang-nam"})`); n != 8 {
		t.Errorf("hang-nam has %v record series before any run, want 8", n)
	}
	if v := prom.one(t, `lienthong_runs_total{stream="hang-nam"}`); v != 0 {
		t.Errorf("runs of hang-nam = %v, want 0", v)
	}
	if v := prom.one(t, `lienthong_stream_schedule_interval_seconds{stream="khai-sinh"}`); v != 2 {
		t.Errorf("schedule gap of khai-sinh = %v s, want 2", v)
	}
	if v := prom.one(t, `lienthong_stream_schedule_interval_seconds{stream="hang-nam"}`); v < 365*86400 {
		t.Errorf("schedule gap of hang-nam = %v s, want a year", v)
	}

	// The first runs deliver the register; then 30 new rows arrive and a
	// later run delivers them.
	waitFor(t, "khai-sinh's first rows to be scraped", func() bool {
		return prom.one(t, `sum(lienthong_records_total{stream="khai-sinh", stage="write", outcome="inserted"})`) >= 294
	})
	if err := fixture.SeedKhaiSinh(src, 301, 330, 1); err != nil {
		t.Fatal(err)
	}
	var live, rejects int
	waitFor(t, "the national store, the ledger and Prometheus to agree", func() bool {
		store.QueryRow(`SELECT COUNT(*) FROM national_records WHERE stream = 'khai-sinh' AND deleted_at IS NULL`).Scan(&live)
		store.QueryRow(`SELECT COUNT(*) FROM rejects WHERE stream = 'khai-sinh'`).Scan(&rejects)
		return live == 330-6 && rejects == 6 &&
			prom.one(t, `sum(lienthong_records_total{stream="khai-sinh", stage="write", outcome="inserted"})`) == float64(live) &&
			prom.one(t, `lienthong_stream_rejects_outstanding{stream="khai-sinh"}`) == float64(rejects)
	})
	if v := prom.one(t, `sum(lienthong_rejects_total{stream="khai-sinh", reason="required_missing"})`); v != 6 {
		t.Errorf("rejects counted with reason required_missing = %v, want 6", v)
	}

	// Freshness: the newest cursor delivered is the source's newest.
	var newest float64
	if err := src.QueryRow(`SELECT EXTRACT(EPOCH FROM MAX(ngay_cap_nhat)) FROM khai_sinh`).Scan(&newest); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "freshness to reach the newest row", func() bool {
		return prom.one(t, `lienthong_stream_cursor_timestamp_seconds{stream="khai-sinh"}`) == newest
	})
	if age := prom.one(t, `time() - lienthong_stream_cursor_timestamp_seconds{stream="khai-sinh"}`); !(age > 0) {
		t.Errorf("freshness of khai-sinh = %v s, want the age of its newest row", age)
	}

	// The stream whose table does not exist fails run after run; its alert
	// fires.
	waitFor(t, "LienthongStreamFailing to fire for hong", func() bool {
		return prom.one(t, `ALERTS{alertname="LienthongStreamFailing", alertstate="firing", stream="hong"}`) == 1
	})
	var failed int
	store.QueryRow(`SELECT COUNT(*) FROM runs WHERE stream = 'hong' AND status = 'failed'`).Scan(&failed)
	if v := prom.one(t, `lienthong_stream_consecutive_failures{stream="hong"}`); v < 3 || v > float64(failed) {
		t.Errorf("failures in a row of hong = %v, want at least 3 and at most the %d failed runs of the ledger", v, failed)
	}
	if v := prom.one(t, `sum(increase(lienthong_run_failures_total{stream="hong"}[10m]))`); !(v > 0) {
		t.Errorf("failures of hong counted: %v", v)
	}
	if v := prom.one(t, `sum(lienthong_run_duration_seconds_count{stream="khai-sinh", status="succeeded"})`); v < 2 {
		t.Errorf("succeeded runs of khai-sinh observed: %v, want at least 2", v)
	}
	if v := prom.one(t, `histogram_quantile(0.9, sum by (le) (rate(lienthong_batch_write_duration_seconds_bucket{stream="khai-sinh"}[10m])))`); !(v > 0) {
		t.Errorf("90th percentile batch write latency: %v", v)
	}
	if v := prom.one(t, `sum(lienthong_source_read_duration_seconds_count{stream="khai-sinh"})`); !(v > 0) {
		t.Errorf("source reads of khai-sinh observed: %v", v)
	}

	// The one replica leads; stores answer; the build is named.
	waitFor(t, "the replica to lead the scheduler", func() bool { return prom.one(t, `lienthong_scheduler_leader`) == 1 })
	if v := prom.one(t, `lienthong_store_up{store="national"}`); v != 1 {
		t.Errorf("lienthong_store_up{store=national} = %v", v)
	}
	if v := prom.one(t, `count(lienthong_build_info) and count(go_goroutines) and count(process_resident_memory_bytes)`); v != 1 {
		t.Errorf("build info, Go and process collectors: %v", v)
	}

	// Every rule loaded and evaluates; no other lienthong alert fires.
	resp, err := http.Get(string(prom) + "/api/v1/rules")
	if err != nil {
		t.Fatal(err)
	}
	var rulesResp struct {
		Data struct {
			Groups []struct {
				Rules []struct {
					Name, Health, LastError string
				}
			}
		}
	}
	json.NewDecoder(resp.Body).Decode(&rulesResp)
	resp.Body.Close()
	n := 0
	for _, g := range rulesResp.Data.Groups {
		for _, r := range g.Rules {
			n++
			if r.Health != "ok" {
				t.Errorf("rule %s: health %s %s", r.Name, r.Health, r.LastError)
			}
		}
	}
	if n < 6 {
		t.Errorf("Prometheus loaded %d rules, want the 6 of alerts.yml", n)
	}
	for _, s := range prom.query(t, `ALERTS{alertstate="firing"}`) {
		if s.Metric["alertname"] != "LienthongStreamFailing" || s.Metric["stream"] != "hong" {
			t.Errorf("unexpected alert firing: %v", s.Metric)
		}
	}

	// Every dashboard query evaluates on the real server.
	b, err := os.ReadFile("grafana/lienthong.json")
	if err != nil {
		t.Fatal(err)
	}
	empty := 0
	for _, q := range dashboardQueries(t, b) {
		if len(prom.query(t, q)) == 0 {
			empty++
		}
	}
	if empty > 3 {
		t.Errorf("%d dashboard queries return nothing on a running lienthong", empty)
	}

	// The API of the same process agrees with the ledger.
	req, err := http.NewRequest("GET", "http://"+addr+"/v1/streams", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	apiResp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var sts struct {
		Streams []struct {
			Stream             string
			RejectsOutstanding int64 `json:"rejects_outstanding"`
		}
	}
	if apiResp.StatusCode != http.StatusOK {
		t.Errorf("/v1/streams: %s", apiResp.Status)
	}
	json.NewDecoder(apiResp.Body).Decode(&sts)
	apiResp.Body.Close()
	found := false
	for _, st := range sts.Streams {
		found = found || st.Stream == "khai-sinh" && st.RejectsOutstanding == int64(rejects)
	}
	if len(sts.Streams) != 3 || !found {
		t.Errorf("/v1/streams = %+v, want 3 streams, khai-sinh with %d rejects outstanding", sts.Streams, rejects)
	}
}
