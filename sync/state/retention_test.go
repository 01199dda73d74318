package state_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/lienthong/lienthong/sync/state"
)

func rejectOf(key string) state.Reject {
	return state.Reject{SourceKey: key, Kind: "person", Raw: cp(`{"ho_ten":"Nguyễn Văn An","so_cccd":"042095000123"}`),
		Reason: "bad_value", Violations: cp(`[]`)}
}

func keysOf(rs []state.Reject) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.Stream+"/"+r.SourceKey)
	}
	return out
}

// TestApplyRetention: rejects whose source row was last read before the
// cut-off go, with their raw records; fresh ones and other streams' stay;
// the run's ledger row counts what went, apart from the read counts.
func TestApplyRetention(t *testing.T) {
	ref := state.Ref{Department: "tu-phap", Source: "ho-tich", Stream: "khai_sinh"}
	other := state.Ref{Department: "tu-phap", Source: "ho-tich", Stream: "khai_tu"}
	eachDialect(t, func(t *testing.T, e env) {
		ctx := context.Background()
		o := e.start(t, other)
		e.commit(t, o, state.Batch{Counts: state.Counts{Read: 1, Rejected: 1}, Rejects: []state.Reject{rejectOf("old")}})
		e.finish(t, o, state.Finish{Status: state.StatusSucceeded})
		run := e.start(t, ref)
		e.commit(t, run, state.Batch{Counts: state.Counts{Read: 4, Rejected: 4},
			Rejects: []state.Reject{rejectOf("old"), rejectOf("older"), rejectOf("edge"), rejectOf("fresh")}})

		now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
		cutoff := now.Add(-90 * 24 * time.Hour)
		// Set as a run would have left them on earlier days: an open
		// reject read 89 days ago is within the period and must stay.
		e.exec(t, `UPDATE rejects SET first_seen_at = ?, last_seen_at = ?`, cutoff.Add(-200*24*time.Hour), cutoff.Add(-time.Hour))
		e.exec(t, `UPDATE rejects SET last_seen_at = ? WHERE stream = ? AND source_key = ?`, cutoff.Add(-100*24*time.Hour), ref.Stream, "older")
		e.exec(t, `UPDATE rejects SET last_seen_at = ? WHERE stream = ? AND source_key = ?`, cutoff, ref.Stream, "edge")
		e.exec(t, `UPDATE rejects SET last_seen_at = ? WHERE stream = ? AND source_key = ?`, now.Add(-89*24*time.Hour), ref.Stream, "fresh")

		p, err := e.st.ApplyRetention(ctx, run.ID, ref, state.Retention{RejectsBefore: cutoff, Anonymised: 7})
		if err != nil {
			t.Fatal(err)
		}
		if want := (state.Purges{PurgedRejects: 2, Anonymised: 7}); p != want {
			t.Errorf("ApplyRetention = %+v, want %+v", p, want)
		}
		if got, want := keysOf(e.rejects(t, state.Filter{})), []string{"khai_sinh/edge", "khai_sinh/fresh", "khai_tu/old"}; !reflect.DeepEqual(got, want) {
			t.Errorf("rejects left = %v, want %v (stale ones of khai_sinh gone, khai_tu untouched)", got, want)
		}
		// A second pass of the same run adds to the ledger.
		if _, err := e.st.ApplyRetention(ctx, run.ID, ref, state.Retention{Anonymised: 1}); err != nil {
			t.Fatal(err)
		}
		e.finish(t, run, state.Finish{Status: state.StatusSucceeded})
		r := e.run(t, run.ID)
		if want := (state.Purges{PurgedRejects: 2, Anonymised: 8}); r.Purges != want {
			t.Errorf("ledger purges = %+v, want %+v", r.Purges, want)
		}
		if want := (state.Counts{Read: 4, Rejected: 4}); r.Counts != want || !r.Conserved() {
			t.Errorf("ledger counts = %+v, want %+v, conserved", r.Counts, want)
		}
		runs, err := e.st.Runs(ctx, state.Filter{Stream: ref.Stream})
		if err != nil || len(runs) != 1 || runs[0].Purges != r.Purges {
			t.Errorf("Runs = %s, %v; want the run with its purges", js(runs), err)
		}

		// Once the run has ended it may no longer purge: another run may
		// be saving the stream's rejects.
		_, err = e.st.ApplyRetention(ctx, run.ID, ref, state.Retention{RejectsBefore: now})
		if !errors.Is(err, state.ErrBusy) {
			t.Errorf("ApplyRetention of an ended run: err = %v, want ErrBusy", err)
		}
		if n := len(e.rejects(t, state.Filter{})); n != 3 {
			t.Errorf("an ended run's retention left %d rejects, want 3 (nothing removed)", n)
		}
	})
}

// TestRetryKeepsLastSeen: a retry re-processes the saved raw record, not
// the source row, so a reject it leaves keeps its last sighting and its
// retention still runs from there; a read of the row renews it.
func TestRetryKeepsLastSeen(t *testing.T) {
	ref := state.Ref{Department: "tu-phap", Source: "ho-tich", Stream: "khai_sinh"}
	eachDialect(t, func(t *testing.T, e env) {
		run := e.start(t, ref)
		e.commit(t, run, state.Batch{Counts: state.Counts{Read: 1, Rejected: 1}, Rejects: []state.Reject{rejectOf("42")}})
		e.finish(t, run, state.Finish{Status: state.StatusSucceeded})
		seen := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		e.exec(t, `UPDATE rejects SET first_seen_at = ?, last_seen_at = ?`, seen, seen)

		retry := e.start(t, ref)
		again := rejectOf("42")
		again.Reason = "id_invalid"
		e.commit(t, retry, state.Batch{Retry: true, Counts: state.Counts{Read: 1, Rejected: 1}, Rejects: []state.Reject{again}})
		e.finish(t, retry, state.Finish{Status: state.StatusSucceeded})
		rs := e.rejects(t, state.Filter{})
		if len(rs) != 1 || rs[0].Reason != "id_invalid" || !rs[0].LastSeenAt.Equal(seen) {
			t.Fatalf("reject after a retry = %s; want the retry's reason and last_seen_at still %v", js(rs), seen)
		}

		read := e.start(t, ref)
		e.commit(t, read, state.Batch{Counts: state.Counts{Read: 1, Rejected: 1}, Rejects: []state.Reject{again}})
		if rs := e.rejects(t, state.Filter{}); len(rs) != 1 || !rs[0].LastSeenAt.After(seen) {
			t.Fatalf("reject after its row was read again = %s; want last_seen_at after %v", js(rs), seen)
		}
	})
}
