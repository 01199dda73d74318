package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/lienthong/lienthong/config"
	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/mapping"
	"github.com/lienthong/lienthong/sync/engine"
)

// sourceRef is a configured source with its department.
type sourceRef struct {
	dept *config.Department
	src  *config.Source
}

func (r sourceRef) name() string { return r.dept.Name + "/" + r.src.Name }

// findSource resolves "source" or "department/source".
func findSource(cfg *config.Config, name string) (sourceRef, error) {
	var found, all []sourceRef
	for i := range cfg.Departments {
		d := &cfg.Departments[i]
		for j := range d.Sources {
			r := sourceRef{d, &d.Sources[j]}
			all = append(all, r)
			if name == r.src.Name || name == r.name() {
				found = append(found, r)
			}
		}
	}
	names := make([]string, len(all))
	for i, r := range all {
		names[i] = r.name()
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return sourceRef{}, usageError{fmt.Errorf("unknown source %q: the configured sources are %s", name, strings.Join(names, ", "))}
	}
	amb := make([]string, len(found))
	for i, r := range found {
		amb[i] = r.name()
	}
	return sourceRef{}, usageError{fmt.Errorf("source name %q is ambiguous: write one of %s", name, strings.Join(amb, ", "))}
}

// openSource opens a source with its secret resolved; a registered
// source's connections go through the network guard.
func (a *app) openSource(ctx context.Context, r sourceRef) (connectors.Source, error) {
	return connectors.Open(ctx, a.sourceConfig(r, a.log))
}

// sourceConfig is what a source's connector is opened with.
func (a *app) sourceConfig(r sourceRef, log *slog.Logger) connectors.Config {
	c := connectors.Config{Name: r.src.Name, Kind: r.src.Kind, DSN: r.src.ResolvedDSN,
		Options: r.src.Options, Timeout: r.src.Timeout, Dir: filepath.Dir(a.cfg.Path), Log: log}
	if a.registered(r.dept.Name, r.src) {
		c.Guard = a.guard
	}
	return c
}

// streamOf turns a configured stream into the connector's view of it.
func streamOf(s *config.Stream) connectors.Stream {
	return connectors.Stream{Name: s.Name, Table: s.Table, Query: s.Query, PrimaryKey: s.PrimaryKey, Cursor: s.Cursor, LookBack: s.LookBack}
}

