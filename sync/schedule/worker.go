package schedule

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/lienthong/lienthong/sync/state"
)

// SyncArgs is the job of one slot of one stream.
type SyncArgs struct {
	Department string `json:"department"`
	Source     string `json:"source"`
	Stream     string `json:"stream"`
	// Slot is the slot's scheduled time (UTC); zero for a job that only
	// takes over a dead run's stream.
	Slot time.Time `json:"slot"`
	// Resume is the job, held by a replica that died, whose slot this job
	// ends; 0 for the slot's own job.
	Resume int64 `json:"resume,omitempty"`
	// Manual says someone triggered the run (Scheduler.Trigger); its slot
	// is the time they did. TriggeredBy names who.
	Manual      bool   `json:"manual,omitempty"`
	TriggeredBy string `json:"triggered_by,omitempty"`
}

// Kind is the River job kind.
func (SyncArgs) Kind() string { return "lienthong_sync" }

func (a SyncArgs) ref() state.Ref {
	return state.Ref{Department: a.Department, Source: a.Source, Stream: a.Stream}
}

// Slot outcomes in schedule_slots.
const (
	SlotSucceeded = "succeeded"
	SlotFailed    = "failed"
	SlotTimedOut  = "timed_out"
	// SlotSkipped: the stream was busy (another run held it) until the
	// slot's deadline; the run that held it read what the slot would have.
	SlotSkipped = "skipped"
	// SlotCancelled: someone cancelled the run (state.Store.RequestCancel)
	// or the triggered job before it started; it is not retried.
	SlotCancelled = "cancelled"
)

// errTimedOut is the cause of a run cancelled at its timeout.
var errTimedOut = errors.New("schedule: run timed out")

type syncWorker struct {
	river.WorkerDefaults[SyncArgs]
	s *Scheduler
}

// Timeout lets River cancel a run only as a backstop, after the run's own
// timeout and the shutdown grace; River rescues a dead replica's job only
// past it.
func (w *syncWorker) Timeout(job *river.Job[SyncArgs]) time.Duration {
	st, ok := w.s.cached(job.Args.ref())
	if !ok {
		// Registered since the last plan: Work reads the list again.
		return time.Hour + w.s.o.ShutdownGrace + time.Minute
	}
	return st.timeout() + w.s.o.ShutdownGrace + time.Minute
}

func (w *syncWorker) Work(ctx context.Context, job *river.Job[SyncArgs]) error {
	s, a := w.s, job.Args
	ref := a.ref()
	st, ok, err := s.stream(ctx, ref)
	if err != nil {
		return err
	}
	if !ok {
		// During a rolling change of the configuration another replica may
		// know the stream: leave a recent slot to it.
		if !a.Slot.IsZero() && time.Since(a.Slot) < time.Hour {
			return river.JobSnooze(10 * time.Second)
		}
		return river.JobCancel(fmt.Errorf("stream %s is not scheduled in this replica's configuration", ref))
	}
	log := s.log.With("department", ref.Department, "source", ref.Source, "job", job.ID, "slot", slotString(a.Slot), "attempt", job.Attempt)
	if a.Resume != 0 {
		log = log.With("takes_over_job", a.Resume)
	}
	if a.Manual {
		log = log.With("triggered_by", a.TriggeredBy)
	}
	if !a.Slot.IsZero() {
		done, err := s.slotEnded(ctx, ref, a.Slot)
		if err != nil {
			return err
		}
		if done {
			// A job that takes over a dead run's slot ran it already.
			log.Info("slot already ended", "stream", ref.String())
			return nil
		}
	}
	var deadline time.Time
	switch {
	case a.Manual && a.Resume == 0:
		// A triggered run waits for a busy stream as long as one run of
		// it may last.
		deadline = a.Slot.Add(st.timeout())
	case !a.Slot.IsZero() && a.Resume == 0:
		deadline = st.deadline(a.Slot)
	}

	runCtx, cancel := context.WithTimeoutCause(ctx, st.timeout(), errTimedOut)
	defer cancel()
	s.active.Add(1)
	run, err := s.o.Run(runCtx, ref, log)
	s.active.Add(-1)
	timedOut := errors.Is(context.Cause(runCtx), errTimedOut) && ctx.Err() == nil

	switch {
	case err == nil:
		return s.endSlot(ctx, job, SlotSucceeded, run.ID, "")
	case run.ID == 0 && errors.Is(err, state.ErrBusy):
		if !deadline.IsZero() && time.Now().Add(s.o.BusyWait).After(deadline) {
			log.Warn("stream busy until the slot's end; skipping the slot", "stream", ref.String(), "error", err)
			return s.endSlot(ctx, job, SlotSkipped, 0, err.Error())
		}
		log.Info("stream busy; waiting", "stream", ref.String(), "wait", s.o.BusyWait)
		return river.JobSnooze(s.o.BusyWait)
	case run.ID != 0 && errors.Is(err, state.ErrCancelRequested):
		log.Info("run cancelled on request; not retried", "run", run.ID, "stream", ref.String(), "error", err)
		return s.endSlot(ctx, job, SlotCancelled, run.ID, err.Error())
	case timedOut && run.ID != 0:
		if err := s.o.State.MarkTimedOut(context.WithoutCancel(ctx), run.ID, st.timeout()); err != nil {
			return err
		}
		log.Warn("run timed out", "run", run.ID, "stream", ref.String(), "timeout", st.Timeout)
		return s.endSlot(ctx, job, SlotTimedOut, run.ID, err.Error())
	case ctx.Err() != nil:
		// This replica is stopping: the run ended at its last committed
		// batch, and the job goes back to the queue at once, without
		// spending an attempt, for another replica to resume.
		log.Info("run interrupted by shutdown; handing the slot back", "run", run.ID, "stream", ref.String())
		return river.JobSnooze(0)
	}
	next := time.Now().Add(s.o.Retry.After(job.Attempt))
	if job.Attempt >= s.o.Retry.Attempts || (!deadline.IsZero() && next.After(deadline)) {
		log.Error("run failed; no retry left before the slot's end", "run", run.ID, "stream", ref.String(), "error", err)
		if err := s.endSlot(ctx, job, SlotFailed, run.ID, err.Error()); err != nil {
			return err
		}
		return river.JobCancel(err)
	}
	log.Warn("run failed; retrying", "run", run.ID, "stream", ref.String(), "at", next.UTC().Format(time.RFC3339), "error", err)
	return err
}

// endSlot records how a slot ended; a job without a slot records nothing.
func (s *Scheduler) endSlot(ctx context.Context, job *river.Job[SyncArgs], status string, runID int64, msg string) error {
	if job.Args.Slot.IsZero() {
		return nil
	}
	return s.recordSlot(context.WithoutCancel(ctx), job.Args, status, runID, job.ID, job.Attempt, msg)
}
