package metrics

import (
	"bytes"
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lienthong/lienthong/internal/cursortext"
	"github.com/lienthong/lienthong/sync/state"
)

// StateCollector reports what the state store knows of each configured
// stream, read at scrape time: computed from the ledger rather than
// counted in this process, these numbers cannot drift, survive restarts,
// and are the same on every replica whichever one ran the stream.
type StateCollector struct {
	st      *state.Store
	timeout time.Duration

	mu      sync.RWMutex
	streams []Stream

	rejects, failures, cursor *prometheus.Desc
}

// NewStateCollector returns the collector of the state store's view of the
// configured streams: rejects outstanding, consecutive failed runs, and the
// newest cursor value delivered (the base of freshness). Register it on
// main's registry; each scrape runs a few grouped queries.
func NewStateCollector(st *state.Store, streams []Stream) *StateCollector {
	return &StateCollector{
		st: st, streams: streams, timeout: 5 * time.Second,
		rejects: prometheus.NewDesc("lienthong_stream_rejects_outstanding",
			"Rejected records of the stream not yet fixed (delivered since or gone from the source).", streamLabels, nil),
		failures: prometheus.NewDesc("lienthong_stream_consecutive_failures",
			"Runs of the stream that failed, were abandoned or timed out since its last successful run.", streamLabels, nil),
		cursor: prometheus.NewDesc("lienthong_stream_cursor_timestamp_seconds",
			"Newest cursor value delivered (the stream's checkpoint), as Unix time; only for streams whose cursor is a date or timestamp. Freshness is time() minus this.",
			streamLabels, nil),
	}
}

// SetStreams replaces the streams reported: lienthong serve calls it when
// departments register, change or remove streams while it runs.
func (c *StateCollector) SetStreams(streams []Stream) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.streams = streams
}

// Describe sends the collector's descriptions.
func (c *StateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.rejects
	ch <- c.failures
	ch <- c.cursor
}

// Collect queries the state store. When it cannot answer, the scrape
// reports the error (promhttp logs it and serves the other metrics) and
// lienthong_store_up tells the alerts.
func (c *StateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	statuses, err := c.st.StreamStatuses(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.rejects, err)
		return
	}
	c.mu.RLock()
	streams := c.streams
	c.mu.RUnlock()
	for _, s := range streams {
		ss := statuses[state.Ref{Department: s.Department, Source: s.Source, Stream: s.Stream}]
		ch <- prometheus.MustNewConstMetric(c.rejects, prometheus.GaugeValue, float64(ss.RejectsOutstanding), s.labels()...)
		ch <- prometheus.MustNewConstMetric(c.failures, prometheus.GaugeValue, float64(ss.ConsecutiveFailures), s.labels()...)
		if t, ok := CursorTime(ss.Checkpoint, s.Zone); ok {
			ch <- prometheus.MustNewConstMetric(c.cursor, prometheus.GaugeValue, float64(t.UnixMilli())/1000, s.labels()...)
		}
	}
}

// CursorTime reads the newest cursor value delivered from a checkpoint
// whose "cursor" field holds a date or timestamp as text (the SQL and HTTP
// connectors keep theirs so). A value printed without a zone is read in
// zone (nil: UTC): a department's database most likely wrote it in the
// province's.
func CursorTime(checkpoint json.RawMessage, zone *time.Location) (time.Time, bool) {
	if zone == nil {
		zone = time.UTC
	}
	checkpoint = bytes.TrimSpace(checkpoint)
	if len(checkpoint) == 0 || checkpoint[0] != '{' {
		return time.Time{}, false
	}
	var cp struct {
		Cursor *string `json:"cursor"`
	}
	if json.Unmarshal(checkpoint, &cp) != nil || cp.Cursor == nil {
		return time.Time{}, false
	}
	layout, ok := cursortext.TimeLayout(*cp.Cursor)
	if !ok {
		return time.Time{}, false
	}
	t, err := time.ParseInLocation(layout, *cp.Cursor, zone)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}
