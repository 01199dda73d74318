// Package state is the state store: the run ledger, each stream's checkpoint
// and full-refresh generation, and the rejects departments act on.
//
// Everything a batch changes here (its checkpoint, its counts, its rejects)
// is written in one transaction, so after a crash the ledger, the checkpoint
// and the rejects agree. The package must not read sources or write the
// national store.
package state

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/lienthong/lienthong/internal/database"
)

//go:embed migrations
var migrations embed.FS

// Run statuses.
const (
	StatusRunning   = "running"
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
	// StatusAbandoned marks a run whose process died; a later run of the
	// stream found it and took over from its last committed batch.
	StatusAbandoned = "abandoned"
)

// Stages at which a record can be rejected.
const (
	// StageRead: the connector could not read the record's content.
	StageRead = "read"
	// StageMap: the mapping or the schema's validation refused it.
	StageMap = "map"
	// StageWrite: the national store refused it (its key is taken).
	StageWrite = "write"
)

// ErrBusy means another live run holds the stream.
var ErrBusy = errors.New("state: stream is being synced by another run")

// Ref names a stream.
type Ref struct {
	Department string `json:"department" db:"department"`
	Source     string `json:"source" db:"source"`
	Stream     string `json:"stream" db:"stream"`
}

func (r Ref) String() string { return r.Department + "/" + r.Source + "/" + r.Stream }

// Counts are what became of a run's records. Read = Inserted + Updated +
// Unchanged + Rejected + Skipped always holds; Deleted and NullCursor are
// counted besides.
type Counts struct {
	Read      int64 `json:"read" db:"read"`
	Inserted  int64 `json:"inserted" db:"inserted"`
	Updated   int64 `json:"updated" db:"updated"`
	Unchanged int64 `json:"unchanged" db:"unchanged"`
	Rejected  int64 `json:"rejected" db:"rejected"`
	// Skipped counts records a mapping's skip condition left out on purpose.
	Skipped    int64 `json:"skipped" db:"skipped"`
	Deleted    int64 `json:"deleted" db:"deleted"`
	NullCursor int64 `json:"null_cursor" db:"null_cursor"`
}

// Add adds c2 to c.
func (c *Counts) Add(c2 Counts) {
	c.Read += c2.Read
	c.Inserted += c2.Inserted
	c.Updated += c2.Updated
	c.Unchanged += c2.Unchanged
	c.Rejected += c2.Rejected
	c.Skipped += c2.Skipped
	c.Deleted += c2.Deleted
	c.NullCursor += c2.NullCursor
}

// Conserved reports whether every record read has exactly one outcome.
func (c Counts) Conserved() bool {
	return c.Read == c.Inserted+c.Updated+c.Unchanged+c.Rejected+c.Skipped
}

// Run is one row of the run ledger.
type Run struct {
	ID int64 `json:"id" db:"id"`
	Ref
	Mode       string     `json:"mode" db:"mode"`
	Status     string     `json:"status" db:"status"`
	StartedAt  time.Time  `json:"started_at" db:"started_at"`
	EndedAt    *time.Time `json:"ended_at,omitempty" db:"ended_at"`
	Host       string     `json:"host" db:"host"`
	PID        int        `json:"pid" db:"pid"`
	Generation int64      `json:"generation,omitempty" db:"generation"`
	Counts
	Purges
	// Normalised counts, per field, the values the mapping repaired,
	// reformatted or rejected; they are values, not records, and take no
	// part in the conservation of Counts.
	Normalised Normalised `json:"normalised,omitempty" db:"normalised"`
	Error      string     `json:"error,omitempty" db:"error"`
	// CancelRequestedAt and CancelRequestedBy record a request to cancel
	// the run (RequestCancel): when and who asked.
	CancelRequestedAt *time.Time `json:"cancel_requested_at,omitempty" db:"cancel_requested_at"`
	CancelRequestedBy string     `json:"cancel_requested_by,omitempty" db:"cancel_requested_by"`
}

// StreamState is a stream's saved position.
type StreamState struct {
	// Checkpoint is where the next incremental read starts.
	Checkpoint json.RawMessage
	// FullGeneration is the generation of an unfinished full refresh, or 0.
	FullGeneration int64
	// FullCheckpoint is where that unfinished full refresh resumes.
	FullCheckpoint json.RawMessage
	// Generation is the last full-refresh generation handed out.
	Generation    int64
	LastSuccessAt *time.Time
}

