package engine

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lienthong/lienthong/connectors"
)

// timeReads makes the reader report, for every batch's worth of records,
// how long the run waited on the source: the source read latency an
// operator compares with the batch write latency to see which side is
// slow. A retry of rejects reads the state store, not a source, and is not
// timed.
func (e *Engine) timeReads(r connectors.Reader, job Job) connectors.Reader {
	if job.Mode == Retry {
		return r
	}
	return &timedReader{Reader: r, every: job.Batch.Size,
		obs: e.Metrics.SourceRead.WithLabelValues(job.Ref.Department, job.Ref.Source, job.Ref.Stream)}
}

// timedReader sums the time spent in Next and observes the sum every
// `every` records and at the end of the stream.
type timedReader struct {
	connectors.Reader
	obs    prometheus.Observer
	every  int
	n      int
	waited time.Duration
}

func (r *timedReader) Next(ctx context.Context) (connectors.Record, error) {
	start := time.Now()
	rec, err := r.Reader.Next(ctx)
	r.waited += time.Since(start)
	if err == nil {
		r.n++
	}
	if r.n >= r.every || r.n > 0 && errors.Is(err, connectors.ErrEndOfStream) {
		r.obs.Observe(r.waited.Seconds())
		r.n, r.waited = 0, 0
	}
	return rec, err
}
