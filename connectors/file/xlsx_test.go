package file

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/lienthong/lienthong/connectors"
)

// writeXLSX builds a workbook as a department's Excel would: a title row,
// the header on row 3, IDs stored as numbers, dates as serial numbers with
// a date format.
func writeXLSX(t *testing.T, path string) {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sh := "Danh sách"
	if err := f.SetSheetName("Sheet1", sh); err != nil {
		t.Fatal(err)
	}
	style := func(s *excelize.Style) int {
		id, err := f.NewStyle(s)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	custom := func(code string) int { return style(&excelize.Style{CustomNumFmt: &code}) }
	zeros, scientific := custom("000000000000"), style(&excelize.Style{NumFmt: 11})
	shortDate, vnDate := style(&excelize.Style{NumFmt: 14}), custom("dd/mm/yyyy")

	set := func(cell string, v any, styleID int) {
		t.Helper()
		if err := f.SetCellValue(sh, cell, v); err != nil {
			t.Fatal(err)
		}
		if styleID != 0 {
			if err := f.SetCellStyle(sh, cell, cell, styleID); err != nil {
				t.Fatal(err)
			}
		}
	}
	set("A1", "DANH SÁCH KHAI SINH THÁNG 5/2024", 0)
	for i, h := range []string{"Số định danh", "Họ tên", "Ngày sinh", "Ngày đăng ký", "Mã hồ sơ", "Ghi chú"} {
		cell, _ := excelize.CoordinatesToCellName(i+1, 3)
		set(cell, h, 0)
	}
	may1 := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	// Row 4: a 12-digit ID kept with its zero by the format; a code in
	// General format; the ID of row 5 is shown in scientific notation.
	set("A4", 42090123456, zeros)
	set("B4", "Nguyễn Văn Đức", 0)
	set("C4", may1, shortDate)
	set("D4", may1.AddDate(0, 0, 14), vnDate)
	set("E4", 420901234567, 0)
	set("F4", "Hà Tĩnh", 0)
	set("A5", 42090123457, scientific)
	set("B5", "Trần Thị Lan", 0)
	set("C5", may1.AddDate(0, 1, 0), shortDate)
	set("E5", int64(1234567890123456), 0) // beyond Excel's 15 digits: shown as 1.23456789012346E+15
	// Row 6 is empty; row 7 has no ID; row 8 has a value beyond the header.
	set("B7", "Không có số", 0)
	set("A8", 42090123458, zeros)
	set("H8", "lạc cột", 0)
	set("A9", 42090123459, zeros)
	set("B9", "Lê Quang Vũ", 0)
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
}

func TestReadXLSX(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "khai-sinh-05.xlsx")
	writeXLSX(t, path)
	setAge(t, path, old)
	src := openSource(t, dir, map[string]any{"header": 3})
	recs, _ := readAll(t, src, stream("khai-sinh-*.xlsx", "Số định danh"), connectors.Incremental, nil)
	if got, want := keys(recs), []string{"042090123456", "42090123457", "khai-sinh-05.xlsx:7", "khai-sinh-05.xlsx:8", "042090123459"}; !slices.Equal(got, want) {
		t.Fatalf("keys = %q; want %q", got, want)
	}
	tests := []struct {
		name  string
		rec   int
		field string
		want  any
	}{
		{"ID formatted with zeros keeps its leading zero", 0, "Số định danh", "042090123456"},
		{"General number has no exponent", 0, "Mã hồ sơ", "420901234567"},
		{"scientific format written in full", 1, "Số định danh", "42090123457"},
		{"16 digits written as stored", 1, "Mã hồ sơ", "1234567890123456"},
		{"built-in short date as ISO", 0, "Ngày sinh", "2024-05-01"},
		{"custom date as shown", 0, "Ngày đăng ký", "15/05/2024"},
		{"Vietnamese text in NFC", 0, "Họ tên", "Nguyễn Văn Đức"},
		{"empty cell is nil", 1, "Ngày đăng ký", nil},
		{"missing trailing cell is nil", 1, "Ghi chú", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := recs[tt.rec].Fields[tt.field]
			if !ok || got != tt.want {
				t.Errorf("%s = %#v (present %v); want %#v", tt.field, got, ok, tt.want)
			}
		})
	}
	if p := recs[2].Problem; p == nil || p.Code != CodeMissingKey || !strings.Contains(p.Message, "khai-sinh-05.xlsx row 7") {
		t.Errorf("row 7 problem = %+v; want missing_key at row 7", p)
	}
	if p := recs[3].Problem; p == nil || p.Code != CodeMalformedRow || !strings.Contains(p.Message, "khai-sinh-05.xlsx row 8: 8 fields, the header has 6") {
		t.Errorf("row 8 problem = %+v; want malformed_row", p)
	}
	if len(recs[0].Fields) != 6 {
		t.Errorf("fields = %v; want the six header columns", recs[0].Fields)
	}
}

func TestReadXLSXSheet(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.xlsx")
	writeXLSX(t, path)
	setAge(t, path, old)
	st := stream("*.xlsx", "Số định danh")
	src := openSource(t, dir, map[string]any{"header": 3, "sheet": "Danh sách"})
	if recs, _ := readAll(t, src, st, connectors.Incremental, nil); len(good(recs)) != 3 {
		t.Errorf("named sheet: %d good records", len(good(recs)))
	}
	src = openSource(t, dir, map[string]any{"header": 3, "sheet": "Trang 2"})
	recs, _ := readAll(t, src, st, connectors.Incremental, nil)
	if len(recs) != 1 || recs[0].Problem == nil || !strings.Contains(recs[0].Problem.Message, `the workbook has no sheet "Trang 2"; it has "Danh sách"`) {
		t.Errorf("missing sheet: %+v", recs)
	}
	// Resuming a spreadsheet skips the delivered rows.
	src = openSource(t, dir, map[string]any{"header": 3})
	all, _ := readAll(t, src, st, connectors.Incremental, nil)
	rest, _ := readAll(t, src, st, connectors.Incremental, all[1].Checkpoint())
	if !slices.Equal(keys(rest), keys(all[2:])) {
		t.Errorf("resumed = %q; want %q", keys(rest), keys(all[2:]))
	}
}

func TestPlainNumber(t *testing.T) {
	tests := []struct {
		shown, raw, want string
	}{
		{"4.21E+10", "42090123456", "42090123456"},
		{"1.23456789012346E+15", "1234567890123456", "1234567890123456"},
		{"4.2E+10", "4.2090123456E+10", "42090123456"},
		{"1E+3", "1E+3 km", "1E+3"}, // a text cell that reads like a number
	}
	for _, tt := range tests {
		got := tt.shown
		if isScientific(tt.shown) {
			if p, ok := plainNumber(tt.raw); ok {
				got = p
			}
		}
		if got != tt.want {
			t.Errorf("shown %q, stored %q: %q; want %q", tt.shown, tt.raw, got, tt.want)
		}
	}
	for _, s := range []string{"E", "1E", "Nguyen", "2E-3x", "Inf"} {
		if isScientific(s) {
			t.Errorf("isScientific(%q) = true", s)
		}
	}
}
