// Package schedule runs streams on their cron schedules across any number of
// replicas that share one state store, on River's job queue
// (github.com/riverqueue/river) in that store.
//
// Every scheduled slot of a stream is one River job, keyed by the stream and
// the slot's time: a planner job, enqueued every few seconds by River's
// elected leader, enqueues the slots of the coming minute and moves the
// stream's planning mark in the same transaction, so a slot is enqueued once
// however many replicas start, stop or die (the job's unique key is a second
// guard). Any replica works a slot's job when its time comes, through the
// RunFunc it was given (the same code path as lienthong sync), and records how
// the slot ended in schedule_slots.
//
// One run of a stream at a time is the state store's rule (one running run
// per stream, held by a lease): a job that finds its stream busy snoozes. A
// replica that dies mid-run leaves a job River thinks running and a run whose
// lease lapses; the planner finds the job (no live run of it in the ledger,
// state.Store.Running) and enqueues one that ends its slot on a live
// replica, resuming from the dead run's last committed batch.
//
// The stream list is a function read at every plan (streams are registered
// at run time through the API). Scheduler.Trigger runs a stream now on any
// replica, as a slot whose time is now, recorded with who triggered it;
// CancelJob withdraws such a run before it starts. A run cancelled through
// the ledger (state.Store.RequestCancel) ends its slot cancelled, and is not
// retried.
//
// The package must not know the configuration file, connector kinds or the
// command line.
package schedule

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
	"github.com/robfig/cron/v3"

	"github.com/lienthong/lienthong/internal/database"
	"github.com/lienthong/lienthong/metrics"
	"github.com/lienthong/lienthong/sync/state"
)

//go:embed migrations
var migrations embed.FS

// Queues: sync jobs and the planner's own, so a replica whose run slots are
// all busy still plans.
const (
	queueSync    = "lienthong_sync"
	queueControl = "lienthong_control"
)

// RunFunc runs one stream once and returns its ledger entry, as lienthong
// sync does; log carries the job's department, source and slot.
type RunFunc func(ctx context.Context, ref state.Ref, log *slog.Logger) (state.Run, error)

// Stream is a stream the scheduler may run.
type Stream struct {
	Ref state.Ref
	// Schedule gives the stream's slots (a cron schedule in its zone); nil
	// for a stream that runs only when triggered (Scheduler.Trigger).
	Schedule cron.Schedule
	// Timeout bounds one run: past it the run is cancelled and recorded
	// timed out.
	Timeout time.Duration
	// MaxRuntime bounds a slot from its time to its end, over retries and
	// waits for a busy stream; 0: until the stream's next slot.
	MaxRuntime time.Duration
}

// deadline is when a slot must have ended: past it, a retry or a wait for
// the busy stream gives the slot up, since the next slot reads the same.
func (s Stream) deadline(slot time.Time) time.Time {
	if s.MaxRuntime > 0 {
		return slot.Add(s.MaxRuntime)
	}
	if s.Schedule == nil {
		return slot.Add(s.timeout())
	}
	return s.Schedule.Next(slot)
}

// timeout is the stream's run timeout, an hour when it has none.
func (s Stream) timeout() time.Duration { return cmpOr(s.Timeout, time.Hour) }

// Retry is how a failed run is retried: after Backoff, doubling up to
// MaxBackoff, Attempts runs in all, and never past its slot's deadline.
type Retry struct {
	Attempts   int
	Backoff    time.Duration
	MaxBackoff time.Duration
}

