package mapping

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/lienthong/lienthong/examples"
)

// evalExprs are expressions of every node the evaluator covers, and of some
// it does not, for FuzzEval.
var evalExprs = []string{
	`trim(x)`, `x`, `x + y`, `x + ", " + y`, `concat(x, y, "z")`, `join(", ", x, y)`, `coalesce(x, y, "none")`,
	`x == "" ? y : x`, `x != y ? "a" : "b"`, `x < y ? x : y`, `x > y ? x : y`, `x <= y ? "le" : "gt"`,
	`x >= y ? "ge" : "lt"`, `x startsWith "0" ? "zero" : x`, `x endsWith y ? "yes" : "no"`,
	`x contains "/" ? "slash" : "none"`, `x matches "^[0-9]+$" ? "digits" : "other"`, `!(x == y) ? "ne" : "eq"`,
	`not (x == "") ? x : "empty"`, `x == nil ? "nil" : "set"`, `nil == x ? "nil" : "set"`,
	`true && x == "" ? "t" : "f"`, `x == "" || y == "" ? "blank" : "both"`, `x == "" and y == "" ? "t" : "f"`,
	`x == "" or y == "" ? "t" : "f"`, `date(x) < date(y) ? "before" : "not before"`, `date(x, "dd/mm/yyyy")`,
	`id(x, sex(y), date(y))`, `id(x, "M", y)`, `sex(x, "Nam", "Nữ")`, `default(collapse(x), "Việt Nam")`,
	`lookup("t", default(x, "a"))`, `lookup("t", x, "d")`, `upper(lower(name(x)))`, `replace(x, "/", y)`,
	`phone(x, y)`, `decode(x, "tcvn3")`, `let a = x; a + a`, `x[1:3]`,
	`[x, y][1]`, `x ?? y`, `{"a": x}.a`, `x in ["a", "b"] ? x : y`, `(x == "") == (y == "")  ? x : y`,
	`false ? x : y`, `d + x`, `d < x ? d : x`, `d`,
}

// vmOnly are the expressions of evalExprs the VM runs: the evaluator does
// not cover lists, maps, slices, ?? and inline lets.
var vmOnly = map[string]bool{
	`let a = x; a + a`: true, `x[1:3]`: true, `[x, y][1]`: true, `x ?? y`: true, `{"a": x}.a`: true,
	`x in ["a", "b"] ? x : y`: true,
}

// evalRecords are records for FuzzEval: texts, NULLs, numbers, dates,
// NFD text, a text past maxText, a missing column.
var evalRecords = []map[string]any{
	{"x": "05/03/2024", "y": "Nam"},
	{"x": "042224000123", "y": "01/03/2024"},
	{"x": "", "y": ""},
	{"x": nil, "y": nil},
	{"x": "a", "y": "b"},
	{"x": int64(42), "y": 1.5},
	{"x": time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC), "y": "05/03/2024"},
	{"x": norm.NFD.String("Hòa"), "y": "Hòa"},
	{"x": strings.Repeat("x", maxText), "y": strings.Repeat("y", 10)},
	{"x": "0912 345 678"},
	nil,
}

// FuzzEval checks that the evaluator and the VM map every record alike:
// the same record, violations and skip, whatever the expression.
//
//	go test -run '^$' -fuzz FuzzEval -fuzztime 1m ./mapping/
func FuzzEval(f *testing.F) {
	for _, e := range evalExprs {
		f.Add(e)
	}
	f.Fuzz(func(t *testing.T, e string) {
		if len(e) > 2000 {
			return
		}
		for _, src := range evalMappings(e) {
			checkEval(t, src)
		}
	})
}

// evalMappings puts an expression in a field, a let, a skip condition and
// a reject condition of a mapping.
func evalMappings(e string) []string {
	q := "'" + strings.ReplaceAll(e, "'", "''") + "'"
	head := "kind: person\nversion: \"1\"\ntables: {t: {a: b}}\n"
	fields := func(native string) string {
		return "fields:\n  id_number: '\"042224000123\"'\n  full_name: name(y)\n  date_of_birth: d\n" +
			"  sex: '\"M\"'\n  native_place: " + native + "\n"
	}
	lets := "let:\n  d: date(y)\n"
	return []string{
		head + lets + fields(q),
		head + "let:\n  d: date(y)\n  a: " + q + "\n" + fields("a"),
		head + lets + fields("x") + "skip:\n  - {when: " + q + ", reason: r}\n",
		head + lets + fields("x") + "reject:\n  - {when: " + q + ", reason: r, field: native_place, message: 'x is {{x}}'}\n",
	}
}

