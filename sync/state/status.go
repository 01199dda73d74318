package state

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/lienthong/lienthong/internal/database"
)

// StreamStatus is what the state store knows about a stream now: for the
// API's stream list and for the metrics read at scrape time, so that every
// replica reports the same numbers, whichever one ran the stream.
type StreamStatus struct {
	Ref
	// LastRun is the stream's newest run, nil before its first.
	LastRun *Run `json:"last_run,omitempty"`
	// LastSuccessAt is when a run that read the source last succeeded.
	LastSuccessAt *time.Time `json:"last_success_at,omitempty"`
	// Checkpoint is where the next incremental read starts.
	Checkpoint json.RawMessage `json:"checkpoint,omitempty"`
	// RejectsOutstanding counts the stream's rejects not yet fixed.
	RejectsOutstanding int64 `json:"rejects_outstanding"`
	// ConsecutiveFailures counts the runs that failed, were abandoned or
	// timed out since the last one that succeeded.
	ConsecutiveFailures int64 `json:"consecutive_failures"`
}

// StreamStatuses returns the status of every stream the state store has
// seen, by reference. A stream never run is absent.
func (s *Store) StreamStatuses(ctx context.Context) (map[Ref]StreamStatus, error) {
	out := map[Ref]StreamStatus{}
	var states []struct {
		Ref
		Checkpoint    sql.NullString `db:"checkpoint"`
		LastSuccessAt sql.NullTime   `db:"last_success_at"`
	}
	if err := s.db.SelectContext(ctx, &states, `SELECT department, source, stream, checkpoint, last_success_at FROM stream_state`); err != nil {
		return nil, fmt.Errorf("read stream states: %w", err)
	}
	for _, st := range states {
		ss := StreamStatus{Ref: st.Ref}
		if st.Checkpoint.Valid {
			ss.Checkpoint = json.RawMessage(st.Checkpoint.String)
		}
		if st.LastSuccessAt.Valid {
			t := st.LastSuccessAt.Time
			ss.LastSuccessAt = &t
		}
		out[st.Ref] = ss
	}
	var last []Run
	if err := s.db.SelectContext(ctx, &last, `SELECT `+runColumns+` FROM runs
		WHERE id IN (SELECT MAX(id) FROM runs GROUP BY department, source, stream)`); err != nil {
		return nil, fmt.Errorf("read last runs: %w", err)
	}
	for i := range last {
		ss := out[last[i].Ref]
		ss.Ref, ss.LastRun = last[i].Ref, &last[i]
		out[last[i].Ref] = ss
	}
	var counts []struct {
		Ref
		N int64 `db:"n"`
	}
	if err := s.db.SelectContext(ctx, &counts, `SELECT department, source, stream, COUNT(*) AS n FROM rejects GROUP BY department, source, stream`); err != nil {
		return nil, fmt.Errorf("count rejects: %w", err)
	}
	for _, c := range counts {
		ss := out[c.Ref]
		ss.Ref, ss.RejectsOutstanding = c.Ref, c.N
		out[c.Ref] = ss
	}
	counts = counts[:0]
	if err := s.db.SelectContext(ctx, &counts, `SELECT department, source, stream, COUNT(*) AS n FROM runs r
		WHERE status IN ('failed', 'abandoned', 'timed_out') AND id > COALESCE((SELECT MAX(id) FROM runs s
			WHERE s.department = r.department AND s.source = r.source AND s.stream = r.stream AND s.status = 'succeeded'), 0)
		GROUP BY department, source, stream`); err != nil {
		return nil, fmt.Errorf("count failed runs: %w", err)
	}
	for _, c := range counts {
		ss := out[c.Ref]
		ss.Ref, ss.ConsecutiveFailures = c.Ref, c.N
		out[c.Ref] = ss
	}
	return out, nil
}

// RejectCount is how many outstanding rejects of a stream have one reason.
type RejectCount struct {
	Ref
	Reason string `db:"reason"`
	Count  int64  `db:"n"`
}

// OutstandingRejects counts the rejects not yet fixed, by stream and reason.
func (s *Store) OutstandingRejects(ctx context.Context) ([]RejectCount, error) {
	var out []RejectCount
	if err := s.db.SelectContext(ctx, &out, `SELECT department, source, stream, reason, COUNT(*) AS n FROM rejects
		GROUP BY department, source, stream, reason`); err != nil {
		return nil, fmt.Errorf("count rejects: %w", err)
	}
	return out, nil
}

// Ping checks that the state store's database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("state store: %w", err)
	}
	return nil
}

// Pending returns how many of the state store's migrations the database
// has not applied: not zero means this binary is newer than the schema.
func (s *Store) Pending(ctx context.Context) (int, error) {
	ms, err := database.LoadMigrations(migrations, "migrations", s.db.Dialect)
	if err != nil {
		return 0, err
	}
	return s.db.Pending(ctx, "state", ms)
}