// Options configure a Scheduler.
type Options struct {
	// DB is a connection pool of the state store for the job queue alone:
	// River's tables and this package's live beside the ledger.
	DB *database.DB
	// State is the state store (the ledger).
	State *state.Store
	// Streams lists the streams the scheduler may run, read at every plan
	// (and when a job's stream is not known yet): streams are registered,
	// changed and removed at run time through the API. A stream removed
	// stops being planned, a new one is planned from now, a changed
	// schedule takes effect at the next plan. Streams without a schedule
	// run only when triggered.
	Streams func(ctx context.Context) ([]Stream, error)
	Run     RunFunc
	// MaxConcurrentRuns bounds the runs this replica works at once.
	MaxConcurrentRuns int
	// ShutdownGrace is how long Stop lets running jobs finish before it
	// cancels them.
	ShutdownGrace time.Duration
	Retry         Retry
	Log           *slog.Logger
	// Metrics, if set, receives the queue gauges.
	Metrics *metrics.Metrics
	// PlanInterval is how often the leader plans slots and looks for runs
	// whose replica died; default 5s.
	PlanInterval time.Duration
	// Lookahead is how far ahead slots are enqueued, so a change of leader
	// loses none; default 1m.
	Lookahead time.Duration
	// PollInterval is how often an idle replica looks for due jobs;
	// default 1s.
	PollInterval time.Duration
	// BusyWait is how long a job whose stream is busy waits before it tries
	// again; default 5s.
	BusyWait time.Duration
	// OrphanAfter is how long a job must have been running before the
	// planner, finding no live run of it in the ledger, takes its slot over;
	// it covers the time a job takes to open its source; default 30s.
	OrphanAfter time.Duration
}

// Scheduler runs the scheduled streams of one replica.
type Scheduler struct {
	o      Options
	client *river.Client[*sql.Tx]
	log    *slog.Logger
	// id is this replica's River client ID, the name jobs it takes carry.
	id string
	// active counts the runs this replica is working.
	active atomic.Int64

	mu     sync.Mutex
	status Status
	// streams is the stream list as last read from Options.Streams.
	streams map[state.Ref]Stream
	// stopStatus ends the status loop.
	stopStatus context.CancelFunc
	statusDone chan struct{}
}

// Status is a replica's view of the scheduler.
type Status struct {
	// Running says the scheduler has started and not stopped.
	Running bool `json:"running"`
	// Leader says this replica is River's leader (it plans the slots).
	Leader bool `json:"leader"`
	// Queued counts the sync jobs due and waiting for a replica, over all
	// replicas; Scheduled those planned for later.
	Queued    int64 `json:"queued"`
	Scheduled int64 `json:"scheduled"`
	// Active counts the runs this replica is working.
	Active int64 `json:"active"`
}

// New builds a scheduler; Migrate and Start it.
func New(o Options) (*Scheduler, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	o.PlanInterval = cmpOr(o.PlanInterval, 5*time.Second)
	o.Lookahead = cmpOr(o.Lookahead, time.Minute)
	o.PollInterval = cmpOr(o.PollInterval, time.Second)
	o.BusyWait = cmpOr(o.BusyWait, 5*time.Second)
	o.OrphanAfter = cmpOr(o.OrphanAfter, 30*time.Second)
	if o.MaxConcurrentRuns <= 0 {
		o.MaxConcurrentRuns = 1
	}
	if o.Retry.Attempts <= 0 {
		o.Retry.Attempts = 1
	}
	o.Retry.Backoff = cmpOr(o.Retry.Backoff, 30*time.Second)
	o.Retry.MaxBackoff = max(o.Retry.MaxBackoff, o.Retry.Backoff)
	if o.Streams == nil {
		return nil, errors.New("schedule: Options.Streams is nil: give the function that lists the streams")
	}
	s := &Scheduler{o: o, streams: map[state.Ref]Stream{}, log: o.Log}
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &syncWorker{s: s}); err != nil {
		return nil, err
	}
	if err := river.AddWorkerSafely(workers, &planWorker{s: s}); err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	// Unique per process: River's leader election and job attempts name
	// the replica by it.
	s.id = fmt.Sprintf("%s-%d-%d", host, os.Getpid(), time.Now().UnixNano()%1e6)
	cfg := &river.Config{
		ID:     s.id,
		Logger: o.Log.With("component", "river"),
		Queues: map[string]river.QueueConfig{
			queueSync:    {MaxWorkers: o.MaxConcurrentRuns},
			queueControl: {MaxWorkers: 1},
		},
		Workers:           workers,
		FetchPollInterval: o.PollInterval,
		FetchCooldown:     min(100*time.Millisecond, o.PollInterval),
		// Sync jobs carry their own timeout (the run's, plus the grace);
		// the planner's is short.
		JobTimeout: time.Minute,
		// A job still running past its timeout belongs to a dead
		// replica: River retries it, and the slot's record tells whether
		// it already ended.
		RescueStuckJobsAfter: 2 * time.Minute,
		SoftStopTimeout:      o.ShutdownGrace,
		MaxAttempts:          max(o.Retry.Attempts, 1) + 1,
		RetryPolicy:          &backoff{r: o.Retry},
		PeriodicJobs: []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(o.PlanInterval),
			func() (river.JobArgs, *river.InsertOpts) {
				return PlanArgs{}, &river.InsertOpts{Queue: queueControl, MaxAttempts: 1}
			}, &river.PeriodicJobOpts{ID: "lienthong_plan", RunOnStart: true})},
		PollOnly: true,
	}
	var err error
	s.client, err = river.NewClient(driver(o.DB), cfg)
	if err != nil {
		return nil, fmt.Errorf("create job queue client: %w", err)
	}
	return s, nil
}

