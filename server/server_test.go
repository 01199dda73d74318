package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lienthong/lienthong/clients"
	"github.com/lienthong/lienthong/config"
	"github.com/lienthong/lienthong/internal/database"
	"github.com/lienthong/lienthong/internal/ops"
	"github.com/lienthong/lienthong/internal/testdb"
	"github.com/lienthong/lienthong/national"
	"github.com/lienthong/lienthong/registry"
	"github.com/lienthong/lienthong/server"
	"github.com/lienthong/lienthong/sync/state"
)

// The registered streams of the tests, in the registry's order
// (department, source, stream by name): two named khai-sinh, so the short
// name is ambiguous.
var (
	births   = server.StreamInfo{Department: "tu-phap", Source: "ho-tich", Stream: "khai-sinh", Schedule: "*/15 * * * *", Mode: "incremental", Kind: "birth_registration"}
	cards    = server.StreamInfo{Department: "bhxh", Source: "the-bhyt-api", Stream: "the-bhyt", Schedule: "@hourly", Mode: "full_refresh", Kind: "health_insurance_card"}
	births2  = server.StreamInfo{Department: "ld-tbxh", Source: "xuat-file", Stream: "khai-sinh", Mode: "incremental"}
	streams  = []server.StreamInfo{cards, births2, births}
	birthRef = state.Ref{Department: births.Department, Source: births.Source, Stream: births.Stream}
)

// env is a running API on real stores.
type env struct {
	db  *database.DB
	st  *state.Store
	nat national.Store
	reg *registry.Store
	srv *httptest.Server
}

// register writes a stream into the registry, as apply or the API would.
func (e *env) register(t *testing.T, info server.StreamInfo, kind string) {
	t.Helper()
	ctx := context.Background()
	a := registry.Actor{Name: "admin"}
	if _, err := e.reg.Department(ctx, info.Department); errors.Is(err, registry.ErrNotFound) {
		if _, err := e.reg.CreateDepartment(ctx, a, registry.Department{Name: info.Department, Title: "Sở " + info.Department}); err != nil {
			t.Fatal(err)
		}
	}
	st := config.Stream{Name: info.Stream, Table: info.Stream, PrimaryKey: []string{"id"}, Schedule: info.Schedule, Mode: info.Mode, Kind: info.Kind}
	if _, err := e.reg.CreateSource(ctx, a, info.Department, registry.SourceInput{Spec: config.Source{Name: info.Source, Kind: kind,
		Streams: []config.Stream{st}}}); err != nil {
		t.Fatal(err)
	}
}

// eachDialect runs f against an API on fresh, migrated stores on
// PostgreSQL and on SQLite.
func eachDialect(t *testing.T, f func(t *testing.T, e *env)) {
	for _, d := range []struct {
		name string
		dsn  func(testing.TB) string
	}{{"postgres", testdb.Postgres}, {"sqlite", testdb.SQLite}} {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			f(t, newEnv(t, d.dsn(t), server.Options{}))
		})
	}
}

// newEnv opens and migrates the stores on dsn and serves the API built
// from o, with the stores and streams filled in.
func newEnv(t *testing.T, dsn string, o server.Options) *env {
	t.Helper()
	ctx := context.Background()
	db, err := database.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e := &env{db: db, st: state.New(db), nat: national.New(db)}
	if _, err := e.nat.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	e.reg = registry.New(db, nil)
	if _, err := e.reg.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for i, kind := range []string{"httpjson", "file", "postgres"} {
		e.register(t, streams[i], kind)
	}
	o.State, o.National = e.st, e.nat
	if o.Access.AdminTokenHash == nil {
		admin := clients.HashToken(adminTok)
		o.Access.AdminTokenHash = &admin
	}
	if o.Ops == nil {
		o.Ops = &ops.Service{State: e.st, Registry: e.reg}
	}
	e.srv = httptest.NewServer(server.New(o))
	t.Cleanup(e.srv.Close)
	return e
}

// get fetches path with the administrator's token and decodes its JSON
// body into v (when not nil); it returns the response with its body read.
func get(t *testing.T, base, path string, v any) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminTok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("GET %s: %v in %s", path, err, body)
		}
	}
	return resp
}

