package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/lienthong/lienthong/config"
	"github.com/lienthong/lienthong/metrics"
	"github.com/lienthong/lienthong/sync/state"
)

func runMigrate(ctx context.Context, args []string, env Env) error {
	fs, cfgPath := flags("migrate", env)
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath, env, config.WithoutSourceSecrets())
	if err != nil {
		return err
	}
	a, err := openStores(ctx, cfg, env, false) // migrates; applies nothing
	if err != nil {
		return err
	}
	defer a.close()
	_, queued, err := a.openQueue(ctx)
	if err != nil {
		return err
	}
	a.applied += queued
	fmt.Fprintf(env.Stdout, "applied %d migration(s); the national and state stores are at the latest schema version\n", a.applied)
	return nil
}

func runSync(ctx context.Context, args []string, env Env) error {
	fs, cfgPath := flags("sync", env)
	stream := fs.String("stream", "", "sync only this `stream` (name, source/name or department/source/name)")
	full := fs.Bool("full-refresh", false, "read every record and mark the ones no longer in the source as deleted")
	allowEmpty := fs.Bool("allow-empty", false, "let a full refresh that reads no record mark every record of the stream deleted")
	allowDeletions := fs.Bool("allow-deletions", false, "let a full refresh mark deleted more than the stream's max_delete_ratio of its records")
	metricsFile := fs.String("metrics-file", "", "write metrics to this `file` (node_exporter textfile format) when done")
	asJSON := fs.Bool("json", false, "print the runs as JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	return runStreams(ctx, env, *cfgPath, *stream, *asJSON, func(ctx context.Context, a *app, refs []config.StreamRef) ([]state.Run, error) {
		runs, err := a.syncStreams(ctx, refs, syncOptions{fullRefresh: *full, allowEmpty: *allowEmpty, allowDeletions: *allowDeletions})
		if *metricsFile != "" {
			err = errors.Join(err, metrics.WriteTextfile(*metricsFile, a.registry))
		}
		return runs, err
	})
}

// runStreams opens the stores, runs fn on the streams --stream names (all
// when empty) until SIGINT or SIGTERM, and prints the runs it made.
func runStreams(ctx context.Context, env Env, cfgPath, stream string, asJSON bool,
	fn func(context.Context, *app, []config.StreamRef) ([]state.Run, error)) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Each stream resolves its own source's secret when it runs.
	a, err := open(ctx, cfgPath, env, config.WithoutSourceSecrets())
	if err != nil {
		return err
	}
	defer a.close()
	refs, err := a.cfg.FindStreams(stream)
	if err != nil {
		return usageError{err}
	}
	for _, ref := range refs {
		a.presetLastSuccess(ctx, ref)
	}
	runs, runErr := fn(ctx, a, refs)
	if asJSON {
		if err := writeJSON(env.Stdout, runs); err != nil {
			return errors.Join(runErr, err)
		}
	} else if len(runs) > 0 {
		printRuns(env.Stdout, runs)
	}
	if ctx.Err() != nil {
		return errInterrupted
	}
	return runErr
}

func runRuns(ctx context.Context, args []string, env Env) error {
	fs, cfgPath := flags("runs", env)
	stream := fs.String("stream", "", "only runs of this `stream`")
	limit := fs.Int("limit", 20, "show at most `n` runs, newest first (0: all)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	a, err := open(ctx, *cfgPath, env, config.WithoutSourceSecrets())
	if err != nil {
		return err
	}
	defer a.close()
	f, err := a.filter(*stream)
	if err != nil {
		return err
	}
	f.Limit = *limit
	runs, err := a.state.Runs(ctx, f)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(env.Stdout, runs)
	}
	printRuns(env.Stdout, runs)
	return nil
}

