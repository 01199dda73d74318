package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lienthong/lienthong/internal/cli"
	"github.com/lienthong/lienthong/mapping/vn"
)

const sampleCSV = `so_dang_ky,co_quan_dang_ky,ngay_dang_ky,ho_ten,ngay_sinh,gioi_tinh,so_dinh_danh,noi_sinh,que_quan,dan_toc,quoc_tich,ho_ten_me,so_dinh_danh_me,ho_ten_cha,so_dinh_danh_cha
12/2024,UBND xã Thạch Kênh,05/03/2024,nguyễn   văn an,01/03/2024,Nam,042224000123,Bệnh viện Đa khoa tỉnh Hà Tĩnh,Thạch Hà,,,Trần Thị Bình,042195000456,Nguyễn Văn Cường,042092000789
13/2024,UBND xã Thạch Kênh,05/03/2024,Lê Thị Hoa,31/02/2024,Nữ,042324000124,,,,,,,,
TEST-1,UBND xã Thạch Kênh,05/03/2024,Thử Nghiệm,01/03/2024,Nam,,,,,,,,,
14/2024,UBND xã Thạch Kênh,05/03/2024,Phan Văn Bình,01/03/2024,Nữ,042224000125,,,,,,,,
`

func TestMappingTest(t *testing.T) {
	dir := t.TempDir()
	sample := filepath.Join(dir, "sample.csv")
	if err := os.WriteFile(sample, []byte(sampleCSV), 0o644); err != nil {
		t.Fatal(err)
	}
	mappingFile := filepath.Join("..", "..", "examples", "mappings", "khai-sinh.yaml")
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := cli.Main(context.Background(), args, cli.Env{Stdout: &out, Stderr: &errOut,
			Getenv: func(string) string { return "" }})
		return code, out.String(), errOut.String()
	}
	code, out, errOut := run("mapping", "test", "--mapping", mappingFile, "--input", sample, "--config", filepath.Join(dir, "none.yaml"))
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{
		`"full_name":"Nguyễn Văn An"`, `"date_of_birth":"2024-03-01"`, // line 2 mapped, name normalised
		"REJECTED  bad_date", // line 3: 31/02 is not a date
		"SKIPPED   test row", // line 4: the mapping's skip rule
		"id_sex_mismatch",    // line 5: the ID says male, the record female
		"4 records: 1 mapped, 2 rejected, 1 skipped",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	code, out, _ = run("mapping", "test", "--mapping", mappingFile, "--input", sample, "--json", "--config", filepath.Join(dir, "none.yaml"))
	var report struct {
		Records []struct {
			Key        string
			Record     map[string]any
			Violations []struct{ Field, Code string }
		}
		Summary struct {
			Mapped, Rejected, Skipped int
			Reasons                   []struct {
				Reason string
				Count  int
			}
		}
	}
	if code != 0 || json.Unmarshal([]byte(out), &report) != nil {
		t.Fatalf("--json: exit %d\n%s", code, out)
	}
	if s := report.Summary; s.Mapped != 1 || s.Rejected != 2 || s.Skipped != 1 || len(s.Reasons) != 2 {
		t.Fatalf("summary %+v", s)
	}
	if v := report.Records[1].Violations; len(v) == 0 || v[0].Field != "date_of_birth" || report.Records[1].Key != "line 3" {
		t.Fatalf("record 2: %+v", report.Records[1])
	}

	// A department's own export, in TCVN3 with semicolons, reads the same.
	legacy, err := vn.Encode(vn.TCVN3, strings.ReplaceAll(sampleCSV, ",", ";"))
	if err != nil {
		t.Fatal(err)
	}
	tcvn := filepath.Join(dir, "sample-tcvn3.csv")
	os.WriteFile(tcvn, legacy, 0o644)
	code, out, errOut = run("mapping", "test", "--mapping", mappingFile, "--input", tcvn, "--config", filepath.Join(dir, "none.yaml"))
	if code != 0 || !strings.Contains(out, "4 records: 1 mapped, 2 rejected, 1 skipped") || !strings.Contains(out, `"full_name":"Nguyễn Văn An"`) {
		t.Fatalf("TCVN3 sample: exit %d\n%s\n%s", code, out, errOut)
	}

	// JSON lines work the same way.
	jsonl := filepath.Join(dir, "sample.jsonl")
	os.WriteFile(jsonl, []byte(`{"so_dang_ky":"15/2024","co_quan_dang_ky":"UBND xã Thạch Kênh","ngay_dang_ky":"05/03/2024","ho_ten":"Võ Văn Nam","ngay_sinh":"01/03/2024","gioi_tinh":"Nam","so_dinh_danh":"042224000126","noi_sinh":null,"que_quan":null,"dan_toc":null,"quoc_tich":null,"ho_ten_me":null,"so_dinh_danh_me":null,"ho_ten_cha":null,"so_dinh_danh_cha":null}`+"\n"), 0o644)
	code, out, errOut = run("mapping", "test", "--mapping", mappingFile, "--input", jsonl, "--config", filepath.Join(dir, "none.yaml"))
	if code != 0 || !strings.Contains(out, "1 records: 1 mapped") || !strings.Contains(out, `"id_number":"042224000126"`) {
		t.Fatalf("jsonl: exit %d\n%s\n%s", code, out, errOut)
	}
}