// refresh reads the stream list from Options.Streams and keeps it for the
// jobs that need a stream's schedule and timeout.
func (s *Scheduler) refresh(ctx context.Context) ([]Stream, error) {
	list, err := s.o.Streams(ctx)
	if err != nil {
		return nil, fmt.Errorf("list the streams to schedule: %w", err)
	}
	m := make(map[state.Ref]Stream, len(list))
	for _, st := range list {
		m[st.Ref] = st
	}
	s.mu.Lock()
	s.streams = m
	s.mu.Unlock()
	return list, nil
}

// stream returns a stream as last read, reading the list again when it is
// not known (registered since the last plan).
func (s *Scheduler) stream(ctx context.Context, ref state.Ref) (Stream, bool, error) {
	s.mu.Lock()
	st, ok := s.streams[ref]
	s.mu.Unlock()
	if ok {
		return st, true, nil
	}
	if _, err := s.refresh(ctx); err != nil {
		return Stream{}, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok = s.streams[ref]
	return st, ok, nil
}

// cached returns a stream as last read, without reading the list.
func (s *Scheduler) cached(ref state.Ref) (Stream, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.streams[ref]
	return st, ok
}

func cmpOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

func driver(db *database.DB) riverdriver.Driver[*sql.Tx] {
	if db.Dialect == database.SQLite {
		return riversqlite.New(db.DB.DB)
	}
	return riverdatabasesql.New(db.DB.DB)
}

// Migrate applies the job queue's migrations (River's, then this
// package's) and returns how many it applied. Concurrent migrators on
// PostgreSQL are serialised by an advisory lock.
func Migrate(ctx context.Context, db *database.DB) (int, error) {
	migrator, err := rivermigrate.New(driver(db), nil)
	if err != nil {
		return 0, fmt.Errorf("job queue migrations: %w", err)
	}
	if db.Dialect == database.Postgres {
		// River's versions each take their own transaction (one adds an
		// enum value the next uses); a session lock serialises replicas
		// that start together.
		conn, err := db.Conn(ctx)
		if err != nil {
			return 0, fmt.Errorf("migrate job queue: %w", err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(hashtext('lienthong-migrate-river'))`); err != nil {
			return 0, fmt.Errorf("lock job queue migrations: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(hashtext('lienthong-migrate-river'))`)
	}
	res, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return 0, fmt.Errorf("migrate job queue (river): %w", err)
	}
	ms, err := database.LoadMigrations(migrations, "migrations", db.Dialect)
	if err != nil {
		return 0, err
	}
	n, err := db.Migrate(ctx, "schedule", ms)
	if err != nil {
		return 0, err
	}
	return len(res.Versions) + n, nil
}

// Start starts working jobs and, on the leader, planning slots. It returns
// at once; Stop ends it.
func (s *Scheduler) Start(ctx context.Context) error {
	if err := s.client.Start(ctx); err != nil {
		return fmt.Errorf("start job queue: %w", err)
	}
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.stopStatus, s.statusDone = cancel, make(chan struct{})
	s.setRunning(true)
	go s.watch(sctx)
	s.log.Info("scheduler started", "max_concurrent_runs", s.o.MaxConcurrentRuns, "replica", s.client.ID())
	return nil
}

// Stop stops taking jobs, lets the running ones go on for the shutdown
// grace and then cancels them: a cancelled run ends at its last committed
// batch and its job goes back to the queue for another replica.
func (s *Scheduler) Stop(ctx context.Context) error {
	s.log.Info("scheduler stopping", "grace", s.o.ShutdownGrace, "active", s.active.Load())
	err := s.client.Stop(ctx)
	if s.stopStatus != nil {
		s.stopStatus()
		<-s.statusDone
	}
	s.setRunning(false)
	if err != nil {
		return fmt.Errorf("stop job queue: %w", err)
	}
	return nil
}

// Status returns the scheduler's state as last observed (every plan
// interval).
func (s *Scheduler) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.status
	st.Active = s.active.Load()
	return st
}

