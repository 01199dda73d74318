package ops

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/lienthong/lienthong/registry"
	"github.com/lienthong/lienthong/sync/state"
)

// Listing bounds of runs and rejects.
const (
	DefaultListLimit = 100
	MaxListLimit     = 1000
)

func listLimit(n int) int {
	switch {
	case n <= 0:
		return DefaultListLimit
	case n > MaxListLimit:
		return MaxListLimit
	}
	return n
}

// scoped forces a listing's department for a department's token (its
// own; another department is not found) after checking its scope.
func scoped(c Caller, f state.Filter, scope string) (state.Filter, error) {
	if c.Admin {
		return f, nil
	}
	dept := f.Department
	if dept == "" {
		dept = c.Client.Department
	}
	if err := authorize(c, dept, scope); err != nil {
		return f, err
	}
	f.Department = dept
	return f, nil
}

// Trigger asks for a run of the stream now (runs:write); the stream must
// have an active mapping. It returns the scheduler's job id.
func (s *Service) Trigger(ctx context.Context, c Caller, ref state.Ref) (int64, error) {
	if err := authorize(c, ref.Department, ScopeRunsWrite); err != nil {
		return 0, err
	}
	st, err := s.Registry.Stream(ctx, ref.Department, ref.Source, ref.Stream)
	if err != nil {
		return 0, fromRegistry(err, streamName(ref))
	}
	if st.ActiveMapping == 0 {
		return 0, conflict(nil, "%s has no active mapping: upload one and activate it before running the stream", streamName(ref))
	}
	if s.Systems == nil {
		return 0, errors.New("trigger: this service has no scheduler (no Systems configured)")
	}
	id, err := s.Systems.Trigger(ctx, ref, actor(c).Name)
	if err != nil {
		return 0, s.systemError(ctx, "trigger a run of", streamName(ref), err, s.secretOf(ctx, ref.Department, ref.Source))
	}
	if err := s.Registry.Record(ctx, actor(c), "run.trigger", ref.String(), map[string]any{"job_id": id}); err != nil {
		return id, fmt.Errorf("%s: the run was asked for (job %d) but the change log failed: %w", streamName(ref), id, err)
	}
	s.log().Info("run triggered", "department", ref.Department, "source", ref.Source, "stream", ref.Stream, "job", id, "by", actor(c).Name)
	return id, nil
}

// run reads a run the caller may see: another department's run is not
// found, as a run that does not exist.
func (s *Service) run(ctx context.Context, c Caller, id int64, scope string) (state.Run, error) {
	if !c.Admin {
		// The scope first, over the caller's own department: a token
		// without it learns nothing of which runs exist.
		if err := authorize(c, c.Client.Department, scope); err != nil {
			return state.Run{}, err
		}
	}
	r, err := s.State.Run(ctx, id)
	switch {
	case errors.Is(err, sql.ErrNoRows), errors.Is(err, state.ErrNotFound):
		return state.Run{}, notFound("run %d", id)
	case err != nil:
		return state.Run{}, err
	case !c.Admin && r.Department != c.Client.Department:
		return state.Run{}, notFound("run %d", id)
	}
	return r, nil
}

// Cancel asks a running run to stop at its next batch boundary
// (runs:write).
func (s *Service) Cancel(ctx context.Context, c Caller, runID int64) error {
	r, err := s.run(ctx, c, runID, ScopeRunsWrite)
	if err != nil {
		return err
	}
	if r.Status != state.StatusRunning {
		return conflict(state.ErrNotRunning, "run %d is not running (it is %s)", runID, r.Status)
	}
	if s.Systems == nil {
		return errors.New("cancel: this service has no scheduler (no Systems configured)")
	}
	if err := s.Systems.Cancel(ctx, runID, actor(c).Name); err != nil {
		switch {
		case errors.Is(err, state.ErrNotRunning):
			return conflict(err, "run %d is not running any more", runID)
		case errors.Is(err, state.ErrNotFound):
			return notFound("run %d", runID)
		}
		return fmt.Errorf("cancel run %d: %w", runID, err)
	}
	if err := s.Registry.Record(ctx, actor(c), "run.cancel", r.Ref.String(), map[string]any{"run_id": runID}); err != nil {
		return fmt.Errorf("run %d: the cancel was asked for but the change log failed: %w", runID, err)
	}
	s.log().Info("run cancel requested", "department", r.Department, "source", r.Source, "stream", r.Stream, "run", runID, "by", actor(c).Name)
	return nil
}

// Runs lists runs, newest first (runs:read; a department's token sees
// only its own). Limit defaults to DefaultListLimit, at most
// MaxListLimit.
func (s *Service) Runs(ctx context.Context, c Caller, f state.Filter) ([]state.Run, error) {
	f, err := scoped(c, f, ScopeRunsRead)
	if err != nil {
		return nil, err
	}
	f.Limit = listLimit(f.Limit)
	return s.State.Runs(ctx, f)
}

// Run returns one run (runs:read).
func (s *Service) Run(ctx context.Context, c Caller, id int64) (state.Run, error) {
	return s.run(ctx, c, id, ScopeRunsRead)
}

// ListStreams lists the registered streams with their health, by
// department, source and stream name (runs:read): every department's to
// the administrator, its own to a department's token. It reads the
// registry at each call, so a stream registered since the service started
// is listed, and one removed is not; a stream with no active mapping yet
// is listed too (its ActiveMapping is 0: it does not run).
func (s *Service) ListStreams(ctx context.Context, c Caller) ([]StreamView, error) {
	var depts []string
	if c.Admin {
		ds, err := s.Registry.ListDepartments(ctx)
		if err != nil {
			return nil, err
		}
		for _, d := range ds {
			depts = append(depts, d.Name)
		}
	} else {
		if err := authorize(c, c.Client.Department, ScopeRunsRead); err != nil {
			return nil, err
		}
		depts = []string{c.Client.Department}
	}
	statuses, err := s.State.StreamStatuses(ctx)
	if err != nil {
		return nil, err
	}
	out := []StreamView{}
	for _, dept := range depts {
		srcs, err := s.Registry.ListSources(ctx, dept)
		if err != nil {
			return nil, err
		}
		for _, src := range srcs {
			streams, err := s.Registry.ListStreams(ctx, dept, src.Spec.Name)
			if errors.Is(err, registry.ErrNotFound) {
				continue // removed between the two reads
			}
			if err != nil {
				return nil, err
			}
			for _, st := range streams {
				v, err := s.streamView(ctx, st, statuses)
				if err != nil {
					return nil, err
				}
				out = append(out, v)
			}
		}
	}
	return out, nil
}
