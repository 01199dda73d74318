package registry

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/jmoiron/sqlx"

	"github.com/lienthong/lienthong/config"
	"github.com/lienthong/lienthong/internal/database"
)

func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// timeArg is how a time is written: timestamptz on PostgreSQL, fixed-width
// UTC text on SQLite.
func (s *Store) timeArg(t time.Time) any { return s.db.TimeArg(t) }

func (s *Store) timeArgPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return s.timeArg(*t)
}

func scanTime(v any) (*time.Time, error) { return database.ScanTime(v) }

func mustTime(v any) (time.Time, error) {
	t, err := scanTime(v)
	if err != nil {
		return time.Time{}, err
	}
	if t == nil {
		return time.Time{}, errors.New("missing time")
	}
	return *t, nil
}

// inTx runs f in one transaction and commits it when f returns nil.
func (s *Store) inTx(ctx context.Context, f func(tx *sqlx.Tx) error) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// querier is a transaction or the database.
type querier interface {
	QueryRowxContext(ctx context.Context, query string, args ...any) *sqlx.Row
	QueryxContext(ctx context.Context, query string, args ...any) (*sqlx.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func (s *Store) q(query string) string { return s.db.Rebind(query) }

// record writes a change-log entry inside tx. detail must never hold a
// secret: callers pass field names and {"secret": "changed"}.
func (s *Store) record(ctx context.Context, tx querier, a Actor, dept, action, object string, detail any) error {
	var d any
	if detail != nil {
		b, err := json.Marshal(detail)
		if err != nil {
			return fmt.Errorf("change log: %w", err)
		}
		d = string(b)
	}
	name := a.Name
	if name == "" {
		name = "unknown"
	}
	if dept == "" {
		dept = a.Department
	}
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO registry_changes (at, actor, department, action, object, detail) VALUES (?, ?, ?, ?, ?, ?)`),
		s.timeArg(now()), name, dept, action, object, d)
	if err != nil {
		return fmt.Errorf("change log: %w", err)
	}
	return nil
}

// Record writes a change-log entry for a change made outside the registry
// (a token issued or revoked, a run triggered or cancelled).
func (s *Store) Record(ctx context.Context, a Actor, action, object string, detail any) error {
	dept, _, _ := strings.Cut(object, "/")
	if a.Department != "" {
		dept = a.Department
	}
	return s.record(ctx, s.db, a, dept, action, object, detail)
}

// Changes lists change-log entries, newest first.
func (s *Store) Changes(ctx context.Context, f ChangeFilter) ([]Change, error) {
	q := `SELECT id, at, actor, department, action, object, detail FROM registry_changes WHERE 1 = 1`
	var args []any
	if f.Department != "" {
		q += ` AND department = ?`
		args = append(args, f.Department)
	}
	if f.Before > 0 {
		q += ` AND id < ?`
		args = append(args, f.Before)
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	q += fmt.Sprintf(` ORDER BY id DESC LIMIT %d`, limit)
	rows, err := s.db.QueryxContext(ctx, s.q(q), args...)
	if err != nil {
		return nil, fmt.Errorf("list changes: %w", err)
	}
	defer rows.Close()
	var out []Change
	for rows.Next() {
		var c Change
		var at any
		var detail sql.NullString
		if err := rows.Scan(&c.ID, &at, &c.Actor, &c.Department, &c.Action, &c.Object, &detail); err != nil {
			return nil, fmt.Errorf("list changes: %w", err)
		}
		if c.At, err = mustTime(at); err != nil {
			return nil, fmt.Errorf("list changes: change %d: %w", c.ID, err)
		}
		if detail.Valid {
			c.Detail = json.RawMessage(detail.String)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// sourceSpec mirrors config.Source field for field, so that a conversion
// between the two fails to compile when config.Source changes. It is the
// stored form: JSON, durations in nanoseconds; options apart, as YAML, so
// they decode to the very types the file loader gives.
type sourceSpec struct {
	Name        string          `json:"name"`
	Kind        string          `json:"kind"`
	DSN         string          `json:"dsn,omitempty"`
	DSNEnv      string          `json:"dsn_env,omitempty"`
	DSNFile     string          `json:"dsn_file,omitempty"`
	Timeout     time.Duration   `json:"timeout,omitempty"`
	Options     map[string]any  `json:"-"`
	Streams     []config.Stream `json:"-"`
	ResolvedDSN string          `json:"-"`
	Sealed      bool            `json:"-"`
	Origin      string          `json:"-"`
}

type storedSource struct {
	sourceSpec
	OptionsYAML string `json:"options_yaml,omitempty"`
}

// streamSpec mirrors config.Stream; see sourceSpec.
type streamSpec struct {
	Name              string        `json:"name"`
	Table             string        `json:"table,omitempty"`
	Query             string        `json:"query,omitempty"`
	PrimaryKey        []string      `json:"primary_key"`
	Cursor            string        `json:"cursor,omitempty"`
	Mode              string        `json:"mode,omitempty"`
	LookBack          string        `json:"look_back,omitempty"`
	Mapping           string        `json:"mapping,omitempty"`
	MappingText       []byte        `json:"-"`
	Kind              string        `json:"kind,omitempty"`
	PageSize          int           `json:"page_size"`
	Batch             *config.Batch `json:"batch,omitempty"`
	MaxDeleteRatio    float64       `json:"max_delete_ratio"`
	RetryTransientFor time.Duration `json:"retry_transient_for"`
	Schedule          string        `json:"schedule,omitempty"`
	TimeZone          string        `json:"timezone,omitempty"`
	Timeout           time.Duration `json:"timeout,omitempty"`
	MaxRuntime        time.Duration `json:"max_runtime,omitempty"`
}

func encodeSource(src config.Source) (string, error) {
	st := storedSource{sourceSpec: sourceSpec(src)}
	st.Streams, st.ResolvedDSN, st.Sealed, st.Origin = nil, "", false, ""
	if src.Options != nil {
		b, err := yaml.Marshal(src.Options)
		if err != nil {
			return "", fmt.Errorf("encode options: %w", err)
		}
		st.OptionsYAML = string(b)
	}
	b, err := json.Marshal(st)
	return string(b), err
}

func decodeSource(text string) (config.Source, error) {
	var st storedSource
	if err := json.Unmarshal([]byte(text), &st); err != nil {
		return config.Source{}, fmt.Errorf("decode stored source: %w", err)
	}
	if st.OptionsYAML != "" {
		if err := yaml.Unmarshal([]byte(st.OptionsYAML), &st.Options); err != nil {
			return config.Source{}, fmt.Errorf("decode stored options: %w", err)
		}
	}
	return config.Source(st.sourceSpec), nil
}

func encodeStream(s config.Stream) (string, error) {
	sp := streamSpec(s)
	sp.MappingText = nil
	b, err := json.Marshal(sp)
	return string(b), err
}

func decodeStream(text string) (config.Stream, error) {
	var sp streamSpec
	if err := json.Unmarshal([]byte(text), &sp); err != nil {
		return config.Stream{}, fmt.Errorf("decode stored stream: %w", err)
	}
	return config.Stream(sp), nil
}

// checkName refuses a name the configuration file would refuse.
func checkName(field, name string) error {
	if config.ValidName(name) {
		return nil
	}
	return &InvalidError{Fields: []config.FieldError{{Field: field, Reason: fmt.Sprintf("invalid name %q: %s", name, config.NameRule)}}}
}

// fileManaged is ErrFileManaged naming the object and its file.
func fileManaged(object, file string) error {
	if file == "" {
		file = "a configuration file"
	}
	return fmt.Errorf("%s is declared in %s: %w", object, file, ErrFileManaged)
}

func notFound(what string) error { return fmt.Errorf("%s: %w", what, ErrNotFound) }

// isUnique reports a unique or primary-key violation: two writers that
// both found a name free; the second is told the name exists.
func isUnique(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "duplicate key") || strings.Contains(msg, "UNIQUE constraint")
}

// insertErr names what an insert failed to create.
func insertErr(what string, err error) error {
	if isUnique(err) {
		return fmt.Errorf("%s: %w", what, ErrExists)
	}
	return fmt.Errorf("create %s: %w", what, err)
}
