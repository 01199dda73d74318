package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/lienthong/lienthong/config"
	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/internal/mappingtest"
	"github.com/lienthong/lienthong/internal/ops"
	"github.com/lienthong/lienthong/mapping"
	"github.com/lienthong/lienthong/registry"
	"github.com/lienthong/lienthong/sync/state"
)

// The API and the console reach department systems and the scheduler
// through the same code as lienthong check, discover, mapping test, sync
// and rejects retry.
var _ ops.Systems = (*app)(nil)

// currentConfig is the configuration with the registry's departments as
// they are now (a registration made since the process started included),
// a copy the caller may resolve secrets into. When the file could not be
// applied, its own departments stand in for the registry's copies.
func (a *app) currentConfig(ctx context.Context) (*config.Config, error) {
	var depts []config.Department
	reg, err := a.reg.Config(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the registry: %w", err)
	}
	if a.unapplied != nil {
		depts = copyDepartments(a.unapplied)
		for _, d := range reg {
			if !slices.ContainsFunc(a.unapplied, func(f config.Department) bool { return f.Name == d.Name }) {
				depts = append(depts, d)
			}
		}
	} else {
		depts = reg
	}
	c := *a.cfg
	c.Departments = depts
	return &c, nil
}

// copyDepartments copies departments down to their streams, so secrets
// resolved into the copy stay in it.
func copyDepartments(depts []config.Department) []config.Department {
	out := slices.Clone(depts)
	for i := range out {
		out[i].Sources = slices.Clone(out[i].Sources)
		for j := range out[i].Sources {
			out[i].Sources[j].Streams = slices.Clone(out[i].Sources[j].Streams)
		}
	}
	return out
}

// Check opens a source (its secret resolved: the one in src, else the
// registry's, else the environment's it names) and checks it and each of
// its streams as lienthong check does. What the department must fix is a
// problem; advice (a missing index) is a warning. Neither holds the secret.
func (a *app) Check(ctx context.Context, dept string, src config.Source) (ops.CheckReport, error) {
	ref, err := a.systemsSource(ctx, dept, src)
	if err != nil {
		return ops.CheckReport{}, err
	}
	results, err := a.checkSource(ctx, ref)
	if err != nil {
		return ops.CheckReport{}, err
	}
	var rep ops.CheckReport
	for _, r := range results {
		what := "source " + ref.name()
		if r.Stream != "" {
			what = "stream " + r.Stream
		}
		if !r.OK {
			// The connector's error names the stream already.
			msg := strings.TrimPrefix(r.Error, fmt.Sprintf("check stream %q: ", r.Stream))
			rep.Problems = append(rep.Problems, what+": "+scrubSource(msg, ref.src))
		}
		for _, w := range r.Warnings {
			rep.Warnings = append(rep.Warnings, what+": "+scrubSource(w, ref.src))
		}
	}
	return rep, nil
}

// Discover lists a source's tables or files with suggested keys and
// cursors, as lienthong discover does.
func (a *app) Discover(ctx context.Context, dept string, src config.Source) ([]connectors.StreamInfo, error) {
	ref, err := a.systemsSource(ctx, dept, src)
	if err != nil {
		return nil, err
	}
	infos, err := a.discover(ctx, ref)
	if err != nil {
		return nil, errors.New(scrubSource(err.Error(), ref.src))
	}
	return infos, nil
}

