package national

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lib/pq"

	"github.com/lienthong/lienthong/internal/database"
	"github.com/lienthong/lienthong/schema"
)

// pgStore is the national store on PostgreSQL.
type pgStore struct {
	db    *database.DB
	stats *database.Analyzer

	prefillMu sync.Mutex
	prefill   *sql.Stmt
}

var _ Store = (*pgStore)(nil)

// Migrate applies the numbered migrations, then gives every field of the
// schema its column.
func (s *pgStore) Migrate(ctx context.Context) (int, error) {
	n, err := migrate(ctx, s.db)
	if err != nil {
		return n, err
	}
	if err := ensureColumns(ctx, s.db); err != nil {
		return n, fmt.Errorf("migrate national store: %w", err)
	}
	return n, nil
}

// Write reads what is stored under the batch's natural keys and resolves
// the batch against it. Records whose key is new are copied straight into
// the table (an insert-only path: no staging, no merge); changed records are
// copied into a session's staging table and merged by one upsert; unchanged
// records are not written at all: on a full refresh their source keys are
// recorded, one row per batch, in national_seen. A batch costs the same few
// round trips whatever its size, and a batch that changes nothing costs one
// read (and, in a full refresh, one small insert).
//
// Outcomes are not read from the upsert's xmax: PostgreSQL cannot return a
// system column from a partitioned table. Whether a record existed comes from
// the read instead.
func (s *pgStore) Write(ctx context.Context, p Provenance, items []Item) (Result, error) {
	return s.WriteBatch(ctx, p, Batch{Items: items})
}

// WriteBatch is Write, with the batch's unwritten records recorded as seen
// (on a full refresh) in the same national_seen row as its unchanged ones,
// and its skipped records retired, in the write's transaction: a batch
// costs one commit.
func (s *pgStore) WriteBatch(ctx context.Context, p Provenance, b Batch) (Result, error) {
	items := b.Items
	if len(items) == 0 && (p.Generation <= 0 || len(b.Unwritten) == 0) && len(b.Skipped) == 0 {
		return Result{Outcomes: []Outcome{}}, nil
	}
	// The transaction is opened on a connection of its own, so that the
	// COPY streams can reach the driver under it (pgCopy).
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("write batch: connect: %w", err)
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return Result{}, fmt.Errorf("write batch: begin: %w", err)
	}
	defer tx.Rollback()
	// Every statement of a write probes a few thousand keys of a large table
	// through its indexes, which are hot in cache. With the default
	// random_page_cost the planner prices a batch of keys above a sequential
	// scan once the batch is a few percent of the table, and a write then
	// costs a scan of the whole stream (measured: 47 ms instead of 9 ms for
	// 5,000 keys in 200,000 records, growing with the table). The savepoint
	// lets the insert-only path fall back to the merge; both go in one
	// round trip.
	if _, err := tx.ExecContext(ctx, `SET LOCAL random_page_cost = 1.1; SAVEPOINT national_insert`); err != nil {
		return Result{}, fmt.Errorf("write batch: %w", err)
	}

	records, err := pgStored(ctx, tx, items)
	if err != nil {
		return Result{}, fmt.Errorf("write batch: read stored records: %w", err)
	}
	if err := pgHeld(ctx, tx, p, items, records); err != nil {
		return Result{}, fmt.Errorf("write batch: find superseded records: %w", err)
	}
	res, write := resolve(p, items, liveOwners(records))
	// Only the records to write are encoded: an unchanged record's values
	// are the ones stored.
	change := write[:0:0]
	for _, i := range write {
		if r, ok := records[recordKey{items[i].Kind, items[i].NaturalKey}]; ok && r.unchanged(p, &items[i]) {
			res.Outcomes[i] = Unchanged
			continue
		}
		change = append(change, i)
	}
	fieldText := getBuffer(&fieldTexts)
	defer fieldTexts.Put(fieldText)
	values, change, err := pgFields(items, change, &res, fieldText)
	if err != nil {
		return Result{}, fmt.Errorf("write batch: %w", err)
	}
	var insert, upsert []int
	for _, i := range change {
		if _, ok := records[recordKey{items[i].Kind, items[i].NaturalKey}]; ok {
			upsert = append(upsert, i)
		} else {
			insert = append(insert, i)
		}
	}
	if len(insert) > 0 {
		raced, err := pgInsert(ctx, conn, tx, p, items, values, insert)
		if err != nil {
			return Result{}, fmt.Errorf("write batch: insert new records: %w", err)
		}
		if raced {
			// Another writer inserted one of the keys since the read: merge
			// them all, which settles each against what is there now.
			upsert = append(upsert, insert...)
		} else {
			for _, i := range insert {
				res.Outcomes[i] = Inserted
			}
		}
	}
	if len(upsert) > 0 {
		if err := pgMerge(ctx, conn, tx, p, items, values, upsert, records, &res); err != nil {
			return Result{}, fmt.Errorf("write batch: %w", err)
		}
	}
	var done []int
	for _, i := range write {
		if o := res.Outcomes[i]; o == Inserted || o == Updated {
			done = append(done, i)
		}
	}
	if len(done) > 0 {
		if err := pgSupersede(ctx, tx, p, items, done, records); err != nil {
			return Result{}, fmt.Errorf("write batch: retire superseded records: %w", err)
		}
	}
	if p.Generation > 0 {
		seen := append(slices.Clip(b.Unwritten), res.refused(items)...)
		for i, o := range res.Outcomes {
			if o == Unchanged {
				seen = append(seen, items[i].SourceKey)
			}
		}
		if err := pgSeen(ctx, tx, p, seen); err != nil {
			return Result{}, fmt.Errorf("write batch: record the records seen: %w", err)
		}
	}
	if len(b.Skipped) > 0 {
		if res.Retired, err = pgRetireKeys(ctx, tx, p, b.Skipped); err != nil {
			return Result{}, fmt.Errorf("write batch: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return Result{}, fmt.Errorf("write batch: commit: %w", err)
	}
	inserted := 0
	for _, o := range res.Outcomes {
		if o == Inserted {
			inserted++
		}
	}
	// The batch is committed; stale statistics only slow later batches, so
	// failing to refresh them does not fail this one.
	_ = s.stats.Added(ctx, s.db, inserted)
	return res, nil
}

const pgSeenInsert = `
INSERT INTO national_seen (department, source, stream, generation, source_keys)
VALUES ($1, $2, $3, $4::bigint, $5::text[])`

// pgSeen records that the generation read the given source keys. One row
// holds a batch's keys: a refresh that changes nothing writes one small row
// per batch instead of a new version of every record.
func pgSeen(ctx context.Context, tx *sql.Tx, p Provenance, sourceKeys []string) error {
	if len(sourceKeys) == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, pgSeenInsert, p.Department, p.Source, p.Stream, p.Generation, database.TextArray(sourceKeys))
	return err
}

