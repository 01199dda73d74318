package state_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/lienthong/lienthong/internal/database"
	"github.com/lienthong/lienthong/internal/testdb"
	"github.com/lienthong/lienthong/sync/state"
)

// env is one migrated state store on a real database.
type env struct {
	db  *database.DB
	st  *state.Store
	dsn string
}

// eachDialect runs f against a fresh, migrated store on PostgreSQL and on
// SQLite.
func eachDialect(t *testing.T, f func(t *testing.T, e env)) {
	t.Helper()
	for _, d := range []struct {
		name string
		dsn  func(testing.TB) string
	}{
		{"postgres", testdb.Postgres},
		{"sqlite", testdb.SQLite},
	} {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			dsn := d.dsn(t)
			e := env{dsn: dsn}
			e.db, e.st = open(t, dsn)
			n, err := e.st.Migrate(context.Background())
			if err != nil {
				t.Fatalf("migrate: %v", err)
			}
			if n == 0 {
				t.Fatal("migrate of an empty database applied nothing")
			}
			f(t, e)
		})
	}
}

func open(t *testing.T, dsn string) (*database.DB, *state.Store) {
	t.Helper()
	db, err := database.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db, state.New(db)
}

// exec runs a statement written with ? placeholders straight on the store's
// database, to set up what only another process could have left behind.
func (e env) exec(t *testing.T, query string, args ...any) {
	t.Helper()
	if _, err := e.db.ExecContext(context.Background(), e.db.Rebind(query), args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func (e env) start(t *testing.T, ref state.Ref) state.Run {
	t.Helper()
	r, err := e.st.StartRun(context.Background(), ref, "incremental")
	if err != nil {
		t.Fatalf("start run of %s: %v", ref, err)
	}
	return r
}

func (e env) commit(t *testing.T, run state.Run, b state.Batch) {
	t.Helper()
	if err := e.st.CommitBatch(context.Background(), run.ID, run.Ref, b); err != nil {
		t.Fatalf("commit batch of run %d: %v", run.ID, err)
	}
}

func (e env) finish(t *testing.T, run state.Run, f state.Finish) {
	t.Helper()
	if err := e.st.FinishRun(context.Background(), run.ID, run.Ref, f); err != nil {
		t.Fatalf("finish run %d: %v", run.ID, err)
	}
}

func (e env) run(t *testing.T, id int64) state.Run {
	t.Helper()
	r, err := e.st.Run(context.Background(), id)
	if err != nil {
		t.Fatalf("read run %d: %v", id, err)
	}
	return r
}

func (e env) state(t *testing.T, ref state.Ref) state.StreamState {
	t.Helper()
	st, err := e.st.State(context.Background(), ref)
	if err != nil {
		t.Fatalf("read state of %s: %v", ref, err)
	}
	return st
}

func (e env) rejects(t *testing.T, f state.Filter) []state.Reject {
	t.Helper()
	rs, err := e.st.Rejects(context.Background(), f)
	if err != nil {
		t.Fatalf("list rejects %+v: %v", f, err)
	}
	return rs
}

func hostname(t *testing.T) string {
	t.Helper()
	h, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// deadPID returns the PID of a process of this host that has exited and been
// reaped.
func deadPID(t *testing.T) int {
	t.Helper()
	for range 10 {
		cmd := exec.Command("true")
		if err := cmd.Run(); err != nil {
			t.Fatalf("run true: %v", err)
		}
		pid := cmd.Process.Pid
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			return pid
		}
	}
	t.Fatal("every exited child's PID was reused at once")
	return 0
}

// livePID returns the PID of a running process of this host that is not
// this one; it is killed when the test ends.
func livePID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("sleep", "600")
	if err := cmd.Start(); err != nil {
		t.Fatalf("start sleep: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd.Process.Pid
}

func cp(s string) json.RawMessage { return json.RawMessage(s) }

// js shows a value in a failure message. Run and Reject embed Ref, whose
// String method would make %v print only the stream.
func js(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%#v", v)
	}
	return string(b)
}

func ids(runs []state.Run) []int64 {
	out := []int64{}
	for _, r := range runs {
		out = append(out, r.ID)
	}
	return out
}

func TestMigrateTwice(t *testing.T) {
	eachDialect(t, func(t *testing.T, e env) {
		ctx := context.Background()
		n, err := e.st.Migrate(ctx)
		if err != nil || n != 0 {
			t.Fatalf("second migrate = %d, %v; want 0, nil", n, err)
		}
		// A second store on the same database sees the schema as applied too.
		_, other := open(t, e.dsn)
		if n, err := other.Migrate(ctx); err != nil || n != 0 {
			t.Fatalf("migrate from a second store = %d, %v; want 0, nil", n, err)
		}
		e.start(t, state.Ref{Department: "d", Source: "s", Stream: "t"})
	})
}

func TestStartRun(t *testing.T) {
	eachDialect(t, func(t *testing.T, e env) {
		ctx := context.Background()
		ref := state.Ref{Department: "tu-phap", Source: "ho-tich", Stream: "khai_sinh"}
		if st := e.state(t, ref); !reflect.DeepEqual(st, state.StreamState{}) {
			t.Fatalf("state of a stream never run = %s, want zero", js(st))
		}
		before := time.Now().Add(-time.Second)
		run, err := e.st.StartRun(ctx, ref, "full_refresh")
		if err != nil {
			t.Fatal(err)
		}
		if run.ID <= 0 || run.Ref != ref || run.Mode != "full_refresh" || run.Status != state.StatusRunning ||
			run.Host != hostname(t) || run.PID != os.Getpid() || run.StartedAt.Before(before) || run.EndedAt != nil {
			t.Fatalf("StartRun returned %s", js(run))
		}
		got := e.run(t, run.ID)
		if got.Ref != ref || got.Mode != "full_refresh" || got.Status != state.StatusRunning || got.Host != run.Host ||
			got.PID != run.PID || got.EndedAt != nil || got.Counts != (state.Counts{}) || got.Error != "" ||
			got.StartedAt.Sub(run.StartedAt).Abs() > time.Millisecond {
			t.Fatalf("ledger has %s, StartRun returned %s", js(got), js(run))
		}
		var rows int
		if err := e.db.GetContext(ctx, &rows, e.db.Rebind(`SELECT COUNT(*) FROM stream_state
			WHERE department = ? AND source = ? AND stream = ?`), ref.Department, ref.Source, ref.Stream); err != nil {
			t.Fatal(err)
		}
		if rows != 1 {
			t.Fatalf("stream_state rows for %s = %d, want 1", ref, rows)
		}

		_, err = e.st.StartRun(ctx, ref, "incremental")
		if !errors.Is(err, state.ErrBusy) {
			t.Fatalf("second StartRun of %s = %v, want ErrBusy", ref, err)
		}
		if !strings.Contains(err.Error(), strconv.FormatInt(run.ID, 10)) {
			t.Errorf("busy error %q does not name run %d", err, run.ID)
		}
		if got := e.run(t, run.ID); got.Status != state.StatusRunning {
			t.Fatalf("holder after a refused StartRun: %s, want running", got.Status)
		}

		other := ref
		other.Stream = "khai_tu"
		if r := e.start(t, other); r.ID == run.ID {
			t.Fatalf("run of %s reused id %d", other, r.ID)
		}

		// The stream's position survives the next run's start.
		e.commit(t, run, state.Batch{Checkpoint: cp(`{"c":1}`)})
		e.finish(t, run, state.Finish{Status: state.StatusSucceeded, ReadSource: true})
		e.start(t, ref)
		if st := e.state(t, ref); string(st.Checkpoint) != `{"c":1}` || st.LastSuccessAt == nil {
			t.Fatalf("state after a new run started = %s, want checkpoint and last success kept", js(st))
		}
	})
}

func TestStartRunConcurrent(t *testing.T) {
	eachDialect(t, func(t *testing.T, e env) {
		ref := state.Ref{Department: "d", Source: "s", Stream: "t"}
		const n = 8
		stores := make([]*state.Store, n)
		for i := range stores {
			_, stores[i] = open(t, e.dsn)
		}
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i, st := range stores {
			wg.Go(func() { _, errs[i] = st.StartRun(context.Background(), ref, "incremental") })
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, state.ErrBusy):
				t.Errorf("concurrent StartRun: %v, want nil or ErrBusy", err)
			}
		}
		if won != 1 {
			t.Fatalf("%d of %d concurrent StartRuns won the stream, want 1", won, n)
		}
	})
}

