package server_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lienthong/lienthong/connectors"
	_ "github.com/lienthong/lienthong/connectors/httpjson"
	"github.com/lienthong/lienthong/examples"
	"github.com/lienthong/lienthong/mapping"
	"github.com/lienthong/lienthong/metrics"
	"github.com/lienthong/lienthong/sync/engine"
	"github.com/lienthong/lienthong/sync/state"
)

// cardAPI is a department API serving health insurance cards in pages;
// the page numbered hold waits until release is closed.
type cardAPI struct {
	cards   []map[string]any
	hold    int
	release chan struct{}
}

func newCardAPI(t *testing.T, n, hold int) (*cardAPI, *httptest.Server) {
	a := &cardAPI{hold: hold, release: make(chan struct{})}
	for i := range n {
		ssn := fmt.Sprintf("42%08d", i+1)
		a.cards = append(a.cards, map[string]any{
			"maThe": "HS442" + ssn, "maSoBHXH": ssn, "soDinhDanh": fmt.Sprintf("042%03d%06d", 200+i%50, i+1),
			"hoTen": "Nguyễn Văn An", "ngaySinh": "2010-05-01", "gioiTinh": "Nam", "diaChi": "Xã Thạch Hà, tỉnh Hà Tĩnh",
			"noiCap": "BHXH tỉnh Hà Tĩnh", "maKCB": "42001", "tenKCB": "Bệnh viện Đa khoa tỉnh Hà Tĩnh",
			"giaTriTu": "2025-01-01", "giaTriDen": "2025-12-31", "mucHuong": 4,
		})
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		size, _ := strconv.Atoi(r.URL.Query().Get("page_size"))
		if page < 1 {
			page = 1
		}
		if page == a.hold {
			select {
			case <-a.release:
			case <-r.Context().Done():
				return
			}
		}
		from := min((page-1)*size, len(a.cards))
		to := min(from+size, len(a.cards))
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"items": a.cards[from:to]}})
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		select {
		case <-a.release:
		default:
			close(a.release)
		}
	})
	return a, srv
}

// TestRunInProgressShowsLiveCounts: while a real engine run waits on its
// source for the second page, /v1/runs/{id} shows it running with the
// counts of the batch it committed; once the source answers, the run ends
// with every record counted.
func TestRunInProgressShowsLiveCounts(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *env) {
		const pageSize = 20
		api, apiSrv := newCardAPI(t, 50, 2)
		src, err := connectors.Open(t.Context(), connectors.Config{Name: "the-bhyt-api", Kind: "httpjson", Timeout: time.Minute,
			Options: map[string]any{"base_url": apiSrv.URL, "records_path": "data.items", "allow_networks": []any{"127.0.0.0/8"},
				"pagination": map[string]any{"type": "page", "size_param": "page_size"}}})
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		body, err := examples.Mappings.ReadFile("mappings/the-bhyt.yaml")
		if err != nil {
			t.Fatal(err)
		}
		m, err := mapping.Parse("the-bhyt.yaml", body)
		if err != nil {
			t.Fatal(err)
		}
		mx, err := metrics.New(prometheus.NewRegistry())
		if err != nil {
			t.Fatal(err)
		}
		eng := &engine.Engine{National: e.nat, State: e.st, Metrics: mx, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
		ref := state.Ref{Department: cards.Department, Source: cards.Source, Stream: cards.Stream}
		job := engine.Job{Ref: ref, Source: src, Mapper: m, Mode: connectors.FullRefresh, PageSize: pageSize,
			Stream: connectors.Stream{Name: cards.Stream, Table: "the-bhyt", PrimaryKey: []string{"maThe"}},
			// The batch is written as soon as it holds one page; no timer.
			Batch: engine.BatchPolicy{Size: pageSize, Period: time.Hour}}
		done := make(chan state.Run, 1)
		go func() {
			run, err := eng.Run(t.Context(), job)
			if err != nil {
				t.Errorf("run: %v", err)
			}
			done <- run
		}()

		// Wait for the first batch to be committed: the ledger then shows
		// the run with one page's counts.
		var run state.Run
		for {
			var list struct{ Runs []state.Run }
			get(t, e.srv.URL, "/v1/runs?stream=the-bhyt-api/the-bhyt", &list)
			if len(list.Runs) == 1 && list.Runs[0].Read > 0 {
				run = list.Runs[0]
				break
			}
			select {
			case r := <-done:
				t.Fatalf("the run ended (%s) before the test saw it in progress", r.Status)
			case <-time.After(10 * time.Millisecond):
			}
		}
		var live state.Run
		get(t, e.srv.URL, fmt.Sprintf("/v1/runs/%d", run.ID), &live)
		if live.Status != state.StatusRunning || live.EndedAt != nil || live.Read != pageSize || !live.Conserved() ||
			live.Inserted+live.Rejected != pageSize {
			t.Errorf("run in progress = %+v, want running with the %d records of its first batch", live, pageSize)
		}
		var sts struct{ Streams []streamView }
		get(t, e.srv.URL, "/v1/streams", &sts)
		if lr := sts.Streams[0].LastRun; lr == nil || lr.ID != run.ID || lr.Status != state.StatusRunning {
			t.Errorf("stream list shows last run %+v, want run %d running", lr, run.ID)
		}

		close(api.release)
		final := <-done
		var ended state.Run
		get(t, e.srv.URL, fmt.Sprintf("/v1/runs/%d", final.ID), &ended)
		if ended.Status != state.StatusSucceeded || ended.Read != 50 || ended.EndedAt == nil || !ended.Conserved() {
			t.Errorf("ended run = %+v, want succeeded with 50 records read", ended)
		}
	})
}