// TestMappingTestNormalisation: mapping test shows, per record and per
// field, what lienthong changes in the data: values repaired from legacy
// text misread into a Unicode column, values a normaliser reformatted, and
// values rejected, with encoding_suspect showing both readings.
func TestMappingTestNormalisation(t *testing.T) {
	dir := t.TempDir()
	sample := filepath.Join(dir, "sample.jsonl")
	rows := []map[string]any{
		{"so_dang_ky": "12/2024", "co_quan_dang_ky": "UBND xã Thạch Kênh", "ngay_dang_ky": "05/03/2024", "ho_ten": "NguyÔn ThÞ H\u00ad¬ng",
			"ngay_sinh": "2024-03-01", "gioi_tinh": "F", "so_dinh_danh": "042.324.000.123", "noi_sinh": "", "que_quan": "", "dan_toc": "", "quoc_tich": "",
			"ho_ten_me": "", "so_dinh_danh_me": "", "ho_ten_cha": "", "so_dinh_danh_cha": ""},
		{"so_dang_ky": "13/2024", "co_quan_dang_ky": "UBND xã Thạch Kênh", "ngay_dang_ky": "05/03/2024", "ho_ten": "BiÒm Sõn",
			"ngay_sinh": "2024-03-01", "gioi_tinh": "F", "so_dinh_danh": "042324000124", "noi_sinh": "", "que_quan": "", "dan_toc": "", "quoc_tich": "",
			"ho_ten_me": "", "so_dinh_danh_me": "", "ho_ten_cha": "", "so_dinh_danh_cha": ""},
	}
	var lines []string
	for _, r := range rows {
		b, _ := json.Marshal(r)
		lines = append(lines, string(b))
	}
	if err := os.WriteFile(sample, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	mappingFile := filepath.Join("..", "..", "examples", "mappings", "khai-sinh.yaml")
	run := func(args ...string) (int, string) {
		var out, errOut bytes.Buffer
		code := cli.Main(context.Background(), append([]string{"mapping", "test", "--mapping", mappingFile, "--input", sample, "--config", filepath.Join(dir, "none.yaml")}, args...),
			cli.Env{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }})
		return code, out.String() + errOut.String()
	}
	code, out := run()
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	for _, want := range []string{
		`"full_name":"Nguyễn Thị Hương"`, "repaired  full_name", "reformatted registration_date, id_number",
		`REJECTED  encoding_suspect: full_name: column ho_ten: text "BiÒm Sõn"`, `"Bỉm Sơn"`,
		"FIELD", "REPAIRED", "REFORMATTED",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	code, out = run("--json")
	var report struct {
		Summary struct {
			Normalisation map[string]struct{ Repaired, Reformatted, Rejected int }
		}
	}
	if code != 0 || json.Unmarshal([]byte(out), &report) != nil {
		t.Fatalf("--json: exit %d\n%s", code, out)
	}
	n := report.Summary.Normalisation
	if f := n["full_name"]; f.Repaired != 1 || f.Rejected != 1 {
		t.Errorf("full_name: %+v; want 1 repaired, 1 rejected", f)
	}
	if f := n["id_number"]; f.Reformatted != 1 {
		t.Errorf("id_number: %+v; want 1 reformatted", f)
	}
}
