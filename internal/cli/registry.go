package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/lienthong/lienthong/config"
	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/mapping"
	"github.com/lienthong/lienthong/registry"
)

// useRegistry applies the configuration file's own departments to the
// registry (a no-op when nothing changed), then reads every department,
// source and stream from the registry: the file's and those departments
// registered through the API.
//
// A file whose mappings do not compile, or that the registry refuses, is
// not written: its departments then run as the file declares them, so
// each stream fails (and the ledger says why) or runs on its own, as
// before the registry; the registry still brings the other departments.
func (a *app) useRegistry(ctx context.Context) error {
	file := a.cfg.Departments
	a.fileMappings, a.fileSources = map[string]string{}, map[string]bool{}
	for _, d := range file {
		for _, src := range d.Sources {
			a.fileSources[d.Name+"/"+src.Name] = true
		}
	}
	for _, r := range a.cfg.Streams() {
		a.fileMappings[r.FullName()] = r.Stream.Mapping
	}
	if err := a.compileMappings(); err != nil {
		a.log.Warn("the configuration's departments are not written to the registry: a mapping does not compile; they run as the file declares them",
			"config", a.cfg.Path, "error", err)
		return a.withRegistered(ctx, file)
	}
	if err := a.applyFile(ctx, file); err != nil {
		var inv *registry.InvalidError
		if !errors.As(err, &inv) {
			return fmt.Errorf("apply %s to the registry: %w", a.cfg.Path, err)
		}
		a.log.Warn("the registry refuses the configuration's departments; they run as the file declares them",
			"config", a.cfg.Path, "error", err)
		return a.withRegistered(ctx, file)
	}
	depts, err := a.reg.Config(ctx)
	if err != nil {
		return fmt.Errorf("read the registry: %w", err)
	}
	a.cfg.Departments = depts
	return nil
}

// applyFile applies the file's departments. Replicas of serve starting
// together apply the same file at once: the one whose transaction loses
// the race applies again, and finds nothing to change.
//
// A file that changes nothing is not applied, so the change log records
// the applies that changed something, not every command run.
func (a *app) applyFile(ctx context.Context, depts []config.Department) error {
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		var rep registry.ApplyReport
		if rep, err = a.reg.ApplyDryRun(ctx, a.applyActor(), depts, os.ReadFile); err == nil {
			if len(rep.Created)+len(rep.Updated)+len(rep.Removed)+len(rep.TakenOver) == 0 {
				return nil
			}
			if _, err = a.reg.Apply(ctx, a.applyActor(), depts, os.ReadFile); err == nil {
				return nil
			}
		}
		var inv *registry.InvalidError
		if errors.As(err, &inv) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(50*(attempt+1)) * time.Millisecond):
		}
	}
	return err
}

// applyActor is who the change log says applied the file.
func (a *app) applyActor() registry.Actor {
	path, err := filepath.Abs(a.cfg.Path)
	if err != nil {
		path = a.cfg.Path
	}
	return registry.Actor{Name: "apply:" + path}
}

// withRegistered sets the configuration's departments to the file's own,
// followed by the registry's departments the file does not declare.
func (a *app) withRegistered(ctx context.Context, file []config.Department) error {
	depts, err := a.reg.Config(ctx)
	if err != nil {
		return fmt.Errorf("read the registry: %w", err)
	}
	out := slices.Clone(file)
	for _, d := range depts {
		if !slices.ContainsFunc(file, func(f config.Department) bool { return f.Name == d.Name }) {
			out = append(out, d)
		}
	}
	a.cfg.Departments = out
	a.unapplied = file
	return nil
}

// compileMappings compiles every mapping file the configuration names,
// so that a broken one is refused with its file and line before anything
// is written to the registry. All mistakes are reported, joined.
func (a *app) compileMappings() error {
	opts, err := a.mappingOptions()
	if err != nil {
		return err
	}
	var errs []error
	for _, r := range a.cfg.Streams() {
		m, err := mapping.Load(r.Stream.Mapping, opts...)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("stream %s: %w", r.FullName(), err))
		case r.Stream.Kind != "" && r.Stream.Kind != m.Kind.Name:
			errs = append(errs, fmt.Errorf("stream %s: the configuration says the stream delivers %s but its mapping %s makes %s",
				r.FullName(), r.Stream.Kind, r.Stream.Mapping, m.Kind.Name))
		}
	}
	return errors.Join(errs...)
}

// mappingOptions are what mappings compile with: the administrative-unit
// lists, when the configuration names them (loaded once).
func (a *app) mappingOptions() ([]mapping.Option, error) {
	if !a.cfg.AdminUnits.Configured() {
		return nil, nil
	}
	if a.units == nil {
		reg, err := loadUnits(a.cfg)
		if err != nil {
			return nil, err
		}
		a.units = reg
		for _, w := range a.units.Warnings() {
			a.log.Warn("administrative-unit lists", "problem", w)
		}
	}
	return []mapping.Option{mapping.WithUnits(a.units)}, nil
}

