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
// updated, unchanged, rejected or skipped.
//
// A transient fault of the source or the stores (internal/transient) is
// waited out: the run reopens its reader from the last committed
// checkpoint, within the job's RetryTransientFor. Guards stop runs that
// would flood or empty the stores: CheckColumns before reading, the first
// batch's mapping test, and a full refresh's empty-read and
// MaxDeleteRatio tests before it marks deletions.
//
// A run someone asked to cancel (state.Store.RequestCancel, from any
// replica or the API) is stopped by its heartbeat, every
// state.Store.HeartbeatInterval: it ends at its last committed batch with
// status cancelled, and the next run resumes from there.
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
	// MaxDeleteRatio is the largest share of the stream's live records a
	// full refresh may mark deleted; one that would mark more fails
	// (ErrTooManyDeletions) unless AllowDeletions confirms it. Zero turns
	// the guard off; the configuration's default is 0.1.
	MaxDeleteRatio float64
	// AllowDeletions lets a full refresh mark deleted more than
	// MaxDeleteRatio of the stream's records.
	AllowDeletions bool
	// RetryTransientFor is how long the run waits out a streak of
	// transient faults of the source, the national store or the state
	// store (a dropped connection, a restart, a failover): it reconnects
	// with backoff and resumes from its last committed batch, in the same
	// run. A committed batch ends a streak. Zero fails on the first fault.
	RetryTransientFor time.Duration
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
	rec    source
	out    national.Item
	reject *state.Reject
	skip   string
	norm   normalised
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

	p := &patience{bound: job.RetryTransientFor, log: log}
	fin, runErr := e.run(ctx, run, job, p, log)
	if runErr == nil {
		fin.Error = e.retainAfterSync(ctx, run.ID, job.Ref, log)
	}
	fin.Status = state.StatusSucceeded
	if runErr != nil {
		fin.Status = state.StatusFailed
		fin.Error = runErr.Error()
		// A run its caller cancelled (Ctrl-C, a replica's shutdown) was
		// interrupted, whatever form the cancellation took on its way up:
		// a driver may report it as its rolled-back transaction.
		if errors.Is(ctx.Err(), context.Canceled) {
			fin.Error = "interrupted; the next run resumes from the last committed batch"
		}
		// Someone asked to cancel the run (state.Store.RequestCancel): it
		// stopped at a batch boundary, and the next run resumes from there.
		if cr := (*state.CancelRequest)(nil); errors.As(runErr, &cr) {
			fin.Status, fin.Error = state.StatusCancelled, cr.Error()
		}
		fin.Checkpoint, fin.FullDone, fin.Deleted = nil, false, 0
		// The records the refused refresh missed may come back to the
		// source: the next attempt must read it all again to see them.
		fin.RestartFull = errors.Is(runErr, ErrTooManyDeletions)
	}
	// The ledger must say how the run ended even when it was cancelled.
	// Its own patience: the run's may be spent on the fault that ended it.
	done, fp := context.WithoutCancel(ctx), &patience{bound: job.RetryTransientFor, log: log}
	if err := fp.do(done, func() error { return e.State.FinishRun(done, run.ID, job.Ref, fin) }); err != nil {
		runErr = errors.Join(runErr, err)
	}
	e.Metrics.RunDuration.WithLabelValues(append(labels, fin.Status)...).Observe(time.Since(start).Seconds())
	if fin.Status == state.StatusSucceeded {
		if fin.ReadSource {
			e.Metrics.LastSuccess.WithLabelValues(labels...).SetToCurrentTime()
		}
	} else if fin.Status != state.StatusCancelled {
		e.Metrics.RunFailures.WithLabelValues(labels...).Inc()
	}
	var final state.Run
	if err := fp.do(done, func() (err error) { final, err = e.State.Run(done, run.ID); return err }); err != nil {
		return run, errors.Join(runErr, err)
	}
	e.Metrics.Deleted.WithLabelValues(labels...).Add(float64(final.Deleted))
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

