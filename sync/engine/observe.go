package engine

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lienthong/lienthong/connectors"
)

// readTimer sums the time spent reading and observes the sum every
// `every` records and at the end of the stream.
type readTimer struct {
	obs    prometheus.Observer
	every  int
	n      int
	waited time.Duration
}

func (r *readTimer) add(d time.Duration, err error) {
	r.waited += d
	if err == nil {
		r.n++
	}
	if r.n >= r.every || r.n > 0 && errors.Is(err, connectors.ErrEndOfStream) {
		r.obs.Observe(r.waited.Seconds())
		r.n, r.waited = 0, 0
	}
}
