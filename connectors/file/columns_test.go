package file

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestColumns: the header of the newest complete file, read as records
// read it (the stream's encoding, delimiter, header row and sheet; names in
// NFC, unnamed columns left out), even when the stream's key is not in it;
// not ok when no complete file is there.
func TestColumns(t *testing.T) {
	ctx := context.Background()
	t.Run("csv", func(t *testing.T) {
		dir := t.TempDir()
		src := openSource(t, dir, map[string]any{"header": 2, "encoding": "windows-1258", "delimiter": ";"})
		st := stream("ho-tich-*.csv", "Số định danh")
		if cols, ok, err := src.Columns(ctx, st); ok || err != nil {
			t.Fatalf("empty folder: columns %q, ok %v, err %v; want not ok", cols, ok, err)
		}
		drop(t, dir, "ho-tich-1.csv", iconv(t, "CP1258", "BÁO CÁO\nid;Họ tên\n1;An\n"), 2*old)
		drop(t, dir, "ho-tich-2.csv", iconv(t, "CP1258", "BÁO CÁO\nSố định danh ; Họ và tên;;Ngày sinh\n1;An;;2000\n"), old)
		drop(t, dir, "ho-tich-3.csv", []byte("still being written"), 0)
		cols, ok, err := src.Columns(ctx, st)
		if err != nil || !ok {
			t.Fatalf("columns %q, ok %v, err %v", cols, ok, err)
		}
		if got := strings.Join(cols, "|"); got != "Số định danh|Họ và tên|Ngày sinh" {
			t.Errorf("columns %q, want the newest complete file's header", got)
		}
		recs, _ := readAll(t, openSource(t, dir, map[string]any{"header": 2, "encoding": "windows-1258", "delimiter": ";", "min_age": "1h"}),
			stream("ho-tich-2.csv", "Số định danh"), "incremental", nil)
		for name := range recs[0].Fields {
			if !strings.Contains("|"+strings.Join(cols, "|")+"|", "|"+name+"|") {
				t.Errorf("a record's field %q is not among the columns %q", name, cols)
			}
		}
		if len(recs[0].Fields) != len(cols) {
			t.Errorf("record fields %v, columns %q", recs[0].Fields, cols)
		}
		// The stream's key need not be in the header: that is the
		// mapping check's and Check's to report.
		if cols, ok, err := src.Columns(ctx, stream("ho-tich-*.csv", "khoa")); !ok || err != nil || len(cols) != 3 {
			t.Errorf("another key: columns %q, ok %v, err %v", cols, ok, err)
		}
	})
	t.Run("xlsx", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "khai-sinh-05.xlsx")
		writeXLSX(t, path)
		setAge(t, path, time.Hour)
		src := openSource(t, dir, map[string]any{"header": 3})
		cols, ok, err := src.Columns(ctx, stream("khai-sinh-*.xlsx", "Số định danh"))
		if err != nil || !ok {
			t.Fatalf("columns %q, ok %v, err %v", cols, ok, err)
		}
		if got := strings.Join(cols, "|"); got != "Số định danh|Họ tên|Ngày sinh|Ngày đăng ký|Mã hồ sơ|Ghi chú" {
			t.Errorf("columns %q", got)
		}
	})
}
