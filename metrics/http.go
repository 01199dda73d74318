package metrics

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// HTTPSource is what an HTTP connector reports its requests to for one
// source (it satisfies connectors.HTTPObserver).
type HTTPSource struct {
	department, source string
	requests           *prometheus.CounterVec
	retries            prometheus.Counter
}

// HTTPSource returns the observer of one configured source's HTTP
// requests.
func (m *Metrics) HTTPSource(department, source string) *HTTPSource {
	return &HTTPSource{department: department, source: source, requests: m.HTTPRequests,
		retries: m.HTTPRetries.WithLabelValues(department, source)}
}

// Attempt counts one attempt by its status code; 0 (no answer) is counted
// as "error". A status outside 100-599 is counted as "invalid", so a
// misbehaving server cannot mint label values.
func (h *HTTPSource) Attempt(code int) {
	label := "error"
	switch {
	case code >= 100 && code <= 599:
		label = strconv.Itoa(code)
	case code != 0:
		label = "invalid"
	}
	h.requests.WithLabelValues(h.department, h.source, label).Inc()
}

// Retry counts one retry.
func (h *HTTPSource) Retry() { h.retries.Inc() }
