package schedule

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/lienthong/lienthong/internal/database"
	"github.com/lienthong/lienthong/sync/state"
)

// PlanArgs is the planner's job, enqueued by River's leader every plan
// interval.
type PlanArgs struct{}

// Kind is the River job kind.
func (PlanArgs) Kind() string { return "lienthong_plan" }

type planWorker struct {
	river.WorkerDefaults[PlanArgs]
	s *Scheduler
}

func (w *planWorker) Work(ctx context.Context, _ *river.Job[PlanArgs]) error {
	var errs []error
	for _, st := range w.s.o.Streams {
		if err := w.s.plan(ctx, st, time.Now()); err != nil {
			errs = append(errs, err)
		}
	}
	if err := w.s.resumeLapsed(ctx); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// maxSlotsPerPlan bounds the slots one plan walks, so a schedule of every
// second after a long outage cannot stall the planner.
const maxSlotsPerPlan = 100000

// plan enqueues a stream's slots up to now + lookahead and moves its
// planning mark, in one transaction: the row lock (PostgreSQL) or the
// write lock (SQLite) serialises planners, so each slot is enqueued once.
// Slots whose deadline passed while no replica planned are counted missed.
func (s *Scheduler) plan(ctx context.Context, st Stream, now time.Time) error {
	db := s.o.DB
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("plan %s: %w", st.Ref, err)
	}
	defer tx.Rollback()
	ref := st.Ref
	if _, err := tx.ExecContext(ctx, db.Rebind(`INSERT INTO schedule_streams (department, source, stream) VALUES (?, ?, ?)
		ON CONFLICT (department, source, stream) DO NOTHING`), ref.Department, ref.Source, ref.Stream); err != nil {
		return fmt.Errorf("plan %s: %w", ref, err)
	}
	lock := ""
	if db.Dialect == database.Postgres {
		lock = " FOR UPDATE"
	}
	var until sql.NullTime
	if err := tx.GetContext(ctx, &until, db.Rebind(`SELECT planned_until FROM schedule_streams
		WHERE department = ? AND source = ? AND stream = ?`+lock), ref.Department, ref.Source, ref.Stream); err != nil {
		return fmt.Errorf("plan %s: %w", ref, err)
	}
	// A stream planned for the first time starts now: slots before the
	// service knew it are not owed.
	from := now
	if until.Valid {
		from = until.Time
	}
	horizon := now.Add(s.o.Lookahead)
	var params []river.InsertManyParams
	missed := 0
	for t, i := st.Schedule.Next(from), 0; !t.After(horizon) && i < maxSlotsPerPlan; t, i = st.Schedule.Next(t), i+1 {
		if st.deadline(t).Before(now) {
			missed++
			continue
		}
		slot := t.UTC()
		params = append(params, river.InsertManyParams{
			Args: SyncArgs{Department: ref.Department, Source: ref.Source, Stream: ref.Stream, Slot: slot},
			InsertOpts: &river.InsertOpts{Queue: queueSync, ScheduledAt: slot,
				UniqueOpts: river.UniqueOpts{ByArgs: true}},
		})
	}
	if len(params) > 0 {
		if _, err := s.client.InsertManyTx(ctx, tx.Tx, params); err != nil {
			return fmt.Errorf("enqueue slots of %s: %w", ref, err)
		}
	}
	if _, err := tx.ExecContext(ctx, db.Rebind(`UPDATE schedule_streams SET planned_until = ?
		WHERE department = ? AND source = ? AND stream = ?`), horizon.UTC(), ref.Department, ref.Source, ref.Stream); err != nil {
		return fmt.Errorf("plan %s: %w", ref, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("plan %s: %w", ref, err)
	}
	if missed > 0 {
		s.log.Warn("slots missed while no replica was planning", "department", ref.Department, "source", ref.Source,
			"stream", ref.String(), "missed", missed, "since", from.UTC().Format(time.RFC3339))
	}
	return nil
}

// resumeLapsed finds runs whose replica died and enqueues, for each, a job
// that takes its stream over (StartRun marks the dead run abandoned) and
// ends its slot, without waiting for River to find the dead job.
func (s *Scheduler) resumeLapsed(ctx context.Context) error {
	lapsed, err := s.o.State.Lapsed(ctx)
	if err != nil {
		return err
	}
	for _, run := range lapsed {
		if _, ok := s.streams[run.Ref]; !ok {
			continue // not scheduled here: its next sync takes it over
		}
		slot, err := s.slotOfDeadRun(ctx, run)
		if err != nil {
			return err
		}
		args := SyncArgs{Department: run.Department, Source: run.Source, Stream: run.Stream, Slot: slot, Resume: run.ID}
		res, err := s.client.Insert(ctx, args, &river.InsertOpts{Queue: queueSync, UniqueOpts: river.UniqueOpts{ByArgs: true}})
		if err != nil {
			return fmt.Errorf("enqueue take-over of run %d: %w", run.ID, err)
		}
		if !res.UniqueSkippedAsDuplicate {
			s.log.Warn("run's replica died; its stream is taken over", "run", run.ID, "department", run.Department,
				"source", run.Source, "stream", run.Ref.String(), "host", run.Host, "pid", run.PID, "slot", slotString(slot), "job", res.Job.ID)
		}
	}
	return nil
}

// slotOfDeadRun finds the slot whose job started a dead run: the stream's
// sync job that River still thinks running, attempted last before the run
// started. Zero when there is none (the run was a one-shot sync).
func (s *Scheduler) slotOfDeadRun(ctx context.Context, run state.Run) (time.Time, error) {
	res, err := s.client.JobList(ctx, river.NewJobListParams().Kinds(SyncArgs{}.Kind()).
		States(rivertype.JobStateRunning).First(1000))
	if err != nil {
		return time.Time{}, fmt.Errorf("list running jobs: %w", err)
	}
	var best *rivertype.JobRow
	var slot time.Time
	for _, j := range res.Jobs {
		var a SyncArgs
		if err := unmarshalArgs(j, &a); err != nil || a.ref() != run.Ref || j.AttemptedAt == nil {
			continue
		}
		if j.AttemptedAt.After(run.StartedAt) {
			continue
		}
		if best == nil || j.AttemptedAt.After(*best.AttemptedAt) {
			best, slot = j, a.Slot
		}
	}
	return slot, nil
}
