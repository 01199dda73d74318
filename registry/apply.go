package registry

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/lienthong/lienthong/config"
	"github.com/lienthong/lienthong/internal/database"
)

// MappingName is how a registered stream's mapping is named in
// config.Stream.Mapping and in errors: "registry:dept/source/stream@vN".
func MappingName(dept, source, stream string, version int) string {
	return fmt.Sprintf("registry:%s/%s/%s@v%d", dept, source, stream, version)
}

// Config returns every registered department with its sources and
// streams as lienthong.yaml would declare them, for the engine: each
// stream's Mapping is "registry:dept/source/stream@vN" and MappingText its
// active version's text (streams with no active mapping are left out, and
// so are sources left without streams and departments without sources);
// secrets are not opened (ResolvedDSN empty; Sealed true when the source
// has a sealed secret, for SourceSecret). File-declared sources keep their
// dsn_env or dsn_file, for config.ResolveSecret.
func (s *Store) Config(ctx context.Context) ([]config.Department, error) {
	depts, err := s.ListDepartments(ctx)
	if err != nil {
		return nil, err
	}
	var out []config.Department
	for _, d := range depts {
		srcs, err := s.listSources(ctx, s.db, d.Name)
		if err != nil {
			return nil, err
		}
		cd := config.Department{Name: d.Name, Title: d.Title}
		for _, src := range srcs {
			streams, err := s.listStreams(ctx, s.db, d.Name, src.Spec.Name)
			if err != nil {
				return nil, err
			}
			spec := src.Spec
			spec.Streams = nil
			for _, st := range streams {
				if st.ActiveMapping == 0 {
					continue
				}
				m, err := s.mapping(ctx, s.db, d.Name, src.Spec.Name, st.Name(), st.ActiveMapping)
				if err != nil {
					return nil, err
				}
				cs := st.Spec
				cs.Mapping = MappingName(d.Name, src.Spec.Name, st.Name(), m.Version)
				cs.MappingText = []byte(m.Text)
				spec.Streams = append(spec.Streams, cs)
			}
			if len(spec.Streams) > 0 {
				cd.Sources = append(cd.Sources, spec)
			}
		}
		if len(cd.Sources) > 0 {
			out = append(out, cd)
		}
	}
	return out, nil
}

// applyFile is the file an Apply by actor a writes for: a.Name without
// its "apply:" prefix.
func applyFile(a Actor) string { return strings.TrimPrefix(a.Name, "apply:") }

// Apply writes a configuration file's departments into the registry in
// one transaction: each department, source and stream it declares is
// created or updated with origin "file"; each stream's mapping file (read
// with readMapping, compiled by the caller beforehand) becomes a new
// version and is activated when its text changed; file-origin objects of
// the same file that it no longer declares are removed (a department only
// once it holds no source). An API-registered object the file declares
// is taken over: it becomes file-origin and a taken-over source loses its
// sealed secret (the file names its DSN). a.Name is "apply:<file>";
// dsn_file paths are stored absolute. A stream whose MappingText is set
// gives its mapping text itself, and readMapping is not called for it.
func (s *Store) Apply(ctx context.Context, a Actor, depts []config.Department, readMapping func(path string) ([]byte, error)) (ApplyReport, error) {
	return s.apply(ctx, a, depts, readMapping, false)
}

// ApplyDryRun reports what Apply would do, and does it in a transaction
// it rolls back: the registry and its change log are left as they were
// (lienthong apply --dry-run).
func (s *Store) ApplyDryRun(ctx context.Context, a Actor, depts []config.Department, readMapping func(path string) ([]byte, error)) (ApplyReport, error) {
	return s.apply(ctx, a, depts, readMapping, true)
}

// errDryRun rolls a dry run's transaction back.
var errDryRun = errors.New("dry run")

