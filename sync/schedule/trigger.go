package schedule

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/lienthong/lienthong/sync/state"
)

var (
	// ErrUnknownStream means the stream is not in the scheduler's list
	// (Options.Streams).
	ErrUnknownStream = errors.New("schedule: unknown stream")
	// ErrJobNotFound means no triggered run has the job id.
	ErrJobNotFound = errors.New("schedule: no such triggered run")
	// ErrJobStarted means the triggered run has started (or ended): cancel
	// the run itself (state.Store.RequestCancel).
	ErrJobStarted = errors.New("schedule: the triggered run has started")
)

// Trigger runs a stream now, on whichever replica takes the job first: for
// the API's "run now", on a stream with or without a schedule. The job is a
// slot like the schedule's (its time is now), recorded in schedule_slots
// with who triggered it; a busy stream makes it wait as a slot does,
// bounded by the stream's timeout. by names who asked and must not be
// empty. The job id returned is what CancelJob takes.
func (s *Scheduler) Trigger(ctx context.Context, ref state.Ref, by string) (jobID int64, err error) {
	if by == "" {
		return 0, fmt.Errorf("trigger a run of %s: say who asks for it", ref)
	}
	if _, ok, err := s.stream(ctx, ref); err != nil {
		return 0, err
	} else if !ok {
		return 0, fmt.Errorf("trigger a run of %s: %w", ref, ErrUnknownStream)
	}
	// PostgreSQL keeps microseconds: the slot must read back equal.
	slot := time.Now().UTC().Truncate(time.Microsecond)
	res, err := s.client.Insert(ctx, SyncArgs{Department: ref.Department, Source: ref.Source, Stream: ref.Stream, Slot: slot,
		Manual: true, TriggeredBy: by}, &river.InsertOpts{Queue: queueSync})
	if err != nil {
		return 0, fmt.Errorf("trigger a run of %s: %w", ref, err)
	}
	s.log.Info("run triggered", "department", ref.Department, "source", ref.Source, "stream", ref.String(),
		"job", res.Job.ID, "triggered_by", by)
	return res.Job.ID, nil
}

// CancelJob cancels a triggered run that has not started yet (waiting for
// a replica, or for its busy stream); its slot is recorded cancelled. A run
// that has started is cancelled through the ledger instead
// (state.Store.RequestCancel): CancelJob then fails with ErrJobStarted. A
// replica that took the job in the instant of the call finds its slot ended
// when it next looks (a busy wait), or, in the one window between that look
// and the run's start, runs it once.
func (s *Scheduler) CancelJob(ctx context.Context, jobID int64) error {
	row, err := s.client.JobGet(ctx, jobID)
	if errors.Is(err, river.ErrNotFound) {
		return fmt.Errorf("cancel job %d: %w", jobID, ErrJobNotFound)
	}
	if err != nil {
		return fmt.Errorf("cancel job %d: %w", jobID, err)
	}
	var a SyncArgs
	if row.Kind != (SyncArgs{}).Kind() || json.Unmarshal(row.EncodedArgs, &a) != nil || !a.Manual {
		return fmt.Errorf("cancel job %d: %w", jobID, ErrJobNotFound)
	}
	switch row.State {
	case rivertype.JobStateAvailable, rivertype.JobStateScheduled, rivertype.JobStatePending, rivertype.JobStateRetryable:
	default:
		return fmt.Errorf("cancel job %d (%s): %w (%s)", jobID, a.ref(), ErrJobStarted, row.State)
	}
	// The slot's record first: a replica that takes the job from now on
	// finds its slot ended and runs nothing, even if it took the job
	// between the read above and the cancel below.
	if err := s.recordSlot(context.WithoutCancel(ctx), a, SlotCancelled, 0, jobID, row.Attempt, "cancelled before it started"); err != nil {
		return err
	}
	if _, err := s.client.JobCancel(ctx, jobID); err != nil {
		return fmt.Errorf("cancel job %d: %w", jobID, err)
	}
	return nil
}