// Reject is a record that could not be delivered.
type Reject struct {
	Ref
	SourceKey string `json:"source_key" db:"source_key"`
	Kind      string `json:"kind" db:"kind"`
	// Raw is the source record as read, JSON.
	Raw   json.RawMessage `json:"raw" db:"raw"`
	Field string          `json:"field" db:"field"`
	// Stage is where the record failed: StageRead, StageMap or StageWrite.
	Stage   string `json:"stage" db:"stage"`
	Reason  string `json:"reason" db:"reason"`
	Message string `json:"message" db:"message"`
	// Violations lists every reason, JSON [{field, code, message}].
	Violations  json.RawMessage `json:"violations" db:"violations"`
	RunID       int64           `json:"run_id" db:"run_id"`
	FirstSeenAt time.Time       `json:"first_seen_at" db:"first_seen_at"`
	LastSeenAt  time.Time       `json:"last_seen_at" db:"last_seen_at"`
}

// Store is the state store.
type Store struct {
	db   *database.DB
	host string
	// LeaseTTL is how long a run on another host may go without a heartbeat
	// before a new run may take its stream over.
	LeaseTTL time.Duration
	// HeartbeatInterval is how often a run renews its lease and looks for
	// a cancel request (RequestCancel): an API user waits about this long
	// for a cancelled run to stop. Default 2s; the engine never waits more
	// than a quarter of LeaseTTL.
	HeartbeatInterval time.Duration
	now               func() time.Time
	// rejectStats analyzes the rejects table as a first load fills it: a
	// batch clears its delivered records' rejects by key, which the
	// planner turned into a scan of every reject of the stream while it
	// believed the table empty (58 ms a batch at 5,863 rejects, growing).
	rejectStats *database.Analyzer
}

// New returns the state store on db.
func New(db *database.DB) *Store {
	host, _ := os.Hostname()
	return &Store{db: db, host: host, LeaseTTL: 2 * time.Minute, HeartbeatInterval: 2 * time.Second, now: func() time.Time { return time.Now().UTC() },
		rejectStats: &database.Analyzer{
			Analyze: `ANALYZE rejects (department, source, stream, source_key, reason, last_seen_at)`,
			Rows:    `SELECT GREATEST(reltuples, 0) FROM pg_class WHERE oid = 'rejects'::regclass`,
			Min:     2000, Growth: 4,
		}}
}

// Migrate applies the state store's pending migrations.
func (s *Store) Migrate(ctx context.Context) (int, error) {
	ms, err := database.LoadMigrations(migrations, "migrations", s.db.Dialect)
	if err != nil {
		return 0, err
	}
	return s.db.Migrate(ctx, "state", ms)
}

func (s *Store) q(query string) string { return s.db.Rebind(query) }

// StartRun opens a run of a stream in the ledger. A running run left by a dead
// process (same host and its PID gone, or no heartbeat for LeaseTTL) is
// marked abandoned first; a live one makes StartRun fail with ErrBusy.
func (s *Store) StartRun(ctx context.Context, ref Ref, mode string) (Run, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Run{}, fmt.Errorf("start run of %s: %w", ref, err)
	}
	defer tx.Rollback()
	var held []holder
	if err := tx.SelectContext(ctx, &held, s.q(`SELECT id, host, pid, started_at, heartbeat_at FROM runs
		WHERE department = ? AND source = ? AND stream = ? AND status = 'running'`), ref.Department, ref.Source, ref.Stream); err != nil {
		return Run{}, fmt.Errorf("start run of %s: %w", ref, err)
	}
	now := s.clock(ctx, tx)
	for _, h := range held {
		if s.alive(h, now) {
			return Run{}, fmt.Errorf("%w: %s is run %d by pid %d on %s since %s", ErrBusy, ref, h.ID, h.PID, h.Host, h.StartedAt.Format(time.RFC3339))
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE runs SET status = 'abandoned', ended_at = ?, error = ? WHERE id = ? AND status = 'running'`),
			now, fmt.Sprintf("process %d on %s stopped without finishing; the next run resumed from the last committed batch", h.PID, h.Host), h.ID); err != nil {
			return Run{}, fmt.Errorf("abandon run %d: %w", h.ID, err)
		}
	}
	run := Run{Ref: ref, Mode: mode, Status: StatusRunning, StartedAt: now, Host: s.host, PID: os.Getpid()}
	err = tx.QueryRowxContext(ctx, s.q(`INSERT INTO runs (department, source, stream, mode, status, started_at, heartbeat_at, host, pid)
		VALUES (?, ?, ?, ?, 'running', ?, ?, ?, ?) RETURNING id`),
		ref.Department, ref.Source, ref.Stream, mode, now, now, run.Host, run.PID).Scan(&run.ID)
	if err != nil {
		if isUniqueViolation(err) {
			return Run{}, fmt.Errorf("%w: %s started elsewhere just now", ErrBusy, ref)
		}
		return Run{}, fmt.Errorf("start run of %s: %w", ref, err)
	}
	if s.db.Dialect == database.Postgres {
		// The insert waited for a run that was finishing to commit (the
		// one running run per stream is a unique index), and now() is the
		// time the transaction began: the run starts when it holds the
		// stream, which is after the one before it ended.
		if err := tx.QueryRowxContext(ctx, `UPDATE runs SET started_at = clock_timestamp(), heartbeat_at = clock_timestamp()
			WHERE id = $1 RETURNING started_at`, run.ID).Scan(&run.StartedAt); err != nil {
			return Run{}, fmt.Errorf("start run of %s: %w", ref, err)
		}
		run.StartedAt = run.StartedAt.UTC()
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO stream_state (department, source, stream, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (department, source, stream) DO NOTHING`), ref.Department, ref.Source, ref.Stream, now); err != nil {
		return Run{}, fmt.Errorf("start run of %s: %w", ref, err)
	}
	return run, tx.Commit()
}

