package server

import (
	"fmt"
	"net/http"

	"github.com/lienthong/lienthong/sync/state"
)

// Bounds of a page of rejects.
const (
	defaultRejectLimit = 100
	maxRejectLimit     = 1000
)

// rejectFilter is the department's rejects the query selects.
func rejectFilter(r *http.Request) state.Filter {
	q := r.URL.Query()
	return state.Filter{Department: r.PathValue("dept"), Source: q.Get("source"), Stream: q.Get("stream"),
		Reason: q.Get("reason"), Field: q.Get("field"), Kind: q.Get("kind"), After: q.Get("after")}
}

func (s *server) listRejects(w http.ResponseWriter, r *http.Request) {
	limit, ok := queryLimit(w, r, defaultRejectLimit, maxRejectLimit)
	if !ok {
		return
	}
	f := rejectFilter(r)
	f.Limit = limit
	rs, err := s.Ops.Rejects(r.Context(), callerOf(r.Context()), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ans := map[string]any{"rejects": nonNil(rs)}
	// Pages go by source key within one stream (ops refuses after
	// without one): a list of several streams has no next page to name.
	if len(rs) == limit && f.Source != "" && f.Stream != "" {
		ans["next_after"] = rs[len(rs)-1].SourceKey
	}
	writeJSON(w, ans)
}

// exportRejects answers the rejects as CSV, written as ops reads them.
// Until its first byte an error is a problem; after it the answer is
// already 200, so the connection is cut and the client sees a failed
// download rather than a short file.
func (s *server) exportRejects(w http.ResponseWriter, r *http.Request) {
	lw := &lazyCSV{w: w, name: "rejects-" + r.PathValue("dept") + ".csv"}
	err := s.Ops.ExportRejects(r.Context(), callerOf(r.Context()), rejectFilter(r), lw)
	switch {
	case err == nil && !lw.started:
		lw.start()
	case err != nil && !lw.started:
		s.fail(w, r, err)
	case err != nil:
		s.Log.Error("export rejects", "request_id", requestIDOf(r.Context()), "path", r.URL.Path, "error", err)
		panic(http.ErrAbortHandler)
	}
}

// lazyCSV sends the CSV answer's headers with its first byte.
type lazyCSV struct {
	w       http.ResponseWriter
	name    string
	started bool
}

func (l *lazyCSV) start() {
	l.started = true
	h := l.w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", l.name))
	h.Set("X-Content-Type-Options", "nosniff")
	l.w.WriteHeader(http.StatusOK)
}

func (l *lazyCSV) Write(b []byte) (int, error) {
	if !l.started {
		l.start()
	}
	return l.w.Write(b)
}

// retryInput is the body of POST /v1/departments/{dept}/rejects/retry.
type retryInput struct {
	Source string `json:"source"`
	Stream string `json:"stream"`
	Reason string `json:"reason"`
}

func (s *server) retryRejects(w http.ResponseWriter, r *http.Request) {
	var in retryInput
	if err := decodeJSON(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	run, err := s.Ops.RetryRejects(r.Context(), callerOf(r.Context()),
		state.Ref{Department: r.PathValue("dept"), Source: in.Source, Stream: in.Stream}, in.Reason)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, run)
}
