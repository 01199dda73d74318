package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/robfig/cron/v3"

	"github.com/lienthong/lienthong/config"
	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/metrics"
	"github.com/lienthong/lienthong/server"
	"github.com/lienthong/lienthong/sync/schedule"
)

// observe sets up the metrics every command that syncs exposes: each
// configured stream's series from the start (so the one-shot sync's
// textfile and a fresh serve both show every stream), the state store's
// view of the streams (rejects outstanding, failed runs in a row, the
// newest cursor delivered), each stream's last success from the ledger,
// the stores' reachability and the build info.
func (a *app) observe(ctx context.Context) error {
	streams := a.metricStreams(a.cfg)
	a.metrics.Init(streams)
	// A replica that just started reports when each stream last
	// succeeded, whichever replica ran it, so staleness alerts neither
	// lose the series nor see it jump.
	for _, r := range a.cfg.Streams() {
		a.presetLastSuccess(ctx, r)
	}
	probes := map[string]func(context.Context) error{
		"state":    a.state.Ping,
		"national": a.dbs[0].PingContext,
	}
	a.stateMetrics = metrics.NewStateCollector(a.state, streams)
	if err := a.registry.Register(a.stateMetrics); err != nil {
		return fmt.Errorf("register state metrics: %w", err)
	}
	if err := a.registry.Register(metrics.NewStoreCollector(probes)); err != nil {
		return fmt.Errorf("register store metrics: %w", err)
	}
	return metrics.RegisterBuildInfo(a.registry, Version)
}

// metricStreams lists the configured streams for the metrics, with the
// longest gap each one's schedule leaves and the zone its timestamps
// without a zone are read in (the schedule's).
func (a *app) metricStreams(cfg *config.Config) []metrics.Stream {
	var out []metrics.Stream
	for _, r := range cfg.Streams() {
		s := metrics.Stream{Department: r.Department.Name, Source: r.Source.Name, Stream: r.Stream.Name, Zone: time.Local}
		zone := r.Stream.TimeZone
		if zone == "" {
			zone = cfg.Serve.TimeZone
		}
		if loc, err := time.LoadLocation(zone); err == nil && zone != "" {
			s.Zone = loc
		}
		// Parse validated the schedule; one that fails here has none.
		if sched, err := cfg.ScheduleFor(r.Stream); err == nil && sched != nil {
			s.Interval = longestGap(sched, time.Now())
		}
		out = append(out, s)
	}
	return out
}

// longestGap is the longest time between two activations of a schedule in
// the eight days from now: a week covers weekday-only schedules, whose gap
// over the weekend is what staleness must allow.
func longestGap(sched cron.Schedule, now time.Time) time.Duration {
	var gap time.Duration
	end := now.Add(8 * 24 * time.Hour)
	prev := sched.Next(now)
	// At least one gap, however far apart the activations (a monthly
	// schedule's is its month).
	for i := 0; i < 5000 && !prev.IsZero(); i++ {
		next := sched.Next(prev)
		if next.IsZero() {
			break
		}
		gap = max(gap, next.Sub(prev))
		if prev = next; !prev.Before(end) {
			break
		}
	}
	return gap
}

// openObserved opens a source for a sync: its HTTP requests, if it makes
// any, feed the metrics.
func (a *app) openObserved(ctx context.Context, r sourceRef) (connectors.Source, error) {
	c := a.sourceConfig(r, a.log)
	c.HTTP = a.metrics.HTTPSource(r.dept.Name, r.src.Name)
	return connectors.Open(ctx, c)
}

// serveCollectors adds the Go runtime and process collectors, for the
// long-running service only: in the one-shot sync's textfile, node_exporter
// would find its own go_ and process_ series twice.
func (a *app) serveCollectors() error {
	for _, c := range []prometheus.Collector{collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		if err := a.registry.Register(c); err != nil {
			return fmt.Errorf("register runtime metrics: %w", err)
		}
	}
	return nil
}

// readiness is what /readyz checks: the stores answer and are migrated,
// and the scheduler runs.
func (a *app) readiness(sched *schedule.Scheduler) map[string]func(context.Context) error {
	checks := server.StoreChecks(a.dbs[0], a.state)
	checks["scheduler"] = func(context.Context) error {
		if !sched.Status().Running {
			return errors.New("the scheduler is not running")
		}
		return nil
	}
	return checks
}

// refreshMetricStreams gives the streams registered, changed or removed
// since the start their series and their state-store gauges; serve calls
// it with the registry each time the scheduler plans.
func (a *app) refreshMetricStreams(cfg *config.Config) {
	streams := a.metricStreams(cfg)
	a.metrics.Init(streams)
	if a.stateMetrics != nil {
		a.stateMetrics.SetStreams(streams)
	}
}