// wantProblem checks that a response is problem details with a status.
func wantProblem(t *testing.T, base, path string, status int) server.Problem {
	t.Helper()
	var p server.Problem
	resp := get(t, base, path, &p)
	if resp.StatusCode != status || p.Status != status {
		t.Errorf("GET %s: status %d, problem status %d; want %d", path, resp.StatusCode, p.Status, status)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("GET %s: Content-Type %q, want application/problem+json", path, ct)
	}
	if p.Title == "" || p.Type == "" || p.Instance != strings.Split(path, "?")[0] || p.RequestID == "" {
		t.Errorf("GET %s: incomplete problem %+v", path, p)
	}
	return p
}

// history leaves on the state store a successful run of births that
// rejected two records, then two failed runs; it returns their ids.
func history(t *testing.T, st *state.Store) []int64 {
	t.Helper()
	ctx := context.Background()
	var ids []int64
	run, err := st.StartRun(ctx, birthRef, "incremental")
	if err != nil {
		t.Fatal(err)
	}
	ids = append(ids, run.ID)
	rej := func(key string) state.Reject {
		return state.Reject{SourceKey: key, Kind: "birth_registration", Raw: json.RawMessage(`{}`), Reason: "bad_date",
			Message: "record " + key + ": bad date", Violations: json.RawMessage(`[]`)}
	}
	if err := st.CommitBatch(ctx, run.ID, birthRef, state.Batch{Checkpoint: json.RawMessage(`{"cursor":"2026-12-01 08:30:00","key":["9"]}`),
		Counts: state.Counts{Read: 9, Inserted: 7, Rejected: 2}, Rejects: []state.Reject{rej("3"), rej("4")}}); err != nil {
		t.Fatal(err)
	}
	if err := st.FinishRun(ctx, run.ID, birthRef, state.Finish{Status: state.StatusSucceeded, ReadSource: true}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		run, err := st.StartRun(ctx, birthRef, "incremental")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, run.ID)
		if err := st.FinishRun(ctx, run.ID, birthRef, state.Finish{Status: state.StatusFailed, Error: "connection refused"}); err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

type streamView struct {
	server.StreamInfo
	LastRun             *state.Run `json:"last_run"`
	LastSuccessAt       *time.Time `json:"last_success_at"`
	RejectsOutstanding  int64      `json:"rejects_outstanding"`
	ConsecutiveFailures int64      `json:"consecutive_failures"`
	DataUpTo            string     `json:"data_up_to"`
}

// TestStreams: every registered stream is listed in the registry's order
// with what the ledger knows of it; a stream never run has no last run; a
// stream registered after the server started is listed at once.
func TestStreams(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *env) {
		ids := history(t, e.st)
		var got struct{ Streams []streamView }
		if resp := get(t, e.srv.URL, "/v1/streams", &got); resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
		if len(got.Streams) != len(streams) {
			t.Fatalf("%d streams, want %d", len(got.Streams), len(streams))
		}
		for i, s := range got.Streams {
			if s.StreamInfo != streams[i] {
				t.Errorf("stream %d = %+v, want %+v", i, s.StreamInfo, streams[i])
			}
		}
		b := got.Streams[2]
		if b.LastRun == nil || b.LastRun.ID != ids[2] || b.LastRun.Status != state.StatusFailed {
			t.Errorf("births' last run = %+v, want failed run %d", b.LastRun, ids[2])
		}
		if b.DataUpTo != "2026-12-01 08:30:00" {
			t.Errorf("births' data up to %q, want its checkpoint's cursor", b.DataUpTo)
		}
		if b.LastSuccessAt == nil || b.RejectsOutstanding != 2 || b.ConsecutiveFailures != 2 {
			t.Errorf("births: last success %v, %d rejects, %d failures in a row; want a time, 2, 2", b.LastSuccessAt, b.RejectsOutstanding, b.ConsecutiveFailures)
		}
		c := got.Streams[0]
		if c.LastRun != nil || c.LastSuccessAt != nil || c.RejectsOutstanding != 0 || c.ConsecutiveFailures != 0 {
			t.Errorf("cards, never run: %+v", c)
		}

		later := server.StreamInfo{Department: "bhxh", Source: "the-bhyt-db", Stream: "the-bhyt", Mode: "incremental", Kind: "health_insurance_card"}
		e.register(t, later, "postgres")
		got.Streams = nil
		get(t, e.srv.URL, "/v1/streams", &got)
		if len(got.Streams) != len(streams)+1 || got.Streams[1].StreamInfo != later {
			t.Errorf("after a registration: %+v, want %+v second", got.Streams, later)
		}
	})
}

