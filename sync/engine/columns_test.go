package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/examples"
	"github.com/lienthong/lienthong/mapping"
	"github.com/lienthong/lienthong/sync/engine"
	"github.com/lienthong/lienthong/sync/state"
)

// memSource is a department system held in memory: a peer of the SQL and
// file sources, which tells its columns before a read as they do.
type memSource struct {
	cols  []string
	rows  []map[string]any
	reads int // Read calls: a run that must not read leaves it at 0
}

var (
	_ connectors.Source       = (*memSource)(nil)
	_ connectors.ColumnLister = (*memSource)(nil)
)

func (s *memSource) Check(context.Context, connectors.Stream) error { return nil }
func (s *memSource) Close() error                                   { return nil }

func (s *memSource) Columns(context.Context, connectors.Stream) ([]string, bool, error) {
	return s.cols, true, nil
}

func (s *memSource) Read(_ context.Context, req connectors.ReadRequest) (connectors.Reader, error) {
	s.reads++
	next := 0
	if req.From != nil {
		if err := json.Unmarshal(req.From, &next); err != nil {
			return nil, err
		}
	}
	return &memReader{src: s, next: next}, nil
}

type memReader struct {
	src  *memSource
	next int
}

func (r *memReader) Next(context.Context) (connectors.Record, error) {
	if r.next >= len(r.src.rows) {
		return connectors.Record{}, connectors.ErrEndOfStream
	}
	i := r.next
	r.next++
	return connectors.Record{Key: fmt.Sprint(r.src.rows[i]["id"]), Fields: r.src.rows[i],
		Position: json.RawMessage(strconv.Itoa(r.next))}, nil
}

func (r *memReader) Final() connectors.Checkpoint { return json.RawMessage(strconv.Itoa(r.next)) }
func (r *memReader) Close() error                 { return nil }

// blindSource is memSource without its column list, as an HTTP API whose
// records vary: only the first batch can tell a mapping does not fit.
type blindSource struct{ src *memSource }

func (b blindSource) Check(ctx context.Context, s connectors.Stream) error {
	return b.src.Check(ctx, s)
}
func (b blindSource) Close() error { return nil }
func (b blindSource) Read(ctx context.Context, req connectors.ReadRequest) (connectors.Reader, error) {
	return b.src.Read(ctx, req)
}

// khaiSinhRows makes civil-status rows lo..hi with the fixture table's
// columns; rows whose id is in test are officers' test rows, which the
// example mapping skips.
func khaiSinhRows(lo, hi int, test func(id int) bool) *memSource {
	s := &memSource{cols: []string{"id", "so_dang_ky", "co_quan_dang_ky", "ngay_dang_ky", "ho_ten", "ngay_sinh", "gioi_tinh",
		"so_dinh_danh", "noi_sinh", "que_quan", "dan_toc", "quoc_tich", "ho_ten_me", "so_dinh_danh_me", "ho_ten_cha", "so_dinh_danh_cha"}}
	for id := lo; id <= hi; id++ {
		num := fmt.Sprintf("%d/2024", id)
		if test(id) {
			num = "TEST-" + strconv.Itoa(id)
		}
		s.rows = append(s.rows, map[string]any{"id": int64(id), "so_dang_ky": num,
			"co_quan_dang_ky": "UBND xã Thạch Kênh, huyện Thạch Hà", "ngay_dang_ky": "05/03/2024",
			"ho_ten": "Nguyễn Văn " + strconv.Itoa(id), "ngay_sinh": "01/03/2024", "gioi_tinh": "Nữ",
			"so_dinh_danh": fmt.Sprintf("042324%06d", id), "noi_sinh": "Bệnh viện Đa khoa tỉnh Hà Tĩnh",
			"que_quan": "Xã Thạch Kênh, huyện Thạch Hà, tỉnh Hà Tĩnh", "dan_toc": "Kinh", "quoc_tich": "Việt Nam",
			"ho_ten_me": "Trần Thị Lan", "so_dinh_danh_me": "042185000001", "ho_ten_cha": "Nguyễn Văn Hùng",
			"so_dinh_danh_cha": "042082000002"})
	}
	return s
}

