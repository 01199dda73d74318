package metrics

import (
	"time"

	"github.com/lienthong/lienthong/schema"
)

// Stream is a configured stream as the metrics know it: its names and
// how often its schedule runs it.
type Stream struct {
	Department, Source, Stream string
	// Interval is the longest gap the stream's schedule leaves between two
	// runs; 0 when it runs only on demand.
	Interval time.Duration
	// Zone is where a cursor timestamp printed without a zone is read
	// (the province's); nil means UTC.
	Zone *time.Location
}

func (s Stream) labels(extra ...string) []string {
	return append([]string{s.Department, s.Source, s.Stream}, extra...)
}

// recordSeries are the (stage, outcome) pairs lienthong_records_total
// takes: fixed codes, never values from records.
var recordSeries = [][2]string{
	{StageRead, "ok"},
	{StageMap, "ok"}, {StageMap, "skipped"}, {StageMap, "rejected"},
	{StageWrite, "inserted"}, {StageWrite, "updated"}, {StageWrite, "unchanged"}, {StageWrite, "conflict"},
}

// runStatuses are the final statuses a run's duration is observed with.
var runStatuses = []string{"succeeded", "failed"}

// Init creates every series of the configured streams, at zero, and sets
// their schedule intervals: a dashboard and an alert see each stream from
// start-up, and a rate over a counter born at its first increment does not
// miss that increment.
func (m *Metrics) Init(streams []Stream) {
	reasons := schema.Reasons()
	for _, s := range streams {
		m.Runs.WithLabelValues(s.labels()...)
		m.RunFailures.WithLabelValues(s.labels()...)
		m.Deleted.WithLabelValues(s.labels()...)
		m.BatchDuration.WithLabelValues(s.labels()...)
		m.SourceRead.WithLabelValues(s.labels()...)
		for _, st := range runStatuses {
			m.RunDuration.WithLabelValues(s.labels(st)...)
		}
		for _, so := range recordSeries {
			m.Records.WithLabelValues(s.labels(so[0], so[1])...)
		}
		for _, r := range reasons {
			m.Rejects.WithLabelValues(s.labels(r.Code)...)
		}
		m.ScheduleInterval.WithLabelValues(s.labels()...).Set(s.Interval.Seconds())
	}
}
