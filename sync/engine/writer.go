package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/lienthong/lienthong/national"
	"github.com/lienthong/lienthong/schema"
	"github.com/lienthong/lienthong/sync/state"
)

// writer is the last stage: it gathers mapped records into batches and
// commits each batch, national store first, then the state store.
type writer struct {
	e    *Engine
	run  state.Run
	job  Job
	prov national.Provenance
	full bool

	batch []item
	// values are the value slices of delivered records, back from
	// committed batches, for the map stage to fill again.
	values valueSlices
	// recycle, when the pipeline's reader offers it, takes back the
	// source maps of committed batches.
	recycle fieldsRecycler
	// chunks are the map stage's hand-offs, back for it to fill again.
	chunks chunks
	// committed counts the batches committed, across the run's attempts.
	committed int
	// judged is set once a batch holding a record the mapping did not skip
	// was looked at: only such a record can show that the mapping fits.
	judged bool
}

// ErrMappingMismatch fails a run whose mapping reads columns the stream
// does not have: found before reading when the source can list its
// columns (CheckColumns), else when no record of the first batch could be
// mapped.
var ErrMappingMismatch = errors.New("engine: the mapping does not fit the stream")

// mappingMismatch reports a first batch in which every record the mapping
// did not skip lacks a column the mapping reads: the mapping is wrong for
// the stream, and going on would only fill the rejects with every record
// of the source. Skipped records prove nothing: a skip rule may match
// before the missing column is ever read.
func mappingMismatch(b state.Batch) error {
	if len(b.Rejects) == 0 || int64(len(b.Rejects)) != b.Counts.Read-b.Counts.Skipped {
		return nil
	}
	var v []schema.Violation
	for _, r := range b.Rejects {
		if r.Stage != "" && r.Stage != state.StageMap {
			return nil
		}
		missing := false
		if json.Unmarshal(r.Violations, &v) == nil {
			for _, x := range v {
				missing = missing || x.Code == schema.ReasonNoMapping
			}
		}
		if !missing {
			return nil
		}
	}
	return fmt.Errorf("%w: no record of the first batch (%d read, %d skipped) could be mapped: %s; compare the mapping's columns with the stream's (lienthong check, lienthong discover, lienthong mapping test --stream)",
		ErrMappingMismatch, b.Counts.Read, b.Counts.Skipped, b.Rejects[0].Message)
}

