package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// StatusCancelled marks a run stopped on request (RequestCancel): what it
// committed stays, and the next run resumes from its last committed batch.
const StatusCancelled = "cancelled"

var (
	// ErrNotFound means no run has the id asked for.
	ErrNotFound = errors.New("state: no such run")
	// ErrNotRunning means the run asked for has already ended.
	ErrNotRunning = errors.New("state: the run is not running")
	// ErrCancelRequested is what a run's heartbeat returns once someone
	// asked to cancel the run: the run stops at its next batch boundary.
	// The error is a *CancelRequest.
	ErrCancelRequested = errors.New("state: cancel requested")
)

// CancelRequest is the error a heartbeat returns for a run someone asked
// to cancel; it says who asked, for the ledger.
type CancelRequest struct {
	RunID int64
	By    string
}

func (c *CancelRequest) Error() string {
	return fmt.Sprintf("cancelled by %s", c.By)
}

// Is makes errors.Is(err, ErrCancelRequested) hold.
func (c *CancelRequest) Is(target error) bool { return target == ErrCancelRequested }

// RequestCancel asks a running run to stop, from any replica or the API:
// the run's heartbeat (every HeartbeatInterval) sees the request and the
// run ends at its next batch boundary with status cancelled and error
// "cancelled by <by>". by names who asked (an operator, a department token)
// and must not be empty. It fails with ErrNotFound for an unknown run and
// ErrNotRunning for one that has ended; asking twice keeps the first
// request.
func (s *Store) RequestCancel(ctx context.Context, runID int64, by string) error {
	if by == "" {
		return fmt.Errorf("cancel run %d: say who asks for it", runID)
	}
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE runs SET cancel_requested_at = COALESCE(cancel_requested_at, ?),
		cancel_requested_by = CASE WHEN cancel_requested_by = '' THEN ? ELSE cancel_requested_by END
		WHERE id = ? AND status = 'running'`), s.clock(ctx, s.db), by, runID)
	if err != nil {
		return fmt.Errorf("cancel run %d: %w", runID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("cancel run %d: %w", runID, err)
	} else if n > 0 {
		return nil
	}
	var status string
	err = s.db.GetContext(ctx, &status, s.q(`SELECT status FROM runs WHERE id = ?`), runID)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("cancel run %d: %w", runID, ErrNotFound)
	case err != nil:
		return fmt.Errorf("cancel run %d: %w", runID, err)
	}
	return fmt.Errorf("cancel run %d: %w (it ended %s)", runID, ErrNotRunning, status)
}