func TestStartRunTakeover(t *testing.T) {
	host := hostname(t)
	dead, live := deadPID(t), livePID(t)
	const ttl = 2 * time.Minute
	for _, tc := range []struct {
		name string
		host string
		pid  int
		age  time.Duration // of the holder's last heartbeat
		busy bool
	}{
		{"dead pid on this host", host, dead, 0, false},
		{"live pid on this host", host, live, 0, true},
		{"live pid on this host without heartbeat", host, live, 2 * ttl, false},
		{"this process", host, os.Getpid(), 0, true},
		// A container restarted after a crash runs as the same PID on the
		// same host name: its predecessor's run must still expire.
		{"this pid without heartbeat", host, os.Getpid(), 2 * ttl, false},
		{"other host with heartbeat", "elsewhere", dead, ttl / 2, true},
		{"other host without heartbeat", "elsewhere", live, ttl + time.Second, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eachDialect(t, func(t *testing.T, e env) {
				ctx := context.Background()
				e.st.LeaseTTL = ttl
				ref := state.Ref{Department: "d", Source: "s", Stream: "t"}
				old := e.start(t, ref)
				e.commit(t, old, state.Batch{Checkpoint: cp(`{"at":7}`), Counts: state.Counts{Read: 3, Inserted: 3}})
				e.exec(t, `UPDATE runs SET host = ?, pid = ?, heartbeat_at = ? WHERE id = ?`,
					tc.host, tc.pid, time.Now().UTC().Add(-tc.age), old.ID)

				run, err := e.st.StartRun(ctx, ref, "incremental")
				if tc.busy {
					if !errors.Is(err, state.ErrBusy) {
						t.Fatalf("StartRun = %v, want ErrBusy", err)
					}
					if got := e.run(t, old.ID); got.Status != state.StatusRunning || got.EndedAt != nil {
						t.Fatalf("live holder became %s", got.Status)
					}
					return
				}
				if err != nil {
					t.Fatalf("StartRun over a dead holder: %v", err)
				}
				if run.Status != state.StatusRunning || run.ID == old.ID {
					t.Fatalf("new run %s", js(run))
				}
				got := e.run(t, old.ID)
				if got.Status != state.StatusAbandoned || got.EndedAt == nil {
					t.Fatalf("dead holder is %s ended %v, want abandoned and ended", got.Status, got.EndedAt)
				}
				if want := fmt.Sprintf("process %d on %s", tc.pid, tc.host); !strings.Contains(got.Error, want) {
					t.Fatalf("abandoned run's error %q does not say %q", got.Error, want)
				}
				if got.Read != 3 || got.Inserted != 3 {
					t.Fatalf("abandoned run lost its counts: %+v", got.Counts)
				}
				if st := e.state(t, ref); string(st.Checkpoint) != `{"at":7}` {
					t.Fatalf("checkpoint after takeover = %s, want the last committed batch's", st.Checkpoint)
				}
			})
		})
	}
}

