package httpjson

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
	"unicode/utf8"

	"github.com/hashicorp/go-retryablehttp"
)

// userAgent tells a department's operators who is calling.
const userAgent = "lienthong-httpjson"

// response is one decoded JSON response.
type response struct {
	// url is what was requested, for resolving relative next links; shown
	// is the same without credentials.
	url    *url.URL
	shown  string
	status int
	header http.Header
	body   any
	// size is the body's length, or how much of it was read when not
	// complete; errors show it instead of the body.
	size     int64
	complete bool
}

// hint describes the response's body for an error.
func (s *Source) hint(r *response) string {
	return s.secrets.bodyHint(r.header, r.size, r.complete, nil)
}

// fail makes the error of a response that can not be read as expected.
func (s *Source) fail(r *response, format string, args ...any) error {
	return &ResponseError{Method: http.MethodGet, URL: r.shown, StatusCode: r.status, Hint: s.hint(r),
		Err: fmt.Errorf("%w: %s", ErrBadResponse, s.secrets.scrub(fmt.Sprintf(format, args...)))}
}

// getJSON fetches one URL and decodes its JSON body. retryablehttp retries
// until the headers arrive; a connection that breaks inside the body is
// retried here, up to the same retry.max.
func (s *Source) getJSON(ctx context.Context, u *url.URL) (*response, error) {
	for attempt := 0; ; attempt++ {
		r, err := s.getOnce(ctx, u)
		var be *bodyError
		if !errors.As(err, &be) || attempt >= s.opts.retry.max || ctx.Err() != nil {
			return r, err
		}
		wait := s.backoff(s.opts.retry.waitMin, s.opts.retry.waitMax, attempt, nil)
		s.log.Warn("reading a response failed, retrying", "source", s.name, "error", err, "wait", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, err
		case <-t.C:
		}
	}
}

// bodyError is a connection that failed while a body was read.
type bodyError struct{ err error }

func (e *bodyError) Error() string { return e.err.Error() }
func (e *bodyError) Unwrap() error { return e.err }

// getOnce sends one request (with retryablehttp's retries) and decodes the
// answer. With OAuth2, a 401 drops the cached token and the request is sent
// once more with a new one: a token can be revoked before its announced
// expiry.
func (s *Source) getOnce(ctx context.Context, u *url.URL) (*response, error) {
	for refreshed := false; ; refreshed = true {
		req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return nil, fmt.Errorf("build request for %s: %v", s.secrets.redactURL(u), err)
		}
		req.Header.Set("Accept", "application/json")
		req.Header.Set("User-Agent", userAgent)
		for k, vs := range s.opts.headers {
			req.Header[k] = vs
		}
		used, err := s.authorize(ctx, req.Request)
		if err != nil {
			return nil, err
		}
		resp, err := s.send(req)
		if err != nil {
			var se *StatusError
			if errors.As(err, &se) && se.StatusCode == http.StatusUnauthorized && s.token != nil && !refreshed {
				s.log.Info("the API refused the OAuth2 token; fetching a new one", "source", s.name)
				s.token.invalidate(used)
				continue
			}
			return nil, err
		}
		return s.decode(req.Request, resp)
	}
}

// send sends a request through the rate limit and the retries, and turns
// whatever fails into an error without credentials. On success the caller
// owns the response body.
func (s *Source) send(req *retryablehttp.Request) (*http.Response, error) {
	if err := s.limit.wait(req.Context()); err != nil {
		return nil, err
	}
	resp, err := s.client.Do(req)
	attempts := 1
	if g, ok := err.(*gaveUp); ok {
		attempts, err = g.attempts, g.err
	}
	if resp == nil {
		if err == nil {
			err = errors.New("no response")
		}
		err = s.transportError(req.Context(), err)
		if attempts > 1 {
			err = fmt.Errorf("%w (after %d attempts)", err, attempts)
		}
		return nil, err
	}
	if err == nil && resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp, nil
	}
	var re *redirectError
	if errors.As(err, &re) {
		// net/http hands back the redirect response, its body closed.
		resp.Body.Close()
		return nil, fmt.Errorf("%s %s: %w", req.Method, s.secrets.redactURL(req.URL), re)
	}
	defer resp.Body.Close()
	var cause error
	if err != nil {
		cause = s.secrets.scrubErr(err)
	}
	return nil, &StatusError{Method: req.Method, URL: s.secrets.redactURL(req.URL), StatusCode: resp.StatusCode,
		Attempts: attempts, Hint: s.errorBodyHint(resp), Cause: cause}
}

// errorBodyHint reads up to hintBytes of an error answer's body and
// describes it: the body itself never goes into an error.
func (s *Source) errorBodyHint(resp *http.Response) string {
	head, err := io.ReadAll(io.LimitReader(resp.Body, hintBytes+1))
	if err == nil && len(head) <= hintBytes {
		return s.secrets.bodyHint(resp.Header, int64(len(head)), true, head)
	}
	if resp.ContentLength >= 0 {
		return s.secrets.bodyHint(resp.Header, resp.ContentLength, true, nil)
	}
	return s.secrets.bodyHint(resp.Header, int64(min(len(head), hintBytes)), false, nil)
}

