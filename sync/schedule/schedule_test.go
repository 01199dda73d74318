package schedule_test

import (
	"context"
	"log/slog"
	"os"
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
		streams = append(streams, schedule.Stream{Ref: r, Schedule: every, Timeout: 10 * time.Second})
	}
	s, err := schedule.New(schedule.Options{DB: qdb, State: st, Streams: streams, Run: ledgerRun(st, 200*time.Millisecond),
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
	checkSlots(t, slots, refs, time.Second)
	runs, err := st.Runs(ctx, state.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	checkNoOverlap(t, runs)
}

// checkSlots: per stream, the slots form an unbroken sequence, each ended
// once and succeeded.
func checkSlots(t *testing.T, slots []schedule.SlotRecord, refs []state.Ref, step time.Duration) {
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
			if i > 0 && !s.Slot.Equal(ss[i-1].Slot.Add(step)) {
				t.Errorf("%s: slot %s follows %s: a slot was lost or doubled", r, s.Slot, ss[i-1].Slot)
			}
		}
	}
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
