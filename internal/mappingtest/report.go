// Package mappingtest maps sample records through a mapping without
// writing anything, and reports each record beside its result with a
// summary by reason: what `lienthong mapping test`, the API's mapping test
// and the console's mapping test page show.
package mappingtest

import (
	"github.com/lienthong/lienthong/mapping"
	"github.com/lienthong/lienthong/schema"
	"github.com/lienthong/lienthong/sync/state"
)

// Record is one sample record and what the mapping made of it.
type Record struct {
	Key        string             `json:"key"`
	Source     map[string]any     `json:"source"`
	Record     map[string]any     `json:"record,omitempty"`
	Violations []schema.Violation `json:"violations,omitempty"`
	Skipped    string             `json:"skipped,omitempty"`
	// Repaired and Reformatted name the fields of Record whose value
	// lienthong changed: repaired from misread legacy text, or rewritten by
	// a normaliser.
	Repaired    []string `json:"repaired,omitempty"`
	Reformatted []string `json:"reformatted,omitempty"`
}

// Summary counts a test's results.
type Summary struct {
	Records  int                 `json:"records"`
	Mapped   int                 `json:"mapped"`
	Rejected int                 `json:"rejected"`
	Skipped  int                 `json:"skipped"`
	Reasons  []state.ReasonCount `json:"reasons"`
	// Normalisation counts, per field, the values the mapping repaired,
	// reformatted or rejected: what lienthong would change in the data.
	Normalisation mapping.Normalisation `json:"normalisation"`
}

// Report is a whole test.
type Report struct {
	// Mapping names the mapping tested: its kind, name and version.
	Kind    string   `json:"kind"`
	Name    string   `json:"name,omitempty"`
	Version string   `json:"version,omitempty"`
	Summary Summary  `json:"summary"`
	Records []Record `json:"records"`
}
