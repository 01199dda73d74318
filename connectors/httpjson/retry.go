package httpjson

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/lienthong/lienthong/internal/netguard"
)

// retryable reports whether a status is worth another attempt: throttling,
// a request timeout, and server errors other than "not implemented".
func retryable(code int) bool {
	return code == http.StatusTooManyRequests || code == http.StatusRequestTimeout ||
		code >= 500 && code != http.StatusNotImplemented
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an
// HTTP-date (RFC 9110 section 10.2.3). A date in the past means now.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(24*time.Hour/time.Second) {
			secs = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}

// retryAfterTooLong is why retries stop when the API asks for a longer
// pause than the source allows.
type retryAfterTooLong struct {
	asked, limit time.Duration
}

func (e *retryAfterTooLong) Error() string {
	return fmt.Sprintf("the API asked to retry after %s, more than retry.max_retry_after (%s); the run stops instead of waiting",
		e.asked.Round(time.Second), e.limit)
}

// checkRetry decides on another attempt. It logs every retry with the URL
// redacted, which retryablehttp's own logger would not do for query
// strings, so that logger is off.
func (s *Source) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil {
		// A refused address or redirect is refused again on every attempt.
		if errors.Is(err, netguard.ErrRefused) || errors.Is(err, ErrRedirect) {
			return false, nil
		}
		retry, _ := retryablehttp.DefaultRetryPolicy(ctx, resp, err)
		if retry {
			s.log.Warn("request failed, retrying", "source", s.name, "error", s.transportError(ctx, err))
		}
		return retry, nil
	}
	if !retryable(resp.StatusCode) {
		return false, nil
	}
	if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), s.now()); ok && d > s.opts.retry.maxRetryAfter {
		return false, &retryAfterTooLong{asked: d, limit: s.opts.retry.maxRetryAfter}
	}
	s.log.Warn("request failed, retrying", "source", s.name, "url", s.secrets.redactURL(resp.Request.URL),
		"status", resp.StatusCode, "retry_after", resp.Header.Get("Retry-After"))
	return true, nil
}

// backoff honours Retry-After on any retried status, and otherwise waits
// exponentially longer, from wait_min up to wait_max, with jitter so that
// replicas throttled together do not come back together.
func (s *Source) backoff(minWait, maxWait time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil {
		if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), s.now()); ok {
			return d
		}
	}
	d := minWait
	for range attempt {
		d *= 2
		if d >= maxWait || d <= 0 {
			d = maxWait
			break
		}
	}
	d = min(d, maxWait)
	if d <= 0 {
		return 0
	}
	// Between half and all of d.
	return d/2 + rand.N(d/2+1)
}
