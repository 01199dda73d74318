package httpsink

import "github.com/prometheus/client_golang/prometheus"

// sinkMetrics are the sink's series; label values are fixed lists.
type sinkMetrics struct {
	requests      *prometheus.CounterVec
	retries       *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	inFlight      prometheus.Gauge
	breakerOpen   prometheus.Gauge
	breakerOpened prometheus.Counter
}

func newSinkMetrics(reg prometheus.Registerer) (*sinkMetrics, error) {
	m := &sinkMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lienthong_national_sink_requests_total",
			Help: "Requests to the national ingest service, by operation and final HTTP status (\"error\" when none came back), retries not counted."},
			[]string{"operation", "code"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lienthong_national_sink_retries_total",
			Help: "Requests to the national ingest service sent again after a failure, a 429 or a 5xx."}, []string{"operation"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "lienthong_national_sink_request_duration_seconds",
			Help:    "Time from sending a request to the national ingest service to its final answer, retries included.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2.5, 12)}, []string{"operation"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{Name: "lienthong_national_sink_in_flight_requests",
			Help: "Requests to the national ingest service out now."}),
		breakerOpen: prometheus.NewGauge(prometheus.GaugeOpts{Name: "lienthong_national_sink_breaker_open",
			Help: "1 while the circuit breaker stops sending to a national ingest service that is down."}),
		breakerOpened: prometheus.NewCounter(prometheus.CounterOpts{Name: "lienthong_national_sink_breaker_opened_total",
			Help: "Times the circuit breaker opened."}),
	}
	for _, op := range []string{"batch", "touch", "retire", "mark_deleted", "unseen", "count", "info"} {
		m.retries.WithLabelValues(op)
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.requests, m.retries, m.duration, m.inFlight, m.breakerOpen, m.breakerOpened} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