func TestHeartbeat(t *testing.T) {
	eachDialect(t, func(t *testing.T, e env) {
		ctx := context.Background()
		ref := state.Ref{Department: "d", Source: "s", Stream: "t"}
		run := e.start(t, ref)
		e.exec(t, `UPDATE runs SET host = 'elsewhere', heartbeat_at = ? WHERE id = ?`, time.Now().UTC().Add(-time.Hour), run.ID)
		if err := e.st.Heartbeat(ctx, run.ID); err != nil {
			t.Fatalf("heartbeat: %v", err)
		}
		if _, err := e.st.StartRun(ctx, ref, "incremental"); !errors.Is(err, state.ErrBusy) {
			t.Fatalf("StartRun after the holder's heartbeat = %v, want ErrBusy", err)
		}
		e.finish(t, run, state.Finish{Status: state.StatusSucceeded})
		if err := e.st.Heartbeat(ctx, run.ID); !errors.Is(err, state.ErrBusy) {
			t.Fatalf("heartbeat of a finished run = %v, want ErrBusy", err)
		}
	})
}

// TestAbandonedRunIsFenced: a run whose lease lapsed while it was still
// working must not write over the run that took its stream over.
func TestAbandonedRunIsFenced(t *testing.T) {
	eachDialect(t, func(t *testing.T, e env) {
		ctx := context.Background()
		ref := state.Ref{Department: "d", Source: "s", Stream: "t"}
		old := e.start(t, ref)
		e.exec(t, `UPDATE runs SET host = 'elsewhere', heartbeat_at = ? WHERE id = ?`, time.Now().UTC().Add(-time.Hour), old.ID)
		run := e.start(t, ref)
		if _, _, err := e.st.BeginFull(ctx, run.ID, ref); err != nil {
			t.Fatal(err)
		}
		e.commit(t, run, state.Batch{Full: true, Checkpoint: cp(`"new"`), Counts: state.Counts{Read: 1, Inserted: 1}})
		e.exec(t, `INSERT INTO rejects (department, source, stream, source_key, kind, raw, field, reason, message, violations, run_id, first_seen_at, last_seen_at)
			VALUES (?, ?, ?, 'k', 'x', '{}', 'f', 'bad_value', 'm', '[]', ?, ?, ?)`,
			ref.Department, ref.Source, ref.Stream, run.ID, time.Now().UTC(), time.Now().UTC())
		before := e.state(t, ref)

		for _, tc := range []struct {
			name string
			call func() error
		}{
			{"heartbeat", func() error { return e.st.Heartbeat(ctx, old.ID) }},
			{"begin full", func() error { _, _, err := e.st.BeginFull(ctx, old.ID, ref); return err }},
			{"commit batch", func() error {
				return e.st.CommitBatch(ctx, old.ID, ref, state.Batch{Full: true, Checkpoint: cp(`"stale"`),
					Counts:    state.Counts{Read: 5, Rejected: 5},
					Rejects:   []state.Reject{{SourceKey: "z", Kind: "x", Raw: cp(`{}`), Reason: "bad_value", Violations: cp(`[]`)}},
					Delivered: []string{"k"}})
			}},
			{"commit incremental batch", func() error {
				return e.st.CommitBatch(ctx, old.ID, ref, state.Batch{Checkpoint: cp(`"stale"`)})
			}},
			{"finish", func() error {
				return e.st.FinishRun(ctx, old.ID, ref, state.Finish{Status: state.StatusSucceeded, Checkpoint: cp(`"stale"`), FullDone: true, Deleted: 9})
			}},
		} {
			if err := tc.call(); !errors.Is(err, state.ErrBusy) {
				t.Errorf("%s by the abandoned run = %v, want ErrBusy", tc.name, err)
			}
		}
		if got := e.run(t, old.ID); got.Status != state.StatusAbandoned || got.Counts != (state.Counts{}) || got.Generation != 0 {
			t.Fatalf("abandoned run after its late writes: %s", js(got))
		}
		if after := e.state(t, ref); !reflect.DeepEqual(after, before) {
			t.Fatalf("stream state moved by the abandoned run:\n got %s\nwant %s", js(after), js(before))
		}
		if rs := e.rejects(t, state.Filter{}); len(rs) != 1 || rs[0].SourceKey != "k" {
			t.Fatalf("rejects after the abandoned run's late batch: %s, want only k", js(rs))
		}
		if got := e.run(t, run.ID); got.Status != state.StatusRunning || got.Read != 1 {
			t.Fatalf("run that took over: %s", js(got))
		}
	})
}

func TestCounts(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    state.Counts
		want bool
	}{
		{"empty", state.Counts{}, true},
		{"every outcome", state.Counts{Read: 10, Inserted: 1, Updated: 2, Unchanged: 3, Rejected: 4}, true},
		{"deleted and null cursor counted besides", state.Counts{Read: 1, Inserted: 1, Deleted: 7, NullCursor: 1}, true},
		{"record without outcome", state.Counts{Read: 2, Inserted: 1}, false},
		{"outcome without record", state.Counts{Read: 1, Inserted: 1, Rejected: 1}, false},
		{"deleted is not an outcome", state.Counts{Read: 1, Deleted: 1}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.c.Conserved(); got != tc.want {
				t.Fatalf("%+v.Conserved() = %v, want %v", tc.c, got, tc.want)
			}
		})
	}
	t.Run("add", func(t *testing.T) {
		c := state.Counts{Read: 1, Inserted: 2, Updated: 3, Unchanged: 4, Rejected: 5, Deleted: 6, NullCursor: 7}
		c.Add(state.Counts{Read: 10, Inserted: 20, Updated: 30, Unchanged: 40, Rejected: 50, Deleted: 60, NullCursor: 70})
		if want := (state.Counts{Read: 11, Inserted: 22, Updated: 33, Unchanged: 44, Rejected: 55, Deleted: 66, NullCursor: 77}); c != want {
			t.Fatalf("Add = %+v, want %+v", c, want)
		}
	})
}

