package file

import (
	"slices"
	"testing"
	"unicode/utf16"

	"golang.org/x/text/unicode/norm"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/mapping/vn"
)

// birthsCSV is a small Vietnamese export; enough words for detection.
const birthsCSV = "so_dk,ho_ten,noi_sinh,ghi_chu\r\n" +
	"1,Nguyễn Văn Đức,Hà Tĩnh,Khai sinh đúng hạn\r\n" +
	"2,Trần Thị Lan,Thạch Hà,Bố mẹ đăng ký kết hôn\r\n" +
	"3,Lê Quang Vũ,Cẩm Xuyên,Trẻ sinh tại bệnh viện tỉnh\r\n"

func utf16LE(s string, bom bool) []byte {
	var b []byte
	if bom {
		b = append(b, 0xFF, 0xFE)
	}
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u), byte(u>>8))
	}
	return b
}

func utf16BE(s string) []byte {
	b := []byte{0xFE, 0xFF}
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u>>8), byte(u))
	}
	return b
}

func TestReadEncodings(t *testing.T) {
	// VNI-Windows has no iconv table: these bytes are from the VNI chart.
	vni := []byte("so_dk,ho_ten,noi_sinh,ghi_chu\r\n" +
		"1,Nguye\xe3n Va\xean \xd1\xf6\xf9c,Ha\xf8 T\xf3nh,Khai sinh\r\n" +
		"2,Tra\xe0n Th\xf2 Lan,Tha\xefch Ha\xf8,Kho\xe2ng\r\n" +
		"3,Le\xe2 Quang Vu\xf5,Ca\xfbm Xuye\xe2n,Kho\xe2ng\r\n")
	tests := []struct {
		name     string
		content  func(t *testing.T) []byte
		encoding string // option; "" detects
		wantEnc  vn.Encoding
		wantBy   string
	}{
		{"utf-8 without BOM", func(*testing.T) []byte { return []byte(birthsCSV) }, "", vn.UTF8, byDetection},
		{"utf-8 with BOM", func(*testing.T) []byte { return append([]byte{0xEF, 0xBB, 0xBF}, birthsCSV...) }, "", vn.UTF8, byBOM},
		{"utf-8 decomposed becomes NFC", func(*testing.T) []byte { return norm.NFD.Bytes([]byte(birthsCSV)) }, "", vn.UTF8, byDetection},
		{"utf-16le with BOM", func(*testing.T) []byte { return utf16LE(birthsCSV, true) }, "", vn.UTF16LE, byBOM},
		{"utf-16be with BOM", func(*testing.T) []byte { return utf16BE(birthsCSV) }, "", vn.UTF16BE, byBOM},
		{"utf-16le without BOM detected", func(*testing.T) []byte { return utf16LE(birthsCSV, false) }, "", vn.UTF16LE, byDetection},
		{"utf-16le without BOM declared", func(*testing.T) []byte { return utf16LE(birthsCSV, false) }, "utf-16", vn.UTF16LE, bySetting},
		{"BOM wins over the option", func(*testing.T) []byte { return utf16LE(birthsCSV, true) }, "tcvn3", vn.UTF16LE, byBOM},
		{"windows-1258 detected", func(t *testing.T) []byte { return iconv(t, "CP1258", birthsCSV) }, "", vn.CP1258, byDetection},
		{"windows-1258 declared", func(t *testing.T) []byte { return iconv(t, "CP1258", birthsCSV) }, "cp1258", vn.CP1258, bySetting},
		{"tcvn3 detected", func(t *testing.T) []byte { return iconv(t, "TCVN5712-1", birthsCSV) }, "", vn.TCVN3, byDetection},
		{"tcvn3 declared", func(t *testing.T) []byte { return iconv(t, "TCVN5712-1", birthsCSV) }, "abc", vn.TCVN3, bySetting},
		{"vni detected", func(*testing.T) []byte { return vni }, "", vn.VNI, byDetection},
		{"vni declared", func(*testing.T) []byte { return vni }, "vni", vn.VNI, bySetting},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			drop(t, dir, "khai-sinh-1.csv", tt.content(t), old)
			opts := map[string]any{}
			if tt.encoding != "" {
				opts["encoding"] = tt.encoding
			}
			src := openSource(t, dir, opts)
			ds, err := src.DiscoverFiles(t.Context())
			if err != nil || len(ds) != 1 {
				t.Fatalf("DiscoverFiles = %v, %v", ds, err)
			}
			if ds[0].Encoding != string(tt.wantEnc) || ds[0].EncodingBy != tt.wantBy {
				t.Errorf("encoding %s by %s (confidence %.2f); want %s by %s", ds[0].Encoding, ds[0].EncodingBy, ds[0].Confidence, tt.wantEnc, tt.wantBy)
			}
			recs, _ := readAll(t, src, stream("khai-sinh-*.csv", "so_dk"), connectors.Incremental, nil)
			if len(problems(recs)) > 0 {
				t.Fatalf("problems: %+v", problems(recs)[0].Problem)
			}
			if got := keys(recs); !slices.Equal(got, []string{"1", "2", "3"}) {
				t.Fatalf("keys = %q", got)
			}
			if got := recs[0].Fields["ho_ten"]; got != "Nguyễn Văn Đức" {
				t.Errorf("ho_ten = %q (% x); want Nguyễn Văn Đức in NFC", got, got)
			}
			if got := recs[0].Fields["noi_sinh"]; got != "Hà Tĩnh" {
				t.Errorf("noi_sinh = %q; want Hà Tĩnh", got)
			}
			if got := recs[1].Fields["noi_sinh"]; got != "Thạch Hà" {
				t.Errorf("noi_sinh = %q; want Thạch Hà", got)
			}
		})
	}
}

