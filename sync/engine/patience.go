package engine

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/lienthong/lienthong/internal/transient"
)

// Backoff between attempts after a transient fault: doubling from
// firstDelay up to maxDelay.
const (
	firstDelay = 100 * time.Millisecond
	maxDelay   = 10 * time.Second
)

// patience decides whether a run goes on after a fault. A transient fault
// of a database it talks to (transient.Is) is waited out with exponential
// backoff while the streak of faults is younger than bound; a committed
// batch ends the streak. Any other fault, or a streak past bound, ends the
// run.
type patience struct {
	bound time.Duration
	log   *slog.Logger
	// since is when the current streak of faults began; zero if none.
	since  time.Time
	delay  time.Duration
	faults int
}

// retry waits before the next attempt after err, or returns the error
// that ends the run.
func (p *patience) retry(ctx context.Context, err error) error {
	if p.bound <= 0 || !transient.Is(err) || ctx.Err() != nil {
		return err
	}
	now := time.Now()
	if p.since.IsZero() {
		p.since, p.delay, p.faults = now, 0, 0
	}
	p.faults++
	left := p.bound - now.Sub(p.since)
	if left <= 0 {
		return fmt.Errorf("gave up after %d transient faults in %s (retry_transient_for %s): %w",
			p.faults, now.Sub(p.since).Round(time.Millisecond), p.bound, err)
	}
	p.delay = min(max(2*p.delay, firstDelay), maxDelay, left)
	p.log.Warn("transient fault; retrying from the last committed batch", "error", err, "in", p.delay, "fault", p.faults)
	t := time.NewTimer(p.delay)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// settle ends the streak of faults: the run made progress.
func (p *patience) settle() { p.since = time.Time{} }

// do runs op until it succeeds or retry gives up.
func (p *patience) do(ctx context.Context, op func() error) error {
	for {
		err := op()
		if err == nil {
			return nil
		}
		if err := p.retry(ctx, err); err != nil {
			return err
		}
	}
}
