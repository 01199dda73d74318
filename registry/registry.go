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
	"encoding/json"
	"errors"
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

func (e *InvalidError) Error() string { panic("TODO") }

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

// Migrate applies the registry's migrations.
func (s *Store) Migrate(ctx context.Context) (int, error) { panic("TODO") }

// Pending counts the registry's migrations not yet applied.
func (s *Store) Pending(ctx context.Context) (int, error) { panic("TODO") }

// Departments.
func (s *Store) CreateDepartment(ctx context.Context, a Actor, d Department) (Department, error) {
	panic("TODO")
}
func (s *Store) Department(ctx context.Context, name string) (Department, error) { panic("TODO") }
func (s *Store) ListDepartments(ctx context.Context) ([]Department, error)       { panic("TODO") }

// DeleteDepartment removes a department without sources (ErrInUse).
func (s *Store) DeleteDepartment(ctx context.Context, a Actor, name string) error { panic("TODO") }

// Sources.
func (s *Store) CreateSource(ctx context.Context, a Actor, dept string, in SourceInput) (Source, error) {
	panic("TODO")
}
func (s *Store) Source(ctx context.Context, dept, name string) (Source, error) { panic("TODO") }
func (s *Store) ListSources(ctx context.Context, dept string) ([]Source, error) {
	panic("TODO")
}
func (s *Store) UpdateSource(ctx context.Context, a Actor, dept, name string, revision int64, in SourceInput) (Source, error) {
	panic("TODO")
}

// DeleteSource removes a source and its streams and mapping versions from
// the registry; the ledger, rejects and national records stay.
func (s *Store) DeleteSource(ctx context.Context, a Actor, dept, name string) error { panic("TODO") }

// SourceSecret opens a source's secret, for the run or check that opens
// the source. Never log or return it.
func (s *Store) SourceSecret(ctx context.Context, dept, name string) (string, error) { panic("TODO") }

// Streams.
func (s *Store) CreateStream(ctx context.Context, a Actor, dept, source string, spec config.Stream) (Stream, error) {
	panic("TODO")
}
func (s *Store) Stream(ctx context.Context, dept, source, name string) (Stream, error) {
	panic("TODO")
}
func (s *Store) ListStreams(ctx context.Context, dept, source string) ([]Stream, error) {
	panic("TODO")
}
func (s *Store) UpdateStream(ctx context.Context, a Actor, dept, source, name string, revision int64, spec config.Stream) (Stream, error) {
	panic("TODO")
}
func (s *Store) DeleteStream(ctx context.Context, a Actor, dept, source, name string) error {
	panic("TODO")
}

// Mappings. AddMapping stores a new version (not active) after the
// caller compiled it; kind is the record kind it makes.
func (s *Store) AddMapping(ctx context.Context, a Actor, dept, source, stream, kind, text string) (MappingVersion, error) {
	panic("TODO")
}
func (s *Store) Mapping(ctx context.Context, dept, source, stream string, version int) (MappingVersion, error) {
	panic("TODO")
}
func (s *Store) Mappings(ctx context.Context, dept, source, stream string) ([]MappingVersion, error) {
	panic("TODO")
}

// ActivateMapping makes a version the one runs use; activating an older
// version is the roll-back.
func (s *Store) ActivateMapping(ctx context.Context, a Actor, dept, source, stream string, version int) (MappingVersion, error) {
	panic("TODO")
}

// Config returns every registered department with its sources and
// streams as lienthong.yaml would declare them, for the engine: each
// stream's Mapping is "registry:dept/source/stream@vN" and MappingText its
// active version's text (streams with no active mapping are left out);
// secrets are not opened (ResolvedDSN empty; Registered true).
func (s *Store) Config(ctx context.Context) ([]config.Department, error) { panic("TODO") }

// Changes lists change-log entries, newest first.
func (s *Store) Changes(ctx context.Context, f ChangeFilter) ([]Change, error) { panic("TODO") }

// Record writes a change-log entry for a change made outside the registry
// (a token issued or revoked, a run triggered or cancelled).
func (s *Store) Record(ctx context.Context, a Actor, action, object string, detail any) error {
	panic("TODO")
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

// Apply writes a configuration file's departments into the registry in
// one transaction: each department, source and stream it declares is
// created or updated with origin "file"; each stream's mapping file (read
// with readMapping, compiled by the caller beforehand) becomes a new
// version and is activated when its text changed; file-origin objects of
// those departments that the file no longer declares are removed.
func (s *Store) Apply(ctx context.Context, a Actor, depts []config.Department, readMapping func(path string) ([]byte, error)) (ApplyReport, error) {
	panic("TODO")
}

// RotateSecrets re-seals every secret not sealed under the ring's primary
// key and returns how many it re-sealed.
func (s *Store) RotateSecrets(ctx context.Context, a Actor) (int, error) { panic("TODO") }
