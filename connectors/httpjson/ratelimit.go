package httpjson

import (
	"context"
	"sync"
	"time"
)

// limiter spaces requests at least 1/rate apart, with no burst: a
// department API that asks for 5 requests a second should never see 5 in
// the first millisecond. It is shared by every stream and every attempt of
// one source. golang.org/x/time/rate is not a dependency of this module;
// this is the part of it needed here.
type limiter struct {
	mu       sync.Mutex
	interval time.Duration
	next     time.Time // when the next request may start
}

func newLimiter(perSecond float64) *limiter {
	if perSecond <= 0 {
		return nil
	}
	return &limiter{interval: time.Duration(float64(time.Second) / perSecond)}
}

// wait blocks until a request may start, or ctx ends. The slot is taken
// before waiting, so concurrent callers queue in order.
func (l *limiter) wait(ctx context.Context) error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	now := time.Now()
	at := l.next
	if at.Before(now) {
		at = now
	}
	l.next = at.Add(l.interval)
	l.mu.Unlock()
	d := at.Sub(now)
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