func (s *Store) apply(ctx context.Context, a Actor, depts []config.Department, readMapping func(path string) ([]byte, error), dryRun bool) (ApplyReport, error) {
	file := applyFile(a)
	var rep ApplyReport
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		rep = ApplyReport{}
		if s.db.Dialect == database.Postgres {
			// Replicas that start together apply the same file one after
			// the other; the second finds everything unchanged.
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext('lienthong-registry-apply'))`); err != nil {
				return fmt.Errorf("lock: %w", err)
			}
		}
		declared := map[string]bool{}
		for _, d := range depts {
			declared[d.Name] = true
			if err := s.applyDept(ctx, tx, a, file, d, readMapping, &rep); err != nil {
				return err
			}
		}
		// Departments this file declared before and no longer does.
		var gone []string
		if err := tx.SelectContext(ctx, &gone, s.q(`SELECT name FROM registry_departments WHERE origin = 'file' AND file = ? ORDER BY name`), file); err != nil {
			return fmt.Errorf("apply: %w", err)
		}
		for _, name := range gone {
			if declared[name] {
				continue
			}
			if err := s.removeUndeclared(ctx, tx, a, file, name, nil, &rep); err != nil {
				return err
			}
			var n int
			if err := tx.QueryRowxContext(ctx, s.q(`SELECT count(*) FROM registry_sources WHERE department = ?`), name).Scan(&n); err != nil {
				return fmt.Errorf("apply: %w", err)
			}
			if n == 0 {
				if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM registry_departments WHERE name = ?`), name); err != nil {
					return fmt.Errorf("apply: remove department %s: %w", name, err)
				}
				rep.Removed = append(rep.Removed, name)
				if err := s.record(ctx, tx, a, name, "department.delete", name, map[string]string{"file": file}); err != nil {
					return err
				}
			}
		}
		if err := s.record(ctx, tx, a, "", "apply", file, map[string]int{
			"created": len(rep.Created), "updated": len(rep.Updated), "unchanged": len(rep.Unchanged),
			"removed": len(rep.Removed), "taken_over": len(rep.TakenOver)}); err != nil {
			return err
		}
		if dryRun {
			return errDryRun
		}
		return nil
	})
	if dryRun && errors.Is(err, errDryRun) {
		return rep, nil
	}
	if err != nil {
		return ApplyReport{}, fmt.Errorf("apply %s: %w", file, err)
	}
	return rep, nil
}

