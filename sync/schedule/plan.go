package schedule

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
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
	return errors.Join(w.s.Plan(ctx, time.Now()), w.s.resumeOrphans(ctx, time.Now()))
}

// Plan enqueues every stream's slots up to now plus the lookahead; the
// leader's planner job calls it every plan interval. Slots already planned
// are not enqueued again, whoever plans and however often.
func (s *Scheduler) Plan(ctx context.Context, now time.Time) error {
	streams, err := s.refresh(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, st := range streams {
		if st.Schedule == nil {
			continue // runs only when triggered
		}
		if err := s.plan(ctx, st, now); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Enqueue enqueues one slot of a stream now, as the planner does at the
// slot's time; a slot already enqueued is not enqueued again.
func (s *Scheduler) Enqueue(ctx context.Context, ref state.Ref, slot time.Time) error {
	if _, ok, err := s.stream(ctx, ref); err != nil {
		return err
	} else if !ok {
		return fmt.Errorf("stream %s is not scheduled", ref)
	}
	slot = slot.UTC()
	_, err := s.client.Insert(ctx, SyncArgs{Department: ref.Department, Source: ref.Source, Stream: ref.Stream, Slot: slot},
		&river.InsertOpts{Queue: queueSync, ScheduledAt: slot, UniqueOpts: river.UniqueOpts{ByArgs: true}})
	if err != nil {
		return fmt.Errorf("enqueue slot %s of %s: %w", slotString(slot), ref, err)
	}
	return nil
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
	if !horizon.After(from) {
		return nil // planned further already (by a replica whose clock runs ahead)
	}
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

// resumeOrphans finds the sync jobs whose replica died while it held them
// and enqueues, for each, a job that ends its slot on a live replica: its
// run, if it started one, is marked abandoned by the next StartRun, which
// resumes from the last committed batch. River would retry the dead job
// itself, but only past the job's timeout.
//
// A job is orphaned when River says it is running, it was taken more than
// OrphanAfter ago, and the ledger holds no live run of its stream that it
// could have started (a run started before the job was taken is another
// job's; a lapsed one is dead).
func (s *Scheduler) resumeOrphans(ctx context.Context, now time.Time) error {
	res, err := s.client.JobList(ctx, river.NewJobListParams().Kinds(SyncArgs{}.Kind()).
		States(rivertype.JobStateRunning).First(1000))
	if err != nil {
		return fmt.Errorf("list running jobs: %w", err)
	}
	if len(res.Jobs) == 0 {
		return nil
	}
	running, err := s.o.State.Running(ctx)
	if err != nil {
		return err
	}
	for _, j := range res.Jobs {
		var a SyncArgs
		if err := json.Unmarshal(j.EncodedArgs, &a); err != nil || j.AttemptedAt == nil || now.Sub(*j.AttemptedAt) < s.o.OrphanAfter {
			continue
		}
		if _, ok := s.cached(a.ref()); !ok {
			continue
		}
		// This replica is alive: a job of its own whose run has ended but
		// whose completion River has not recorded yet (a busy store) is
		// late, not orphaned, and taking it over would run its slot twice.
		if n := len(j.AttemptedBy); n > 0 && j.AttemptedBy[n-1] == s.id {
			continue
		}
		alive := false
		for _, r := range running {
			// A second of slack: River's clock and the ledger's may be
			// two readings of one host's.
			if r.Ref == a.ref() && !r.Lapsed && !r.StartedAt.Before(j.AttemptedAt.Add(-time.Second)) {
				alive = true
			}
		}
		if alive {
			continue
		}
		args := SyncArgs{Department: a.Department, Source: a.Source, Stream: a.Stream, Slot: a.Slot, Resume: j.ID,
			Manual: a.Manual, TriggeredBy: a.TriggeredBy}
		ins, err := s.client.Insert(ctx, args, &river.InsertOpts{Queue: queueSync, UniqueOpts: river.UniqueOpts{ByArgs: true}})
		if err != nil {
			return fmt.Errorf("enqueue take-over of job %d: %w", j.ID, err)
		}
		if !ins.UniqueSkippedAsDuplicate {
			s.log.Warn("a replica died holding a job; a live replica takes its slot over", "department", a.Department,
				"source", a.Source, "stream", a.ref().String(), "slot", slotString(a.Slot), "dead_job", j.ID,
				"dead_replica", strings.Join(j.AttemptedBy, ","), "job", ins.Job.ID)
		}
	}
	return nil
}
