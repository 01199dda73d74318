// Package national is the national store: the common-schema records that
// lienthong delivers, with the provenance of each, and the pre-fill read the
// public-service portal uses.
//
// Writes are batched and idempotent: a batch is upserted by (record kind,
// natural key) in one transaction, a record whose content hash did not change
// is not rewritten, and writing the same batch twice changes nothing. On
// PostgreSQL new keys are copied straight into the table and changed records
// are copied into a staging table and merged, with a few set-based
// statements (docs/PERFORMANCE.md); on the embedded SQLite store a batch is
// written row by row inside one transaction.
//
// A source record holds at most one live record: when its natural key
// changes, the record under the old key is marked deleted. A natural key held
// by another source record is never taken over while that record is live.
//
// The package must not know connectors, mappings or the run ledger: it
// receives validated records and says what became of each.
package national

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/lienthong/lienthong/internal/database"
)

// Provenance says where a batch of records came from.
type Provenance struct {
	Department string
	Source     string
	Stream     string
	// RunID is the run that wrote the batch.
	RunID int64
	// Generation is the full-refresh generation the batch belongs to; every
	// record written or seen unchanged in it is marked seen by it (on
	// PostgreSQL an unchanged record's source key is recorded rather than
	// the record rewritten), so a completed full read can mark the records
	// it did not see as deleted. Zero for incremental runs, which leave the
	// marks alone.
	Generation int64
	// MappingVersion names the mapping that made the records.
	MappingVersion string
}

// Item is one validated record to write.
type Item struct {
	Kind       string
	NaturalKey string
	// SourceKey is the record's primary key in its source.
	SourceKey string
	// Data is the record's canonical JSON (see schema.Canonical).
	Data []byte
	// Hash is the SHA-256 of Data.
	Hash [32]byte
	// Values holds the values Data encodes, by the index of their field in
	// the kind's schema.Kind.Fields (nil where a field has none), when the
	// writer has them (the engine does); the PostgreSQL store writes them
	// to the kind's typed columns, and decodes Data when Values is nil.
	// Values must not change while the write is under way.
	Values []any
}

// Batch is what a writer commits for one batch of a stream: the records
// to write, and the source records the batch read but does not write.
type Batch struct {
	Items []Item
	// Unwritten are the source keys of records the batch read but could
	// not deliver (rejected before they reached the store). On a full
	// refresh (Provenance.Generation > 0) they count as seen, as Touch
	// does, with the items the store itself refuses (Conflict, Rejected):
	// their records' last good version must not be marked deleted.
	Unwritten []string
	// Skipped are the source keys the mapping now skips on purpose: their
	// live records are retired, as Retire does, after the items are
	// written.
	Skipped []string
}

// Outcome is what a write did with one item.
type Outcome uint8

const (
	// Inserted: the natural key was new.
	Inserted Outcome = iota + 1
	// Updated: the content changed, or a deleted record came back.
	Updated
	// Unchanged: the content hash matched; nothing was rewritten.
	Unchanged
	// Conflict: the natural key belongs to a different source record; the
	// item was not written.
	Conflict
	// Rejected: a national store reached over its API refused the item;
	// Result.Rejections says why. The item was not written.
	Rejected
)

func (o Outcome) String() string {
	switch o {
	case Inserted:
		return "inserted"
	case Updated:
		return "updated"
	case Unchanged:
		return "unchanged"
	case Conflict:
		return "conflict"
	case Rejected:
		return "rejected"
	}
	return "unknown"
}

// Result reports a batch write, item by item.
type Result struct {
	// Outcomes has one entry per item, in the items' order.
	Outcomes []Outcome
	// ConflictWith holds, for each item with a Conflict outcome, the
	// provenance that owns its natural key: "department/source/stream key".
	ConflictWith map[int]string
	// Rejections holds, for each item with a Rejected outcome, the
	// national side's reason.
	Rejections map[int]Rejection
	// Retired counts the records WriteBatch retired for Batch.Skipped.
	Retired int64
}

// refused returns the source keys of the items the store did not write
// because it refused them (Conflict, Rejected).
func (r Result) refused(items []Item) []string {
	var keys []string
	for i, o := range r.Outcomes {
		if o == Conflict || o == Rejected {
			keys = append(keys, items[i].SourceKey)
		}
	}
	return keys
}

// WriteInSteps is WriteBatch made of Write, Touch and Retire, each
// committed on its own, for a store that cannot do the three in one
// transaction. A failure after Write leaves the batch to be written again,
// which changes nothing already written.
func WriteInSteps(ctx context.Context, s Store, p Provenance, b Batch) (Result, error) {
	res, err := s.Write(ctx, p, b.Items)
	if err != nil {
		return Result{}, err
	}
	if seen := append(slices.Clip(b.Unwritten), res.refused(b.Items)...); p.Generation > 0 && len(seen) > 0 {
		if err := s.Touch(ctx, p, seen); err != nil {
			return Result{}, err
		}
	}
	if len(b.Skipped) > 0 {
		if res.Retired, err = s.Retire(ctx, p, b.Skipped); err != nil {
			return Result{}, err
		}
	}
	return res, nil
}