// pgFields encodes the field columns of the items to write, each item's
// in its kind's column order, as COPY text (fields[i] for item i). An item
// with a value its column cannot hold is kept back as Rejected, with the
// field and the reason, and left out of what is written.
// The text goes into *into, grown as needed (and left grown, for the next
// batch); fields[i] are slices of it.
func pgFields(items []Item, write []int, res *Result, into *[]byte) (fields [][]byte, kept []int, err error) {
	// The columns' text is about as long as the canonical JSON less the
	// field names.
	size := 0
	for _, i := range write {
		size += len(items[i].Data)
	}
	buf := slices.Grow((*into)[:0], size)
	defer func() { *into = buf[:0] }()
	ends := make([]int, len(items))
	starts := make([]int, len(items))
	kept = write[:0:0]
	for _, i := range write {
		it := &items[i]
		idx, err := kindOf(it.Kind)
		if err != nil {
			return nil, nil, fmt.Errorf("%s %q: %w", it.Kind, it.NaturalKey, err)
		}
		k, _ := schema.Lookup(it.Kind)
		values, err := valuesOf(it, k)
		if err != nil {
			return nil, nil, err
		}
		start := len(buf)
		var bad error
		var at column
		// idx is in the kind's field order, as values are.
		for j, c := range idx {
			if buf, bad = appendField(buf, fieldColumns[c], values[j]); bad != nil {
				at = fieldColumns[c]
				break
			}
		}
		if bad != nil {
			buf = buf[:start]
			code := schema.ReasonBadValue
			if at.sqlType == sqlDate {
				code = schema.ReasonBadDate
			}
			res.Outcomes[i] = Rejected
			if res.Rejections == nil {
				res.Rejections = make(map[int]Rejection)
			}
			res.Rejections[i] = Rejection{Code: code, Field: at.name, Message: at.name + ": " + bad.Error()}
			continue
		}
		starts[i], ends[i] = start, len(buf)
		kept = append(kept, i)
	}
	fields = make([][]byte, len(items))
	for _, i := range kept {
		fields[i] = buf[starts[i]:ends[i]:ends[i]]
	}
	return fields, kept, nil
}

