package file

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/lienthong/lienthong/connectors"
)

func TestDiscover(t *testing.T) {
	dir := t.TempDir()
	births := "Số đăng ký;Họ tên;Ngày sinh;Cân nặng;Mã xã\n" +
		"1;Nguyễn Văn Đức;01/05/2024;3,2;042\n" +
		"2;Trần Thị Lan;15/05/2024;2,9;042\n" +
		"3;Lê Quang Vũ;;3,5;043\n"
	drop(t, dir, "khai-sinh-2024-05-01.csv", iconv(t, "TCVN5712-1", births), old)
	drop(t, dir, "khai-sinh-2024-05-02.csv", iconv(t, "TCVN5712-1", births), old-time.Minute)
	drop(t, dir, "ket-hon-01.csv", []byte("id,chong,vo\n7,An,Bình\n7,Cường,Dung\n"), old)
	path := filepath.Join(dir, "dan-cu.xlsx")
	writeXLSX(t, path)
	setAge(t, path, old)
	drop(t, dir, "notes.pdf", []byte("%PDF"), old)

	src := openSource(t, dir, nil)
	ds, err := src.DiscoverFiles(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, d := range ds {
		patterns = append(patterns, d.Pattern)
	}
	if want := []string{"dan-cu.xlsx", "ket-hon-*.csv", "khai-sinh-*.csv"}; !slices.Equal(patterns, want) {
		t.Fatalf("patterns = %q; want %q", patterns, want)
	}
	kh := ds[2]
	if kh.Files != 2 || kh.File != "khai-sinh-2024-05-02.csv" || kh.Encoding != "tcvn3" || kh.EncodingBy != byDetection ||
		kh.Confidence <= 0.5 || kh.Delimiter != ";" || kh.EstimatedRecords != 3 {
		t.Errorf("khai-sinh = %+v; want 2 files, the newest sampled, tcvn3 detected with confidence, ;", kh)
	}
	// The file is decoded whole: every column has its encoding.
	enc, conf := "tcvn3", kh.Confidence
	wantCols := []connectors.Column{
		{Name: "Số đăng ký", Type: "integer", Encoding: enc, EncodingConfidence: conf},
		{Name: "Họ tên", Type: "text", Encoding: enc, EncodingConfidence: conf},
		{Name: "Ngày sinh", Type: "date", Nullable: true, Encoding: enc, EncodingConfidence: conf},
		{Name: "Cân nặng", Type: "decimal", Encoding: enc, EncodingConfidence: conf},
		{Name: "Mã xã", Type: "text", Encoding: enc, EncodingConfidence: conf},
	}
	if !slices.Equal(kh.Columns, wantCols) {
		t.Errorf("columns = %+v; want %+v", kh.Columns, wantCols)
	}
	if !slices.Equal(kh.SuggestedKey, []string{"Số đăng ký"}) {
		t.Errorf("suggested key = %q; want the unique số column, not the repeated mã", kh.SuggestedKey)
	}
	if kh.Name != "khai-sinh-*.csv" {
		t.Errorf("name = %q; want the pattern, which goes into table", kh.Name)
	}
	if kd := ds[1]; len(kd.SuggestedKey) != 0 {
		t.Errorf("ket-hon suggested %q; its id repeats", kd.SuggestedKey)
	}
	if dc := ds[0]; dc.Format != formatXLSX || dc.Sheet != "Danh sách" {
		t.Errorf("dan-cu = %+v", dc)
	}
	infos, err := src.Discover(t.Context())
	if err != nil || len(infos) != 3 || infos[2].Name != "khai-sinh-*.csv" {
		t.Errorf("Discover = %+v, %v", infos, err)
	}
}

func TestPatternOf(t *testing.T) {
	tests := map[string]string{
		"khai-sinh-2024-05-01.csv":     "khai-sinh-*.csv",
		"khai-sinh-20240501.csv":       "khai-sinh-*.csv",
		"KhaiSinh_T5_2024.xlsx":        "KhaiSinh_T*.xlsx",
		"dan-cu.xlsx":                  "dan-cu.xlsx",
		"bao cao 01.05.2024 lan 2.csv": "bao cao * lan *.csv",
	}
	for in, want := range tests {
		if got := patternOf(in); got != want {
			t.Errorf("patternOf(%q) = %q; want %q", in, got, want)
		}
	}
}
