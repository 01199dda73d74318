package engine_test

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/lienthong/lienthong/connectors"
	_ "github.com/lienthong/lienthong/connectors/sqlsource"
	"github.com/lienthong/lienthong/examples"
	"github.com/lienthong/lienthong/internal/database"
	"github.com/lienthong/lienthong/internal/fixture"
	"github.com/lienthong/lienthong/internal/testdb"
	"github.com/lienthong/lienthong/mapping"
	"github.com/lienthong/lienthong/metrics"
	"github.com/lienthong/lienthong/national"
	"github.com/lienthong/lienthong/sync/engine"
	"github.com/lienthong/lienthong/sync/state"
)

// harness is a department database and lienthong's stores, all on the
// machine's real PostgreSQL, each in its own database.
type harness struct {
	t       *testing.T
	srcDB   *sql.DB
	src     connectors.Source
	eng     *engine.Engine
	nat     national.Store
	st      *state.Store
	reg     *prometheus.Registry
	mapper  *mapping.Mapper
	ref     state.Ref
	stream  connectors.Stream
	batch   int
	page    int
	natural func(id int) string
	// maxDelete and allowDeletions are the job's deletion guard.
	maxDelete      float64
	allowDeletions bool
	// retry is the job's RetryTransientFor.
	retry time.Duration
	// srcDSN and storeDSN are the department's database and lienthong's
	// stores.
	srcDSN, storeDSN string
	// storeDB is the stores' database, for what the stores' API does not
	// show.
	storeDB *database.DB
}

// storeDialects are the national and state store backends every behaviour
// must hold on: production PostgreSQL and the embedded SQLite default.
var storeDialects = []string{"postgres", "sqlite"}

func storeDSN(t *testing.T, dialect string) string {
	if dialect == "sqlite" {
		return testdb.SQLite(t)
	}
	return testdb.Postgres(t)
}

func newHarness(t *testing.T) *harness { return newHarnessOn(t, "postgres") }

func newHarnessOn(t *testing.T, dialect string) *harness {
	t.Helper()
	ctx := context.Background()
	srcDSN := testdb.Postgres(t)
	srcDB, err := sql.Open("postgres", srcDSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srcDB.Close() })
	if err := fixture.CreateKhaiSinh(srcDB); err != nil {
		t.Fatal(err)
	}
	src, err := connectors.Open(ctx, connectors.Config{Name: "ho-tich", Kind: "postgres", DSN: srcDSN})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	stores := storeDSN(t, dialect)
	db, err := database.Open(ctx, stores)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	nat, st := national.New(db), state.New(db)
	if _, err := nat.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	body, err := examples.Mappings.ReadFile("mappings/khai-sinh.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m, err := mapping.Parse("khai-sinh.yaml", body)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	mx, err := metrics.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{
		t: t, srcDB: srcDB, src: src, nat: nat, st: st, reg: reg, mapper: m,
		eng:    &engine.Engine{National: nat, State: st, Metrics: mx, Log: slog.New(slog.NewTextHandler(io.Discard, nil))},
		ref:    state.Ref{Department: "tu-phap", Source: "ho-tich", Stream: "khai-sinh"},
		stream: connectors.Stream{Name: "khai-sinh", Table: "khai_sinh", PrimaryKey: []string{"id"}, Cursor: "ngay_cap_nhat"},
		batch:  100, page: 70, maxDelete: 0.1,
		srcDSN: srcDSN, storeDSN: stores, storeDB: db,
	}
}

func (h *harness) seed(lo, hi, tie int) {
	h.t.Helper()
	if err := fixture.SeedKhaiSinh(h.srcDB, lo, hi, tie); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) exec(q string, args ...any) {
	h.t.Helper()
	if _, err := h.srcDB.Exec(q, args...); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) run(ctx context.Context, mode connectors.Mode) (state.Run, error) {
	return h.eng.Run(ctx, engine.Job{Ref: h.ref, Source: h.src, Stream: h.stream, Mode: mode, Mapper: h.mapper,
		PageSize: h.page, Batch: engine.BatchPolicy{Size: h.batch, Period: time.Second},
		MaxDeleteRatio: h.maxDelete, AllowDeletions: h.allowDeletions, RetryTransientFor: h.retry})
}

