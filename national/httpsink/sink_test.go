package httpsink_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/lienthong/lienthong/national"
	"github.com/lienthong/lienthong/national/httpsink"
	"github.com/lienthong/lienthong/national/ingest"
	"github.com/lienthong/lienthong/national/ingest/ingesttest"
	"github.com/lienthong/lienthong/schema"
)

func person(t testing.TB, n int, name string) national.Item {
	t.Helper()
	data := map[string]any{"id_number": fmt.Sprintf("04209%07d", n), "full_name": name, "date_of_birth": "1990-05-17", "sex": "M"}
	k, _ := schema.Lookup("person")
	b, h, err := schema.Canonical(data)
	if err != nil {
		t.Fatal(err)
	}
	return national.Item{Kind: "person", NaturalKey: k.NaturalKey(data), SourceKey: fmt.Sprint(n), Data: b, Hash: h}
}

func people(t testing.TB, lo, hi int) []national.Item {
	var items []national.Item
	for n := lo; n <= hi; n++ {
		items = append(items, person(t, n, "Nguyễn Văn An"))
	}
	return items
}

var prov = national.Provenance{Department: "cong-an", Source: "dan-cu", Stream: "cong-dan", RunID: 1}

func outcomes(res national.Result) map[national.Outcome]int {
	m := map[national.Outcome]int{}
	for _, o := range res.Outcomes {
		m[o]++
	}
	return m
}

// Write splits a batch within the national side's record limit, answers
// record by record (a national-side reject with its reason code), and a
// second write of the same records finds them unchanged; the stream
// operations reach the national store under the province.
func TestWrite(t *testing.T) {
	pki := ingesttest.NewPKI(t)
	s := ingesttest.Start(t, pki, ingesttest.Options{MaxBatchRecords: 4})
	reg := prometheus.NewRegistry()
	sink := s.Sink(t, func(c *httpsink.Config) { c.Registerer = reg })
	ctx := t.Context()
	if err := sink.Negotiate(ctx); err != nil {
		t.Fatal(err)
	}
	items := people(t, 1, 9)
	bad := person(t, 10, "")
	items = append(items, bad)
	res, err := sink.Write(ctx, prov, items)
	if err != nil {
		t.Fatal(err)
	}
	if got := outcomes(res); got[national.Inserted] != 9 || got[national.Rejected] != 1 || res.Outcomes[9] != national.Rejected {
		t.Fatalf("outcomes %v, want 9 inserted and the last rejected", res.Outcomes)
	}
	if rj := res.Rejections[9]; rj.Code != schema.ReasonRequired || rj.Field != "full_name" {
		t.Fatalf("rejection %+v, want required_missing on full_name", rj)
	}
	if got := value(t, reg, "lienthong_national_sink_requests_total", map[string]string{"operation": "batch", "code": "200"}); got != 3 {
		t.Errorf("%v batch requests, want 3 (10 records, 4 at most each)", got)
	}
	res, err = sink.Write(ctx, national.Provenance{Department: "cong-an", Source: "dan-cu", Stream: "cong-dan", RunID: 2}, people(t, 1, 9))
	if err != nil || outcomes(res)[national.Unchanged] != 9 {
		t.Fatalf("the same records again: %v %v, want 9 unchanged", res.Outcomes, err)
	}
	if n, err := sink.Count(ctx, "cong-an", "dan-cu", "cong-dan"); err != nil || n != 9 {
		t.Fatalf("count %d %v, want 9", n, err)
	}
	if n, err := sink.Retire(ctx, prov, []string{"1", "2"}); err != nil || n != 2 {
		t.Fatalf("retire %d %v, want 2", n, err)
	}
	if n, err := s.Store.Count(ctx, "ha-tinh/cong-an", "dan-cu", "cong-dan"); err != nil || n != 7 {
		t.Fatalf("national side count %d %v, want 7 under ha-tinh/cong-an", n, err)
	}
	if _, _, err := sink.Get(ctx, "person", "042090000003"); !errors.Is(err, httpsink.ErrNoReads) {
		t.Fatalf("Get: %v, want ErrNoReads", err)
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("metrics lint: %v %v", err, problems)
	}
}

// value sums the series of a metric whose labels include want.
func value(t *testing.T, reg *prometheus.Registry, name string, want map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	series:
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			for k, v := range want {
				if labels[k] != v {
					continue series
				}
			}
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return sum
}

