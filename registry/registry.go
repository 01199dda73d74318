// Package registry is where departments, their sources, streams and
// versioned mappings are registered: by lienthong apply (from a YAML file)
// and by departments themselves through the API and the console. The CLI,
// the scheduler and the API all read their streams from it.
//
// It lives in the state store. A source's secret (its DSN with a password,
// or an API token) is sealed with AES-GCM under the operator's key ring
// (internal/keyring) and never leaves the package except through
// SourceSecret, for the run that opens the source. Every change is written
// to a change log (who, what, when; never a secret) in the transaction that
// makes it.
//
// Objects declared in a file (origin "file") belong to that file: apply
// creates, changes and removes them, and the API refuses to change them
// (ErrFileManaged). A department the file declares that was registered
// through the API is taken over by the file.
//
// The package must not open connections to department systems, know HTTP
// or authorisation: callers (internal/ops) decide who may call what.
package registry

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lienthong/lienthong/config"
	"github.com/lienthong/lienthong/internal/database"
	"github.com/lienthong/lienthong/internal/keyring"
)

// Origins of registered objects.
const (
	OriginFile = "file"
	OriginAPI  = "api"
)

// Errors. Callers map them to answers: ErrNotFound 404, ErrExists and
// ErrFileManaged and ErrStale 409, *InvalidError 422.
var (
	ErrNotFound    = errors.New("registry: not found")
	ErrExists      = errors.New("registry: already exists")
	ErrFileManaged = errors.New("registry: declared in a configuration file; change the file and run lienthong apply")
	// ErrStale: the object changed since the revision the caller read.
	ErrStale = errors.New("registry: changed since it was read")
	// ErrInUse: a department that still has sources, a mapping version
	// that is active.
	ErrInUse = errors.New("registry: in use")
)

// InvalidError lists what is wrong with a registration, field by field,
// as strictly as the YAML loader judges the same object.
type InvalidError struct {
	Fields []config.FieldError
}

func (e *InvalidError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Reason
	}
	return "registry: invalid: " + strings.Join(parts, "; ")
}

// Actor is who makes a change, for the change log.
type Actor struct {
	// Name is the token holder's name, "admin", or "apply:<file>".
	Name string
	// Department is the actor's department; empty for the administrator.
	Department string
}

// Department is a registered department.
type Department struct {
	Name      string    `json:"name"`
	Title     string    `json:"title"`
	Origin    string    `json:"origin"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// SecretInfo says whether a source has a secret, never what it is.
type SecretInfo struct {
	Set       bool       `json:"set"`
	KeyID     string     `json:"key_id,omitempty"`
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
}

// Source is a registered source, without its streams and secret. Spec
// holds the same fields as a source of lienthong.yaml (name, kind, dsn
// without password, dsn_env/dsn_file for file-declared sources, timeout,
// options); Spec.Streams is empty.
type Source struct {
	Department string        `json:"department"`
	Spec       config.Source `json:"-"`
	Secret     SecretInfo    `json:"secret"`
	Origin     string        `json:"origin"`
	// Revision grows with every change; Update takes the revision the
	// caller read (If-Match) and fails with ErrStale when it moved.
	Revision  int64     `json:"revision"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// SourceInput is a source to create or the new state of one. Spec is
// decoded by config.DecodeSource (JSON or YAML, strict). Secret, when not
// nil, replaces the secret (an empty string removes it); nil keeps it.
type SourceInput struct {
	Spec   config.Source
	Secret *string
}

// Stream is a registered stream: the fields of a stream of
// lienthong.yaml, except its mapping, which is versioned apart.
type Stream struct {
	Department string        `json:"department"`
	Source     string        `json:"source"`
	Spec       config.Stream `json:"-"`
	// ActiveMapping is the mapping version runs use; 0 when none is
	// active yet (the stream cannot run).
	ActiveMapping int       `json:"active_mapping"`
	Origin        string    `json:"origin"`
	Revision      int64     `json:"revision"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// MappingVersion is one uploaded version of a stream's mapping.
type MappingVersion struct {
	Department string `json:"department"`
	Source     string `json:"source"`
	Stream     string `json:"stream"`
	// Version numbers a stream's uploads 1, 2, 3, ...
	Version int `json:"version"`
	// Kind is the record kind the mapping makes; Name and Declared are
	// the mapping file's own name and version, which provenance records.
	Kind      string    `json:"kind"`
	SHA256    string    `json:"sha256"`
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
	// Text is the mapping file; filled by Mapping, not by Mappings.
	Text string `json:"text,omitempty"`
}

// Change is one entry of the change log.
type Change struct {
	ID         int64     `json:"id"`
	At         time.Time `json:"at"`
	Actor      string    `json:"actor"`
	Department string    `json:"department,omitempty"`
	// Action is e.g. "source.create", "stream.update", "mapping.activate",
	// "token.issue", "token.revoke", "department.create", "apply".
	Action string `json:"action"`
	// Object is the path of what changed, "dept/source/stream".
	Object string `json:"object"`
	// Detail holds the changed fields' names and non-secret values; a
	// secret appears as {"secret": "changed"}.
	Detail json.RawMessage `json:"detail,omitempty"`
}

// ChangeFilter selects change-log entries, newest first.
type ChangeFilter struct {
	Department string
	Limit      int
	// Before lists only entries with an id below it, for paging.
	Before int64
}

// Store is the registry in the state store.
type Store struct {
	db   *database.DB
	keys *keyring.Ring
}

// New returns the registry on the state store's database. keys may be nil
// when no key is configured: sources without a secret still work, and
// sealing or opening one fails with keyring.ErrNoKeys.
func New(db *database.DB, keys *keyring.Ring) *Store { return &Store{db: db, keys: keys} }

//go:embed migrations
var migrations embed.FS

// Migrate applies the registry's migrations.
func (s *Store) Migrate(ctx context.Context) (int, error) {
	ms, err := database.LoadMigrations(migrations, "migrations", s.db.Dialect)
	if err != nil {
		return 0, fmt.Errorf("migrate registry: %w", err)
	}
	n, err := s.db.Migrate(ctx, "registry", ms)
	if err != nil {
		return n, fmt.Errorf("migrate registry: %w", err)
	}
	return n, nil
}

// Pending counts the registry's migrations not yet applied.
func (s *Store) Pending(ctx context.Context) (int, error) {
	ms, err := database.LoadMigrations(migrations, "migrations", s.db.Dialect)
	if err != nil {
		return 0, fmt.Errorf("registry migrations: %w", err)
	}
	return s.db.Pending(ctx, "registry", ms)
}

// ApplyReport says what Apply did, object by object ("dept/source/stream"
// paths).
type ApplyReport struct {
	Created   []string `json:"created"`
	Updated   []string `json:"updated"`
	Unchanged []string `json:"unchanged"`
	Removed   []string `json:"removed"`
	// TakenOver lists API-registered objects the file now declares.
	TakenOver []string `json:"taken_over"`
}
