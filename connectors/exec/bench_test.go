package exec_test

import (
	"errors"
	"testing"

	"github.com/lienthong/lienthong/connectors"
)

// BenchmarkRead reads 200,000 records of six fields, with a STATE every
// 1,000, from a child program, and reports records per second.
func BenchmarkRead(b *testing.B) {
	const records = 200_000
	src, _ := source(b, misbehave("flood", "200000"))
	ctx := b.Context()
	total := 0
	for b.Loop() {
		r, err := src.Read(ctx, connectors.ReadRequest{Stream: sStream, Mode: connectors.FullRefresh})
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
		if want := `{"bookmarks":{"s":200000}}`; string(r.Final()) != want {
			b.Fatalf("Final = %s, want %s", r.Final(), want)
		}
		r.Close()
		if n != records {
			b.Fatalf("read %d records, want %d", n, records)
		}
		total += n
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "records/s")
}
