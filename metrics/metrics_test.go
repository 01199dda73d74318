package metrics_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/lienthong/lienthong/internal/database"
	"github.com/lienthong/lienthong/internal/testdb"
	"github.com/lienthong/lienthong/metrics"
	"github.com/lienthong/lienthong/national"
	"github.com/lienthong/lienthong/schema"
	"github.com/lienthong/lienthong/sync/state"
)

var (
	births = metrics.Stream{Department: "tu-phap", Source: "ho-tich", Stream: "khai-sinh", Interval: time.Hour, Zone: time.UTC}
	cards  = metrics.Stream{Department: "bhxh", Source: "the-bhyt", Stream: "the", Interval: 24 * time.Hour}
)

// openState returns a migrated state store on dsn.
func openState(t *testing.T, dsn string) *state.Store {
	t.Helper()
	db, err := database.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	st := state.New(db)
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st
}

// eachDialect runs f on a fresh state store on PostgreSQL and on SQLite.
func eachDialect(t *testing.T, f func(t *testing.T, st *state.Store)) {
	for _, d := range []struct {
		name string
		dsn  func(testing.TB) string
	}{{"postgres", testdb.Postgres}, {"sqlite", testdb.SQLite}} {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			f(t, openState(t, d.dsn(t)))
		})
	}
}

