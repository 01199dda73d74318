package state

import (
	"context"
	"fmt"
	"time"
)

// Purges are what a run's retention pass removed. They are counted apart
// from Counts: no record was read for them, so they take no part in
// Read = Inserted + Updated + Unchanged + Rejected + Skipped.
type Purges struct {
	// PurgedRejects counts stale rejects deleted with their raw records.
	PurgedRejects int64 `json:"purged_rejects" db:"purged_rejects"`
	// Anonymised counts national records marked deleted whose personal
	// data was removed.
	Anonymised int64 `json:"anonymised" db:"anonymised"`
}

// Retention is one retention pass over a stream.
type Retention struct {
	// RejectsBefore purges the stream's rejects whose source row was last
	// read before it; the zero time purges none.
	//
	// A reject is open until its record is delivered, skipped on purpose,
	// or found gone by a completed full refresh: each of those deletes it
	// at once, so there are no resolved rejects left to purge. An open
	// reject's last_seen_at is the last time a run read its source row (a
	// retry of the saved raw record does not count, see Batch.Retry); one
	// not read for the retention period is stale. A row the department
	// still has to fix is read again by every full refresh, and by an
	// incremental run once it changes, so it stays; one the source no
	// longer offers goes once the period has passed.
	RejectsBefore time.Time
	// Anonymised is how many national records the pass anonymised, to
	// record in the ledger.
	Anonymised int64
}

// ApplyRetention purges the stream's stale rejects and adds what the pass
// removed to the run's ledger row, in one transaction. It must be called by
// the run that holds the stream: once the run no longer holds it, it fails
// with ErrBusy and removes nothing, so it never races a run that is saving
// rejects.
func (s *Store) ApplyRetention(ctx context.Context, runID int64, ref Ref, r Retention) (Purges, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Purges{}, fmt.Errorf("retention of %s: %w", ref, err)
	}
	defer tx.Rollback()
	p := Purges{Anonymised: r.Anonymised}
	if !r.RejectsBefore.IsZero() {
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM rejects WHERE department = ? AND source = ? AND stream = ? AND last_seen_at < ?`),
			ref.Department, ref.Source, ref.Stream, r.RejectsBefore.UTC())
		if err != nil {
			return Purges{}, fmt.Errorf("purge stale rejects of %s: %w", ref, err)
		}
		if p.PurgedRejects, err = res.RowsAffected(); err != nil {
			return Purges{}, fmt.Errorf("purge stale rejects of %s: %w", ref, err)
		}
	}
	res, err := tx.ExecContext(ctx, s.q(`UPDATE runs SET purged_rejects = purged_rejects + ?, anonymised = anonymised + ?
		WHERE id = ? AND status = 'running'`), p.PurgedRejects, p.Anonymised, runID)
	if err != nil {
		return Purges{}, fmt.Errorf("count retention of run %d: %w", runID, err)
	}
	if err := holding(res, runID); err != nil {
		return Purges{}, fmt.Errorf("retention of %s: %w", ref, err)
	}
	if err := tx.Commit(); err != nil {
		return Purges{}, fmt.Errorf("retention of %s: %w", ref, err)
	}
	return p, nil
}