// wrongMapping is the example mapping reading its mother's name from
// ho_ten_mej and her ID number from cccd_me, columns no stream has.
func wrongMapping(t *testing.T) *mapping.Mapper {
	t.Helper()
	body, err := examples.Mappings.ReadFile("mappings/khai-sinh.yaml")
	if err != nil {
		t.Fatal(err)
	}
	wrong := strings.NewReplacer("ho_ten_me, so_dinh_danh_me", "ho_ten_mej, cccd_me",
		"name(ho_ten_me)", "name(ho_ten_mej)", `id(so_dinh_danh_me, "F")`, `id(cccd_me, "F")`).Replace(string(body))
	m, err := mapping.Parse("khai-sinh.yaml", []byte(wrong))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// A source that can list its columns is checked against the mapping
// before anything is read: the run fails in the ledger, names every
// missing column and the stream's columns, and reads nothing.
func TestColumnCheckFailsBeforeReading(t *testing.T) {
	for _, d := range storeDialects {
		t.Run(d, func(t *testing.T) {
			h := newHarnessOn(t, d)
			src := khaiSinhRows(1, 50, func(id int) bool { return id <= 30 })
			job := engine.Job{Ref: h.ref, Source: src, Stream: h.stream, Mode: connectors.Incremental, Mapper: wrongMapping(t),
				Batch: engine.BatchPolicy{Size: 40, Period: time.Second}}
			r, err := h.eng.Run(context.Background(), job)
			if !errors.Is(err, engine.ErrMappingMismatch) || r.Status != state.StatusFailed {
				t.Fatalf("run with a mapping that reads missing columns: %v, %+v; want ErrMappingMismatch and a failed run", err, r)
			}
			for _, want := range []string{`"cccd_me", "ho_ten_mej"`, "the stream's columns are id, so_dang_ky,", "ho_ten_me,"} {
				if !strings.Contains(r.Error, want) {
					t.Errorf("ledger error %q lacks %q", r.Error, want)
				}
			}
			if src.reads != 0 || r.Read != 0 || h.rejects() != 0 {
				t.Fatalf("the source was read %d times, the ledger says %d read, %d rejects; want nothing read", src.reads, r.Read, h.rejects())
			}
			st, err := h.st.State(context.Background(), h.ref)
			if err != nil || st.Checkpoint != nil {
				t.Fatalf("checkpoint after the failed run: %s %v, want none", st.Checkpoint, err)
			}
		})
	}
}

// Where the source cannot list its columns, the first batch is the test,
// and records the mapping skips on purpose must not pass for records that
// fit: a first batch of test rows and rows lacking a column fails the run.
func TestSkippedRowsDoNotHideAMismatch(t *testing.T) {
	for name, test := range map[string]func(int) bool{
		"first batch mixed":        func(id int) bool { return id%3 == 0 },
		"first batch only skipped": func(id int) bool { return id <= 40 },
	} {
		t.Run(name, func(t *testing.T) {
			h := newHarnessOn(t, "sqlite")
			src := khaiSinhRows(1, 120, test)
			job := engine.Job{Ref: h.ref, Source: blindSource{src}, Stream: h.stream, Mode: connectors.Incremental, Mapper: wrongMapping(t),
				Batch: engine.BatchPolicy{Size: 40, Period: time.Minute}}
			r, err := h.eng.Run(context.Background(), job)
			if !errors.Is(err, engine.ErrMappingMismatch) || r.Status != state.StatusFailed {
				t.Fatalf("run: %v, %+v; want ErrMappingMismatch and a failed run", err, r)
			}
			if h.rejects() != 0 || r.Rejected != 0 {
				t.Fatalf("%d rejects stored, ledger %+v: a mapping that fits no record must not fill the rejects", h.rejects(), r.Counts)
			}
		})
	}
}