func TestCommitBatch(t *testing.T) {
	ref := state.Ref{Department: "tu-phap", Source: "ho-tich", Stream: "khai_sinh"}

	t.Run("checkpoint and counts", func(t *testing.T) {
		eachDialect(t, func(t *testing.T, e env) {
			run := e.start(t, ref)
			batches := []state.Batch{
				{Checkpoint: cp(`{"cursor":"2024-01-01","key":["1"]}`), Counts: state.Counts{Read: 4, Inserted: 2, Updated: 1, Rejected: 1, NullCursor: 1}},
				{Checkpoint: cp(`{"cursor":"2024-02-01","key":["9"]}`), Counts: state.Counts{Read: 3, Unchanged: 3, Deleted: 2}},
				{Checkpoint: cp(`{"cursor":"2024-03-01","key":["12"]}`), Counts: state.Counts{Read: 5, Inserted: 1, Updated: 1, Unchanged: 1, Rejected: 2, NullCursor: 2}},
			}
			var want state.Counts
			for i, b := range batches {
				e.commit(t, run, b)
				want.Add(b.Counts)
				if st := e.state(t, ref); !bytes.Equal(st.Checkpoint, b.Checkpoint) || st.FullCheckpoint != nil {
					t.Fatalf("state after batch %d = %s, want checkpoint %s", i, js(st), b.Checkpoint)
				}
				got := e.run(t, run.ID)
				if got.Counts != want {
					t.Fatalf("counts after batch %d = %+v, want %+v", i, got.Counts, want)
				}
				if !got.Conserved() {
					t.Fatalf("counts after batch %d not conserved: %+v", i, got.Counts)
				}
			}
		})
	})

	t.Run("nil checkpoint", func(t *testing.T) {
		eachDialect(t, func(t *testing.T, e env) {
			run := e.start(t, ref)
			e.commit(t, run, state.Batch{Counts: state.Counts{Read: 1, Rejected: 1}})
			if st := e.state(t, ref); st.Checkpoint != nil {
				t.Fatalf("checkpoint after a batch without one = %q, want nil", st.Checkpoint)
			}
		})
	})

	t.Run("full refresh checkpoint", func(t *testing.T) {
		eachDialect(t, func(t *testing.T, e env) {
			run := e.start(t, ref)
			e.commit(t, run, state.Batch{Checkpoint: cp(`{"inc":1}`)})
			if _, _, err := e.st.BeginFull(context.Background(), run.ID, ref); err != nil {
				t.Fatal(err)
			}
			e.commit(t, run, state.Batch{Full: true, Checkpoint: cp(`{"full":1}`)})
			st := e.state(t, ref)
			if string(st.Checkpoint) != `{"inc":1}` || string(st.FullCheckpoint) != `{"full":1}` || st.FullGeneration != 1 {
				t.Fatalf("state after a full batch = checkpoint %s, full checkpoint %s, generation %d; want {\"inc\":1}, {\"full\":1}, 1",
					st.Checkpoint, st.FullCheckpoint, st.FullGeneration)
			}
		})
	})

	t.Run("rejects upserted", func(t *testing.T) {
		eachDialect(t, func(t *testing.T, e env) {
			first := e.start(t, ref)
			e.commit(t, first, state.Batch{Counts: state.Counts{Read: 1, Rejected: 1}, Rejects: []state.Reject{{
				SourceKey: "42", Kind: "birth_registration", Raw: cp(`{"ngay_sinh":"31/02/2020"}`),
				Field: "birth_date", Reason: "bad_date", Message: "record 42: no 31 February",
				Violations: cp(`[{"field":"birth_date","code":"bad_date","message":"no 31 February"}]`),
			}}})
			seen := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
			e.exec(t, `UPDATE rejects SET first_seen_at = ?, last_seen_at = ?`, seen, seen)
			e.finish(t, first, state.Finish{Status: state.StatusSucceeded})

			second := e.start(t, ref)
			e.commit(t, second, state.Batch{Counts: state.Counts{Read: 1, Rejected: 1}, Rejects: []state.Reject{{
				SourceKey: "42", Kind: "birth_registration", Raw: cp(`{"ngay_sinh":"2020-02-31"}`),
				Field: "mother_id", Reason: "id_invalid", Message: "record 42: mother's ID has 11 digits",
				Violations: cp(`[{"field":"mother_id","code":"id_invalid","message":"11 digits"}]`),
			}}})
			rs := e.rejects(t, state.Filter{})
			if len(rs) != 1 {
				t.Fatalf("rejects of one key seen twice: %d rows, want 1: %s", len(rs), js(rs))
			}
			r := rs[0]
			if r.Ref != ref || r.SourceKey != "42" || r.RunID != second.ID || r.Field != "mother_id" || r.Reason != "id_invalid" ||
				r.Message != "record 42: mother's ID has 11 digits" || string(r.Raw) != `{"ngay_sinh":"2020-02-31"}` ||
				string(r.Violations) != `[{"field":"mother_id","code":"id_invalid","message":"11 digits"}]` {
				t.Fatalf("reject after the second sighting, want the last one's: %s", js(r))
			}
			if !r.FirstSeenAt.Equal(seen) {
				t.Fatalf("first_seen_at = %v, want the first sighting's %v", r.FirstSeenAt, seen)
			}
			if !r.LastSeenAt.After(seen) {
				t.Fatalf("last_seen_at = %v, want the second sighting's, after %v", r.LastSeenAt, seen)
			}
		})
	})

	t.Run("delivered clears its own rejects", func(t *testing.T) {
		eachDialect(t, func(t *testing.T, e env) {
			other := ref
			other.Stream = "khai_tu"
			rej := func(key string) state.Reject {
				return state.Reject{SourceKey: key, Kind: "k", Raw: cp(`{}`), Reason: "bad_value", Violations: cp(`[]`)}
			}
			o := e.start(t, other)
			e.commit(t, o, state.Batch{Rejects: []state.Reject{rej("1"), rej("3")}})
			run := e.start(t, ref)
			e.commit(t, run, state.Batch{Rejects: []state.Reject{rej("1"), rej("2"), rej("3"), rej("a'b")}})
			e.commit(t, run, state.Batch{Delivered: []string{"1", "3", "a'b", "never-rejected"}})
			var got []string
			for _, r := range e.rejects(t, state.Filter{}) {
				got = append(got, r.Stream+"/"+r.SourceKey)
			}
			if want := []string{"khai_sinh/2", "khai_tu/1", "khai_tu/3"}; !reflect.DeepEqual(got, want) {
				t.Fatalf("rejects after delivering 1, 3 and a'b of %s = %v, want %v", ref.Stream, got, want)
			}
		})
	})
}

