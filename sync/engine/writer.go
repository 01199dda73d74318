package engine

import (
	"context"
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
}

func (w *writer) loop(ctx context.Context, in <-chan item) error {
	w.batch = make([]item, 0, w.job.Batch.Size)
	timer := time.NewTimer(w.job.Batch.Period)
	timer.Stop()
	for {
		select {
		case it, ok := <-in:
			if !ok {
				return w.flush(ctx)
			}
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
	labels := []string{w.job.Ref.Department, w.job.Ref.Source, w.job.Ref.Stream}
	m := w.e.Metrics

	items := make([]national.Item, 0, len(w.batch))
	pos := make([]int, 0, len(w.batch)) // index in batch of each national item
	b := state.Batch{Full: w.full, Checkpoint: w.batch[len(w.batch)-1].rec.Position}
	for i, it := range w.batch {
		b.Counts.Read++
		if it.rec.NullCursor {
			b.Counts.NullCursor++
		}
		if it.reject != nil {
			b.Rejects = append(b.Rejects, *it.reject)
			continue
		}
		if it.skip != "" {
			b.Counts.Skipped++
			continue
		}
		items = append(items, it.out)
		pos = append(pos, i)
	}
	m.Records.WithLabelValues(append(labels, "read", "ok")...).Add(float64(b.Counts.Read))
	m.Records.WithLabelValues(append(labels, "map", "rejected")...).Add(float64(len(b.Rejects)))
	m.Records.WithLabelValues(append(labels, "map", "ok")...).Add(float64(len(items)))
	m.Records.WithLabelValues(append(labels, "map", "skipped")...).Add(float64(b.Counts.Skipped))

	res, err := w.e.National.Write(ctx, w.prov, items)
	if err != nil {
		return fmt.Errorf("write batch to national store: %w", err)
	}
	b.Delivered = make([]string, 0, len(items))
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
			b.Rejects = append(b.Rejects, *newReject(it.out.Kind, it.rec, []schema.Violation{v}))
			m.Records.WithLabelValues(append(labels, "write", o.String())...).Inc()
			continue
		}
		b.Delivered = append(b.Delivered, it.rec.Key)
		m.Records.WithLabelValues(append(labels, "write", o.String())...).Inc()
	}
	b.Counts.Rejected = int64(len(b.Rejects))
	if err := w.e.State.CommitBatch(ctx, w.run.ID, w.job.Ref, b); err != nil {
		return err
	}
	for _, r := range b.Rejects {
		m.Rejects.WithLabelValues(append(labels, r.Reason)...).Inc()
	}
	m.BatchDuration.WithLabelValues(labels...).Observe(time.Since(start).Seconds())
	w.batch = w.batch[:0]
	return nil
}
