package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"time"
)

// middleware wraps a handler; chain applies a list of them, the first
// outermost.
type middleware func(http.Handler) http.Handler

func chain(h http.Handler, ms ...middleware) http.Handler {
	for i := len(ms) - 1; i >= 0; i-- {
		h = ms[i](h)
	}
	return h
}

type ctxKey struct{}

func requestIDOf(ctx context.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}

// validRequestID accepts a caller's id only when it is short and plain, so
// a client cannot put arbitrary text into the logs.
var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// requestID names each request: the caller's X-Request-Id, or a new one. The
// id is echoed in the response, logged and put into problem details.
func requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !validRequestID.MatchString(id) {
			b := make([]byte, 8)
			rand.Read(b)
			id = hex.EncodeToString(b)
		}
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, id)))
	})
}

// statusWriter remembers the status a handler wrote, for the log.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the real writer (flushes).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests logs one line per request. The query string is not logged:
// it may name a citizen's record one day.
func logRequests(log *slog.Logger) middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			sw := &statusWriter{ResponseWriter: w}
			next.ServeHTTP(sw, r)
			if sw.status == 0 {
				sw.status = http.StatusOK
			}
			level := slog.LevelInfo
			switch {
			case sw.status >= 500:
				level = slog.LevelError
			case r.URL.Path == "/healthz" || r.URL.Path == "/readyz" || r.URL.Path == "/metrics":
				// Probes and scrapes every few seconds would drown the log.
				level = slog.LevelDebug
			}
			log.Log(r.Context(), level, "http request", "request_id", requestIDOf(r.Context()), "method", r.Method,
				"path", redactPath(r.URL.Path), "status", sw.status, "bytes", sw.bytes, "seconds", time.Since(start).Seconds())
		})
	}
}

// recoverPanics turns a handler's panic into a 500 problem and a log line
// with the stack, instead of a dropped connection.
func recoverPanics(log *slog.Logger) middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				v := recover()
				if v == nil || v == http.ErrAbortHandler {
					if v != nil {
						panic(v)
					}
					return
				}
				log.Error("handler panicked", "request_id", requestIDOf(r.Context()), "path", r.URL.Path,
					"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				problem(w, r, http.StatusInternalServerError, "the server failed on this request; the log has the details under its request id")
			}()
			next.ServeHTTP(w, r)
		})
	}
}

// limitBody bounds what a request may send (a source, a mapping file): a
// body over the limit is 413, whether it says its length or not (readBody
// sees the *http.MaxBytesError).
func limitBody(n int64) middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > n {
				problem(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("the request body is %d bytes; the limit is %d", r.ContentLength, n))
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, n)
			next.ServeHTTP(w, r)
		})
	}
}

// deadline bounds each request's work: the store queries a handler runs
// take the request's context and give up when it expires.
func deadline(d time.Duration) middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx, cancel := context.WithTimeout(context.WithValue(r.Context(), undeadlinedKey{}, r.Context()), d)
			defer cancel()
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}

type undeadlinedKey struct{}

// withoutDeadline is the request's context without the deadline the
// middleware set, for an answer that streams for as long as what it
// follows (server-sent events): it still ends when the client goes away.
// The values the middleware chain put in the context are kept.
func withoutDeadline(r *http.Request) context.Context {
	ctx := r.Context()
	parent, ok := ctx.Value(undeadlinedKey{}).(context.Context)
	if !ok {
		return ctx
	}
	return valuesOf{Context: parent, values: ctx}
}

// valuesOf is a context that ends with Context and finds values in values.
type valuesOf struct {
	context.Context
	values context.Context
}

func (v valuesOf) Value(key any) any { return v.values.Value(key) }

// promLogger hands promhttp's errors to slog.
type promLogger struct{ log *slog.Logger }

func (l promLogger) Println(v ...any) { l.log.Error("metrics", "error", fmt.Sprint(v...)) }