func (h *harness) mustRun(mode connectors.Mode) state.Run {
	h.t.Helper()
	r, err := h.run(context.Background(), mode)
	if err != nil {
		h.t.Fatalf("run: %v", err)
	}
	if r.Status != state.StatusSucceeded {
		h.t.Fatalf("run %d status %s: %s", r.ID, r.Status, r.Error)
	}
	if !r.Conserved() {
		h.t.Fatalf("run %d does not conserve: %+v", r.ID, r.Counts)
	}
	return r
}

func (h *harness) rejects() int {
	h.t.Helper()
	rs, err := h.st.Rejects(context.Background(), state.Filter{Stream: h.ref.Stream})
	if err != nil {
		h.t.Fatal(err)
	}
	return len(rs)
}

func (h *harness) live() int64 {
	h.t.Helper()
	n, err := h.nat.Count(context.Background(), h.ref.Department, h.ref.Source, h.ref.Stream)
	if err != nil {
		h.t.Fatal(err)
	}
	return n
}

func wantCounts(t *testing.T, r state.Run, want state.Counts) {
	t.Helper()
	if r.Counts != want {
		t.Fatalf("run %d counts\n got %+v\nwant %+v", r.ID, r.Counts, want)
	}
}

func TestConservation(t *testing.T) {
	for _, d := range storeDialects {
		t.Run(d, func(t *testing.T) { testConservation(t, newHarnessOn(t, d)) })
	}
}

func testConservation(t *testing.T, h *harness) {
	h.seed(1, 1000, 1)
	r := h.mustRun(connectors.Incremental)
	wantCounts(t, r, state.Counts{Read: 1000, Inserted: 980, Rejected: 20})
	if h.live() != 980 || h.rejects() != 20 {
		t.Fatalf("live %d rejects %d, want 980 and 20", h.live(), h.rejects())
	}
	if got := testutil.ToFloat64(h.eng.Metrics.Records.WithLabelValues("tu-phap", "ho-tich", "khai-sinh", "write", "inserted")); got != 980 {
		t.Errorf("lienthong_records_total{stage=write,outcome=inserted} = %v, want 980", got)
	}
	if problems, err := testutil.GatherAndLint(h.reg); err != nil || len(problems) > 0 {
		t.Errorf("metrics lint: %v %v", err, problems)
	}

	// A day of edits: 30 rows change (5 of them were rejected and are now
	// fixed), 10 rows are new, 3 rows lose their cursor.
	bump := `ngay_cap_nhat = timestamptz '2025-06-01 00:00:00+07'`
	h.exec(`UPDATE khai_sinh SET que_quan = 'Xã Thạch Trị, huyện Thạch Hà, tỉnh Hà Tĩnh', ` + bump + ` WHERE id BETWEEN 101 AND 125`)
	h.exec(`UPDATE khai_sinh SET ho_ten = 'Lê Thị Hoa', ` + bump + ` WHERE id IN (50, 100, 150, 200, 250)`)
	h.seed(1001, 1010, 1)
	h.exec(`UPDATE khai_sinh SET ngay_cap_nhat = NULL WHERE id IN (7, 8, 9)`)
	r = h.mustRun(connectors.Incremental)
	wantCounts(t, r, state.Counts{Read: 43, Inserted: 15, Updated: 25, Unchanged: 3, NullCursor: 3})
	if h.live() != 995 || h.rejects() != 15 {
		t.Fatalf("live %d rejects %d, want 995 and 15 (fixed records leave the rejects)", h.live(), h.rejects())
	}

	// Nothing changed: only the rows without a cursor are read again.
	r = h.mustRun(connectors.Incremental)
	wantCounts(t, r, state.Counts{Read: 3, Unchanged: 3, NullCursor: 3})
}

func TestTieOnCursorAcrossRuns(t *testing.T) {
	h := newHarness(t)
	h.batch, h.page = 4, 3
	// Seven rows share each cursor value; pages of 3 and batches of 4 cut
	// through every group.
	h.seed(1, 95, 7)
	r := h.mustRun(connectors.Incremental)
	if r.Read != 95 || r.Inserted+r.Rejected != 95 {
		t.Fatalf("first run: %+v", r.Counts)
	}
	// Rows 96..97 share the cursor value of rows 91..95, which the
	// checkpoint already passed: a cursor-only checkpoint would skip them.
	h.seed(96, 97, 7)
	r = h.mustRun(connectors.Incremental)
	wantCounts(t, r, state.Counts{Read: 2, Inserted: 2})
	// And a cursor-only "greater or equal" would read 91..97 again.
	r = h.mustRun(connectors.Incremental)
	wantCounts(t, r, state.Counts{})
	if h.live() != 97-1 {
		t.Fatalf("live = %d, want 96", h.live())
	}
}

