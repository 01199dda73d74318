package schedule_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/lienthong/lienthong/config"
	"github.com/lienthong/lienthong/internal/testdb"
	"github.com/lienthong/lienthong/sync/schedule"
	"github.com/lienthong/lienthong/sync/state"
)

// registry is a stream list that changes while the scheduler runs, as the
// registration API changes it.
type registry struct {
	mu      sync.Mutex
	streams []schedule.Stream
}

func (r *registry) set(streams ...schedule.Stream) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.streams = streams
}

func (r *registry) list(context.Context) ([]schedule.Stream, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]schedule.Stream(nil), r.streams...), nil
}

var dialects = []struct {
	name string
	dsn  func(testing.TB) string
}{{"postgres", testdb.Postgres}, {"sqlite", testdb.SQLite}}

// countSlots counts the ended slots of a stream.
func countSlots(t *testing.T, s *schedule.Scheduler, ref state.Ref) int {
	t.Helper()
	slots, err := s.Slots(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, sl := range slots {
		if sl.Ref == ref {
			n++
		}
	}
	return n
}

// waitStreamSlots waits until a stream has ended n slots.
func waitStreamSlots(t *testing.T, s *schedule.Scheduler, ref state.Ref, n int) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); countSlots(t, s, ref) < n; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s ended %d slots in a minute, want %d", ref, countSlots(t, s, ref), n)
		}
	}
}

// lastSlot checks that no slot of a stream after limit ran.
func lastSlot(t *testing.T, s *schedule.Scheduler, ref state.Ref, limit time.Time) {
	t.Helper()
	slots, err := s.Slots(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, sl := range slots {
		if sl.Ref == ref && sl.Slot.After(limit) {
			t.Errorf("%s ran slot %s, after its schedule changed or it was removed (%s)", ref, sl.Slot, limit)
		}
	}
}

// TestDynamicStreams: the stream list is read at every plan: a stream added
// is planned from then on, a stream removed stops being run, and a changed
// schedule takes effect.
func TestDynamicStreams(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			qdb, st := store(t, d.dsn(t))
			every, _ := config.ParseSchedule("* * * * * *", "UTC")
			hourly, _ := config.ParseSchedule("0 0 * * * *", "UTC")
			a := state.Ref{Department: "d", Source: "s", Stream: "a"}
			b := state.Ref{Department: "d", Source: "s", Stream: "b"}
			reg := &registry{}
			reg.set(schedule.Stream{Ref: a, Schedule: every, Timeout: 10 * time.Second, MaxRuntime: 30 * time.Second})
			s, _ := newScheduler(t, qdb, st, ledgerRun(st, 0), schedule.Options{Streams: reg.list, Lookahead: 500 * time.Millisecond})
			waitStreamSlots(t, s, a, 2)
			if n := countSlots(t, s, b); n != 0 {
				t.Fatalf("%s ran %d slots before it was registered", b, n)
			}

			// a is removed, b registered. A slot planned before (the
			// lookahead, a plan under way) may still run late; none after.
			reg.set(schedule.Stream{Ref: b, Schedule: every, Timeout: 10 * time.Second, MaxRuntime: 30 * time.Second})
			removed := time.Now()
			waitStreamSlots(t, s, b, 4)
			lastSlot(t, s, a, removed.Add(2*time.Second))

			// b's schedule becomes hourly: no slot of it is due during the test.
			reg.set(schedule.Stream{Ref: b, Schedule: hourly, Timeout: 10 * time.Second, MaxRuntime: 30 * time.Second})
			changed := time.Now()
			time.Sleep(3 * time.Second)
			lastSlot(t, s, b, changed.Add(2*time.Second))
			if st := s.Status(); !st.Running {
				t.Errorf("status %+v, want running", st)
			}
		})
	}
}

// cancellableRun is a RunFunc that holds its stream until its heartbeat
// sees a cancel request, and ends the run cancelled, as the engine does.
func cancellableRun(st *state.Store, started chan<- int64) schedule.RunFunc {
	return func(ctx context.Context, ref state.Ref, log *slog.Logger) (state.Run, error) {
		run, err := st.StartRun(ctx, ref, "incremental")
		if err != nil {
			return state.Run{}, err
		}
		started <- run.ID
		for {
			select {
			case <-ctx.Done():
				st.FinishRun(context.WithoutCancel(ctx), run.ID, ref, state.Finish{Status: state.StatusFailed, Error: "interrupted"})
				return run, ctx.Err()
			case <-time.After(20 * time.Millisecond):
			}
			if err := st.Heartbeat(ctx, run.ID); errors.Is(err, state.ErrCancelRequested) {
				if err := st.FinishRun(ctx, run.ID, ref, state.Finish{Status: state.StatusCancelled, Error: err.Error()}); err != nil {
					return run, err
				}
				return run, err
			}
		}
	}
}

