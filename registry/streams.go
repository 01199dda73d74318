package registry

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/lienthong/lienthong/config"
	"github.com/lienthong/lienthong/internal/database"
)

type streamRow struct {
	Stream
	file     string
	specText string
}

const streamColumns = `department, source, name, spec, origin, file, revision, active_mapping, created_at, updated_at`

func (s *Store) scanStream(row interface{ Scan(...any) error }) (streamRow, error) {
	var r streamRow
	var name string
	var created, updated any
	if err := row.Scan(&r.Department, &r.Source, &name, &r.specText, &r.Origin, &r.file, &r.Revision, &r.ActiveMapping, &created, &updated); err != nil {
		return r, err
	}
	var err error
	if r.Spec, err = decodeStream(r.specText); err != nil {
		return r, fmt.Errorf("stream %s/%s/%s: %w", r.Department, r.Source, name, err)
	}
	r.Spec.Name = name
	if r.CreatedAt, err = mustTime(created); err == nil {
		r.UpdatedAt, err = mustTime(updated)
	}
	return r, err
}

func (s *Store) getStream(ctx context.Context, tx querier, dept, source, name string) (streamRow, error) {
	r, err := s.scanStream(tx.QueryRowxContext(ctx, s.q(`SELECT `+streamColumns+` FROM registry_streams WHERE department = ? AND source = ? AND name = ?`), dept, source, name))
	if errors.Is(err, sql.ErrNoRows) {
		return r, notFound(fmt.Sprintf("stream %s/%s/%s", dept, source, name))
	}
	if err != nil {
		return r, fmt.Errorf("read stream %s/%s/%s: %w", dept, source, name, err)
	}
	return r, nil
}

func (s *Store) insertStream(ctx context.Context, tx querier, dept, source string, spec config.Stream, origin, file string) error {
	text, err := encodeStream(spec)
	if err != nil {
		return fmt.Errorf("stream %s/%s/%s: %w", dept, source, spec.Name, err)
	}
	t := now()
	_, err = tx.ExecContext(ctx, s.q(`INSERT INTO registry_streams (`+streamColumns+`) VALUES (?, ?, ?, ?, ?, ?, 1, 0, ?, ?)`),
		dept, source, spec.Name, text, origin, file, s.timeArg(t), s.timeArg(t))
	if err != nil {
		return insertErr("stream "+dept+"/"+source+"/"+spec.Name, err)
	}
	return nil
}

// CreateStream registers a stream of a source registered through the API.
func (s *Store) CreateStream(ctx context.Context, a Actor, dept, source string, spec config.Stream) (Stream, error) {
	if err := checkName("name", spec.Name); err != nil {
		return Stream{}, err
	}
	var out Stream
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		src, err := s.getSource(ctx, tx, dept, source)
		if err != nil {
			return err
		}
		if src.Origin == OriginFile {
			return fileManaged(fmt.Sprintf("source %s/%s", dept, source), src.file)
		}
		if _, err := s.getStream(ctx, tx, dept, source, spec.Name); err == nil {
			return fmt.Errorf("stream %s/%s/%s: %w", dept, source, spec.Name, ErrExists)
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		if err := s.insertStream(ctx, tx, dept, source, spec, OriginAPI, ""); err != nil {
			return err
		}
		if err := s.record(ctx, tx, a, dept, "stream.create", dept+"/"+source+"/"+spec.Name, nil); err != nil {
			return err
		}
		r, err := s.getStream(ctx, tx, dept, source, spec.Name)
		out = r.Stream
		return err
	})
	return out, err
}

// Stream returns a registered stream.
func (s *Store) Stream(ctx context.Context, dept, source, name string) (Stream, error) {
	r, err := s.getStream(ctx, s.db, dept, source, name)
	return r.Stream, err
}

// ListStreams returns a source's streams, by name; ErrNotFound when the
// source is not registered.
func (s *Store) ListStreams(ctx context.Context, dept, source string) ([]Stream, error) {
	if _, err := s.getSource(ctx, s.db, dept, source); err != nil {
		return nil, err
	}
	rows, err := s.listStreams(ctx, s.db, dept, source)
	out := make([]Stream, len(rows))
	for i, r := range rows {
		out[i] = r.Stream
	}
	return out, err
}

