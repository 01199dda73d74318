package file

import (
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/mapping/vn"
)

var discoverNames = []string{"Nguyễn Văn Đức", "Trần Thị Hồng Nhung", "Lê Quang Vũ", "Phạm Ngọc Ánh", "Đặng Hữu Phước"}

// abcFont is a name typed in a TCVN3 (ABC) font and saved as Unicode, as
// Excel and a UTF-8 export of a latin1 database hold it: each TCVN3 byte
// read as Windows-1252.
func abcFont(t testing.TB, s string) string {
	t.Helper()
	b, err := vn.Encode(vn.TCVN3, s)
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	for _, c := range b {
		r := charmap.Windows1252.DecodeByte(c)
		if r == utf8.RuneError {
			r = rune(c)
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

type wantEncoding struct {
	enc string
	min float64
}

func checkEncodings(t *testing.T, cols []connectors.Column, want map[string]wantEncoding) {
	t.Helper()
	if len(cols) != len(want) {
		t.Fatalf("columns %+v; want %d", cols, len(want))
	}
	for _, c := range cols {
		t.Logf("%s: %q %.3f", c.Name, c.Encoding, c.EncodingConfidence)
		w, ok := want[c.Name]
		if !ok || c.Encoding != w.enc || c.EncodingConfidence < w.min || c.EncodingConfidence > 1 || (w.enc == "" && c.EncodingConfidence != 0) {
			t.Errorf("column %s: encoding %q, %.3f; want %q, at least %.2f", c.Name, c.Encoding, c.EncodingConfidence, w.enc, w.min)
		}
	}
}

func discoverOne(t *testing.T, dir string, opts map[string]any) Discovered {
	t.Helper()
	ds, err := openSource(t, dir, opts).DiscoverFiles(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 || ds[0].Problem != "" {
		t.Fatalf("discovered %+v; want one stream", ds)
	}
	return ds[0]
}

// TestDiscoverEncodingUTF8CSV: a UTF-8 export whose old names column holds
// TCVN3 misread as Windows-1252 reports tcvn3 there, the file's UTF-8
// elsewhere.
func TestDiscoverEncodingUTF8CSV(t *testing.T) {
	dir := t.TempDir()
	var sb strings.Builder
	sb.WriteString("id,ho_ten,ho_ten_cu,ghi_chu\n")
	for i, n := range discoverNames {
		sb.WriteString(strings.Join([]string{string(rune('1' + i)), n, abcFont(t, n), ""}, ",") + "\n")
	}
	drop(t, dir, "nguoi.csv", []byte(sb.String()), old)
	d := discoverOne(t, dir, nil)
	if d.Encoding != "utf-8" {
		t.Fatalf("file encoding %q; want utf-8", d.Encoding)
	}
	checkEncodings(t, d.Columns, map[string]wantEncoding{
		"id":        {"utf-8", d.Confidence},
		"ho_ten":    {"utf-8", d.Confidence},
		"ho_ten_cu": {"tcvn3", 0.9},
		"ghi_chu":   {"utf-8", d.Confidence},
	})
}

// TestDiscoverEncodingLegacyCSV: a Windows-1258 file is decoded whole;
// every column reports its encoding.
func TestDiscoverEncodingLegacyCSV(t *testing.T) {
	dir := t.TempDir()
	drop(t, dir, "nguoi.csv", iconv(t, "CP1258", "id;ho_ten\n1;"+strings.Join(discoverNames, "\n2;")+"\n"), old)
	d := discoverOne(t, dir, nil)
	if d.Encoding != "windows-1258" || d.Confidence < 0.8 {
		t.Fatalf("file encoding %q %.3f; want windows-1258", d.Encoding, d.Confidence)
	}
	checkEncodings(t, d.Columns, map[string]wantEncoding{
		"id":     {"windows-1258", d.Confidence},
		"ho_ten": {"windows-1258", d.Confidence},
	})
}

// TestDiscoverEncodingXLSX: cells typed in an ABC font are TCVN3 misread;
// Unicode cells are UTF-8; an empty column tells nothing.
func TestDiscoverEncodingXLSX(t *testing.T) {
	dir := t.TempDir()
	f := excelize.NewFile()
	defer f.Close()
	set := func(cell string, v any) {
		t.Helper()
		if err := f.SetCellValue("Sheet1", cell, v); err != nil {
			t.Fatal(err)
		}
	}
	for i, h := range []string{"Số", "Họ tên", "Họ tên (ABC)", "Ghi chú"} {
		set(string(rune('A'+i))+"1", h)
	}
	for i, n := range discoverNames {
		row := string(rune('2' + i))
		set("A"+row, i+1)
		set("B"+row, n)
		set("C"+row, abcFont(t, n))
	}
	path := filepath.Join(dir, "nguoi.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	setAge(t, path, old)
	d := discoverOne(t, dir, nil)
	checkEncodings(t, d.Columns, map[string]wantEncoding{
		"Số":           {"utf-8", 1},
		"Họ tên":       {"utf-8", 0.9},
		"Họ tên (ABC)": {"tcvn3", 0.9},
		"Ghi chú":      {"", 0},
	})
}
