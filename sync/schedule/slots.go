package schedule

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/lienthong/lienthong/internal/database"
	"github.com/lienthong/lienthong/sync/state"
)

// SlotRecord is how one scheduled slot ended.
type SlotRecord struct {
	state.Ref
	Slot   time.Time `json:"slot" db:"slot"`
	Status string    `json:"status" db:"status"`
	// RunID is the ledger's run; 0 when the slot ran none (skipped).
	RunID      int64     `json:"run_id" db:"run_id"`
	JobID      int64     `json:"job_id" db:"job_id"`
	Attempt    int       `json:"attempt" db:"attempt"`
	RecordedAt time.Time `json:"recorded_at" db:"recorded_at"`
	Error      string    `json:"error,omitempty" db:"error"`
	// TriggeredBy names who triggered the run (Scheduler.Trigger); empty
	// for a slot of the stream's schedule.
	TriggeredBy string `json:"triggered_by,omitempty" db:"triggered_by"`
}

func (s *Scheduler) slotEnded(ctx context.Context, ref state.Ref, slot time.Time) (bool, error) {
	db := s.o.DB
	var n int
	if err := db.GetContext(ctx, &n, db.Rebind(`SELECT COUNT(*) FROM schedule_slots
		WHERE department = ? AND source = ? AND stream = ? AND slot = ?`), ref.Department, ref.Source, ref.Stream, slot.UTC()); err != nil {
		return false, fmt.Errorf("read slot %s of %s: %w", slotString(slot), ref, err)
	}
	return n > 0, nil
}

func (s *Scheduler) recordSlot(ctx context.Context, a SyncArgs, status string, runID, jobID int64, attempt int, msg string) error {
	db := s.o.DB
	ref, slot := a.ref(), a.Slot
	var run any
	if runID != 0 {
		run = runID
	}
	by := a.TriggeredBy
	if a.Manual && by == "" {
		by = "unknown"
	}
	if _, err := db.ExecContext(ctx, db.Rebind(`INSERT INTO schedule_slots (department, source, stream, slot, status, run_id, job_id, attempt, recorded_at, error, triggered_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`), ref.Department, ref.Source, ref.Stream, slot.UTC(), status, run, jobID, attempt, time.Now().UTC(), msg, by); err != nil {
		return fmt.Errorf("record slot %s of %s: %w", slotString(slot), ref, err)
	}
	return nil
}

// Slots lists how the slots of every stream ended, by stream and slot.
func (s *Scheduler) Slots(ctx context.Context) ([]SlotRecord, error) {
	return Slots(ctx, s.o.DB)
}

// Slots lists how the slots of every stream ended, by stream and slot, from
// the job queue's database.
func Slots(ctx context.Context, db *database.DB) ([]SlotRecord, error) {
	var rows []struct {
		SlotRecord
		RunID sql.NullInt64 `db:"run_id"`
	}
	if err := db.SelectContext(ctx, &rows, `SELECT department, source, stream, slot, status, run_id, job_id, attempt, recorded_at, error, triggered_by
		FROM schedule_slots ORDER BY department, source, stream, slot, id`); err != nil {
		return nil, fmt.Errorf("list slots: %w", err)
	}
	out := make([]SlotRecord, len(rows))
	for i, r := range rows {
		out[i] = r.SlotRecord
		out[i].RunID = r.RunID.Int64
	}
	return out, nil
}