// clock is the time leases are measured in. On PostgreSQL, which replicas
// on several hosts share, it is the database's clock, so a host whose clock
// runs ahead cannot take over a live run; an embedded SQLite store has one
// host, whose clock it uses.
func (s *Store) clock(ctx context.Context, q sqlx.QueryerContext) time.Time {
	if s.db.Dialect == database.Postgres {
		var t time.Time
		if err := sqlx.GetContext(ctx, q, &t, `SELECT now()`); err == nil {
			return t.UTC()
		}
	}
	return s.now()
}

// holder is a running run found when another wants its stream.
type holder struct {
	ID          int64     `db:"id"`
	Host        string    `db:"host"`
	PID         int       `db:"pid"`
	StartedAt   time.Time `db:"started_at"`
	HeartbeatAt time.Time `db:"heartbeat_at"`
}

// alive says whether a running run's process may still be working: its
// heartbeat is recent and, on this host, its PID answers. This process's own
// PID proves nothing: a container restarted after a crash runs as the same
// PID on the same host name, and its predecessor's run must still expire.
func (s *Store) alive(h holder, now time.Time) bool {
	if h.Host == s.host {
		if err := syscall.Kill(h.PID, 0); errors.Is(err, syscall.ESRCH) {
			return false
		}
	}
	return now.Sub(h.HeartbeatAt) < s.LeaseTTL
}

func isUniqueViolation(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "unique") || strings.Contains(msg, "UNIQUE")
}

// Heartbeat tells other runs this one is alive. It fails with ErrBusy once
// the run no longer holds its stream, and with a *CancelRequest
// (ErrCancelRequested) once someone asked to cancel the run.
func (s *Store) Heartbeat(ctx context.Context, runID int64) error {
	var by string
	err := s.db.GetContext(ctx, &by, s.q(`UPDATE runs SET heartbeat_at = ? WHERE id = ? AND status = 'running' RETURNING cancel_requested_by`),
		s.clock(ctx, s.db), runID)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%w: run %d no longer holds its stream (it ended or was abandoned after its lease lapsed)", ErrBusy, runID)
	case err != nil:
		return fmt.Errorf("heartbeat of run %d: %w", runID, err)
	case by != "":
		return &CancelRequest{RunID: runID, By: by}
	}
	return nil
}

// holding checks that an update of a run guarded by status = 'running' found
// it. A run whose lease lapsed may still be working; once a later run has
// marked it abandoned, everything it would write is refused, so it cannot
// move the checkpoint or end the full refresh of the run that took over.
func holding(res sql.Result, runID int64) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("run %d: %w", runID, err)
	}
	if n == 0 {
		return fmt.Errorf("%w: run %d no longer holds its stream (it ended or was abandoned after its lease lapsed)", ErrBusy, runID)
	}
	return nil
}

// nullable stores an absent JSON value as NULL, which State reads back as
// nil, rather than as an empty string that no JSON decoder accepts.
func nullable(b json.RawMessage) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}