func TestBeginFull(t *testing.T) {
	eachDialect(t, func(t *testing.T, e env) {
		ctx := context.Background()
		ref := state.Ref{Department: "d", Source: "s", Stream: "t"}
		begin := func(run state.Run, wantGen int64, wantFrom json.RawMessage) {
			t.Helper()
			gen, from, err := e.st.BeginFull(ctx, run.ID, ref)
			if err != nil {
				t.Fatalf("begin full refresh in run %d: %v", run.ID, err)
			}
			if gen != wantGen || !bytes.Equal(from, wantFrom) || (wantFrom == nil) != (from == nil) {
				t.Fatalf("BeginFull in run %d = generation %d from %q, want %d from %q", run.ID, gen, from, wantGen, wantFrom)
			}
			if r := e.run(t, run.ID); r.Generation != wantGen {
				t.Fatalf("run %d records generation %d, want %d", run.ID, r.Generation, wantGen)
			}
			if st := e.state(t, ref); st.Generation != wantGen || st.FullGeneration != wantGen {
				t.Fatalf("state after BeginFull = generation %d, full %d; want %d, %d", st.Generation, st.FullGeneration, wantGen, wantGen)
			}
		}

		r1 := e.start(t, ref)
		e.commit(t, r1, state.Batch{Checkpoint: cp(`"inc"`)})
		begin(r1, 1, nil)
		e.commit(t, r1, state.Batch{Full: true, Checkpoint: cp(`{"full_key":["500"]}`)})
		e.finish(t, r1, state.Finish{Status: state.StatusFailed, Error: "connection reset"})

		r2 := e.start(t, ref)
		begin(r2, 1, cp(`{"full_key":["500"]}`))
		e.finish(t, r2, state.Finish{Status: state.StatusSucceeded, FullDone: true, Checkpoint: cp(`"after full"`)})
		st := e.state(t, ref)
		if st.FullGeneration != 0 || st.FullCheckpoint != nil || st.Generation != 1 || string(st.Checkpoint) != `"after full"` {
			t.Fatalf("state after a completed full refresh: %s", js(st))
		}

		r3 := e.start(t, ref)
		begin(r3, 2, nil)
	})
}

func TestFinishRun(t *testing.T) {
	ref := state.Ref{Department: "d", Source: "s", Stream: "t"}
	for _, tc := range []struct {
		name        string
		finish      state.Finish
		checkpoint  string // want
		lastSuccess bool
	}{
		{"succeeded with checkpoint", state.Finish{Status: state.StatusSucceeded, Checkpoint: cp(`"final"`), Deleted: 3, ReadSource: true}, `"final"`, true},
		{"succeeded without checkpoint", state.Finish{Status: state.StatusSucceeded, ReadSource: true}, `"batch"`, true},
		{"retry of rejects is no sync of the source", state.Finish{Status: state.StatusSucceeded}, `"batch"`, false},
		{"full refresh keeps an incremental checkpoint", state.Finish{Status: state.StatusSucceeded, Checkpoint: cp(`"full"`), CheckpointIfUnset: true, ReadSource: true}, `"batch"`, true},
		{"failed", state.Finish{Status: state.StatusFailed, Error: "read stream \"t\": timeout"}, `"batch"`, false},
		{"failed with checkpoint", state.Finish{Status: state.StatusFailed, Error: "e", Checkpoint: cp(`"given"`)}, `"given"`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eachDialect(t, func(t *testing.T, e env) {
				run := e.start(t, ref)
				e.commit(t, run, state.Batch{Checkpoint: cp(`"batch"`), Counts: state.Counts{Read: 2, Inserted: 2, Deleted: 1}})
				e.finish(t, run, tc.finish)
				got := e.run(t, run.ID)
				if got.Status != tc.finish.Status || got.Error != tc.finish.Error || got.EndedAt == nil || got.EndedAt.Before(got.StartedAt) {
					t.Fatalf("finished run: status %q error %q ended %v, want %q %q and ended", got.Status, got.Error, got.EndedAt, tc.finish.Status, tc.finish.Error)
				}
				if want := 1 + tc.finish.Deleted; got.Deleted != want || got.Read != 2 || got.Inserted != 2 {
					t.Fatalf("finished run counts %+v, want deleted %d and the batch's counts", got.Counts, want)
				}
				st := e.state(t, ref)
				if string(st.Checkpoint) != tc.checkpoint {
					t.Fatalf("checkpoint = %s, want %s", st.Checkpoint, tc.checkpoint)
				}
				if (st.LastSuccessAt != nil) != tc.lastSuccess {
					t.Fatalf("last success = %v, want set: %v", st.LastSuccessAt, tc.lastSuccess)
				}
				if tc.lastSuccess && st.LastSuccessAt.Before(got.StartedAt) {
					t.Fatalf("last success %v before the run started %v", st.LastSuccessAt, got.StartedAt)
				}
			})
		})
	}

	t.Run("failure keeps the last success", func(t *testing.T) {
		eachDialect(t, func(t *testing.T, e env) {
			ok := e.start(t, ref)
			e.finish(t, ok, state.Finish{Status: state.StatusSucceeded, ReadSource: true})
			success := e.state(t, ref).LastSuccessAt
			if success == nil {
				t.Fatal("no last success after a successful run")
			}
			bad := e.start(t, ref)
			e.finish(t, bad, state.Finish{Status: state.StatusFailed, Error: "boom"})
			if st := e.state(t, ref); st.LastSuccessAt == nil || !st.LastSuccessAt.Equal(*success) {
				t.Fatalf("last success after a failed run = %v, want %v", st.LastSuccessAt, success)
			}
		})
	})

	t.Run("twice", func(t *testing.T) {
		eachDialect(t, func(t *testing.T, e env) {
			run := e.start(t, ref)
			e.finish(t, run, state.Finish{Status: state.StatusFailed, Error: "first"})
			err := e.st.FinishRun(context.Background(), run.ID, ref, state.Finish{Status: state.StatusSucceeded, Checkpoint: cp(`"late"`)})
			if !errors.Is(err, state.ErrBusy) {
				t.Fatalf("second FinishRun = %v, want ErrBusy", err)
			}
			if got := e.run(t, run.ID); got.Status != state.StatusFailed || got.Error != "first" {
				t.Fatalf("run after a second FinishRun: %s %q, want failed \"first\"", got.Status, got.Error)
			}
			if st := e.state(t, ref); st.Checkpoint != nil || st.LastSuccessAt != nil {
				t.Fatalf("state after a refused FinishRun: %s", js(st))
			}
		})
	})
}

