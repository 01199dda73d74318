package schedule_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/lienthong/lienthong/config"
	"github.com/lienthong/lienthong/internal/database"
	"github.com/lienthong/lienthong/internal/testdb"
	"github.com/lienthong/lienthong/sync/schedule"
	"github.com/lienthong/lienthong/sync/state"
)

// store opens a migrated state store and job queue on dsn.
func store(t *testing.T, dsn string) (*database.DB, *state.Store) {
	t.Helper()
	ctx := context.Background()
	db, err := database.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	st := state.New(db)
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	qdb, err := database.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { qdb.Close() })
	if qdb.Dialect == database.SQLite {
		qdb.SetMaxOpenConns(1)
	}
	if _, err := schedule.Migrate(ctx, qdb); err != nil {
		t.Fatal(err)
	}
	// A second migration finds nothing to do.
	if n, err := schedule.Migrate(ctx, qdb); err != nil || n != 0 {
		t.Fatalf("second migration applied %d (%v)", n, err)
	}
	return qdb, st
}

// fixed lists the same streams at every plan.
func fixed(streams []schedule.Stream) func(context.Context) ([]schedule.Stream, error) {
	return func(context.Context) ([]schedule.Stream, error) { return streams, nil }
}

// ledgerRun is a RunFunc that runs nothing but the ledger's part of a run:
// it holds its stream for hold, as a real run would.
func ledgerRun(st *state.Store, hold time.Duration) schedule.RunFunc {
	return func(ctx context.Context, ref state.Ref, log *slog.Logger) (state.Run, error) {
		run, err := st.StartRun(ctx, ref, "incremental")
		if err != nil {
			return state.Run{}, err
		}
		log.Info("run started", "run", run.ID)
		select {
		case <-time.After(hold):
		case <-ctx.Done():
		}
		status := state.StatusSucceeded
		if ctx.Err() != nil {
			status = state.StatusFailed
		}
		if err := st.FinishRun(context.WithoutCancel(ctx), run.ID, ref, state.Finish{Status: status}); err != nil {
			return run, err
		}
		return run, ctx.Err()
	}
}

func logger(t *testing.T) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.DiscardHandler)
}

func TestRetryBackoff(t *testing.T) {
	r := schedule.Retry{Attempts: 5, Backoff: 10 * time.Second, MaxBackoff: time.Minute}
	for _, tc := range []struct {
		attempt int
		want    time.Duration
	}{{1, 10 * time.Second}, {2, 20 * time.Second}, {3, 40 * time.Second}, {4, time.Minute}, {9, time.Minute}} {
		if got := r.After(tc.attempt); got != tc.want {
			t.Errorf("after attempt %d: got %s, want %s", tc.attempt, got, tc.want)
		}
	}
}

// TestSchedulerSQLite runs two streams every second on the embedded store
// with one replica and checks that every slot between the first and the
// last ran once, and that no two runs of a stream overlapped.
func TestSchedulerSQLite(t *testing.T) {
	testScheduler(t, testdb.SQLite(t))
}

func TestSchedulerPostgres(t *testing.T) {
	testScheduler(t, testdb.Postgres(t))
}