// State returns a stream's saved position.
func (s *Store) State(ctx context.Context, ref Ref) (StreamState, error) {
	var row struct {
		Checkpoint     sql.NullString `db:"checkpoint"`
		Generation     int64          `db:"generation"`
		FullGeneration int64          `db:"full_generation"`
		FullCheckpoint sql.NullString `db:"full_checkpoint"`
		LastSuccessAt  sql.NullTime   `db:"last_success_at"`
	}
	err := s.db.GetContext(ctx, &row, s.q(`SELECT checkpoint, generation, full_generation, full_checkpoint, last_success_at
		FROM stream_state WHERE department = ? AND source = ? AND stream = ?`), ref.Department, ref.Source, ref.Stream)
	if errors.Is(err, sql.ErrNoRows) {
		return StreamState{}, nil
	}
	if err != nil {
		return StreamState{}, fmt.Errorf("read state of %s: %w", ref, err)
	}
	st := StreamState{Generation: row.Generation, FullGeneration: row.FullGeneration}
	if row.Checkpoint.Valid {
		st.Checkpoint = json.RawMessage(row.Checkpoint.String)
	}
	if row.FullCheckpoint.Valid {
		st.FullCheckpoint = json.RawMessage(row.FullCheckpoint.String)
	}
	if row.LastSuccessAt.Valid {
		t := row.LastSuccessAt.Time
		st.LastSuccessAt = &t
	}
	return st, nil
}

// GenerationRead returns how many records the runs of a full-refresh
// generation read, over all its attempts.
func (s *Store) GenerationRead(ctx context.Context, ref Ref, generation int64) (int64, error) {
	var n int64
	err := s.db.GetContext(ctx, &n, s.q(`SELECT COALESCE(SUM(read), 0) FROM runs
		WHERE department = ? AND source = ? AND stream = ? AND generation = ?`), ref.Department, ref.Source, ref.Stream, generation)
	if err != nil {
		return 0, fmt.Errorf("count reads of generation %d of %s: %w", generation, ref, err)
	}
	return n, nil
}