func TestLateRowLookBack(t *testing.T) {
	h := newHarness(t)
	h.stream.LookBack = "10m"
	h.seed(1, 100, 1)
	h.mustRun(connectors.Incremental)
	// A transaction that began earlier commits now, with a cursor value
	// 30 seconds below the checkpoint.
	h.seed(101, 101, 1)
	h.exec(`UPDATE khai_sinh SET ngay_cap_nhat = timestamptz '2025-01-01 00:00:00+07' + interval '70 seconds' WHERE id = 101`)
	r := h.mustRun(connectors.Incremental)
	if r.Inserted != 1 || r.Updated != 0 {
		t.Fatalf("late row: %+v, want exactly 1 inserted and nothing updated", r.Counts)
	}
	// The look-back window re-read rows 1..100 at no cost downstream.
	if r.Unchanged != 98 || r.Rejected != 2 {
		t.Fatalf("re-read rows: %+v, want 98 unchanged and the 2 known rejects", r.Counts)
	}
	if h.live() != 99 {
		t.Fatalf("live = %d, want 99", h.live())
	}
}

// cancelAfter cancels the run after the national store committed n batches,
// as a crash between the national write and the state commit would.
type cancelAfter struct {
	national.Store
	n      int
	cancel context.CancelFunc
}

func (c *cancelAfter) WriteBatch(ctx context.Context, p national.Provenance, b national.Batch) (national.Result, error) {
	res, err := c.Store.WriteBatch(ctx, p, b)
	if c.n--; c.n == 0 {
		c.cancel()
	}
	return res, err
}

func TestFullRefreshDeletion(t *testing.T) {
	for _, d := range storeDialects {
		t.Run(d, func(t *testing.T) { testFullRefreshDeletion(t, newHarnessOn(t, d)) })
	}
}

func testFullRefreshDeletion(t *testing.T, h *harness) {
	h.seed(1, 200, 1)
	r := h.mustRun(connectors.FullRefresh)
	wantCounts(t, r, state.Counts{Read: 200, Inserted: 196, Rejected: 4})

	h.exec(`DELETE FROM khai_sinh WHERE id IN (1, 2, 3, 4, 5)`)
	key := func(id string) string { return "UBND xã Thạch Kênh, huyện Thạch Hà|" + id + "/2024" }

	// A full refresh that dies halfway marks nothing deleted.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	real := h.eng.National
	h.eng.National = &cancelAfter{Store: real, n: 1, cancel: cancel}
	r, err := h.run(ctx, connectors.FullRefresh)
	h.eng.National = real
	if err == nil || r.Status != state.StatusFailed || r.Deleted != 0 {
		t.Fatalf("interrupted full refresh: err %v, run %+v", err, r)
	}
	if doc, ok, err := h.nat.Get(context.Background(), "birth_registration", key("1")); err != nil || !ok || doc.Deleted {
		t.Fatalf("record 1 after a failed full refresh: %+v %v %v, want live", doc, ok, err)
	}

	// The next full refresh resumes the same generation and completes it.
	r = h.mustRun(connectors.FullRefresh)
	if r.Deleted != 5 {
		t.Fatalf("deleted = %d, want 5", r.Deleted)
	}
	if doc, ok, err := h.nat.Get(context.Background(), "birth_registration", key("1")); err != nil || !ok || !doc.Deleted {
		t.Fatalf("record 1 after the full refresh: %+v %v %v, want deleted", doc, ok, err)
	}
	if h.live() != 191 {
		t.Fatalf("live = %d, want 191", h.live())
	}
	// A record that comes back is live again.
	h.seed(1, 1, 1)
	r = h.mustRun(connectors.FullRefresh)
	if r.Updated != 1 || r.Deleted != 0 || h.live() != 192 {
		t.Fatalf("returning record: %+v live %d", r.Counts, h.live())
	}
}

func TestBusyStream(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	run, err := h.st.StartRun(ctx, h.ref, "incremental")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.run(ctx, connectors.Incremental); !errors.Is(err, state.ErrBusy) {
		t.Fatalf("second run while %d holds the stream: %v, want ErrBusy", run.ID, err)
	}
}