// ledger leaves a history on the state store: a run of births that
// delivered up to a cursor and rejected two records, then a failed run
// and one that timed out.
func ledger(t *testing.T, st *state.Store) {
	t.Helper()
	ctx := context.Background()
	ref := state.Ref{Department: births.Department, Source: births.Source, Stream: births.Stream}
	run, err := st.StartRun(ctx, ref, "incremental")
	if err != nil {
		t.Fatal(err)
	}
	rej := func(key, reason string) state.Reject {
		return state.Reject{SourceKey: key, Kind: "birth_registration", Raw: json.RawMessage(`{}`), Reason: reason,
			Message: "record " + key, Violations: json.RawMessage(`[]`)}
	}
	if err := st.CommitBatch(ctx, run.ID, ref, state.Batch{Checkpoint: json.RawMessage(`{"cursor":"2026-12-01 08:30:00","key":["7"]}`),
		Counts:  state.Counts{Read: 3, Inserted: 1, Rejected: 2},
		Rejects: []state.Reject{rej("5", schema.ReasonBadDate), rej("6", schema.ReasonRequired)}}); err != nil {
		t.Fatal(err)
	}
	if err := st.FinishRun(ctx, run.ID, ref, state.Finish{Status: state.StatusSucceeded, ReadSource: true}); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		run, err := st.StartRun(ctx, ref, "incremental")
		if err != nil {
			t.Fatal(err)
		}
		if err := st.FinishRun(ctx, run.ID, ref, state.Finish{Status: state.StatusFailed, Error: "source down"}); err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			// A run cancelled at its time limit is a failure too.
			if err := st.MarkTimedOut(ctx, run.ID, time.Minute); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// fullRegistry builds the registry a serving process has, every metric
// touched at least once.
func fullRegistry(t *testing.T) *prometheus.Registry {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m, err := metrics.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	streams := []metrics.Stream{births, cards}
	m.Init(streams)
	st := openState(t, testdb.SQLite(t))
	ledger(t, st)
	reg.MustRegister(metrics.NewStateCollector(st, streams))
	reg.MustRegister(metrics.NewStoreCollector(map[string]func(context.Context) error{
		"state": st.Ping, "national": func(context.Context) error { return errors.New("down") }}))
	if err := metrics.RegisterBuildInfo(reg, "v1.2.3"); err != nil {
		t.Fatal(err)
	}
	h := m.HTTPSource(cards.Department, cards.Source)
	h.Attempt(200)
	h.Attempt(503)
	h.Retry()
	m.SchedulerQueued.Set(3)
	m.SchedulerRunning.Set(1)
	m.SchedulerLeader.Set(1)
	m.LastSuccess.WithLabelValues(births.Department, births.Source, births.Stream).SetToCurrentTime()
	m.RunDuration.WithLabelValues(births.Department, births.Source, births.Stream, "succeeded").Observe(12)
	m.BatchDuration.WithLabelValues(births.Department, births.Source, births.Stream).Observe(0.05)
	m.SourceRead.WithLabelValues(births.Department, births.Source, births.Stream).Observe(0.2)
	m.Deleted.WithLabelValues(births.Department, births.Source, births.Stream).Add(4)
	return reg
}

// TestRegistryLints: client_golang's linter finds nothing to say about
// any metric a serving process exposes.
func TestRegistryLints(t *testing.T) {
	problems, err := testutil.GatherAndLint(fullRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
}

// TestPromtoolCheckMetrics: Prometheus's own checker accepts the
// exposition. promtool comes with the Debian package prometheus, which
// scripts/test installs when it is missing.
func TestPromtoolCheckMetrics(t *testing.T) {
	promtool := Promtool(t)
	path := filepath.Join(t.TempDir(), "metrics.prom")
	if err := metrics.WriteTextfile(path, fullRegistry(t)); err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(text)
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// TestInitCreatesEveryStreamSeries: before any run, each configured
// stream already has its run, record, reject, duration and schedule
// series, so rates and alerts see it from start-up.
func TestInitCreatesEveryStreamSeries(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	m.Init([]metrics.Stream{births, cards})
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	perStream := map[string]map[string]int{}
	for _, mf := range mfs {
		for _, mt := range mf.Metric {
			for _, l := range mt.Label {
				if l.GetName() == "stream" {
					if perStream[mf.GetName()] == nil {
						perStream[mf.GetName()] = map[string]int{}
					}
					perStream[mf.GetName()][l.GetValue()]++
				}
			}
		}
	}
	want := map[string]int{
		"lienthong_runs_total":                       1,
		"lienthong_run_failures_total":               1,
		"lienthong_records_total":                    8,
		"lienthong_records_deleted_total":            1,
		"lienthong_rejects_total":                    len(schema.Reasons()),
		"lienthong_run_duration_seconds":             2,
		"lienthong_batch_write_duration_seconds":     1,
		"lienthong_source_read_duration_seconds":     1,
		"lienthong_stream_schedule_interval_seconds": 1,
	}
	for name, n := range want {
		for _, s := range []string{births.Stream, cards.Stream} {
			if got := perStream[name][s]; got != n {
				t.Errorf("%s{stream=%q}: %d series, want %d", name, s, got, n)
			}
		}
	}
	if got := testutil.ToFloat64(m.ScheduleInterval.WithLabelValues(cards.Department, cards.Source, cards.Stream)); got != 86400 {
		t.Errorf("schedule interval of %s = %v, want 86400", cards.Stream, got)
	}
}

// TestRecordOutcomesMatchNational: the write outcomes Init creates are the
// ones the national store reports, so no outcome's series is born late.
func TestRecordOutcomesMatchNational(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, _ := metrics.New(reg)
	m.Init([]metrics.Stream{births})
	for _, o := range []national.Outcome{national.Inserted, national.Updated, national.Unchanged, national.Conflict} {
		c := m.Records.WithLabelValues(births.Department, births.Source, births.Stream, metrics.StageWrite, o.String())
		c.Inc()
	}
	if n := testutil.CollectAndCount(m.Records); n != 8 {
		t.Errorf("lienthong_records_total has %d series after counting every national outcome, want the 8 Init made", n)
	}
}

// TestStateCollector: the streams' rejects outstanding, failed runs in a
// row and newest cursor come from the ledger, on both store dialects, and
// a stream never run reports zeros and no cursor.
func TestStateCollector(t *testing.T) {
	eachDialect(t, func(t *testing.T, st *state.Store) {
		ledger(t, st)
		c := metrics.NewStateCollector(st, []metrics.Stream{births, cards})
		want := `
# HELP lienthong_stream_consecutive_failures Runs of the stream that failed, were abandoned or timed out since its last successful run.
# TYPE lienthong_stream_consecutive_failures gauge
lienthong_stream_consecutive_failures{department="bhxh",source="the-bhyt",stream="the"} 0
lienthong_stream_consecutive_failures{department="tu-phap",source="ho-tich",stream="khai-sinh"} 2
# HELP lienthong_stream_cursor_timestamp_seconds Newest cursor value delivered (the stream's checkpoint), as Unix time; only for streams whose cursor is a date or timestamp. Freshness is time() minus this.
# TYPE lienthong_stream_cursor_timestamp_seconds gauge
lienthong_stream_cursor_timestamp_seconds{department="tu-phap",source="ho-tich",stream="khai-sinh"} 1.7961138e+09
# HELP lienthong_stream_rejects_outstanding Rejected records of the stream not yet fixed (delivered since or gone from the source).
# TYPE lienthong_stream_rejects_outstanding gauge
lienthong_stream_rejects_outstanding{department="bhxh",source="the-bhyt",stream="the"} 0
lienthong_stream_rejects_outstanding{department="tu-phap",source="ho-tich",stream="khai-sinh"} 2
`
		if err := testutil.CollectAndCompare(c, strings.NewReader(want)); err != nil {
			t.Error(err)
		}
		// A success ends the failures in a row.
		ref := state.Ref{Department: births.Department, Source: births.Source, Stream: births.Stream}
		run, err := st.StartRun(t.Context(), ref, "incremental")
		if err != nil {
			t.Fatal(err)
		}
		if err := st.FinishRun(t.Context(), run.ID, ref, state.Finish{Status: state.StatusSucceeded, ReadSource: true}); err != nil {
			t.Fatal(err)
		}
		if err := testutil.CollectAndCompare(c, strings.NewReader(`
# HELP lienthong_stream_consecutive_failures Runs of the stream that failed, were abandoned or timed out since its last successful run.
# TYPE lienthong_stream_consecutive_failures gauge
lienthong_stream_consecutive_failures{department="bhxh",source="the-bhyt",stream="the"} 0
lienthong_stream_consecutive_failures{department="tu-phap",source="ho-tich",stream="khai-sinh"} 0
`), "lienthong_stream_consecutive_failures"); err != nil {
			t.Error(err)
		}
	})
}

// TestCursorTime reads the cursor of the SQL and HTTP connectors'
// checkpoints, in the zone given when the text has none.
func TestCursorTime(t *testing.T) {
	hcm := time.FixedZone("ICT", 7*3600)
	tests := []struct {
		name       string
		checkpoint string
		zone       *time.Location
		want       time.Time
		ok         bool
	}{
		{"postgres timestamptz", `{"cursor":"2026-12-01 08:30:00.123456+07","key":["1"]}`, nil, time.Date(2026, 12, 1, 1, 30, 0, 123456000, time.UTC), true},
		{"no zone, province's zone", `{"cursor":"2026-12-01 08:30:00","key":["1"]}`, hcm, time.Date(2026, 12, 1, 1, 30, 0, 0, time.UTC), true},
		{"no zone, UTC by default", `{"cursor":"2026-12-01 08:30:00","key":["1"]}`, nil, time.Date(2026, 12, 1, 8, 30, 0, 0, time.UTC), true},
		{"RFC 3339 from an API", `{"cursor":"2026-12-01T08:30:00Z","ties":["a"]}`, hcm, time.Date(2026, 12, 1, 8, 30, 0, 0, time.UTC), true},
		{"date only", `{"cursor":"2026-12-01"}`, nil, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), true},
		{"numeric cursor", `{"cursor":"1042","key":["1"]}`, nil, time.Time{}, false},
		{"no cursor yet", `{"null_key":["3"]}`, nil, time.Time{}, false},
		{"file connector", `{"read":[{"sha256":"ab","name":"a.csv","size":1,"mtime":"2026-12-01T00:00:00Z"}]}`, nil, time.Time{}, false},
		{"none", ``, nil, time.Time{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := metrics.CursorTime(json.RawMessage(tc.checkpoint), tc.zone)
			if ok != tc.ok || !got.Equal(tc.want) {
				t.Errorf("CursorTime = %v, %v; want %v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

// TestStoreCollector: a probe that fails reports its store down, the
// others up.
func TestStoreCollector(t *testing.T) {
	c := metrics.NewStoreCollector(map[string]func(context.Context) error{
		"national": func(context.Context) error { return errors.New("connection refused") },
		"state":    func(context.Context) error { return nil },
	})
	want := `
# HELP lienthong_store_up 1 when the store answered this replica's probe at scrape time, else 0.
# TYPE lienthong_store_up gauge
lienthong_store_up{store="national"} 0
lienthong_store_up{store="state"} 1
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}

// TestHTTPSourceCodes: statuses become their code, no answer "error", and
// a status outside HTTP's range "invalid", so label values stay bounded.
func TestHTTPSourceCodes(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, _ := metrics.New(reg)
	h := m.HTTPSource("bhxh", "the-bhyt")
	for _, code := range []int{200, 200, 429, 0, 1234} {
		h.Attempt(code)
	}
	h.Retry()
	want := `
# HELP lienthong_http_source_requests_total HTTP requests (every attempt) sent to department APIs, by status code; code="error" when no answer came.
# TYPE lienthong_http_source_requests_total counter
lienthong_http_source_requests_total{code="200",department="bhxh",source="the-bhyt"} 2
lienthong_http_source_requests_total{code="429",department="bhxh",source="the-bhyt"} 1
lienthong_http_source_requests_total{code="error",department="bhxh",source="the-bhyt"} 1
lienthong_http_source_requests_total{code="invalid",department="bhxh",source="the-bhyt"} 1
# HELP lienthong_http_source_retries_total HTTP request attempts to department APIs that were retries of a failed attempt.
# TYPE lienthong_http_source_retries_total counter
lienthong_http_source_retries_total{department="bhxh",source="the-bhyt"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "lienthong_http_source_requests_total", "lienthong_http_source_retries_total"); err != nil {
		t.Error(err)
	}
}
