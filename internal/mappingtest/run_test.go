package mappingtest_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/internal/mappingtest"
	"github.com/lienthong/lienthong/mapping"
)

// TestRun maps one good, one bad and one skipped record through the
// example birth-registration mapping and checks the report's records and
// summary.
func TestRun(t *testing.T) {
	m, err := mapping.Load(filepath.Join("..", "..", "examples", "mappings", "khai-sinh.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	base := map[string]any{"so_dang_ky": "12/2024", "co_quan_dang_ky": "UBND xã Thạch Kênh", "ngay_dang_ky": "05/03/2024",
		"ho_ten": "nguyễn   văn an", "ngay_sinh": "01/03/2024", "gioi_tinh": "Nam", "so_dinh_danh": "042224000123",
		"noi_sinh": "", "que_quan": "", "dan_toc": "", "quoc_tich": "", "ho_ten_me": "", "so_dinh_danh_me": "",
		"ho_ten_cha": "", "so_dinh_danh_cha": ""}
	with := func(k string, v any) map[string]any {
		c := map[string]any{}
		for kk, vv := range base {
			c[kk] = vv
		}
		c[k] = v
		return c
	}
	rep := mappingtest.Run(m, []connectors.Record{
		{Key: "a", Fields: base},
		{Key: "b", Fields: with("ngay_sinh", "31/02/2024")},
		{Key: "c", Fields: with("so_dang_ky", "TEST-1")},
	}, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	if rep.Kind != "birth_registration" || rep.Version == "" {
		t.Fatalf("report names %q version %q", rep.Kind, rep.Version)
	}
	if s := rep.Summary; s.Records != 3 || s.Mapped != 1 || s.Rejected != 1 || s.Skipped != 1 {
		t.Fatalf("summary %+v", s)
	}
	if got := rep.Records[0].Record["full_name"]; got != "Nguyễn Văn An" {
		t.Errorf("record a: full_name %v", got)
	}
	if v := rep.Records[1].Violations; len(v) == 0 || v[0].Code != "bad_date" {
		t.Errorf("record b: %+v", rep.Records[1])
	}
	if rep.Summary.Reasons[0].Reason != "bad_date" || rep.Summary.Reasons[0].Count != 1 {
		t.Errorf("reasons %+v", rep.Summary.Reasons)
	}
	if rep.Records[2].Skipped == "" {
		t.Errorf("record c not skipped: %+v", rep.Records[2])
	}
}
