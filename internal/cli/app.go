package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lienthong/lienthong/audit"
	"github.com/lienthong/lienthong/clients"
	"github.com/lienthong/lienthong/config"
	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/internal/database"
	"github.com/lienthong/lienthong/internal/keyring"
	"github.com/lienthong/lienthong/internal/netguard"
	"github.com/lienthong/lienthong/mapping/vn/units"
	"github.com/lienthong/lienthong/metrics"
	"github.com/lienthong/lienthong/national"
	"github.com/lienthong/lienthong/registry"
	"github.com/lienthong/lienthong/sync/engine"
	"github.com/lienthong/lienthong/sync/schedule"
	"github.com/lienthong/lienthong/sync/state"
)

// app is a loaded configuration with its stores open and migrated.
type app struct {
	cfg      *config.Config
	dbs      []*database.DB
	national national.Store
	state    *state.Store
	// audit and clients are the pre-fill audit log and the API's client
	// register, in the state store.
	audit    *audit.Store
	clients  *clients.Store
	registry *prometheus.Registry
	metrics  *metrics.Metrics
	// stateMetrics is the state store's view of the streams, whose list
	// serve refreshes as streams are registered.
	stateMetrics *metrics.StateCollector
	log          *slog.Logger
	// con is the command's standard error, where progress is drawn; nil
	// when the command was not started by Main.
	con *console
	// applied counts the migrations open applied.
	applied int
	// units are the administrative-unit lists, loaded on first use.
	units *units.Registry
	// getenv resolves a source's secret when the configuration was loaded
	// without them.
	getenv func(string) string
	// reg is the registry of departments, sources, streams and mappings,
	// in the state store: every command reads its streams from it.
	reg *registry.Store
	// fileMappings maps the streams the configuration file declares
	// ("dept/source/stream") to their mapping files, so a mapping's errors
	// name the file its author edits rather than its registry version.
	fileMappings map[string]string
	// guard checks the addresses registered sources connect to against
	// registration.allow_networks.
	guard *netguard.Guard
	// unapplied are the configuration file's departments when the file
	// could not be applied to the registry (a mapping that does not
	// compile): they run as the file declares them.
	unapplied []config.Department
	// fileSources are the sources the configuration file declares
	// ("dept/source").
	fileSources map[string]bool
	// sched is serve's scheduler, which Systems.Trigger enqueues runs on;
	// nil outside serve.
	sched *schedule.Scheduler
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
	// Kinds are checked on the sources whose secrets are resolved, so a
	// typo is reported at its line and only where that source is used.
	opts = append(opts, config.KnownKinds(connectors.Kinds()...))
	return config.Parse(path, data, env.Getenv, opts...)
}

func openConfig(ctx context.Context, cfg *config.Config, env Env) (*app, error) {
	return openStores(ctx, cfg, env, true)
}

