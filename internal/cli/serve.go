package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/lienthong/lienthong/config"
	"github.com/lienthong/lienthong/connectors"
	webconsole "github.com/lienthong/lienthong/console"
	"github.com/lienthong/lienthong/internal/database"
	"github.com/lienthong/lienthong/internal/ops"
	"github.com/lienthong/lienthong/server"
	"github.com/lienthong/lienthong/sync/engine"
	"github.com/lienthong/lienthong/sync/schedule"
	"github.com/lienthong/lienthong/sync/state"
)

// runServe is lienthong serve: the streams run on their schedules until
// SIGINT or SIGTERM, coordinated with the other replicas through the state
// store, with the HTTP listener (health, metrics, API) beside.
func runServe(ctx context.Context, args []string, env Env) error {
	// The service's logs go to a collector, which reads fields, not
	// sentences: JSON unless --log-format says otherwise.
	if c, ok := env.Stderr.(*console); ok && !c.formatSet {
		c.format = "json"
	}
	fs, cfgPath := flags("serve", env)
	listen := fs.String("listen", "", "HTTP listen `address` (default: serve.listen of the configuration)")
	pf := addPrefillFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	log := logger(env.Stderr)
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	cfg, err := loadConfig(*cfgPath, env, config.WithoutSourceSecrets())
	if err != nil {
		return err
	}
	if *listen != "" {
		cfg.Serve.Listen = *listen
	}
	a, err := openConfig(ctx, cfg, env)
	if err != nil {
		return err
	}
	defer a.close()
	a.log = log
	if err := a.serveCollectors(); err != nil {
		return err
	}
	sched, err := a.scheduler(ctx)
	if err != nil {
		return err
	}
	a.sched = sched
	access, err := a.access(pf, env)
	if err != nil {
		return err
	}

	stopIngest, ingestDone, err := a.startIngest(ctx, log) // the national ingest role (ingest.go)
	if err != nil {
		return err
	}
	defer stopIngest(context.WithoutCancel(ctx))
	ln, err := net.Listen("tcp", cfg.Serve.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (set serve.listen or --listen)", cfg.Serve.Listen, err)
	}
	svc, err := a.opsService()
	if err != nil {
		return err
	}
	srv := server.HTTPServer(cfg.Serve.Listen, server.New(server.Options{
		State:    a.state,
		National: a.national,
		Gatherer: a.registry,
		Ready:    a.readiness(sched),
		Log:      log.With("component", "http"),
		Access:   access,
		Ops:      svc,
		Console: webconsole.New(webconsole.Options{Ops: svc, Clients: a.clients, AdminTokenHash: access.AdminTokenHash,
			Log: log.With("component", "console")}),
	}))
	httpDone := make(chan error, 1)
	go func() { httpDone <- srv.Serve(ln) }()

	if err := sched.Start(ctx); err != nil {
		srv.Close()
		return err
	}
	log.Info("serving", "listen", ln.Addr().String(), "pid", os.Getpid(), "version", Version)

	select {
	case <-ctx.Done():
		log.Info("signal received; stopping: no new runs, running ones have the shutdown grace", "grace", cfg.Serve.ShutdownGrace)
	case err := <-httpDone:
		log.Error("HTTP listener failed; stopping", "error", err)
	case err := <-ingestDone:
		log.Error("ingest listener failed; stopping", "error", err)
	}
	// The scheduler's soft stop escalates to cancelling the runs after the
	// grace; nothing here waits longer.
	stopErr := sched.Stop(context.WithoutCancel(ctx))
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		stopErr = errors.Join(stopErr, err)
	}
	if stopErr != nil {
		return stopErr
	}
	log.Info("stopped")
	return nil
}

// opsService is what the registration API and the console do, on the
// registry, the state store and the API's clients, reaching department
// systems and the scheduler through the app (Systems).
func (a *app) opsService() (*ops.Service, error) {
	opts, err := a.mappingOptions()
	if err != nil {
		return nil, err
	}
	return &ops.Service{
		Registry:       a.reg,
		State:          a.state,
		Clients:        a.clients,
		Systems:        a,
		Kinds:          a.cfg.Registration.Kinds,
		MappingOptions: opts,
		Log:            a.log.With("component", "ops"),
	}, nil
}

