package cli

import (
	"context"
	"errors"

	"github.com/lienthong/lienthong/config"
	"github.com/lienthong/lienthong/sync/engine"
	"github.com/lienthong/lienthong/sync/state"
)

// engine returns the engine for the configuration's stores and retention.
func (a *app) engine() *engine.Engine {
	return &engine.Engine{National: a.national, State: a.state, Metrics: a.metrics, Log: a.log,
		Retention: engine.Retention{Rejects: a.cfg.Rejects.Retention, Deleted: a.cfg.DeletedRecords.Retention}}
}

// runPurge applies the retention now (every sync applies it when it ends):
// stale rejects are purged and records deleted past their retention are
// anonymised, each stream as a ledger run of mode "purge". No department
// system is read, so no source secret is needed.
func runPurge(ctx context.Context, args []string, env Env) error {
	fs, cfgPath := flags("purge", env)
	stream := fs.String("stream", "", "purge only this `stream` (name, source/name or department/source/name)")
	asJSON := fs.Bool("json", false, "print the runs as JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	return runStreams(ctx, env, *cfgPath, *stream, *asJSON, func(ctx context.Context, a *app, refs []config.StreamRef) ([]state.Run, error) {
		eng := a.engine()
		var runs []state.Run
		var errs []error
		for _, ref := range refs {
			r, err := eng.PurgeStream(ctx, state.Ref{Department: ref.Department.Name, Source: ref.Source.Name, Stream: ref.Stream.Name})
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
	})
}