// systemsSource resolves the secret of a source the API names: src's own
// (a registration not yet saved carries it), else the one sealed in the
// registry, else the environment's or file's a configuration file names.
// The returned source is a copy, marked sealed when it is a registered
// one, so that errors are scrubbed of its whole secret.
func (a *app) systemsSource(ctx context.Context, dept string, src config.Source) (sourceRef, error) {
	s := src
	s.Streams = slices.Clone(src.Streams)
	d := &config.Department{Name: dept}
	registered := a.registered(dept, &s)
	if s.ResolvedDSN == "" {
		// A registered source's secret is sealed in the registry, if it
		// has one (an open API or a DSN without password has none).
		s.Sealed = false
		if registered {
			rs, err := a.reg.Source(ctx, dept, s.Name)
			switch {
			case err == nil:
				s.Sealed = rs.Secret.Set
			case !errors.Is(err, registry.ErrNotFound):
				return sourceRef{}, err
			}
		}
		if err := a.resolveSource(ctx, dept, &s); err != nil {
			return sourceRef{}, errors.New(scrubSource(err.Error(), &s))
		}
	}
	if registered {
		s.Sealed = true
	}
	return sourceRef{d, &s}, nil
}

// TestMapping maps up to limit live records of a registered stream
// through a mapping text (compiled first: errors by line and key), as
// lienthong mapping test --stream does, writing nothing.
func (a *app) TestMapping(ctx context.Context, ref state.Ref, mappingText []byte, limit int) (mappingtest.Report, error) {
	sref, err := a.registryStream(ctx, ref)
	if err != nil {
		return mappingtest.Report{}, err
	}
	opts, err := a.mappingOptions()
	if err != nil {
		return mappingtest.Report{}, err
	}
	m, err := mapping.Parse("registry:"+ref.String(), mappingText, opts...)
	if err != nil {
		return mappingtest.Report{}, err
	}
	if limit <= 0 {
		limit = 20
	}
	return a.testMapping(ctx, sref, m, limit)
}

// registryStream reads a stream and its source from the registry, active
// mapping or not (a stream's first mapping is tested before it is
// activated).
func (a *app) registryStream(ctx context.Context, ref state.Ref) (config.StreamRef, error) {
	src, err := a.reg.Source(ctx, ref.Department, ref.Source)
	if err != nil {
		return config.StreamRef{}, fmt.Errorf("source %s/%s: %w", ref.Department, ref.Source, err)
	}
	st, err := a.reg.Stream(ctx, ref.Department, ref.Source, ref.Stream)
	if err != nil {
		return config.StreamRef{}, fmt.Errorf("stream %s: %w", ref, err)
	}
	spec, stream := src.Spec, st.Spec
	spec.Streams = nil
	spec.Sealed = src.Secret.Set
	return config.StreamRef{Department: &config.Department{Name: ref.Department}, Source: &spec, Stream: &stream}, nil
}

// Trigger enqueues a run of a stream now through serve's scheduler, which
// any replica may pick up.
func (a *app) Trigger(ctx context.Context, ref state.Ref, by string) (int64, error) {
	if a.sched == nil {
		return 0, errors.New("runs are triggered through lienthong serve's scheduler, which this process does not run")
	}
	return a.sched.Trigger(ctx, ref, by)
}

// Cancel asks a running run to stop at its next batch boundary: the
// replica running it sees the request in its heartbeat.
func (a *app) Cancel(ctx context.Context, runID int64, by string) error {
	return a.state.RequestCancel(ctx, runID, by)
}

// RetryRejects re-maps a stream's rejects (of a reason, when given)
// through its active mapping, as lienthong rejects retry does.
func (a *app) RetryRejects(ctx context.Context, ref state.Ref, reason string) (state.Run, error) {
	cfg, err := a.currentConfig(ctx)
	if err != nil {
		return state.Run{}, err
	}
	refs, err := cfg.FindStreams(ref.String())
	if err != nil {
		return state.Run{}, fmt.Errorf("stream %s has no active mapping to retry its rejects with: %w", ref, err)
	}
	if reason != "" {
		if err := a.checkReason(ctx, reason); err != nil {
			return state.Run{}, err
		}
	}
	runs, err := a.retryStreams(ctx, refs[:1], reason)
	var run state.Run
	if len(runs) > 0 {
		run = runs[0]
	}
	if err != nil {
		return run, errors.New(strings.TrimSpace(scrubSource(err.Error(), refs[0].Source)))
	}
	return run, nil
}