// checkEval maps evalRecords with the mapping, with its evaluator and
// with the VM. It reports whether the mapping loads, and whether the
// evaluator covers it.
func checkEval(t *testing.T, src string) (loads, covered bool) {
	t.Helper()
	m, err := Parse("eval.yaml", []byte(src))
	if err != nil {
		return false, false
	}
	vmOnly, err := Parse("eval.yaml", []byte(src))
	if err != nil {
		t.Fatalf("parsed once, not twice: %v", err)
	}
	vmOnly.eval = nil
	for _, r := range evalRecords {
		got, want := m.Map(r), vmOnly.Map(r)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s\nrecord %v:\nevaluator: %+v\nVM:        %+v", src, r, got, want)
		}
	}
	return true, m.eval != nil
}

// TestEval runs FuzzEval's seeds and the example mappings, and checks the
// evaluator covers the expressions mappings are made of.
func TestEval(t *testing.T) {
	for _, e := range evalExprs {
		t.Run(e, func(t *testing.T) {
			loaded := 0
			for _, src := range evalMappings(e) {
				loads, covered := checkEval(t, src)
				if loads {
					loaded++
				}
				if loads && !covered && !vmOnly[e] {
					t.Errorf("the evaluator does not cover\n%s", src)
				}
			}
			if loaded == 0 {
				t.Errorf("no mapping with %s loads", e)
			}
		})
	}
	for _, name := range []string{"khai-sinh.yaml", "cong-dan.yaml", "bao-tro.yaml", "the-bhyt.yaml"} {
		body, err := examples.Mappings.ReadFile("mappings/" + name)
		if err != nil {
			t.Fatal(err)
		}
		m, err := Parse(name, body)
		if err != nil {
			t.Fatal(err)
		}
		if m.eval == nil {
			t.Errorf("%s: the evaluator does not cover it", name)
		}
		vmOnly, _ := Parse(name, body)
		vmOnly.eval = nil
		for i := range 50 {
			r := exampleRecord(i)
			if got, want := m.Map(r), vmOnly.Map(r); !reflect.DeepEqual(got, want) {
				t.Fatalf("%s, record %d:\nevaluator: %+v\nVM:        %+v", name, i, got, want)
			}
		}
	}
}

// exampleRecord is a record with the columns of the example mappings,
// some of them wrong.
func exampleRecord(i int) map[string]any {
	r := map[string]any{}
	for _, col := range []string{"so_dang_ky", "co_quan_dang_ky", "ho_ten", "gioi_tinh", "noi_sinh", "que_quan",
		"dan_toc", "quoc_tich", "ho_ten_me", "ho_ten_cha", "ghi_chu", "dia_chi", "so_dien_thoai", "ma_the",
		"ma_xa", "noi_dang_ky", "ho_ten_me", "ho_ten_cha"} {
		r[col] = fmt.Sprintf("Giá trị %d", i)
	}
	dates := []string{"05/03/2024", "31/02/2024", "1990", "", "2024-03-05", "hôm qua"}
	for j, col := range []string{"ngay_sinh", "ngay_dang_ky", "tu_ngay", "den_ngay", "ngay_cap"} {
		r[col] = dates[(i+j)%len(dates)]
	}
	ids := []string{"042224000123", "042185000001", "042082000002", "12", ""}
	for j, col := range []string{"so_dinh_danh", "so_dinh_danh_me", "so_dinh_danh_cha", "so_cmnd"} {
		r[col] = ids[(i+j)%len(ids)]
	}
	r["gioi_tinh"] = []any{"Nam", "Nữ", "1", nil}[i%4]
	if i%7 == 3 {
		r["so_dang_ky"] = "TEST " + fmt.Sprint(i)
	}
	return r
}