// BeginFull starts or resumes a full refresh of a stream. An unfinished
// full refresh is resumed (its generation and checkpoint are returned);
// otherwise a new generation is handed out and the read starts from nothing.
func (s *Store) BeginFull(ctx context.Context, runID int64, ref Ref) (generation int64, from json.RawMessage, err error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return 0, nil, err
	}
	defer tx.Rollback()
	var row struct {
		Generation     int64          `db:"generation"`
		FullGeneration int64          `db:"full_generation"`
		FullCheckpoint sql.NullString `db:"full_checkpoint"`
	}
	if err := tx.GetContext(ctx, &row, s.q(`SELECT generation, full_generation, full_checkpoint FROM stream_state
		WHERE department = ? AND source = ? AND stream = ?`), ref.Department, ref.Source, ref.Stream); err != nil {
		return 0, nil, fmt.Errorf("begin full refresh of %s: %w", ref, err)
	}
	generation = row.Generation + 1
	if row.FullGeneration != 0 {
		generation = row.FullGeneration
		if row.FullCheckpoint.Valid {
			from = json.RawMessage(row.FullCheckpoint.String)
		}
	}
	res, err := tx.ExecContext(ctx, s.q(`UPDATE runs SET generation = ? WHERE id = ? AND status = 'running'`), generation, runID)
	if err != nil {
		return 0, nil, fmt.Errorf("begin full refresh of %s: %w", ref, err)
	}
	if err := holding(res, runID); err != nil {
		return 0, nil, fmt.Errorf("begin full refresh of %s: %w", ref, err)
	}
	if row.FullGeneration == 0 {
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE stream_state SET generation = ?, full_generation = ?, full_checkpoint = NULL, updated_at = ?
			WHERE department = ? AND source = ? AND stream = ?`), generation, generation, s.now(), ref.Department, ref.Source, ref.Stream); err != nil {
			return 0, nil, fmt.Errorf("begin full refresh of %s: %w", ref, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, nil, fmt.Errorf("begin full refresh of %s: %w", ref, err)
	}
	return generation, from, nil
}

// Batch is what one committed batch changes in the state store.
type Batch struct {
	// Checkpoint resumes the read after the batch's last record; nil
	// means from the start.
	Checkpoint json.RawMessage
	// Full says the checkpoint belongs to a full refresh.
	Full bool
	// Generation is the full-refresh generation in progress on the stream
	// (0 if none); rejects are stamped with it.
	Generation int64
	Counts     Counts
	Rejects    []Reject
	// Normalised is what the mapping did to the batch's values, field by
	// field; it is added to the run's in the batch's transaction.
	Normalised Normalised
	// Delivered lists the source keys delivered (or found unchanged) in the
	// batch: their old rejects, if any, are cleared.
	Delivered []string
	// Retry says the batch re-processed saved rejects, not source rows: a
	// reject that fails again keeps its last_seen_at, the last time its
	// source row was read, from which its retention runs. Otherwise a
	// scheduled retry would keep a raw record forever.
	Retry bool
}

// CommitBatch records a batch that the national store has committed: the
// checkpoint moves, the counts add up, the rejects are saved and the
// delivered records' old rejects are cleared, all in one transaction. Once
// the run no longer holds its stream it fails with ErrBusy and records
// nothing.
func (s *Store) CommitBatch(ctx context.Context, runID int64, ref Ref, b Batch) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("commit batch of run %d: %w", runID, err)
	}
	defer tx.Rollback()
	now := s.clock(ctx, tx)
	c := b.Counts
	res, err := tx.ExecContext(ctx, s.q(`UPDATE runs SET read = read + ?, inserted = inserted + ?, updated = updated + ?,
		unchanged = unchanged + ?, rejected = rejected + ?, skipped = skipped + ?, deleted = deleted + ?, null_cursor = null_cursor + ?,
		heartbeat_at = ? WHERE id = ? AND status = 'running'`),
		c.Read, c.Inserted, c.Updated, c.Unchanged, c.Rejected, c.Skipped, c.Deleted, c.NullCursor, now, runID)
	if err != nil {
		return fmt.Errorf("count batch of run %d: %w", runID, err)
	}
	if err := holding(res, runID); err != nil {
		return fmt.Errorf("commit batch of %s: %w", ref, err)
	}
	if err := s.addNormalised(ctx, tx, runID, b.Normalised); err != nil {
		return err
	}
	col := "checkpoint"
	if b.Full {
		col = "full_checkpoint"
	}
	// A batch without a checkpoint (a retry of rejects) leaves the stream's
	// position where it is.
	if b.Checkpoint != nil {
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE stream_state SET `+col+` = ?, updated_at = ?
			WHERE department = ? AND source = ? AND stream = ?`), nullable(b.Checkpoint), now, ref.Department, ref.Source, ref.Stream); err != nil {
			return fmt.Errorf("save checkpoint of %s: %w", ref, err)
		}
	}
	if err := s.clearDelivered(ctx, tx, ref, b.Delivered); err != nil {
		return err
	}
	saved, err := s.saveRejects(ctx, tx, runID, ref, b, now)
	if err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit batch of run %d: %w", runID, err)
	}
	if s.db.Dialect == database.Postgres {
		// Stale statistics only slow later batches: not this batch's
		// failure.
		_ = s.rejectStats.Added(ctx, s.db, saved)
	}
	return nil
}

// pgClearDelivered removes the rejects of delivered records. = ANY drives
// the primary key index; an IN over a set-returning function was planned
// as a nested scan, seconds per batch. The EXISTS is planned as a one-time
// filter: a stream with no rejects at all (the common case) costs one index
// probe, not one per delivered key.
const pgClearSettings = `SET LOCAL random_page_cost = 1.1`

const pgClearDelivered = `DELETE FROM rejects WHERE department = $1 AND source = $2 AND stream = $3 AND source_key = ANY($4::text[])
	AND EXISTS (SELECT 1 FROM rejects WHERE department = $1 AND source = $2 AND stream = $3)`

const sqliteClearDelivered = `DELETE FROM rejects WHERE department = ? AND source = ? AND stream = ? AND source_key IN (SELECT value FROM json_each(?))`

// clearDelivered removes the old rejects of the delivered records. It runs
// before the batch's own rejects are saved, so that it only ever looks for
// rejects of earlier batches.
func (s *Store) clearDelivered(ctx context.Context, tx *sqlx.Tx, ref Ref, delivered []string) error {
	if len(delivered) == 0 {
		return nil
	}
	var err error
	if s.db.Dialect == database.Postgres {
		// With the default random_page_cost the planner prices a
		// thousand key probes above a scan of a stream's few thousand
		// rejects, which are in cache, as the national store's lookups
		// (national.pgStore.WriteBatch).
		if _, err := tx.ExecContext(ctx, pgClearSettings); err != nil {
			return fmt.Errorf("clear delivered rejects of %s: %w", ref, err)
		}
		_, err = tx.ExecContext(ctx, pgClearDelivered, ref.Department, ref.Source, ref.Stream, database.TextArray(delivered))
	} else {
		js, _ := json.Marshal(delivered)
		_, err = tx.ExecContext(ctx, sqliteClearDelivered, ref.Department, ref.Source, ref.Stream, string(js))
	}
	if err != nil {
		return fmt.Errorf("clear delivered rejects of %s: %w", ref, err)
	}
	return nil
}

