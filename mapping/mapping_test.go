package mapping_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/lienthong/lienthong/examples"
	"github.com/lienthong/lienthong/mapping"
	"github.com/lienthong/lienthong/mapping/vn/units"
	"github.com/lienthong/lienthong/schema"
)

// birthRow is a clean row of the example khai-sinh stream.
func birthRow() map[string]any {
	return map[string]any{
		"id": int64(7), "so_dang_ky": " 12/2024 ", "co_quan_dang_ky": "UBND  xã Thạch Kênh, huyện Thạch Hà", "ngay_dang_ky": "05/03/2024",
		"ho_ten": "  nguyễn   văn an ", "ngay_sinh": "1/3/2024", "gioi_tinh": "Nam", "so_dinh_danh": "042224000123",
		"noi_sinh": "Bệnh viện Đa khoa tỉnh Hà Tĩnh", "que_quan": "Xã Thạch Kênh, huyện Thạch Hà, tỉnh Hà Tĩnh",
		"dan_toc": nil, "quoc_tich": "", "ho_ten_me": "Trần Thị Lan", "so_dinh_danh_me": "042185000001",
		"ho_ten_cha": "Nguyễn Văn Hùng", "so_dinh_danh_cha": "042082000002", "ngay_cap_nhat": "2025-01-01 00:00:00",
	}
}

func example(t testing.TB, name string) *mapping.Mapper {
	t.Helper()
	body, err := examples.Mappings.ReadFile("mappings/" + name)
	if err != nil {
		t.Fatal(err)
	}
	m, err := mapping.Parse(name, body)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func codes(vs []schema.Violation) string {
	var cs []string
	for _, v := range vs {
		cs = append(cs, v.Field+":"+v.Code)
	}
	return strings.Join(cs, ",")
}

// checkViolations holds every violation to what a department needs: a
// code, and a message that names the field it is about.
func checkViolations(t *testing.T, vs []schema.Violation) {
	t.Helper()
	for _, v := range vs {
		if v.Code == "" || v.Message == "" || (v.Field != "" && !strings.Contains(v.Message, v.Field)) {
			t.Errorf("violation %+v must have a code and name its field", v)
		}
	}
}

// TestExampleBirthRegistration keeps mapping v0's cases on the example
// mapping the demo and the engine tests use.
func TestExampleBirthRegistration(t *testing.T) {
	m := example(t, "khai-sinh.yaml")
	if m.Kind.Name != "birth_registration" || m.Version != "2025.2" || m.Path != "khai-sinh.yaml" {
		t.Fatalf("mapper %s %s %s", m.Kind.Name, m.Version, m.Path)
	}
	tests := []struct {
		name   string
		change func(map[string]any)
		want   map[string]any // fields checked
		codes  string
		skip   string
	}{
		{name: "clean", change: func(map[string]any) {}, want: map[string]any{
			"certificate_number": "12/2024", "registering_agency": "UBND xã Thạch Kênh, huyện Thạch Hà", "registration_date": "2024-03-05",
			"full_name": "Nguyễn Văn An", "date_of_birth": "2024-03-01", "sex": "M", "id_number": "042224000123",
			"nationality": "Việt Nam", "ethnicity": "Kinh", "mother_id_number": "042185000001",
		}},
		{name: "time value and number ID", change: func(r map[string]any) {
			r["ngay_dang_ky"] = time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC)
			r["so_dinh_danh"] = int64(42224000123) // a number column lost the leading 0
		}, codes: "id_number:id_invalid"},
		{name: "NFD text becomes NFC", change: func(r map[string]any) {
			r["ho_ten"] = norm.NFD.String("Nguyễn Thị Hoà")
			r["gioi_tinh"] = norm.NFD.String("Nữ")
			r["so_dinh_danh"] = "042324000123"
		}, want: map[string]any{"full_name": "Nguyễn Thị Hoà", "sex": "F"}},
		{name: "impossible date", change: func(r map[string]any) { r["ngay_sinh"] = "31/2/2020" },
			codes: "date_of_birth:bad_date"},
		{name: "unknown sex and missing name", change: func(r map[string]any) {
			r["gioi_tinh"] = "X"
			r["ho_ten"] = "   "
		}, codes: "sex:bad_sex,full_name:required_missing"},
		{name: "column missing from source", change: func(r map[string]any) { delete(r, "so_dang_ky") },
			codes: "certificate_number:mapping_error"},
		{name: "ID of the other sex", change: func(r map[string]any) { r["gioi_tinh"] = "Nữ" },
			codes: "id_number:id_sex_mismatch"},
		{name: "ID of another birth year", change: func(r map[string]any) { r["ngay_sinh"] = "01/03/2023"; r["ngay_dang_ky"] = "05/03/2023" },
			codes: "id_number:id_birth_year_mismatch"},
		{name: "father's ID of a woman", change: func(r map[string]any) { r["so_dinh_danh_cha"] = "042185000001" },
			codes: "father_id_number:id_sex_mismatch"},
		{name: "every problem at once", change: func(r map[string]any) {
			r["ngay_dang_ky"] = "hôm qua"
			r["so_dinh_danh_me"] = "12345"
			r["so_dang_ky"] = "12-2024"
		}, codes: "registration_date:bad_date,mother_id_number:id_invalid,certificate_number:bad_certificate_number"},
		{name: "test row", change: func(r map[string]any) { r["so_dang_ky"] = "test-1"; r["ngay_sinh"] = "bad" },
			skip: "test row"},
		{name: "registered before birth (the schema's rule)", change: func(r map[string]any) { r["ngay_dang_ky"] = "28/02/2024" },
			codes: "registration_date:date_order"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := birthRow()
			tt.change(r)
			res := m.Map(r)
			checkViolations(t, res.Violations)
			if res.Skipped != tt.skip {
				t.Fatalf("skipped %q, want %q", res.Skipped, tt.skip)
			}
			if got := codes(res.Violations); got != tt.codes {
				t.Fatalf("violations %s, want %s\n%v", got, tt.codes, res.Violations)
			}
			for k, want := range tt.want {
				if res.Record.Data[k] != want {
					t.Errorf("%s = %#v, want %#v", k, res.Record.Data[k], want)
				}
			}
		})
	}
}

