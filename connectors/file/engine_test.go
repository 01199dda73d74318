package file

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/examples"
	"github.com/lienthong/lienthong/internal/database"
	"github.com/lienthong/lienthong/internal/testdb"
	"github.com/lienthong/lienthong/mapping"
	"github.com/lienthong/lienthong/metrics"
	"github.com/lienthong/lienthong/national"
	"github.com/lienthong/lienthong/sync/engine"
	"github.com/lienthong/lienthong/sync/state"
)

// khaiSinhCSV is the civil-status fixture (internal/fixture's rows lo..hi,
// every 50th without a name) as a department's CSV export, in UTF-8.
func khaiSinhCSV(lo, hi int) string {
	var b strings.Builder
	b.WriteString("so_dang_ky,co_quan_dang_ky,ngay_dang_ky,ho_ten,ngay_sinh,gioi_tinh,so_dinh_danh,noi_sinh,que_quan," +
		"dan_toc,quoc_tich,ho_ten_me,so_dinh_danh_me,ho_ten_cha,so_dinh_danh_cha\r\n")
	for g := lo; g <= hi; g++ {
		name, sex, digit := fmt.Sprintf("Nguyễn Văn  %d", g), "Nữ", 3
		if g%50 == 0 {
			name = ""
		}
		if g%2 == 0 {
			sex, digit = "Nam", 2
		}
		fmt.Fprintf(&b, "%d/2024,\"UBND xã Thạch Kênh, huyện Thạch Hà\",05/03/2024,%s,01/03/2024,%s,042%d24%06d,"+
			"Bệnh viện Đa khoa tỉnh Hà Tĩnh,\"Xã Thạch Kênh, huyện Thạch Hà, tỉnh Hà Tĩnh\",Kinh,Việt Nam,"+
			"Trần Thị Lan,042185000001,Nguyễn Văn Hùng,042082000002\r\n", g, name, sex, digit, g)
	}
	return b.String()
}

// syncHarness is the real engine with SQLite national and state stores.
type syncHarness struct {
	t   *testing.T
	eng *engine.Engine
	nat national.Store
	st  *state.Store
	m   *mapping.Mapper
	src *Source
	ref state.Ref
}

