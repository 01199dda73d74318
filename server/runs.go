package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/lienthong/lienthong/internal/ops"
	"github.com/lienthong/lienthong/sync/state"
)

// The handlers of runs: the ledger (all of it, or a department's), one
// run, following a run as it goes, triggering and cancelling.

const (
	defaultRunLimit = 50
	maxRunLimit     = 1000
)

// listStreams shows the registry's streams as they are at the request,
// with what the state store knows of them: every stream to the
// administrator, its department's to a department token with runs:read
// (ops decides). A stream registered since serve started is listed.
func (s *server) listStreams(w http.ResponseWriter, r *http.Request) {
	infos, err := s.visibleStreams(r.Context(), callerOf(r.Context()))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, map[string]any{"streams": infos})
}

// visibleStreams are the registered streams a caller may know of, with
// their health.
func (s *server) visibleStreams(ctx context.Context, c ops.Caller) ([]streamView, error) {
	vs, err := s.Ops.ListStreams(ctx, c)
	if err != nil {
		return nil, err
	}
	out := make([]streamView, 0, len(vs))
	for _, v := range vs {
		mode := v.Spec.Mode
		if mode == "" {
			mode = "incremental"
		}
		out = append(out, streamView{StreamInfo: StreamInfo{Department: v.Department, Source: v.Source, Stream: v.Spec.Name,
			Schedule: v.Spec.Schedule, Mode: mode, Kind: v.Spec.Kind}, ActiveMapping: v.ActiveMapping,
			LastRun: v.LastRun, LastSuccessAt: v.LastSuccessAt, RejectsOutstanding: v.RejectsOutstanding, ConsecutiveFailures: v.ConsecutiveFailures,
			DataUpTo: v.DataUpTo})
	}
	return out, nil
}

// listRuns lists runs, newest first: ?stream= narrows to one registered
// stream (stream, source/stream or department/source/stream), ?limit= bounds
// the list.
func (s *server) listRuns(w http.ResponseWriter, r *http.Request) {
	c := callerOf(r.Context())
	limit, ok := queryLimit(w, r, defaultRunLimit, maxRunLimit)
	if !ok {
		return
	}
	f := state.Filter{Limit: limit}
	if name := r.URL.Query().Get("stream"); name != "" {
		if s.Ops.Registry == nil {
			problem(w, r, http.StatusServiceUnavailable, "registration is not configured on this server: stream names cannot be resolved")
			return
		}
		views, err := s.visibleStreams(r.Context(), c)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		infos := make([]StreamInfo, len(views))
		for i, v := range views {
			infos[i] = v.StreamInfo
		}
		info, status, msg := findStream(infos, name)
		if status != 0 {
			problem(w, r, status, msg)
			return
		}
		f.Department, f.Source, f.Stream = info.Department, info.Source, info.Stream
	} else if !c.Admin {
		f.Department = c.Client.Department
	}
	s.answerRuns(w, r, f)
}

func (s *server) answerRuns(w http.ResponseWriter, r *http.Request, f state.Filter) {
	runs, err := s.Ops.Runs(r.Context(), callerOf(r.Context()), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, map[string]any{"runs": nonNil(runs)})
}

// getRun shows one run; while it runs, its counts are those of the batches
// committed so far, as the ledger holds them.
func (s *server) getRun(w http.ResponseWriter, r *http.Request) {
	id, ok := pathInt(w, r, "id", "run id")
	if !ok {
		return
	}
	run, err := s.Ops.Run(r.Context(), callerOf(r.Context()), id)
	s.answer(w, r, run, err)
}

// listDepartmentRuns lists a department's runs, newest first.
func (s *server) listDepartmentRuns(w http.ResponseWriter, r *http.Request) {
	limit, ok := queryLimit(w, r, defaultRunLimit, maxRunLimit)
	if !ok {
		return
	}
	q := r.URL.Query()
	s.answerRuns(w, r, state.Filter{Department: r.PathValue("dept"), Source: q.Get("source"), Stream: q.Get("stream"), Limit: limit})
}

// departmentRun reads the run the path names, which must be of the
// path's department; when it cannot, it has answered and returns false.
func (s *server) departmentRun(w http.ResponseWriter, r *http.Request) (state.Run, bool) {
	id, ok := pathInt(w, r, "id", "run id")
	if !ok {
		return state.Run{}, false
	}
	run, err := s.Ops.Run(r.Context(), callerOf(r.Context()), id)
	if err == nil && run.Department != r.PathValue("dept") {
		err = fmt.Errorf("run %d of department %s: %w", id, r.PathValue("dept"), ops.ErrNotFound)
	}
	if err != nil {
		s.fail(w, r, err)
		return state.Run{}, false
	}
	return run, true
}

func (s *server) getDepartmentRun(w http.ResponseWriter, r *http.Request) {
	if run, ok := s.departmentRun(w, r); ok {
		writeJSON(w, run)
	}
}

func (s *server) cancelRun(w http.ResponseWriter, r *http.Request) {
	run, ok := s.departmentRun(w, r)
	if !ok {
		return
	}
	if err := s.Ops.Cancel(r.Context(), callerOf(r.Context()), run.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSONStatus(w, http.StatusAccepted, map[string]int64{"run_id": run.ID})
}

func (s *server) triggerRun(w http.ResponseWriter, r *http.Request) {
	job, err := s.Ops.Trigger(r.Context(), callerOf(r.Context()), refOf(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSONStatus(w, http.StatusAccepted, map[string]int64{"job_id": job})
}

// How a followed run is watched: the ledger is read every pollEvery; a
// comment line every heartbeatEvery keeps proxies from closing a quiet
// connection.
const (
	pollEvery      = time.Second
	heartbeatEvery = 15 * time.Second
	// writeWithin bounds each write to a follower that stopped reading.
	writeWithin = 30 * time.Second
)

// followRun streams a run as server-sent events: the run at once, again
// whenever its status or counts change, and the end of the stream once the
// run has ended. It outlives the request deadline (a run may take hours)
// and stops when the client goes away.
func (s *server) followRun(w http.ResponseWriter, r *http.Request) {
	run, ok := s.departmentRun(w, r)
	if !ok {
		return
	}
	c := callerOf(r.Context())
	ctx := withoutDeadline(r)
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	write := func(text string) bool {
		rc.SetWriteDeadline(time.Now().Add(writeWithin))
		if _, err := fmt.Fprint(w, text); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	send := func(run state.Run) bool {
		b, _ := json.Marshal(run)
		return write(fmt.Sprintf("event: run\ndata: %s\n\n", b))
	}
	if !send(run) {
		return
	}
	poll, beat := time.NewTicker(pollEvery), time.NewTicker(s.heartbeat)
	defer poll.Stop()
	defer beat.Stop()
	for run.Status == state.StatusRunning {
		select {
		case <-ctx.Done():
			return
		case <-beat.C:
			if !write(": heartbeat\n\n") {
				return
			}
		case <-poll.C:
			next, err := s.readRun(ctx, c, run.ID)
			if err != nil {
				s.Log.Error("follow run", "request_id", requestIDOf(ctx), "run", run.ID, "error", err)
				write("event: error\ndata: {\"detail\":\"the run could not be read; follow it again\"}\n\n")
				return
			}
			if next.Status != run.Status || next.Counts != run.Counts || next.Purges != run.Purges {
				if !send(next) {
					return
				}
			}
			run = next
		}
	}
}

// readRun reads a followed run within the usual bound of a store query.
func (s *server) readRun(ctx context.Context, c ops.Caller, id int64) (state.Run, error) {
	ctx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	return s.Ops.Run(ctx, c, id)
}
