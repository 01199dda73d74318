package engine

import (
	"github.com/lienthong/lienthong/mapping"
	"github.com/lienthong/lienthong/schema"
	"github.com/lienthong/lienthong/sync/state"
)

// normalised is what the mapping did to one record's values, kept with
// the record until its batch commits, when the ledger counts it per field
// (state.Batch.Normalised): a department sees what lienthong changed in
// its data.
type normalised struct {
	repaired, reformatted mapping.FieldSet
	violations            []schema.Violation
}

func noteNormalised(res mapping.Result) normalised {
	return normalised{repaired: res.Repaired, reformatted: res.Reformatted, violations: res.Violations}
}

// normalised counts the batch's records per field: the values of the
// delivered ones that were repaired or reformatted, and the fields of the
// ones the mapping rejected. A record rejected before mapping (unreadable)
// counts nothing; one the national store refuses after (a duplicate key)
// counts as the mapping left it.
func (w *writer) normalised() state.Normalised {
	n := mapping.Normalisation{}
	for _, it := range w.batch {
		if it.norm.repaired|it.norm.reformatted == 0 && len(it.norm.violations) == 0 {
			continue
		}
		n.Count(w.job.Mapper.Kind, mapping.Result{Violations: it.norm.violations, Repaired: it.norm.repaired, Reformatted: it.norm.reformatted})
	}
	if len(n) == 0 {
		return nil
	}
	out := make(state.Normalised, len(n))
	for field, c := range n {
		out[field] = state.FieldCounts(c)
	}
	return out
}