// TestRuns: the run list, newest first, narrowed by stream name the way
// the CLI resolves it, bounded by limit; one run by id.
func TestRuns(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *env) {
		ids := history(t, e.st)
		var list struct{ Runs []state.Run }
		for _, path := range []string{"/v1/runs", "/v1/runs?stream=ho-tich/khai-sinh", "/v1/runs?stream=tu-phap/ho-tich/khai-sinh"} {
			list.Runs = nil
			get(t, e.srv.URL, path, &list)
			if len(list.Runs) != 3 || list.Runs[0].ID != ids[2] || list.Runs[2].ID != ids[0] {
				t.Errorf("GET %s: %d runs, want runs %v newest first", path, len(list.Runs), ids)
			}
		}
		list.Runs = nil
		get(t, e.srv.URL, "/v1/runs?stream=the-bhyt", &list)
		if len(list.Runs) != 0 {
			t.Errorf("runs of the-bhyt: %d, want none", len(list.Runs))
		}
		get(t, e.srv.URL, "/v1/runs?limit=1", &list)
		if len(list.Runs) != 1 || list.Runs[0].ID != ids[2] {
			t.Errorf("limit=1: %+v", list.Runs)
		}

		var run state.Run
		get(t, e.srv.URL, fmt.Sprintf("/v1/runs/%d", ids[0]), &run)
		if run.ID != ids[0] || run.Status != state.StatusSucceeded || run.Read != 9 || run.Inserted != 7 || run.Rejected != 2 || run.Ref != birthRef {
			t.Errorf("run %d = %+v", ids[0], run)
		}

		if p := wantProblem(t, e.srv.URL, "/v1/runs?stream=khai-sinh", http.StatusBadRequest); !strings.Contains(p.Detail, "ambiguous") {
			t.Errorf("ambiguous stream: %q", p.Detail)
		}
		wantProblem(t, e.srv.URL, "/v1/runs?stream=nope", http.StatusNotFound)
		wantProblem(t, e.srv.URL, "/v1/runs?stream=a//b", http.StatusBadRequest)
		wantProblem(t, e.srv.URL, "/v1/runs?limit=0", http.StatusBadRequest)
		wantProblem(t, e.srv.URL, "/v1/runs?limit=x", http.StatusBadRequest)
		wantProblem(t, e.srv.URL, fmt.Sprintf("/v1/runs/%d", ids[2]+100), http.StatusNotFound)
		wantProblem(t, e.srv.URL, "/v1/runs/abc", http.StatusBadRequest)
	})
}

// TestHealthAndReadiness: /healthz answers while the process runs;
// /readyz only when every check passes, and names the ones that fail.
func TestHealthAndReadiness(t *testing.T) {
	schedulerErr := errors.New("scheduler not started")
	e := newEnv(t, testdb.SQLite(t), server.Options{Ready: map[string]func(context.Context) error{
		"stores":    func(ctx context.Context) error { return nil },
		"scheduler": func(ctx context.Context) error { return schedulerErr },
		"panicky":   func(ctx context.Context) error { panic("boom") },
	}})
	var health map[string]string
	if resp := get(t, e.srv.URL, "/healthz", &health); resp.StatusCode != http.StatusOK || health["status"] != "ok" {
		t.Errorf("healthz: %d %v", resp.StatusCode, health)
	}
	p := wantProblem(t, e.srv.URL, "/readyz", http.StatusServiceUnavailable)
	if p.Checks["scheduler"] != schedulerErr.Error() || !strings.Contains(p.Checks["panicky"], "panicked") || p.Checks["stores"] != "" {
		t.Errorf("failing checks = %v", p.Checks)
	}

	ok := newEnv(t, testdb.SQLite(t), server.Options{Ready: map[string]func(context.Context) error{
		"stores": func(ctx context.Context) error { return nil },
	}})
	var ready struct {
		Status string
		Checks map[string]string
	}
	if resp := get(t, ok.srv.URL, "/readyz", &ready); resp.StatusCode != http.StatusOK || ready.Status != "ready" || ready.Checks["stores"] != "ok" {
		t.Errorf("readyz: %d %+v", resp.StatusCode, ready)
	}
}