func TestExamplePerson(t *testing.T) {
	m := example(t, "cong-dan.yaml")
	r := birthRow()
	res := m.Map(r)
	if len(res.Violations) > 0 || res.Record.Data["sex"] != "M" || res.Record.Data["date_of_birth"] != "2024-03-01" {
		t.Fatalf("clean row: %+v", res)
	}
	r["gioi_tinh"] = "Không rõ"
	res = m.Map(r)
	checkViolations(t, res.Violations)
	// The sex is wrong, not the ID that is checked against it.
	if got := codes(res.Violations); got != "sex:bad_value" {
		t.Fatalf("violations %s, want sex:bad_value: %v", got, res.Violations)
	}
}

// person is a mapping of kind person whose required fields are constants,
// with native_place (free text) set to expr, and the extra YAML given.
func person(expr, extra string) string {
	return fmt.Sprintf(`kind: person
version: "1"
%sfields:
  id_number: '"042224000123"'
  full_name: '"An"'
  date_of_birth: '"2024-03-01"'
  sex: '"M"'
  native_place: %s
`, extra, yamlQuote(expr))
}

func yamlQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// TestFunctions runs each function of the language on values as
// departments hold them.
func TestFunctions(t *testing.T) {
	tables := "tables:\n  dan_toc: {Kinh: Kinh, \"Mường\": Mường, \"Tày\": Tày, \"H'Mông\": H'Mông}\n"
	tests := []struct {
		name string
		expr string
		x, y any
		want string // native_place
		code string // its violation, if any
	}{
		{"trim", "trim(x)", "  Hà Tĩnh \t", nil, "Hà Tĩnh", ""},
		{"upper", "upper(x)", "nguyễn văn đức", nil, "NGUYỄN VĂN ĐỨC", ""},
		{"lower", "lower(x)", "ĐẶNG", nil, "đặng", ""},
		{"collapse", "collapse(x)", " Xã  Thạch\u00a0Kênh,\thuyện  Thạch Hà ", nil, "Xã Thạch Kênh, huyện Thạch Hà", ""},
		{"collapse clean", "collapse(x)", "Xã Thạch Kênh", nil, "Xã Thạch Kênh", ""},
		{"collapse Vietnamese", "collapse(x)", "Thạch  Hà", nil, "Thạch Hà", ""},
		{"collapse wide spaces", "collapse(x)", "Thạch\u3000Hà\u1680Hà\u2003Tĩnh", nil, "Thạch Hà Hà Tĩnh", ""},
		{"digits", "digits(x)", "042-224 000.123", nil, "042224000123", ""},
		{"nfc of a column is automatic", `x == "Hòa" ? "yes" : "no"`, norm.NFD.String("Hòa"), nil, "yes", ""},
		{"nfc", `nfc(x)`, "Hòa", nil, "Hòa", ""},
		{"default of NULL", `default(x, "Kinh")`, nil, nil, "Kinh", ""},
		{"default of blank", `default(x, "Kinh")`, "  ", nil, "Kinh", ""},
		{"default of a value", `default(x, "Kinh")`, "Tày", nil, "Tày", ""},
		{"coalesce", `coalesce(x, y, "none")`, " ", "Mường", "Mường", ""},
		{"coalesce none", `coalesce(x, y, "none")`, nil, "", "none", ""},
		{"concat", `concat(x, " - ", y)`, "a", "b", "a - b", ""},
		{"join skips blanks", `join(", ", "Xã " + x, y, "tỉnh Hà Tĩnh")`, "Thạch Kênh", " ", "Xã Thạch Kênh, tỉnh Hà Tĩnh", ""},
		{"replace", `replace(x, "TP.", "Thành phố")`, "TP. Hà Tĩnh", nil, "Thành phố Hà Tĩnh", ""},
		{"plus", `x + ", " + y`, "Thạch Kênh", "Thạch Hà", "Thạch Kênh, Thạch Hà", ""},
		{"number column", `x`, int64(42), nil, "42", ""},
		{"float column keeps digits", `x`, float64(42224000123), nil, "42224000123", ""},
		{"name", "name(x)", "  nGUYỄN   thị  minh KHAI ", nil, "Nguyễn Thị Minh Khai", ""},
		{"name of Ê Đê", "name(x)", "h'hen niê", nil, "H'Hen Niê", ""},

		{"date day first", "date(x)", "05/03/2024", nil, "2024-03-05", ""},
		{"date short", "date(x)", "5/3/2024", nil, "2024-03-05", ""},
		{"date month only", "date(x)", "03/2024", nil, "2024-03", ""},
		{"date year only", "date(x)", "00/00/1950", nil, "1950", ""},
		{"date ISO", "date(x)", "2024-03-05", nil, "2024-03-05", ""},
		{"date column", "date(x)", time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC), nil, "2024-03-05", ""},
		{"date timestamp with a time", "date(x)", time.Date(2024, 3, 4, 17, 0, 0, 0, time.UTC), nil, "", "bad_date"},
		{"date impossible", "date(x)", "31/02/2020", nil, "", "bad_date"},
		{"date not a date", "date(x)", "hôm qua", nil, "", "bad_date"},
		{"date empty", "date(x)", "  ", nil, "", ""},
		{"date layout", `date(x, "dd/mm/yyyy")`, "05/03/2024", nil, "2024-03-05", ""},
		{"date second layout", `date(x, "dd/mm/yyyy", "d/m/yyyy")`, "5/3/2024", nil, "2024-03-05", ""},
		{"date layout refuses another form", `date(x, "dd/mm/yyyy")`, "5-3-2024", nil, "", "bad_date"},
		{"date layout names the impossible day", `date(x, "dd/mm/yyyy")`, "30/02/2024", nil, "", "bad_date"},
		{"date layout takes ISO columns", `date(x, "dd/mm/yyyy")`, "2024-03-05", nil, "2024-03-05", ""},
		{"date layout of a month", `date(x, "mm/yyyy")`, "03/2024", nil, "2024-03", ""},
		{"date layout two-digit year", `date(x, "dd/mm/yy")`, "05/03/24", nil, "2024-03-05", ""},
		{"date layout two-digit year of the last century", `date(x, "dd/mm/yy")`, "05/03/85", nil, "1985-03-05", ""},
		{"date layout year first", `date(x, "yyyy.mm.dd")`, "2024.03.05", nil, "2024-03-05", ""},
		{"date layout d takes two digits", `date(x, "d/m/yyyy")`, "05/03/2024", nil, "2024-03-05", ""},
		{"date layout of a year", `date(x, "yyyy")`, "1950", nil, "1950", ""},
		{"date layout leftover", `date(x, "dd/mm/yyyy")`, "05/03/20245", nil, "", "bad_date"},
		{"date in words", "date(x)", "ngày 5 tháng 3 năm 2001", nil, "2001-03-05", ""},
		{"date in words without diacritics", "date(x)", "NGAY 05 THANG 03 NAM 2001", nil, "2001-03-05", ""},
		{"date in words, month", "date(x)", "tháng 3 năm 2001", nil, "2001-03", ""},
		{"date dotted", "date(x)", "05.03.2001", nil, "2001-03-05", ""},
		{"date pivot option", `date(x, {pivot: 1930})`, "5/3/29", nil, "2029-03-05", ""},
		{"date pivot option, at the pivot", `date(x, {pivot: 1930})`, "5/3/30", nil, "1930-03-05", ""},
		{"date layout with pivot", `date(x, "d/m/yy", {pivot: 1900})`, "5/3/01", nil, "1901-03-05", ""},
		{"date layout default pivot", `date(x, "d/m/yy")`, "5/3/01", nil, "2001-03-05", ""},
		{"date layout in words", `date(x, "ngày d tháng m năm yyyy")`, "Ngày 5 tháng 3 năm 2001", nil, "2001-03-05", ""},
		{"date layout in words refuses a month", `date(x, "ngày d tháng m năm yyyy")`, "tháng 3 năm 2001", nil, "", "bad_date"},
		{"date layout in words refuses figures", `date(x, "ngày d tháng m năm yyyy")`, "5/3/2001", nil, "", "bad_date"},
		{"date layout in words, no such day", `date(x, "ngay d thang m nam yyyy")`, "ngày 31 tháng 4 năm 2001", nil, "", "bad_date"},
		{"date excel serial", `date(x, "excel")`, "36951", nil, "2001-03-01", ""},
		{"date excel serial number column", `date(x, "excel")`, float64(45839), nil, "2025-07-01", ""},
		{"date excel serial or text", `date(x, "dd/mm/yyyy", "excel")`, "05/03/2001", nil, "2001-03-05", ""},
		{"date excel 1900 leap-year bug", `date(x, "excel")`, "60", nil, "", "bad_date"},
		{"date excel serial with a time", `date(x, "excel")`, "36951.75", nil, "", "bad_date"},
		{"date serial without excel is no date", `date(x)`, "36951", nil, "", "bad_date"},

		{"phone", "phone(x)", "0912 345 678", nil, "+84912345678", ""},
		{"phone renumbered", `phone(x, y)`, "0168 123 4567", "01/06/2017", "+84381234567", ""},
		{"phone bad", "phone(x)", "12", nil, "", "bad_phone"},
		{"phone empty", "phone(x)", nil, nil, "", ""},
		{"phone landline renumbered in 2017", `phone(x, y)`, "039 3855555", "2016-05-01", "+842393855555", ""},

		{"email", "email(x)", " Binh.NV@HaTinh.Gov.VN ", nil, "Binh.NV@hatinh.gov.vn", ""},
		{"email mailto", "email(x)", "mailto:binh@example.vn", nil, "binh@example.vn", ""},
		{"email two addresses", "email(x)", "a@example.vn; b@example.vn", nil, "", "bad_email"},
		{"email without a domain dot", "email(x)", "binh@localhost", nil, "", "bad_email"},
		{"email without @", "email(x)", "binh.example.vn", nil, "", "bad_email"},
		{"email empty", "email(x)", "  ", nil, "", ""},

		{"sex", "sex(x)", "Nữ", nil, "F", ""},
		{"sex any case", "sex(x)", "NAM", nil, "M", ""},
		{"sex bad", "sex(x)", "Không rõ", nil, "", "bad_sex"},
		{"sex codes", `sex(x, "Nam", "Nữ")`, "1", nil, "M", ""},
		{"sex codes zero", `sex(x, "Nam", "Nữ")`, "0", nil, "F", ""},
		{"sex code without meaning", `sex(x)`, "1", nil, "", "bad_sex"},

		{"id", "id(x)", "042 224 000 123", nil, "042224000123", ""},
		{"id short", "id(x)", "42224000123", nil, "", "id_invalid"},
		{"id old card", "id(x)", "183456789", nil, "", "id_invalid"},
		{"id province", "id(x)", "999224000123", nil, "", "id_invalid_province"},
		{"id sex", `id(x, "F")`, "042224000123", nil, "", "id_sex_mismatch"},
		{"id raw sex", `id(x, y)`, "042224000123", "Nữ", "", "id_sex_mismatch"},
		{"id birth year", `id(x, "M", y)`, "042224000123", "2023-01-01", "", "id_birth_year_mismatch"},
		{"id checked", `id(x, "M", y)`, "042224000123", "01/03/2024", "042224000123", ""},
		{"id unknown date is not checked", `id(x, "M", y)`, "042224000123", "", "042224000123", ""},
		{"old id", "old_id(x)", "183 456 789", nil, "183456789", ""},
		{"old id bad", "old_id(x)", "18345678", nil, "", "id_invalid"},

		{"decode tcvn3", `decode(x, "tcvn3")`, "Nguy\xd4n V\xa8n \xa7\xf8c", nil, "Nguyễn Văn Đức", ""},
		{"decode vni", `decode(x, "vni")`, "Nguye\xe3n", nil, "Nguyễn", ""},
		{"decode bad", `decode(x, "utf-8")`, "a\xffb", nil, "", "encoding_suspect"},

		{"lookup", `lookup("dan_toc", x)`, "Mường", nil, "Mường", ""},
		{"lookup trims and folds case", `lookup("dan_toc", x)`, " kinh ", nil, "Kinh", ""},
		{"lookup NFD", `lookup("dan_toc", x)`, norm.NFD.String("Mường"), nil, "Mường", ""},
		{"lookup missing", `lookup("dan_toc", x)`, "Chăm", nil, "", "bad_value"},
		{"lookup default", `lookup("dan_toc", x, "Khác")`, "Chăm", nil, "Khác", ""},
		{"lookup empty", `lookup("dan_toc", x)`, nil, nil, "", ""},
		{"lookup of a computed key", `lookup("dan_toc", default(x, "Kinh"))`, nil, nil, "Kinh", ""},

		{"conditional", `trim(x) == "" ? "none" : upper(x)`, "a", nil, "A", ""},
		{"in", `x in ["Nam", "Nữ"] ? "ok" : "no"`, "Nữ", nil, "ok", ""},
		{"matches", `x matches "^[0-9]+$" ? "digits" : "other"`, "123", nil, "digits", ""},
		{"inline let", `let t = trim(x); t + t`, " a ", nil, "aa", ""},
		{"if else", `if x == "" { "none" } else { x }`, "", nil, "none", ""},
		{"failure inside a condition", `date(x) == "" ? "none" : "some"`, "31/02/2020", nil, "", "bad_date"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := mapping.Parse("f.yaml", []byte(person(tt.expr, tables)))
			if err != nil {
				t.Fatal(err)
			}
			res := m.Map(map[string]any{"x": tt.x, "y": tt.y})
			checkViolations(t, res.Violations)
			want := ""
			if tt.code != "" {
				want = "native_place:" + tt.code
			}
			if got := codes(res.Violations); got != want {
				t.Fatalf("violations %s, want %q: %v", got, want, res.Violations)
			}
			if got, _ := res.Record.Data["native_place"].(string); got != tt.want {
				t.Fatalf("native_place = %q, want %q", got, tt.want)
			}
			if sx, ok := tt.x.(string); ok && tt.code != "" && !strings.Contains(res.Violations[0].Message, strings.TrimSpace(sx)) && tt.code != "encoding_suspect" {
				t.Errorf("message %q does not name the source value %q", res.Violations[0].Message, tt.x)
			}
		})
	}
}

