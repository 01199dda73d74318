package national

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/lienthong/lienthong/internal/database"
)

// sqliteStore is the national store on an embedded SQLite file, for demos
// and single-machine installs: it writes row by row, which SQLite does
// quickly inside one transaction.
type sqliteStore struct {
	db *database.DB
}

var _ Store = (*sqliteStore)(nil)

// sqliteTime is how times are stored: UTC with a fixed width, so that text
// order is time order.
const sqliteTime = "2006-01-02T15:04:05.000000000Z07:00"

func sqliteNow() string { return time.Now().UTC().Format(sqliteTime) }

func (s *sqliteStore) Migrate(ctx context.Context) (int, error) { return migrate(ctx, s.db) }

const (
	sqliteState = `
SELECT department, source, stream, source_key, content_hash,
       deleted_at IS NULL, seen_generation, last_run_id
FROM national_records WHERE kind = ? AND natural_key = ?`
	sqliteInsert = `
INSERT INTO national_records (
    kind, natural_key, data, content_hash,
    department, source, stream, source_key, mapping_version,
    first_synced_at, last_synced_at, last_run_id, seen_generation)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	sqliteUpdate = `
UPDATE national_records SET
    data = ?, content_hash = ?,
    department = ?, source = ?, stream = ?, source_key = ?, mapping_version = ?,
    last_synced_at = ?, last_run_id = ?, seen_generation = ?, deleted_at = NULL
WHERE kind = ? AND natural_key = ?`
	sqliteStamp = `
UPDATE national_records SET seen_generation = ? WHERE kind = ? AND natural_key = ?`
	sqliteSupersede = `
UPDATE national_records SET deleted_at = ?
WHERE department = ? AND source = ? AND stream = ? AND source_key = ?
  AND deleted_at IS NULL AND NOT (kind = ? AND natural_key = ?)`
)

// sqliteRecord is the stored state of a natural key that a write decides on.
type sqliteRecord struct {
	owner      owner
	hash       []byte
	live       bool
	generation int64
	lastRun    int64
}

// sqliteWriter holds the statements of one batch write.
type sqliteWriter struct {
	state, insert, update, stamp, supersede *sql.Stmt
}

// WriteBatch commits Write, Touch and Retire one by one: on SQLite a
// commit costs little, and the three stay as simple as they are.
func (s *sqliteStore) WriteBatch(ctx context.Context, p Provenance, b Batch) (Result, error) {
	return WriteInSteps(ctx, s, p, b)
}

func (s *sqliteStore) Write(ctx context.Context, p Provenance, items []Item) (Result, error) {
	if len(items) == 0 {
		return Result{Outcomes: []Outcome{}}, nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Result{}, fmt.Errorf("write batch: begin: %w", err)
	}
	defer tx.Rollback()
	w, err := prepareSQLiteWriter(ctx, tx)
	if err != nil {
		return Result{}, fmt.Errorf("write batch: prepare: %w", err)
	}
	defer w.close()

	owners := make(map[recordKey]owner)
	for _, it := range items {
		k := recordKey{it.Kind, it.NaturalKey}
		if _, seen := owners[k]; seen {
			continue
		}
		rec, ok, err := w.read(ctx, k)
		if err != nil {
			return Result{}, fmt.Errorf("write batch: find owner of %s %q: %w", k.kind, k.naturalKey, err)
		}
		if ok && rec.live {
			owners[k] = rec.owner
		}
	}
	res, write := resolve(p, items, owners)
	now := sqliteNow()
	for _, i := range write {
		o, err := w.write(ctx, p, &items[i], now)
		if err != nil {
			return Result{}, fmt.Errorf("write batch: %s %q: %w", items[i].Kind, items[i].NaturalKey, err)
		}
		res.Outcomes[i] = o
	}
	if err := tx.Commit(); err != nil {
		return Result{}, fmt.Errorf("write batch: commit: %w", err)
	}
	return res, nil
}

func prepareSQLiteWriter(ctx context.Context, tx *sql.Tx) (*sqliteWriter, error) {
	w := &sqliteWriter{}
	for _, st := range []struct {
		dst   **sql.Stmt
		query string
	}{
		{&w.state, sqliteState},
		{&w.insert, sqliteInsert},
		{&w.update, sqliteUpdate},
		{&w.stamp, sqliteStamp},
		{&w.supersede, sqliteSupersede},
	} {
		stmt, err := tx.PrepareContext(ctx, st.query)
		if err != nil {
			w.close()
			return nil, err
		}
		*st.dst = stmt
	}
	return w, nil
}

func (w *sqliteWriter) close() {
	for _, stmt := range []*sql.Stmt{w.state, w.insert, w.update, w.stamp, w.supersede} {
		if stmt != nil {
			stmt.Close()
		}
	}
}

func (w *sqliteWriter) read(ctx context.Context, k recordKey) (sqliteRecord, bool, error) {
	var r sqliteRecord
	err := w.state.QueryRowContext(ctx, k.kind, k.naturalKey).Scan(
		&r.owner.department, &r.owner.source, &r.owner.stream, &r.owner.sourceKey,
		&r.hash, &r.live, &r.generation, &r.lastRun)
	if errors.Is(err, sql.ErrNoRows) {
		return sqliteRecord{}, false, nil
	}
	return r, err == nil, err
}

// write writes one item that resolve left to write, then retires the other
// live records of its source record.
func (w *sqliteWriter) write(ctx context.Context, p Provenance, it *Item, now string) (Outcome, error) {
	k := recordKey{it.Kind, it.NaturalKey}
	mine := ownerOf(p, it.SourceKey)
	cur, exists, err := w.read(ctx, k)
	if err != nil {
		return 0, fmt.Errorf("read: %w", err)
	}
	if exists && cur.owner.sameStream(mine) && cur.lastRun > p.RunID {
		return 0, fmt.Errorf("%w: run %d wrote it after this run %d started", ErrNewerRun, cur.lastRun, p.RunID)
	}
	var outcome Outcome
	switch {
	case !exists:
		if _, err := w.insert.ExecContext(ctx, it.Kind, it.NaturalKey, string(it.Data), it.Hash[:],
			p.Department, p.Source, p.Stream, it.SourceKey, p.MappingVersion,
			now, now, p.RunID, p.Generation); err != nil {
			return 0, fmt.Errorf("insert: %w", err)
		}
		outcome = Inserted
	case cur.live && cur.owner != mine:
		// resolve saw every live owner inside this transaction.
		return 0, fmt.Errorf("held by %s, which resolve did not see", cur.owner)
	case cur.live && bytes.Equal(cur.hash, it.Hash[:]):
		if p.Generation > 0 && cur.generation != p.Generation {
			if _, err := w.stamp.ExecContext(ctx, p.Generation, it.Kind, it.NaturalKey); err != nil {
				return 0, fmt.Errorf("stamp generation: %w", err)
			}
		}
		outcome = Unchanged
	default:
		gen := cur.generation
		if p.Generation > 0 {
			gen = p.Generation
		}
		if _, err := w.update.ExecContext(ctx, string(it.Data), it.Hash[:],
			p.Department, p.Source, p.Stream, it.SourceKey, p.MappingVersion,
			now, p.RunID, gen, it.Kind, it.NaturalKey); err != nil {
			return 0, fmt.Errorf("update: %w", err)
		}
		outcome = Updated
	}
	if _, err := w.supersede.ExecContext(ctx, now, p.Department, p.Source, p.Stream, it.SourceKey,
		it.Kind, it.NaturalKey); err != nil {
		return 0, fmt.Errorf("retire superseded records: %w", err)
	}
	return outcome, nil
}

const sqliteMarkDeleted = `
UPDATE national_records SET deleted_at = ?, deleted_generation = ?
WHERE department = ? AND source = ? AND stream = ?
  AND deleted_at IS NULL AND seen_generation <> ?`

const sqliteCountDeleted = `
SELECT count(*) FROM national_records
WHERE department = ? AND source = ? AND stream = ?
  AND deleted_at IS NOT NULL AND deleted_generation = ?`

func (s *sqliteStore) MarkDeleted(ctx context.Context, p Provenance) (int64, error) {
	if err := checkGeneration(p); err != nil {
		return 0, err
	}
	if _, err := s.db.ExecContext(ctx, sqliteMarkDeleted, sqliteNow(), p.Generation, p.Department, p.Source, p.Stream, p.Generation); err != nil {
		return 0, fmt.Errorf("mark deleted in %s/%s/%s: %w", p.Department, p.Source, p.Stream, err)
	}
	var n int64
	if err := s.db.QueryRowContext(ctx, sqliteCountDeleted, p.Department, p.Source, p.Stream, p.Generation).Scan(&n); err != nil {
		return 0, fmt.Errorf("count deleted in %s/%s/%s: %w", p.Department, p.Source, p.Stream, err)
	}
	return n, nil
}

// sqliteUnseen counts what sqliteMarkDeleted would mark.
const sqliteUnseen = `
SELECT count(*) FROM national_records
WHERE department = ? AND source = ? AND stream = ?
  AND deleted_at IS NULL AND seen_generation <> ?`

func (s *sqliteStore) Unseen(ctx context.Context, p Provenance) (int64, error) {
	if err := checkGeneration(p); err != nil {
		return 0, err
	}
	var n int64
	if err := s.db.QueryRowContext(ctx, sqliteUnseen, p.Department, p.Source, p.Stream, p.Generation).Scan(&n); err != nil {
		return 0, fmt.Errorf("count unseen records in %s/%s/%s: %w", p.Department, p.Source, p.Stream, err)
	}
	return n, nil
}

const sqliteDocumentColumns = `kind, natural_key, data, department, source, stream, source_key,
    last_synced_at, deleted_at IS NOT NULL`

const sqliteGet = `SELECT ` + sqliteDocumentColumns + `
FROM national_records WHERE kind = ? AND natural_key = ?`

func (s *sqliteStore) Get(ctx context.Context, kind, key string) (Document, bool, error) {
	d, err := sqliteScanDocument(s.db.QueryRowContext(ctx, sqliteGet, kind, key))
	if errors.Is(err, sql.ErrNoRows) {
		return Document{}, false, nil
	}
	if err != nil {
		return Document{}, false, fmt.Errorf("get %s %q: %w", kind, key, err)
	}
	return d, true, nil
}

// sqlitePrefill is a union because SQLite will not serve an OR of the two
// lookups from two indexes. The second spells the ID number expression and
// the liveness condition as the partial index does, so the index serves it;
// the union also drops the person record that both find.
const sqlitePrefill = `
SELECT ` + sqliteDocumentColumns + ` FROM national_records
WHERE kind = 'person' AND natural_key = ?1 AND deleted_at IS NULL
UNION
SELECT ` + sqliteDocumentColumns + ` FROM national_records
WHERE json_extract(data, '$.id_number') = ?1 AND deleted_at IS NULL
ORDER BY kind, natural_key`

func (s *sqliteStore) Prefill(ctx context.Context, idNumber string) ([]Document, error) {
	return queryDocuments(ctx, s.db, sqliteScanDocument, sqlitePrefill, idNumber)
}

func sqliteScanDocument(row interface{ Scan(...any) error }) (Document, error) {
	var (
		d    Document
		data string
		at   string
	)
	if err := row.Scan(&d.Kind, &d.Key, &data, &d.Department, &d.Source, &d.Stream, &d.SourceKey,
		&at, &d.Deleted); err != nil {
		return Document{}, err
	}
	t, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		return Document{}, fmt.Errorf("last_synced_at of %s %q: %w", d.Kind, d.Key, err)
	}
	d.Data = []byte(data)
	d.LastSyncedAt = t
	return d, nil
}

const sqliteCount = `
SELECT count(*) FROM national_records
WHERE department = ? AND source = ? AND stream = ? AND deleted_at IS NULL`

func (s *sqliteStore) Count(ctx context.Context, department, source, stream string) (int64, error) {
	var n int64
	if err := s.db.QueryRowContext(ctx, sqliteCount, department, source, stream).Scan(&n); err != nil {
		return 0, fmt.Errorf("count %s/%s/%s: %w", department, source, stream, err)
	}
	return n, nil
}

const sqliteTouch = `
UPDATE national_records SET seen_generation = ?
WHERE department = ? AND source = ? AND stream = ? AND deleted_at IS NULL AND seen_generation <> ?
  AND source_key IN (SELECT value FROM json_each(?))`

func (s *sqliteStore) Touch(ctx context.Context, p Provenance, sourceKeys []string) error {
	if err := checkGeneration(p); err != nil || len(sourceKeys) == 0 {
		return err
	}
	keys, err := json.Marshal(sourceKeys)
	if err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, sqliteTouch, p.Generation, p.Department, p.Source, p.Stream, p.Generation, string(keys)); err != nil {
		return fmt.Errorf("touch records of %s/%s/%s: %w", p.Department, p.Source, p.Stream, err)
	}
	return nil
}

const sqliteRetire = `
UPDATE national_records SET deleted_at = ?
WHERE department = ? AND source = ? AND stream = ? AND deleted_at IS NULL
  AND source_key IN (SELECT value FROM json_each(?))`

func (s *sqliteStore) Retire(ctx context.Context, p Provenance, sourceKeys []string) (int64, error) {
	if len(sourceKeys) == 0 {
		return 0, nil
	}
	keys, err := json.Marshal(sourceKeys)
	if err != nil {
		return 0, err
	}
	res, err := s.db.ExecContext(ctx, sqliteRetire, sqliteNow(), p.Department, p.Source, p.Stream, string(keys))
	if err != nil {
		return 0, fmt.Errorf("retire skipped records of %s/%s/%s: %w", p.Department, p.Source, p.Stream, err)
	}
	return res.RowsAffected()
}
