// Package engine runs a sync of one stream: it reads records from a
// connector, maps and validates them, writes them to the national store in
// batches and records the outcome in the state store.
//
// Three stages (read, map, write) run concurrently with bounded channels
// between them, so memory is bounded by the batch size whatever the source
// size. A batch is committed to the national store first and then, in one
// state-store transaction, its checkpoint, counts and rejects; a crash
// between the two replays the batch, which the idempotent national write
// finds unchanged. Every record read ends as exactly one of inserted,
// updated, unchanged or rejected.
//
// The package must not know connector kinds, database dialects or the
// configuration file: the caller opens sources and compiles mappings.
package engine

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/mapping"
	"github.com/lienthong/lienthong/metrics"
	"github.com/lienthong/lienthong/national"
	"github.com/lienthong/lienthong/schema"
	"github.com/lienthong/lienthong/sync/state"
)

// BatchPolicy says when a batch is written: when it holds Size records, or
// Period after its first record arrived, whichever comes first.
type BatchPolicy struct {
	Size   int
	Period time.Duration
}

// Job is one stream to sync.
type Job struct {
	Ref    state.Ref
	Source connectors.Source
	Stream connectors.Stream
	Mode   connectors.Mode
	Mapper *mapping.Mapper
	// PageSize bounds the rows a connector holds at once.
	PageSize int
	Batch    BatchPolicy
	// AllowEmpty lets a full refresh that reads nothing mark every record
	// of the stream deleted; without it such a run fails.
	AllowEmpty bool
	Hooks
}

// Engine runs jobs against one national store and one state store.
type Engine struct {
	National national.Store
	State    *state.Store
	Metrics  *metrics.Metrics
	Log      *slog.Logger
	// Retention is applied to a stream at the end of each successful run;
	// the zero value keeps everything.
	Retention Retention
}

// item is a record after the map stage: a national item, a reject, or a
// record the mapping skipped on purpose (skip holds its reason).
type item struct {
	rec    connectors.Record
	out    national.Item
	reject *state.Reject
	skip   string
}

// Run syncs one stream and returns its ledger entry. A run that fails still
// returns its ledger entry, with the error.
func (e *Engine) Run(ctx context.Context, job Job) (state.Run, error) {
	if job.Batch.Size <= 0 {
		job.Batch.Size = 1000
	}
	if job.Batch.Period <= 0 {
		job.Batch.Period = 2 * time.Second
	}
	run, err := e.State.StartRun(ctx, job.Ref, string(job.Mode))
	if err != nil {
		return state.Run{}, err
	}
	labels := []string{job.Ref.Department, job.Ref.Source, job.Ref.Stream}
	e.Metrics.Runs.WithLabelValues(labels...).Inc()
	log := e.Log.With("run", run.ID, "stream", job.Ref.String(), "mode", job.Mode)
	log.Info("run started")
	start := time.Now()

	fin, runErr := e.run(ctx, run, job, log)
	if runErr == nil {
		fin.Error = e.retainAfterSync(ctx, run.ID, job.Ref, log)
	}
	fin.Status = state.StatusSucceeded
	if runErr != nil {
		fin.Status = state.StatusFailed
		fin.Error = runErr.Error()
		if ctx.Err() != nil && errors.Is(runErr, context.Canceled) {
			fin.Error = "interrupted; the next run resumes from the last committed batch"
		}
		fin.Checkpoint, fin.FullDone, fin.Deleted = nil, false, 0
	}
	// The ledger must say how the run ended even when it was cancelled.
	if err := e.State.FinishRun(context.WithoutCancel(ctx), run.ID, job.Ref, fin); err != nil {
		runErr = errors.Join(runErr, err)
	}
	e.Metrics.RunDuration.WithLabelValues(append(labels, fin.Status)...).Observe(time.Since(start).Seconds())
	if fin.Status == state.StatusSucceeded {
		if fin.ReadSource {
			e.Metrics.LastSuccess.WithLabelValues(labels...).SetToCurrentTime()
		}
	} else {
		e.Metrics.RunFailures.WithLabelValues(labels...).Inc()
	}
	final, err := e.State.Run(context.WithoutCancel(ctx), run.ID)
	if err != nil {
		return run, errors.Join(runErr, err)
	}
	ended := []any{"status", final.Status, "read", final.Read, "inserted", final.Inserted,
		"updated", final.Updated, "unchanged", final.Unchanged, "rejected", final.Rejected, "deleted", final.Deleted,
		"seconds", time.Since(start).Seconds()}
	if runErr != nil {
		log.Error("run ended", append(ended, "error", cmp.Or(fin.Error, runErr.Error()))...)
	} else {
		log.Info("run ended", ended...)
	}
	if runErr != nil {
		return final, fmt.Errorf("run %d of %s: %w", run.ID, job.Ref, runErr)
	}
	return final, nil
}

