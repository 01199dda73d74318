package engine_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/internal/database"
	"github.com/lienthong/lienthong/national"
	"github.com/lienthong/lienthong/national/httpsink"
	"github.com/lienthong/lienthong/national/ingest/ingesttest"
	"github.com/lienthong/lienthong/schema"
	"github.com/lienthong/lienthong/sync/state"
)

// sinkKinds are the two kinds of national store the engine writes
// through: the database it writes itself, and the national ingest API.
var sinkKinds = []string{"database", "http"}

// sinkView is the HTTP sink as the engine sees it, with the reads the
// tests make (Get) served by the national side's own store, where the
// province's department is kept as "province/department".
type sinkView struct {
	*httpsink.Sink
	national national.Store
}

func (v sinkView) Get(ctx context.Context, kind, key string) (national.Document, bool, error) {
	return v.national.Get(ctx, kind, key)
}

// sinkHarness is a harness whose national store is a sink of the kind,
// and the database that holds the national records.
func sinkHarness(t *testing.T, kind string, o ingesttest.Options) (*harness, *database.DB) {
	t.Helper()
	h := newHarnessOn(t, "postgres")
	if kind == "database" {
		return h, h.storeDB
	}
	pki := ingesttest.NewPKI(t)
	s := ingesttest.Start(t, pki, o)
	sink := s.Sink(t, nil)
	if err := sink.Negotiate(context.Background()); err != nil {
		t.Fatal(err)
	}
	v := sinkView{Sink: sink, national: s.Store}
	h.nat, h.eng.National = v, v
	return h, s.DB
}

// The engine's conformance scenarios, run against each kind of sink.
func TestSinkConservation(t *testing.T) {
	for _, k := range sinkKinds {
		t.Run(k, func(t *testing.T) {
			h, _ := sinkHarness(t, k, ingesttest.Options{})
			testConservation(t, h)
		})
	}
}

func TestSinkFullRefreshDeletion(t *testing.T) {
	for _, k := range sinkKinds {
		t.Run(k, func(t *testing.T) {
			h, _ := sinkHarness(t, k, ingesttest.Options{})
			testFullRefreshDeletion(t, h)
		})
	}
}

// A replay changes nothing: a second full refresh of an unchanged source
// finds every record unchanged and leaves the national records as they
// were, content, stamps aside.
func TestSinkReplay(t *testing.T) {
	for _, k := range sinkKinds {
		t.Run(k, func(t *testing.T) {
			h, nat := sinkHarness(t, k, ingesttest.Options{})
			h.seed(1, 300, 2)
			h.mustRun(connectors.FullRefresh)
			before := snapshot(t, nat)
			r := h.mustRun(connectors.FullRefresh)
			wantCounts(t, r, state.Counts{Read: 300, Unchanged: 294, Rejected: 6})
			if after := snapshot(t, nat); after != before {
				t.Fatalf("national records changed by a replay:\n%s\n%s", before, after)
			}
		})
	}
}

// snapshot sums up the national records' keys, contents and deletions.
func snapshot(t *testing.T, db *database.DB) string {
	t.Helper()
	var s string
	err := db.GetContext(context.Background(), &s, `SELECT count(*) || ' ' || md5(string_agg(kind || natural_key || source_key || encode(content_hash, 'hex') ||
		coalesce(deleted_at::text, 'live'), ',' ORDER BY kind, natural_key)) FROM national_records`)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSinkCommitOrder is TestCommitOrder on each sink: a batch whose
// national write fails, or whose state commit fails after the national
// side acknowledged it, leaves the checkpoint where it was, and the next
// run delivers every record exactly once.
func TestSinkCommitOrder(t *testing.T) {
	for _, k := range sinkKinds {
		for _, afterCommit := range []bool{false, true} {
			name := k + "/national write fails"
			if afterCommit {
				name = k + "/state commit fails after the national commit"
			}
			t.Run(name, func(t *testing.T) {
				const rows = 1000
				h, nat := sinkHarness(t, k, ingesttest.Options{})
				commitOrder(t, h, rows, afterCommit, func() { eachOnce(t, h, nat, rows) })
			})
		}
	}
}

// eachOnce checks that source rows 1..rows are each live in the national
// store or rejected, exactly once.
func eachOnce(t *testing.T, h *harness, nat *database.DB, rows int) {
	t.Helper()
	seen := map[string]int{}
	for _, q := range []struct {
		db *database.DB
		q  string
	}{{nat, `SELECT source_key FROM national_records WHERE deleted_at IS NULL`}, {h.storeDB, `SELECT source_key FROM rejects`}} {
		var keys []string
		if err := q.db.SelectContext(context.Background(), &keys, q.q); err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			seen[k]++
		}
	}
	for id := 1; id <= rows; id++ {
		if n := seen[fmt.Sprint(id)]; n != 1 {
			t.Errorf("source row %d is delivered or rejected %d times, want once", id, n)
		}
	}
	if len(seen) != rows {
		t.Errorf("%d source keys in the stores, want %d", len(seen), rows)
	}
}

