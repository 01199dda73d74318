package sqlsource_test

import (
	"context"
	"errors"
	"testing"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/internal/testio"
)

// BenchmarkReadPostgres reads 100,000 rows incrementally in pages of 5,000,
// the configuration's default, and reports rows per second.
func BenchmarkReadPostgres(b *testing.B) {
	const rows = 100_000
	be := newBackend(b, "postgres")
	be.exec(b, `CREATE TABLE births (id BIGINT PRIMARY KEY, updated_at timestamptz NOT NULL,
		full_name TEXT, born DATE, weight NUMERIC(5,2), province TEXT)`)
	be.exec(b, `CREATE INDEX births_cursor ON births (updated_at, id)`)
	be.exec(b, `INSERT INTO births
		SELECT g, timestamptz '2024-01-01' + (g / 3) * interval '1 second', 'Nguyễn Văn ' || g,
		       date '2000-01-01' + g % 8000, 3 + (g % 100) / 100.0, 'Hà Tĩnh'
		FROM generate_series(1, $1) g`, rows)
	be.exec(b, `ANALYZE births`)
	src := be.open(b)
	st := connectors.Stream{Name: "births", Table: "births", PrimaryKey: []string{"id"}, Cursor: "updated_at"}
	benchRead(b, src, st, rows, false)
}

// BenchmarkReadPostgresText reads 100,000 rows of a civil-status register
// as lienthong bench makes it (15 text columns, a key and a timestamptz
// cursor) incrementally, in pages of 5,000, and reports the client's CPU
// per row: the cost of decoding a row into a record.
//
//	go test -run '^$' -bench ReadPostgresText -benchmem ./connectors/sqlsource/
func BenchmarkReadPostgresText(b *testing.B) {
	const rows = 100_000
	be := newBackend(b, "postgres")
	be.exec(b, `CREATE TABLE khai_sinh (id bigint PRIMARY KEY, so_dang_ky text NOT NULL, co_quan_dang_ky text NOT NULL,
		ngay_dang_ky text, ho_ten text, ngay_sinh text, gioi_tinh text, so_dinh_danh text, noi_sinh text, que_quan text,
		dan_toc text, quoc_tich text, ho_ten_me text, so_dinh_danh_me text, ho_ten_cha text, so_dinh_danh_cha text,
		ngay_cap_nhat timestamptz NOT NULL)`)
	be.exec(b, `INSERT INTO khai_sinh
		SELECT g, g || '/2024', 'UBND xã Thạch Kênh, huyện Thạch Hà', '02/04/2024', 'Nguyễn Thị Hoa ' || g, '01/03/2024',
		       'Nữ', '04232400' || lpad((g % 10000)::text, 4, '0'), 'Trạm y tế xã Thạch Kênh',
		       'Xã Thạch Liên, huyện Cẩm Xuyên, tỉnh Hà Tĩnh', 'Kinh', 'Việt Nam', 'Trần Thị Lan', '042185000001',
		       'Nguyễn Văn Hùng', '042082000002', timestamptz '2025-01-01' + g * interval '1 second'
		FROM generate_series(1, $1) g`, rows)
	be.exec(b, `CREATE INDEX khai_sinh_cursor ON khai_sinh (ngay_cap_nhat, id)`)
	be.exec(b, `ANALYZE khai_sinh`)
	src := be.open(b)
	st := connectors.Stream{Name: "khai_sinh", Table: "khai_sinh", PrimaryKey: []string{"id"}, Cursor: "ngay_cap_nhat"}
	b.Run("maps", func(b *testing.B) { benchRead(b, src, st, rows, false) })
	b.Run("rows", func(b *testing.B) { benchRead(b, src, st, rows, true) })
}

// benchRead reads the stream to its end once per iteration, asking one
// record in a thousand for its checkpoint as the engine does at a batch
// boundary, and giving every record's map back as the engine does; or,
// asRows, reading each record as a row (NextRow).
func benchRead(b *testing.B, src connectors.Source, st connectors.Stream, rows int, asRows bool) {
	ctx := b.Context()
	total := 0
	b.ReportAllocs()
	cpu := testio.CPUTime()
	for b.Loop() {
		r, err := src.Read(ctx, connectors.ReadRequest{Stream: st, Mode: connectors.Incremental, PageSize: 5000})
		if err != nil {
			b.Fatal(err)
		}
		recycle, _ := r.(interface{ Recycle(map[string]any) })
		rowReader, _ := r.(interface {
			NextRow(context.Context) (connectors.Record, []any, []string, error)
		})
		if asRows && rowReader == nil {
			b.Fatalf("%T does not hand over rows", r)
		}
		n := 0
		for {
			var rec connectors.Record
			if asRows {
				rec, _, _, err = rowReader.NextRow(ctx)
			} else {
				rec, err = r.Next(ctx)
			}
			if err != nil {
				if !errors.Is(err, connectors.ErrEndOfStream) {
					b.Fatal(err)
				}
				break
			}
			if n%1000 == 999 && len(rec.Checkpoint()) == 0 {
				b.Fatalf("record %s has no checkpoint", rec.Key)
			}
			if recycle != nil && !asRows {
				recycle.Recycle(rec.Fields) // as the engine does once a batch commits
			}
			n++
		}
		r.Close()
		if n != rows {
			b.Fatalf("read %d rows, want %d", n, rows)
		}
		total += n
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "rows/s")
	if cpu := testio.CPUTime() - cpu; cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(total), "cpu-ns/row")
	}
}