func (e *Engine) run(ctx context.Context, run state.Run, job Job, p *patience, log *slog.Logger) (fin state.Finish, err error) {
	// A mapping that reads a column the stream lacks would reject every
	// record: stop before anything is read.
	if err := p.do(ctx, func() error { return CheckColumns(ctx, job.Source, job.Stream, job.Mapper) }); err != nil {
		return state.Finish{}, err
	}
	full := job.Mode == connectors.FullRefresh
	prov := national.Provenance{Department: job.Ref.Department, Source: job.Ref.Source, Stream: job.Ref.Stream,
		RunID: run.ID, MappingVersion: job.Mapper.Version}
	var st state.StreamState
	if err := p.do(ctx, func() (err error) { st, err = e.State.State(ctx, job.Ref); return err }); err != nil {
		return state.Finish{}, err
	}
	from := st.Checkpoint
	switch {
	case full:
		// Idempotent: a retry after a lost acknowledgement resumes the
		// generation it began.
		err := p.do(ctx, func() (err error) { prov.Generation, from, err = e.State.BeginFull(ctx, run.ID, job.Ref); return err })
		if err != nil {
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

	// A run that loses its lease stops: another run has the stream. So
	// does one someone asked to cancel: whatever error its stages saw on
	// the way out, the run ends for that request.
	ctx, lost := context.WithCancelCause(ctx)
	defer lost(nil)
	defer func() {
		if cause := context.Cause(ctx); err != nil && errors.Is(cause, state.ErrCancelRequested) {
			fin, err = state.Finish{}, cause
		}
	}()
	hbCtx, stopHeartbeat := context.WithCancel(ctx)
	defer stopHeartbeat()
	go e.heartbeat(hbCtx, run.ID, lost)

	w := &writer{e: e, run: run, job: job, prov: prov, full: full,
		// As many as the pipeline holds: the mapped queue's, one being
		// filled and one being emptied.
		chunks: newChunks(job.Batch.Size/min(handOff, job.Batch.Size) + 1),
		// A batch's records, those mapped ahead of it, and a chunk.
		values: newValueSlices(job.Batch.Size + readAhead + handOff)}
	var final connectors.Checkpoint
	for {
		committed := w.committed
		var err error
		final, err = e.pipeline(ctx, job, from, w)
		if err == nil {
			break
		}
		if cause := context.Cause(ctx); cause != nil && (errors.Is(cause, state.ErrBusy) || errors.Is(cause, state.ErrCancelRequested)) {
			return state.Finish{}, cause
		}
		if w.committed > committed {
			p.settle()
		}
		if err := p.retry(ctx, err); err != nil {
			return state.Finish{}, err
		}
		// Resume where the state store says the run got: after a fault, a
		// batch whose commit was cut off may or may not have committed.
		if err := p.do(ctx, func() (err error) { from, err = e.resumePoint(ctx, job.Ref, full); return err }); err != nil {
			return state.Finish{}, err
		}
	}
	fin = state.Finish{Checkpoint: final, FullDone: full, Generation: prov.Generation,
		CheckpointIfUnset: full, ReadSource: job.Mode != Retry}
	if full {
		err := p.do(ctx, func() error {
			if err := e.checkNotEmpty(ctx, job, prov); err != nil {
				return err
			}
			if err := e.checkDeletions(ctx, job, prov); err != nil {
				return err
			}
			n, err := e.National.MarkDeleted(ctx, prov)
			if err != nil {
				return fmt.Errorf("mark deleted records of %s: %w", job.Ref, err)
			}
			fin.Deleted = n
			return nil
		})
		if err != nil {
			return state.Finish{}, err
		}
	}
	return fin, nil
}

// fieldsRecycler is implemented by a connectors.Reader that reuses the
// Fields maps of the records it handed out, once the engine is done with
// them: a map per record is most of what reading a row allocates.
type fieldsRecycler interface {
	// Recycle takes back a record's Fields map; the caller no longer
	// reads or keeps it.
	Recycle(fields map[string]any)
}

// readAhead bounds the records read but not yet mapped.
const readAhead = 128

// handOff is how many mapped records the map stage hands the writer at
// once, at most (and at most a batch).
const handOff = 64

// pipeline reads the stream from a checkpoint to its end through the map
// stage and the writer, and returns the reader's final checkpoint.
func (e *Engine) pipeline(ctx context.Context, job Job, from connectors.Checkpoint, w *writer) (connectors.Checkpoint, error) {
	reader, err := job.Source.Read(ctx, connectors.ReadRequest{Stream: job.Stream, Mode: job.Mode, From: from, PageSize: job.PageSize})
	if err != nil {
		return nil, err // connectors name the stream and the operation
	}
	defer reader.Close()
	// A reader that takes back its records' maps gets them once their
	// batch is committed.
	w.recycle, _ = reader.(fieldsRecycler)
	next := e.reads(reader, job)
	g, gctx := errgroup.WithContext(ctx)
	// The map stage is the slow one, so records waits full: each record
	// in it holds its source row (a map of about 2 KB, or a row) for
	// nothing. A short
	// queue is enough to smooth the reader, which holds a page of rows
	// already. Between the map stage and the writer a whole batch waits,
	// so that mapping goes on while the writer waits for the national
	// store: in chunks of n (see below), one being filled and the rest
	// queued.
	records := make(chan source, min(job.Batch.Size, readAhead))
	n := min(handOff, job.Batch.Size)
	mapped := make(chan []item, max(job.Batch.Size/n-1, 0))
	g.Go(func() error {
		defer close(records)
		for read := int64(1); ; read++ {
			rec, err := next(gctx)
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
		// Mapped records go to the writer n at a time: the writer waits
		// for the map stage, and waking it for each record cost more than
		// its work on it. Nothing is held back while the stage waits for
		// records, so a slow source's records reach the writer (and its
		// Period) as soon as they are mapped. A chunk ends where the
		// writer's batch does (inBatch counts what the batch holds), so
		// the writer holds no records past the batch it is writing.
		chunk := w.chunks.get()
		inBatch := 0
		var bound binding
		send := func() error {
			select {
			case mapped <- chunk:
				inBatch = (inBatch + len(chunk)) % job.Batch.Size
				chunk = w.chunks.get()
				return nil
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		for {
			var rec source
			var ok bool
			select {
			case rec, ok = <-records:
			default:
				if len(chunk) > 0 {
					if err := send(); err != nil {
						return err
					}
				}
				rec, ok = <-records
			}
			if !ok {
				if len(chunk) > 0 {
					return send()
				}
				return nil
			}
			it, err := mapRecord(job.Mapper, rec, &w.values, &bound)
			if err != nil {
				return err
			}
			if chunk = append(chunk, it); len(chunk) == min(n, job.Batch.Size-inBatch) {
				if err := send(); err != nil {
					return err
				}
			}
		}
	})
	g.Go(func() error { return w.loop(gctx, mapped) })
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, context.Cause(ctx)
	}
	return reader.Final(), nil
}

// resumePoint is the checkpoint of the stream's last committed batch.
func (e *Engine) resumePoint(ctx context.Context, ref state.Ref, full bool) (connectors.Checkpoint, error) {
	st, err := e.State.State(ctx, ref)
	if full {
		return st.FullCheckpoint, err
	}
	return st.Checkpoint, err
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

// ErrTooManyDeletions is returned when a full refresh would mark deleted a
// larger share of the stream's live records than its MaxDeleteRatio.
var ErrTooManyDeletions = errors.New("engine: a full refresh would delete too many records")

// checkDeletions refuses to finish a full refresh that would mark deleted
// more than MaxDeleteRatio of the stream's live records: a source that
// answers short (an empty page from an API, a wrong filter, a half-copied
// export) is far more common than one that lost a tenth of its records
// since the last read. The run fails, marks nothing, and its generation
// restarts from the beginning, so that the next full refresh sees the
// records again if they come back.
func (e *Engine) checkDeletions(ctx context.Context, job Job, prov national.Provenance) error {
	if job.AllowDeletions || job.MaxDeleteRatio <= 0 {
		return nil
	}
	if job.AllowEmpty {
		// An empty read confirmed as such deletes everything on purpose.
		read, err := e.State.GenerationRead(ctx, job.Ref, prov.Generation)
		if err != nil || read == 0 {
			return err
		}
	}
	unseen, err := e.National.Unseen(ctx, prov)
	if err != nil || unseen == 0 {
		return err
	}
	live, err := e.National.Count(ctx, prov.Department, prov.Source, prov.Stream)
	if err != nil {
		return err
	}
	ratio := float64(unseen) / float64(live)
	if ratio <= job.MaxDeleteRatio {
		return nil
	}
	return fmt.Errorf("%w: it did not read %d of the %d live records of %s (%.1f%%, above max_delete_ratio %g): "+
		"refusing to mark them deleted; check the source (a short or empty page, a filter, a partial export), "+
		"or run sync --full-refresh --allow-deletions to confirm; the next full refresh reads the source from the start",
		ErrTooManyDeletions, unseen, live, job.Ref, 100*ratio, job.MaxDeleteRatio)
}

// heartbeat keeps the run's lease while it works, so a replica does not
// take the stream over from a run busy on one long batch, and stops the run
// when someone asks to cancel it (state.Store.RequestCancel).
func (e *Engine) heartbeat(ctx context.Context, runID int64, lost context.CancelCauseFunc) {
	every := e.State.LeaseTTL / 4
	if hb := e.State.HeartbeatInterval; hb > 0 {
		every = min(every, hb)
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			err := e.State.Heartbeat(ctx, runID)
			switch {
			case err == nil || ctx.Err() != nil:
			case errors.Is(err, state.ErrCancelRequested):
				e.Log.Info("run cancel requested; stopping at the batch boundary", "run", runID, "error", err)
				lost(err)
				return
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
func mapRecord(m *mapping.Mapper, rec source, vals *valueSlices, b *binding) (item, error) {
	if p := rec.Problem; p != nil {
		r := newReject(m.Kind.Name, rec, []schema.Violation{{Field: p.Field, Code: p.Code, Message: p.Message}})
		r.Stage = state.StageRead
		return item{rec: rec, reject: r}, nil
	}
	fields := vals.get(len(m.Kind.Fields))
	var res mapping.Result
	if rec.row != nil {
		res = m.MapRow(fields, rec.row, b.of(m, rec.cols), time.Now())
	} else {
		res = m.MapFields(fields, rec.Fields, time.Now())
	}
	if res.Skipped != "" {
		vals.put(fields)
		return item{rec: rec, skip: res.Skipped}, nil
	}
	if len(res.Violations) > 0 {
		// A reject keeps its source record, not what it mapped to.
		vals.put(fields)
		return item{rec: rec, reject: newReject(m.Kind.Name, rec, res.Violations), norm: noteNormalised(res)}, nil
	}
	data, hash, err := m.Kind.CanonicalFields(fields)
	if err != nil {
		return item{}, fmt.Errorf("record %s: encode: %w", rec.Key, err)
	}
	return item{rec: rec, out: national.Item{Kind: m.Kind.Name, NaturalKey: m.Kind.NaturalKeyFields(fields),
		SourceKey: rec.Key, Data: data, Hash: hash, Values: fields}, norm: noteNormalised(res)}, nil
}

// binding is the map stage's binding of the mapping to a reader's columns
// (mapping.Mapper.Bind), made again when the reader hands over another
// slice of columns (a page's).
type binding struct {
	cols []string
	bind []int
}

func (b *binding) of(m *mapping.Mapper, cols []string) []int {
	same := len(cols) == len(b.cols) && (len(cols) == 0 || &cols[0] == &b.cols[0])
	if b.bind == nil || !same {
		b.cols, b.bind = cols, m.Bind(cols)
	}
	return b.bind
}

func newReject(kind string, rec source, vs []schema.Violation) *state.Reject {
	raw, err := json.Marshal(rec.fields())
	if err != nil {
		raw, _ = json.Marshal(map[string]string{"error": "record could not be encoded: " + err.Error()})
	}
	viols, _ := json.Marshal(vs)
	first := vs[0]
	return &state.Reject{SourceKey: rec.Key, Kind: kind, Raw: raw, Field: first.Field, Reason: first.Code,
		Message: fmt.Sprintf("record %s: %s", rec.Key, first.Message), Violations: viols}
}
