package engine

import (
	"context"
	"time"

	"github.com/lienthong/lienthong/connectors"
)

// source is a record as its reader handed it over: its values in Fields,
// or, from a reader that hands rows (rowReader), in row, row[j] the value
// of column cols[j].
type source struct {
	connectors.Record
	row  []any
	cols []string
}

// fields returns the record's values by column name: Fields, or a map made
// of its row (for a reject, which keeps the source record).
func (s source) fields() map[string]any {
	if s.Fields != nil || s.row == nil {
		return s.Fields
	}
	m := make(map[string]any, len(s.cols))
	for j, c := range s.cols {
		if j < len(s.row) {
			m[c] = s.row[j]
		}
	}
	return m
}

// rowReader is implemented by a connectors.Reader that can hand a record's
// values as a row of its page's columns rather than a map (sqlsource): the
// map stage then reads them by index (mapping.Mapper.MapRow), and no map is
// filled, looked up and given back per record.
type rowReader interface {
	NextRow(ctx context.Context) (rec connectors.Record, row []any, cols []string, err error)
}

// reads returns the read stage's next: the reader's rows when it hands
// rows, else its records. It reports, for every batch's worth of records,
// how long the run waited on the source: the source read latency an
// operator compares with the batch write latency to see which side is
// slow. A retry of rejects reads the state store, not a source, and is not
// timed.
func (e *Engine) reads(r connectors.Reader, job Job) func(context.Context) (source, error) {
	next := func(ctx context.Context) (source, error) {
		rec, err := r.Next(ctx)
		return source{Record: rec}, err
	}
	if rr, ok := r.(rowReader); ok {
		next = func(ctx context.Context) (source, error) {
			rec, row, cols, err := rr.NextRow(ctx)
			return source{Record: rec, row: row, cols: cols}, err
		}
	}
	if job.Mode == Retry {
		return next
	}
	t := &readTimer{every: job.Batch.Size,
		obs: e.Metrics.SourceRead.WithLabelValues(job.Ref.Department, job.Ref.Source, job.Ref.Stream)}
	return func(ctx context.Context) (source, error) {
		start := time.Now()
		s, err := next(ctx)
		t.add(time.Since(start), err)
		return s, err
	}
}
