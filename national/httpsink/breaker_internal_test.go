package httpsink

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestBreakerCycle(t *testing.T) {
	m, _ := newSinkMetrics(nil)
	b := &breaker{threshold: 3, cooldown: time.Minute, log: slog.New(slog.DiscardHandler), m: m}
	t0 := time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC)
	fault := errors.New("503")
	for i := range 2 {
		b.failure(t0, fault)
		if err := b.allow(t0); err != nil {
			t.Fatalf("open after %d failures, threshold 3", i+1)
		}
	}
	b.failure(t0, fault)
	err := b.allow(t0.Add(59 * time.Second))
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "paused until 2026-12-07T01:01:00Z") {
		t.Fatalf("inside the cool-down: %v", err)
	}
	// After the cool-down one request goes through; a failure opens again.
	if err := b.allow(t0.Add(time.Minute)); err != nil {
		t.Fatalf("after the cool-down: %v", err)
	}
	b.failure(t0.Add(time.Minute), fault)
	if b.allow(t0.Add(time.Minute+time.Second)) == nil {
		t.Fatal("a failure after the cool-down should open the breaker again")
	}
	// A success closes it.
	b.success()
	if err := b.allow(t0.Add(time.Minute + time.Second)); err != nil {
		t.Fatalf("after a success: %v", err)
	}
}

func TestBackoff(t *testing.T) {
	for _, c := range []struct {
		name    string
		attempt int
		resp    *http.Response
		lo, hi  time.Duration
	}{
		{"first", 0, nil, 50 * time.Millisecond, 100 * time.Millisecond},
		{"third doubles twice", 2, nil, 200 * time.Millisecond, 400 * time.Millisecond},
		{"capped", 20, nil, 5 * time.Second, 10 * time.Second},
		{"Retry-After on 503", 0, &http.Response{StatusCode: 503, Header: http.Header{"Retry-After": {"3"}}}, 3 * time.Second, 3 * time.Second},
		{"Retry-After on 429 capped", 0, &http.Response{StatusCode: 429, Header: http.Header{"Retry-After": {"3600"}}}, 10 * time.Second, 10 * time.Second},
		{"Retry-After ignored on 500", 0, &http.Response{StatusCode: 500, Header: http.Header{"Retry-After": {"3"}}}, 50 * time.Millisecond, 100 * time.Millisecond},
	} {
		t.Run(c.name, func(t *testing.T) {
			for range 100 {
				if d := Backoff(100*time.Millisecond, 10*time.Second, c.attempt, c.resp); d < c.lo || d > c.hi {
					t.Fatalf("backoff %v, want within [%v, %v]", d, c.lo, c.hi)
				}
			}
		})
	}
}
