package mapping_test

import (
	"strings"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/lienthong/lienthong/mapping"
	"github.com/lienthong/lienthong/schema"
)

const birth = `kind: birth_registration
version: "3"
fields:
  certificate_number: {from: so, transforms: [trim]}
  registering_agency: {from: co_quan, transforms: [trim, collapse_spaces]}
  registration_date: {from: ngay_dk, date: [dd/mm/yyyy, yyyy-mm-dd]}
  full_name: {from: ho_ten, transforms: [trim, collapse_spaces]}
  date_of_birth: {from: ngay_sinh, date: [d/m/yyyy]}
  sex: {from: gioi_tinh, values: {Nam: M, "Nữ": F}}
  id_number: {from: so_dinh_danh, transforms: [digits]}
  nationality: {value: Việt Nam}
  ethnicity: {from: dan_toc, default: Kinh}
`

func row() map[string]any {
	return map[string]any{
		"so": " 12/2024 ", "co_quan": "UBND  xã Thạch Hà", "ngay_dk": "05/03/2024",
		"ho_ten": "  Nguyễn   Văn An ", "ngay_sinh": "1/3/2024", "gioi_tinh": "Nam",
		"so_dinh_danh": int64(42224000123), "dan_toc": nil,
	}
}

func TestMap(t *testing.T) {
	m, err := mapping.Parse("khai-sinh.yaml", []byte(birth))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change func(map[string]any)
		want   map[string]any
		codes  []string
	}{
		{name: "clean", change: func(map[string]any) {}, want: map[string]any{
			"certificate_number": "12/2024", "registering_agency": "UBND xã Thạch Hà", "registration_date": "2024-03-05",
			"full_name": "Nguyễn Văn An", "date_of_birth": "2024-03-01", "sex": "M", "id_number": "042224000123"[1:],
			"nationality": "Việt Nam", "ethnicity": "Kinh",
		}, codes: []string{schema.ReasonBadID}},
		{name: "time value", change: func(r map[string]any) {
			r["ngay_dk"] = time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC)
			r["so_dinh_danh"] = "042224000123"
		}},
		{name: "NFD name becomes NFC", change: func(r map[string]any) {
			r["gioi_tinh"] = norm.NFD.String("Nữ")
			r["so_dinh_danh"] = "042224000123"
		}},
		{name: "impossible date", change: func(r map[string]any) {
			r["ngay_sinh"] = "31/2/2020"
			r["so_dinh_danh"] = "042224000123"
		}, codes: []string{schema.ReasonBadDate}},
		{name: "unknown sex and missing name", change: func(r map[string]any) {
			r["gioi_tinh"] = "X"
			r["ho_ten"] = "   "
			r["so_dinh_danh"] = "042224000123"
		}, codes: []string{schema.ReasonBadValue, schema.ReasonRequired}},
		{name: "column missing from source", change: func(r map[string]any) {
			delete(r, "so")
			r["so_dinh_danh"] = "042224000123"
		}, codes: []string{schema.ReasonNoMapping}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := row()
			tt.change(r)
			rec, vs := m.Map(r)
			var codes []string
			for _, v := range vs {
				codes = append(codes, v.Code)
				if v.Field == "" || v.Message == "" || !strings.Contains(v.Message, v.Field) {
					t.Errorf("violation %+v must name its field", v)
				}
			}
			if strings.Join(codes, ",") != strings.Join(tt.codes, ",") {
				t.Fatalf("codes = %v, want %v (%v)", codes, tt.codes, vs)
			}
			for k, want := range tt.want {
				if rec.Data[k] != want {
					t.Errorf("%s = %#v, want %#v", k, rec.Data[k], want)
				}
			}
		})
	}
	if rec, _ := m.Map(map[string]any{"so": "1", "co_quan": "x", "ngay_dk": "2024-01-02", "ho_ten": "a", "ngay_sinh": "1/1/2024", "gioi_tinh": norm.NFD.String("Nữ"), "so_dinh_danh": nil, "dan_toc": "Tày"}); rec.Data["sex"] != "F" || rec.Data["registration_date"] != "2024-01-02" {
		t.Errorf("NFD value table lookup or second layout failed: %v", rec.Data)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"unknown key", "kind: person\nversion: \"1\"\nfields:\n  full_name: {frm: x}\n", "m.yaml:4"},
		{"unknown kind", "kind: persn\nversion: \"1\"\nfields: {}\n", `m.yaml:1: kind "persn"`},
		{"unknown field", "kind: person\nversion: \"1\"\nfields:\n  id_number: {from: a}\n  full_name: {from: b}\n  date_of_birth: {from: c, date: [dd/mm/yyyy]}\n  sex: {from: d}\n  nick: {from: e}\n", `m.yaml:8: field "nick" is not a field of person`},
		{"required not mapped", "kind: person\nversion: \"1\"\nfields:\n  full_name: {from: b}\n", `required field "id_number" of person is not mapped`},
		{"bad transform", "kind: person\nversion: \"1\"\nfields:\n  full_name: {from: b, transforms: [shout]}\n", `unknown transform "shout"`},
		{"bad date pattern", "kind: person\nversion: \"1\"\nfields:\n  full_name: {from: b, date: [qq/mm]}\n", `date pattern "qq/mm"`},
		{"from and value", "kind: person\nversion: \"1\"\nfields:\n  full_name: {from: b, value: c}\n", `set exactly one of from and value`},
		{"no version", "kind: person\nfields: {}\n", `missing required key "version"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mapping.Parse("m.yaml", []byte(tt.src))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
