package state_test

import (
	"reflect"
	"testing"

	"github.com/lienthong/lienthong/sync/state"
)

// TestNormalisedLedger: each batch's per-field counts of repaired,
// reformatted and rejected values add up in the run's ledger row, on both
// dialects, and a run without any reads back as none.
func TestNormalisedLedger(t *testing.T) {
	ref := state.Ref{Department: "tu-phap", Source: "ho-tich", Stream: "khai_sinh"}
	eachDialect(t, func(t *testing.T, e env) {
		run := e.start(t, ref)
		if got := e.run(t, run.ID).Normalised; got != nil {
			t.Fatalf("a new run's normalised = %v; want none", got)
		}
		e.commit(t, run, state.Batch{Counts: state.Counts{Read: 3, Inserted: 2, Rejected: 1}, Normalised: state.Normalised{
			"full_name":     {Repaired: 2, Reformatted: 1},
			"date_of_birth": {Reformatted: 2, Rejected: 1},
		}})
		e.commit(t, run, state.Batch{Counts: state.Counts{Read: 1, Inserted: 1}})
		e.commit(t, run, state.Batch{Counts: state.Counts{Read: 2, Inserted: 1, Rejected: 1}, Normalised: state.Normalised{
			"full_name": {Repaired: 1, Rejected: 1},
			"phone":     {Reformatted: 1},
		}})
		want := state.Normalised{
			"full_name":     {Repaired: 3, Reformatted: 1, Rejected: 1},
			"date_of_birth": {Reformatted: 2, Rejected: 1},
			"phone":         {Reformatted: 1},
		}
		if got := e.run(t, run.ID).Normalised; !reflect.DeepEqual(got, want) {
			t.Fatalf("normalised = %v; want %v", got, want)
		}
		e.finish(t, run, state.Finish{Status: state.StatusSucceeded})
		runs, err := e.st.Runs(t.Context(), state.Filter{})
		if err != nil || len(runs) != 1 || !reflect.DeepEqual(runs[0].Normalised, want) {
			t.Fatalf("Runs = %+v, %v; want one run with normalised %v", runs, err, want)
		}
	})
}
