// Package metrics holds lienthong's Prometheus collectors. They are
// registered on a registry the caller (main) owns; nothing here touches the
// global default registry.
//
// Label values come from configuration (department, source, stream), from
// fixed stage and outcome names, or from stable reject reason codes, never
// from record content, so cardinality stays bounded by the configuration.
//
// Counters and histograms are fed by the engine, the connectors and the
// scheduler as things happen; what the state store already knows (rejects
// outstanding, failures in a row, the newest cursor delivered) is read from
// it at scrape time by NewStateCollector instead, so it cannot drift and is
// the same on every replica. docs/METRICS.md lists every metric.
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
	// Deleted counts national records marked deleted (a full refresh's
	// unseen records, records the mapping now skips).
	Deleted *prometheus.CounterVec
	// SourceRead times how long a run waited on its source for the
	// records of one batch.
	SourceRead *prometheus.HistogramVec
	// HTTPRequests counts the attempts HTTP sources made, by status code
	// ("error" when no answer came); HTTPRetries the attempts that were
	// retries.
	HTTPRequests *prometheus.CounterVec
	HTTPRetries  *prometheus.CounterVec
	// SchedulerQueued and SchedulerRunning count this replica's view of
	// the scheduler's jobs; SchedulerLeader is 1 on the replica that
	// currently leads (enqueues the cron jobs), 0 elsewhere.
	SchedulerQueued  prometheus.Gauge
	SchedulerRunning prometheus.Gauge
	SchedulerLeader  prometheus.Gauge
	// ScheduleInterval is the longest gap a stream's schedule leaves
	// between two runs, for staleness alerts.
	ScheduleInterval *prometheus.GaugeVec
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
	m.Deleted = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "lienthong_records_deleted_total",
		Help: "National records marked deleted: unseen by a completed full refresh, or now skipped by the mapping. Counted when the run ends.",
	}, streamLabels)
	m.SourceRead = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "lienthong_source_read_duration_seconds",
		Help:    "Time a run waited on its source for the records of one batch.",
		Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 14),
	}, streamLabels)
	m.HTTPRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "lienthong_http_source_requests_total",
		Help: `HTTP requests (every attempt) sent to department APIs, by status code; code="error" when no answer came.`,
	}, []string{"department", "source", "code"})
	m.HTTPRetries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "lienthong_http_source_retries_total",
		Help: "HTTP request attempts to department APIs that were retries of a failed attempt.",
	}, []string{"department", "source"})
	m.SchedulerQueued = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "lienthong_scheduler_jobs_queued",
		Help: "Sync jobs waiting in the scheduler's queue.",
	})
	m.SchedulerRunning = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "lienthong_scheduler_jobs_running",
		Help: "Sync jobs this replica is running.",
	})
	m.SchedulerLeader = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "lienthong_scheduler_leader",
		Help: "1 when this replica is the scheduler's leader, else 0.",
	})
	m.ScheduleInterval = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "lienthong_stream_schedule_interval_seconds",
		Help: "Longest gap the stream's schedule leaves between two runs; 0 when it runs only on demand.",
	}, streamLabels)
	for _, c := range []prometheus.Collector{m.Records, m.Rejects, m.Runs, m.RunFailures, m.RunDuration, m.BatchDuration, m.LastSuccess,
		m.Deleted, m.SourceRead, m.HTTPRequests, m.HTTPRetries, m.SchedulerQueued, m.SchedulerRunning, m.SchedulerLeader, m.ScheduleInterval} {
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
