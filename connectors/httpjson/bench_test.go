package httpjson_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/lienthong/lienthong/connectors"
)

// BenchmarkRead reads 100,000 records in pages of 1,000 from an httptest
// server, incrementally with a cursor, and reports records per second. The
// pages are rendered before the clock starts, so the figure is the
// connector's: HTTP, JSON decoding, conversion and positions.
func BenchmarkRead(b *testing.B) {
	const (
		records  = 100_000
		pageSize = 1000
	)
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	pages := make([][]byte, records/pageSize+1)
	for p := range pages {
		recs := []map[string]any{}
		for i := p*pageSize + 1; i <= min((p+1)*pageSize, records); i++ {
			recs = append(recs, map[string]any{
				"id": i, "updated_at": start.Add(time.Duration(i/3) * time.Second).Format(time.RFC3339),
				"ho_ten": "Nguyễn Văn " + strconv.Itoa(i), "ngay_sinh": "2000-01-02", "can_nang": 3.25,
				"tinh": "Hà Tĩnh", "so_dinh_danh": fmt.Sprintf("%012d", i),
			})
		}
		body, err := json.Marshal(map[string]any{"data": recs})
		if err != nil {
			b.Fatal(err)
		}
		pages[p] = body
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := strconv.Atoi(r.URL.Query().Get("page"))
		if p < 1 || p > len(pages) {
			p = len(pages)
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(pages[p-1])
	}))
	defer srv.Close()
	src, err := connectors.Open(b.Context(), connectors.Config{Name: "bench", Kind: "httpjson", Options: map[string]any{
		"base_url": srv.URL, "records_path": "data", "pagination": map[string]any{"type": "page", "size_param": "page_size"},
		"allow_networks": []any{"127.0.0.0/8"},
	}})
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	st := connectors.Stream{Name: "births", Table: "births", PrimaryKey: []string{"id"}, Cursor: "updated_at"}
	ctx := b.Context()
	total := 0
	b.ReportAllocs()
	for b.Loop() {
		r, err := src.Read(ctx, connectors.ReadRequest{Stream: st, Mode: connectors.Incremental, PageSize: pageSize})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			if _, err := r.Next(ctx); err != nil {
				if !errors.Is(err, connectors.ErrEndOfStream) {
					b.Fatal(err)
				}
				break
			}
			n++
		}
		r.Close()
		if n != records {
			b.Fatalf("read %d records, want %d", n, records)
		}
		total += n
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "records/s")
}
