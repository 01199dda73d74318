package httpsink

import (
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// breaker stops sending once the national side failed threshold requests
// in a row (after their retries), for cooldown: a run then pauses its
// stream at its last committed batch instead of hammering a service that
// is down. After the cool-down one request is let through; its success
// closes the breaker, its failure opens it again.
type breaker struct {
	threshold int
	cooldown  time.Duration
	log       *slog.Logger
	m         *sinkMetrics

	mu        sync.Mutex
	failures  int
	openUntil time.Time
	last      error
}

// allow returns ErrUnavailable, with the reason and the time it ends,
// while the breaker is open.
func (b *breaker) allow(now time.Time) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.openErr(now)
}

func (b *breaker) openErr(now time.Time) error {
	if now.Before(b.openUntil) {
		return fmt.Errorf("%w: %d requests failed in a row (last: %v); the stream is paused until %s, and its next run resumes from the last committed batch",
			ErrUnavailable, b.failures, b.last, b.openUntil.UTC().Format(time.RFC3339))
	}
	return nil
}

func (b *breaker) success() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failures >= b.threshold {
		b.log.Info("national ingest: the service answers again; breaker closed")
		b.m.breakerOpen.Set(0)
	}
	b.failures, b.last, b.openUntil = 0, nil, time.Time{}
}

// failure counts a failed request; once the breaker opens it returns the
// error that says so, which the failed request reports instead of its own.
func (b *breaker) failure(now time.Time, err error) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failures++
	b.last = err
	if b.failures >= b.threshold {
		b.openUntil = now.Add(b.cooldown)
		b.m.breakerOpen.Set(1)
		b.m.breakerOpened.Inc()
		b.log.Error("national ingest: the service is down; breaker open", "failures", b.failures,
			"until", b.openUntil.UTC().Format(time.RFC3339), "error", err)
		return b.openErr(now)
	}
	return nil
}
