package mapping_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/lienthong/lienthong/mapping"
)

// FuzzCompile loads mappings with random expressions in a field, a let and
// a condition: a mapping that is wrong must be an error, never a panic, and
// one that loads must map any record without one.
//
//	go test -run '^$' -fuzz FuzzCompile -fuzztime 1m ./mapping/
func FuzzCompile(f *testing.F) {
	for _, s := range []string{
		`trim(x)`, `date(x, "dd/mm/yyyy")`, `lookup("t", x, "d")`, `x + y`, `let a = x; a + a`,
		`x == "" ? y : x`, `id(x, sex(y), date(y))`, `concat(x, y, "z")`, `join(", ", x, y)`,
		`1 % 0`, `x[1:3]`, `x matches "^[0-9]+$"`, `{"a": x}.a`, `[x, y][1]`, `nil`, `x ?? y`,
		`filter([x], # != "")`, `1..3`, `$env`, `trim(`, `"unterminated`, `x.y.z`, `len(x)`,
		`if x == "" { "a" } else { "b" }`, `not (x in ["a"])`, `-x`, `x * 2`, `date(x, "")`,
		`sex(x, "Nam", "Nữ")`, `decode(x, "tcvn3")`, `phone(x, y)`, `upper(lower(name(x)))`, `replace(x, "", y)`,
		`default(x, 1)`, `lookup("nope", x)`, `x.__proto__`, `lookup(x, y)`, `date(y, x)`,
	} {
		f.Add(s)
	}
	rec := map[string]any{"x": "05/03/2024", "y": "Nam", "z": nil}
	f.Fuzz(func(t *testing.T, e string) {
		if len(e) > 2000 {
			return
		}
		for _, src := range []string{
			person(e, "tables: {t: {a: b}}\n"),
			person("a", "tables: {t: {a: b}}\nlet:\n  a: "+yamlQuote(e)+"\n"),
			person("x", "skip:\n  - {when: "+yamlQuote(e)+", reason: r}\n"),
			person("x", "reject:\n  - {when: 'x == \"\"', reason: r, message: "+yamlQuote("{{"+e+"}}")+"}\n"),
		} {
			m, err := mapping.Parse("fuzz.yaml", []byte(src))
			if err != nil {
				if !strings.HasPrefix(err.Error(), "fuzz.yaml") {
					t.Fatalf("error does not name the file: %v", err)
				}
				continue
			}
			m.Map(rec)
			m.Map(map[string]any{"x": strings.Repeat(e, 3), "y": e})
			m.Map(nil)
		}
	})
}

// FuzzMap maps random records with the example mapping: any values, in any
// encoding, must give a result (a record, violations or a skip), never a
// panic; mapped fields are NFC text and every violation has a code.
//
//	go test -run '^$' -fuzz FuzzMap -fuzztime 1m ./mapping/
func FuzzMap(f *testing.F) {
	m := example(f, "khai-sinh.yaml")
	f.Add("12/2024", "05/03/2024", "Nguyễn Văn An", "1/3/2024", "Nam", "042224000123", int64(0), true)
	f.Add("TEST", "31/02/2020", "  ", "00/00/1950", "Nữ", "42224000123", int64(42224000123), false)
	f.Add("x", "2024-03-05T17:00:00Z", "Nguy\xd4n", "1990", "1", "999224000123", int64(-1), true)
	f.Add("", "", norm.NFD.String("Hoà"), "13/13/13", "", "042 224 000 123", int64(1<<62), false)
	f.Fuzz(func(t *testing.T, so, ngayDK, hoTen, ngaySinh, gioi, id string, n int64, dropOne bool) {
		r := birthRow()
		r["so_dang_ky"], r["ngay_dang_ky"], r["ho_ten"], r["ngay_sinh"], r["gioi_tinh"], r["so_dinh_danh"] = so, ngayDK, hoTen, ngaySinh, gioi, id
		r["so_dinh_danh_me"] = n
		if dropOne {
			delete(r, "ho_ten_cha")
			r["que_quan"] = []byte(hoTen)
		}
		res := m.Map(r)
		if res.Skipped != "" {
			if len(res.Violations) > 0 || len(res.Record.Data) > 0 {
				t.Fatalf("a skipped record has a result: %+v", res)
			}
			return
		}
		for _, v := range res.Violations {
			if v.Code == "" || v.Message == "" {
				t.Fatalf("violation without code or message: %+v", v)
			}
		}
		for k, v := range res.Record.Data {
			s, ok := v.(string)
			if !ok || s == "" {
				t.Fatalf("%s = %#v: want text", k, v)
			}
			if utf8.ValidString(s) && !norm.NFC.IsNormalString(s) && k != "place_of_birth" && k != "native_place" {
				t.Fatalf("%s = %q is not NFC", k, s)
			}
		}
	})
}