// transportError rewrites a net/http error, whose text holds the whole
// URL, with the URL redacted; the chain keeps the cause (timeouts,
// cancellation) but not the *url.Error.
func (s *Source) transportError(ctx context.Context, err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return s.secrets.scrubErr(err)
	}
	shown := "(unparsable URL)"
	if u, perr := url.Parse(ue.URL); perr == nil {
		shown = s.secrets.redactURL(u)
	}
	if ue.Timeout() && ctx.Err() == nil {
		return s.secrets.scrubErr(fmt.Errorf("%s %s: no complete answer within %s (raise the source's timeout if the API is slow, or lower pagination.size): %w",
			ue.Op, shown, s.timeout, ue.Err))
	}
	return s.secrets.scrubErr(fmt.Errorf("%s %s: %w", ue.Op, shown, ue.Err))
}

// decode reads a successful response's body, at most max_response_bytes,
// as one JSON value, keeping numbers as json.Number.
func (s *Source) decode(req *http.Request, resp *http.Response) (*response, error) {
	defer resp.Body.Close()
	r := &response{url: req.URL, shown: s.secrets.redactURL(req.URL), status: resp.StatusCode, header: resp.Header}
	tooLarge := func() error {
		return &ResponseError{Method: req.Method, URL: r.shown, StatusCode: r.status, Hint: s.hint(r),
			Err: fmt.Errorf("%w: more than max_response_bytes (%d bytes): lower pagination.size, or raise max_response_bytes",
				ErrResponseTooLarge, s.opts.maxBytes)}
	}
	if resp.ContentLength > s.opts.maxBytes {
		r.size, r.complete = resp.ContentLength, true
		return nil, tooLarge()
	}
	br := &bodyReader{r: resp.Body, max: s.opts.maxBytes}
	dec := json.NewDecoder(br)
	dec.UseNumber()
	err := dec.Decode(&r.body)
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			err = errTrailing
			if terr != nil && !isSyntax(terr) {
				err = terr
			}
		}
	}
	r.size, r.complete = br.n, br.eof
	if !r.complete && resp.ContentLength >= 0 {
		r.size, r.complete = resp.ContentLength, true
	}
	switch {
	case br.readErr != nil:
		// The connection broke or timed out while the body was read.
		return nil, &bodyError{s.transportError(req.Context(), &url.Error{Op: "read body of " + req.Method, URL: req.URL.String(), Err: br.readErr})}
	case err == nil:
		return r, nil
	case errors.Is(err, errTooLarge):
		return nil, tooLarge()
	case errors.Is(err, errTrailing):
		return nil, s.fail(r, "there is data after the JSON value")
	case errors.Is(err, errNotUTF8):
		return nil, s.fail(r, "the body is not valid UTF-8, which JSON must be (does the API send TCVN3 or Windows-1258?)")
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		if br.n == 0 {
			return nil, s.fail(r, "the body is empty, not JSON")
		}
		return nil, s.fail(r, "the body ends in the middle of the JSON value")
	}
	return nil, s.fail(r, "the body is not JSON: %v", err)
}

func isSyntax(err error) bool {
	var se *json.SyntaxError
	return errors.As(err, &se)
}

var (
	errTooLarge = errors.New("response too large")
	errNotUTF8  = errors.New("response is not UTF-8")
	errTrailing = errors.New("data after the JSON value")
)

// bodyReader caps a body's size, counts it for errors, and checks that
// it is UTF-8: encoding/json would silently turn invalid bytes
// into U+FFFD, and a legacy-encoded name must fail loudly instead.
type bodyReader struct {
	r   io.Reader
	n   int64
	max int64
	// eof: the whole body was read.
	eof bool
	// pend holds the start of a character split across two reads.
	pend []byte
	// readErr is a failure of the connection, not of the content.
	readErr error
}

func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF {
		b.readErr = err
	}
	if err == io.EOF {
		b.eof = true
	}
	if n > 0 {
		b.n += int64(n)
		if b.n > b.max {
			return 0, errTooLarge
		}
		if !b.valid(p[:n]) {
			return 0, errNotUTF8
		}
	}
	if err == io.EOF && len(b.pend) > 0 {
		return n, errNotUTF8
	}
	return n, err
}

func (b *bodyReader) valid(p []byte) bool {
	if len(b.pend) > 0 {
		for len(p) > 0 && !utf8.FullRune(b.pend) {
			b.pend = append(b.pend, p[0])
			p = p[1:]
		}
		if !utf8.FullRune(b.pend) {
			return true
		}
		if r, size := utf8.DecodeRune(b.pend); r == utf8.RuneError && size <= 1 {
			return false
		}
		b.pend = b.pend[:0]
	}
	cut := len(p)
	for i := len(p) - 1; i >= 0 && i >= len(p)-utf8.UTFMax; i-- {
		if utf8.RuneStart(p[i]) {
			if !utf8.FullRune(p[i:]) {
				cut = i
			}
			break
		}
	}
	if !utf8.Valid(p[:cut]) {
		return false
	}
	b.pend = append(b.pend, p[cut:]...)
	return true
}

// readSmallJSON reads a small JSON body (a token response) into v.
func (s *Source) readSmallJSON(req *http.Request, resp *http.Response, v any) error {
	defer resp.Body.Close()
	br := &bodyReader{r: resp.Body, max: min(s.opts.maxBytes, 1<<20)}
	data, err := io.ReadAll(br)
	if err == nil {
		dec := json.NewDecoder(bytes.NewReader(data))
		err = dec.Decode(v)
	}
	if err != nil {
		return &ResponseError{Method: req.Method, URL: s.secrets.redactURL(req.URL), StatusCode: resp.StatusCode,
			Hint: s.secrets.bodyHint(resp.Header, br.n, br.eof, nil), Err: fmt.Errorf("%w: %s", ErrBadResponse, s.secrets.scrub(err.Error()))}
	}
	return nil
}