func TestRunNotFound(t *testing.T) {
	eachDialect(t, func(t *testing.T, e env) {
		if _, err := e.st.Run(context.Background(), 999); !errors.Is(err, sql.ErrNoRows) {
			t.Fatalf("Run(999) = %v, want sql.ErrNoRows", err)
		}
	})
}

func TestRuns(t *testing.T) {
	eachDialect(t, func(t *testing.T, e env) {
		refs := []state.Ref{
			{Department: "tu-phap", Source: "ho-tich", Stream: "khai_sinh"},
			{Department: "tu-phap", Source: "ho-tich", Stream: "khai_tu"},
			{Department: "tu-phap", Source: "cong-chung", Stream: "khai_sinh"},
			{Department: "y-te", Source: "ho-tich", Stream: "khai_sinh"},
		}
		var id [6]int64 // id[i] is the i-th run started
		for i, ri := range []int{0, 1, 2, 3, 0, 1} {
			r := e.start(t, refs[ri])
			e.finish(t, r, state.Finish{Status: state.StatusSucceeded})
			id[i] = r.ID
		}
		for _, tc := range []struct {
			name string
			f    state.Filter
			want []int64
		}{
			{"all", state.Filter{}, []int64{id[5], id[4], id[3], id[2], id[1], id[0]}},
			{"department", state.Filter{Department: "tu-phap"}, []int64{id[5], id[4], id[2], id[1], id[0]}},
			{"source", state.Filter{Source: "cong-chung"}, []int64{id[2]}},
			{"stream", state.Filter{Stream: "khai_tu"}, []int64{id[5], id[1]}},
			{"one stream", state.Filter{Department: "tu-phap", Source: "ho-tich", Stream: "khai_sinh"}, []int64{id[4], id[0]}},
			{"limit", state.Filter{Limit: 2}, []int64{id[5], id[4]}},
			{"filter and limit", state.Filter{Stream: "khai_sinh", Limit: 3}, []int64{id[4], id[3], id[2]}},
			{"reason is ignored", state.Filter{Stream: "khai_tu", Reason: "bad_date"}, []int64{id[5], id[1]}},
			{"no match", state.Filter{Department: "cong-an"}, []int64{}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				runs, err := e.st.Runs(context.Background(), tc.f)
				if err != nil {
					t.Fatal(err)
				}
				if got := ids(runs); !reflect.DeepEqual(got, tc.want) {
					t.Fatalf("Runs(%+v) = %v, want %v", tc.f, got, tc.want)
				}
				for _, r := range runs {
					if r.Status != state.StatusSucceeded || r.EndedAt == nil || r.Department == "" {
						t.Fatalf("listed run incomplete: %s", js(r))
					}
				}
			})
		}
	})
}