func (w *writer) loop(ctx context.Context, in <-chan []item) error {
	// A new attempt after a fault starts with an empty batch: the records
	// of the one that failed are read again.
	w.batch = make([]item, 0, w.job.Batch.Size)
	timer := time.NewTimer(w.job.Batch.Period)
	timer.Stop()
	for {
		select {
		case chunk, ok := <-in:
			if !ok {
				return w.flush(ctx)
			}
			for _, it := range chunk {
				w.batch = append(w.batch, it)
				if len(w.batch) == 1 {
					timer.Reset(w.job.Batch.Period)
				}
				if len(w.batch) >= w.job.Batch.Size {
					timer.Stop()
					if err := w.flush(ctx); err != nil {
						return err
					}
				}
			}
			w.chunks.put(chunk)
		case <-timer.C:
			if err := w.flush(ctx); err != nil {
				return err
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// flush commits the gathered batch. Its checkpoint is the position of its
// last record, so the stream never moves past a record whose outcome is not
// committed.
func (w *writer) flush(ctx context.Context) error {
	if len(w.batch) == 0 {
		return nil
	}
	start := time.Now()
	items := make([]national.Item, 0, len(w.batch))
	pos := make([]int, 0, len(w.batch)) // index in batch of each national item
	b := state.Batch{Full: w.full, Generation: w.prov.Generation, Checkpoint: w.batch[len(w.batch)-1].rec.Checkpoint()}
	b.Retry = w.job.Mode == Retry
	var unwritten []string // source keys read but not delivered: still at the source
	var skipped []string   // source keys the mapping skips on purpose
	for i, it := range w.batch {
		b.Counts.Read++
		if it.rec.NullCursor {
			b.Counts.NullCursor++
		}
		switch {
		case it.reject != nil:
			b.Rejects = append(b.Rejects, *it.reject)
			unwritten = append(unwritten, it.rec.Key)
		case it.skip != "":
			b.Counts.Skipped++
			// Skipped on purpose: an old reject of the record is moot, and
			// what it delivered before must go.
			b.Delivered = append(b.Delivered, it.rec.Key)
			skipped = append(skipped, it.rec.Key)
		default:
			items = append(items, it.out)
			pos = append(pos, i)
		}
	}
	mapped := len(items)
	if !w.judged && b.Counts.Skipped < b.Counts.Read {
		w.judged = true
		if err := mappingMismatch(b); err != nil {
			return err
		}
	}

	// One national transaction writes the items, keeps the unwritten
	// records' last good version from a full refresh's deletion (their
	// rows are still at the source, only rejected now), and retires what
	// the skipped rows delivered before.
	res, err := w.e.National.WriteBatch(ctx, w.prov, national.Batch{Items: items, Unwritten: unwritten, Skipped: skipped})
	if err != nil {
		return fmt.Errorf("write batch to national store: %w", err)
	}
	for j, o := range res.Outcomes {
		it := w.batch[pos[j]]
		switch o {
		case national.Inserted:
			b.Counts.Inserted++
		case national.Updated:
			b.Counts.Updated++
		case national.Unchanged:
			b.Counts.Unchanged++
		case national.Conflict:
			v := schema.Violation{Field: "", Code: schema.ReasonDuplicateKey,
				Message: fmt.Sprintf("%s key %q is already delivered by %s; fix the duplicate in the source", it.out.Kind, it.out.NaturalKey, res.ConflictWith[j])}
			r := newReject(it.out.Kind, it.rec, []schema.Violation{v})
			r.Stage = state.StageWrite
			b.Rejects = append(b.Rejects, *r)
			continue
		case national.Rejected:
			rj := res.Rejections[j]
			r := newReject(it.out.Kind, it.rec, []schema.Violation{{Field: rj.Field, Code: rj.Code, Message: "the national store refused it: " + rj.Message}})
			r.Stage = state.StageWrite
			b.Rejects = append(b.Rejects, *r)
			continue
		}
		b.Delivered = append(b.Delivered, it.rec.Key)
	}
	b.Counts.Rejected = int64(len(b.Rejects))
	b.Counts.Deleted += res.Retired
	b.Normalised = w.normalised()
	// The national store has committed: finish the batch even if the run is
	// being interrupted, so it is not replayed and counted twice.
	done := context.WithoutCancel(ctx)
	if err := w.e.State.CommitBatch(done, w.run.ID, w.job.Ref, b); err != nil {
		return err
	}
	w.committed++
	w.count(b, mapped, res)
	w.e.Metrics.BatchDuration.WithLabelValues(w.labels()...).Observe(time.Since(start).Seconds())
	// The national store is done with the items' values (national.Item.Values
	// must only hold still while Write runs): the map stage may fill them
	// again. The source records' maps are done with too, their rejects
	// made. A batch that failed leaves its maps to the garbage collector.
	for i := range w.batch {
		w.values.put(w.batch[i].out.Values)
		if w.recycle != nil && w.batch[i].rec.Fields != nil {
			w.recycle.Recycle(w.batch[i].rec.Fields)
		}
		w.batch[i] = item{}
	}
	w.batch = w.batch[:0]
	return nil
}

// chunks recycles the slices the map stage hands its records over in;
// a nil free keeps none.
type chunks struct{ free chan []item }

func newChunks(n int) chunks { return chunks{free: make(chan []item, n)} }

func (c *chunks) get() []item {
	select {
	case x := <-c.free:
		return x
	default:
		return make([]item, 0, handOff)
	}
}

func (c *chunks) put(x []item) {
	clear(x)
	select {
	case c.free <- x[:0]:
	default:
	}
}

// valueSlices recycles the slices mapped records' values are written into
// (mapping.Mapper.MapFields): a record's values by field index, with no
// map to fill, look up and clear. Made afresh for each record, the maps
// they replace were a good part of the bytes a sync allocated. A channel,
// not a sync.Pool, keeps them: a slice put in a Pool is boxed, an
// allocation per record.
type valueSlices struct{ free chan []any }

// newValueSlices keeps up to n slices: as many records as the pipeline
// holds between the map stage and a committed batch.
func newValueSlices(n int) valueSlices { return valueSlices{free: make(chan []any, n)} }

// get returns a slice of n values, all nil.
func (v *valueSlices) get(n int) []any {
	select {
	case s := <-v.free:
		if cap(s) >= n {
			return s[:n]
		}
	default:
	}
	return make([]any, n)
}

// put empties s and keeps it for get; nil is ignored.
func (v *valueSlices) put(s []any) {
	if s == nil {
		return
	}
	clear(s)
	select {
	case v.free <- s:
	default:
	}
}

func (w *writer) labels() []string {
	return []string{w.job.Ref.Department, w.job.Ref.Source, w.job.Ref.Stream}
}

// count adds a committed batch to the metrics; counting only after the
// commit keeps a replayed batch from being counted twice.
func (w *writer) count(b state.Batch, mapped int, res national.Result) {
	m, labels := w.e.Metrics, w.labels()
	m.Records.WithLabelValues(append(labels, "read", "ok")...).Add(float64(b.Counts.Read))
	m.Records.WithLabelValues(append(labels, "map", "ok")...).Add(float64(mapped))
	m.Records.WithLabelValues(append(labels, "map", "skipped")...).Add(float64(b.Counts.Skipped))
	m.Records.WithLabelValues(append(labels, "map", "rejected")...).Add(float64(int(b.Counts.Read) - mapped - int(b.Counts.Skipped)))
	for _, o := range res.Outcomes {
		m.Records.WithLabelValues(append(labels, "write", o.String())...).Inc()
	}
	for _, r := range b.Rejects {
		m.Rejects.WithLabelValues(append(labels, r.Reason)...).Inc()
	}
}