// A record the national side refuses becomes a reject of the run, at the
// write stage, with the national reason code; the run conserves, and the
// record is not delivered. Here the national side's clock is in 2000, so
// every birth of the fixture is in its future.
func TestNationalRejectsReachTheLedger(t *testing.T) {
	h, nat := sinkHarness(t, "http", ingesttest.Options{Now: func() time.Time { return time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC) }})
	h.seed(1, 50, 1)
	r := h.mustRun(connectors.Incremental)
	wantCounts(t, r, state.Counts{Read: 50, Rejected: 50})
	rs, err := h.st.Rejects(context.Background(), state.Filter{Stream: h.ref.Stream})
	if err != nil {
		t.Fatal(err)
	}
	write := 0
	for _, rj := range rs {
		if rj.Stage == state.StageWrite {
			write++
			if rj.Reason != schema.ReasonFutureDate {
				t.Errorf("reject %s: reason %q (%s), want the national %s", rj.SourceKey, rj.Reason, rj.Message, schema.ReasonFutureDate)
			}
		}
	}
	if write != 49 {
		t.Errorf("%d write-stage rejects, want 49 (one row is rejected by the province's mapping)", write)
	}
	var n int
	if err := nat.GetContext(context.Background(), &n, `SELECT count(*) FROM national_records`); err != nil || n != 0 {
		t.Fatalf("%d national records (%v), want none", n, err)
	}
}

// A national side that is down opens the sink's breaker: the run stops at
// its last committed batch with a ledger error saying the stream is paused
// and until when, and the next run, once the national side is back,
// delivers every record once.
func TestSinkBreakerPausesTheStream(t *testing.T) {
	var down atomic.Bool
	h := newHarnessOn(t, "postgres")
	pki := ingesttest.NewPKI(t)
	s := ingesttest.Start(t, pki, ingesttest.Options{Wrap: func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if down.Load() {
				w.Header().Set("Retry-After", "0")
				http.Error(w, "down", http.StatusServiceUnavailable)
				return
			}
			next.ServeHTTP(w, r)
		})
	}})
	sink := s.Sink(t, func(c *httpsink.Config) { c.RetryMax, c.BreakerFailures, c.BreakerCooldown = 1, 1, time.Hour })
	v := sinkView{Sink: sink, national: s.Store}
	h.nat, h.eng.National = v, v
	h.seed(1, 300, 1)
	h.batch = 100
	real := h.eng.National
	h.eng.National = &failingAfter{Store: real, n: 2, fail: func() { down.Store(true) }}
	r, err := h.run(context.Background(), connectors.Incremental)
	if !errors.Is(err, httpsink.ErrUnavailable) || r.Status != state.StatusFailed || !strings.Contains(r.Error, "the stream is paused until") {
		t.Fatalf("run against a national side that went down: %v, %+v; want failed, paused by the breaker", err, r)
	}
	if !r.Conserved() || r.Read != 200 {
		t.Fatalf("paused run %+v: want the 2 batches before the fault, conserved", r.Counts)
	}
	down.Store(false)
	// A new sink: the breaker of the paused one stays open for its cool-down.
	sink = s.Sink(t, nil)
	v = sinkView{Sink: sink, national: s.Store}
	h.nat, h.eng.National = v, v
	second := h.mustRun(connectors.Incremental)
	if second.Read != 100 {
		t.Errorf("the run after the pause read %d, want the last 100", second.Read)
	}
	eachOnce(t, h, s.DB, 300)
}

// failingAfter calls fail once n writes went through.
type failingAfter struct {
	national.Store
	n    int
	fail func()
}

func (f *failingAfter) WriteBatch(ctx context.Context, p national.Provenance, b national.Batch) (national.Result, error) {
	res, err := f.Store.WriteBatch(ctx, p, b)
	if f.n--; f.n == 0 {
		f.fail()
	}
	return res, err
}