// A byte the encoding leaves unassigned spoils its row only.
func TestUndecodableRow(t *testing.T) {
	dir := t.TempDir()
	// 0x81 is a byte Windows-1258 leaves unassigned.
	content := slices.Concat(iconv(t, "CP1258", "so_dk,ho_ten\n1,Nguyễn Văn Đức\n"), []byte("2,H\x81\n"),
		iconv(t, "CP1258", "3,Trần Thị Lan\n"))
	drop(t, dir, "a.csv", content, old)
	src := openSource(t, dir, map[string]any{"encoding": "windows-1258"})
	recs, _ := readAll(t, src, stream("*.csv", "so_dk"), connectors.Incremental, nil)
	if got := keys(good(recs)); !slices.Equal(got, []string{"1", "3"}) {
		t.Errorf("good keys = %q; want 1 and 3", got)
	}
	bad := problems(recs)
	if len(bad) != 1 || bad[0].Key != "a.csv:3" || bad[0].Problem.Code != CodeMalformedRow {
		t.Fatalf("problems = %+v; want one malformed_row at a.csv:3", bad)
	}
	if msg := bad[0].Problem.Message; msg[:len("a.csv line 3: ")] != "a.csv line 3: " {
		t.Errorf("message = %q; want it to start with the file and line", msg)
	}
}

// TestByteOrderMarkOnALaterLine: the file's byte order mark is not data,
// but a U+FEFF that starts a later line is, in every encoding that has
// one, as encoding/csv keeps it; the line decoder must not drop it as if
// each line were a file.
func TestByteOrderMarkOnALaterLine(t *testing.T) {
	const text = "so_dk,ho_ten\n1,An\n\ufeff2,Bình\n"
	for _, c := range []struct {
		name string
		data []byte
	}{
		{"utf-8", append([]byte("\xef\xbb\xbf"), text...)},
		{"utf-16le", utf16LE(text, true)},
		{"utf-16be", utf16BE(text)},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			drop(t, dir, "a.csv", c.data, old)
			src := openSource(t, dir, nil)
			recs, _ := readAll(t, src, stream("*.csv", "so_dk"), connectors.Incremental, nil)
			if got := keys(good(recs)); !slices.Equal(got, []string{"1", "\ufeff2"}) {
				t.Errorf("keys = %q; want 1 and \\ufeff2", got)
			}
		})
	}
}