// compileStream compiles a stream's mapping: its registered text when the
// stream comes from the registry (named by the file it was applied from,
// when the configuration file declares it), else its file.
func (a *app) compileStream(ref config.StreamRef, opts []mapping.Option) (*mapping.Mapper, error) {
	if ref.Stream.MappingText == nil {
		return mapping.Load(ref.Stream.Mapping, opts...)
	}
	name := ref.Stream.Mapping
	if path, ok := a.fileMappings[ref.FullName()]; ok {
		name = path
	}
	return mapping.Parse(name, ref.Stream.MappingText, opts...)
}

// resolveSource fills in the secret of a stream's source, and checks its
// connector kind: a registered source's secret is opened from the
// registry, a file-declared source's from the environment variable or
// file it names. Each stream needs its own source's secret only, so one
// department's missing password (or mistyped kind) does not stop the
// others' syncs. A file-declared source's errors are the configuration's,
// with file and line.
func (a *app) resolveSource(ctx context.Context, dept string, src *config.Source) error {
	if src.Sealed {
		if src.ResolvedDSN != "" {
			return nil
		}
		dsn, err := a.reg.SourceSecret(ctx, dept, src.Name)
		if err != nil {
			return fmt.Errorf("source %s/%s: open its secret: %w", dept, src.Name, err)
		}
		src.ResolvedDSN = dsn
		return nil
	}
	noSecret := src.ResolvedDSN != "" || (src.DSN == "" && src.DSNEnv == "" && src.DSNFile == "")
	if noSecret && slices.Contains(connectors.Kinds(), src.Kind) {
		return nil
	}
	err := config.ResolveSecret(src, a.getenv)
	if err == nil && slices.Contains(connectors.Kinds(), src.Kind) {
		return nil
	}
	// The file says where the mistake is: read it again for this source
	// alone, for an error with its line.
	if a.declares(dept, src.Name) {
		c, lerr := loadConfig(a.cfg.Path, Env{Getenv: a.getenv}, config.OnlySourceSecret(dept+"/"+src.Name))
		if lerr != nil {
			return lerr
		}
		if r, ferr := findSource(c, dept+"/"+src.Name); ferr == nil {
			src.ResolvedDSN = r.src.ResolvedDSN
			return nil
		}
	}
	if err != nil {
		return fmt.Errorf("source %s/%s: %w", dept, src.Name, err)
	}
	return fmt.Errorf("source %s/%s: unknown connector kind %q (is it imported?)", dept, src.Name, src.Kind)
}

// declares says whether the configuration file declares a source.
func (a *app) declares(dept, source string) bool {
	return a.fileSources[dept+"/"+source]
}

// registered says whether a source was registered through the API, or is
// being registered (not declared by a configuration file: this one, or
// another one applied to the registry): its connections go through the
// network guard of registration.allow_networks.
func (a *app) registered(dept string, src *config.Source) bool {
	switch src.Origin {
	case registry.OriginAPI:
		return true
	case registry.OriginFile:
		return src.Sealed
	}
	return src.Sealed || !a.declares(dept, src.Name)
}

// runApply is lienthong apply -f FILE: the file's departments, sources,
// streams and mappings are written to the registry (the same validation
// as every command that reads the file), and what changed is printed.
func runApply(ctx context.Context, args []string, env Env) error {
	fs, cfgPath := flags("apply", env)
	file := fs.String("f", "", "the configuration `file` to apply (default: --config)")
	dryRun := fs.Bool("dry-run", false, "check the file and its mappings and say what would change, writing nothing")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	path := *file
	if path == "" {
		path = *cfgPath
	}
	cfg, err := loadConfig(path, env, config.WithoutSourceSecrets())
	if err != nil {
		return err
	}
	// The file's departments are applied here, as the command says,
	// not as every other command does on opening.
	depts := cfg.Departments
	a, err := openStores(ctx, cfg, env, false)
	if err != nil {
		return err
	}
	defer a.close()
	if err := a.compileMappings(); err != nil {
		return fmt.Errorf("%s is not applied: %w", path, err)
	}
	var rep registry.ApplyReport
	if *dryRun {
		rep, err = a.reg.ApplyDryRun(ctx, a.applyActor(), depts, os.ReadFile)
	} else {
		rep, err = a.reg.Apply(ctx, a.applyActor(), depts, os.ReadFile)
	}
	if err != nil {
		return fmt.Errorf("apply %s: %w", path, err)
	}
	if *asJSON {
		return writeJSON(env.Stdout, map[string]any{"file": path, "dry_run": *dryRun, "report": rep})
	}
	printApply(env, path, *dryRun, rep)
	return nil
}

func printApply(env Env, path string, dryRun bool, rep registry.ApplyReport) {
	w := env.Stdout
	verb := "applied"
	if dryRun {
		verb = "would apply (dry run, nothing written)"
	}
	fmt.Fprintf(w, "%s %s\n", verb, path)
	for _, g := range []struct {
		label string
		names []string
	}{{"created", rep.Created}, {"updated", rep.Updated}, {"removed", rep.Removed}, {"taken over from the API", rep.TakenOver}} {
		for _, n := range g.names {
			fmt.Fprintf(w, "  %-8s %s\n", g.label, n)
		}
	}
	fmt.Fprintf(w, "%d created, %d updated, %d unchanged, %d removed, %d taken over\n",
		len(rep.Created), len(rep.Updated), len(rep.Unchanged), len(rep.Removed), len(rep.TakenOver))
}
