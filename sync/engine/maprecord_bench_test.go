package engine

import (
	"fmt"
	"maps"
	"math/rand"
	"slices"
	"testing"
	"time"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/examples"
	"github.com/lienthong/lienthong/internal/testio"
	"github.com/lienthong/lienthong/mapping"
)

// benchSource makes n records of a civil-status register as lienthong
// bench's generator does (internal/bench/gen.go): the columns
// examples/mappings/khai-sinh.yaml reads, as text, with stray spaces in one
// name in ten, and about 3% of rows the mapping rejects and 0.5% it skips.
func benchSource(n int) []connectors.Record {
	families := []string{"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"}
	middles := [2][]string{{"Thị", "Ngọc", "Thu", "Thanh", "Mai", "Bảo", "Khánh"}, {"Văn", "Đức", "Minh", "Quốc", "Hữu", "Thành", "Gia"}}
	givens := [2][]string{{"Anh", "Chi", "Dung", "Hà", "Hạnh", "Hoa", "Hương", "Lan", "Linh", "Ngân"}, {"An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Khoa", "Long"}}
	communes := []string{"Thạch Kênh", "Thạch Liên", "Thạch Đài", "Cẩm Xuyên", "Kỳ Anh", "Hương Khê", "Đức Thọ", "Nghi Xuân"}
	districts := []string{"Thạch Hà", "Cẩm Xuyên", "Kỳ Anh", "Hương Khê", "Đức Thọ"}
	ethnics := []string{"Kinh", "Kinh", "Kinh", "Kinh", "Mường", "Thái", "", ""}
	r := rand.New(rand.NewSource(1))
	pick := func(s []string) string { return s[r.Intn(len(s))] }
	out := make([]connectors.Record, n)
	for i := range out {
		m := r.Intn(2)
		sexWord, sexDigit := [2]string{"Nữ", "Nam"}[m], 3-m
		year := 2015 + r.Intn(10)
		dob := time.Date(year, time.Month(1+r.Intn(12)), 1+r.Intn(28), 0, 0, 0, 0, time.UTC)
		reg := dob.AddDate(0, 0, 1+r.Intn(60))
		name := pick(families) + " " + pick(middles[m]) + " " + pick(givens[m])
		if r.Intn(10) == 0 {
			name = "  " + name + "  "
		}
		commune := pick(communes)
		cert := fmt.Sprintf("%d/%d", i+1, reg.Year())
		id := fmt.Sprintf("042%d%02d%06d", sexDigit, year%100, r.Intn(1_000_000))
		switch bad := r.Intn(1000); {
		case bad < 10:
			name = ""
		case bad < 20:
			cert = fmt.Sprintf("%d-%d", i+1, reg.Year())
		case bad < 30:
			id = fmt.Sprintf("042%d%02d%06d", 5-sexDigit, year%100, r.Intn(1_000_000))
		case bad < 35:
			cert = fmt.Sprintf("TEST-%d", i+1)
		}
		nationality := "Việt Nam"
		if r.Intn(5) == 0 {
			nationality = ""
		}
		out[i] = connectors.Record{Key: fmt.Sprint(i + 1), Fields: map[string]any{
			"id": int64(i + 1), "so_dang_ky": cert, "co_quan_dang_ky": "UBND xã " + commune + ", huyện " + pick(districts),
			"ngay_dang_ky": reg.Format("02/01/2006"), "ho_ten": name, "ngay_sinh": dob.Format("02/01/2006"), "gioi_tinh": sexWord,
			"so_dinh_danh": id, "noi_sinh": "Trạm y tế xã " + commune,
			"que_quan": "Xã " + pick(communes) + ", huyện " + pick(districts) + ", tỉnh Hà Tĩnh", "dan_toc": pick(ethnics),
			"quoc_tich": nationality, "ho_ten_me": pick(families) + " " + pick(middles[0]) + " " + pick(givens[0]),
			"so_dinh_danh_me":  fmt.Sprintf("0421%02d%06d", 85+r.Intn(15), r.Intn(1_000_000)),
			"ho_ten_cha":       pick(families) + " " + pick(middles[1]) + " " + pick(givens[1]),
			"so_dinh_danh_cha": fmt.Sprintf("0420%02d%06d", 80+r.Intn(18), r.Intn(1_000_000)),
			"ngay_cap_nhat":    time.Date(2025, 1, 1, 0, 0, i, 0, time.UTC),
		}}
	}
	return out
}

// BenchmarkMapRecord measures the map stage's work on one record, as the
// engine does it for lienthong bench: examples/mappings/khai-sinh.yaml's
// mapping and validation, the canonical JSON and its hash, the natural key.
//
//	go test -run '^$' -bench MapRecord -benchmem -cpu 1 ./sync/engine/
func BenchmarkMapRecord(b *testing.B) {
	src, err := examples.Mappings.ReadFile("mappings/khai-sinh.yaml")
	if err != nil {
		b.Fatal(err)
	}
	m, err := mapping.Parse("khai-sinh.yaml", src)
	if err != nil {
		b.Fatal(err)
	}
	recs := benchSource(4096)
	// As sqlsource hands them over: a row of the page's columns.
	cols := slices.Sorted(maps.Keys(recs[0].Fields))
	rows := make([]source, len(recs))
	for i, r := range recs {
		row := make([]any, len(cols))
		for j, c := range cols {
			row[j] = r.Fields[c]
		}
		rows[i] = source{Record: connectors.Record{Key: r.Key}, row: row, cols: cols}
	}
	for _, c := range []struct {
		name string
		src  func(i int) source
	}{
		{"map", func(i int) source { return source{Record: recs[i%len(recs)]} }},
		{"row", func(i int) source { return rows[i%len(rows)] }},
	} {
		b.Run(c.name, func(b *testing.B) {
			var delivered, rejected, skipped int
			vals := newValueSlices(16)
			var bound binding
			b.ReportAllocs()
			cpu := testio.CPUTime()
			for i := 0; b.Loop(); i++ {
				it, err := mapRecord(m, c.src(i), &vals, &bound)
				if err != nil {
					b.Fatal(err)
				}
				// The writer hands a delivered record's values back once
				// its batch is committed.
				vals.put(it.out.Values)
				switch {
				case it.reject != nil:
					rejected++
				case it.skip != "":
					skipped++
				default:
					delivered++
				}
			}
			b.ReportMetric(float64((testio.CPUTime()-cpu).Nanoseconds())/float64(b.N), "cpu-ns/op")
			if delivered == 0 || (b.N > len(recs) && (rejected == 0 || skipped == 0)) {
				b.Fatalf("%d delivered, %d rejected, %d skipped: the records do not reach every outcome", delivered, rejected, skipped)
			}
		})
	}
}
