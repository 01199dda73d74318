package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/sync/state"
)

// Purge is the mode of a run that only applies its stream's retention.
const Purge connectors.Mode = "purge"

// Retention says how long personal data that is no longer needed is kept.
// A zero duration turns that purge off.
type Retention struct {
	// Rejects: an open reject whose source row no run has read for this
	// long is deleted with its raw record (see state.Retention).
	Rejects time.Duration
	// Deleted: a national record marked deleted this long ago loses its
	// personal data and keeps its provenance (see national.Store.Anonymise).
	Deleted time.Duration
}

// retain applies the engine's retention to a stream, within run runID,
// which must hold the stream, and records what it removed in the run's
// ledger row.
//
// The national store is anonymised first and the count recorded after, in
// the state store: a crash between the two leaves anonymised records that
// the ledger does not count, never a count of records that still hold
// personal data.
func (e *Engine) retain(ctx context.Context, runID int64, ref state.Ref, log *slog.Logger) error {
	if e.Retention == (Retention{}) {
		return nil
	}
	now := time.Now()
	var r state.Retention
	if e.Retention.Deleted > 0 {
		n, err := e.National.Anonymise(ctx, ref.Department, ref.Source, ref.Stream, now.Add(-e.Retention.Deleted))
		if err != nil {
			return err
		}
		r.Anonymised = n
	}
	if e.Retention.Rejects > 0 {
		r.RejectsBefore = now.Add(-e.Retention.Rejects)
	}
	p, err := e.State.ApplyRetention(ctx, runID, ref, r)
	if err != nil {
		return err
	}
	if p != (state.Purges{}) {
		log.Info("retention applied", "purged_rejects", p.PurgedRejects, "anonymised", p.Anonymised)
	}
	return nil
}

// retainAfterSync applies the retention at the end of a successful sync.
// Its failure does not fail the sync, whose records are committed: it is
// logged and written in the run's error, and the next run tries again.
func (e *Engine) retainAfterSync(ctx context.Context, runID int64, ref state.Ref, log *slog.Logger) string {
	if err := e.retain(ctx, runID, ref, log); err != nil {
		log.Error("retention failed; the next run of the stream tries again", "err", err)
		return fmt.Sprintf("synced, but the retention purge failed (the next run tries again): %v", err)
	}
	return ""
}

// PurgeStream applies the retention to a stream now, as a run of mode Purge
// in the ledger, for an operator who will not wait for the stream's next
// sync. Like a sync, it fails with state.ErrBusy while another run holds
// the stream.
func (e *Engine) PurgeStream(ctx context.Context, ref state.Ref) (state.Run, error) {
	run, err := e.State.StartRun(ctx, ref, string(Purge))
	if err != nil {
		return state.Run{}, err
	}
	log := e.Log.With("run", run.ID, "stream", ref.String(), "mode", Purge)
	fin := state.Finish{Status: state.StatusSucceeded}
	runErr := e.retain(ctx, run.ID, ref, log)
	if runErr != nil {
		fin.Status, fin.Error = state.StatusFailed, runErr.Error()
	}
	if err := e.State.FinishRun(context.WithoutCancel(ctx), run.ID, ref, fin); err != nil {
		runErr = errors.Join(runErr, err)
	}
	final, err := e.State.Run(context.WithoutCancel(ctx), run.ID)
	if err != nil {
		return run, errors.Join(runErr, err)
	}
	if runErr != nil {
		return final, fmt.Errorf("purge run %d of %s: %w", run.ID, ref, runErr)
	}
	return final, nil
}