func testScheduler(t *testing.T, dsn string) {
	qdb, st := store(t, dsn)
	every, err := config.ParseSchedule("* * * * * *", "Asia/Ho_Chi_Minh")
	if err != nil {
		t.Fatal(err)
	}
	refs := []state.Ref{{Department: "d", Source: "s", Stream: "a"}, {Department: "d", Source: "s", Stream: "b"}}
	var streams []schedule.Stream
	for _, r := range refs {
		// A slot made due late waits for the one before it, not skipped.
		streams = append(streams, schedule.Stream{Ref: r, Schedule: every, Timeout: 10 * time.Second, MaxRuntime: 30 * time.Second})
	}
	s, err := schedule.New(schedule.Options{DB: qdb, State: st, Streams: fixed(streams), Run: ledgerRun(st, 200*time.Millisecond),
		MaxConcurrentRuns: 2, ShutdownGrace: 5 * time.Second, Retry: schedule.Retry{Attempts: 2, Backoff: time.Second},
		Log: logger(t), PlanInterval: 500 * time.Millisecond, PollInterval: 100 * time.Millisecond, BusyWait: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			if err := s.Stop(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	t.Cleanup(stop)
	// Wait until each stream has ended five slots.
	deadline := time.Now().Add(30 * time.Second)
	for {
		slots, err := s.Slots(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(slots) >= 10 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !s.Status().Running {
		t.Error("status: not running while started")
	}
	stop()
	if s.Status().Running {
		t.Error("status: running after Stop")
	}
	slots, err := s.Slots(ctx)
	if err != nil {
		t.Fatal(err)
	}
	checkSlots(t, slots, refs, time.Second, queuedSlots(t, qdb))
	runs, err := st.Runs(ctx, state.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	checkNoOverlap(t, runs)
}

// checkSlots: per stream, the slots form an unbroken sequence, each ended
// once and succeeded.
func checkSlots(t *testing.T, slots []schedule.SlotRecord, refs []state.Ref, step time.Duration, queued map[state.Ref][]time.Time) {
	t.Helper()
	by := map[state.Ref][]schedule.SlotRecord{}
	for _, s := range slots {
		by[s.Ref] = append(by[s.Ref], s)
	}
	for _, r := range refs {
		ss := by[r]
		if len(ss) < 3 {
			t.Errorf("%s: %d slots ended, want at least 3", r, len(ss))
			continue
		}
		for i, s := range ss {
			if s.Status != schedule.SlotSucceeded || s.RunID == 0 {
				t.Errorf("%s slot %s: %s (run %d) %s", r, s.Slot, s.Status, s.RunID, s.Error)
			}
			if i == 0 {
				continue
			}
			// A slot whose job waited for the stream (busy) may end after
			// the next one; one that had not ended when the scheduler
			// stopped is still queued, to run when it starts again.
			want := ss[i-1].Slot.Add(step)
			for !s.Slot.Equal(want) && want.Before(s.Slot) && slices.ContainsFunc(queued[r], want.Equal) {
				want = want.Add(step)
			}
			if !s.Slot.Equal(want) {
				t.Errorf("%s: slot %s follows %s: a slot was lost or doubled (queued: %v)", r, s.Slot, ss[i-1].Slot, queued[r])
			}
		}
	}
}

// queuedSlots lists, per stream, the slots whose sync job is still in
// River's queue (not completed, cancelled or discarded).
func queuedSlots(t *testing.T, qdb *database.DB) map[state.Ref][]time.Time {
	t.Helper()
	// River's SQLite driver keeps args as binary JSON (jsonb).
	text := "CAST(args AS TEXT)"
	if qdb.Dialect == database.SQLite {
		text = "json(args)"
	}
	var args []string
	if err := qdb.Select(&args, `SELECT `+text+` FROM river_job WHERE kind = 'lienthong_sync'
		AND state IN ('available', 'scheduled', 'retryable', 'running', 'pending')`); err != nil {
		t.Fatal(err)
	}
	out := map[state.Ref][]time.Time{}
	for _, a := range args {
		var j schedule.SyncArgs
		if err := json.Unmarshal([]byte(a), &j); err != nil {
			t.Fatal(err)
		}
		r := state.Ref{Department: j.Department, Source: j.Source, Stream: j.Stream}
		out[r] = append(out[r], j.Slot)
	}
	return out
}

// checkNoOverlap: no two runs of one stream were running at once.
func checkNoOverlap(t *testing.T, runs []state.Run) {
	t.Helper()
	by := map[state.Ref][]state.Run{}
	for _, r := range runs {
		by[r.Ref] = append(by[r.Ref], r)
	}
	for ref, rs := range by {
		sort.Slice(rs, func(i, j int) bool { return rs[i].StartedAt.Before(rs[j].StartedAt) })
		for i := 1; i < len(rs); i++ {
			prev := rs[i-1]
			if prev.EndedAt == nil || prev.EndedAt.After(rs[i].StartedAt) {
				t.Errorf("%s: run %d started at %s while run %d (started %s, ended %v) was running", ref, rs[i].ID, rs[i].StartedAt, prev.ID, prev.StartedAt, prev.EndedAt)
			}
		}
	}
}

// newScheduler starts a scheduler of one stream every second on dsn's
// stores, running run, and stops it when the test ends.
func newScheduler(t *testing.T, qdb *database.DB, st *state.Store, run schedule.RunFunc, o schedule.Options) (*schedule.Scheduler, state.Ref) {
	t.Helper()
	every, err := config.ParseSchedule("* * * * * *", "UTC")
	if err != nil {
		t.Fatal(err)
	}
	ref := state.Ref{Department: "d", Source: "s", Stream: "x"}
	o.DB, o.State, o.Run, o.Log = qdb, st, run, logger(t)
	if o.Streams == nil {
		o.Streams = fixed([]schedule.Stream{{Ref: ref, Schedule: every, Timeout: 10 * time.Second, MaxRuntime: 30 * time.Second}})
	}
	o.PlanInterval, o.PollInterval, o.BusyWait = 300*time.Millisecond, 100*time.Millisecond, 200*time.Millisecond
	o.MaxConcurrentRuns = max(o.MaxConcurrentRuns, 1)
	s, err := schedule.New(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { s.Stop(context.Background()) }) })
	return s, ref
}

func waitSlots(t *testing.T, s *schedule.Scheduler, n int) []schedule.SlotRecord {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		slots, err := s.Slots(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(slots) >= n {
			return slots
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d slots ended in a minute, want %d", len(slots), n)
		}
	}
}

// TestTimeout: a run past its timeout is cancelled, the ledger says
// timed_out and so does its slot; the next slot runs.
func TestTimeout(t *testing.T) {
	qdb, st := store(t, testdb.Postgres(t))
	every, _ := config.ParseSchedule("* * * * * *", "UTC")
	ref := state.Ref{Department: "d", Source: "s", Stream: "slow"}
	s, _ := newScheduler(t, qdb, st, ledgerRun(st, time.Hour), schedule.Options{
		Streams: fixed([]schedule.Stream{{Ref: ref, Schedule: every, Timeout: 500 * time.Millisecond, MaxRuntime: time.Minute}})})
	slots := waitSlots(t, s, 2)
	for _, sl := range slots[:2] {
		if sl.Status != schedule.SlotTimedOut || sl.RunID == 0 {
			t.Errorf("slot %s: %s (run %d), want timed_out", sl.Slot, sl.Status, sl.RunID)
			continue
		}
		run, err := st.Run(context.Background(), sl.RunID)
		if err != nil {
			t.Fatal(err)
		}
		if run.Status != state.StatusTimedOut || run.EndedAt == nil {
			t.Errorf("run %d: %s, want timed_out", run.ID, run.Status)
		}
	}
}

// TestRetry: a run that fails is retried with backoff, as many times as the
// policy says, and its slot is recorded failed once.
func TestRetry(t *testing.T) {
	qdb, st := store(t, testdb.Postgres(t))
	var mu sync.Mutex
	var tries []time.Time
	failing := func(ctx context.Context, ref state.Ref, log *slog.Logger) (state.Run, error) {
		run, err := st.StartRun(ctx, ref, "incremental")
		if err != nil {
			return state.Run{}, err
		}
		st.FinishRun(ctx, run.ID, ref, state.Finish{Status: state.StatusFailed, Error: "source down"})
		mu.Lock()
		defer mu.Unlock()
		tries = append(tries, time.Now())
		return run, errors.New("source down")
	}
	every, _ := config.ParseSchedule("0 0 * * * *", "UTC") // hourly: no slot due during the test
	ref := state.Ref{Department: "d", Source: "s", Stream: "failing"}
	s, _ := newScheduler(t, qdb, st, failing, schedule.Options{
		Streams: fixed([]schedule.Stream{{Ref: ref, Schedule: every, Timeout: 10 * time.Second}}),
		Retry:   schedule.Retry{Attempts: 3, Backoff: 300 * time.Millisecond, MaxBackoff: time.Second}})
	// Enqueue one slot now, as the planner would at its time.
	slot := time.Now().UTC().Truncate(time.Second)
	if err := s.Enqueue(context.Background(), ref, slot); err != nil {
		t.Fatal(err)
	}
	slots := waitSlots(t, s, 1)
	if sl := slots[0]; sl.Status != schedule.SlotFailed || sl.Attempt != 3 || !sl.Slot.Equal(slot) {
		t.Errorf("slot: %+v, want failed at attempt 3", sl)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(tries) != 3 {
		t.Fatalf("%d attempts, want 3", len(tries))
	}
	if gap := tries[2].Sub(tries[1]); gap < 600*time.Millisecond {
		t.Errorf("second retry %s after the first; the backoff doubles to 600ms", gap)
	}
	time.Sleep(time.Second)
	if slots, _ := s.Slots(context.Background()); len(slots) != 1 {
		t.Errorf("%d slot records after the last attempt, want 1", len(slots))
	}
}

// TestPlanOnce: replicas planning the same streams at once enqueue each
// slot once.
func TestPlanOnce(t *testing.T) {
	qdb, st := store(t, testdb.Postgres(t))
	every, _ := config.ParseSchedule("* * * * * *", "UTC")
	ref := state.Ref{Department: "d", Source: "s", Stream: "x"}
	streams := []schedule.Stream{{Ref: ref, Schedule: every, Timeout: time.Second}}
	var ss []*schedule.Scheduler
	for range 3 {
		s, err := schedule.New(schedule.Options{DB: qdb, State: st, Streams: fixed(streams), Run: ledgerRun(st, 0), Lookahead: 20 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		ss = append(ss, s)
	}
	now := time.Now()
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := ss[i%3].Plan(context.Background(), now.Add(time.Duration(i)*100*time.Millisecond)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	var n, distinct int
	if err := qdb.QueryRow(`SELECT count(*), count(DISTINCT args->>'slot') FROM river_job WHERE kind = 'lienthong_sync'`).Scan(&n, &distinct); err != nil {
		t.Fatal(err)
	}
	if n != distinct || n < 20 || n > 24 {
		t.Errorf("%d jobs for %d slots; want each of the ~22 slots in the window once", n, distinct)
	}
}

// TestShutdownGrace: Stop lets a run go on for the grace, then cancels it;
// the ledger says it failed (interrupted) and its slot's job goes back to
// the queue for another replica, without spending an attempt (a snooze
// gives it back: attempt 0).
func TestShutdownGrace(t *testing.T) {
	qdb, st := store(t, testdb.Postgres(t))
	s, _ := newScheduler(t, qdb, st, ledgerRun(st, time.Hour), schedule.Options{ShutdownGrace: 500 * time.Millisecond})
	for deadline := time.Now().Add(30 * time.Second); s.Status().Active == 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no run started")
		}
	}
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	runs, err := st.Runs(context.Background(), state.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		if r.Status == state.StatusRunning {
			t.Errorf("run %d still running after Stop", r.ID)
		}
	}
	var available int
	if err := qdb.QueryRow(`SELECT count(*) FROM river_job WHERE kind = 'lienthong_sync' AND state = 'available' AND attempt = 0 AND attempted_at IS NOT NULL`).Scan(&available); err != nil {
		t.Fatal(err)
	}
	if available == 0 {
		t.Error("the interrupted slot's job is not back in the queue")
	}
	if slots, _ := s.Slots(context.Background()); len(slots) != 0 {
		t.Errorf("an interrupted slot was recorded ended: %+v", slots)
	}
}

// TestConcurrencyLimit: a replica with max_concurrent_runs 1 never works two
// runs at once, even of different streams.
func TestConcurrencyLimit(t *testing.T) {
	qdb, st := store(t, testdb.Postgres(t))
	every, _ := config.ParseSchedule("* * * * * *", "UTC")
	var streams []schedule.Stream
	for _, name := range []string{"a", "b", "c"} {
		streams = append(streams, schedule.Stream{Ref: state.Ref{Department: "d", Source: "s", Stream: name}, Schedule: every,
			Timeout: 10 * time.Second, MaxRuntime: time.Minute})
	}
	s, _ := newScheduler(t, qdb, st, ledgerRun(st, 150*time.Millisecond), schedule.Options{Streams: fixed(streams), MaxConcurrentRuns: 1})
	waitSlots(t, s, 9)
	s.Stop(context.Background())
	runs, err := st.Runs(context.Background(), state.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i].StartedAt.Before(runs[j].StartedAt) })
	for i := 1; i < len(runs); i++ {
		if prev := runs[i-1]; prev.EndedAt == nil || prev.EndedAt.After(runs[i].StartedAt) {
			t.Errorf("run %d (%s) started while run %d (%s) was running, with a limit of one", runs[i].ID, runs[i].Ref, prev.ID, prev.Ref)
		}
	}
}

// TestBusy: a slot whose stream another run holds (a one-shot sync) waits
// without writing a run, and runs once the stream is free; a slot still
// waiting at its deadline is skipped.
func TestBusy(t *testing.T) {
	qdb, st := store(t, testdb.Postgres(t))
	hourly, _ := config.ParseSchedule("0 0 * * * *", "UTC") // no slot of its own during the test
	waits := state.Ref{Department: "d", Source: "s", Stream: "waits"}
	skips := state.Ref{Department: "d", Source: "s", Stream: "skips"}
	ctx := context.Background()
	var held []state.Run
	for _, ref := range []state.Ref{waits, skips} {
		run, err := st.StartRun(ctx, ref, "incremental")
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, run)
	}
	s, _ := newScheduler(t, qdb, st, ledgerRun(st, 0), schedule.Options{Streams: fixed([]schedule.Stream{
		{Ref: waits, Schedule: hourly, Timeout: 10 * time.Second, MaxRuntime: time.Minute},
		{Ref: skips, Schedule: hourly, Timeout: 10 * time.Second, MaxRuntime: 2 * time.Second},
	})})
	slot := time.Now().UTC().Truncate(time.Second)
	for _, ref := range []state.Ref{waits, skips} {
		if err := s.Enqueue(ctx, ref, slot); err != nil {
			t.Fatal(err)
		}
	}
	slots := waitSlots(t, s, 1)
	if sl := slots[0]; sl.Ref != skips || sl.Status != schedule.SlotSkipped || sl.RunID != 0 {
		t.Fatalf("first slot to end: %+v, want %s skipped", sl, skips)
	}
	runs, err := st.Runs(ctx, state.Filter{Stream: "waits"})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 {
		t.Errorf("%d runs of %s while it was held; the waiting slot must write none", len(runs), waits)
	}
	if err := st.FinishRun(ctx, held[0].ID, waits, state.Finish{Status: state.StatusSucceeded}); err != nil {
		t.Fatal(err)
	}
	slots = waitSlots(t, s, 2)
	for _, sl := range slots {
		if sl.Ref == waits && (sl.Status != schedule.SlotSucceeded || sl.RunID == 0 || sl.RunID == held[0].ID) {
			t.Errorf("waiting slot: %+v, want succeeded with a run of its own", sl)
		}
	}
}
