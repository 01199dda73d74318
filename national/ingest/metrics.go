package ingest

import "github.com/prometheus/client_golang/prometheus"

// handlerMetrics are the ingest service's series. Labels come from the
// configured provinces and fixed code lists, never from a request: an
// unknown province is counted under "" in requests and by reason in
// refused.
type handlerMetrics struct {
	requests *prometheus.CounterVec
	records  *prometheus.CounterVec
	refused  *prometheus.CounterVec
	replayed *prometheus.CounterVec
}

func newHandlerMetrics(reg prometheus.Registerer, provinces []Province) (*handlerMetrics, error) {
	m := &handlerMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lienthong_ingest_requests_total",
			Help: "Requests to the national ingest API, by province, operation and HTTP status."}, []string{"province", "operation", "code"}),
		records: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lienthong_ingest_records_total",
			Help: "Records of applied batches, by province and outcome (inserted, updated, unchanged, rejected)."}, []string{"province", "outcome"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lienthong_ingest_refused_total",
			Help: "Requests refused before they were applied, by reason (unknown_province, unknown_key, bad_signature, too_large, busy, ...)."}, []string{"reason"}),
		replayed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lienthong_ingest_batches_replayed_total",
			Help: "Batches received again under an idempotency key already applied, answered from the stored answer."}, []string{"province"}),
	}
	for _, p := range provinces {
		for _, o := range []string{OutcomeInserted, OutcomeUpdated, OutcomeUnchanged, OutcomeRejected} {
			m.records.WithLabelValues(p.ID, o)
		}
		m.replayed.WithLabelValues(p.ID)
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.requests, m.records, m.refused, m.replayed} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