func (s *Scheduler) setRunning(b bool) {
	s.mu.Lock()
	s.status.Running = b
	s.mu.Unlock()
}

// watch refreshes the status and the queue gauges.
func (s *Scheduler) watch(ctx context.Context) {
	defer close(s.statusDone)
	t := time.NewTicker(s.o.PlanInterval)
	defer t.Stop()
	for {
		s.observe(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Scheduler) observe(ctx context.Context) {
	leader, queued, scheduled, err := s.queueState(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("read job queue state", "error", err)
		}
		return
	}
	s.mu.Lock()
	s.status.Leader, s.status.Queued, s.status.Scheduled = leader, queued, scheduled
	s.mu.Unlock()
	if m := s.o.Metrics; m != nil {
		m.SchedulerQueued.Set(float64(queued))
		m.SchedulerRunning.Set(float64(s.active.Load()))
		b := 0.0
		if leader {
			b = 1
		}
		m.SchedulerLeader.Set(b)
	}
}

// queueState reads River's leader and job tables: they are the only record
// of who leads and what waits.
func (s *Scheduler) queueState(ctx context.Context) (leader bool, queued, scheduled int64, err error) {
	db := s.o.DB
	var id sql.NullString
	err = db.GetContext(ctx, &id, `SELECT leader_id FROM river_leader`)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, 0, 0, err
	}
	leader = id.Valid && id.String == s.client.ID()
	var rows []struct {
		State string `db:"state"`
		N     int64  `db:"n"`
	}
	if err := db.SelectContext(ctx, &rows, db.Rebind(`SELECT state, COUNT(*) AS n FROM river_job
		WHERE kind = ? AND state IN ('available', 'scheduled', 'retryable') GROUP BY state`), SyncArgs{}.Kind()); err != nil {
		return false, 0, 0, err
	}
	for _, r := range rows {
		if r.State == "available" {
			queued += r.N
		} else {
			scheduled += r.N
		}
	}
	return leader, queued, scheduled, nil
}

// backoff is River's retry policy for the scheduler's jobs: exponential
// from Backoff, capped at MaxBackoff.
type backoff struct{ r Retry }

// NextRetry returns when a job that failed its attempt-th try runs again.
func (b *backoff) NextRetry(job *rivertype.JobRow) time.Time {
	return time.Now().Add(b.r.After(job.Attempt))
}

// After is the wait after the attempt-th failure of a job.
func (r Retry) After(attempt int) time.Duration {
	d := r.Backoff
	for i := 1; i < attempt && d < r.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, r.MaxBackoff)
}

// slotString formats a slot for logs and errors.
func slotString(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
