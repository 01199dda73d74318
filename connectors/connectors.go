// Package connectors defines how lienthong reads from a department's system:
// the Source interface every connector implements, the Stream a source is asked
// to read, and the registry that maps a connector kind ("postgres", "sqlite",
// ...) to the factory that opens it.
//
// The registry follows database/sql: a connector package calls Register from
// its init function, and the binary blank-imports the connectors it ships.
//
// A Source must implement Check, Read and Close. Optional abilities are found
// by type assertion:
//
//   - Discoverer: lists the streams a source offers, with columns and a
//     suggested primary key and cursor.
//   - ColumnLister: tells, before a read, which columns a stream delivers,
//     so a mapping that reads a column the stream lacks fails before
//     anything is read or rejected.
//   - Advisor: warns about a stream's setup that works but will hurt (a SQL
//     table without an index on its cursor and primary key).
//
// This package must not know any connector kind, database driver or record
// kind: it is the narrow waist between connectors and the engine.
package connectors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/lienthong/lienthong/internal/netguard"
)

// ErrEndOfStream is returned by Reader.Next when the stream has no more
// records for this read. It is a signal, not a failure.
var ErrEndOfStream = errors.New("connectors: end of stream")

// Mode says how a stream is read.
type Mode string

const (
	// Incremental reads only what changed since the checkpoint, ordered by the
	// stream's (cursor, primary key).
	Incremental Mode = "incremental"
	// FullRefresh reads every record; the engine uses a completed full read
	// to detect deletions.
	FullRefresh Mode = "full_refresh"
)

// Stream is one readable collection of a source: a table, a view or a query.
type Stream struct {
	// Name identifies the stream within its source.
	Name string
	// Table is a table or view name, optionally schema-qualified. Exactly one
	// of Table and Query is set.
	Table string
	// Query is a SELECT whose result is the stream.
	Query string
	// PrimaryKey lists the column(s) that identify a record in the source.
	PrimaryKey []string
	// Cursor is the column that grows when a record changes; required for
	// incremental reads.
	Cursor string
	// LookBack re-reads records whose cursor lies this far below the
	// checkpoint, to catch rows committed late. For a time cursor it is a
	// duration ("10m"); for a numeric cursor a number ("500").
	LookBack string
}

// Checkpoint is a connector's opaque position in a stream, stored by the
// engine and handed back on the next read. A nil Checkpoint means "from the
// beginning".
type Checkpoint = json.RawMessage

// ReadRequest asks a Source for one read of one stream.
type ReadRequest struct {
	Stream Stream
	Mode   Mode
	// From is the checkpoint of the last committed batch, or nil.
	From Checkpoint
	// PageSize bounds how many rows the connector holds in memory at once.
	PageSize int
}

// Record is one source row, as the connector read it.
type Record struct {
	// Key is the record's primary key in the source, canonical text: the
	// primary key values joined by "|" in column order.
	Key string
	// Fields holds the row's columns. Values are nil, string, int64,
	// float64, bool, []byte or time.Time.
	Fields map[string]any
	// NullCursor is true when the record's cursor column was NULL.
	NullCursor bool
	// Position is the checkpoint that resumes the read just after this
	// record.
	Position Checkpoint
	// PositionFunc, when set instead of Position, makes the record's
	// position on demand. A connector whose positions are large (the file
	// connector's history of files read) then pays for encoding one only
	// where the engine needs it, at batch boundaries. Read positions with
	// Checkpoint.
	PositionFunc func() Checkpoint
	// Problem, when set, says the connector could not read this record's
	// content (a malformed CSV row, a line that is not JSON). The engine
	// rejects it with the problem's reason, keeping Fields as the raw
	// record; the rest of the stream goes on.
	Problem *Problem
}

// Checkpoint returns the position that resumes a read just after the
// record.
func (r Record) Checkpoint() Checkpoint {
	if r.PositionFunc != nil {
		return r.PositionFunc()
	}
	return r.Position
}

// Problem is why a connector could not read one record.
type Problem struct {
	// Code is a stable reason code, e.g. "malformed_row".
	Code string
	// Field names the column at fault, if one is.
	Field string
	// Message says what is wrong and where (file, line), for the
	// department officer who fixes it.
	Message string
}

// Reader yields the records of one read, in checkpoint order.
//
// A Reader may also have a method Recycle(fields map[string]any): the
// engine then hands back each record's Fields map once the record's batch
// is committed, and the reader may clear and fill it again for a later
// record (sqlsource and file do, to spare the garbage collector a map per
// row). Until then the map must not change.
type Reader interface {
	// Next returns the next record, or ErrEndOfStream when there is none.
	Next(ctx context.Context) (Record, error)
	// Final returns the checkpoint the next read should start from. It is valid only after Next returned ErrEndOfStream.
	Final() Checkpoint
	// Close releases the reader's resources.
	Close() error
}

// Source is an opened connection to one department system.
type Source interface {
	// Check verifies that the source answers and that the stream can be read.
	Check(ctx context.Context, s Stream) error
	// Read starts a read of a stream from a checkpoint.
	Read(ctx context.Context, req ReadRequest) (Reader, error)
	// Close releases the source.
	Close() error
}