func runRejects(ctx context.Context, args []string, env Env) error {
	if len(args) > 0 && args[0] == "retry" {
		return runRejectsRetry(ctx, args[1:], env)
	}
	fs, cfgPath := flags("rejects", env)
	stream := fs.String("stream", "", "only rejects of this `stream`")
	reason := fs.String("reason", "", "only rejects with this reason `code`")
	limit := fs.Int("limit", 50, "show at most `n` rejects (0: all)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	a, err := open(ctx, *cfgPath, env, config.WithoutSourceSecrets())
	if err != nil {
		return err
	}
	defer a.close()
	f, err := a.filter(*stream)
	if err != nil {
		return err
	}
	if err := a.checkReason(ctx, *reason); err != nil {
		return err
	}
	f.Reason, f.Limit = *reason, *limit
	rejects, err := a.rejectsInOrder(ctx, f)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(env.Stdout, rejects)
	}
	byReason, err := a.state.RejectsByReason(ctx, state.Filter{Department: f.Department, Source: f.Source, Stream: f.Stream, Reason: f.Reason})
	if err != nil {
		return err
	}
	printReasons(env.Stdout, byReason)
	fmt.Fprintln(env.Stdout)
	printRejects(env.Stdout, rejects)
	return nil
}

// filter turns a --stream value into a ledger filter.
func (a *app) filter(stream string) (state.Filter, error) {
	if stream == "" {
		return state.Filter{}, nil
	}
	refs, err := a.cfg.FindStreams(stream)
	if err != nil {
		return state.Filter{}, usageError{err}
	}
	if len(refs) != 1 {
		return state.Filter{}, usageError{fmt.Errorf("--stream %q names %d streams; name one", stream, len(refs))}
	}
	r := refs[0]
	return state.Filter{Department: r.Department.Name, Source: r.Source.Name, Stream: r.Stream.Name}, nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func printRuns(w io.Writer, runs []state.Run) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tSTREAM\tMODE\tSTATUS\tSTARTED\tSECONDS\tREAD\tINSERTED\tUPDATED\tUNCHANGED\tREJECTED\tSKIPPED\tDELETED\tNULL CURSOR\tPURGED REJECTS\tANONYMISED\t")
	for _, r := range runs {
		secs := "-"
		if r.EndedAt != nil {
			secs = fmt.Sprintf("%.1f", r.EndedAt.Sub(r.StartedAt).Seconds())
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t\n", r.ID, r.Ref, r.Mode, r.Status,
			r.StartedAt.Local().Format(time.DateTime), secs, r.Read, r.Inserted, r.Updated, r.Unchanged, r.Rejected, r.Skipped, r.Deleted, r.NullCursor,
			r.PurgedRejects, r.Anonymised)
	}
	tw.Flush()
	for _, r := range runs {
		if r.Error != "" {
			fmt.Fprintf(w, "run %d: %s\n", r.ID, r.Error)
		}
	}
}

func printReasons(w io.Writer, rc []state.ReasonCount) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "REASON\tREJECTS")
	var total int64
	for _, r := range rc {
		fmt.Fprintf(tw, "%s\t%d\n", r.Reason, r.Count)
		total += r.Count
	}
	fmt.Fprintf(tw, "total\t%d\n", total)
	tw.Flush()
}

func printRejects(w io.Writer, rejects []state.Reject) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STREAM\tSOURCE KEY\tFIELD\tREASON\tMESSAGE")
	for _, r := range rejects {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Ref, r.SourceKey, r.Field, r.Reason, strings.ReplaceAll(r.Message, "\n", " "))
	}
	tw.Flush()
}

// runRejectsRetry re-processes rejected records through the current
// mappings: after a department fixed a mapping (or a value table), the
// records it rejected are delivered without waiting for the source to change
// them.
func runRejectsRetry(ctx context.Context, args []string, env Env) error {
	fs, cfgPath := flags("rejects retry", env)
	stream := fs.String("stream", "", "retry only the rejects of this `stream`")
	reason := fs.String("reason", "", "retry only rejects with this reason `code`")
	asJSON := fs.Bool("json", false, "print the runs as JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	return runStreams(ctx, env, *cfgPath, *stream, *asJSON, func(ctx context.Context, a *app, refs []config.StreamRef) ([]state.Run, error) {
		if err := a.checkReason(ctx, *reason); err != nil {
			return nil, err
		}
		return a.retryStreams(ctx, refs, *reason)
	})
}