func TestRejects(t *testing.T) {
	eachDialect(t, func(t *testing.T, e env) {
		a := state.Ref{Department: "tu-phap", Source: "ho-tich", Stream: "khai_sinh"}
		b := state.Ref{Department: "tu-phap", Source: "ho-tich", Stream: "khai_tu"}
		c := state.Ref{Department: "y-te", Source: "benh-vien", Stream: "khai_sinh"}
		rej := func(key, reason string) state.Reject {
			return state.Reject{SourceKey: key, Kind: "birth_registration", Field: "f_" + key, Reason: reason,
				Message:    "record " + key + ": " + reason,
				Raw:        cp(`{"ho_ten":"Nguyễn Văn ` + key + `","so":` + key + `,"null":null,"nested":{"a":[1,2]}}`),
				Violations: cp(`[{"field":"f_` + key + `","code":"` + reason + `","message":"m"}]`)}
		}
		runs := map[string]int64{}
		for _, s := range []struct {
			ref     state.Ref
			rejects []state.Reject
		}{
			{a, []state.Reject{rej("3", "bad_date"), rej("1", "bad_date"), rej("2", "required_missing")}},
			{b, []state.Reject{rej("1", "bad_date"), rej("5", "id_invalid")}},
			{c, []state.Reject{rej("9", "bad_date"), rej("8", "required_missing")}},
		} {
			r := e.start(t, s.ref)
			e.commit(t, r, state.Batch{Rejects: s.rejects})
			runs[s.ref.String()] = r.ID
		}
		key := func(rs []state.Reject) []string {
			out := []string{}
			for _, r := range rs {
				out = append(out, r.Department+"/"+r.Stream+"/"+r.SourceKey)
			}
			return out
		}
		for _, tc := range []struct {
			name string
			f    state.Filter
			want []string
		}{
			{"all, by stream and key", state.Filter{}, []string{"tu-phap/khai_sinh/1", "tu-phap/khai_sinh/2", "tu-phap/khai_sinh/3",
				"tu-phap/khai_tu/1", "tu-phap/khai_tu/5", "y-te/khai_sinh/8", "y-te/khai_sinh/9"}},
			{"department", state.Filter{Department: "y-te"}, []string{"y-te/khai_sinh/8", "y-te/khai_sinh/9"}},
			{"source", state.Filter{Source: "ho-tich"}, []string{"tu-phap/khai_sinh/1", "tu-phap/khai_sinh/2", "tu-phap/khai_sinh/3",
				"tu-phap/khai_tu/1", "tu-phap/khai_tu/5"}},
			{"stream", state.Filter{Stream: "khai_tu"}, []string{"tu-phap/khai_tu/1", "tu-phap/khai_tu/5"}},
			{"reason", state.Filter{Reason: "bad_date"}, []string{"tu-phap/khai_sinh/1", "tu-phap/khai_sinh/3", "tu-phap/khai_tu/1", "y-te/khai_sinh/9"}},
			{"stream and reason", state.Filter{Department: "tu-phap", Source: "ho-tich", Stream: "khai_sinh", Reason: "bad_date"},
				[]string{"tu-phap/khai_sinh/1", "tu-phap/khai_sinh/3"}},
			{"limit", state.Filter{Reason: "bad_date", Limit: 2}, []string{"tu-phap/khai_sinh/1", "tu-phap/khai_sinh/3"}},
			{"no match", state.Filter{Reason: "duplicate_key"}, []string{}},
			{"field", state.Filter{Field: "f_1"}, []string{"tu-phap/khai_sinh/1", "tu-phap/khai_tu/1"}},
			{"field and department", state.Filter{Department: "tu-phap", Field: "f_5"}, []string{"tu-phap/khai_tu/5"}},
			{"kind", state.Filter{Kind: "birth_registration", Department: "y-te"}, []string{"y-te/khai_sinh/8", "y-te/khai_sinh/9"}},
			{"other kind", state.Filter{Kind: "death_registration"}, []string{}},
			{"after", state.Filter{Stream: "khai_sinh", Department: "tu-phap", After: "1"}, []string{"tu-phap/khai_sinh/2", "tu-phap/khai_sinh/3"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if got := key(e.rejects(t, tc.f)); !reflect.DeepEqual(got, tc.want) {
					t.Fatalf("Rejects(%+v) = %v, want %v", tc.f, got, tc.want)
				}
			})
		}

		t.Run("round trip", func(t *testing.T) {
			rs := e.rejects(t, state.Filter{Stream: "khai_tu"})
			if len(rs) != 2 {
				t.Fatalf("%d rejects, want 2", len(rs))
			}
			want := rej("5", "id_invalid")
			got := rs[1]
			if got.Ref != b || got.SourceKey != "5" || got.Kind != want.Kind || got.Field != want.Field || got.Reason != want.Reason ||
				got.Message != want.Message || got.RunID != runs[b.String()] || got.FirstSeenAt.IsZero() || got.LastSeenAt.IsZero() {
				t.Fatalf("reject read back %s, want %s", js(got), js(want))
			}
			if !bytes.Equal(got.Raw, want.Raw) || !bytes.Equal(got.Violations, want.Violations) {
				t.Fatalf("raw %s violations %s, want %s %s", got.Raw, got.Violations, want.Raw, want.Violations)
			}
			out, err := json.Marshal(got)
			if err != nil {
				t.Fatalf("encode reject: %v", err)
			}
			var doc struct {
				Raw        map[string]any   `json:"raw"`
				Violations []map[string]any `json:"violations"`
			}
			if err := json.Unmarshal(out, &doc); err != nil {
				t.Fatalf("decode %s: %v", out, err)
			}
			if doc.Raw["ho_ten"] != "Nguyễn Văn 5" || doc.Raw["so"] != 5.0 || len(doc.Violations) != 1 || doc.Violations[0]["code"] != "id_invalid" {
				t.Fatalf("reject as JSON lost its raw record or violations: %s", out)
			}
		})

		t.Run("by reason", func(t *testing.T) {
			for _, tc := range []struct {
				name string
				f    state.Filter
				want []state.ReasonCount
			}{
				{"all, most frequent first", state.Filter{}, []state.ReasonCount{{"bad_date", 4}, {"required_missing", 2}, {"id_invalid", 1}}},
				{"department", state.Filter{Department: "y-te"}, []state.ReasonCount{{"bad_date", 1}, {"required_missing", 1}}},
				{"stream", state.Filter{Department: "tu-phap", Source: "ho-tich", Stream: "khai_tu"}, []state.ReasonCount{{"bad_date", 1}, {"id_invalid", 1}}},
				{"source", state.Filter{Source: "benh-vien"}, []state.ReasonCount{{"bad_date", 1}, {"required_missing", 1}}},
				{"reason", state.Filter{Reason: "required_missing"}, []state.ReasonCount{{"required_missing", 2}}},
				{"limit", state.Filter{Limit: 1}, []state.ReasonCount{{"bad_date", 4}}},
				{"no match", state.Filter{Department: "cong-an"}, []state.ReasonCount{}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					got, err := e.st.RejectsByReason(context.Background(), tc.f)
					if err != nil {
						t.Fatal(err)
					}
					if !reflect.DeepEqual(got, tc.want) {
						t.Fatalf("RejectsByReason(%+v) = %v, want %v", tc.f, got, tc.want)
					}
				})
			}
		})
	})
}