// Column describes one column of a discovered stream.
type Column struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Nullable bool   `json:"nullable"`
	// Encoding is the text encoding the column's sampled values were
	// written in, as vn.DetectText or vn.Detect tells it: "utf-8" for clean
	// Unicode text, or a legacy encoding ("tcvn3", "vni", "windows-1258",
	// "viqr") whose text a mapping decodes with decode(col, "tcvn3"), raw
	// bytes or misread into a Unicode column alike. A connector that
	// decodes a whole file itself reports the file's encoding on every
	// column. Empty for columns that hold no text, or no sampled value.
	Encoding string `json:"encoding,omitempty"`
	// EncodingConfidence is how sure detection is of Encoding, from 0 to
	// 1: little evidence (a few short words) or two readings alike
	// plausible give a low one.
	EncodingConfidence float64 `json:"encoding_confidence,omitempty"`
}

// StreamInfo is what discovery learns about a stream.
type StreamInfo struct {
	Name             string   `json:"name"`
	Columns          []Column `json:"columns"`
	SuggestedKey     []string `json:"suggested_primary_key,omitempty"`
	SuggestedCursor  string   `json:"suggested_cursor,omitempty"`
	EstimatedRecords int64    `json:"estimated_records,omitempty"`
}

// Discoverer is implemented by sources that can list their streams.
type Discoverer interface {
	Discover(ctx context.Context) ([]StreamInfo, error)
}

// ColumnLister is implemented by sources that can tell which columns a
// stream delivers without reading its records: a SQL table's or query's
// result columns, a CSV file's header, a Singer program's SCHEMA message.
// ok is false when the source cannot tell for this stream (no file has
// arrived yet, an API whose records vary), and the caller then skips the
// check rather than failing.
type ColumnLister interface {
	Columns(ctx context.Context, s Stream) (cols []string, ok bool, err error)
}

// Advisor is implemented by sources that can warn about a stream's setup
// without failing it. Warnings are sentences an operator acts on, e.g.
// `table "ho_tich" has no index on (ngay_cap_nhat, id): every page scans the
// table; create one`.
type Advisor interface {
	Advise(ctx context.Context, s Stream) (warnings []string, err error)
}

// Config is what a factory receives: the source's options from the
// configuration file and its resolved secret.
type Config struct {
	// Name is the source's name, for errors.
	Name string
	// Kind is the connector kind.
	Kind string
	// DSN is the resolved connection string. It may hold a password: never
	// log it or put it in an error.
	DSN string
	// Options holds the connector-specific settings.
	Options map[string]any
	// Timeout bounds one query or request; zero means the connector default.
	Timeout time.Duration
	// Dir resolves relative paths in Options (the configuration file's
	// directory).
	Dir string
	// Log receives the connector's own messages (a child program's stderr,
	// retries); never nil when opened by the engine's callers.
	Log *slog.Logger
	// HTTP, when set, is told of every HTTP request the connector sends to
	// its source, for metrics. Nil means nobody listens.
	HTTP HTTPObserver
	// Guard, when set, judges the resolved address of every connection the
	// connector opens to its source (internal/netguard), in place of any
	// policy of its own options. nil: no policy; set for sources
	// departments register through the API, whose addresses lienthong was
	// not told to trust.
	Guard *netguard.Guard
}

// HTTPObserver is told of the HTTP requests a connector sends to its
// source. Implementations must be safe for concurrent use.
type HTTPObserver interface {
	// Attempt reports one attempt's status code; 0 when no answer came.
	Attempt(code int)
	// Retry reports an attempt that retries a failed one.
	Retry()
}

// Factory opens a Source.
type Factory func(ctx context.Context, cfg Config) (Source, error)

var (
	mu        sync.RWMutex
	factories = map[string]Factory{}
)

// Register makes a connector kind available. It panics if factory is nil or
// the kind is registered twice, as both are programming errors.
func Register(kind string, factory Factory) {
	mu.Lock()
	defer mu.Unlock()
	if factory == nil {
		panic("connectors: Register factory is nil for " + kind)
	}
	if _, dup := factories[kind]; dup {
		panic("connectors: Register called twice for " + kind)
	}
	factories[kind] = factory
}

// Kinds returns the registered connector kinds, sorted.
func Kinds() []string {
	mu.RLock()
	defer mu.RUnlock()
	kinds := make([]string, 0, len(factories))
	for k := range factories {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	return kinds
}

// Open opens a source of a registered kind.
func Open(ctx context.Context, cfg Config) (Source, error) {
	mu.RLock()
	factory, ok := factories[cfg.Kind]
	mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("source %q: unknown connector %q (is it imported?); known kinds: %s", cfg.Name, cfg.Kind, strings.Join(Kinds(), ", "))
	}
	src, err := factory(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("source %q: open %s: %w", cfg.Name, cfg.Kind, err)
	}
	return src, nil
}

// ReadAll drains a reader: every record until ErrEndOfStream, and Final.
// It holds the whole read in memory, so it is for tests, samples and small
// streams, never for a sync.
func ReadAll(ctx context.Context, r Reader) ([]Record, Checkpoint, error) {
	var recs []Record
	for {
		rec, err := r.Next(ctx)
		if errors.Is(err, ErrEndOfStream) {
			return recs, r.Final(), nil
		}
		if err != nil {
			return recs, nil, err
		}
		recs = append(recs, rec)
	}
}