// checkResult is one line of a check report.
type checkResult struct {
	Stream   string   `json:"stream,omitempty"`
	OK       bool     `json:"ok"`
	Error    string   `json:"error,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
}

// runCheck answers "can lienthong sync this source?": it connects, then
// checks every configured stream: the relation or query runs, the key and
// cursor columns exist, the mapping loads and type-checks, and the stream
// has every column the mapping reads (as a sync checks before reading).
// The connector's advice (a SQL table without an index on its cursor and
// key) is printed as warnings, which do not fail the check.
func runCheck(ctx context.Context, args []string, env Env) error {
	a, ref, asJSON, err := sourceCommand(ctx, "check", args, env)
	if err != nil {
		return err
	}
	defer a.close()
	results, err := a.checkSource(ctx, ref)
	if err != nil {
		return err
	}
	failed := 0
	for _, r := range results {
		if !r.OK {
			failed++
		}
	}
	if asJSON {
		if err := writeJSON(env.Stdout, map[string]any{"source": ref.name(), "kind": ref.src.Kind, "ok": failed == 0, "checks": results}); err != nil {
			return err
		}
	} else {
		printCheck(env.Stdout, ref, results)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d checks of %s failed", failed, len(results), ref.name())
	}
	return nil
}

// checkSource opens a source (its secret resolved) and checks each of its
// streams: what lienthong check prints and what a registration through
// the API must pass. The first result is the connection's; the error is
// for what is not the source's fault (the administrative-unit lists).
func (a *app) checkSource(ctx context.Context, ref sourceRef) ([]checkResult, error) {
	src, err := a.openSource(ctx, ref)
	if err != nil {
		return []checkResult{{OK: false, Error: scrubSource(err.Error(), ref.src)}}, nil
	}
	defer src.Close()
	results := []checkResult{{OK: true}}
	opts, err := a.mappingOptions()
	if err != nil {
		return nil, err
	}
	for i := range ref.src.Streams {
		r := a.checkStream(ctx, src, config.StreamRef{Department: ref.dept, Source: ref.src, Stream: &ref.src.Streams[i]}, opts)
		r.Error = scrubSource(r.Error, ref.src)
		results = append(results, r)
	}
	return results, nil
}

// checkStream checks one stream of an open source: it reads, its key and
// cursor are there, and, when it has a mapping, the mapping compiles,
// makes the declared kind and finds every column it reads.
func (a *app) checkStream(ctx context.Context, src connectors.Source, ref config.StreamRef, opts []mapping.Option) checkResult {
	s := ref.Stream
	r := checkResult{Stream: s.Name, OK: true}
	var errs []error
	stream := streamOf(s)
	readable := src.Check(ctx, stream)
	errs = append(errs, readable)
	if s.Mapping != "" || s.MappingText != nil {
		m, err := a.compileStream(ref, opts)
		switch {
		case err != nil:
			errs = append(errs, err)
		case s.Kind != "" && s.Kind != m.Kind.Name:
			errs = append(errs, fmt.Errorf("the configuration says the stream delivers %s but its mapping %s makes %s", s.Kind, s.Mapping, m.Kind.Name))
		case readable == nil:
			errs = append(errs, engine.CheckColumns(ctx, src, stream, m))
		}
	}
	if ad, ok := src.(connectors.Advisor); ok && readable == nil {
		warnings, err := ad.Advise(ctx, stream)
		errs = append(errs, err)
		r.Warnings = warnings
	}
	if err := errors.Join(errs...); err != nil {
		r.OK, r.Error = false, strings.ReplaceAll(err.Error(), "\n", "; ")
	}
	return r
}

func printCheck(w io.Writer, ref sourceRef, results []checkResult) {
	fmt.Fprintf(w, "source %s (%s)\n", ref.name(), ref.src.Kind)
	for _, r := range results {
		what := "open source"
		if r.Stream != "" {
			what = "stream " + r.Stream
		}
		if r.OK {
			fmt.Fprintf(w, "  ok    %s\n", what)
		} else {
			fmt.Fprintf(w, "  FAIL  %s: %s\n", what, r.Error)
		}
		for _, warning := range r.Warnings {
			fmt.Fprintf(w, "  WARN  %s: %s\n", what, warning)
		}
	}
}

// runDiscover lists what a source offers, to help a department write its
// streams and mappings.
func runDiscover(ctx context.Context, args []string, env Env) error {
	a, ref, asJSON, err := sourceCommand(ctx, "discover", args, env)
	if err != nil {
		return err
	}
	defer a.close()
	infos, err := a.discover(ctx, ref)
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(env.Stdout, map[string]any{"source": ref.name(), "kind": ref.src.Kind, "streams": infos})
	}
	printDiscover(env.Stdout, ref, infos)
	return nil
}

// discover opens a source (its secret resolved) and lists its streams,
// sorted by name.
func (a *app) discover(ctx context.Context, ref sourceRef) ([]connectors.StreamInfo, error) {
	src, err := a.openSource(ctx, ref)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	d, ok := src.(connectors.Discoverer)
	if !ok {
		return nil, fmt.Errorf("connector %q cannot list its streams; declare them in the configuration", ref.src.Kind)
	}
	infos, err := d.Discover(ctx)
	if err != nil {
		return nil, err // the connector names the source and the operation
	}
	sort.Slice(infos, func(i, j int) bool { return infos[i].Name < infos[j].Name })
	return infos, nil
}

func printDiscover(w io.Writer, ref sourceRef, infos []connectors.StreamInfo) {
	fmt.Fprintf(w, "source %s (%s): %d stream(s)\n", ref.name(), ref.src.Kind, len(infos))
	for _, s := range infos {
		fmt.Fprintf(w, "\n%s", s.Name)
		if s.EstimatedRecords > 0 {
			fmt.Fprintf(w, "  (about %d records)", s.EstimatedRecords)
		}
		fmt.Fprintln(w)
		if len(s.SuggestedKey) > 0 {
			fmt.Fprintf(w, "  suggested primary_key: [%s]\n", strings.Join(s.SuggestedKey, ", "))
		}
		if s.SuggestedCursor != "" {
			fmt.Fprintf(w, "  suggested cursor: %s\n", s.SuggestedCursor)
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  COLUMN\tTYPE\tNULLABLE\tTEXT ENCODING")
		for _, c := range s.Columns {
			enc := ""
			if c.Encoding != "" {
				enc = fmt.Sprintf("%s (%.0f%%)", c.Encoding, 100*c.EncodingConfidence)
				// The file connector decodes whole files itself; elsewhere
				// legacy text reaches the mapping as it is stored.
				if c.Encoding != "utf-8" && c.Encoding != "utf-16le" && c.Encoding != "utf-16be" && ref.src.Kind != "file" {
					enc += fmt.Sprintf(`: map it with decode(%s, "%s")`, c.Name, c.Encoding)
				}
			}
			fmt.Fprintf(tw, "  %s\t%s\t%v\t%s\n", c.Name, c.Type, c.Nullable, enc)
		}
		tw.Flush()
	}
}

// sourceCommand parses "COMMAND SOURCE [--config F] [--json]", opens the
// stores and finds the source among the registry's (the configuration
// file's and the registered ones), with its secret resolved.
func sourceCommand(ctx context.Context, cmd string, args []string, env Env) (*app, sourceRef, bool, error) {
	fs, cfgPath := flags(cmd, env)
	asJSON := fs.Bool("json", false, "print JSON")
	name, rest := splitArg(args)
	if err := parse(fs, rest); err != nil {
		return nil, sourceRef{}, false, err
	}
	if name == "" {
		return nil, sourceRef{}, false, usageError{fmt.Errorf("name the source: lienthong %s SOURCE", cmd)}
	}
	a, err := open(ctx, *cfgPath, env, config.WithoutSourceSecrets())
	if err != nil {
		return nil, sourceRef{}, false, err
	}
	ref, err := findSource(a.cfg, name)
	if err == nil {
		err = a.resolveSource(ctx, ref.dept.Name, ref.src)
	}
	if err != nil {
		a.close()
		return nil, sourceRef{}, false, err
	}
	return a, ref, *asJSON, nil
}

// splitArg takes a leading positional argument off args, so flags may come
// before or after it.
func splitArg(args []string) (string, []string) {
	for i, a := range args {
		if !strings.HasPrefix(a, "-") && (i == 0 || !flagTakesValue(args[i-1])) {
			return a, append(append([]string{}, args[:i]...), args[i+1:]...)
		}
	}
	return "", args
}

// flagTakesValue says whether a flag written without "=" consumes the next
// argument: --config and the log flags do among check's and discover's.
func flagTakesValue(arg string) bool {
	name := strings.TrimLeft(arg, "-")
	return (name == "config" || name == "log-format" || name == "log-level") && !strings.Contains(arg, "=")
}