// An incremental run between a failed full refresh and its resumption reads
// rows that exist: the resumed full refresh must not mark them deleted.
func TestIncrementalDuringUnfinishedFullRefresh(t *testing.T) {
	h := newHarness(t)
	h.seed(1, 300, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	real := h.eng.National
	h.eng.National = &cancelAfter{Store: real, n: 2, cancel: cancel}
	if r, err := h.run(ctx, connectors.FullRefresh); err == nil || r.Status != state.StatusFailed {
		t.Fatalf("interrupted full refresh: %v %+v", err, r)
	}
	h.eng.National = real
	// Row 151 (already read by the full refresh) gets a new certificate
	// number: its natural key changes.
	h.exec(`UPDATE khai_sinh SET so_dang_ky = '9151/2024', ngay_cap_nhat = timestamptz '2025-06-01 00:00:00+07' WHERE id = 151`)
	// The stream was never read incrementally: this run reads everything,
	// and finds rows 201-300 (98 valid) and the renumbered row new.
	r := h.mustRun(connectors.Incremental)
	if r.Inserted != 99 {
		t.Fatalf("incremental run: %+v, want 99 inserted", r.Counts)
	}
	r = h.mustRun(connectors.FullRefresh)
	if r.Read != 100 {
		t.Fatalf("the full refresh read %d rows, want the 100 after its first two batches", r.Read)
	}
	if r.Deleted != 0 {
		t.Fatalf("resumed full refresh deleted %d records, want 0", r.Deleted)
	}
	doc, ok, err := h.nat.Get(context.Background(), "birth_registration", "UBND xã Thạch Kênh, huyện Thạch Hà|9151/2024")
	if err != nil || !ok || doc.Deleted {
		t.Fatalf("row 151's record after the full refresh: %+v %v %v, want live", doc, ok, err)
	}
	if live := h.live(); live != 300-6 {
		t.Fatalf("live = %d, want %d", live, 300-6)
	}
}

// A row that became invalid at the source is still there: a full refresh
// keeps its last good record, and the reject says what is wrong. A rejected
// row deleted at the source leaves the rejects.
func TestFullRefreshKeepsRejectedRowsAndDropsGoneRejects(t *testing.T) {
	for _, d := range storeDialects {
		t.Run(d, func(t *testing.T) {
			h := newHarnessOn(t, d)
			h.seed(1, 20, 1)
			h.mustRun(connectors.FullRefresh)
			h.exec(`UPDATE khai_sinh SET ho_ten = '' WHERE id IN (5, 7)`)
			r := h.mustRun(connectors.FullRefresh)
			if r.Deleted != 0 || r.Rejected != 2 || h.live() != 20 || h.rejects() != 2 {
				t.Fatalf("full refresh with two rows now invalid: %+v, live %d, rejects %d; want nothing deleted, 2 rejects", r.Counts, h.live(), h.rejects())
			}
			h.exec(`DELETE FROM khai_sinh WHERE id = 7`)
			r = h.mustRun(connectors.FullRefresh)
			if r.Deleted != 1 || h.rejects() != 1 || h.live() != 19 {
				t.Fatalf("after row 7 left the source: %+v, live %d, rejects %d; want 1 deleted, 1 reject left", r.Counts, h.live(), h.rejects())
			}
		})
	}
}

// After a department fixes its mapping, the records it rejected are
// delivered from the rejects store without touching the stream's position.
func TestRetryRejects(t *testing.T) {
	h := newHarness(t)
	h.seed(1, 100, 1)
	h.mustRun(connectors.Incremental)
	if h.rejects() != 2 {
		t.Fatalf("rejects = %d, want 2 (rows without a name)", h.rejects())
	}
	before, err := h.st.State(context.Background(), h.ref)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := examples.Mappings.ReadFile("mappings/khai-sinh.yaml")
	fixed := strings.Replace(string(body), "full_name:          name(ho_ten)", `full_name:          default(name(ho_ten), "Chưa rõ tên")`, 1)
	if fixed == string(body) {
		t.Fatal("the example mapping changed; update this test's edit")
	}
	m, err := mapping.Parse("khai-sinh.yaml", []byte(fixed))
	if err != nil {
		t.Fatal(err)
	}
	r, err := h.eng.RetryRejects(context.Background(), engine.Job{Ref: h.ref, Stream: h.stream, Mapper: m,
		Batch: engine.BatchPolicy{Size: 10, Period: time.Second}}, "required_missing")
	if err != nil || r.Status != state.StatusSucceeded || r.Mode != string(engine.Retry) {
		t.Fatalf("retry: %v %+v", err, r)
	}
	wantCounts(t, r, state.Counts{Read: 2, Inserted: 2})
	if h.rejects() != 0 || h.live() != 100 {
		t.Fatalf("after retry: %d rejects, %d live; want 0 and 100", h.rejects(), h.live())
	}
	after, err := h.st.State(context.Background(), h.ref)
	if err != nil {
		t.Fatal(err)
	}
	if string(after.Checkpoint) != string(before.Checkpoint) {
		t.Fatalf("retry moved the checkpoint from %s to %s", before.Checkpoint, after.Checkpoint)
	}
}

// A full refresh that reads nothing while records are live is far more
// likely a broken source than an emptied one: it must not delete them all.
func TestEmptyFullRefreshRefused(t *testing.T) {
	h := newHarness(t)
	h.seed(1, 10, 1)
	h.mustRun(connectors.FullRefresh)
	h.exec(`DELETE FROM khai_sinh`)
	r, err := h.run(context.Background(), connectors.FullRefresh)
	if !errors.Is(err, engine.ErrEmptyFullRefresh) || r.Status != state.StatusFailed || h.live() != 10 {
		t.Fatalf("empty full refresh: %v, %+v, live %d; want refused and 10 live", err, r, h.live())
	}
	// Told the source really is empty, it deletes them.
	r, err = h.eng.Run(context.Background(), engine.Job{Ref: h.ref, Source: h.src, Stream: h.stream, Mode: connectors.FullRefresh,
		Mapper: h.mapper, PageSize: h.page, Batch: engine.BatchPolicy{Size: h.batch, Period: time.Second}, AllowEmpty: true,
		MaxDeleteRatio: h.maxDelete})
	if err != nil || r.Deleted != 10 || h.live() != 0 {
		t.Fatalf("allowed empty full refresh: %v, %+v, live %d", err, r.Counts, h.live())
	}
}

// A mapping that reads a column the stream does not have fails the run on
// its first batch instead of rejecting every record of the source.
func TestMappingMismatchFailsTheRun(t *testing.T) {
	h := newHarness(t)
	h.seed(1, 300, 1)
	body, _ := examples.Mappings.ReadFile("mappings/khai-sinh.yaml")
	wrong := strings.Replace(string(body), "ho_ten_me, so_dinh_danh_me", "ho_ten_mej, so_dinh_danh_me", 1)
	wrong = strings.Replace(wrong, "name(ho_ten_me)", "name(ho_ten_mej)", 1)
	m, err := mapping.Parse("khai-sinh.yaml", []byte(wrong))
	if err != nil {
		t.Fatal(err)
	}
	h.mapper = m
	r, err := h.run(context.Background(), connectors.Incremental)
	if !errors.Is(err, engine.ErrMappingMismatch) || !strings.Contains(err.Error(), "ho_ten_mej") || r.Status != state.StatusFailed {
		t.Fatalf("run with a mapping that does not fit: %v %+v", err, r)
	}
	if h.rejects() != 0 {
		t.Fatalf("%d rejects stored; a mapping that fits no record must not fill the rejects", h.rejects())
	}
}

// A row the mapping now skips on purpose (marked as a test row) takes its
// earlier record out of the national store.
func TestSkippedRowRetiresItsRecord(t *testing.T) {
	for _, d := range storeDialects {
		t.Run(d, func(t *testing.T) {
			h := newHarnessOn(t, d)
			h.seed(1, 20, 1)
			h.mustRun(connectors.Incremental)
			h.exec(`UPDATE khai_sinh SET so_dang_ky = 'TEST-3', ngay_cap_nhat = timestamptz '2025-06-01 00:00:00+07' WHERE id = 3`)
			r := h.mustRun(connectors.Incremental)
			if r.Skipped != 1 || r.Deleted != 1 || h.live() != 19 {
				t.Fatalf("after row 3 became a test row: %+v, live %d; want 1 skipped, 1 deleted, 19 live", r.Counts, h.live())
			}
		})
	}
}