// faults answers the first batch requests with the given statuses before
// letting requests through.
func faults(statuses ...int) func(http.Handler) http.Handler {
	var mu sync.Mutex
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			var status int
			if r.URL.Path == ingest.PathBatches && len(statuses) > 0 {
				status, statuses = statuses[0], statuses[1:]
			}
			mu.Unlock()
			if status != 0 {
				w.Header().Set("Retry-After", "0")
				http.Error(w, "busy", status)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// 429 and 503 (with Retry-After) and 502 are waited out: the batch lands
// once, the retries are counted.
func TestRetries(t *testing.T) {
	pki := ingesttest.NewPKI(t)
	s := ingesttest.Start(t, pki, ingesttest.Options{Wrap: faults(429, 503, 502)})
	reg := prometheus.NewRegistry()
	sink := s.Sink(t, func(c *httpsink.Config) { c.Registerer = reg })
	res, err := sink.Write(t.Context(), prov, people(t, 1, 3))
	if err != nil || outcomes(res)[national.Inserted] != 3 {
		t.Fatalf("write through 429, 503, 502: %v %v", res.Outcomes, err)
	}
	if got := value(t, reg, "lienthong_national_sink_retries_total", nil); got != 3 {
		t.Errorf("retries %v, want 3", got)
	}
}

// A batch applied whose answer is lost (the national side is too slow to
// answer within the timeout) is sent again under the same key and answered
// with the first answer: inserted, not unchanged, and applied once.
func TestLostAnswerReplayed(t *testing.T) {
	pki := ingesttest.NewPKI(t)
	var first atomic.Bool
	release := make(chan struct{})
	slow := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == ingest.PathBatches && first.CompareAndSwap(false, true) {
				// Apply, then hold the answer past the client's timeout.
				rec := httptest.NewRecorder()
				next.ServeHTTP(rec, r.WithContext(context.WithoutCancel(r.Context())))
				<-release
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	s := ingesttest.Start(t, pki, ingesttest.Options{Wrap: slow})
	// After Start, so that it runs before the server's Close waits for
	// the held handler.
	t.Cleanup(func() { close(release) })
	sink := s.Sink(t, func(c *httpsink.Config) { c.Timeout = 2 * time.Second })
	if err := sink.Negotiate(t.Context()); err != nil {
		t.Fatal(err)
	}
	res, err := sink.Write(t.Context(), prov, people(t, 1, 3))
	if err != nil || outcomes(res)[national.Inserted] != 3 {
		t.Fatalf("write whose first answer was lost: %v %v, want 3 inserted (the stored answer)", res.Outcomes, err)
	}
	var n int
	if err := s.DB.Get(&n, `SELECT count(*) FROM national_ingest_batches`); err != nil || n != 1 {
		t.Fatalf("%d batches applied (%v), want 1", n, err)
	}
}

// The breaker opens after BreakerFailures failed batches: the next write
// fails at once with ErrUnavailable and a message that says the stream is
// paused until when; the gauge says so.
func TestBreakerOpens(t *testing.T) {
	pki := ingesttest.NewPKI(t)
	var down atomic.Int64
	s := ingesttest.Start(t, pki, ingesttest.Options{Wrap: func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == ingest.PathBatches {
				down.Add(1)
				w.Header().Set("Retry-After", "0")
				http.Error(w, "down", http.StatusServiceUnavailable)
				return
			}
			next.ServeHTTP(w, r)
		})
	}})
	reg := prometheus.NewRegistry()
	sink := s.Sink(t, func(c *httpsink.Config) {
		c.Registerer, c.RetryMax, c.BreakerFailures, c.BreakerCooldown = reg, 1, 2, time.Hour
	})
	if _, err := sink.Write(t.Context(), prov, people(t, 1, 3)); err == nil || errors.Is(err, httpsink.ErrUnavailable) {
		t.Fatalf("first write: %v, want the 503", err)
	}
	// The failure that opens the breaker says so, with the 503.
	if _, err := sink.Write(t.Context(), prov, people(t, 1, 3)); !errors.Is(err, httpsink.ErrUnavailable) || !strings.Contains(err.Error(), "answered 503") {
		t.Fatalf("second write: %v, want ErrUnavailable with the 503", err)
	}
	sent := down.Load()
	_, err := sink.Write(t.Context(), prov, people(t, 1, 3))
	if !errors.Is(err, httpsink.ErrUnavailable) || !strings.Contains(err.Error(), "the stream is paused until") {
		t.Fatalf("write with the breaker open: %v, want ErrUnavailable", err)
	}
	if down.Load() != sent {
		t.Errorf("a request went out while the breaker was open")
	}
	if got := value(t, reg, "lienthong_national_sink_breaker_opened_total", nil); got != 1 {
		t.Errorf("lienthong_national_sink_breaker_opened_total = %v, want 1", got)
	}
	if got := value(t, reg, "lienthong_national_sink_breaker_open", nil); got != 1 {
		t.Errorf("lienthong_national_sink_breaker_open = %v, want 1", got)
	}
}

// An expired client certificate is refused at the handshake: the sink
// does not retry what cannot mend, does not count it as an outage, and
// says what to check.
func TestExpiredCertificate(t *testing.T) {
	pki := ingesttest.NewPKI(t)
	s := ingesttest.Start(t, pki, ingesttest.Options{})
	now := time.Now()
	cert, key := pki.ProvincesCA.Issue(t, pki.Province, false, now.Add(-48*time.Hour), now.Add(-24*time.Hour))
	reg := prometheus.NewRegistry()
	sink := s.Sink(t, func(c *httpsink.Config) { c.TLS, c.Registerer = pki.ClientTLS(t, cert, key), reg })
	_, err := sink.Write(t.Context(), prov, people(t, 1, 1))
	if !errors.Is(err, httpsink.ErrRefused) || !strings.Contains(err.Error(), "client certificate") {
		t.Fatalf("write with an expired certificate: %v, want ErrRefused naming the certificate", err)
	}
	if got := value(t, reg, "lienthong_national_sink_retries_total", nil); got != 0 {
		t.Errorf("%v retries of a refused handshake, want 0", got)
	}
}