// openStores opens and migrates the stores; with apply, the
// configuration file's departments are applied to the registry and the
// configuration's departments become the registry's.
func openStores(ctx context.Context, cfg *config.Config, env Env, apply bool) (*app, error) {
	a := &app{cfg: cfg, registry: prometheus.NewRegistry(), log: logger(env.Stderr), getenv: env.Getenv}
	a.con, _ = env.Stderr.(*console)
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
	if cfg.National.HTTP != nil { // the national store over its ingest API (ingest.go)
		if a.national, err = a.nationalSink(); err != nil {
			a.close()
			return nil, err
		}
	}
	a.state = state.New(stateDB)
	a.audit, a.clients = audit.New(stateDB), clients.New(stateDB)
	a.audit.Log = a.log
	// No key is fine until a sealed secret is needed: a configuration
	// file's sources keep their secrets in the environment or in files.
	keys, err := keyring.Load(env.Getenv)
	if err != nil && !errors.Is(err, keyring.ErrNoKeys) {
		a.close()
		return nil, err
	}
	a.reg = registry.New(stateDB, keys)
	a.guard = netguard.New(cfg.Registration.Networks(), "registration.allow_networks")
	if a.applied, err = a.migrate(ctx); err != nil {
		a.close()
		return nil, err
	}
	if apply {
		if err := a.useRegistry(ctx); err != nil {
			a.close()
			return nil, err
		}
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
	au, err := a.audit.Migrate(ctx)
	if err != nil {
		return n + m, err
	}
	cl, err := a.clients.Migrate(ctx)
	if err != nil {
		return n + m + au, err
	}
	rg, err := a.reg.Migrate(ctx)
	if err != nil {
		return n + m + au + cl, fmt.Errorf("migrate registry: %w", err)
	}
	return n + m + au + cl + rg, nil
}

func (a *app) close() {
	if a.audit != nil {
		a.audit.Close()
	}
	for _, db := range a.dbs {
		db.Close()
	}
}

// syncOptions are sync's flags.
type syncOptions struct {
	fullRefresh bool
	// allowEmpty lets a full refresh that reads nothing delete everything.
	allowEmpty bool
	// allowDeletions lets a full refresh delete more than the stream's
	// max_delete_ratio.
	allowDeletions bool
}

// syncStreams runs each stream in turn and returns the ledger entries. A
// failed stream does not stop the others; the errors are joined.
func (a *app) syncStreams(ctx context.Context, refs []config.StreamRef, o syncOptions) ([]state.Run, error) {
	return a.eachStream(ctx, refs, o.fullRefresh, true, "", func(eng *engine.Engine, job engine.Job) (state.Run, error) {
		job.AllowEmpty, job.AllowDeletions = o.allowEmpty, o.allowDeletions
		return eng.Run(ctx, job)
	})
}

// retryStreams re-processes the rejects of each stream (with reason, if
// given) through its current mapping.
func (a *app) retryStreams(ctx context.Context, refs []config.StreamRef, reason string) ([]state.Run, error) {
	// The department system is not read: the rejects hold the raw records.
	return a.eachStream(ctx, refs, false, false, reason, func(eng *engine.Engine, job engine.Job) (state.Run, error) {
		return eng.RetryRejects(ctx, job, reason)
	})
}

func (a *app) eachStream(ctx context.Context, refs []config.StreamRef, fullRefresh, openSources bool, reason string,
	run func(*engine.Engine, engine.Job) (state.Run, error)) ([]state.Run, error) {
	eng := a.engine()
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
			// and the ledger must still see a failed attempt.
			r, err := a.failedAttempt(ctx, ref, attemptMode(ref, fullRefresh, openSources), err)
			if r.ID != 0 {
				runs = append(runs, r)
			}
			errs = append(errs, err)
			continue
		}
		var p *progress
		if a.con != nil && a.con.terminal {
			p = startProgress(a.con, ref.FullName(), time.Now())
			a.estimate(ctx, p, jobInfo{ref: job.Ref, mode: job.Mode, stream: job.Stream, source: job.Source, retry: !openSources, reason: reason})
			job.Progress = p.set
		}
		r, err := run(eng, job)
		if p != nil {
			p.finish(time.Now())
		}
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

// failedAttempt records a stream whose run could not start: in the metrics,
// in the ledger as a failed run (so `runs` does not go on showing the last
// success) and in the log at error level. The error, as stored, shown and
// returned, holds no secret of the source.
func (a *app) failedAttempt(ctx context.Context, ref config.StreamRef, mode connectors.Mode, cause error) (state.Run, error) {
	labels := []string{ref.Department.Name, ref.Source.Name, ref.Stream.Name}
	a.metrics.Runs.WithLabelValues(labels...).Inc()
	a.metrics.RunFailures.WithLabelValues(labels...).Inc()
	msg := scrubSource(cause.Error(), ref.Source)
	sref := state.Ref{Department: ref.Department.Name, Source: ref.Source.Name, Stream: ref.Stream.Name}
	r, err := a.state.RecordFailedAttempt(context.WithoutCancel(ctx), sref, string(mode), msg)
	a.log.Error("run could not start", "run", r.ID, "stream", sref.String(), "mode", mode, "error", msg)
	if err != nil {
		return r, fmt.Errorf("%s: %s (%w)", ref.FullName(), msg, err)
	}
	return r, fmt.Errorf("run %d of %s: %s", r.ID, ref.FullName(), msg)
}

// attemptMode is the mode a stream's run would have had.
func attemptMode(ref config.StreamRef, fullRefresh, readSource bool) connectors.Mode {
	switch {
	case !readSource:
		return engine.Retry
	case fullRefresh:
		return connectors.FullRefresh
	}
	return connectors.Mode(ref.Stream.Mode)
}

// scrubSource cuts a source's secret out of a text: the passwords of its
// DSN and, when the DSN is a secret (from the environment, a file or the
// registry) with no shape to find a password in (an API token), the whole
// DSN.
func scrubSource(text string, src *config.Source) string {
	dsn := src.ResolvedDSN
	if dsn == "" {
		return text
	}
	text = database.Scrub(text, dsn)
	fromSecret := src.DSNEnv != "" || src.DSNFile != "" || src.Sealed
	if fromSecret && len(dsn) >= 4 {
		text = strings.ReplaceAll(text, dsn, database.Redact(dsn))
		if database.Redact(dsn) == dsn && !strings.Contains(dsn, "://") && !strings.Contains(dsn, "=") {
			text = strings.ReplaceAll(text, dsn, "xxxxx")
		}
	}
	return text
}

func (a *app) job(ctx context.Context, ref config.StreamRef, fullRefresh, needSource bool, sources map[*config.Source]connectors.Source) (engine.Job, error) {
	opts, err := a.mappingOptions()
	if err != nil {
		return engine.Job{}, err
	}
	m, err := a.compileStream(ref, opts)
	if err != nil {
		return engine.Job{}, err
	}
	if ref.Stream.Kind != "" && ref.Stream.Kind != m.Kind.Name {
		return engine.Job{}, fmt.Errorf("the configuration says the stream delivers %s but its mapping %s makes %s", ref.Stream.Kind, ref.Stream.Mapping, m.Kind.Name)
	}
	src, ok := sources[ref.Source]
	if !ok && needSource {
		if err := a.resolveSource(ctx, ref.Department.Name, ref.Source); err != nil {
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

		MaxDeleteRatio:    ref.Stream.MaxDeleteRatio,
		RetryTransientFor: ref.Stream.RetryTransientFor,
	}, nil
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