// TestRequestCancel: a cancel request reaches the run's heartbeat, names
// who asked, and is refused for an ended or unknown run.
func TestRequestCancel(t *testing.T) {
	eachDialect(t, func(t *testing.T, e env) {
		ctx := context.Background()
		ref := state.Ref{Department: "d", Source: "s", Stream: "t"}
		run := e.start(t, ref)
		if err := e.st.Heartbeat(ctx, run.ID); err != nil {
			t.Fatalf("heartbeat before any request: %v", err)
		}
		if err := e.st.RequestCancel(ctx, run.ID, "admin"); err != nil {
			t.Fatalf("RequestCancel: %v", err)
		}
		if err := e.st.RequestCancel(ctx, run.ID, "someone else"); err != nil {
			t.Fatalf("second RequestCancel: %v", err)
		}
		err := e.st.Heartbeat(ctx, run.ID)
		var cr *state.CancelRequest
		if !errors.Is(err, state.ErrCancelRequested) || !errors.As(err, &cr) || cr.By != "admin" || err.Error() != "cancelled by admin" {
			t.Fatalf("heartbeat after the request = %v, want the first request, by admin", err)
		}
		got, err := e.st.Run(ctx, run.ID)
		if err != nil || got.CancelRequestedBy != "admin" || got.CancelRequestedAt == nil {
			t.Fatalf("run after the request = %+v, %v", got, err)
		}
		e.finish(t, run, state.Finish{Status: state.StatusCancelled, Error: "cancelled by admin"})
		if err := e.st.RequestCancel(ctx, run.ID, "admin"); !errors.Is(err, state.ErrNotRunning) {
			t.Fatalf("RequestCancel of a finished run = %v, want ErrNotRunning", err)
		}
		if err := e.st.RequestCancel(ctx, 999, "admin"); !errors.Is(err, state.ErrNotFound) {
			t.Fatalf("RequestCancel of no run = %v, want ErrNotFound", err)
		}
		if _, err := e.st.Run(ctx, 999); !errors.Is(err, state.ErrNotFound) {
			t.Fatalf("Run(999) = %v, want ErrNotFound", err)
		}
	})
}

// TestEachReject: EachReject hands every matching reject over one at a time,
// in order, and stops at the first error of its callback.
func TestEachReject(t *testing.T) {
	eachDialect(t, func(t *testing.T, e env) {
		ctx := context.Background()
		ref := state.Ref{Department: "d", Source: "s", Stream: "t"}
		run := e.start(t, ref)
		const n = 2500
		var batch []state.Reject
		for i := range n {
			reason := "bad_date"
			if i%5 == 0 {
				reason = "required_missing"
			}
			batch = append(batch, state.Reject{SourceKey: fmt.Sprintf("%06d", i), Kind: "birth_registration", Field: "ngay_sinh",
				Reason: reason, Message: "m", Raw: cp(`{}`), Violations: cp(`[]`)})
		}
		e.commit(t, run, state.Batch{Rejects: batch})
		var keys []string
		err := e.st.EachReject(ctx, state.Filter{Department: "d", Reason: "required_missing", Field: "ngay_sinh"}, func(r state.Reject) error {
			if r.Reason != "required_missing" || r.Ref != ref || string(r.Raw) != `{}` {
				return fmt.Errorf("reject %+v does not match the filter", r)
			}
			keys = append(keys, r.SourceKey)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) != n/5 || !sort.StringsAreSorted(keys) || keys[0] != "000000" || keys[len(keys)-1] != fmt.Sprintf("%06d", n-5) {
			t.Fatalf("EachReject handed %d rejects (first %v), want %d in source key order", len(keys), keys[:min(3, len(keys))], n/5)
		}
		stop := errors.New("enough")
		seen := 0
		err = e.st.EachReject(ctx, state.Filter{}, func(state.Reject) error {
			if seen++; seen == 10 {
				return stop
			}
			return nil
		})
		if !errors.Is(err, stop) || seen != 10 {
			t.Fatalf("EachReject after its callback failed: %v after %d, want the callback's error after 10", err, seen)
		}
		// The store is usable after an iteration stopped early.
		if rs := e.rejects(t, state.Filter{Limit: 3}); len(rs) != 3 {
			t.Fatalf("%d rejects after a stopped iteration, want 3", len(rs))
		}
	})
}

// A first load that saves thousands of rejects keeps the planner's
// statistics of the rejects table in step, so a batch clears its delivered
// records' rejects by primary key, not by scanning every reject of the
// stream (what it did while the table had never been analyzed).
func TestRejectsStatisticsFollowLoad(t *testing.T) {
	db, st := open(t, testdb.Postgres(t))
	ctx := context.Background()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	e := env{db: db, st: st}
	ref := state.Ref{Department: "tu-phap", Source: "ho-tich", Stream: "khai_sinh"}
	run := e.start(t, ref)
	// A reject keeps its raw record: about 1.5 KB.
	raw := cp(`{"ghi_chu":"` + strings.Repeat("x", 1500) + `"}`)
	var keys []string
	for b := range 5 {
		batch := state.Batch{Counts: state.Counts{Read: 600, Rejected: 600}}
		for i := range 600 {
			k := strconv.Itoa(b*600 + i)
			keys = append(keys, k)
			batch.Rejects = append(batch.Rejects, state.Reject{SourceKey: k, Kind: "birth_registration", Raw: raw,
				Field: "birth_date", Reason: "bad_date", Message: "bad date", Violations: cp(`[]`)})
		}
		e.commit(t, run, batch)
	}
	// Planned as CommitBatch plans it: in a transaction with its settings.
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, state.PgClearSettings); err != nil {
		t.Fatal(err)
	}
	var plan string
	if err := tx.QueryRowContext(ctx, `EXPLAIN (FORMAT JSON) `+state.PgClearDelivered, ref.Department, ref.Source, ref.Stream,
		pq.Array(keys[:1000])).Scan(&plan); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(plan, `"Index Name": "rejects_pkey"`) {
		t.Fatalf("clearing delivered rejects is not planned on the primary key after 3,000 rejects:\n%s", plan)
	}
}