// Rejection is why a national store refused an item: a reason code (the
// common schema's, or the national side's own), the field at fault when
// known, and a message for the department.
type Rejection struct {
	Code, Field, Message string
}

// ErrNewerRun is returned by Write when a record of the stream was written
// by a later run than the writer's: the writer lost its lease and another
// run took its stream over, so its batch must not land.
var ErrNewerRun = errors.New("national: a newer run of the stream wrote the record")

// Document is a national record as the portal receives it.
type Document struct {
	Kind         string          `json:"kind"`
	Key          string          `json:"key"`
	Data         json.RawMessage `json:"data"`
	Department   string          `json:"department"`
	Source       string          `json:"source"`
	Stream       string          `json:"stream"`
	SourceKey    string          `json:"source_key"`
	LastSyncedAt time.Time       `json:"last_synced_at"`
	Deleted      bool            `json:"deleted,omitempty"`
}

// Store is the national store.
type Store interface {
	// Migrate applies the store's pending migrations.
	Migrate(ctx context.Context) (int, error)
	// Write upserts a batch in one transaction. Items that share a natural
	// key within the batch are resolved as if written in order.
	Write(ctx context.Context, p Provenance, items []Item) (Result, error)
	// WriteBatch writes a batch's items, then, on a full refresh, marks
	// its unwritten and refused records seen (Touch), then retires its
	// skipped records (Retire): in one transaction where the store can
	// (PostgreSQL), so that a batch costs one commit (see WriteInSteps).
	WriteBatch(ctx context.Context, p Provenance, b Batch) (Result, error)
	// MarkDeleted marks as deleted every live record of the stream whose
	// generation stamp is not generation, and returns how many records the
	// generation has marked deleted, over all its attempts (a refresh
	// resumed after a crash between marking and finishing still reports
	// them).
	// Call it only after a full read of that generation completed.
	MarkDeleted(ctx context.Context, p Provenance) (int64, error)
	// Unseen counts the live records of the stream whose generation stamp
	// is not p.Generation: what MarkDeleted would mark now. The engine
	// asks before marking, to refuse a full refresh that would delete far
	// more than a source loses between two reads.
	Unseen(ctx context.Context, p Provenance) (int64, error)
	// Touch stamps the full-refresh generation on the live records of the
	// given source keys without changing them. A full refresh calls it for
	// the records it read but could not deliver (rejected): they still
	// exist at the source, so their last good version must not be marked
	// deleted.
	Touch(ctx context.Context, p Provenance, sourceKeys []string) error
	// Retire marks deleted the live records of the given source keys: their
	// source rows are now skipped on purpose by the mapping (a test row, a
	// record of another kind), so what they delivered earlier must go. It
	// returns how many it marked.
	Retire(ctx context.Context, p Provenance, sourceKeys []string) (int64, error)
	// Get returns one record by kind and natural key, deleted or not.
	Get(ctx context.Context, kind, key string) (Document, bool, error)
	// Prefill returns the live records about one citizen, found by personal
	// ID number, for a form to pre-fill.
	Prefill(ctx context.Context, idNumber string) ([]Document, error)
	// Count returns the number of live records of a stream, for reports.
	Count(ctx context.Context, department, source, stream string) (int64, error)
	// Anonymise removes the personal data of the stream's records marked
	// deleted before the given time, and returns how many it changed. See
	// retention.go for what a record keeps.
	Anonymise(ctx context.Context, department, source, stream string, before time.Time) (int64, error)
}

// New returns the national store kept in db, in db's dialect.
func New(db *database.DB) Store {
	switch db.Dialect {
	case database.Postgres:
		return &pgStore{db: db, stats: newAnalyzer()}
	case database.SQLite:
		return &sqliteStore{db: db}
	}
	panic(fmt.Sprintf("national: unknown dialect %q", db.Dialect))
}

// checkGeneration refuses to mark deletions without a generation: every
// record stamped by a full read would look unseen.
func checkGeneration(p Provenance) error {
	if p.Generation <= 0 {
		return fmt.Errorf("mark deleted in %s/%s/%s: generation is %d; pass the generation of the full read that completed",
			p.Department, p.Source, p.Stream, p.Generation)
	}
	return nil
}

// queryDocuments runs a dialect's pre-fill query, scanning each row with
// the dialect's scan.
func queryDocuments(ctx context.Context, db *database.DB, scan func(interface{ Scan(...any) error }) (Document, error),
	query string, args ...any) ([]Document, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("prefill: %w", err)
	}
	return scanDocuments(rows, scan)
}

// scanDocuments reads the rows of a pre-fill query and closes them.
func scanDocuments(rows *sql.Rows, scan func(interface{ Scan(...any) error }) (Document, error)) ([]Document, error) {
	defer rows.Close()
	var docs []Document
	for rows.Next() {
		d, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("prefill: %w", err)
		}
		docs = append(docs, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("prefill: %w", err)
	}
	return docs, nil
}
