package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
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

// streamView is a registered stream with what the state store knows of
// it.
type streamView struct {
	StreamInfo
	// ActiveMapping is the mapping version the stream runs with; 0 when
	// none is active yet (the stream does not run).
	ActiveMapping       int        `json:"active_mapping"`
	LastRun             *state.Run `json:"last_run,omitempty"`
	LastSuccessAt       *time.Time `json:"last_success_at,omitempty"`
	RejectsOutstanding  int64      `json:"rejects_outstanding"`
	ConsecutiveFailures int64      `json:"consecutive_failures"`
	// DataUpTo is the cursor of the newest record delivered, when the
	// stream reads by a cursor.
	DataUpTo string `json:"data_up_to,omitempty"`
}

// findStream resolves a stream name among streams the way the CLI does:
// the shortest unique suffix of department/source/stream. It returns an
// HTTP status and a message when the name fits no stream or several.
func findStream(streams []StreamInfo, name string) (StreamInfo, int, string) {
	parts := strings.Split(name, "/")
	if len(parts) > 3 || slices.Contains(parts, "") {
		return StreamInfo{}, http.StatusBadRequest, fmt.Sprintf("invalid stream name %q: write stream, source/stream or department/source/stream", name)
	}
	var found []StreamInfo
	for _, st := range streams {
		full := []string{st.Department, st.Source, st.Stream}
		if slices.Equal(full[3-len(parts):], parts) {
			found = append(found, st)
		}
	}
	switch len(found) {
	case 0:
		return StreamInfo{}, http.StatusNotFound, fmt.Sprintf("no registered stream is named %q; GET /v1/streams lists them", name)
	case 1:
		return found[0], 0, ""
	}
	names := make([]string, len(found))
	for i, f := range found {
		names[i] = f.FullName()
	}
	return StreamInfo{}, http.StatusBadRequest, fmt.Sprintf("stream name %q is ambiguous: write one of %s", name, strings.Join(names, ", "))
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
	if allowed := s.methods(r); len(allowed) > 0 && !slices.Contains(allowed, r.Method) {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		problem(w, r, http.StatusMethodNotAllowed, fmt.Sprintf("%s serves only %s", r.URL.Path, strings.Join(allowed, ", ")))
		return
	}
	problem(w, r, http.StatusNotFound, fmt.Sprintf("no route serves %s", r.URL.Path))
}

// methods lists the methods a route serves r's path with.
func (s *server) methods(r *http.Request) []string {
	var out []string
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "" && pattern != "/" {
			out = append(out, m)
		}
	}
	return out
}