func newSyncHarness(t *testing.T, dir string, opts map[string]any) *syncHarness {
	t.Helper()
	ctx := context.Background()
	db, err := database.Open(ctx, testdb.SQLite(t))
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
	mx, err := metrics.New(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	return &syncHarness{t: t, nat: nat, st: st, m: m, src: openSource(t, dir, opts),
		eng: &engine.Engine{National: nat, State: st, Metrics: mx, Log: slog.New(slog.NewTextHandler(io.Discard, nil))},
		ref: state.Ref{Department: "tu-phap", Source: "ho-tich-files", Stream: "khai-sinh"}}
}

func (h *syncHarness) run(ctx context.Context, src connectors.Source, mode connectors.Mode) (state.Run, error) {
	st := connectors.Stream{Name: "khai-sinh", Table: "khai-sinh-*.csv", PrimaryKey: []string{"so_dang_ky"}}
	return h.eng.Run(ctx, engine.Job{Ref: h.ref, Source: src, Stream: st, Mode: mode, Mapper: h.m,
		PageSize: 100, Batch: engine.BatchPolicy{Size: 40, Period: time.Minute}})
}

func (h *syncHarness) mustRun(mode connectors.Mode) state.Run {
	h.t.Helper()
	r, err := h.run(context.Background(), h.src, mode)
	if err != nil || r.Status != state.StatusSucceeded || !r.Conserved() {
		h.t.Fatalf("run: %v, %+v", err, r)
	}
	return r
}

func (h *syncHarness) live() int64 {
	h.t.Helper()
	n, err := h.nat.Count(context.Background(), h.ref.Department, h.ref.Source, h.ref.Stream)
	if err != nil {
		h.t.Fatal(err)
	}
	return n
}

// killingSource ends its run's context after n records, as a killed
// process would stop: the engine commits nothing after.
type killingSource struct {
	*Source
	n      int
	cancel context.CancelFunc
}

func (k *killingSource) Read(ctx context.Context, req connectors.ReadRequest) (connectors.Reader, error) {
	r, err := k.Source.Read(ctx, req)
	return &killingReader{Reader: r, k: k}, err
}

type killingReader struct {
	connectors.Reader
	k *killingSource
}

func (r *killingReader) Next(ctx context.Context) (connectors.Record, error) {
	if r.k.n--; r.k.n < 0 {
		r.k.cancel()
		<-ctx.Done()
		return connectors.Record{}, ctx.Err()
	}
	return r.Reader.Next(ctx)
}

// Through the real engine: files are synced once, a malformed row is a
// reject while its file syncs, and a run killed in the middle of a file is
// finished by the next one without losing or repeating a row.
func TestEngineIncremental(t *testing.T) {
	dir := t.TempDir()
	h := newSyncHarness(t, dir, nil)
	drop(t, dir, "khai-sinh-1.csv", iconv(t, "CP1258", khaiSinhCSV(1, 100)), old)
	r := h.mustRun(connectors.Incremental)
	if r.Counts != (state.Counts{Read: 100, Inserted: 98, Rejected: 2}) || h.live() != 98 {
		t.Fatalf("first run %+v, live %d", r.Counts, h.live())
	}
	if r = h.mustRun(connectors.Incremental); r.Counts != (state.Counts{}) {
		t.Fatalf("nothing new, yet %+v", r.Counts)
	}
	broken := strings.Replace(khaiSinhCSV(101, 150), "\r\n120/2024,", "\r\n120/2024,\"unclosed,", 1)
	drop(t, dir, "khai-sinh-2.csv", []byte(broken), old-time.Minute)
	if r = h.mustRun(connectors.Incremental); r.Counts != (state.Counts{Read: 50, Inserted: 48, Rejected: 2}) {
		t.Fatalf("second file %+v; want row 120 and the nameless 150 rejected", r.Counts)
	}
	rs, err := h.st.Rejects(context.Background(), state.Filter{Stream: h.ref.Stream})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, rj := range rs {
		if rj.SourceKey == "khai-sinh-2.csv:21" && rj.Reason == CodeMalformedRow && strings.Contains(rj.Message, "khai-sinh-2.csv line 21") {
			found = true
		}
	}
	if !found {
		t.Errorf("rejects %+v; want malformed_row at khai-sinh-2.csv:21", rs)
	}

	drop(t, dir, "khai-sinh-3.csv", []byte(khaiSinhCSV(151, 400)), old-2*time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	killed, err := h.run(ctx, &killingSource{Source: h.src, n: 130, cancel: cancel}, connectors.Incremental)
	// Whether the batch in flight when the context ended commits is a race;
	// whole batches of 40 do, nothing after the 130th record.
	if err == nil || killed.Status == state.StatusSucceeded || killed.Read == 0 || killed.Read%40 != 0 || killed.Read > 130 {
		t.Fatalf("killed run: %v, %+v; want it failed after whole batches", err, killed)
	}
	r = h.mustRun(connectors.Incremental)
	if r.Read != 250-killed.Read || r.Inserted+killed.Inserted != 245 || r.Updated+r.Unchanged != 0 {
		t.Errorf("resumed run %+v after %+v; want the %d rows not committed, none twice", r.Counts, killed.Counts, 250-killed.Read)
	}
	if h.live() != 98+48+245 {
		t.Errorf("live %d; want %d", h.live(), 98+48+245)
	}
}

// A snapshot stream in full refresh: the newest export is the whole truth,
// rows absent from it are deleted.
func TestEngineSnapshot(t *testing.T) {
	dir := t.TempDir()
	h := newSyncHarness(t, dir, map[string]any{"streams": map[string]any{"khai-sinh": map[string]any{"snapshot": true}}})
	drop(t, dir, "khai-sinh-1.csv", []byte(khaiSinhCSV(1, 100)), old)
	if r := h.mustRun(connectors.FullRefresh); r.Counts != (state.Counts{Read: 100, Inserted: 98, Rejected: 2}) {
		t.Fatalf("first refresh %+v", r.Counts)
	}
	drop(t, dir, "khai-sinh-2.csv", []byte(khaiSinhCSV(1, 80)), old-time.Minute)
	r := h.mustRun(connectors.FullRefresh)
	if r.Counts != (state.Counts{Read: 80, Unchanged: 79, Rejected: 1, Deleted: 19}) || h.live() != 79 {
		t.Errorf("second refresh %+v, live %d; want rows 81-100 deleted", r.Counts, h.live())
	}
	if _, err := h.run(context.Background(), h.src, connectors.Incremental); err == nil {
		t.Errorf("incremental run of a snapshot stream succeeded")
	}
}