// TestTrigger: a run triggered by hand runs on a stream without a
// schedule and is recorded as a slot with who triggered it; a triggered run
// waiting for its busy stream can be cancelled before it starts; a started
// one cancelled through the ledger ends cancelled and is not retried.
func TestTrigger(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			qdb, st := store(t, d.dsn(t))
			ctx := context.Background()
			m := state.Ref{Department: "d", Source: "s", Stream: "manual"}
			c := state.Ref{Department: "d", Source: "s", Stream: "cancel"}
			reg := &registry{}
			reg.set(schedule.Stream{Ref: m, Timeout: 10 * time.Second})
			started := make(chan int64, 4)
			run := func(ctx context.Context, ref state.Ref, log *slog.Logger) (state.Run, error) {
				if ref == c {
					return cancellableRun(st, started)(ctx, ref, log)
				}
				return ledgerRun(st, 0)(ctx, ref, log)
			}
			s, _ := newScheduler(t, qdb, st, run, schedule.Options{Streams: reg.list,
				Retry: schedule.Retry{Attempts: 3, Backoff: 100 * time.Millisecond}})

			if _, err := s.Trigger(ctx, c, "alice"); !errors.Is(err, schedule.ErrUnknownStream) {
				t.Fatalf("Trigger of an unregistered stream = %v, want ErrUnknownStream", err)
			}
			job, err := s.Trigger(ctx, m, "alice")
			if err != nil {
				t.Fatal(err)
			}
			waitStreamSlots(t, s, m, 1)
			slots, _ := s.Slots(ctx)
			if sl := slots[0]; sl.Status != schedule.SlotSucceeded || sl.JobID != job || sl.TriggeredBy != "alice" || sl.RunID == 0 {
				t.Fatalf("triggered slot %+v, want succeeded, job %d, by alice", sl, job)
			}
			if err := s.CancelJob(ctx, job); !errors.Is(err, schedule.ErrJobStarted) {
				t.Fatalf("CancelJob of an ended job = %v, want ErrJobStarted", err)
			}
			if err := s.CancelJob(ctx, job+1000); !errors.Is(err, schedule.ErrJobNotFound) {
				t.Fatalf("CancelJob of no job = %v, want ErrJobNotFound", err)
			}

			// The stream is busy (a one-shot sync holds it): the triggered
			// run waits, and is cancelled before it starts.
			held, err := st.StartRun(ctx, m, "incremental")
			if err != nil {
				t.Fatal(err)
			}
			waiting, err := s.Trigger(ctx, m, "bob")
			if err != nil {
				t.Fatal(err)
			}
			for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
				err := s.CancelJob(ctx, waiting)
				if err == nil {
					break
				}
				// A replica may hold the job for the moment it finds the stream busy.
				if !errors.Is(err, schedule.ErrJobStarted) || time.Now().After(deadline) {
					t.Fatalf("CancelJob of a waiting job: %v", err)
				}
			}
			if err := st.FinishRun(ctx, held.ID, m, state.Finish{Status: state.StatusSucceeded}); err != nil {
				t.Fatal(err)
			}
			waitStreamSlots(t, s, m, 2)
			runs, err := st.Runs(ctx, state.Filter{Stream: m.Stream})
			if err != nil {
				t.Fatal(err)
			}
			if len(runs) != 2 {
				t.Errorf("%d runs of %s, want 2 (the cancelled job must not run)", len(runs), m)
			}
			slots, _ = s.Slots(ctx)
			if sl := slots[1]; sl.JobID != waiting || sl.Status != schedule.SlotCancelled || sl.TriggeredBy != "bob" || sl.RunID != 0 {
				t.Errorf("cancelled job's slot %+v, want cancelled, job %d, by bob, no run", sl, waiting)
			}

			// A started triggered run cancelled through the ledger (any
			// replica, the API) ends cancelled and is not retried.
			reg.set(schedule.Stream{Ref: m, Timeout: 10 * time.Second}, schedule.Stream{Ref: c, Timeout: 10 * time.Second})
			if _, err := s.Trigger(ctx, c, "carol"); err != nil {
				t.Fatal(err)
			}
			runID := <-started
			if err := st.RequestCancel(ctx, runID, "dave"); err != nil {
				t.Fatal(err)
			}
			waitStreamSlots(t, s, c, 1)
			slots, _ = s.Slots(ctx)
			for _, sl := range slots {
				if sl.Ref == c && (sl.Status != schedule.SlotCancelled || sl.RunID != runID || sl.Error != "cancelled by dave") {
					t.Errorf("slot of the cancelled run %+v, want cancelled, run %d, \"cancelled by dave\"", sl, runID)
				}
			}
			time.Sleep(time.Second) // past the retry backoff
			if runs, _ := st.Runs(ctx, state.Filter{Stream: c.Stream}); len(runs) != 1 || runs[0].Status != state.StatusCancelled {
				t.Errorf("runs of %s: %+v, want one, cancelled (not retried)", c, runs)
			}
		})
	}
}
