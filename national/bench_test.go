package national_test

import (
	"fmt"
	"testing"

	"github.com/lienthong/lienthong/internal/testdb"
	"github.com/lienthong/lienthong/national"
)

const benchBatch = 1000

var (
	benchAgencies = []string{"UBND xã Thạch Hà", "UBND phường Bến Nghé", "UBND xã Tân Lập", "UBND thị trấn Phố Lu", "UBND phường Hòa Khánh Bắc"}
	benchSurnames = []string{"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng"}
	benchGiven    = []string{"Văn An", "Thị Bình", "Minh Châu", "Quốc Dũng", "Thu Hà", "Gia Huy", "Ngọc Lan", "Đức Minh", "Bảo Ngọc", "Thanh Tùng"}
	benchPlaces   = []string{"Bệnh viện Phụ sản Hà Nội", "Trạm y tế xã Thạch Hà", "Bệnh viện Từ Dũ, TP. Hồ Chí Minh", "Bệnh viện Đa khoa tỉnh Lào Cai"}
)

// birthBatch makes n birth registrations shaped like a civil-status
// register's, numbered from first so that every call can have fresh keys.
func birthBatch(b *testing.B, first, n int) []national.Item {
	b.Helper()
	items := make([]national.Item, n)
	for j := range items {
		i := first + j
		pick := func(list []string, salt int) string { return list[(i/len(list)+i*salt)%len(list)] }
		data := map[string]any{
			"certificate_number": fmt.Sprintf("%d/2024", i/len(benchAgencies)+1),
			"registering_agency": benchAgencies[i%len(benchAgencies)],
			"registration_date":  fmt.Sprintf("2024-%02d-%02d", i%12+1, i%25+3),
			"full_name":          pick(benchSurnames, 3) + " " + pick(benchGiven, 7),
			"date_of_birth":      fmt.Sprintf("2024-%02d-%02d", i%12+1, i%25+1),
			"sex":                []string{"M", "F"}[i%2],
			"id_number":          fmt.Sprintf("001%d24%06d", 2+i%2, i%1000000),
			"place_of_birth":     pick(benchPlaces, 5),
			"native_place":       "xã Thạch Hà, tỉnh Hà Tĩnh",
			"ethnicity":          "Kinh",
			"nationality":        "Việt Nam",
			"mother_full_name":   pick(benchSurnames, 11) + " " + pick(benchGiven, 13),
			"mother_id_number":   fmt.Sprintf("0011%08d", i),
			"father_full_name":   pick(benchSurnames, 17) + " " + pick(benchGiven, 19),
			"father_id_number":   fmt.Sprintf("0010%08d", i),
		}
		items[j] = item(b, "birth_registration", fmt.Sprintf("KS-%d", i), data)
		// The engine gives the store the record's values beside its JSON.
		items[j].Values = national.ValuesOf("birth_registration", data)
	}
	return items
}

func expectAll(b *testing.B, res national.Result, want national.Outcome) {
	b.Helper()
	for i, o := range res.Outcomes {
		if o != want {
			b.Fatalf("item %d: %v, want %v", i, o, want)
		}
	}
}

// analyzeEvery is how many batches the insert benchmark writes between two
// ANALYZEs. On a server autovacuum analyzes a growing table about once a
// minute; a benchmark lasts seconds, and without statistics the planner
// takes a stream of thousands of records for a handful and scans it whole.
const analyzeEvery = 20

// BenchmarkWritePostgres writes batches of new birth registrations.
func BenchmarkWritePostgres(b *testing.B) {
	db, s := openDB(b, testdb.Postgres(b))
	written := 0
	for b.Loop() {
		b.StopTimer()
		if written > 0 && written%(analyzeEvery*benchBatch) == 0 {
			if _, err := db.ExecContext(b.Context(), `ANALYZE national_records`); err != nil {
				b.Fatal(err)
			}
		}
		items := birthBatch(b, written, benchBatch)
		b.StartTimer()
		res, err := s.Write(b.Context(), hotich, items)
		if err != nil {
			b.Fatal(err)
		}
		expectAll(b, res, national.Inserted)
		written += len(items)
	}
	b.ReportMetric(float64(written)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkWriteUnchangedPostgres re-writes one batch: the steady state of a
// sync whose source did not change. An incremental run only compares; a full
// refresh also stamps each record with its new generation.
func BenchmarkWriteUnchangedPostgres(b *testing.B) {
	for _, bc := range []struct {
		name        string
		generations bool
	}{
		{"incremental", false},
		{"full-refresh", true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s := openStore(b, testdb.Postgres(b))
			items := birthBatch(b, 0, benchBatch)
			p := hotich
			if bc.generations {
				p.Generation = 1
			}
			if _, err := s.Write(b.Context(), p, items); err != nil {
				b.Fatal(err)
			}
			written := 0
			for b.Loop() {
				if bc.generations {
					p.Generation++
				}
				res, err := s.Write(b.Context(), p, items)
				if err != nil {
					b.Fatal(err)
				}
				expectAll(b, res, national.Unchanged)
				written += len(items)
			}
			b.ReportMetric(float64(written)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// BenchmarkPrefillPostgres reads one citizen's records by ID number (the
// portal's read) from 20,000 birth registrations: each answer's documents
// are rebuilt from their columns.
func BenchmarkPrefillPostgres(b *testing.B) {
	s := openStore(b, testdb.Postgres(b))
	const n = 20000
	for first := 0; first < n; first += benchBatch {
		if _, err := s.Write(b.Context(), hotich, birthBatch(b, first, benchBatch)); err != nil {
			b.Fatal(err)
		}
	}
	i := 0
	for b.Loop() {
		id := fmt.Sprintf("001%d24%06d", 2+i%2, i%n)
		docs, err := s.Prefill(b.Context(), id)
		if err != nil || len(docs) != 1 {
			b.Fatalf("prefill %s: %d documents, %v", id, len(docs), err)
		}
		i += 7919
	}
}
