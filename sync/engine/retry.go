package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/sync/state"
)

// Retry is the mode of a run that re-processes a stream's rejects.
const Retry connectors.Mode = "retry"

// RetryRejects runs a stream's rejected records (only those with reason, if
// given) through the job's current mapping and validation. Records that now
// pass are delivered and leave the rejects; the others stay, with their new
// reason. The run is in the ledger like any other; the stream's checkpoint
// does not move.
func (e *Engine) RetryRejects(ctx context.Context, job Job, reason string) (state.Run, error) {
	job.Source = &rejectSource{st: e.State, ref: job.Ref, reason: reason}
	job.Mode = Retry
	return e.Run(ctx, job)
}

// rejectSource reads the rejects store as if it were the department system.
type rejectSource struct {
	st     *state.Store
	ref    state.Ref
	reason string
}

func (s *rejectSource) Check(context.Context, connectors.Stream) error { return nil }
func (s *rejectSource) Close() error                                   { return nil }

func (s *rejectSource) Read(_ context.Context, req connectors.ReadRequest) (connectors.Reader, error) {
	page := req.PageSize
	if page <= 0 {
		page = 1000
	}
	return &rejectReader{src: s, page: page}, nil
}

// rejectReader pages through the rejects by source key, so the writer may
// replace or delete the rows behind it while it reads.
type rejectReader struct {
	src   *rejectSource
	page  int
	after string
	buf   []state.Reject
	done  bool
}

func (r *rejectReader) Next(ctx context.Context) (connectors.Record, error) {
	if len(r.buf) == 0 {
		if r.done {
			return connectors.Record{}, connectors.ErrEndOfStream
		}
		rs, err := r.src.st.Rejects(ctx, state.Filter{Department: r.src.ref.Department, Source: r.src.ref.Source,
			Stream: r.src.ref.Stream, Reason: r.src.reason, After: r.after, Limit: r.page})
		if err != nil {
			return connectors.Record{}, err
		}
		r.done = len(rs) < r.page
		if len(rs) == 0 {
			return connectors.Record{}, connectors.ErrEndOfStream
		}
		r.buf, r.after = rs, rs[len(rs)-1].SourceKey
	}
	rej := r.buf[0]
	r.buf = r.buf[1:]
	if rej.Stage == state.StageRead {
		// The connector could not read this record; a mapping cannot fix
		// that, only the source can. Keep it rejected as it was.
		return connectors.Record{Key: rej.SourceKey, Fields: map[string]any{"raw": string(rej.Raw)},
			Problem: &connectors.Problem{Code: rej.Reason, Field: rej.Field, Message: rej.Message}}, nil
	}
	fields, err := decodeRaw(rej.Raw)
	if err != nil {
		return connectors.Record{Key: rej.SourceKey, Fields: map[string]any{}, Problem: &connectors.Problem{
			Code: rej.Reason, Field: rej.Field, Message: fmt.Sprintf("record %s: its saved raw record cannot be read: %v", rej.SourceKey, err)}}, nil
	}
	return connectors.Record{Key: rej.SourceKey, Fields: fields}, nil
}

// decodeRaw restores a raw record as the connector handed it over, as far as
// JSON allows: integers stay exact (an ID number stored as a number must not
// become 4.2e+10).
func decodeRaw(raw []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var fields map[string]any
	if err := dec.Decode(&fields); err != nil {
		return nil, err
	}
	for k, v := range fields {
		switch x := v.(type) {
		case json.Number:
			if i, err := x.Int64(); err == nil {
				fields[k] = i
			} else if f, err := x.Float64(); err == nil {
				fields[k] = f
			}
		case string:
			// A time.Time value (a DATE or TIMESTAMP column) was saved as
			// RFC 3339 text; give the mapping a time again, as the
			// connector did.
			if len(x) >= 20 && x[4] == '-' && x[10] == 'T' {
				if t, err := time.Parse(time.RFC3339Nano, x); err == nil {
					fields[k] = t
				}
			}
		}
	}
	return fields, nil
}

func (r *rejectReader) Final() connectors.Checkpoint { return nil }
func (r *rejectReader) Close() error                 { return nil }
