package server_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/lienthong/lienthong/config"
	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/internal/mappingtest"
	"github.com/lienthong/lienthong/internal/ops"
	"github.com/lienthong/lienthong/mapping"
	"github.com/lienthong/lienthong/registry"
	"github.com/lienthong/lienthong/sync/engine"
	"github.com/lienthong/lienthong/sync/state"
)

// systems is a small real ops.Systems for the server's tests: it opens
// department systems with the real connectors, checks, discovers and
// tests mappings on them, and runs streams with the real engine at once
// (the job id is the run's id). internal/cli's is the one serve uses;
// this one lets the HTTP layer be tested without a whole application.
type systems struct {
	reg *registry.Store
	st  *state.Store
	eng *engine.Engine
	log *slog.Logger
}

var _ ops.Systems = (*systems)(nil)

func (y *systems) open(ctx context.Context, src config.Source) (connectors.Source, error) {
	return connectors.Open(ctx, connectors.Config{Name: src.Name, Kind: src.Kind, DSN: src.ResolvedDSN, Options: src.Options,
		Timeout: src.Timeout, Log: y.log})
}

func connStream(s config.Stream) connectors.Stream {
	return connectors.Stream{Name: s.Name, Table: s.Table, Query: s.Query, PrimaryKey: s.PrimaryKey, Cursor: s.Cursor, LookBack: s.LookBack}
}

func (y *systems) Check(ctx context.Context, dept string, src config.Source) (ops.CheckReport, error) {
	var rep ops.CheckReport
	s, err := y.open(ctx, src)
	if err != nil {
		rep.Problems = append(rep.Problems, "source "+src.Name+": "+err.Error())
		return rep, nil
	}
	defer s.Close()
	for _, st := range src.Streams {
		if err := s.Check(ctx, connStream(st)); err != nil {
			rep.Problems = append(rep.Problems, "stream "+st.Name+": "+err.Error())
		}
	}
	return rep, nil
}

func (y *systems) Discover(ctx context.Context, dept string, src config.Source) ([]connectors.StreamInfo, error) {
	s, err := y.open(ctx, src)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	d, ok := s.(connectors.Discoverer)
	if !ok {
		return nil, fmt.Errorf("a %s source cannot list its streams", src.Kind)
	}
	return d.Discover(ctx)
}

// job builds the engine's job for a registered stream, with its secret
// opened from the registry, mapped through text.
func (y *systems) job(ctx context.Context, ref state.Ref, text []byte) (engine.Job, func(), error) {
	src, err := y.reg.Source(ctx, ref.Department, ref.Source)
	if err != nil {
		return engine.Job{}, nil, err
	}
	st, err := y.reg.Stream(ctx, ref.Department, ref.Source, ref.Stream)
	if err != nil {
		return engine.Job{}, nil, err
	}
	spec := src.Spec
	if src.Secret.Set {
		if spec.ResolvedDSN, err = y.reg.SourceSecret(ctx, ref.Department, ref.Source); err != nil {
			return engine.Job{}, nil, err
		}
	} else {
		spec.ResolvedDSN = spec.DSN
	}
	if text == nil {
		if st.ActiveMapping == 0 {
			return engine.Job{}, nil, fmt.Errorf("stream %s has no active mapping", ref)
		}
		mv, err := y.reg.Mapping(ctx, ref.Department, ref.Source, ref.Stream, st.ActiveMapping)
		if err != nil {
			return engine.Job{}, nil, err
		}
		text = []byte(mv.Text)
	}
	m, err := mapping.Parse("registry:"+ref.String(), text)
	if err != nil {
		return engine.Job{}, nil, err
	}
	s, err := y.open(ctx, spec)
	if err != nil {
		return engine.Job{}, nil, err
	}
	mode := connectors.Incremental
	if st.Spec.Mode == string(connectors.FullRefresh) {
		mode = connectors.FullRefresh
	}
	return engine.Job{Ref: ref, Source: s, Stream: connStream(st.Spec), Mode: mode, Mapper: m, PageSize: 100,
		Batch: engine.BatchPolicy{Size: 100, Period: time.Hour}}, func() { s.Close() }, nil
}

func (y *systems) TestMapping(ctx context.Context, ref state.Ref, text []byte, limit int) (mappingtest.Report, error) {
	job, done, err := y.job(ctx, ref, text)
	if err != nil {
		return mappingtest.Report{}, err
	}
	defer done()
	rd, err := job.Source.Read(ctx, connectors.ReadRequest{Stream: job.Stream, Mode: connectors.FullRefresh, PageSize: limit})
	if err != nil {
		return mappingtest.Report{}, err
	}
	defer rd.Close()
	var samples []connectors.Record
	for len(samples) < limit {
		rec, err := rd.Next(ctx)
		if errors.Is(err, connectors.ErrEndOfStream) {
			break
		}
		if err != nil {
			return mappingtest.Report{}, err
		}
		samples = append(samples, rec)
	}
	return mappingtest.Run(job.Mapper, samples, time.Now()), nil
}

func (y *systems) Trigger(ctx context.Context, ref state.Ref, by string) (int64, error) {
	job, done, err := y.job(ctx, ref, nil)
	if err != nil {
		return 0, err
	}
	defer done()
	run, err := y.eng.Run(ctx, job)
	return run.ID, err
}

func (y *systems) Cancel(ctx context.Context, runID int64, by string) error {
	return y.st.RequestCancel(ctx, runID, by)
}

func (y *systems) RetryRejects(ctx context.Context, ref state.Ref, reason string) (state.Run, error) {
	job, done, err := y.job(ctx, ref, nil)
	if err != nil {
		return state.Run{}, err
	}
	defer done()
	return y.eng.RetryRejects(ctx, job, reason)
}