// rejectUpsert is the conflict clause of saving a reject: reprocessing
// replaces a source record's reject; a retry keeps its last_seen_at.
const rejectUpsert = `
	ON CONFLICT (department, source, stream, source_key) DO UPDATE SET kind = excluded.kind, raw = excluded.raw,
		field = excluded.field, stage = excluded.stage, reason = excluded.reason, message = excluded.message,
		violations = excluded.violations, run_id = excluded.run_id, seen_generation = excluded.seen_generation,
		last_seen_at = CASE WHEN %s THEN rejects.last_seen_at ELSE excluded.last_seen_at END`

// pgSaveRejects saves a batch's rejects in one statement, whatever their
// number.
var pgSaveRejects = `INSERT INTO rejects (department, source, stream, source_key, kind, raw, field, stage, reason, message, violations, run_id, seen_generation, first_seen_at, last_seen_at)
	SELECT $1, $2, $3, r.source_key, r.kind, r.raw, r.field, r.stage, r.reason, r.message, r.violations, $4::bigint, $5::bigint, $6::timestamptz, $6::timestamptz
	FROM unnest($7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[])
	    AS r (source_key, kind, raw, field, stage, reason, message, violations)` + fmt.Sprintf(rejectUpsert, "$15::boolean")

var sqliteSaveReject = `INSERT INTO rejects (department, source, stream, source_key, kind, raw, field, stage, reason, message, violations, run_id, seen_generation, first_seen_at, last_seen_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)` + fmt.Sprintf(rejectUpsert, "?")

// saveRejects saves the batch's rejects. A record that the batch both
// rejected and delivered (it was read twice) ends delivered, and of two
// rejects of one record the later stands, as if saved one by one.
func (s *Store) saveRejects(ctx context.Context, tx *sqlx.Tx, runID int64, ref Ref, b Batch, now time.Time) (int, error) {
	if len(b.Rejects) == 0 {
		return 0, nil
	}
	var delivered map[string]bool
	if len(b.Delivered) > 0 {
		delivered = make(map[string]bool, len(b.Delivered))
		for _, k := range b.Delivered {
			delivered[k] = true
		}
	}
	last := make(map[string]int, len(b.Rejects))
	for i, r := range b.Rejects {
		last[r.SourceKey] = i
	}
	var rs []Reject
	for i, r := range b.Rejects {
		if last[r.SourceKey] != i || delivered[r.SourceKey] {
			continue
		}
		if r.Stage == "" {
			r.Stage = StageMap
		}
		rs = append(rs, r)
	}
	if len(rs) == 0 {
		return 0, nil
	}
	if s.db.Dialect != database.Postgres {
		for _, r := range rs {
			if _, err := tx.ExecContext(ctx, sqliteSaveReject,
				ref.Department, ref.Source, ref.Stream, r.SourceKey, r.Kind, string(r.Raw), r.Field, r.Stage, r.Reason, r.Message, string(r.Violations), runID, b.Generation, now, now,
				b.Retry); err != nil {
				return 0, fmt.Errorf("save reject %s of %s: %w", r.SourceKey, ref, err)
			}
		}
		return len(rs), nil
	}
	cols := make([][]string, 8)
	for i := range cols {
		cols[i] = make([]string, len(rs))
	}
	for j, r := range rs {
		cols[0][j], cols[1][j], cols[2][j], cols[3][j] = r.SourceKey, r.Kind, string(r.Raw), r.Field
		cols[4][j], cols[5][j], cols[6][j], cols[7][j] = r.Stage, r.Reason, r.Message, string(r.Violations)
	}
	args := []any{ref.Department, ref.Source, ref.Stream, runID, b.Generation, now}
	for _, c := range cols {
		args = append(args, database.TextArray(c))
	}
	args = append(args, b.Retry)
	if _, err := tx.ExecContext(ctx, pgSaveRejects, args...); err != nil {
		return 0, fmt.Errorf("save %d rejects of %s: %w", len(rs), ref, err)
	}
	return len(rs), nil
}

