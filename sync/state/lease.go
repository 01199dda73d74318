package state

import (
	"context"
	"fmt"
	"time"
)

// StatusTimedOut marks a run cancelled at its time limit. What it committed
// stays, and the next run resumes from its last committed batch.
const StatusTimedOut = "timed_out"

// RunningRun is a run the ledger says is running.
type RunningRun struct {
	Run
	// Lapsed says its process is gone, by the rule StartRun uses to take a
	// stream over: no heartbeat for LeaseTTL or, on this host, its PID no
	// longer answers.
	Lapsed bool
}

// Running lists the running runs, and which of them lapsed: a scheduler
// tells from them whether a job's replica died mid-run.
func (s *Store) Running(ctx context.Context) ([]RunningRun, error) {
	var rows []struct {
		holder
		Ref
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT id, department, source, stream, host, pid, started_at, heartbeat_at
		FROM runs WHERE status = 'running'`); err != nil {
		return nil, fmt.Errorf("list running runs: %w", err)
	}
	now := s.clock(ctx, s.db)
	out := make([]RunningRun, len(rows))
	for i, r := range rows {
		out[i] = RunningRun{Run: Run{ID: r.ID, Ref: r.Ref, Status: StatusRunning, StartedAt: r.StartedAt, Host: r.Host, PID: r.PID},
			Lapsed: !s.alive(r.holder, now)}
	}
	return out, nil
}

// MarkTimedOut records that a run which ended failed was cancelled at its
// time limit.
func (s *Store) MarkTimedOut(ctx context.Context, runID int64, limit time.Duration) error {
	if _, err := s.db.ExecContext(ctx, s.q(`UPDATE runs SET status = ?, error = ? WHERE id = ? AND status = ?`), StatusTimedOut,
		fmt.Sprintf("timed out after %s; the batches committed before stay, and the next run resumes from the last of them", limit),
		runID, StatusFailed); err != nil {
		return fmt.Errorf("mark run %d timed out: %w", runID, err)
	}
	return nil
}