func (s *Store) listStreams(ctx context.Context, tx querier, dept, source string) ([]streamRow, error) {
	rows, err := tx.QueryxContext(ctx, s.q(`SELECT `+streamColumns+` FROM registry_streams WHERE department = ? AND source = ? ORDER BY name`), dept, source)
	if err != nil {
		return nil, fmt.Errorf("list streams of %s/%s: %w", dept, source, err)
	}
	defer rows.Close()
	var out []streamRow
	for rows.Next() {
		r, err := s.scanStream(rows)
		if err != nil {
			return nil, fmt.Errorf("list streams of %s/%s: %w", dept, source, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// UpdateStream replaces a stream's spec; its mapping versions stay.
func (s *Store) UpdateStream(ctx context.Context, a Actor, dept, source, name string, revision int64, spec config.Stream) (Stream, error) {
	if spec.Name == "" {
		spec.Name = name
	}
	if spec.Name != name {
		return Stream{}, &InvalidError{Fields: []config.FieldError{{Field: "name", Reason: fmt.Sprintf("a stream cannot be renamed (%q to %q): register a new stream and delete this one", name, spec.Name)}}}
	}
	var out Stream
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		r, err := s.apiStream(ctx, tx, dept, source, name)
		if err != nil {
			return err
		}
		if r.Revision != revision {
			return fmt.Errorf("stream %s/%s/%s is at revision %d, not %d: read it again: %w", dept, source, name, r.Revision, revision, ErrStale)
		}
		if err := s.updateStream(ctx, tx, a, r, spec, OriginAPI, "", "stream.update"); err != nil {
			return err
		}
		r, err = s.getStream(ctx, tx, dept, source, name)
		out = r.Stream
		return err
	})
	return out, err
}

func (s *Store) updateStream(ctx context.Context, tx querier, a Actor, r streamRow, spec config.Stream, origin, file, action string) error {
	text, err := encodeStream(spec)
	if err != nil {
		return fmt.Errorf("stream %s/%s/%s: %w", r.Department, r.Source, spec.Name, err)
	}
	detail := map[string]any{}
	if fields := changedFields(r.specText, text); len(fields) > 0 {
		detail["changed"] = fields
	}
	if origin != r.Origin {
		detail["origin"] = origin
	}
	res, err := tx.ExecContext(ctx, s.q(`UPDATE registry_streams SET spec = ?, origin = ?, file = ?, revision = revision + 1, updated_at = ? WHERE department = ? AND source = ? AND name = ? AND revision = ?`),
		text, origin, file, s.timeArg(now()), r.Department, r.Source, spec.Name, r.Revision)
	if err != nil {
		return fmt.Errorf("update stream %s/%s/%s: %w", r.Department, r.Source, spec.Name, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("stream %s/%s/%s changed while it was being updated: read it again: %w", r.Department, r.Source, spec.Name, ErrStale)
	}
	return s.record(ctx, tx, a, r.Department, action, r.Department+"/"+r.Source+"/"+spec.Name, detail)
}

// apiStream reads a stream the API is about to change: ErrFileManaged
// when a configuration file declares it.
func (s *Store) apiStream(ctx context.Context, tx *sqlx.Tx, dept, source, name string) (streamRow, error) {
	r, err := s.getStream(ctx, tx, dept, source, name)
	if err == nil && r.Origin == OriginFile {
		err = fileManaged(fmt.Sprintf("stream %s/%s/%s", dept, source, name), r.file)
	}
	return r, err
}

// DeleteStream removes a stream and its mapping versions.
func (s *Store) DeleteStream(ctx context.Context, a Actor, dept, source, name string) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := s.apiStream(ctx, tx, dept, source, name); err != nil {
			return err
		}
		if err := s.deleteStream(ctx, tx, dept, source, name); err != nil {
			return err
		}
		return s.record(ctx, tx, a, dept, "stream.delete", dept+"/"+source+"/"+name, nil)
	})
}

func (s *Store) deleteStream(ctx context.Context, tx querier, dept, source, name string) error {
	for _, q := range []string{
		`DELETE FROM registry_mappings WHERE department = ? AND source = ? AND stream = ?`,
		`DELETE FROM registry_streams WHERE department = ? AND source = ? AND name = ?`,
	} {
		if _, err := tx.ExecContext(ctx, s.q(q), dept, source, name); err != nil {
			return fmt.Errorf("delete stream %s/%s/%s: %w", dept, source, name, err)
		}
	}
	return nil
}

// Mappings. AddMapping stores a new version (not active) after the
// caller compiled it; kind is the record kind it makes.
func (s *Store) AddMapping(ctx context.Context, a Actor, dept, source, stream, kind, text string) (MappingVersion, error) {
	var out MappingVersion
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := s.apiStream(ctx, tx, dept, source, stream); err != nil {
			return err
		}
		var err error
		out, err = s.addMapping(ctx, tx, a, dept, source, stream, kind, text)
		return err
	})
	return out, err
}