// Finish is how a run ends.
type Finish struct {
	Status string
	Error  string
	// Checkpoint, when set, is where the next incremental read starts.
	Checkpoint json.RawMessage
	// FullDone ends the stream's full refresh generation.
	FullDone bool
	// Deleted counts the records a completed full refresh marked deleted.
	Deleted int64
	// Generation is the generation FullDone ends: rejects of rows it did
	// not see are removed, as their rows left the source.
	Generation int64
	// CheckpointIfUnset saves Checkpoint only when the stream has none: a
	// full refresh hands on its position to a stream never read
	// incrementally, but must not move an incremental checkpoint back.
	CheckpointIfUnset bool
	// ReadSource says the run read the department system (a retry of
	// rejects does not), so its success counts as the stream's last one.
	ReadSource bool
	// RestartFull keeps the stream's unfinished full-refresh generation
	// but drops its resume point: the next full refresh reads the source
	// again from the start. A refresh refused for deleting too much ends
	// so, as the records it missed may come back to the source.
	RestartFull bool
}

// FinishRun closes a run in the ledger and, on success, saves the stream's
// final position. Once the run no longer holds its stream it fails with
// ErrBusy and changes nothing.
func (s *Store) FinishRun(ctx context.Context, runID int64, ref Ref, f Finish) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("finish run %d: %w", runID, err)
	}
	defer tx.Rollback()
	now := s.now()
	res, err := tx.ExecContext(ctx, s.q(`UPDATE runs SET status = ?, error = ?, ended_at = ?, deleted = deleted + ? WHERE id = ? AND status = 'running'`),
		f.Status, f.Error, now, f.Deleted, runID)
	if err != nil {
		return fmt.Errorf("finish run %d: %w", runID, err)
	}
	if err := holding(res, runID); err != nil {
		return fmt.Errorf("finish run of %s: %w", ref, err)
	}
	if f.Checkpoint != nil {
		set := `checkpoint = ?`
		if f.CheckpointIfUnset {
			set = `checkpoint = COALESCE(checkpoint, ?)`
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE stream_state SET `+set+`, updated_at = ? WHERE department = ? AND source = ? AND stream = ?`),
			string(f.Checkpoint), now, ref.Department, ref.Source, ref.Stream); err != nil {
			return fmt.Errorf("finish run %d: %w", runID, err)
		}
	}
	if f.FullDone {
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE stream_state SET full_generation = 0, full_checkpoint = NULL WHERE department = ? AND source = ? AND stream = ?`),
			ref.Department, ref.Source, ref.Stream); err != nil {
			return fmt.Errorf("finish run %d: %w", runID, err)
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM rejects WHERE department = ? AND source = ? AND stream = ? AND seen_generation <> ?`),
			ref.Department, ref.Source, ref.Stream, f.Generation); err != nil {
			return fmt.Errorf("finish run %d: clear rejects of rows gone from the source: %w", runID, err)
		}
	}
	if f.RestartFull {
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE stream_state SET full_checkpoint = NULL WHERE department = ? AND source = ? AND stream = ?`),
			ref.Department, ref.Source, ref.Stream); err != nil {
			return fmt.Errorf("finish run %d: %w", runID, err)
		}
	}
	if f.Status == StatusSucceeded && f.ReadSource {
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE stream_state SET last_success_at = ? WHERE department = ? AND source = ? AND stream = ?`),
			now, ref.Department, ref.Source, ref.Stream); err != nil {
			return fmt.Errorf("finish run %d: %w", runID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("finish run %d: %w", runID, err)
	}
	return nil
}

const runColumns = `id, department, source, stream, mode, status, started_at, ended_at, host, pid, generation,
	read, inserted, updated, unchanged, rejected, skipped, deleted, null_cursor, purged_rejects, anonymised, normalised, error,
	cancel_requested_at, cancel_requested_by`

// Run returns one run; ErrNotFound (and sql.ErrNoRows) when there is none.
func (s *Store) Run(ctx context.Context, id int64) (Run, error) {
	var r Run
	if err := s.db.GetContext(ctx, &r, s.q(`SELECT `+runColumns+` FROM runs WHERE id = ?`), id); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Run{}, fmt.Errorf("read run %d: %w: %w", id, ErrNotFound, err)
		}
		return Run{}, fmt.Errorf("read run %d: %w", id, err)
	}
	return r, nil
}

// Filter narrows a listing. Empty fields match everything.
type Filter struct {
	Department, Source, Stream string
	// Reason, Field and Kind narrow rejects: the reason code, the field
	// it names and the national kind the record was mapped to.
	Reason string
	Field  string
	Kind   string
	Limit  int
	// After lists only rejects whose source key sorts after it, for paging.
	After string
}

func (f Filter) where() (string, []any) {
	var conds []string
	var args []any
	for _, c := range []struct{ col, v string }{{"department", f.Department}, {"source", f.Source}, {"stream", f.Stream},
		{"reason", f.Reason}, {"field", f.Field}, {"kind", f.Kind}} {
		if c.v != "" {
			conds = append(conds, c.col+" = ?")
			args = append(args, c.v)
		}
	}
	if f.After != "" {
		conds = append(conds, "source_key > ?")
		args = append(args, f.After)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// Runs lists runs, newest first.
func (s *Store) Runs(ctx context.Context, f Filter) ([]Run, error) {
	f.Reason, f.Field, f.Kind, f.After = "", "", "", ""
	where, args := f.where()
	q := `SELECT ` + runColumns + ` FROM runs` + where + ` ORDER BY id DESC`
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	runs := []Run{}
	if err := s.db.SelectContext(ctx, &runs, s.q(q), args...); err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	return runs, nil
}

// Rejects lists rejects, by stream and source key.
func (s *Store) Rejects(ctx context.Context, f Filter) ([]Reject, error) {
	out := []Reject{}
	err := s.EachReject(ctx, f, func(r Reject) error {
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// EachReject calls fn with each reject f matches, by stream and source key,
// one row at a time: an export of a hundred thousand rejects (the API's
// CSV) holds one in memory, not the list. An error from fn stops the
// iteration and is returned as is. fn must not use the state store's
// database on SQLite, whose one writer the open cursor may hold.
func (s *Store) EachReject(ctx context.Context, f Filter, fn func(Reject) error) error {
	where, args := f.where()
	q := `SELECT department, source, stream, source_key, kind, raw, field, stage, reason, message, violations, run_id, first_seen_at, last_seen_at
		FROM rejects` + where + ` ORDER BY department, source, stream, source_key`
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	rows, err := s.db.QueryxContext(ctx, s.q(q), args...)
	if err != nil {
		return fmt.Errorf("list rejects: %w", err)
	}
	defer rows.Close()
	// SQLite hands TEXT back as a string, which database/sql will not put
	// in a json.RawMessage: scan the JSON columns as text.
	var r struct {
		Ref
		SourceKey   string    `db:"source_key"`
		Kind        string    `db:"kind"`
		Raw         string    `db:"raw"`
		Field       string    `db:"field"`
		Stage       string    `db:"stage"`
		Reason      string    `db:"reason"`
		Message     string    `db:"message"`
		Violations  string    `db:"violations"`
		RunID       int64     `db:"run_id"`
		FirstSeenAt time.Time `db:"first_seen_at"`
		LastSeenAt  time.Time `db:"last_seen_at"`
	}
	for rows.Next() {
		if err := rows.StructScan(&r); err != nil {
			return fmt.Errorf("list rejects: %w", err)
		}
		if err := fn(Reject{Ref: r.Ref, SourceKey: r.SourceKey, Kind: r.Kind, Raw: json.RawMessage(r.Raw), Field: r.Field, Stage: r.Stage,
			Reason: r.Reason, Message: r.Message, Violations: json.RawMessage(r.Violations), RunID: r.RunID,
			FirstSeenAt: r.FirstSeenAt, LastSeenAt: r.LastSeenAt}); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list rejects: %w", err)
	}
	return nil
}

// ReasonCount is how many rejects have one reason.
type ReasonCount struct {
	Reason string `json:"reason" db:"reason"`
	Count  int64  `json:"count" db:"n"`
}

// RejectsByReason counts rejects by reason, most frequent first.
func (s *Store) RejectsByReason(ctx context.Context, f Filter) ([]ReasonCount, error) {
	where, args := f.where()
	q := `SELECT reason, COUNT(*) AS n FROM rejects` + where + ` GROUP BY reason ORDER BY n DESC, reason`
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	out := []ReasonCount{}
	if err := s.db.SelectContext(ctx, &out, s.q(q), args...); err != nil {
		return nil, fmt.Errorf("count rejects: %w", err)
	}
	return out, nil
}