// pgCopyRecords copies new records of one kind; first_synced_at and
// last_synced_at take their default, the transaction's time, as the upsert
// stamps them.
func pgCopyRecords(kind string) string {
	return `COPY national_records (kind, natural_key, content_hash, department, source, stream,
    source_key, mapping_version, last_run_id, seen_generation, ` + columnList(kindColumns[kind], "") + `) FROM STDIN`
}

// pgInsert copies the records of new keys straight into the table, in key
// order (two writers meeting on the same new keys then wait for each other
// rather than deadlock, and the index is filled in order), one COPY per
// kind. A key that another writer inserted since the read fails the copy
// with a unique violation: the copy is undone to the savepoint Write set
// and pgInsert reports raced, so that the caller merges those records
// instead.
func pgInsert(ctx context.Context, conn *sql.Conn, tx *sql.Tx, p Provenance, items []Item, fields [][]byte, insert []int) (raced bool, err error) {
	sortByKey(items, insert)
	err = pgCopyByKind(ctx, conn, items, fields, insert, pgCopyRecords, func(rows *copyRows, it *Item) {
		rows.text(true, it.Kind)
		rows.text(false, it.NaturalKey)
		rows.hash(&it.Hash)
		rows.text(false, p.Department)
		rows.text(false, p.Source)
		rows.text(false, p.Stream)
		rows.text(false, it.SourceKey)
		rows.text(false, p.MappingVersion)
		rows.int(p.RunID)
		rows.int(p.Generation)
	})
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "23505" {
		if _, err := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT national_insert`); err != nil {
			return false, err
		}
		return true, nil
	}
	return false, err
}

// sortByKey orders item indexes by kind and natural key.
func sortByKey(items []Item, idx []int) {
	slices.SortFunc(idx, func(a, b int) int {
		if c := strings.Compare(items[a].Kind, items[b].Kind); c != 0 {
			return c
		}
		return strings.Compare(items[a].NaturalKey, items[b].NaturalKey)
	})
}

// byKind splits indexes sorted by kind into runs of one kind.
func byKind(items []Item, sorted []int) [][]int {
	var groups [][]int
	for start := 0; start < len(sorted); {
		end := start + 1
		for end < len(sorted) && items[sorted[end]].Kind == items[sorted[start]].Kind {
			end++
		}
		groups = append(groups, sorted[start:end])
		start = end
	}
	return groups
}

// pgStoredQuery looks keys up with = ANY on the primary key, which the
// planner serves from the index whatever it believes about the table's size;
// a join against unnest() turned into a sequential scan on young tables.
const pgStoredQuery = `
SELECT r.kind, r.natural_key, r.department, r.source, r.stream, r.source_key,
       r.deleted_at IS NULL, r.content_hash
FROM national_records r
WHERE r.kind = $1 AND r.natural_key = ANY($2::text[])`

// pgStored reads the records stored under the items' natural keys, deleted
// or not, in one round trip per kind.
func pgStored(ctx context.Context, tx *sql.Tx, items []Item) (map[recordKey]stored, error) {
	seen := make(map[recordKey]bool, len(items))
	byKind := map[string][]string{}
	var kinds []string
	for _, it := range items {
		k := recordKey{it.Kind, it.NaturalKey}
		if !seen[k] {
			seen[k] = true
			if _, ok := byKind[it.Kind]; !ok {
				kinds = append(kinds, it.Kind)
			}
			byKind[it.Kind] = append(byKind[it.Kind], it.NaturalKey)
		}
	}
	records := make(map[recordKey]stored)
	for _, kind := range kinds {
		if err := pgStoredKind(ctx, tx, pgStoredQuery, []any{kind, database.TextArray(byKind[kind])}, records); err != nil {
			return nil, err
		}
	}
	return records, nil
}

// pgHeldQuery finds the live records that the given source records of the
// stream hold under natural keys not in the batch: the records a written
// item supersedes. A source record's key rarely changes, so it usually
// returns nothing; it never returns the records the batch's own keys name.
const pgHeldQuery = `
SELECT r.kind, r.natural_key, r.department, r.source, r.stream, r.source_key,
       true, r.content_hash
FROM national_records r
WHERE r.department = $1 AND r.source = $2 AND r.stream = $3 AND r.source_key = ANY($4::text[])
  AND r.deleted_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM unnest($5::text[], $6::text[]) AS b (kind, natural_key)
                  WHERE b.kind = r.kind AND b.natural_key = r.natural_key)`

// pgHeld adds to records the live records the items' source records hold
// under other natural keys than the batch's. It asks only about the items
// whose own natural key is not already their source record's live record:
// a source record holds at most one live record, so one found live under
// the item's key can hold no other. A refresh or an incremental update of
// records whose keys did not change asks nothing; a first load asks about
// every item (the probe of the source-key index that finds nothing).
func pgHeld(ctx context.Context, tx *sql.Tx, p Provenance, items []Item, records map[recordKey]stored) error {
	var sourceKeys []string
	for i := range items {
		r, ok := records[recordKey{items[i].Kind, items[i].NaturalKey}]
		if ok && r.live && r.owner == ownerOf(p, items[i].SourceKey) {
			continue
		}
		sourceKeys = append(sourceKeys, items[i].SourceKey)
	}
	if len(sourceKeys) == 0 {
		return nil
	}
	kinds := make([]string, len(items))
	keys := make([]string, len(items))
	for i := range items {
		kinds[i], keys[i] = items[i].Kind, items[i].NaturalKey
	}
	return pgStoredKind(ctx, tx, pgHeldQuery, []any{p.Department, p.Source, p.Stream,
		database.TextArray(sourceKeys), database.TextArray(kinds), database.TextArray(keys)}, records)
}

func pgStoredKind(ctx context.Context, tx *sql.Tx, query string, args []any, records map[recordKey]stored) error {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			k    recordKey
			r    stored
			hash []byte
		)
		if err := rows.Scan(&k.kind, &k.naturalKey, &r.owner.department, &r.owner.source, &r.owner.stream,
			&r.owner.sourceKey, &r.live, &hash); err != nil {
			return err
		}
		if copy(r.hash[:], hash) != len(r.hash) {
			return fmt.Errorf("%s %q: content hash has %d bytes, want %d", k.kind, k.naturalKey, len(hash), len(r.hash))
		}
		records[k] = r
	}
	return rows.Err()
}

// pgMerge writes the items at indexes upsert and sets their outcomes in res.
// An item that lost its key to a concurrent writer is a Conflict, and the
// caller leaves its source record's old record live, as a conflict must.
func pgMerge(ctx context.Context, conn *sql.Conn, tx *sql.Tx, p Provenance, items []Item, fields [][]byte, upsert []int,
	records map[recordKey]stored, res *Result) error {
	if err := pgStage(ctx, conn, tx, items, fields, upsert); err != nil {
		return fmt.Errorf("stage: %w", err)
	}
	written, err := pgUpsert(ctx, tx, p)
	if err != nil {
		return fmt.Errorf("upsert: %w", err)
	}
	index := make(map[recordKey]int, len(upsert))
	for _, i := range upsert {
		index[recordKey{items[i].Kind, items[i].NaturalKey}] = i
	}
	for _, k := range written {
		if _, existed := records[k]; existed {
			res.Outcomes[index[k]] = Updated
		} else {
			res.Outcomes[index[k]] = Inserted
		}
	}
	var raced []int
	for _, i := range upsert {
		if res.Outcomes[i] == 0 {
			raced = append(raced, i)
		}
	}
	if len(raced) > 0 {
		if err := pgRaced(ctx, tx, p, items, raced, res); err != nil {
			return fmt.Errorf("find concurrent owners: %w", err)
		}
	}
	return nil
}

// The staging table is created once per session (connection) and emptied
// at each commit, so a batch costs no catalog writes; concurrent writers
// are on different sessions and each have their own. It is unlogged, being
// temporary, and a failed batch's rows go with its rollback. It has every
// field's column, as national_records has.
var (
	pgCreateStage = `
CREATE TEMPORARY TABLE IF NOT EXISTS national_stage (
    kind         text  NOT NULL,
    natural_key  text  NOT NULL,
    source_key   text  NOT NULL,
    content_hash bytea NOT NULL` + func() string {
		var b strings.Builder
		for _, c := range fieldColumns {
			b.WriteString(",\n    " + c.name + " " + c.sqlType)
		}
		return b.String()
	}() + `
) ON COMMIT DELETE ROWS`
)

// pgCopyStage copies changed records of one kind into the staging table.
func pgCopyStage(kind string) string {
	return `COPY national_stage (kind, natural_key, source_key, content_hash, ` + columnList(kindColumns[kind], "") + `) FROM STDIN`
}

func pgStage(ctx context.Context, conn *sql.Conn, tx *sql.Tx, items []Item, fields [][]byte, upsert []int) error {
	if _, err := tx.ExecContext(ctx, pgCreateStage); err != nil {
		return err
	}
	sorted := slices.Clone(upsert)
	sortByKey(items, sorted)
	return pgCopyByKind(ctx, conn, items, fields, sorted, pgCopyStage, func(rows *copyRows, it *Item) {
		rows.text(true, it.Kind)
		rows.text(false, it.NaturalKey)
		rows.text(false, it.SourceKey)
		rows.hash(&it.Hash)
	})
}

// pgCopyByKind copies the items at sorted (in kind order) with one COPY per
// kind, query(kind) naming its columns: each row is what head writes, then
// the item's encoded field columns.
func pgCopyByKind(ctx context.Context, conn *sql.Conn, items []Item, fields [][]byte, sorted []int,
	query func(kind string) string, head func(*copyRows, *Item)) error {
	buf := getBuffer(&copyStreams)
	defer copyStreams.Put(buf)
	size := 0
	for _, i := range sorted {
		// The encoded fields, and room for kind, keys, hash and provenance.
		size += len(fields[i]) + 256
	}
	rows := copyRows{buf: slices.Grow((*buf)[:0], size)}
	defer func() { *buf = rows.buf[:0] }()
	for _, group := range byKind(items, sorted) {
		rows = copyRows{buf: rows.buf[:0]}
		for _, i := range group {
			rows.row()
			head(&rows, &items[i])
			rows.fields(fields[i])
		}
		if err := pgCopy(ctx, conn, query(items[group[0]].Kind), &rows); err != nil {
			return err
		}
	}
	return nil
}

// pgUpsertQuery writes the staged records: new ones, changed ones and ones
// coming back from deletion. Its WHERE names the owner again, so a record
// another source record took since the read is never overwritten; such a row
// is simply not returned. Rows go in key order so that two batches meeting on
// the same keys wait for each other rather than deadlock. Every field column
// is set: a kind's record leaves the other kinds' columns NULL.
var pgUpsertQuery = `
INSERT INTO national_records AS r (
    kind, natural_key, content_hash,
    department, source, stream, source_key, mapping_version,
    first_synced_at, last_synced_at, last_run_id, seen_generation, ` + columnList(allColumns, "") + `)
SELECT s.kind, s.natural_key, s.content_hash,
       $1, $2, $3, s.source_key, $4,
       now(), now(), $5::bigint, $6::bigint, ` + columnList(allColumns, "s.") + `
FROM national_stage s
ORDER BY s.kind, s.natural_key
ON CONFLICT (kind, natural_key) DO UPDATE SET
    content_hash = excluded.content_hash,
    department = excluded.department,
    source = excluded.source,
    stream = excluded.stream,
    source_key = excluded.source_key,
    mapping_version = excluded.mapping_version,
    last_synced_at = excluded.last_synced_at,
    last_run_id = excluded.last_run_id,
    seen_generation = CASE WHEN $6::bigint > 0 THEN $6::bigint ELSE r.seen_generation END,
    deleted_at = NULL` + func() string {
	var b strings.Builder
	for _, c := range fieldColumns {
		b.WriteString(",\n    " + c.name + " = excluded." + c.name)
	}
	return b.String()
}() + `
WHERE (r.deleted_at IS NOT NULL
   OR (r.content_hash <> excluded.content_hash
       AND (r.department, r.source, r.stream, r.source_key)
         = (excluded.department, excluded.source, excluded.stream, excluded.source_key)))
  -- A run that lost its lease must not write over what the run that took
  -- its stream over wrote after it.
  AND NOT ((r.department, r.source, r.stream) = (excluded.department, excluded.source, excluded.stream)
           AND r.last_run_id > excluded.last_run_id)
RETURNING r.kind, r.natural_key`

// pgUpsert returns the keys of the records it wrote.
func pgUpsert(ctx context.Context, tx *sql.Tx, p Provenance) ([]recordKey, error) {
	rows, err := tx.QueryContext(ctx, pgUpsertQuery, p.Department, p.Source, p.Stream,
		p.MappingVersion, p.RunID, p.Generation)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var written []recordKey
	for rows.Next() {
		var k recordKey
		if err := rows.Scan(&k.kind, &k.naturalKey); err != nil {
			return nil, err
		}
		written = append(written, k)
	}
	return written, rows.Err()
}

const pgOwnerQuery = `
SELECT r.kind, r.natural_key, r.department, r.source, r.stream, r.source_key
FROM unnest($1::text[], $2::text[]) AS i (kind, natural_key)
JOIN national_records r ON r.kind = i.kind AND r.natural_key = i.natural_key
WHERE r.deleted_at IS NULL`

// pgRaced settles items that the upsert did not write although the read said
// it would: another source record claimed their key in between.
func pgRaced(ctx context.Context, tx *sql.Tx, p Provenance, items []Item, raced []int, res *Result) error {
	kinds := make([]string, len(raced))
	keys := make([]string, len(raced))
	for j, i := range raced {
		kinds[j], keys[j] = items[i].Kind, items[i].NaturalKey
	}
	rows, err := tx.QueryContext(ctx, pgOwnerQuery, database.TextArray(kinds), database.TextArray(keys))
	if err != nil {
		return err
	}
	defer rows.Close()
	owners := make(map[recordKey]owner)
	for rows.Next() {
		var (
			k recordKey
			o owner
		)
		if err := rows.Scan(&k.kind, &k.naturalKey, &o.department, &o.source, &o.stream, &o.sourceKey); err != nil {
			return err
		}
		owners[k] = o
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, i := range raced {
		o, ok := owners[recordKey{items[i].Kind, items[i].NaturalKey}]
		if !ok || o == ownerOf(p, items[i].SourceKey) {
			return fmt.Errorf("%s %q: %w, or it changed while it was written; the batch will be read again", items[i].Kind, items[i].NaturalKey, ErrNewerRun)
		}
		res.Outcomes[i] = Conflict
		if res.ConflictWith == nil {
			res.ConflictWith = make(map[int]string)
		}
		res.ConflictWith[i] = o.String()
	}
	return nil
}

const pgRetireQuery = `
UPDATE national_records SET deleted_at = now()
WHERE kind = $1 AND natural_key = ANY($2::text[]) AND deleted_at IS NULL`

// pgSupersede retires the live records the written source records held
// under other natural keys, as the read found them: each source record now
// holds its new key, so whatever it held before is gone from its source.
// Only the stream's own writer writes records the stream owns, so the read
// is still true. Most batches retire nothing and send nothing.
func pgSupersede(ctx context.Context, tx *sql.Tx, p Provenance, items []Item, written []int, records map[recordKey]stored) error {
	holds := make(map[string]recordKey, len(written))
	for _, i := range written {
		holds[items[i].SourceKey] = recordKey{items[i].Kind, items[i].NaturalKey}
	}
	retire := map[string][]string{}
	for k, r := range records {
		if !r.live || !r.owner.sameStream(ownerOf(p, "")) {
			continue
		}
		if now, ok := holds[r.owner.sourceKey]; ok && now != k {
			retire[k.kind] = append(retire[k.kind], k.naturalKey)
		}
	}
	for kind, keys := range retire {
		if _, err := tx.ExecContext(ctx, pgRetireQuery, kind, database.TextArray(keys)); err != nil {
			return err
		}
	}
	return nil
}

// pgUnseenWhere selects the live records of the stream that the
// generation neither wrote (seen_generation) nor found unchanged or
// touched (national_seen). The seen keys are not made distinct first: the
// anti-join's hash takes them as they are, and a DISTINCT over a million
// keys cost as much as the join (415 ms against 213 ms at 200,000).
const pgUnseenWhere = `
WHERE r.department = $1 AND r.source = $2 AND r.stream = $3
  AND r.deleted_at IS NULL AND r.seen_generation <> $4::bigint
  AND NOT EXISTS (SELECT 1 FROM national_seen s, unnest(s.source_keys) AS k (source_key)
                  WHERE s.department = $1 AND s.source = $2 AND s.stream = $3 AND s.generation = $4::bigint
                    AND k.source_key = r.source_key)`

// pgUnseenSettings lets the anti-join hold the generation's seen keys in
// memory rather than spill them to disk in batches (at 200,000 records:
// 213 ms with the default 4 MB, 119 ms): up to 64 MB per process, twice
// that for a hash (hash_mem_multiplier); a larger stream still spills,
// correctly.
const pgUnseenSettings = `SET LOCAL work_mem = '64MB'`

const pgMarkDeleted = `
UPDATE national_records r SET deleted_at = now(), deleted_generation = $4::bigint` + pgUnseenWhere

// pgForgetSeen drops the seen keys of the stream's earlier generations: a
// generation's own stay until the next one completes, for a refresh
// resumed between marking and finishing.
const pgForgetSeen = `
DELETE FROM national_seen WHERE department = $1 AND source = $2 AND stream = $3 AND generation < $4::bigint`

// pgCountDeleted counts what a generation marked, over all its attempts.
const pgCountDeleted = `
SELECT count(*) FROM national_records
WHERE department = $1 AND source = $2 AND stream = $3
  AND deleted_at IS NOT NULL AND deleted_generation = $4::bigint`

// MarkDeleted marks, forgets the earlier generations' seen keys and counts
// in one transaction.
func (s *pgStore) MarkDeleted(ctx context.Context, p Provenance) (int64, error) {
	if err := checkGeneration(p); err != nil {
		return 0, err
	}
	var n int64
	err := s.unseenTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, pgMarkDeleted, p.Department, p.Source, p.Stream, p.Generation); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, pgForgetSeen, p.Department, p.Source, p.Stream, p.Generation); err != nil {
			return fmt.Errorf("forget the earlier generations seen: %w", err)
		}
		if err := tx.QueryRowContext(ctx, pgCountDeleted, p.Department, p.Source, p.Stream, p.Generation).Scan(&n); err != nil {
			return fmt.Errorf("count deleted: %w", err)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("mark deleted in %s/%s/%s: %w", p.Department, p.Source, p.Stream, err)
	}
	return n, nil
}

// pgUnseen counts what pgMarkDeleted would mark.
const pgUnseen = `
SELECT count(*) FROM national_records r` + pgUnseenWhere

func (s *pgStore) Unseen(ctx context.Context, p Provenance) (int64, error) {
	if err := checkGeneration(p); err != nil {
		return 0, err
	}
	var n int64
	err := s.unseenTx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, pgUnseen, p.Department, p.Source, p.Stream, p.Generation).Scan(&n)
	})
	if err != nil {
		return 0, fmt.Errorf("count unseen records in %s/%s/%s: %w", p.Department, p.Source, p.Stream, err)
	}
	return n, nil
}

// unseenTx runs f in a transaction with pgUnseenSettings.
func (s *pgStore) unseenTx(ctx context.Context, f func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, pgUnseenSettings); err != nil {
		return err
	}
	if err := f(tx); err != nil {
		return err
	}
	return tx.Commit()
}

var pgDocumentColumns = `kind, natural_key, department, source, stream, source_key,
    last_synced_at, deleted_at IS NOT NULL, ` + columnList(allColumns, "")

var pgGet = `SELECT ` + pgDocumentColumns + `
FROM national_records WHERE kind = $1 AND natural_key = $2`

func (s *pgStore) Get(ctx context.Context, kind, key string) (Document, bool, error) {
	d, err := pgScanDocument(s.db.QueryRowContext(ctx, pgGet, kind, key))
	if errors.Is(err, sql.ErrNoRows) {
		return Document{}, false, nil
	}
	if err != nil {
		return Document{}, false, fmt.Errorf("get %s %q: %w", kind, key, err)
	}
	return d, true, nil
}

// pgPrefill spells the liveness condition as the partial index does, so
// the index serves it.
var pgPrefill = `SELECT ` + pgDocumentColumns + `
FROM national_records
WHERE deleted_at IS NULL
  AND ((kind = 'person' AND natural_key = $1) OR id_number = $1)
ORDER BY kind, natural_key`

// Prefill runs a prepared statement: planning the query over every
// partition costs more than running it (measured: 0.45 ms against 0.15 ms
// on a million citizens), and the portal asks it for every form.
func (s *pgStore) Prefill(ctx context.Context, idNumber string) ([]Document, error) {
	stmt, err := s.prefillStmt(ctx)
	if err != nil {
		return nil, fmt.Errorf("prefill: %w", err)
	}
	rows, err := stmt.QueryContext(ctx, idNumber)
	if err != nil {
		return nil, fmt.Errorf("prefill: %w", err)
	}
	return scanDocuments(rows, pgScanDocument)
}

// prefillStmt prepares the pre-fill query once; database/sql prepares it
// again on each connection that runs it.
func (s *pgStore) prefillStmt(ctx context.Context) (*sql.Stmt, error) {
	s.prefillMu.Lock()
	defer s.prefillMu.Unlock()
	if s.prefill == nil {
		stmt, err := s.db.PrepareContext(ctx, pgPrefill)
		if err != nil {
			return nil, err
		}
		s.prefill = stmt
	}
	return s.prefill, nil
}

// pgScanDocument reads a document's provenance and its kind's columns,
// and rebuilds its canonical JSON.
func pgScanDocument(row interface{ Scan(...any) error }) (Document, error) {
	var (
		d  Document
		at time.Time
	)
	vals := make([]any, len(fieldColumns))
	dest := make([]any, 0, 8+len(fieldColumns))
	dest = append(dest, &d.Kind, &d.Key, &d.Department, &d.Source, &d.Stream, &d.SourceKey, &at, &d.Deleted)
	for i := range vals {
		dest = append(dest, &vals[i])
	}
	if err := row.Scan(dest...); err != nil {
		return Document{}, err
	}
	data, err := documentData(d.Kind, vals)
	if err != nil {
		return Document{}, fmt.Errorf("%s %q: %w", d.Kind, d.Key, err)
	}
	d.Data = data
	d.LastSyncedAt = at.UTC()
	return d, nil
}

const pgCount = `
SELECT count(*) FROM national_records
WHERE department = $1 AND source = $2 AND stream = $3 AND deleted_at IS NULL`

func (s *pgStore) Count(ctx context.Context, department, source, stream string) (int64, error) {
	var n int64
	if err := s.db.QueryRowContext(ctx, pgCount, department, source, stream).Scan(&n); err != nil {
		return 0, fmt.Errorf("count %s/%s/%s: %w", department, source, stream, err)
	}
	return n, nil
}

// Touch records the keys as seen by the generation (national_seen) rather
// than stamping their records.
func (s *pgStore) Touch(ctx context.Context, p Provenance, sourceKeys []string) error {
	if err := checkGeneration(p); err != nil || len(sourceKeys) == 0 {
		return err
	}
	if _, err := s.db.ExecContext(ctx, pgSeenInsert, p.Department, p.Source, p.Stream, p.Generation, database.TextArray(sourceKeys)); err != nil {
		return fmt.Errorf("touch records of %s/%s/%s: %w", p.Department, p.Source, p.Stream, err)
	}
	return nil
}

const pgRetire = `
UPDATE national_records SET deleted_at = now()
WHERE department = $1 AND source = $2 AND stream = $3 AND source_key = ANY($4::text[])
  AND deleted_at IS NULL`

func (s *pgStore) Retire(ctx context.Context, p Provenance, sourceKeys []string) (int64, error) {
	if len(sourceKeys) == 0 {
		return 0, nil
	}
	return pgRetireKeys(ctx, s.db, p, sourceKeys)
}

func pgRetireKeys(ctx context.Context, db interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, p Provenance, sourceKeys []string) (int64, error) {
	res, err := db.ExecContext(ctx, pgRetire, p.Department, p.Source, p.Stream, database.TextArray(sourceKeys))
	if err != nil {
		return 0, fmt.Errorf("retire skipped records of %s/%s/%s: %w", p.Department, p.Source, p.Stream, err)
	}
	return res.RowsAffected()
}
