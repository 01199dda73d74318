// Package metrics holds lienthong's Prometheus collectors. They are
// registered on a registry the caller (main) owns; nothing here touches the
// global default registry.
//
// Label values come from configuration (department, source, stream), from
// fixed stage and outcome names, or from stable reject reason codes, never
// from record content, so cardinality stays bounded by the configuration.
package metrics

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Stages of the pipeline, as label values.
const (
	StageRead  = "read"
	StageMap   = "map"
	StageWrite = "write"
)

var streamLabels = []string{"department", "source", "stream"}

// Metrics are the collectors of one process.
type Metrics struct {
	// Records counts records by stage and outcome.
	Records *prometheus.CounterVec
	// Rejects counts rejected records by reason code.
	Rejects *prometheus.CounterVec
	// Runs counts run attempts; RunFailures those that did not succeed.
	Runs        *prometheus.CounterVec
	RunFailures *prometheus.CounterVec
	// RunDuration times whole runs.
	RunDuration *prometheus.HistogramVec
	// BatchDuration times the write of one batch (national store and state).
	BatchDuration *prometheus.HistogramVec
	// LastSuccess is the Unix time of each stream's last successful run.
	LastSuccess *prometheus.GaugeVec
}

// New creates the collectors and registers them on reg.
func New(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		Records: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lienthong_records_total",
			Help: "Records handled, by pipeline stage (read, map, write) and outcome.",
		}, append(streamLabels, "stage", "outcome")),
		Rejects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lienthong_rejects_total",
			Help: "Records rejected, by reason code.",
		}, append(streamLabels, "reason")),
		Runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lienthong_runs_total",
			Help: "Runs started.",
		}, streamLabels),
		RunFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lienthong_run_failures_total",
			Help: "Runs that ended without succeeding.",
		}, streamLabels),
		RunDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "lienthong_run_duration_seconds",
			Help:    "Duration of runs, by final status.",
			Buckets: prometheus.ExponentialBuckets(0.1, 3, 12),
		}, append(streamLabels, "status")),
		BatchDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "lienthong_batch_write_duration_seconds",
			Help:    "Time to commit one batch to the national store and the state store.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 12),
		}, streamLabels),
		LastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "lienthong_stream_last_success_timestamp_seconds",
			Help: "Unix time of the stream's last successful run.",
		}, streamLabels),
	}
	for _, c := range []prometheus.Collector{m.Records, m.Rejects, m.Runs, m.RunFailures, m.RunDuration, m.BatchDuration, m.LastSuccess} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register metrics: %w", err)
		}
	}
	return m, nil
}

// WriteTextfile writes every metric of g to path in the text format that
// node_exporter's textfile collector reads, atomically.
func WriteTextfile(path string, g prometheus.Gatherer) error {
	if err := prometheus.WriteToTextfile(path, g); err != nil {
		return fmt.Errorf("write metrics file: %w", err)
	}
	return nil
}