// TestReadinessDeadline: a check that hangs fails by the request's
// deadline instead of holding the probe.
func TestReadinessDeadline(t *testing.T) {
	e := newEnv(t, testdb.SQLite(t), server.Options{Timeout: 100 * time.Millisecond, Ready: map[string]func(context.Context) error{
		"stores": func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() },
	}})
	p := wantProblem(t, e.srv.URL, "/readyz", http.StatusServiceUnavailable)
	if p.Checks["stores"] != context.DeadlineExceeded.Error() {
		t.Errorf("checks = %v", p.Checks)
	}
}

// TestMetricsEndpoint: /metrics serves main's registry in the text format.
func TestMetricsEndpoint(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "lienthong_test_total", Help: "A test counter."})
	c.Add(3)
	reg.MustRegister(c)
	e := newEnv(t, testdb.SQLite(t), server.Options{Gatherer: reg})
	resp, err := http.Get(e.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "lienthong_test_total 3") ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("GET /metrics: %d %s\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
}

// TestErrorsAreProblems: unknown paths, wrong methods, oversized bodies
// and a handler's panic all answer problem details, and the request id a
// caller sends comes back.
func TestErrorsAreProblems(t *testing.T) {
	e := newEnv(t, testdb.SQLite(t), server.Options{MaxBody: 16})
	wantProblem(t, e.srv.URL, "/v2/nothing", http.StatusNotFound)

	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/v1/runs", strings.NewReader("{}"))
	req.Header.Set("X-Request-Id", "abc-123")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var p server.Problem
	json.NewDecoder(resp.Body).Decode(&p)
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") == "" || p.RequestID != "abc-123" || resp.Header.Get("X-Request-Id") != "abc-123" {
		t.Errorf("POST /v1/runs: %d Allow=%q problem %+v", resp.StatusCode, resp.Header.Get("Allow"), p)
	}

	req, _ = http.NewRequest(http.MethodGet, e.srv.URL+"/v1/streams", strings.NewReader(strings.Repeat("x", 100)))
	req.Header.Set("X-Request-Id", "not a valid id!")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: %d, want 413", resp.StatusCode)
	}
	if id := resp.Header.Get("X-Request-Id"); id == "" || id == "not a valid id!" {
		t.Errorf("request id %q: an invalid caller id must be replaced", id)
	}

	// A handler that panics (here: no state store) answers 500.
	admin := clients.HashToken(adminTok)
	broken := httptest.NewServer(server.New(server.Options{Access: server.Access{AdminTokenHash: &admin}}))
	defer broken.Close()
	if p := wantProblem(t, broken.URL, "/v1/runs", http.StatusInternalServerError); strings.Contains(p.Detail, "nil pointer") {
		t.Errorf("the panic leaked into the answer: %q", p.Detail)
	}
}

// TestStoreDown: a state store that cannot answer gives a problem without
// the driver's error, which may name hosts.
func TestStoreDown(t *testing.T) {
	e := newEnv(t, testdb.Postgres(t), server.Options{})
	e.db.Close()
	p := wantProblem(t, e.srv.URL, "/v1/runs", http.StatusInternalServerError)
	if strings.Contains(p.Detail, "127.0.0.1") || strings.Contains(p.Detail, "sql") {
		t.Errorf("detail leaks the driver's error: %q", p.Detail)
	}
}

// TestStoreChecks: migrated stores are ready; a store one migration behind
// the binary, or closed, is not.
func TestStoreChecks(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *env) {
		checks := server.StoreChecks(e.db, e.st)
		for name, check := range checks {
			if err := check(t.Context()); err != nil {
				t.Errorf("%s on migrated stores: %v", name, err)
			}
		}
		if _, err := e.db.ExecContext(t.Context(), e.db.Rebind(`DELETE FROM lienthong_migrations WHERE set_name = ? AND version = 1`), "state"); err != nil {
			t.Fatal(err)
		}
		if err := checks["migrations"](t.Context()); err == nil || !strings.Contains(err.Error(), "1 state migrations pending") {
			t.Errorf("migrations check with one pending: %v", err)
		}
		e.db.Close()
		for _, name := range []string{"national_store", "state_store"} {
			if err := checks[name](t.Context()); err == nil {
				t.Errorf("%s passed on a closed database", name)
			}
		}
	})
}
