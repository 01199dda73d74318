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
	"log/slog"
	"strings"
	"time"

	"github.com/lienthong/lienthong/clients"
	"github.com/lienthong/lienthong/config"
	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/internal/mappingtest"
	"github.com/lienthong/lienthong/mapping"
	"github.com/lienthong/lienthong/registry"
	"github.com/lienthong/lienthong/sync/state"
)

// Scopes of department tokens: the clients register's own, named here so
// the API and the console need not import clients for them.
const (
	ScopeSourcesRead   = clients.ScopeSourcesRead
	ScopeSourcesWrite  = clients.ScopeSourcesWrite
	ScopeMappingsWrite = clients.ScopeMappingsWrite
	ScopeRunsRead      = clients.ScopeRunsRead
	ScopeRunsWrite     = clients.ScopeRunsWrite
	ScopeRejectsRead   = clients.ScopeRejectsRead
	ScopeRejectsWrite  = clients.ScopeRejectsWrite
)

// DepartmentScopes lists the scopes a department's token may be issued.
var DepartmentScopes = clients.DepartmentScopes

// Errors the HTTP layer and the console translate (an unknown, expired or
// revoked token never reaches the service: 401 is theirs): ErrForbidden
// 403 (a scope the token lacks, an admin-only action), ErrNotFound 404,
// ErrConflict 409, ErrRevisionRequired 428, *Invalid 422 (field by field),
// *CheckFailed 422 (what failed against the real system), *SystemError
// 502 (the department's system or the scheduler failed). The messages
// are written for the caller and hold no secret; the registry's and the
// state store's sentinels (registry.ErrFileManaged, registry.ErrStale,
// state.ErrNotRunning) still match with errors.Is.
var (
	ErrForbidden = errors.New("forbidden")
	ErrNotFound  = errors.New("not found")
	ErrConflict  = errors.New("conflict")
	// ErrRevisionRequired is an update without the revision it changes
	// (HTTP 428: If-Match missing). It also matches ErrConflict, for a
	// caller that knows no better answer.
	ErrRevisionRequired = errors.New("revision required")
)

// Invalid is a request whose fields are wrong.
type Invalid struct{ Fields []config.FieldError }

func (e *Invalid) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		if f.Field == "" {
			parts[i] = f.Reason
		} else {
			parts[i] = f.Field + ": " + f.Reason
		}
	}
	return "invalid: " + strings.Join(parts, "; ")
}

// CheckFailed is a registration refused because the check against the
// department's real system failed; Problems are sentences an officer acts
// on, naming the stream or column, never a secret.
type CheckFailed struct {
	Problems []string
	// Warnings are what the check found that would not have refused it.
	Warnings []string
}

func (e *CheckFailed) Error() string {
	return "the check against the department's system failed: " + strings.Join(e.Problems, "; ")
}

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
	// Mapping holds the options mappings compile with (the
	// administrative-unit lists), as the engine compiles them.
	MappingOptions []mapping.Option
	Log            *slog.Logger
}

// DefaultKinds are the connector kinds a department may register when
// Service.Kinds is empty.
var DefaultKinds = []string{"postgres", "mysql", "httpjson"}

func (s *Service) kinds() []string {
	if len(s.Kinds) > 0 {
		return s.Kinds
	}
	return DefaultKinds
}

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.New(slog.DiscardHandler)
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
	// DataUpTo is the cursor value of the newest record delivered (the
	// checkpoint's), when the stream reads by a cursor: how fresh the
	// national copy is, as the department's system dates its records.
	DataUpTo string `json:"data_up_to,omitempty"`
}

// NewToken is a department token as issued: the token is shown once.
type NewToken struct {
	clients.Client
	Token string `json:"token"`
}
