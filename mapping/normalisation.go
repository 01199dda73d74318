package mapping

import (
	"maps"
	"slices"

	"github.com/lienthong/lienthong/schema"
)

// FieldCounts counts what a mapping did to one field's values over many
// records, so a department sees what lienthong changed in its data.
type FieldCounts struct {
	// Repaired values were made from legacy Vietnamese text that reached
	// a Unicode column misread, and was repaired, or from decode().
	Repaired int64 `json:"repaired"`
	// Reformatted values were rewritten by a normaliser: a name's case and
	// spaces, a date to YYYY-MM-DD, a phone to +84, an ID without its
	// separators, a sex to M or F, an e-mail's domain to lower case.
	Reformatted int64 `json:"reformatted"`
	// Rejected values had a violation that kept their record out.
	Rejected int64 `json:"rejected"`
}

// Normalisation is FieldCounts by field name; a violation of the whole
// record (a reject condition without a field) counts under RecordField.
type Normalisation map[string]FieldCounts

// RecordField is the name Normalisation counts a violation without a field
// under.
const RecordField = "(record)"

// Count adds one record's result. Repaired and reformatted values count
// only for a record that is delivered, since nothing of a rejected one is
// stored; a rejected record counts once for each field with a violation.
// A skipped record counts nothing.
func (n Normalisation) Count(kind *schema.Kind, res Result) {
	switch {
	case res.Skipped != "":
	case len(res.Violations) > 0:
		for i, v := range res.Violations {
			if slices.ContainsFunc(res.Violations[:i], func(w schema.Violation) bool { return w.Field == v.Field }) {
				continue
			}
			name := v.Field
			if name == "" {
				name = RecordField
			}
			c := n[name]
			c.Rejected++
			n[name] = c
		}
	case res.Repaired|res.Reformatted != 0:
		for i := range min(len(kind.Fields), 64) {
			rep, ref := res.Repaired.Has(i), res.Reformatted.Has(i)
			if !rep && !ref {
				continue
			}
			c := n[kind.Fields[i].Name]
			if rep {
				c.Repaired++
			}
			if ref {
				c.Reformatted++
			}
			n[kind.Fields[i].Name] = c
		}
	}
}

// Add adds the counts of o.
func (n Normalisation) Add(o Normalisation) {
	for name, c := range o {
		t := n[name]
		t.Repaired += c.Repaired
		t.Reformatted += c.Reformatted
		t.Rejected += c.Rejected
		n[name] = t
	}
}

// Fields returns the field names n counts, sorted.
func (n Normalisation) Fields() []string {
	return slices.Sorted(maps.Keys(n))
}
