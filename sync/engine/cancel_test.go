package engine_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/national"
	"github.com/lienthong/lienthong/sync/state"
)

// cancelOnWrite asks, through the state store as the API would, to cancel
// the run at its n-th national write, and holds that write until the run's
// heartbeat has seen the request and cancelled the run's context.
type cancelOnWrite struct {
	national.Store
	st    *state.Store
	n     int
	calls int
	err   error
}

func (c *cancelOnWrite) WriteBatch(ctx context.Context, p national.Provenance, b national.Batch) (national.Result, error) {
	if c.calls++; c.calls != c.n {
		return c.Store.WriteBatch(ctx, p, b)
	}
	c.err = c.st.RequestCancel(context.WithoutCancel(ctx), p.RunID, "tester")
	// A broken cancel would leave the write waiting forever: give up after
	// a while, so the test fails on the run's status, not a hang.
	select {
	case <-ctx.Done():
		return national.Result{}, ctx.Err()
	case <-time.After(time.Minute):
		return c.Store.WriteBatch(ctx, p, b)
	}
}

// TestCancelMidRun: a run cancelled by RequestCancel stops at a batch
// boundary, ends cancelled with who asked, conserves its counts and keeps
// its committed batches; the next run delivers the rest exactly once.
func TestCancelMidRun(t *testing.T) {
	for _, d := range storeDialects {
		t.Run(d, func(t *testing.T) {
			h := newHarnessOn(t, d)
			h.st.HeartbeatInterval = 20 * time.Millisecond
			h.seed(1, 1000, 1)
			cw := &cancelOnWrite{Store: h.nat, st: h.st, n: 4}
			h.eng.National = cw
			r, err := h.run(context.Background(), connectors.Incremental)
			if !errors.Is(err, state.ErrCancelRequested) {
				t.Fatalf("cancelled run returned %v, want ErrCancelRequested", err)
			}
			if cw.err != nil {
				t.Fatalf("RequestCancel of a running run: %v", cw.err)
			}
			if r.Status != state.StatusCancelled || r.Error != "cancelled by tester" {
				t.Fatalf("run %d status %q error %q, want cancelled, \"cancelled by tester\"", r.ID, r.Status, r.Error)
			}
			if r.CancelRequestedBy != "tester" || r.CancelRequestedAt == nil {
				t.Fatalf("run %d cancel request = %v by %q, want recorded by tester", r.ID, r.CancelRequestedAt, r.CancelRequestedBy)
			}
			if !r.Conserved() || r.Read == 0 || r.Read >= 1000 {
				t.Fatalf("cancelled run counts %+v: want conserved, some but not all of 1000 read", r.Counts)
			}
			if err := h.st.RequestCancel(context.Background(), r.ID, "tester"); !errors.Is(err, state.ErrNotRunning) {
				t.Fatalf("RequestCancel of the ended run = %v, want ErrNotRunning", err)
			}
			h.eng.National = h.nat
			r2 := h.mustRun(connectors.Incremental)
			if r2.Read+r.Read < 1000 || r2.Read == 1000 {
				t.Fatalf("resumed run read %d after %d: want it to resume from the cancelled run's last batch", r2.Read, r.Read)
			}
			h.checkEachOnce(1000)
		})
	}
}
