package sqlsource_test

import (
	"errors"
	"testing"

	"github.com/lienthong/lienthong/connectors"
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
	ctx := b.Context()
	total := 0
	for b.Loop() {
		r, err := src.Read(ctx, connectors.ReadRequest{Stream: st, Mode: connectors.Incremental, PageSize: 5000})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			if _, err := r.Next(ctx); err != nil {
				if !errors.Is(err, connectors.ErrEndOfStream) {
					b.Fatal(err)
				}
				break
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
}
