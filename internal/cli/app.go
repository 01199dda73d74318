package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lienthong/lienthong/config"
	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/internal/database"
	"github.com/lienthong/lienthong/mapping"
	"github.com/lienthong/lienthong/mapping/vn/units"
	"github.com/lienthong/lienthong/metrics"
	"github.com/lienthong/lienthong/national"
	"github.com/lienthong/lienthong/sync/engine"
	"github.com/lienthong/lienthong/sync/state"
)

// app is a loaded configuration with its stores open and migrated.
type app struct {
	cfg      *config.Config
	dbs      []*database.DB
	national national.Store
	state    *state.Store
	registry *prometheus.Registry
	metrics  *metrics.Metrics
	log      *slog.Logger
	// applied counts the migrations open applied.
	applied int
	// units are the administrative-unit lists, loaded on first use.
	units *units.Registry
	// getenv resolves a source's secret when the configuration was loaded
	// without them.
	getenv func(string) string
}

// open loads the configuration and opens the national and state stores,
// applying pending migrations (they are idempotent and serialised).
func open(ctx context.Context, path string, env Env, opts ...config.ParseOption) (*app, error) {
	cfg, err := loadConfig(path, env, opts...)
	if err != nil {
		return nil, err
	}
	return openConfig(ctx, cfg, env)
}

// loadConfig reads a configuration with the command's environment, so
// secrets resolve from what the command was given.
func loadConfig(path string, env Env, opts ...config.ParseOption) (*config.Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read configuration: %w (give --config or set LIENTHONG_CONFIG)", err)
	}
	return config.Parse(path, data, env.Getenv, opts...)
}

func openConfig(ctx context.Context, cfg *config.Config, env Env) (*app, error) {
	a := &app{cfg: cfg, registry: prometheus.NewRegistry(), log: logger(env.Stderr), getenv: env.Getenv}
	var err error
	if a.metrics, err = metrics.New(a.registry); err != nil {
		return nil, err
	}
	natDB, err := database.Open(ctx, cfg.NationalDSN())
	if err != nil {
		return nil, fmt.Errorf("national store: %w", err)
	}
	a.dbs = append(a.dbs, natDB)
	stateDB := natDB
	if cfg.StateDSN() != cfg.NationalDSN() {
		if stateDB, err = database.Open(ctx, cfg.StateDSN()); err != nil {
			a.close()
			return nil, fmt.Errorf("state store: %w", err)
		}
		a.dbs = append(a.dbs, stateDB)
	}
	a.national = national.New(natDB)
	a.state = state.New(stateDB)
	if a.applied, err = a.migrate(ctx); err != nil {
		a.close()
		return nil, err
	}
	if err := a.observe(ctx); err != nil {
		a.close()
		return nil, err
	}
	return a, nil
}

func (a *app) migrate(ctx context.Context) (int, error) {
	n, err := a.national.Migrate(ctx)
	if err != nil {
		return 0, fmt.Errorf("migrate national store: %w", err)
	}
	m, err := a.state.Migrate(ctx)
	if err != nil {
		return n, fmt.Errorf("migrate state store: %w", err)
	}
	return n + m, nil
}

func (a *app) close() {
	for _, db := range a.dbs {
		db.Close()
	}
}

// syncOptions are sync's flags.
type syncOptions struct {
	fullRefresh bool
	// allowEmpty lets a full refresh that reads nothing delete everything.
	allowEmpty bool
}

// syncStreams runs each stream in turn and returns the ledger entries. A
// failed stream does not stop the others; the errors are joined.
func (a *app) syncStreams(ctx context.Context, refs []config.StreamRef, o syncOptions) ([]state.Run, error) {
	return a.eachStream(ctx, refs, o.fullRefresh, true, func(eng *engine.Engine, job engine.Job) (state.Run, error) {
		job.AllowEmpty = o.allowEmpty
		return eng.Run(ctx, job)
	})
}

// retryStreams re-processes the rejects of each stream (with reason, if
// given) through its current mapping.
func (a *app) retryStreams(ctx context.Context, refs []config.StreamRef, reason string) ([]state.Run, error) {
	// The department system is not read: the rejects hold the raw records.
	return a.eachStream(ctx, refs, false, false, func(eng *engine.Engine, job engine.Job) (state.Run, error) {
		return eng.RetryRejects(ctx, job, reason)
	})
}

