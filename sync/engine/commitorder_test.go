package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/internal/database"
	"github.com/lienthong/lienthong/national"
	"github.com/lienthong/lienthong/sync/state"
)

// failingWrite is the real national store, except for its nth Write: that
// one fails before writing, or, with afterCommit, writes and commits and
// then has the state store refuse the batch's commit.
type failingWrite struct {
	national.Store
	h           *harness
	n           int
	afterCommit bool
	calls       int
	// before is the stream's checkpoint when the failing batch came.
	before json.RawMessage
}

var errRefused = errors.New("national store refuses the batch")

func (f *failingWrite) WriteBatch(ctx context.Context, p national.Provenance, b national.Batch) (national.Result, error) {
	if f.calls++; f.calls != f.n {
		return f.Store.WriteBatch(ctx, p, b)
	}
	st, err := f.h.st.State(ctx, f.h.ref)
	if err != nil {
		return national.Result{}, err
	}
	f.before = st.Checkpoint
	if !f.afterCommit {
		return national.Result{}, errRefused
	}
	res, err := f.Store.WriteBatch(ctx, p, b)
	f.h.refuseStateCommits(true)
	return res, err
}

// refuseStateCommits makes the state store fail (or stop failing) every
// checkpoint save, with a trigger: a real failure of the real store.
func (h *harness) refuseStateCommits(on bool) {
	h.t.Helper()
	stmts := map[bool]map[database.Dialect][]string{
		true: {
			database.Postgres: {`CREATE FUNCTION refuse_commit() RETURNS trigger LANGUAGE plpgsql AS $$
				BEGIN RAISE EXCEPTION 'state store refuses the commit'; END $$`,
				`CREATE TRIGGER refuse_commit BEFORE UPDATE ON stream_state FOR EACH ROW EXECUTE FUNCTION refuse_commit()`},
			database.SQLite: {`CREATE TRIGGER refuse_commit BEFORE UPDATE ON stream_state
				BEGIN SELECT RAISE(ABORT, 'state store refuses the commit'); END`},
		},
		false: {
			database.Postgres: {`DROP TRIGGER refuse_commit ON stream_state`, `DROP FUNCTION refuse_commit()`},
			database.SQLite:   {`DROP TRIGGER refuse_commit`},
		},
	}
	for _, q := range stmts[on][h.storeDB.Dialect] {
		if _, err := h.storeDB.ExecContext(context.Background(), q); err != nil {
			h.t.Fatal(err)
		}
	}
}

// TestCommitOrder: a batch whose national write fails, or whose state
// commit fails after the national commit, leaves the checkpoint where it
// was, and the next run delivers every record exactly once. Saving the
// checkpoint before the national write fails this test.
func TestCommitOrder(t *testing.T) {
	for _, d := range storeDialects {
		for _, afterCommit := range []bool{false, true} {
			name := d + "/national write fails"
			if afterCommit {
				name = d + "/state commit fails after the national commit"
			}
			t.Run(name, func(t *testing.T) {
				const rows = 1000
				h := newHarnessOn(t, d)
				commitOrder(t, h, rows, afterCommit, func() { h.checkEachOnce(rows) })
			})
		}
	}
}

// commitOrder is the commit-order scenario on a harness: the 4th national
// write fails (or, with afterCommit, the state commit after it); the
// failed run keeps the checkpoint of the 3 batches before, and the next
// run delivers the rest, each record once (eachOnce checks the stores).
func commitOrder(t *testing.T, h *harness, rows int, afterCommit bool, eachOnce func()) {
	t.Helper()
	h.seed(1, rows, 3)
	real := h.eng.National
	f := &failingWrite{Store: real, h: h, n: 4, afterCommit: afterCommit}
	h.eng.National = f
	r, err := h.run(context.Background(), connectors.Incremental)
	h.eng.National = real
	if afterCommit {
		h.refuseStateCommits(false)
	} else if !errors.Is(err, errRefused) {
		t.Fatalf("run: %v, want the national store's refusal", err)
	}
	if err == nil || r.Status != state.StatusFailed || !r.Conserved() || r.Read != 3*int64(h.batch) {
		t.Fatalf("failed run: %v, %+v; want failed with the 3 batches before the fault", err, r)
	}
	st, err := h.st.State(context.Background(), h.ref)
	if err != nil || f.before == nil || string(st.Checkpoint) != string(f.before) {
		t.Fatalf("checkpoint after the failed batch: %s (%v), want %s, where it was", st.Checkpoint, err, f.before)
	}

	second := h.mustRun(connectors.Incremental)
	// The national store has the batch whose state commit
	// failed: its replay finds it unchanged (but for its
	// rejects), and counts it once, as the failed commit
	// counted nothing.
	if afterCommit && second.Unchanged+second.Rejected < int64(h.batch) {
		t.Errorf("second run %+v: the replayed batch should be found unchanged", second.Counts)
	}
	if total := r.Read + second.Read; total != int64(rows) {
		t.Errorf("the runs read %d records in all, want %d, each once", total, rows)
	}
	eachOnce()
}

// checkEachOnce checks that source rows 1..rows are each live in the
// national store or rejected, exactly once.
func (h *harness) checkEachOnce(rows int) {
	h.t.Helper()
	seen := map[string]int{}
	for _, q := range []string{`SELECT source_key FROM national_records WHERE deleted_at IS NULL`, `SELECT source_key FROM rejects`} {
		var keys []string
		if err := h.storeDB.SelectContext(context.Background(), &keys, q); err != nil {
			h.t.Fatal(err)
		}
		for _, k := range keys {
			seen[k]++
		}
	}
	for id := 1; id <= rows; id++ {
		if n := seen[fmt.Sprint(id)]; n != 1 {
			h.t.Errorf("source row %d is delivered or rejected %d times, want once", id, n)
		}
	}
	if len(seen) != rows {
		h.t.Errorf("%d source keys in the stores, want %d", len(seen), rows)
	}
}
