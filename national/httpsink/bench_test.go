package httpsink_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/lienthong/lienthong/internal/database"
	"github.com/lienthong/lienthong/internal/testdb"
	"github.com/lienthong/lienthong/national"
	"github.com/lienthong/lienthong/national/ingest/ingesttest"
)

// BenchmarkPush writes the same records, in batches of 1,000 one after
// another as the engine does, straight to a PostgreSQL national store
// ("direct") and through the sink to a national ingest service on
// loopback that writes them to its own PostgreSQL store ("push"): TLS 1.3
// with client certificates, Ed25519 signatures, idempotency keys kept,
// records validated again at the national side. Each iteration writes
// into an empty store. LIENTHONG_BENCH_RECORDS sets the number of records
// (default 100,000). docs/PERFORMANCE.md quotes it:
//
//	LIENTHONG_BENCH_RECORDS=1000000 go test -run '^$' -bench Push -benchtime 1x ./national/httpsink/
func BenchmarkPush(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("LIENTHONG_BENCH_RECORDS")); err == nil && v > 0 {
		n = v
	}
	const batch = 1000
	items := people(b, 1, n)
	prov := national.Provenance{Department: "cong-an", Source: "dan-cu", Stream: "cong-dan", RunID: 1}
	write := func(b *testing.B, s national.Store) {
		ctx := context.Background()
		for lo := 0; lo < len(items); lo += batch {
			hi := min(lo+batch, len(items))
			if _, err := s.Write(ctx, prov, items[lo:hi]); err != nil {
				b.Fatal(err)
			}
		}
	}
	report := func(b *testing.B, elapsed time.Duration) {
		b.ReportMetric(float64(n)*float64(b.N)/elapsed.Seconds(), "records/s")
		b.ReportMetric(0, "ns/op")
	}
	b.Run("direct", func(b *testing.B) {
		var elapsed time.Duration
		for range b.N {
			db, err := database.Open(context.Background(), testdb.Postgres(b))
			if err != nil {
				b.Fatal(err)
			}
			store := national.New(db)
			if _, err := store.Migrate(context.Background()); err != nil {
				b.Fatal(err)
			}
			start := time.Now()
			write(b, store)
			elapsed += time.Since(start)
			db.Close()
		}
		report(b, elapsed)
	})
	b.Run("push", func(b *testing.B) {
		var elapsed time.Duration
		pki := ingesttest.NewPKI(b)
		for range b.N {
			s := ingesttest.Start(b, pki, ingesttest.Options{})
			sink := s.Sink(b, nil)
			if err := sink.Negotiate(context.Background()); err != nil {
				b.Fatal(err)
			}
			start := time.Now()
			write(b, sink)
			elapsed += time.Since(start)
		}
		report(b, elapsed)
	})
}
