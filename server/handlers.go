package server

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lienthong/lienthong/sync/state"
)

// healthz says the process is up and serving; it checks nothing else, so
// an orchestrator restarts only a process that cannot answer at all.
func (s *server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, map[string]string{"status": "ok"})
}

// readyz runs every readiness check at once and answers 200 only when all
// pass; a failing check names itself in the problem's checks.
func (s *server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	results := map[string]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for name, check := range s.Ready {
		wg.Go(func() {
			res := "ok"
			defer func() {
				// A check runs outside the handler's goroutine, beyond
				// recoverPanics: a panicking check fails, not the process.
				if v := recover(); v != nil {
					res = fmt.Sprintf("check panicked: %v", v)
				}
				mu.Lock()
				results[name] = res
				mu.Unlock()
			}()
			if err := check(ctx); err != nil {
				res = err.Error()
			}
		})
	}
	wg.Wait()
	failed := map[string]string{}
	for name, res := range results {
		if res != "ok" {
			failed[name] = res
		}
	}
	if len(failed) > 0 {
		names := make([]string, 0, len(failed))
		for n := range failed {
			names = append(names, n)
		}
		slices.Sort(names)
		writeProblem(w, r, Problem{Status: http.StatusServiceUnavailable, Title: "Not ready",
			Detail: "failing readiness checks: " + strings.Join(names, ", "), Checks: failed})
		return
	}
	writeJSON(w, map[string]any{"status": "ready", "checks": results})
}

// streamView is a configured stream with what the state store knows of it.
type streamView struct {
	StreamInfo
	LastRun             *state.Run `json:"last_run,omitempty"`
	LastSuccessAt       *time.Time `json:"last_success_at,omitempty"`
	RejectsOutstanding  int64      `json:"rejects_outstanding"`
	ConsecutiveFailures int64      `json:"consecutive_failures"`
}

// listStreams shows every configured stream, in configuration order.
func (s *server) listStreams(w http.ResponseWriter, r *http.Request) {
	st, err := s.State.StreamStatuses(r.Context())
	if err != nil {
		s.storeFailed(w, r, err)
		return
	}
	out := make([]streamView, 0, len(s.Streams))
	for _, info := range s.Streams {
		ss := st[info.ref()]
		out = append(out, streamView{StreamInfo: info, LastRun: ss.LastRun, LastSuccessAt: ss.LastSuccessAt,
			RejectsOutstanding: ss.RejectsOutstanding, ConsecutiveFailures: ss.ConsecutiveFailures})
	}
	writeJSON(w, map[string]any{"streams": out})
}

const (
	defaultRunLimit = 50
	maxRunLimit     = 1000
)

// listRuns lists runs, newest first: ?stream= narrows to one configured
// stream (stream, source/stream or department/source/stream), ?limit= bounds
// the list.
func (s *server) listRuns(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := state.Filter{Limit: defaultRunLimit}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxRunLimit {
			problem(w, r, http.StatusBadRequest, fmt.Sprintf("limit must be a whole number from 1 to %d", maxRunLimit))
			return
		}
		f.Limit = n
	}
	if name := q.Get("stream"); name != "" {
		info, status, msg := s.findStream(name)
		if status != 0 {
			problem(w, r, status, msg)
			return
		}
		f.Department, f.Source, f.Stream = info.Department, info.Source, info.Stream
	}
	runs, err := s.State.Runs(r.Context(), f)
	if err != nil {
		s.storeFailed(w, r, err)
		return
	}
	writeJSON(w, map[string]any{"runs": runs})
}

// findStream resolves a stream name the way the CLI does: the shortest
// unique suffix of department/source/stream. It returns an HTTP status and
// a message when the name fits no stream or several.
func (s *server) findStream(name string) (StreamInfo, int, string) {
	parts := strings.Split(name, "/")
	if len(parts) > 3 || slices.Contains(parts, "") {
		return StreamInfo{}, http.StatusBadRequest, fmt.Sprintf("invalid stream name %q: write stream, source/stream or department/source/stream", name)
	}
	var found []StreamInfo
	for _, st := range s.Streams {
		full := []string{st.Department, st.Source, st.Stream}
		if slices.Equal(full[3-len(parts):], parts) {
			found = append(found, st)
		}
	}
	switch len(found) {
	case 0:
		return StreamInfo{}, http.StatusNotFound, fmt.Sprintf("no configured stream is named %q; GET /v1/streams lists them", name)
	case 1:
		return found[0], 0, ""
	}
	names := make([]string, len(found))
	for i, f := range found {
		names[i] = f.FullName()
	}
	return StreamInfo{}, http.StatusBadRequest, fmt.Sprintf("stream name %q is ambiguous: write one of %s", name, strings.Join(names, ", "))
}

// getRun shows one run; while it runs, its counts are those of the batches
// committed so far, as the ledger holds them.
func (s *server) getRun(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		problem(w, r, http.StatusBadRequest, fmt.Sprintf("run id %q is not a positive whole number", r.PathValue("id")))
		return
	}
	run, err := s.State.Run(r.Context(), id)
	if errors.Is(err, sql.ErrNoRows) {
		problem(w, r, http.StatusNotFound, fmt.Sprintf("there is no run %d; GET /v1/runs lists them", id))
		return
	}
	if err != nil {
		s.storeFailed(w, r, err)
		return
	}
	writeJSON(w, run)
}

// storeFailed answers a failed store query: 503 when the store did not
// answer in time (worth a retry), 500 otherwise. The detail stays generic:
// a driver's error may hold a host name or a query; the log has it.
func (s *server) storeFailed(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusInternalServerError
	if errors.Is(err, context.DeadlineExceeded) {
		status = http.StatusServiceUnavailable
	}
	s.Log.Error("state store query failed", "request_id", requestIDOf(r.Context()), "path", redactPath(r.URL.Path), "error", err)
	problem(w, r, status, "the state store could not answer; the log has the details under this request id")
}

// notFound answers every path no route matches, and a known path asked
// with a method it does not serve.
func (s *server) notFound(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead && s.knownPath(r) {
		w.Header().Set("Allow", "GET, HEAD")
		problem(w, r, http.StatusMethodNotAllowed, fmt.Sprintf("%s serves only GET", r.URL.Path))
		return
	}
	problem(w, r, http.StatusNotFound, fmt.Sprintf("no route serves %s", r.URL.Path))
}

// knownPath reports whether a route serves r's path with GET.
func (s *server) knownPath(r *http.Request) bool {
	get := r.Clone(r.Context())
	get.Method = http.MethodGet
	_, pattern := s.mux.Handler(get)
	return pattern != "" && pattern != "/"
}
