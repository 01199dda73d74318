// Package ops is what the ICT department and the departments do through
// the API (server) and the console (console): register departments and
// issue their tokens; register, check and discover sources; version, test
// and activate mappings; trigger, cancel and follow runs; read, export and
// retry rejects; read the change log.
//
// Every method takes the Caller and decides what it may see and do: the
// administrator manages departments and tokens and reads everything; a
// department's token sees only its own department, whose objects are the
// only ones that exist for it (another department's answer ErrNotFound,
// never "forbidden", so names do not leak), and only with the scope the
// action needs. The HTTP layer and the console translate errors; they hold
// no rule of their own.
//
// Operations that talk to department systems or start runs go through
// Systems, which internal/cli implements with the same connectors, engine
// and scheduler as lienthong sync and serve.
package ops

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/lienthong/lienthong/clients"
	"github.com/lienthong/lienthong/config"
	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/internal/mappingtest"
	"github.com/lienthong/lienthong/registry"
	"github.com/lienthong/lienthong/sync/state"
)

// Scopes of department tokens (clients.Scopes gains them).
const (
	ScopeSourcesRead   = "sources:read"
	ScopeSourcesWrite  = "sources:write"
	ScopeMappingsWrite = "mappings:write"
	ScopeRunsRead      = "runs:read"
	ScopeRunsWrite     = "runs:write"
	ScopeRejectsRead   = "rejects:read"
	ScopeRejectsWrite  = "rejects:write"
)

// Errors the HTTP layer and the console translate: ErrUnauthenticated
// 401, ErrForbidden 403 (a scope the token lacks, an admin-only action),
// ErrNotFound 404, ErrConflict 409, *Invalid 422 (field by field),
// *CheckFailed 422 (what failed against the real system). registry's
// errors pass through wrapped and are matched with errors.Is.
var (
	ErrForbidden = errors.New("forbidden")
	ErrNotFound  = errors.New("not found")
	ErrConflict  = errors.New("conflict")
)

// Invalid is a request whose fields are wrong.
type Invalid struct{ Fields []config.FieldError }

func (e *Invalid) Error() string { panic("TODO") }

// CheckFailed is a registration refused because the check against the
// department's real system failed; Problems are sentences an officer acts
// on, naming the stream or column, never a secret.
type CheckFailed struct {
	Problems []string
}

func (e *CheckFailed) Error() string { panic("TODO") }

// Caller is who asks: the administrator or a token holder of a
// department.
type Caller struct {
	Admin bool
	// Client is the token's holder when not Admin.
	Client clients.Client
}

// Systems is what talks to department systems and to the scheduler;
// internal/cli implements it on the same code as lienthong check,
// discover, mapping test and sync.
type Systems interface {
	// Check opens the source (with its secret resolved) and checks it and
	// each of its streams (Spec.Streams) as lienthong check does: it
	// connects, the tables and columns exist, the key and cursor are
	// there. Problems make the registration fail; warnings do not.
	Check(ctx context.Context, dept string, src config.Source) (CheckReport, error)
	// Discover lists the source's tables or files with suggested keys and
	// cursors.
	Discover(ctx context.Context, dept string, src config.Source) ([]connectors.StreamInfo, error)
	// TestMapping maps up to limit live records of a stream through a
	// mapping text, writing nothing.
	TestMapping(ctx context.Context, ref state.Ref, mappingText []byte, limit int) (mappingtest.Report, error)
	// Trigger asks for a run of the stream now (through the scheduler, on
	// any replica); it returns the job's id.
	Trigger(ctx context.Context, ref state.Ref, by string) (int64, error)
	// Cancel asks a running run to stop at its next batch boundary.
	Cancel(ctx context.Context, runID int64, by string) error
	// RetryRejects re-maps a stream's rejects (of a reason, if given)
	// through its active mapping, as lienthong rejects retry does.
	RetryRejects(ctx context.Context, ref state.Ref, reason string) (state.Run, error)
}

