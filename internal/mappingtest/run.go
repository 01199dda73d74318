package mappingtest

import (
	"sort"
	"time"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/mapping"
	"github.com/lienthong/lienthong/sync/state"
)

// Run maps samples through m as of today (the date age and expiry rules
// compare with) and reports each beside its result, with a summary by
// reason. It writes nothing anywhere: a department officer can try a
// mapping before it syncs anything.
func Run(m *mapping.Mapper, samples []connectors.Record, today time.Time) Report {
	results := make([]Record, len(samples))
	norm := mapping.Normalisation{}
	for i, rec := range samples {
		r := Record{Key: rec.Key, Source: rec.Fields}
		res := m.MapAt(rec.Fields, today)
		norm.Count(m.Kind, res)
		switch {
		case res.Skipped != "":
			r.Skipped = res.Skipped
		case len(res.Violations) > 0:
			r.Violations = res.Violations
		default:
			r.Record = res.Record.Data
			for j, f := range m.Kind.Fields {
				if res.Repaired.Has(j) {
					r.Repaired = append(r.Repaired, f.Name)
				}
				if res.Reformatted.Has(j) {
					r.Reformatted = append(r.Reformatted, f.Name)
				}
			}
		}
		results[i] = r
	}
	s := Summarise(results)
	s.Normalisation = norm
	return Report{Kind: m.Kind.Name, Name: m.Path, Version: m.Version, Summary: s, Records: results}
}

// Summarise counts results; a rejected record counts once for each
// distinct reason it has. Reasons come most frequent first.
func Summarise(results []Record) Summary {
	s := Summary{Records: len(results), Reasons: []state.ReasonCount{}}
	byReason := map[string]int64{}
	for _, r := range results {
		switch {
		case r.Skipped != "":
			s.Skipped++
		case len(r.Violations) > 0:
			s.Rejected++
			seen := map[string]bool{}
			for _, v := range r.Violations {
				if !seen[v.Code] {
					seen[v.Code] = true
					byReason[v.Code]++
				}
			}
		default:
			s.Mapped++
		}
	}
	for reason, n := range byReason {
		s.Reasons = append(s.Reasons, state.ReasonCount{Reason: reason, Count: n})
	}
	sort.Slice(s.Reasons, func(i, j int) bool {
		if s.Reasons[i].Count != s.Reasons[j].Count {
			return s.Reasons[i].Count > s.Reasons[j].Count
		}
		return s.Reasons[i].Reason < s.Reasons[j].Reason
	})
	return s
}
