package mapping_test

import (
	"strings"
	"testing"

	"github.com/lienthong/lienthong/mapping"
	"github.com/lienthong/lienthong/schema"
)

// TestMisreadTextIsRepairedOrRejected: legacy text misread into a Unicode
// column is checked value by value in every field the mapping writes: a
// certain reading is stored repaired (and marked), an uncertain one is
// rejected as encoding_suspect naming the field and both readings, and
// name() never capitalises garbage.
func TestMisreadTextIsRepairedOrRejected(t *testing.T) {
	m := example(t, "khai-sinh.yaml")
	idx := map[string]int{}
	for i, f := range m.Kind.Fields {
		idx[f.Name] = i
	}
	tests := []struct {
		name   string
		set    map[string]any
		want   map[string]string // field -> stored value
		reject string            // field rejected as encoding_suspect
		shows  []string          // what its message must show
	}{
		{"tcvn3 name", map[string]any{"ho_ten": "NguyÔn ThÞ H\u00ad¬ng"}, map[string]string{"full_name": "Nguyễn Thị Hương"}, "", nil},
		{"double utf-8 name", map[string]any{"ho_ten": "Nguyá»…n Thá»‹ HÆ°Æ¡ng"}, map[string]string{"full_name": "Nguyễn Thị Hương"}, "", nil},
		{"vni name, lower case", map[string]any{"ho_ten": "nguyeãn thò höông"}, map[string]string{"full_name": "Nguyễn Thị Hương"}, "", nil},
		{"tcvn3 place of birth, a field without a normaliser", map[string]any{"noi_sinh": "BÖnh viÖn §a khoa tØnh Hµ TÜnh"}, map[string]string{"place_of_birth": "Bệnh viện Đa khoa tỉnh Hà Tĩnh"}, "", nil},
		{"raw tcvn3 bytes", map[string]any{"ho_ten_me": []byte("Tr\xc7n Th\xde Lan")}, map[string]string{"mother_full_name": "Trần Thị Lan"}, "", nil},
		{"two readings", map[string]any{"ho_ten": "BiÒm Sõn"}, nil, "full_name", []string{"column ho_ten", `"BiÒm Sõn"`, `"Bỉm Sơn"`, `"Biềm Sừn"`}},
		{"a lost character", map[string]any{"noi_sinh": "B\ufffdnh vi\ufffdn"}, nil, "place_of_birth", []string{"[U+FFFD]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			row := birthRow()
			for k, v := range tt.set {
				row[k] = v
			}
			res := m.Map(row)
			if tt.reject != "" {
				var got *schema.Violation
				for i, v := range res.Violations {
					if v.Field == tt.reject && v.Code == schema.ReasonEncoding {
						got = &res.Violations[i]
					}
				}
				if got == nil {
					t.Fatalf("violations %s; want %s:%s", codes(res.Violations), tt.reject, schema.ReasonEncoding)
				}
				for _, s := range append(tt.shows, tt.reject+": ") {
					if !strings.Contains(got.Message, s) {
						t.Errorf("message %q lacks %q", got.Message, s)
					}
				}
				if v, ok := res.Record.Data[tt.reject]; ok {
					t.Errorf("rejected field %s holds %q", tt.reject, v)
				}
				return
			}
			if len(res.Violations) > 0 {
				t.Fatalf("violations %s: %+v", codes(res.Violations), res.Violations)
			}
			for field, want := range tt.want {
				if got := res.Record.Data[field]; got != want {
					t.Errorf("%s = %q; want %q", field, got, want)
				}
				if !res.Repaired.Has(idx[field]) {
					t.Errorf("%s is not marked repaired (%b)", field, res.Repaired)
				}
			}
			for field, i := range idx {
				if res.Repaired.Has(i) && tt.want[field] == "" {
					t.Errorf("%s is marked repaired; only %v were", field, tt.want)
				}
			}
		})
	}
}

// TestDecodeSeesMisreadText: decode() reads its column as the source holds
// it, so a mapping that declares the encoding keeps working.
func TestDecodeSeesMisreadText(t *testing.T) {
	m, err := mapping.Parse("t.yaml", []byte(`kind: birth_registration
version: "1"
fields:
  certificate_number: so
  registering_agency: so
  registration_date: date(ngay)
  full_name: name(decode(ho_ten, "tcvn3"))
  date_of_birth: date(ngay)
  sex: sex(gt)
`))
	if err != nil {
		t.Fatal(err)
	}
	res := m.Map(map[string]any{"so": "1", "ngay": "2024-03-01", "ho_ten": "NGUYÔN V¡N §øC", "gt": "Nam"})
	if len(res.Violations) > 0 || res.Record.Data["full_name"] != "Nguyễn Văn Đức" {
		t.Fatalf("full_name = %q, %s; want Nguyễn Văn Đức", res.Record.Data["full_name"], codes(res.Violations))
	}
	if i := fieldIndex(m, "full_name"); !res.Repaired.Has(i) || !res.Reformatted.Has(i) {
		t.Errorf("full_name: repaired %v, reformatted %v; want both (decoded, then re-cased)", res.Repaired.Has(i), res.Reformatted.Has(i))
	}
}

func fieldIndex(m *mapping.Mapper, name string) int {
	for i, f := range m.Kind.Fields {
		if f.Name == name {
			return i
		}
	}
	return -1
}

// TestNormalisation counts, per field, what the mapping repaired,
// reformatted and rejected over records.
func TestNormalisation(t *testing.T) {
	m := example(t, "khai-sinh.yaml")
	n := mapping.Normalisation{}
	clean := birthRow()
	clean["ho_ten"], clean["ngay_sinh"], clean["so_dinh_danh"] = "Nguyễn Văn An", "2024-03-01", "042224000123"
	misread := birthRow()
	misread["ho_ten"] = "NguyÔn V¨n An"
	spaced := birthRow()
	spaced["so_dinh_danh"] = "042\u00a0224\u00a0000\u00a0123"
	bad := birthRow()
	bad["ho_ten"] = "BiÒm Sõn"
	for _, row := range []map[string]any{clean, misread, spaced, bad} {
		n.Count(m.Kind, m.Map(row))
	}
	want := map[string]mapping.FieldCounts{
		"full_name":         {Repaired: 1, Reformatted: 1, Rejected: 1}, // misread; "  nguyễn   văn an "; two readings
		"date_of_birth":     {Reformatted: 2},                           // "1/3/2024" in misread and spaced
		"id_number":         {Reformatted: 1},                           // spaced
		"registration_date": {Reformatted: 3},                           // "05/03/2024"
		"sex":               {Reformatted: 3},                           // "Nam"
	}
	for field, w := range want {
		if got := n[field]; got != w {
			t.Errorf("%s: %+v; want %+v", field, got, w)
		}
	}
	t.Logf("%v", n)
}

// TestKindsFitFieldSet: every kind's fields fit a FieldSet.
func TestKindsFitFieldSet(t *testing.T) {
	for _, k := range schema.Kinds() {
		if len(k.Fields) > 64 {
			t.Errorf("kind %s has %d fields; FieldSet holds 64", k.Name, len(k.Fields))
		}
	}
}