func (s *Store) addMapping(ctx context.Context, tx querier, a Actor, dept, source, stream, kind, text string) (MappingVersion, error) {
	if s.db.Dialect == database.Postgres {
		// Two uploads at once must not take the same number. (SQLite
		// transactions are immediate: one writer at a time.)
		if _, err := tx.ExecContext(ctx, `SELECT 1 FROM registry_streams WHERE department = $1 AND source = $2 AND name = $3 FOR UPDATE`, dept, source, stream); err != nil {
			return MappingVersion{}, fmt.Errorf("add mapping to %s/%s/%s: %w", dept, source, stream, err)
		}
	}
	var last sql.NullInt64
	if err := tx.QueryRowxContext(ctx, s.q(`SELECT max(version) FROM registry_mappings WHERE department = ? AND source = ? AND stream = ?`), dept, source, stream).Scan(&last); err != nil {
		return MappingVersion{}, fmt.Errorf("add mapping to %s/%s/%s: %w", dept, source, stream, err)
	}
	sum := sha256.Sum256([]byte(text))
	m := MappingVersion{Department: dept, Source: source, Stream: stream, Version: int(last.Int64) + 1, Kind: kind,
		SHA256: hex.EncodeToString(sum[:]), CreatedAt: now(), CreatedBy: a.Name}
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO registry_mappings (department, source, stream, version, kind, sha256, body, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		dept, source, stream, m.Version, kind, m.SHA256, text, s.timeArg(m.CreatedAt), m.CreatedBy)
	if err != nil {
		return MappingVersion{}, fmt.Errorf("add mapping to %s/%s/%s: %w", dept, source, stream, err)
	}
	err = s.record(ctx, tx, a, dept, "mapping.add", dept+"/"+source+"/"+stream, map[string]any{"version": m.Version, "sha256": m.SHA256, "kind": kind})
	return m, err
}

const mappingColumns = `department, source, stream, version, kind, sha256, created_at, created_by`

func (s *Store) scanMapping(row interface{ Scan(...any) error }, withText bool) (MappingVersion, error) {
	var m MappingVersion
	var created any
	dest := []any{&m.Department, &m.Source, &m.Stream, &m.Version, &m.Kind, &m.SHA256, &created, &m.CreatedBy}
	if withText {
		dest = append(dest, &m.Text)
	}
	if err := row.Scan(dest...); err != nil {
		return m, err
	}
	var err error
	m.CreatedAt, err = mustTime(created)
	return m, err
}

// Mapping returns one version of a stream's mapping, with its text.
func (s *Store) Mapping(ctx context.Context, dept, source, stream string, version int) (MappingVersion, error) {
	return s.mapping(ctx, s.db, dept, source, stream, version)
}

func (s *Store) mapping(ctx context.Context, tx querier, dept, source, stream string, version int) (MappingVersion, error) {
	r, err := s.getStream(ctx, tx, dept, source, stream)
	if err != nil {
		return MappingVersion{}, err
	}
	m, err := s.scanMapping(tx.QueryRowxContext(ctx, s.q(`SELECT `+mappingColumns+`, body FROM registry_mappings WHERE department = ? AND source = ? AND stream = ? AND version = ?`), dept, source, stream, version), true)
	if errors.Is(err, sql.ErrNoRows) {
		return m, notFound(fmt.Sprintf("mapping %s/%s/%s@v%d", dept, source, stream, version))
	}
	if err != nil {
		return m, fmt.Errorf("read mapping %s/%s/%s@v%d: %w", dept, source, stream, version, err)
	}
	m.Active = r.ActiveMapping == version
	return m, nil
}

// Mappings lists a stream's mapping versions, oldest first, without their
// text.
func (s *Store) Mappings(ctx context.Context, dept, source, stream string) ([]MappingVersion, error) {
	r, err := s.getStream(ctx, s.db, dept, source, stream)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryxContext(ctx, s.q(`SELECT `+mappingColumns+` FROM registry_mappings WHERE department = ? AND source = ? AND stream = ? ORDER BY version`), dept, source, stream)
	if err != nil {
		return nil, fmt.Errorf("list mappings of %s/%s/%s: %w", dept, source, stream, err)
	}
	defer rows.Close()
	var out []MappingVersion
	for rows.Next() {
		m, err := s.scanMapping(rows, false)
		if err != nil {
			return nil, fmt.Errorf("list mappings of %s/%s/%s: %w", dept, source, stream, err)
		}
		m.Active = m.Version == r.ActiveMapping
		out = append(out, m)
	}
	return out, rows.Err()
}

// ActivateMapping makes a version the one runs use; activating an older
// version is the roll-back.
func (s *Store) ActivateMapping(ctx context.Context, a Actor, dept, source, stream string, version int) (MappingVersion, error) {
	var out MappingVersion
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		r, err := s.apiStream(ctx, tx, dept, source, stream)
		if err != nil {
			return err
		}
		if err := s.activate(ctx, tx, a, r, version); err != nil {
			return err
		}
		out, err = s.mapping(ctx, tx, dept, source, stream, version)
		return err
	})
	return out, err
}

func (s *Store) activate(ctx context.Context, tx querier, a Actor, r streamRow, version int) error {
	if _, err := s.mapping(ctx, tx, r.Department, r.Source, r.Name(), version); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, s.q(`UPDATE registry_streams SET active_mapping = ?, revision = revision + 1, updated_at = ? WHERE department = ? AND source = ? AND name = ?`),
		version, s.timeArg(now()), r.Department, r.Source, r.Name())
	if err != nil {
		return fmt.Errorf("activate mapping %s/%s/%s@v%d: %w", r.Department, r.Source, r.Name(), version, err)
	}
	return s.record(ctx, tx, a, r.Department, "mapping.activate", r.Department+"/"+r.Source+"/"+r.Name(),
		map[string]any{"version": version, "previous": r.ActiveMapping})
}

// Name is the stream's name.
func (r streamRow) Name() string { return r.Spec.Name }
