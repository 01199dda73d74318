package state_test

import (
	"context"
	"testing"

	"github.com/lienthong/lienthong/sync/state"
)

// TestRecordFailedAttempt checks a failed attempt is a finished ledger row
// with its error and no counts, listed by Runs, that leaves the stream's
// position alone and does not hold the stream.
func TestRecordFailedAttempt(t *testing.T) {
	eachDialect(t, func(t *testing.T, e env) {
		ctx := context.Background()
		ref := state.Ref{Department: "tu-phap", Source: "ho-tich", Stream: "khai-sinh"}
		run := e.start(t, ref)
		e.commit(t, run, state.Batch{Checkpoint: cp(`{"c":"5"}`), Counts: state.Counts{Read: 5, Inserted: 5}})
		e.finish(t, run, state.Finish{Status: state.StatusSucceeded, ReadSource: true, Checkpoint: cp(`{"c":"5"}`)})
		before := e.state(t, ref)

		failed, err := e.st.RecordFailedAttempt(ctx, ref, "incremental", "source ho-tich: connection refused")
		if err != nil {
			t.Fatal(err)
		}
		got := e.run(t, failed.ID)
		if got.Status != state.StatusFailed || got.Error != "source ho-tich: connection refused" || got.EndedAt == nil ||
			got.Mode != "incremental" || got.Counts != (state.Counts{}) || got.Ref != ref {
			t.Fatalf("failed attempt in the ledger: %+v", got)
		}
		runs, err := e.st.Runs(ctx, state.Filter{Stream: "khai-sinh", Limit: 1})
		if err != nil || len(runs) != 1 || runs[0].ID != failed.ID {
			t.Fatalf("the newest run is not the failed attempt: %v %+v", err, runs)
		}
		after := e.state(t, ref)
		if string(after.Checkpoint) != string(before.Checkpoint) || !after.LastSuccessAt.Equal(*before.LastSuccessAt) {
			t.Fatalf("a failed attempt moved the stream's state: %+v, was %+v", after, before)
		}
		// It does not hold the stream: the next run starts.
		next := e.start(t, ref)
		if next.ID <= failed.ID {
			t.Fatalf("next run %d", next.ID)
		}
	})
}