func TestLetsTablesAndConditions(t *testing.T) {
	const src = `kind: person
version: "7"
tables:
  gioi: {Nam: M, "Nữ": F}
let:
  dob: date(ngay_sinh)
  sx: lookup("gioi", gioi_tinh)
  label: ho_ten + " (" + dob + ")"
fields:
  id_number: id(so, sx, dob)
  full_name: name(ho_ten)
  date_of_birth: dob
  sex: sx
  native_place: label
skip:
  - {when: 'upper(ho_ten) startsWith "TEST"', reason: test row}
  - {when: 'dob != "" && dob < "1900"', reason: before the register}
reject:
  - when: 'que_quan == ""'
    reason: no_native_place
    field: native_place
    message: "{{ho_ten}} born {{dob}} has no quê quán; {{lenn(ho_ten)}} characters"
  - when: 'so == "042224000999"'
    reason: known_bad
`
	_, err := mapping.Parse("m.yaml", []byte(src))
	if err == nil || !strings.Contains(err.Error(), `m.yaml:22:58: reject[0].message: unknown function "lenn"`) || !strings.Contains(err.Error(), `unknown function "lenn"`) {
		t.Fatalf("a placeholder naming an unknown column must fail with its line: %v", err)
	}
	m, err := mapping.Parse("m.yaml", []byte(strings.Replace(src, "; {{lenn(ho_ten)}} characters", "", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if m.Version != "7" {
		t.Fatalf("version %q", m.Version)
	}
	row := func() map[string]any {
		return map[string]any{"so": "042224000123", "ho_ten": "An", "ngay_sinh": "01/03/2024", "gioi_tinh": "Nam", "que_quan": "Hà Tĩnh"}
	}
	tests := []struct {
		name   string
		change func(map[string]any)
		codes  string
		skip   string
		msg    string // of the first violation, a substring
		place  string
	}{
		{name: "clean", change: func(map[string]any) {}, place: "An (2024-03-01)"},
		{name: "skip", change: func(r map[string]any) { r["ho_ten"] = "test 1" }, skip: "test row"},
		{name: "second skip", change: func(r map[string]any) { r["ngay_sinh"] = "1850"; r["so"] = "" }, skip: "before the register"},
		{name: "a skip that cannot be decided does not skip", change: func(r map[string]any) { r["ngay_sinh"] = "32/01/1850" },
			codes: "date_of_birth:bad_date"},
		{name: "let failure is its field's, once", change: func(r map[string]any) { r["gioi_tinh"] = "?" },
			codes: "sex:bad_value", msg: `sex: value "?" is not in the mapping's table gioi (Nam, Nữ)`},
		{name: "fields that only use a failed let are not blamed", change: func(r map[string]any) { r["ngay_sinh"] = "x" },
			codes: "date_of_birth:bad_date"},
		{name: "reject with message", change: func(r map[string]any) { r["que_quan"] = "" },
			codes: "native_place:no_native_place", msg: "native_place: An born 2024-03-01 has no quê quán"},
		{name: "reject without field or message", change: func(r map[string]any) { r["so"] = "042224000999" },
			codes: ":known_bad", msg: `the mapping rejects the record (reject[1]: so == "042224000999")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := row()
			tt.change(r)
			res := m.Map(r)
			checkViolations(t, res.Violations)
			if res.Skipped != tt.skip {
				t.Fatalf("skipped %q, want %q", res.Skipped, tt.skip)
			}
			if got := codes(res.Violations); got != tt.codes {
				t.Fatalf("violations %s, want %s: %v", got, tt.codes, res.Violations)
			}
			if tt.msg != "" && !strings.Contains(res.Violations[0].Message, tt.msg) {
				t.Errorf("message %q, want it to contain %q", res.Violations[0].Message, tt.msg)
			}
			if tt.place != "" && res.Record.Data["native_place"] != tt.place {
				t.Errorf("native_place %q, want %q", res.Record.Data["native_place"], tt.place)
			}
		})
	}
}

// TestLetOfNoField: the failure of a let no field is goes to every field
// that uses it, since there is no better place.
func TestLetOfNoField(t *testing.T) {
	m, err := mapping.Parse("m.yaml", []byte(person(`concat("born ", d)`, "let:\n  d: date(x)\n")))
	if err != nil {
		t.Fatal(err)
	}
	if res := m.Map(map[string]any{"x": "1/13/2020"}); codes(res.Violations) != "native_place:bad_date" {
		t.Fatalf("%v", res.Violations)
	}
	if res := m.Map(map[string]any{"x": "1/12/2020"}); res.Record.Data["native_place"] != "born 2020-12-01" {
		t.Fatalf("%+v", res)
	}
}

// TestRunTimeFailureStaysWithItsField: a failure of the expression itself
// (here a text past the length bound) is a mapping error of its field
// only; the record's other fields are still mapped and checked.
func TestRunTimeFailureStaysWithItsField(t *testing.T) {
	src := `kind: person
version: "1"
let:
  big: concat(x, x, x, x)
fields:
  id_number: id(so)
  full_name: name(ho_ten)
  date_of_birth: date(ngay_sinh)
  sex: sex(gioi_tinh)
  native_place: big + big
`
	m, err := mapping.Parse("m.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	res := m.Map(map[string]any{"so": "042224000123", "ho_ten": "an", "ngay_sinh": "31/02/2024", "gioi_tinh": "Nam", "x": strings.Repeat("a", 10_000)})
	checkViolations(t, res.Violations)
	if got := codes(res.Violations); got != "date_of_birth:bad_date,native_place:mapping_error" {
		t.Fatalf("violations %s: %v", got, res.Violations)
	}
	if res.Record.Data["full_name"] != "An" || res.Record.Data["sex"] != "M" {
		t.Fatalf("the other fields were not mapped: %v", res.Record.Data)
	}
	// A record within the bound maps.
	res = m.Map(map[string]any{"so": "042224000123", "ho_ten": "an", "ngay_sinh": "01/03/2024", "gioi_tinh": "Nam", "x": "ab"})
	if len(res.Violations) > 0 || res.Record.Data["native_place"] != "abababababababab" {
		t.Fatalf("%+v", res)
	}
}

// TestLoadErrors: every kind of mistake in a mapping file is reported when
// it loads, with the file, the line (and the column in an expression),
// the key and what is wrong.
func TestLoadErrors(t *testing.T) {
	base := func(fields string) string {
		return "kind: person\nversion: \"1\"\nfields:\n  id_number: id(so)\n  full_name: name(ho_ten)\n  date_of_birth: date(ngay_sinh)\n  sex: sex(gioi_tinh)\n" + fields
	}
	tests := []struct{ name, src, want string }{
		{"yaml syntax", "kind: person\nversion: \"1\nfields: {}\n", "m.yaml:2"},
		{"unknown key", "kind: person\nversion: \"1\"\nfeilds: {}\n", `m.yaml:3:1: feilds: unknown key (known keys: kind, version, columns, tables, let, fields, skip, reject)`},
		{"unknown kind", "kind: persn\nversion: \"1\"\nfields: {}\n", `m.yaml:1:7: kind: "persn" is not a record kind of the common schema (did you mean person?)`},
		{"no version", "kind: person\nfields: {}\n", `version: missing`},
		{"no fields", "kind: person\nversion: \"1\"\n", `fields: missing`},
		{"unknown target field", base("  nick: trim(x)\n"), `m.yaml:8:9: fields.nick: "nick" is not a field of person`},
		{"required field not mapped", "kind: person\nversion: \"1\"\nfields:\n  full_name: name(ho_ten)\n", `m.yaml:3:1: fields: required field "id_number" (Số định danh cá nhân) of person is not mapped`},
		{"unknown function", base("  native_place: dat(x)\n"), `m.yaml:8:17: fields.native_place: unknown function "dat" (did you mean date?)`},
		{"too few arguments", base("  native_place: lookup(\"t\")\n"), `m.yaml:8:17: fields.native_place: lookup takes 2 to 3 arguments, got 1: write lookup("table", key) or lookup("table", key, default)`},
		{"too many arguments", base("  native_place: trim(x, y)\n"), `fields.native_place: trim takes 1 argument, got 2`},
		{"wrong argument type", base("  native_place: trim(1)\n"), `m.yaml:8:22: fields.native_place: cannot use int as argument (type string) to call trim`},
		{"wrong operand type", base("  native_place: x + 1\n"), `m.yaml:8:19: fields.native_place: invalid operation: + (mismatched types string and int)`},
		{"unknown table", "kind: person\nversion: \"1\"\ntables: {gioi_tinh: {Nam: M}, dan_toc: {}}\nfields:\n  id_number: id(so)\n  full_name: name(ho_ten)\n  date_of_birth: date(ngay_sinh)\n  sex: lookup(\"gioi_tnh\", gioi_tinh)\n",
			`m.yaml:8:8: fields.sex: lookup: unknown table "gioi_tnh" (did you mean gioi_tinh?) (tables: dan_toc, gioi_tinh)`},
		{"table name not constant", base("  native_place: lookup(x, y)\n"), `lookup: the table name (first argument) must be a quoted constant`},
		{"duplicate table key", "kind: person\nversion: \"1\"\ntables:\n  gioi: {Nam: M, \" Nam\": F}\nfields: {}\n", `m.yaml:4:18: tables.gioi: key "Nam" is given twice`},
		{"bad date layout", base("  native_place: date(x, \"qq/mm/yyyy\")\n"), `date: date pattern "qq/mm/yyyy": use dd, d, mm, m, yyyy or yy`},
		{"date layout field twice", base("  native_place: date(x, \"dd/dd/yyyy\")\n"), `date: date pattern "dd/dd/yyyy" has the day twice`},
		{"date layout without year", base("  native_place: date(x, \"dd/mm\")\n"), `date: date pattern "dd/mm" has no year`},
		{"date layout not constant", base("  native_place: date(x, y)\n"), `date: the date pattern (argument 2) must be a quoted constant`},
		{"date pivot not a year", base("  native_place: 'date(x, {pivot: 30})'\n"), `date: pivot is the first year of the hundred years`},
		{"date pivot not constant", base("  native_place: 'date(x, {pivot: y})'\n"), `date: pivot is the first year of the hundred years`},
		{"date unknown option", base("  native_place: 'date(x, {pivit: 1930})'\n"), `date: unknown option "pivit": the date options are {pivot: 1930}`},
		{"date options not last", base("  native_place: 'date(x, {pivot: 1930}, \"d/m/yy\")'\n"), `date: the options (argument 2) come last`},
		{"date number as pattern", base("  native_place: date(x, 5)\n"), `date: the date pattern (argument 2) must be a quoted constant`},
		{"date words pattern", base("  native_place: date(x, \"ngày d tháng năm yyyy\")\n"), `date: date pattern "ngày d tháng năm yyyy": use dd, d, mm, m, yyyy or yy`},
		{"unknown encoding", base("  native_place: decode(x, \"latin9\")\n"), `decode: unknown encoding "latin9"`},
		{"bad sex code", base("  native_place: sex(x, \"Trai\", \"Nữ\")\n"), `sex: what 1 means (argument 2): "Trai" is not a sex`},
		{"unknown column", "kind: person\nversion: \"1\"\ncolumns: [so, ho_ten, ngay_sinh, gioi_tinh]\nfields:\n  id_number: id(so)\n  full_name: name(ho_tn)\n  date_of_birth: date(ngay_sinh)\n  sex: sex(gioi_tinh)\n",
			`m.yaml:6:19: fields.full_name: unknown name "ho_tn": not a column listed under columns, nor a let (did you mean ho_ten?)`},
		{"let defined below", "kind: person\nversion: \"1\"\nlet:\n  a: b\n  b: trim(x)\nfields: {}\n", `m.yaml:4:6: let.a: let b is defined below this expression: move it up`},
		{"let named like a function", "kind: person\nversion: \"1\"\nlet:\n  sex: trim(x)\nfields: {}\n", `let.sex: sex is a function; choose another name`},
		{"field is not text", base("  native_place: x == \"a\"\n"), `m.yaml:8:17: fields.native_place: the expression gives bool, a field takes text`},
		{"condition is not true or false", base("skip:\n  - {when: 'trim(x)', reason: r}\n"), `m.yaml:9:12: skip[0].when: the condition gives string, want true or false`},
		{"rule without reason", base("skip:\n  - {when: 'x == \"\"'}\n"), `skip[0].reason: missing`},
		{"unknown key in a rule", base("reject:\n  - {when: 'x == \"\"', reason: r, feild: sex}\n"), `m.yaml:9:34: reject[0].feild: unknown key (known keys: when, reason, field, message)`},
		{"reason code", base("reject:\n  - {when: 'x == \"\"', reason: Bad Thing}\n"), `reject[0].reason: "Bad Thing" is not a reason code`},
		{"reject field unknown", base("reject:\n  - {when: 'x == \"\"', reason: r, field: sexe}\n"), `reject[0].field: "sexe" is not a field of person (did you mean sex?)`},
		{"message not closed", base("reject:\n  - {when: 'x == \"\"', reason: r, message: 'a {{x'}\n"), `reject[0].message: a {{ is not closed by }}`},
		{"units not configured", base("  native_place: province(x, \"2024-01-01\")\n"), `province needs the official administrative-unit lists: set admin_units (before, current, old_to_new) in lienthong.yaml`},
		{"no loops", base("  native_place: 'filter([\"a\"], # != \"\")[0]'\n"), `filter(...) is not available: mapping expressions have no loops`},
		{"no ranges", base("  native_place: 'string(1..3)'\n"), `ranges (a..b) are not available`},
		{"no dynamic patterns", base("  native_place: 'x matches y ? \"a\" : \"b\"'\n"), `the pattern after matches must be a quoted constant`},
		{"no $env", base("  native_place: '$env.x'\n"), `names starting with $ are reserved`},
		{"too large", base("  native_place: '" + strings.Repeat("x + ", 300) + "x'\n"), `the expression is too large`},
		{"empty expression", base("  native_place:\n"), `m.yaml:8:3: fields.native_place: no expression`},
		{"alias", "kind: person\nversion: &v \"1\"\nfields:\n  id_number: *v\n", `aliases (*name) are not supported`},
		{"two documents", "kind: person\n---\nkind: person\n", `one YAML document`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mapping.Parse("m.yaml", []byte(tt.src))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v\nwant it to contain %q", err, tt.want)
			}
			var me *mapping.Error
			if !errors.As(err, &me) || me.File != "m.yaml" {
				t.Errorf("error %v is not a *mapping.Error of m.yaml", err)
			}
		})
	}
}

// TestLoadReportsEveryError: a department fixes a mapping in one pass.
func TestLoadReportsEveryError(t *testing.T) {
	src := "kind: person\nversion: \"1\"\nfields:\n  id_number: idd(so)\n  full_name: nam(ho_ten)\n  date_of_birth: date(ngay_sinh, 1)\n  sex: sex(gioi_tinh)\n  nick: x\n"
	_, err := mapping.Parse("m.yaml", []byte(src))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"m.yaml:4:14:", "m.yaml:5:14:", "m.yaml:6:18:", "m.yaml:8:9:"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%v\nlacks %s", err, want)
		}
	}
}

func TestLoad(t *testing.T) {
	m, err := mapping.Load(filepath.Join("..", "examples", "mappings", "khai-sinh.yaml"))
	if err != nil || m.Kind.Name != "birth_registration" {
		t.Fatalf("%v %v", m, err)
	}
	if _, err := mapping.Load("no-such-mapping.yaml"); err == nil || !strings.Contains(err.Error(), "no-such-mapping.yaml") {
		t.Fatalf("missing file: %v", err)
	}
}

// TestColumnsNamedLikeFunctions: a department's column may be called date
// or name; it is read as a column, and the function stays a function.
func TestColumnsNamedLikeFunctions(t *testing.T) {
	m, err := mapping.Parse("m.yaml", []byte(person(`name(name) + " " + date(date)`, "")))
	if err != nil {
		t.Fatal(err)
	}
	res := m.Map(map[string]any{"name": "an", "date": "01/03/2024"})
	if len(res.Violations) > 0 || res.Record.Data["native_place"] != "An 2024-03-01" {
		t.Fatalf("%+v", res)
	}
}

var (
	unitsOnce sync.Once
	unitsReg  *units.Registry
	unitsErr  error
)

// unitRegistry loads the reference lists in place, as an operator's
// admin_units configuration points at them.
func unitRegistry(t *testing.T) *units.Registry {
	t.Helper()
	unitsOnce.Do(func() {
		dir := filepath.Join("..", "..", "shared", "data", "admin-units")
		unitsReg, unitsErr = units.Load(units.Files{
			Before:   filepath.Join(dir, "units-pre-2025-07-01.json"),
			Current:  filepath.Join(dir, "units-current.json"),
			OldToNew: filepath.Join(dir, "mapping-old-to-new-2025-07-01.json"),
			NewToOld: filepath.Join(dir, "mapping-new-to-old-2025-07-01.json"),
		})
	})
	if unitsErr != nil {
		t.Fatalf("load the reference administrative-unit lists: %v", unitsErr)
	}
	return unitsReg
}

// currentOf is the code of the current unit the old commune code went into.
func currentOf(t *testing.T, reg *units.Registry, code string) string {
	t.Helper()
	old, err := reg.Commune(code, "", time.Date(2020, 5, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	u, err := reg.CurrentOf(old)
	if err != nil {
		t.Fatal(err)
	}
	return u.Code
}

func TestUnitFunctions(t *testing.T) {
	reg := unitRegistry(t)
	tests := []struct {
		name, expr string
		x, y       any
		want, code string
	}{
		{"province by name", `province(x, "2024-01-01")`, "Hà Tĩnh", nil, "Tỉnh Hà Tĩnh", ""},
		{"province code", `province(x, "2024-01-01", "code")`, "tỉnh Hà Tĩnh", nil, "42", ""},
		{"province unknown", `province(x, "2024-01-01")`, "Hà Tịnh Xa", nil, "", units.ReasonUnknownUnit},
		{"province without a date", `province(x, y)`, "Hà Tĩnh", "", "", units.ReasonNoDate},
		{"commune", `commune(x, "Hà Tĩnh", "2026-01-15", "name")`, "Thạch Hà", nil, "Thạch Hà", ""},
		{"current unit of an old province", `current_unit(x, "", y, "name")`, "Quảng Bình", "2020-05-01", "Quảng Trị", ""},
		{"empty", `province(x, "2024-01-01")`, nil, nil, "", ""},
		{"commune repeated in its province, settled by the district", `commune_in(x, y, "Nghệ An", "2020-05-01", "code")`, "Đồng Văn", "Huyện Tân Kỳ", "17287", ""},
		{"commune repeated in its province, other district", `commune_in(x, y, "Nghệ An", "2020-05-01", "code")`, "Xã Đồng Văn", "Quế Phong", "16744", ""},
		{"commune repeated in its province, no district", `commune_in(x, y, "Nghệ An", "2020-05-01")`, "Đồng Văn", "", "", units.ReasonAmbiguousUnit},
		{"commune repeated in its province, plain commune()", `commune(x, "Nghệ An", y)`, "Đồng Văn", "2020-05-01", "", units.ReasonAmbiguousUnit},
		{"commune not in the district", `commune_in(x, y, "Nghệ An", "2020-05-01")`, "Đồng Văn", "Quỳ Châu", "", units.ReasonUnknownUnit},
		{"current unit of a repeated commune", `current_unit_in(x, y, "Nghệ An", "2020-05-01", "code")`, "Đồng Văn", "Tân Kỳ", currentOf(t, reg, "17287"), ""},
		{"current unit of a repeated commune, no district", `current_unit_in(x, y, "Nghệ An", "2020-05-01")`, "Đồng Văn", "", "", units.ReasonAmbiguousUnit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := mapping.Parse("u.yaml", []byte(person(tt.expr, "")), mapping.WithUnits(reg))
			if err != nil {
				t.Fatal(err)
			}
			res := m.Map(map[string]any{"x": tt.x, "y": tt.y})
			want := ""
			if tt.code != "" {
				want = "native_place:" + tt.code
			}
			if got := codes(res.Violations); got != want {
				t.Fatalf("violations %s, want %q: %v", got, want, res.Violations)
			}
			if got, _ := res.Record.Data["native_place"].(string); got != tt.want {
				t.Fatalf("native_place = %q, want %q", got, tt.want)
			}
		})
	}
	if _, err := mapping.Parse("u.yaml", []byte(person(`province(x, "2024-01-01", "codes")`, "")), mapping.WithUnits(reg)); err == nil ||
		!strings.Contains(err.Error(), `"full_name", "name" or "code"`) {
		t.Fatalf("a bad part: %v", err)
	}
}

// TestConcurrentMap: one Mapper serves concurrent callers (go test -race).
func TestConcurrentMap(t *testing.T) {
	m := example(t, "khai-sinh.yaml")
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				r := birthRow()
				if (g+i)%3 == 0 {
					r["ngay_sinh"] = "31/02/2024"
				}
				res := m.Map(r)
				if bad := (g+i)%3 == 0; bad != (len(res.Violations) > 0) {
					t.Errorf("record %d/%d: %v", g, i, res.Violations)
					return
				}
				if !slices.ContainsFunc(res.Violations, func(v schema.Violation) bool { return v.Code == "bad_date" }) && (g+i)%3 == 0 {
					t.Errorf("record %d/%d: %v", g, i, res.Violations)
				}
			}
		}()
	}
	wg.Wait()
}

// Numeric schema fields (an allowance in đồng) are parsed from the text an
// expression gives; text that is no number is rejected naming the value.
func TestNumericFields(t *testing.T) {
	src := `kind: social_assistance_beneficiary
version: "1"
tables:
  doi_tuong: {"Người cao tuổi": elderly, "Người khuyết tật": disabled}
fields:
  id_number: id(so_dinh_danh)
  full_name: name(ho_ten)
  date_of_birth: date(ngay_sinh)
  sex: sex(gioi_tinh)
  category: lookup("doi_tuong", doi_tuong)
  monthly_allowance: digits(muc_tro_cap)
  decision_number: trim(so_qd)
  decision_date: date(ngay_qd)
  commune: trim(xa)
`
	m, err := mapping.Parse("bao-tro.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	rec := map[string]any{"so_dinh_danh": "042145000789", "ho_ten": "đặng thị nhàn", "ngay_sinh": "1945", "gioi_tinh": "Nữ",
		"doi_tuong": "Người cao tuổi", "muc_tro_cap": "750.000 đ", "so_qd": "125/QĐ-UBND", "ngay_qd": "15/07/2024", "xa": "Phường Thành Sen"}
	res := m.Map(rec)
	if len(res.Violations) > 0 {
		t.Fatalf("violations: %v", res.Violations)
	}
	if got := res.Record.Data["monthly_allowance"]; got != int64(750000) {
		t.Fatalf("monthly_allowance = %#v, want int64 750000", got)
	}
	if got := res.Record.Data["date_of_birth"]; got != "1945" {
		t.Fatalf("partial date of birth = %#v, want \"1945\"", got)
	}
	rec["muc_tro_cap"] = "không có"
	res = m.Map(rec)
	if len(res.Violations) != 1 || res.Violations[0].Field != "monthly_allowance" {
		t.Fatalf("an allowance that is no number: %+v", res.Violations)
	}
}

// TestPersonContacts: the 1.1 fields of person, a citizen's phones as
// numbered on the day the register was last updated and an e-mail, and
// the schema's rules about the present taking today from MapAt.
func TestPersonContacts(t *testing.T) {
	src := `kind: person
version: "1"
fields:
  id_number: id(so)
  full_name: name(ho_ten)
  date_of_birth: date(ngay_sinh)
  sex: sex(gioi_tinh)
  mobile_phone: phone(di_dong, ngay_cap_nhat)
  landline_phone: phone(co_dinh, ngay_cap_nhat)
  email: email(thu)
`
	m, err := mapping.Parse("m.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	rec := map[string]any{"so": "042224000123", "ho_ten": "nguyễn văn an", "ngay_sinh": "01/03/2024", "gioi_tinh": "Nam",
		"di_dong": "0168 123 4567", "co_dinh": "039 385 5555", "ngay_cap_nhat": "15/06/2016", "thu": "An.NV@HaTinh.gov.vn"}
	now := time.Date(2026, 6, 15, 9, 0, 0, 0, time.UTC)
	res := m.MapAt(rec, now)
	if len(res.Violations) > 0 {
		t.Fatalf("violations: %v", res.Violations)
	}
	for field, want := range map[string]string{"mobile_phone": "+84381234567", "landline_phone": "+842393855555", "email": "An.NV@hatinh.gov.vn"} {
		if got := res.Record.Data[field]; got != want {
			t.Errorf("%s = %v, want %s", field, got, want)
		}
	}
	// A mobile number in the landline field is refused by the schema.
	rec["co_dinh"] = "0912345678"
	if got := codes(m.MapAt(rec, now).Violations); got != "landline_phone:bad_phone" {
		t.Errorf("mobile as landline: %s", got)
	}
	rec["co_dinh"] = ""
	// Born the day after today, by the time the caller gives.
	rec["ngay_sinh"] = "16/06/2026"
	rec["so"] = "042226000123"
	if got := codes(m.MapAt(rec, now).Violations); got != "date_of_birth:date_in_future" {
		t.Errorf("born tomorrow: %s", got)
	}
	if got := codes(m.MapAt(rec, now.AddDate(0, 0, 1)).Violations); got != "" {
		t.Errorf("born today: %s", got)
	}
}
