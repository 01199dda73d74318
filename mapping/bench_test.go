package mapping_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/lienthong/lienthong/internal/testio"
	"github.com/lienthong/lienthong/mapping"
)

// benchBirth is a realistic birth-registration mapping: 15 fields, the
// normalisers a province uses (name, date, sex, id with its cross-checks,
// lookup, default, collapse), lets shared by fields, a skip and a reject.
const benchBirth = `kind: birth_registration
version: "bench"
tables:
  dan_toc: {Kinh: Kinh, "Mường": Mường, "Thái": Thái, "Tày": Tày, "Nùng": Nùng, "H'Mông": H'Mông}
let:
  dob: date(ngay_sinh)
  registered: date(ngay_dang_ky, "dd/mm/yyyy", "d/m/yyyy")
  gioi: sex(gioi_tinh)
fields:
  certificate_number: trim(so_dang_ky)
  registering_agency: collapse(co_quan_dang_ky)
  registration_date:  registered
  full_name:          name(ho_ten)
  date_of_birth:      dob
  sex:                gioi
  id_number:          id(so_dinh_danh, gioi, dob)
  place_of_birth:     collapse(noi_sinh)
  native_place:       collapse(que_quan)
  ethnicity:          lookup("dan_toc", default(dan_toc, "Kinh"))
  nationality:        default(collapse(quoc_tich), "Việt Nam")
  mother_full_name:   name(ho_ten_me)
  mother_id_number:   id(so_dinh_danh_me, "F")
  father_full_name:   name(ho_ten_cha)
  father_id_number:   id(so_dinh_danh_cha, "M")
skip:
  - {when: 'upper(trim(so_dang_ky)) startsWith "TEST"', reason: test row}
reject:
  - when: 'registered != "" && dob != "" && registered < dob'
    reason: registered_before_birth
    field: registration_date
    message: "registered on {{ngay_dang_ky}}, before the birth on {{ngay_sinh}}"
`

// benchRecords are records as a department's register holds them: mostly
// clean, typed in various ways, one in fifty with a mistake.
func benchRecords(n int) []map[string]any {
	surnames := []string{"Nguyễn", "Trần", "Lê", "Phan", "Hoàng", "Võ", "Đặng", "Bùi"}
	given := []string{"Văn An", "Thị Hoa", "Đức Minh", "Ngọc Lan", "Hữu Phúc", "Thu Trang"}
	out := make([]map[string]any, n)
	for i := range out {
		male := i%2 == 0
		sex, digit := "Nữ", 3
		if male {
			sex, digit = "Nam", 2
		}
		name := surnames[i%len(surnames)] + " " + given[i%len(given)]
		if i%7 == 0 {
			name = "  " + name + " " // officers type spaces
		}
		r := map[string]any{
			"id": int64(i), "so_dang_ky": fmt.Sprintf("%d/2024", i), "co_quan_dang_ky": "UBND xã Thạch Kênh, huyện Thạch Hà",
			"ngay_dang_ky": fmt.Sprintf("%02d/04/2024", 1+i%28), "ho_ten": name, "ngay_sinh": fmt.Sprintf("%d/3/2024", 1+i%28),
			"gioi_tinh": sex, "so_dinh_danh": fmt.Sprintf("042%d24%06d", digit, i), "noi_sinh": "Bệnh viện Đa khoa tỉnh Hà Tĩnh",
			"que_quan": "Xã Thạch Kênh, huyện Thạch Hà, tỉnh Hà Tĩnh", "dan_toc": "Kinh", "quoc_tich": "Việt Nam",
			"ho_ten_me": "Trần Thị Lan", "so_dinh_danh_me": "042185000001", "ho_ten_cha": "Nguyễn Văn Hùng",
			"so_dinh_danh_cha": "042082000002", "ngay_cap_nhat": "2025-01-01 00:00:00",
		}
		switch {
		case i%50 == 11:
			r["ngay_sinh"] = "31/02/2024"
		case i%50 == 23:
			r["so_dinh_danh"] = fmt.Sprintf("042%d23%06d", digit, i) // birth year mismatch
		case i%50 == 37:
			r["dan_toc"] = nil
		}
		out[i] = r
	}
	return out
}