func (a *app) eachStream(ctx context.Context, refs []config.StreamRef, fullRefresh, openSources bool,
	run func(*engine.Engine, engine.Job) (state.Run, error)) ([]state.Run, error) {
	eng := &engine.Engine{National: a.national, State: a.state, Metrics: a.metrics, Log: a.log}
	sources := map[*config.Source]connectors.Source{}
	defer func() {
		for _, s := range sources {
			s.Close()
		}
	}()
	var runs []state.Run
	var errs []error
	for _, ref := range refs {
		job, err := a.job(ctx, ref, fullRefresh, openSources, sources)
		if err != nil {
			// The run never started (no source, no mapping): monitoring
			// must still see a failed attempt.
			labels := []string{ref.Department.Name, ref.Source.Name, ref.Stream.Name}
			a.metrics.Runs.WithLabelValues(labels...).Inc()
			a.metrics.RunFailures.WithLabelValues(labels...).Inc()
			errs = append(errs, fmt.Errorf("%s: %w", ref.FullName(), err))
			continue
		}
		r, err := run(eng, job)
		if r.ID != 0 {
			runs = append(runs, r)
		}
		if err != nil {
			errs = append(errs, err)
		}
		if ctx.Err() != nil {
			break
		}
	}
	return runs, errors.Join(errs...)
}

func (a *app) job(ctx context.Context, ref config.StreamRef, fullRefresh, needSource bool, sources map[*config.Source]connectors.Source) (engine.Job, error) {
	var opts []mapping.Option
	if a.cfg.AdminUnits.Configured() {
		if a.units == nil {
			reg, err := loadUnits(a.cfg)
			if err != nil {
				return engine.Job{}, err
			}
			a.units = reg
			for _, w := range a.units.Warnings() {
				a.log.Warn("administrative-unit lists", "problem", w)
			}
		}
		opts = append(opts, mapping.WithUnits(a.units))
	}
	m, err := mapping.Load(ref.Stream.Mapping, opts...)
	if err != nil {
		return engine.Job{}, err
	}
	if ref.Stream.Kind != "" && ref.Stream.Kind != m.Kind.Name {
		return engine.Job{}, fmt.Errorf("the configuration says the stream delivers %s but its mapping %s makes %s", ref.Stream.Kind, ref.Stream.Mapping, m.Kind.Name)
	}
	src, ok := sources[ref.Source]
	if !ok && needSource {
		if err := a.resolveSecret(ref); err != nil {
			return engine.Job{}, err
		}
		src, err = a.openObserved(ctx, sourceRef{ref.Department, ref.Source})
		if err != nil {
			return engine.Job{}, err
		}
		sources[ref.Source] = src
	}
	mode := connectors.Mode(ref.Stream.Mode)
	if fullRefresh {
		mode = connectors.FullRefresh
	}
	b := a.cfg.BatchFor(ref.Stream)
	return engine.Job{
		Ref:      state.Ref{Department: ref.Department.Name, Source: ref.Source.Name, Stream: ref.Stream.Name},
		Source:   src,
		Stream:   streamOf(ref.Stream),
		Mode:     mode,
		Mapper:   m,
		PageSize: ref.Stream.PageSize,
		Batch:    engine.BatchPolicy{Size: b.Size, Period: b.Period},
	}, nil
}

// resolveSecret fills in the secret of a stream's source when the
// configuration was loaded without secrets: each stream needs its own
// source's secret only, so one department's missing password does not stop
// the others' syncs.
func (a *app) resolveSecret(ref config.StreamRef) error {
	src := ref.Source
	if src.ResolvedDSN != "" || (src.DSN == "" && src.DSNEnv == "" && src.DSNFile == "") {
		return nil
	}
	c, err := loadConfig(a.cfg.Path, Env{Getenv: a.getenv}, config.OnlySourceSecret(ref.Department.Name+"/"+src.Name))
	if err != nil {
		return err
	}
	refs, err := c.FindStreams(ref.FullName())
	if err != nil {
		return err
	}
	src.ResolvedDSN = refs[0].Source.ResolvedDSN
	return nil
}

// presetLastSuccess sets a stream's last-success gauge from the ledger, so
// a one-shot sync whose run fails still reports when the stream last
// succeeded, and staleness alerts fire instead of losing the series.
func (a *app) presetLastSuccess(ctx context.Context, ref config.StreamRef) {
	st, err := a.state.State(ctx, state.Ref{Department: ref.Department.Name, Source: ref.Source.Name, Stream: ref.Stream.Name})
	if err != nil || st.LastSuccessAt == nil {
		return
	}
	a.metrics.LastSuccess.WithLabelValues(ref.Department.Name, ref.Source.Name, ref.Stream.Name).Set(float64(st.LastSuccessAt.Unix()))
}