func (s *Store) applyDept(ctx context.Context, tx *sqlx.Tx, a Actor, file string, d config.Department, readMapping func(string) ([]byte, error), rep *ApplyReport) error {
	old, err := s.getDept(ctx, tx, d.Name)
	switch {
	case errors.Is(err, ErrNotFound):
		t := now()
		if err := s.insertDept(ctx, tx, Department{Name: d.Name, Title: d.Title, Origin: OriginFile, CreatedAt: t, UpdatedAt: t}, file); err != nil {
			return err
		}
		rep.Created = append(rep.Created, d.Name)
		if err := s.record(ctx, tx, a, d.Name, "department.create", d.Name, map[string]string{"title": d.Title, "file": file}); err != nil {
			return err
		}
	case err != nil:
		return err
	case old.Origin != OriginFile || old.Title != d.Title || old.file != file:
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE registry_departments SET title = ?, origin = 'file', file = ?, updated_at = ? WHERE name = ?`),
			d.Title, file, s.timeArg(now()), d.Name); err != nil {
			return fmt.Errorf("update department %s: %w", d.Name, err)
		}
		action := "department.update"
		if old.Origin != OriginFile {
			action = "department.take_over"
			rep.TakenOver = append(rep.TakenOver, d.Name)
		} else {
			rep.Updated = append(rep.Updated, d.Name)
		}
		if err := s.record(ctx, tx, a, d.Name, action, d.Name, map[string]string{"title": d.Title, "file": file}); err != nil {
			return err
		}
	default:
		rep.Unchanged = append(rep.Unchanged, d.Name)
	}
	declared := map[string]bool{}
	for _, src := range d.Sources {
		declared[src.Name] = true
		if err := s.applySource(ctx, tx, a, file, d.Name, src, readMapping, rep); err != nil {
			return err
		}
	}
	return s.removeUndeclared(ctx, tx, a, file, d.Name, declared, rep)
}

// removeUndeclared removes the file-origin sources of a department, from
// file, that declared does not hold.
func (s *Store) removeUndeclared(ctx context.Context, tx *sqlx.Tx, a Actor, file, dept string, declared map[string]bool, rep *ApplyReport) error {
	rows, err := s.listSources(ctx, tx, dept)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if r.Origin != OriginFile || r.file != file || declared[r.Spec.Name] {
			continue
		}
		if err := s.deleteSource(ctx, tx, dept, r.Spec.Name); err != nil {
			return err
		}
		rep.Removed = append(rep.Removed, dept+"/"+r.Spec.Name)
		if err := s.record(ctx, tx, a, dept, "source.delete", dept+"/"+r.Spec.Name, map[string]string{"file": file}); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) applySource(ctx context.Context, tx *sqlx.Tx, a Actor, file, dept string, src config.Source, readMapping func(string) ([]byte, error), rep *ApplyReport) error {
	spec := src
	spec.Streams, spec.ResolvedDSN, spec.Sealed, spec.Origin = nil, "", false, ""
	if spec.DSNFile != "" {
		abs, err := filepath.Abs(spec.DSNFile)
		if err != nil {
			return fmt.Errorf("source %s/%s: dsn_file: %w", dept, src.Name, err)
		}
		spec.DSNFile = abs
	}
	path := dept + "/" + src.Name
	old, err := s.getSource(ctx, tx, dept, src.Name)
	switch {
	case errors.Is(err, ErrNotFound):
		if err := s.insertSource(ctx, tx, dept, spec, OriginFile, file, ""); err != nil {
			return err
		}
		rep.Created = append(rep.Created, path)
		if err := s.record(ctx, tx, a, dept, "source.create", path, map[string]string{"kind": spec.Kind, "file": file}); err != nil {
			return err
		}
	case err != nil:
		return err
	default:
		text, err := encodeSource(spec)
		if err != nil {
			return err
		}
		switch {
		case old.Origin != OriginFile:
			none := ""
			if err := s.updateSource(ctx, tx, a, dept, old, spec, OriginFile, file, &none, "source.take_over"); err != nil {
				return err
			}
			rep.TakenOver = append(rep.TakenOver, path)
		case text != old.specText || old.file != file:
			if err := s.updateSource(ctx, tx, a, dept, old, spec, OriginFile, file, nil, "source.update"); err != nil {
				return err
			}
			rep.Updated = append(rep.Updated, path)
		default:
			rep.Unchanged = append(rep.Unchanged, path)
		}
	}
	declared := map[string]bool{}
	for _, st := range src.Streams {
		declared[st.Name] = true
		if err := s.applyStream(ctx, tx, a, file, dept, src.Name, st, readMapping, rep); err != nil {
			return err
		}
	}
	streams, err := s.listStreams(ctx, tx, dept, src.Name)
	if err != nil {
		return err
	}
	for _, r := range streams {
		if r.Origin != OriginFile || declared[r.Name()] {
			continue
		}
		if err := s.deleteStream(ctx, tx, dept, src.Name, r.Name()); err != nil {
			return err
		}
		p := path + "/" + r.Name()
		rep.Removed = append(rep.Removed, p)
		if err := s.record(ctx, tx, a, dept, "stream.delete", p, map[string]string{"file": file}); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) applyStream(ctx context.Context, tx *sqlx.Tx, a Actor, file, dept, source string, st config.Stream, readMapping func(string) ([]byte, error), rep *ApplyReport) error {
	path := dept + "/" + source + "/" + st.Name
	spec := st
	spec.MappingText = nil
	var text []byte
	switch {
	case st.MappingText != nil:
		text = st.MappingText
	case readMapping == nil:
		return fmt.Errorf("stream %s: no way to read mapping %s", path, st.Mapping)
	default:
		var err error
		if text, err = readMapping(st.Mapping); err != nil {
			return fmt.Errorf("stream %s: read mapping: %w", path, err)
		}
	}
	outcome := ""
	old, err := s.getStream(ctx, tx, dept, source, st.Name)
	switch {
	case errors.Is(err, ErrNotFound):
		if err := s.insertStream(ctx, tx, dept, source, spec, OriginFile, file); err != nil {
			return err
		}
		if err := s.record(ctx, tx, a, dept, "stream.create", path, map[string]string{"file": file}); err != nil {
			return err
		}
		outcome = "created"
		if old, err = s.getStream(ctx, tx, dept, source, st.Name); err != nil {
			return err
		}
	case err != nil:
		return err
	default:
		enc, err := encodeStream(spec)
		if err != nil {
			return err
		}
		switch {
		case old.Origin != OriginFile:
			if err := s.updateStream(ctx, tx, a, old, spec, OriginFile, file, "stream.take_over"); err != nil {
				return err
			}
			outcome = "taken_over"
		case enc != old.specText || old.file != file:
			if err := s.updateStream(ctx, tx, a, old, spec, OriginFile, file, "stream.update"); err != nil {
				return err
			}
			outcome = "updated"
		}
	}
	// The mapping: a new version only when the text changed.
	changed := true
	if old.ActiveMapping > 0 {
		m, err := s.mapping(ctx, tx, dept, source, st.Name, old.ActiveMapping)
		if err != nil {
			return err
		}
		changed = m.Text != string(text)
	}
	if changed {
		m, err := s.addMapping(ctx, tx, a, dept, source, st.Name, st.Kind, string(text))
		if err != nil {
			return err
		}
		if err := s.activate(ctx, tx, a, old, m.Version); err != nil {
			return err
		}
		if outcome == "" {
			outcome = "updated"
		}
	}
	switch outcome {
	case "created":
		rep.Created = append(rep.Created, path)
	case "taken_over":
		rep.TakenOver = append(rep.TakenOver, path)
	case "updated":
		rep.Updated = append(rep.Updated, path)
	default:
		rep.Unchanged = append(rep.Unchanged, path)
	}
	return nil
}
