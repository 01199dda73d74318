package cli

import (
	"context"
	"fmt"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/metrics"
)

// observe sets up the metrics every command that syncs exposes: each
// configured stream's series from the start (so the one-shot sync's
// textfile and a fresh serve both show every stream), the state store's
// view of the streams (rejects outstanding, failed runs in a row, the
// newest cursor delivered), the stores' reachability and the build info.
func (a *app) observe() error {
	streams := a.metricStreams()
	a.metrics.Init(streams)
	probes := map[string]func(context.Context) error{
		"state":    a.state.Ping,
		"national": a.dbs[0].PingContext,
	}
	if err := a.registry.Register(metrics.NewStateCollector(a.state, streams)); err != nil {
		return fmt.Errorf("register state metrics: %w", err)
	}
	if err := a.registry.Register(metrics.NewStoreCollector(probes)); err != nil {
		return fmt.Errorf("register store metrics: %w", err)
	}
	return metrics.RegisterBuildInfo(a.registry, Version)
}

// metricStreams lists the configured streams for the metrics.
func (a *app) metricStreams() []metrics.Stream {
	var out []metrics.Stream
	for _, r := range a.cfg.Streams() {
		out = append(out, metrics.Stream{Department: r.Department.Name, Source: r.Source.Name, Stream: r.Stream.Name})
	}
	return out
}

// openObserved opens a source for a sync: its HTTP requests, if it makes
// any, feed the metrics.
func (a *app) openObserved(ctx context.Context, r sourceRef) (connectors.Source, error) {
	c := sourceConfig(a.cfg, r, a.log)
	c.HTTP = a.metrics.HTTPSource(r.dept.Name, r.src.Name)
	return connectors.Open(ctx, c)
}