// BenchmarkMapBirthRegistration measures Map on one core:
//
//	go test -run '^$' -bench MapBirthRegistration -benchmem -cpu 1 ./mapping/
func BenchmarkMapBirthRegistration(b *testing.B) {
	m, err := mapping.Parse("bench.yaml", []byte(benchBirth))
	if err != nil {
		b.Fatal(err)
	}
	recs := benchRecords(1024)
	rejected := 0
	b.ReportAllocs()
	var cpu time.Duration
	for i := 0; b.Loop(); i++ {
		if i == 0 {
			cpu = testio.CPUTime()
		}
		if res := m.Map(recs[i%len(recs)]); len(res.Violations) > 0 {
			rejected++
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
	if cpu := testio.CPUTime() - cpu; cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "records/cpu-s")
	}
	if rejected == 0 {
		b.Fatal("no record was rejected: the benchmark's mistakes are not reached")
	}
}

// BenchmarkMapAndEncode measures the map stage's work on a record up to
// its canonical JSON and hash, with the record's data in a reused map
// (MapInto, Kind.Canonical) and as values by field index (MapFields,
// Kind.CanonicalFields), which makes no map and looks nothing up by name:
//
//	go test -run '^$' -bench MapAndEncode -benchmem -cpu 1 ./mapping/
func BenchmarkMapAndEncode(b *testing.B) {
	m, err := mapping.Parse("bench.yaml", []byte(benchBirth))
	if err != nil {
		b.Fatal(err)
	}
	recs := benchRecords(1024)
	now := time.Now()
	encode := func(b *testing.B, one func(src map[string]any) (bool, error)) {
		b.ReportAllocs()
		cpu := testio.CPUTime()
		for i := 0; b.Loop(); i++ {
			if _, err := one(recs[i%len(recs)]); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64((testio.CPUTime()-cpu).Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
	b.Run("map", func(b *testing.B) {
		data := map[string]any{}
		encode(b, func(src map[string]any) (bool, error) {
			clear(data)
			res := m.MapInto(data, src, now)
			if res.Skipped != "" || len(res.Violations) > 0 {
				return false, nil
			}
			_, _, err := m.Kind.Canonical(res.Record.Data)
			return true, err
		})
	})
	b.Run("fields", func(b *testing.B) {
		fields := make([]any, len(m.Kind.Fields))
		encode(b, func(src map[string]any) (bool, error) {
			res := m.MapFields(fields, src, now)
			if res.Skipped != "" || len(res.Violations) > 0 {
				return false, nil
			}
			_, _, err := m.Kind.CanonicalFields(fields)
			return true, err
		})
	})
	b.Run("row", func(b *testing.B) {
		// The source record as a row of values, bound once: no lookup of
		// a column by name either.
		var cols []string
		for name := range recs[0] {
			cols = append(cols, name)
		}
		bind := m.Bind(cols)
		rows := make([][]any, len(recs))
		for i := range recs {
			rows[i] = make([]any, len(cols))
			for j, name := range cols {
				rows[i][j] = recs[i][name]
			}
		}
		fields := make([]any, len(m.Kind.Fields))
		b.ReportAllocs()
		cpu := testio.CPUTime()
		for i := 0; b.Loop(); i++ {
			res := m.MapRow(fields, rows[i%len(rows)], bind, now)
			if res.Skipped != "" || len(res.Violations) > 0 {
				continue
			}
			if _, _, err := m.Kind.CanonicalFields(fields); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64((testio.CPUTime()-cpu).Nanoseconds())/float64(b.N), "cpu-ns/op")
	})
}