func (e *Engine) run(ctx context.Context, run state.Run, job Job, log *slog.Logger) (state.Finish, error) {
	full := job.Mode == connectors.FullRefresh
	prov := national.Provenance{Department: job.Ref.Department, Source: job.Ref.Source, Stream: job.Ref.Stream,
		RunID: run.ID, MappingVersion: job.Mapper.Version}
	st, err := e.State.State(ctx, job.Ref)
	if err != nil {
		return state.Finish{}, err
	}
	from := st.Checkpoint
	switch {
	case full:
		if prov.Generation, from, err = e.State.BeginFull(ctx, run.ID, job.Ref); err != nil {
			return state.Finish{}, err
		}
		if from != nil {
			log.Info("resuming unfinished full refresh", "generation", prov.Generation)
		}
	case st.FullGeneration != 0:
		// A full refresh of this stream is unfinished. What this run reads
		// exists at the source, so it counts as seen by that generation;
		// otherwise the resumed full refresh would mark it deleted.
		prov.Generation = st.FullGeneration
	}
	reader, err := job.Source.Read(ctx, connectors.ReadRequest{Stream: job.Stream, Mode: job.Mode, From: from, PageSize: job.PageSize})
	if err != nil {
		return state.Finish{}, err // connectors name the stream and the operation
	}
	defer reader.Close()

	// A run that loses its lease stops: another run has the stream.
	ctx, lost := context.WithCancelCause(ctx)
	defer lost(nil)
	hbCtx, stopHeartbeat := context.WithCancel(ctx)
	defer stopHeartbeat()
	go e.heartbeat(hbCtx, run.ID, lost)

	g, gctx := errgroup.WithContext(ctx)
	records := make(chan connectors.Record, job.Batch.Size)
	mapped := make(chan item, job.Batch.Size)
	g.Go(func() error {
		defer close(records)
		for read := int64(1); ; read++ {
			rec, err := reader.Next(gctx)
			if errors.Is(err, connectors.ErrEndOfStream) {
				return nil
			}
			if err != nil {
				return err
			}
			job.progress(read)
			select {
			case records <- rec:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
	})
	g.Go(func() error {
		defer close(mapped)
		for rec := range records {
			it, err := mapRecord(job.Mapper, rec)
			if err != nil {
				return err
			}
			select {
			case mapped <- it:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	w := &writer{e: e, run: run, job: job, prov: prov, full: full}
	g.Go(func() error { return w.loop(gctx, mapped) })
	if err := g.Wait(); err != nil {
		if cause := context.Cause(ctx); cause != nil && errors.Is(cause, state.ErrBusy) {
			return state.Finish{}, cause
		}
		return state.Finish{}, err
	}
	if err := ctx.Err(); err != nil {
		return state.Finish{}, context.Cause(ctx)
	}
	fin := state.Finish{Checkpoint: reader.Final(), FullDone: full, Generation: prov.Generation,
		CheckpointIfUnset: full, ReadSource: job.Mode != Retry}
	if full {
		if err := e.checkNotEmpty(ctx, job, prov); err != nil {
			return state.Finish{}, err
		}
		n, err := e.National.MarkDeleted(ctx, prov)
		if err != nil {
			return state.Finish{}, fmt.Errorf("mark deleted records of %s: %w", job.Ref, err)
		}
		fin.Deleted = n
	}
	return fin, nil
}

// ErrEmptyFullRefresh is returned when a full refresh read no record at all
// while the national store holds live records of the stream.
var ErrEmptyFullRefresh = errors.New("engine: a full refresh read nothing")

// checkNotEmpty refuses to finish a full refresh that read no record (in
// this run or the earlier attempts of its generation) while the national
// store holds live records of the stream: a source that answers empty is
// far more often misconfigured (a wrong table, an empty export, a filter)
// than emptied, and finishing would mark every record deleted.
func (e *Engine) checkNotEmpty(ctx context.Context, job Job, prov national.Provenance) error {
	if job.AllowEmpty {
		return nil
	}
	read, err := e.State.GenerationRead(ctx, job.Ref, prov.Generation)
	if err != nil || read > 0 {
		return err
	}
	live, err := e.National.Count(ctx, prov.Department, prov.Source, prov.Stream)
	if err != nil || live == 0 {
		return err
	}
	return fmt.Errorf("%w, yet %d records of %s are live: refusing to mark them all deleted; "+
		"check the source, or run sync --full-refresh --allow-empty if it really is empty", ErrEmptyFullRefresh, live, job.Ref)
}

// heartbeat keeps the run's lease while it works, so a replica does not
// take the stream over from a run busy on one long batch.
func (e *Engine) heartbeat(ctx context.Context, runID int64, lost context.CancelCauseFunc) {
	t := time.NewTicker(e.State.LeaseTTL / 4)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			err := e.State.Heartbeat(ctx, runID)
			switch {
			case err == nil || ctx.Err() != nil:
			case errors.Is(err, state.ErrBusy):
				e.Log.Error("run lost its lease; stopping", "run", runID, "error", err)
				lost(err)
				return
			default:
				e.Log.Warn("heartbeat failed", "run", runID, "error", err)
			}
		}
	}
}

// mapRecord maps and validates one record. Only an encoding failure of the
// record itself is an error; every data problem is a reject, and a record
// the mapping skips on purpose is neither delivered nor rejected.
func mapRecord(m *mapping.Mapper, rec connectors.Record) (item, error) {
	if p := rec.Problem; p != nil {
		r := newReject(m.Kind.Name, rec, []schema.Violation{{Field: p.Field, Code: p.Code, Message: p.Message}})
		r.Stage = state.StageRead
		return item{rec: rec, reject: r}, nil
	}
	res := m.MapAt(rec.Fields, time.Now())
	if res.Skipped != "" {
		return item{rec: rec, skip: res.Skipped}, nil
	}
	if len(res.Violations) > 0 {
		return item{rec: rec, reject: newReject(m.Kind.Name, rec, res.Violations)}, nil
	}
	out := res.Record
	data, hash, err := schema.Canonical(out.Data)
	if err != nil {
		return item{}, fmt.Errorf("record %s: encode: %w", rec.Key, err)
	}
	return item{rec: rec, out: national.Item{Kind: out.Kind, NaturalKey: m.Kind.NaturalKey(out.Data),
		SourceKey: rec.Key, Data: data, Hash: hash}}, nil
}

func newReject(kind string, rec connectors.Record, vs []schema.Violation) *state.Reject {
	raw, err := json.Marshal(rec.Fields)
	if err != nil {
		raw, _ = json.Marshal(map[string]string{"error": "record could not be encoded: " + err.Error()})
	}
	viols, _ := json.Marshal(vs)
	first := vs[0]
	return &state.Reject{SourceKey: rec.Key, Kind: kind, Raw: raw, Field: first.Field, Reason: first.Code,
		Message: fmt.Sprintf("record %s: %s", rec.Key, first.Message), Violations: viols}
}