// scheduler builds the scheduler of the registry's streams that have a
// schedule, on its own pool of the state store, with the job queue
// migrated. A service may start with none: departments register theirs
// through the API, and the scheduler reads the registry at every plan.
func (a *app) scheduler(ctx context.Context) (*schedule.Scheduler, error) {
	db, _, err := a.openQueue(ctx)
	if err != nil {
		return nil, err
	}
	if a.cfg.AdminUnits.Configured() && a.units == nil {
		// Loaded once here: jobs run concurrently and must not race to.
		if a.units, err = loadUnits(a.cfg); err != nil {
			return nil, err
		}
	}
	s := a.cfg.Serve
	return schedule.New(schedule.Options{
		DB:                db,
		State:             a.state,
		Streams:           a.scheduledStreams,
		Run:               a.scheduledRun(),
		MaxConcurrentRuns: s.MaxConcurrentRuns,
		ShutdownGrace:     s.ShutdownGrace,
		Retry:             schedule.Retry{Attempts: s.Retry.Attempts, Backoff: s.Retry.Backoff, MaxBackoff: s.Retry.MaxBackoff},
		Log:               a.log,
		Metrics:           a.metrics,
		PlanInterval:      envDuration("LIENTHONG_PLAN_INTERVAL"),
		PollInterval:      envDuration("LIENTHONG_POLL_INTERVAL"),
		BusyWait:          envDuration("LIENTHONG_BUSY_WAIT"),
		OrphanAfter:       envDuration("LIENTHONG_ORPHAN_AFTER"),
	})
}

// scheduledStreams lists the registry's streams, as they are now, with
// their schedules: a stream without one runs only when triggered. A
// stream whose schedule does not parse is logged and runs only when
// triggered: it cannot stop the others.
func (a *app) scheduledStreams(ctx context.Context) ([]schedule.Stream, error) {
	cfg, err := a.currentConfig(ctx)
	if err != nil {
		return nil, err
	}
	a.refreshMetricStreams(cfg)
	var streams []schedule.Stream
	for _, ref := range cfg.Streams() {
		sched, err := cfg.ScheduleFor(ref.Stream)
		if err != nil {
			a.log.Error("stream not scheduled", "stream", ref.FullName(), "error", err)
			sched = nil
		}
		streams = append(streams, schedule.Stream{
			Ref:        state.Ref{Department: ref.Department.Name, Source: ref.Source.Name, Stream: ref.Stream.Name},
			Schedule:   sched,
			Timeout:    cfg.RunTimeout(ref.Stream),
			MaxRuntime: ref.Stream.MaxRuntime,
		})
	}
	return streams, nil
}

// openQueue opens the job queue's own pool of the state store and applies
// its migrations (River's and the scheduler's), returning how many it
// applied.
func (a *app) openQueue(ctx context.Context) (*database.DB, int, error) {
	db, err := database.Open(ctx, a.cfg.StateDSN())
	if err != nil {
		return nil, 0, fmt.Errorf("job queue: %w", err)
	}
	a.dbs = append(a.dbs, db)
	if db.Dialect == database.SQLite {
		// River's SQLite driver runs its statements one at a time.
		db.SetMaxOpenConns(1)
	}
	n, err := schedule.Migrate(ctx, db)
	if err != nil {
		return nil, 0, fmt.Errorf("migrate job queue: %w", err)
	}
	return db, n, nil
}

// envDuration reads a tuning knob the tests shorten; unset or invalid
// leaves the scheduler's default.
func envDuration(name string) time.Duration {
	d, _ := time.ParseDuration(os.Getenv(name))
	return d
}

// scheduledRun is the scheduler's RunFunc: one run of one stream, by the
// same path as lienthong sync (app.job, then engine.Run), with a source of
// its own so concurrent runs share no connection.
func (a *app) scheduledRun() schedule.RunFunc {
	return func(ctx context.Context, ref state.Ref, log *slog.Logger) (state.Run, error) {
		// The registry as it is now: a stream changed or registered
		// since the start runs as it is now. The copy is the run's own,
		// so secrets resolved into it are not shared.
		cfg, err := a.currentConfig(ctx)
		if err != nil {
			return state.Run{}, err
		}
		refs, err := cfg.FindStreams(ref.String())
		if err != nil {
			return state.Run{}, err
		}
		sources := map[*config.Source]connectors.Source{}
		defer func() {
			for _, s := range sources {
				s.Close()
			}
		}()
		job, err := a.job(ctx, refs[0], false, true, sources)
		if err != nil {
			// The run never started: monitoring must still see a failed
			// attempt.
			a.metrics.Runs.WithLabelValues(ref.Department, ref.Source, ref.Stream).Inc()
			a.metrics.RunFailures.WithLabelValues(ref.Department, ref.Source, ref.Stream).Inc()
			return state.Run{}, scrubbedError{fmt.Sprintf("%s: %s", ref, scrubSource(err.Error(), refs[0].Source)), err}
		}
		eng := &engine.Engine{National: a.national, State: a.state, Metrics: a.metrics, Log: log}
		return eng.Run(ctx, job)
	}
}

// scrubbedError is an error whose text has had a source's secret cut
// out; errors.Is and errors.As still see the cause (a transient fault is
// retried).
type scrubbedError struct {
	msg   string
	cause error
}

func (e scrubbedError) Error() string { return e.msg }
func (e scrubbedError) Unwrap() error { return e.cause }
