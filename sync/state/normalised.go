package state

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// FieldCounts counts what a run's mapping did to one field's values:
// repaired (legacy text misread into a Unicode column, or decoded),
// reformatted (rewritten by a normaliser) and rejected (a violation kept
// the record out).
type FieldCounts struct {
	Repaired    int64 `json:"repaired"`
	Reformatted int64 `json:"reformatted"`
	Rejected    int64 `json:"rejected"`
}

// Normalised is FieldCounts by field name, the runs.normalised column:
// what lienthong changed in a department's data, field by field.
type Normalised map[string]FieldCounts

// Add adds the counts of o.
func (n Normalised) Add(o Normalised) {
	for name, c := range o {
		t := n[name]
		t.Repaired += c.Repaired
		t.Reformatted += c.Reformatted
		t.Rejected += c.Rejected
		n[name] = t
	}
}

// Value stores n as JSON text.
func (n Normalised) Value() (driver.Value, error) {
	if n == nil {
		return "{}", nil
	}
	b, err := json.Marshal(map[string]FieldCounts(n))
	return string(b), err
}

// Scan reads the JSON text of runs.normalised.
func (n *Normalised) Scan(src any) error {
	var b []byte
	switch x := src.(type) {
	case nil:
		*n = nil
		return nil
	case string:
		b = []byte(x)
	case []byte:
		b = x
	default:
		return fmt.Errorf("normalised: cannot scan %T", src)
	}
	m := map[string]FieldCounts{}
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("normalised: %w", err)
	}
	if len(m) == 0 {
		m = nil
	}
	*n = m
	return nil
}

// addNormalised adds a batch's counts to its run's, in the batch's
// transaction; the run's row is already locked by the count update.
func (s *Store) addNormalised(ctx context.Context, tx *sqlx.Tx, runID int64, b Normalised) error {
	if len(b) == 0 {
		return nil
	}
	var run Normalised
	if err := tx.GetContext(ctx, &run, s.q(`SELECT normalised FROM runs WHERE id = ?`), runID); err != nil {
		return fmt.Errorf("read normalised counts of run %d: %w", runID, err)
	}
	if run == nil {
		run = Normalised{}
	}
	run.Add(b)
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE runs SET normalised = ? WHERE id = ?`), run, runID); err != nil {
		return fmt.Errorf("save normalised counts of run %d: %w", runID, err)
	}
	return nil
}
