// Package forms holds the online forms lienthong pre-fills: which field of
// the common schema each form field comes from, which record kinds (and
// departments) may supply it, and how to choose among several records.
//
// Forms are YAML files, decoded strictly and checked against the common
// schema once, when loaded (like mappings), so a form that names a field no
// kind has fails at start-up with its file and line, not on a citizen's
// request. The shipped forms are embedded (Builtin); an operator may load
// others from a folder (Load).
//
// Fill is pure: it takes the live national records about one citizen and
// says which fields they fill and which the citizen must still give. The
// package must not do I/O outside Load, nor know who asks or why (the
// server and the audit log do).
package forms

import (
	"bytes"
	"cmp"
	"encoding/json"
	"slices"
	"time"

	"github.com/lienthong/lienthong/national"
)

// How a field chooses among several records that could fill it.
const (
	// MostRecent takes the record with the latest RecentBy date (or, with
	// no RecentBy, the one the store confirmed last).
	MostRecent = "most_recent"
	// Authority takes the first record in the order of Kinds, then of
	// Departments: the register that is the authority on the field wins,
	// the others stand in when it has no record. Ties go to the most recent.
	Authority = "authority"
)

// Form is one online form of a procedure.
type Form struct {
	// Name identifies the form in URLs: lowercase letters, digits, dashes.
	Name string `yaml:"form" json:"form"`
	// Title is the form's name in Vietnamese, TitleEN in English.
	Title   string `yaml:"title" json:"title"`
	TitleEN string `yaml:"title_en" json:"title_en,omitempty"`
	// Procedure is the procedure's code in the national list of
	// administrative procedures, when known.
	Procedure string  `yaml:"procedure" json:"procedure,omitempty"`
	Fields    []Field `yaml:"fields" json:"fields"`
	// File is where the form was loaded from.
	File string `yaml:"-" json:"-"`
}

// Field is one field of a form.
type Field struct {
	// Name is the field's name on the form.
	Name string `yaml:"name" json:"name"`
	// Label is what the citizen reads beside the field.
	Label string `yaml:"label" json:"label"`
	// From is the common-schema field that fills it; empty for a field
	// only the citizen can give (the child's name on a birth registration).
	From string `yaml:"from" json:"from,omitempty"`
	// Kinds are the record kinds that may supply it.
	Kinds []string `yaml:"kinds" json:"kinds,omitempty"`
	// Departments, when set, are the only departments whose records may
	// supply it.
	Departments []string `yaml:"departments" json:"departments,omitempty"`
	// Choose is MostRecent (the default) or Authority.
	Choose string `yaml:"choose" json:"choose,omitempty"`
	// RecentBy is a date field, present in every kind, that orders records
	// for MostRecent (a card's valid_from, a decision's decision_date).
	RecentBy string `yaml:"recent_by" json:"recent_by,omitempty"`
}

// Filled is a field the store can fill: its value and where it came from.
type Filled struct {
	Field string `json:"field"`
	Label string `json:"label"`
	Value any    `json:"value"`
	// Kind and Key name the national record; Department, Source, Stream
	// and SourceKey the department record it was delivered from.
	Kind       string `json:"kind"`
	Key        string `json:"key"`
	Department string `json:"department"`
	Source     string `json:"source"`
	Stream     string `json:"stream"`
	SourceKey  string `json:"source_key"`
	// AsOf is when lienthong last read the record from its department.
	AsOf time.Time `json:"as_of"`
}

// Missing is a field the citizen must fill in.
type Missing struct {
	Field string `json:"field"`
	Label string `json:"label"`
}

// Result is a form filled from a citizen's records.
type Result struct {
	Filled  []Filled  `json:"filled"`
	Missing []Missing `json:"missing"`
}

// FieldNames lists the filled fields' names, what the audit log keeps of a
// read (never the values).
func (r Result) FieldNames() []string {
	names := make([]string, len(r.Filled))
	for i, f := range r.Filled {
		names[i] = f.Field
	}
	return names
}

// record is a national record with its data decoded once.
type record struct {
	doc  *national.Document
	data map[string]any
}

// Fill fills the form from docs, the live records about one citizen.
// Records marked deleted are ignored, should a caller pass one.
func (f *Form) Fill(docs []national.Document) Result {
	recs := make([]record, 0, len(docs))
	for i := range docs {
		if docs[i].Deleted {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(docs[i].Data))
		dec.UseNumber()
		var data map[string]any
		if dec.Decode(&data) != nil {
			continue
		}
		recs = append(recs, record{doc: &docs[i], data: data})
	}
	res := Result{Filled: []Filled{}, Missing: []Missing{}}
	for _, fd := range f.Fields {
		best, ok := fd.choose(recs)
		if !ok {
			res.Missing = append(res.Missing, Missing{Field: fd.Name, Label: fd.Label})
			continue
		}
		d := best.doc
		res.Filled = append(res.Filled, Filled{Field: fd.Name, Label: fd.Label, Value: best.data[fd.From],
			Kind: d.Kind, Key: d.Key, Department: d.Department, Source: d.Source, Stream: d.Stream,
			SourceKey: d.SourceKey, AsOf: d.LastSyncedAt})
	}
	return res
}

// choose picks the record that fills the field, among those of its kinds
// and departments that hold a value for it.
func (fd *Field) choose(recs []record) (record, bool) {
	if fd.From == "" {
		return record{}, false
	}
	var cands []record
	for _, r := range recs {
		if !slices.Contains(fd.Kinds, r.doc.Kind) {
			continue
		}
		if len(fd.Departments) > 0 && !slices.Contains(fd.Departments, r.doc.Department) {
			continue
		}
		if v, ok := r.data[fd.From]; !ok || v == nil || v == "" {
			continue
		}
		cands = append(cands, r)
	}
	if len(cands) == 0 {
		return record{}, false
	}
	recent := func(a, b record) int {
		if fd.RecentBy != "" {
			// Dates are ISO text (YYYY, YYYY-MM or YYYY-MM-DD), so they
			// sort as they compare.
			da, _ := a.data[fd.RecentBy].(string)
			db, _ := b.data[fd.RecentBy].(string)
			if c := cmp.Compare(db, da); c != 0 {
				return c
			}
		}
		if c := b.doc.LastSyncedAt.Compare(a.doc.LastSyncedAt); c != 0 {
			return c
		}
		// A stable last resort, so the same records always fill the same way.
		return cmp.Or(cmp.Compare(a.doc.Kind, b.doc.Kind), cmp.Compare(a.doc.Key, b.doc.Key))
	}
	order := recent
	if fd.Choose == Authority {
		rank := func(r record) int {
			k := slices.Index(fd.Kinds, r.doc.Kind) * (len(fd.Departments) + 1)
			if len(fd.Departments) > 0 {
				k += slices.Index(fd.Departments, r.doc.Department)
			}
			return k
		}
		order = func(a, b record) int { return cmp.Or(cmp.Compare(rank(a), rank(b)), recent(a, b)) }
	}
	return slices.MinFunc(cands, order), true
}