// CheckReport is what Check found.
type CheckReport struct {
	Problems []string `json:"problems,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
}

// Service holds the stores and Systems.
type Service struct {
	Registry *registry.Store
	State    *state.Store
	Clients  *clients.Store
	Systems  Systems
	// Kinds limits the connector kinds a department may register through
	// the API (default postgres, mysql, httpjson: kinds that read a file
	// of this machine or run a program are for the operator's file only).
	Kinds []string
	Log   *slog.Logger
}

// SourceView is a source as the API and console show it: the registry's
// record, its streams and their health.
type SourceView struct {
	registry.Source
	Streams []StreamView `json:"streams"`
}

// StreamView is a stream with its health: last run, last success,
// freshness (the cursor's time, when it is one), rejects outstanding,
// failures in a row.
type StreamView struct {
	registry.Stream
	LastRun             *state.Run `json:"last_run,omitempty"`
	LastSuccessAt       *time.Time `json:"last_success_at,omitempty"`
	RejectsOutstanding  int64      `json:"rejects_outstanding"`
	ConsecutiveFailures int64      `json:"consecutive_failures"`
}

// NewToken is a department token as issued: the token is shown once.
type NewToken struct {
	clients.Client
	Token string `json:"token"`
}

// Departments and their tokens (administrator only).
func (s *Service) CreateDepartment(ctx context.Context, c Caller, d registry.Department) (registry.Department, error) {
	panic("TODO")
}
func (s *Service) ListDepartments(ctx context.Context, c Caller) ([]registry.Department, error) {
	panic("TODO")
}
func (s *Service) IssueToken(ctx context.Context, c Caller, dept, name string, scopes []string, expires *time.Time) (NewToken, error) {
	panic("TODO")
}
func (s *Service) ListTokens(ctx context.Context, c Caller, dept string) ([]clients.Client, error) {
	panic("TODO")
}
func (s *Service) RevokeToken(ctx context.Context, c Caller, dept, name string) error { panic("TODO") }

// Sources: body is the source as JSON (lienthong.yaml's keys, with its
// streams, plus "secret"), decoded strictly; create and update check it
// against the real system before saving.
func (s *Service) CreateSource(ctx context.Context, c Caller, dept string, body []byte) (SourceView, error) {
	panic("TODO")
}
func (s *Service) Source(ctx context.Context, c Caller, dept, name string) (SourceView, error) {
	panic("TODO")
}
func (s *Service) ListSources(ctx context.Context, c Caller, dept string) ([]SourceView, error) {
	panic("TODO")
}
func (s *Service) UpdateSource(ctx context.Context, c Caller, dept, name string, revision int64, body []byte) (SourceView, error) {
	panic("TODO")
}
func (s *Service) DeleteSource(ctx context.Context, c Caller, dept, name string) error { panic("TODO") }
func (s *Service) Discover(ctx context.Context, c Caller, dept, name string) ([]connectors.StreamInfo, error) {
	panic("TODO")
}

// Streams of a source.
func (s *Service) CreateStream(ctx context.Context, c Caller, dept, source string, body []byte) (StreamView, error) {
	panic("TODO")
}
func (s *Service) Stream(ctx context.Context, c Caller, ref state.Ref) (StreamView, error) {
	panic("TODO")
}
func (s *Service) UpdateStream(ctx context.Context, c Caller, ref state.Ref, revision int64, body []byte) (StreamView, error) {
	panic("TODO")
}
func (s *Service) DeleteStream(ctx context.Context, c Caller, ref state.Ref) error { panic("TODO") }

// Mappings: upload compiles the text first (errors by line and key) and
// stores a new inactive version; test maps live records through a version;
// activate makes it the one runs use (an older one: the roll-back).
func (s *Service) UploadMapping(ctx context.Context, c Caller, ref state.Ref, text []byte) (registry.MappingVersion, error) {
	panic("TODO")
}
func (s *Service) Mappings(ctx context.Context, c Caller, ref state.Ref) ([]registry.MappingVersion, error) {
	panic("TODO")
}
func (s *Service) Mapping(ctx context.Context, c Caller, ref state.Ref, version int) (registry.MappingVersion, error) {
	panic("TODO")
}
func (s *Service) TestMapping(ctx context.Context, c Caller, ref state.Ref, version, limit int) (mappingtest.Report, error) {
	panic("TODO")
}
func (s *Service) ActivateMapping(ctx context.Context, c Caller, ref state.Ref, version int) (registry.MappingVersion, error) {
	panic("TODO")
}

// Runs.
func (s *Service) Trigger(ctx context.Context, c Caller, ref state.Ref) (int64, error) { panic("TODO") }
func (s *Service) Cancel(ctx context.Context, c Caller, runID int64) error             { panic("TODO") }
func (s *Service) Runs(ctx context.Context, c Caller, f state.Filter) ([]state.Run, error) {
	panic("TODO")
}
func (s *Service) Run(ctx context.Context, c Caller, id int64) (state.Run, error) { panic("TODO") }

// Rejects: filters by department (forced for a department token),
// source, stream, reason, field; ExportRejects writes CSV (UTF-8 with a
// byte-order mark, so Excel reads Vietnamese) without holding the list in
// memory.
func (s *Service) Rejects(ctx context.Context, c Caller, f state.Filter) ([]state.Reject, error) {
	panic("TODO")
}
func (s *Service) ExportRejects(ctx context.Context, c Caller, f state.Filter, w io.Writer) error {
	panic("TODO")
}
func (s *Service) RetryRejects(ctx context.Context, c Caller, ref state.Ref, reason string) (state.Run, error) {
	panic("TODO")
}

// Changes reads the change log (administrator only).
func (s *Service) Changes(ctx context.Context, c Caller, f registry.ChangeFilter) ([]registry.Change, error) {
	panic("TODO")
}
