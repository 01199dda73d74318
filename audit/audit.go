// Package audit is the append-only, tamper-evident log of every read of a
// citizen's data: when, which client, which citizen, which form, which
// fields were returned (names, never values), for what purpose and under
// which request reference. It lives in the state store.
//
// Entries form one hash chain across every replica: an append locks the
// chain head (SELECT ... FOR UPDATE on PostgreSQL; SQLite's single writer)
// in the transaction that inserts, and each entry's hash covers the hash of
// the entry before it. Appends that arrive together are written in one
// transaction (group commit), so the log keeps up with the API while each
// caller still returns only once its own entry is committed. Verify walks
// the chain and names the first entry that was edited, removed or moved;
// the head row and the periodic checkpoints show a cut tail.
//
// The package must not know forms, HTTP or the national store.
package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/lienthong/lienthong/internal/database"
)

//go:embed migrations
var migrations embed.FS

// Entry is one read of one citizen's data.
type Entry struct {
	Seq int64     `json:"seq"`
	At  time.Time `json:"at"`
	// Client is the name of the portal client that asked.
	Client string `json:"client"`
	// Subject is the citizen's personal ID number.
	Subject string `json:"subject"`
	Form    string `json:"form"`
	// Fields are the names of the fields returned, never their values.
	Fields    []string `json:"fields"`
	Purpose   string   `json:"purpose"`
	Reference string   `json:"reference"`
	// RequestID finds the request's line in the server log.
	RequestID string `json:"request_id"`
	PrevHash  []byte `json:"-"`
	Hash      []byte `json:"-"`
}

// timeLayout writes entry times at a fixed width, to the microsecond
// PostgreSQL keeps, so the hashed text survives a round trip.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// canonical is the text an entry's hash covers, in a fixed field order.
func (e *Entry) canonical() []byte {
	fields := e.Fields
	if fields == nil {
		fields = []string{}
	}
	b, _ := json.Marshal(struct {
		Seq       int64    `json:"seq"`
		At        string   `json:"at"`
		Client    string   `json:"client"`
		Subject   string   `json:"subject"`
		Form      string   `json:"form"`
		Fields    []string `json:"fields"`
		Purpose   string   `json:"purpose"`
		Reference string   `json:"reference"`
		RequestID string   `json:"request_id"`
	}{e.Seq, e.At.UTC().Format(timeLayout), e.Client, e.Subject, e.Form, fields, e.Purpose, e.Reference, e.RequestID})
	return b
}

// chainHash is the hash an entry must carry after prev.
func chainHash(prev []byte, e *Entry) []byte {
	h := sha256.New()
	h.Write(prev)
	h.Write(e.canonical())
	return h.Sum(nil)
}

// DefaultCheckpointEvery is how many entries pass between checkpoints of
// the chain head.
const DefaultCheckpointEvery = 1000

// Store is the audit log in the state store.
type Store struct {
	db *database.DB
	// CheckpointEvery sets how many entries pass between checkpoints;
	// DefaultCheckpointEvery when zero. Set it before the first Append.
	CheckpointEvery int64
	// Log receives each checkpoint, a copy of the chain head outside the
	// database; nil discards them.
	Log *slog.Logger

	// head is the chain head this appender last wrote or read (PostgreSQL);
	// only the appender goroutine touches it.
	head *headState

	start sync.Once
	reqs  chan *pending
	stop  chan struct{}
	done  chan struct{}
}

// New returns the audit log kept in db.
func New(db *database.DB) *Store {
	return &Store{db: db}
}

// Migrate applies the log's pending migrations.
func (s *Store) Migrate(ctx context.Context) (int, error) {
	ms, err := database.LoadMigrations(migrations, "migrations", s.db.Dialect)
	if err != nil {
		return 0, fmt.Errorf("migrate audit log: %w", err)
	}
	n, err := s.db.Migrate(ctx, "audit", ms)
	if err != nil {
		return n, fmt.Errorf("migrate audit log: %w", err)
	}
	return n, nil
}

// Pending returns how many of the log's migrations are not applied.
func (s *Store) Pending(ctx context.Context) (int, error) {
	ms, err := database.LoadMigrations(migrations, "migrations", s.db.Dialect)
	if err != nil {
		return 0, fmt.Errorf("audit log migrations: %w", err)
	}
	return s.db.Pending(ctx, "audit", ms)
}

// pending is an entry waiting for the appender.
type pending struct {
	e    Entry
	err  error
	done chan struct{}
}

// maxGroup bounds how many entries one transaction appends.
const maxGroup = 256

// Append writes e at the end of the chain and returns it with its
// sequence number, time and hashes. It returns only once the entry is
// committed: a read that could not be audited must not be answered.
func (s *Store) Append(ctx context.Context, e Entry) (Entry, error) {
	s.start.Do(func() {
		s.reqs = make(chan *pending, maxGroup)
		s.stop = make(chan struct{})
		s.done = make(chan struct{})
		go s.appender()
	})
	p := &pending{e: e, done: make(chan struct{})}
	select {
	case <-s.stop:
		return Entry{}, errors.New("append audit entry: the audit log is closed")
	default:
	}
	select {
	case s.reqs <- p:
	case <-s.stop:
		return Entry{}, errors.New("append audit entry: the audit log is closed")
	case <-ctx.Done():
		return Entry{}, fmt.Errorf("append audit entry: %w", ctx.Err())
	}
	select {
	case <-p.done:
		return p.e, p.err
	case <-s.done:
		// Closed before the appender took this entry: it is not written.
		select {
		case <-p.done:
			return p.e, p.err
		default:
		}
		return Entry{}, errors.New("append audit entry: the audit log is closed")
	case <-ctx.Done():
		// The entry may still be committed: a read logged but not answered
		// is harmless, the reverse is not.
		return Entry{}, fmt.Errorf("append audit entry: %w", ctx.Err())
	}
}

// Close stops the appender once the entries handed to it are written.
func (s *Store) Close() {
	s.start.Do(func() {})
	if s.stop == nil {
		return
	}
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	<-s.done
}

// appender takes the entries waiting and writes them in one transaction:
// one commit (one fsync, one hold of the chain-head lock) for a group.
func (s *Store) appender() {
	defer close(s.done)
	for {
		var first *pending
		select {
		case first = <-s.reqs:
		case <-s.stop:
			return
		}
		group := []*pending{first}
	drain:
		for len(group) < maxGroup {
			select {
			case p := <-s.reqs:
				group = append(group, p)
			default:
				break drain
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := s.write(ctx, group)
		cancel()
		for _, p := range group {
			if err != nil {
				p.err = err
			}
			close(p.done)
		}
	}
}

func (s *Store) write(ctx context.Context, group []*pending) error {
	if s.db.Dialect == database.Postgres {
		return s.writePG(ctx, group)
	}
	return s.writeTx(ctx, group)
}

// link numbers and hashes a group's entries after the entry (seq, prev),
// and returns the entries whose head is checkpointed.
func (s *Store) link(group []*pending, seq int64, prev []byte, now time.Time) []Entry {
	every := s.CheckpointEvery
	if every <= 0 {
		every = DefaultCheckpointEvery
	}
	var checkpoints []Entry
	for _, p := range group {
		e := &p.e
		seq++
		e.Seq, e.At, e.PrevHash = seq, now, prev
		if e.Fields == nil {
			e.Fields = []string{}
		}
		e.Hash = chainHash(prev, e)
		prev = e.Hash
		if seq%every == 0 {
			checkpoints = append(checkpoints, *e)
		}
	}
	return checkpoints
}

// entryArgs appends the insert parameters of an entry.
func (s *Store) entryArgs(args []any, e *Entry) []any {
	fields, _ := json.Marshal(e.Fields)
	return append(args, e.Seq, s.timeArg(e.At), e.Client, e.Subject, e.Form, string(fields),
		e.Purpose, e.Reference, e.RequestID, e.PrevHash, e.Hash)
}

// writeTx appends a group in a transaction that holds SQLite's one write
// lock (the store opens immediate transactions).
func (s *Store) writeTx(ctx context.Context, group []*pending) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("append audit entry: begin: %w", err)
	}
	defer tx.Rollback()
	var (
		seq  int64
		prev []byte
	)
	if err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&seq, &prev); err != nil {
		return fmt.Errorf("append audit entry: read chain head: %w", err)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	checkpoints := s.link(group, seq, prev, now)
	var (
		q    strings.Builder
		args = make([]any, 0, len(group)*11)
	)
	q.WriteString(`INSERT INTO audit_log (` + entryColumns + `) VALUES `)
	for i, p := range group {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
		args = s.entryArgs(args, &p.e)
	}
	if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
		return fmt.Errorf("append audit entries: %w", err)
	}
	last := group[len(group)-1].e
	if _, err := tx.ExecContext(ctx, `UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1`, last.Seq, last.Hash); err != nil {
		return fmt.Errorf("append audit entry: move chain head: %w", err)
	}
	for _, c := range checkpoints {
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit_checkpoints (seq, hash, at) VALUES (?, ?, ?)`,
			c.Seq, c.Hash, s.timeArg(now)); err != nil {
			return fmt.Errorf("append audit entry: checkpoint %d: %w", c.Seq, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("append audit entry: commit: %w", err)
	}
	s.logCheckpoints(checkpoints)
	return nil
}

// writePG appends a group with one statement: it moves the chain head
// only if the head is still the one the group was hashed after (the row
// lock of that UPDATE serialises replicas), and inserts the entries and
// checkpoints only if it moved. When another replica appended first, the
// statement inserts nothing and the group is hashed again after the new
// head. One statement, one commit: the head is locked for one round trip.
func (s *Store) writePG(ctx context.Context, group []*pending) error {
	for attempt := 0; ; attempt++ {
		if s.head == nil || attempt > 0 {
			var h headState
			if err := s.db.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&h.seq, &h.hash); err != nil {
				return fmt.Errorf("append audit entry: read chain head: %w", err)
			}
			s.head = &h
		}
		if attempt >= 1000 {
			return errors.New("append audit entry: the chain head kept moving; too many replicas appending at once")
		}
		now := time.Now().UTC().Truncate(time.Microsecond)
		checkpoints := s.link(group, s.head.seq, s.head.hash, now)
		last := group[len(group)-1].e
		args := []any{last.Seq, last.Hash, s.head.seq, s.head.hash}
		var q strings.Builder
		q.WriteString(`WITH h AS (UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1 AND seq = $3 AND hash = $4 RETURNING 1)`)
		for _, c := range checkpoints {
			args = append(args, c.Seq, c.Hash, now)
			n := len(args)
			fmt.Fprintf(&q, `, c%d AS (INSERT INTO audit_checkpoints (seq, hash, at) SELECT $%d::bigint, $%d::bytea, $%d::timestamptz WHERE EXISTS (SELECT 1 FROM h))`,
				n, n-2, n-1, n)
		}
		q.WriteString(` INSERT INTO audit_log (` + entryColumns + `) SELECT * FROM (VALUES `)
		for i, p := range group {
			if i > 0 {
				q.WriteString(", ")
			}
			n := len(args)
			fmt.Fprintf(&q, "($%d::bigint, $%d::timestamptz, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d::bytea, $%d::bytea)",
				n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8, n+9, n+10, n+11)
			args = s.entryArgs(args, &p.e)
		}
		q.WriteString(`) AS v WHERE EXISTS (SELECT 1 FROM h)`)
		res, err := s.db.ExecContext(ctx, q.String(), args...)
		if err != nil {
			s.head = nil
			return fmt.Errorf("append audit entries: %w", err)
		}
		if n, _ := res.RowsAffected(); n == int64(len(group)) {
			s.head = &headState{seq: last.Seq, hash: last.Hash}
			s.logCheckpoints(checkpoints)
			return nil
		}
	}
}

// headState is the chain head as this appender last left it.
type headState struct {
	seq  int64
	hash []byte
}

func (s *Store) logCheckpoints(checkpoints []Entry) {
	if s.Log == nil {
		return
	}
	for _, c := range checkpoints {
		s.Log.Info("audit checkpoint", "seq", c.Seq, "hash", hex.EncodeToString(c.Hash))
	}
}

// timeArg is a time as the dialect stores it.
func (s *Store) timeArg(t time.Time) any {
	if s.db.Dialect == database.SQLite {
		return t.UTC().Format(timeLayout)
	}
	return t
}

// scanTime reads a time column of either dialect.
func scanTime(v any) (time.Time, error) {
	switch t := v.(type) {
	case time.Time:
		return t.UTC(), nil
	case string:
		return time.Parse(timeLayout, t)
	case []byte:
		return time.Parse(timeLayout, string(t))
	}
	return time.Time{}, fmt.Errorf("unexpected time %T", v)
}

const entryColumns = `seq, at, client, subject, form, fields, purpose, reference, request_id, prev_hash, hash`

func scanEntry(row interface{ Scan(...any) error }) (Entry, error) {
	var (
		e      Entry
		at     any
		fields string
	)
	if err := row.Scan(&e.Seq, &at, &e.Client, &e.Subject, &e.Form, &fields, &e.Purpose, &e.Reference,
		&e.RequestID, &e.PrevHash, &e.Hash); err != nil {
		return Entry{}, err
	}
	t, err := scanTime(at)
	if err != nil {
		return Entry{}, fmt.Errorf("audit entry %d: time: %w", e.Seq, err)
	}
	e.At = t
	if err := json.Unmarshal([]byte(fields), &e.Fields); err != nil {
		// Verify reports it as a broken entry; readers get what was stored.
		e.Fields = []string{"<unreadable: " + fields + ">"}
	}
	return e, nil
}

// Subject returns the entries about one citizen, newest first, at most
// limit (all when limit <= 0): the citizen's access report.
func (s *Store) Subject(ctx context.Context, idNumber string, limit int) ([]Entry, error) {
	q := `SELECT ` + entryColumns + ` FROM audit_log WHERE subject = ? ORDER BY seq DESC`
	args := []any{idNumber}
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := s.db.QueryContext(ctx, s.db.Rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("read access report: %w", err)
	}
	defer rows.Close()
	out := []Entry{}
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, fmt.Errorf("read access report: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read access report: %w", err)
	}
	return out, nil
}

// BrokenError names the first entry at which the chain does not hold.
type BrokenError struct {
	// Seq is the entry's sequence number (where one is missing, the
	// number it should have had).
	Seq    int64
	Reason string
}

func (e *BrokenError) Error() string {
	return fmt.Sprintf("audit chain broken at entry %d: %s", e.Seq, e.Reason)
}

// Report is what Verify found in a sound chain.
type Report struct {
	Entries     int64
	Checkpoints int64
	// Head is the hash of the last entry.
	Head []byte
}

// Verify walks the whole chain in order. It returns a *BrokenError naming
// the first entry that was edited (its hash does not match its content),
// removed (a gap in the sequence), moved (its previous hash is not the
// hash of the entry before it), or cut from the end (the head or a
// checkpoint names an entry that is not there, or another hash).
func (s *Store) Verify(ctx context.Context) (Report, error) {
	var rep Report
	checkpoints := map[int64][]byte{}
	rows, err := s.db.QueryContext(ctx, `SELECT seq, hash FROM audit_checkpoints ORDER BY seq`)
	if err != nil {
		return rep, fmt.Errorf("verify audit chain: %w", err)
	}
	var lastCheckpoint int64
	for rows.Next() {
		var seq int64
		var h []byte
		if err := rows.Scan(&seq, &h); err != nil {
			rows.Close()
			return rep, fmt.Errorf("verify audit chain: %w", err)
		}
		checkpoints[seq] = h
		lastCheckpoint = seq
	}
	rows.Close()
	rep.Checkpoints = int64(len(checkpoints))

	var headSeq int64
	var headHash []byte
	if err := s.db.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&headSeq, &headHash); err != nil {
		return rep, fmt.Errorf("verify audit chain: read head: %w", err)
	}

	rows, err = s.db.QueryContext(ctx, `SELECT `+entryColumns+` FROM audit_log ORDER BY seq`)
	if err != nil {
		return rep, fmt.Errorf("verify audit chain: %w", err)
	}
	defer rows.Close()
	prev := make([]byte, sha256.Size)
	var seq int64
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return rep, fmt.Errorf("verify audit chain: %w", err)
		}
		want := seq + 1
		switch {
		case e.Seq != want:
			return rep, &BrokenError{Seq: want, Reason: fmt.Sprintf("entry %d is missing: entry %d follows entry %d", want, e.Seq, seq)}
		case !bytes.Equal(e.PrevHash, prev):
			return rep, &BrokenError{Seq: e.Seq, Reason: fmt.Sprintf("it does not follow entry %d: its previous hash is not that entry's hash (moved or replaced)", seq)}
		case !bytes.Equal(chainHash(prev, &e), e.Hash):
			return rep, &BrokenError{Seq: e.Seq, Reason: "its content does not match its hash (edited)"}
		}
		if h, ok := checkpoints[e.Seq]; ok && !bytes.Equal(h, e.Hash) {
			return rep, &BrokenError{Seq: e.Seq, Reason: "its hash differs from the checkpoint taken of it (the chain was rewritten)"}
		}
		prev, seq = e.Hash, e.Seq
	}
	if err := rows.Err(); err != nil {
		return rep, fmt.Errorf("verify audit chain: %w", err)
	}
	if headSeq != seq || !bytes.Equal(headHash, prev) {
		return rep, &BrokenError{Seq: seq + 1, Reason: fmt.Sprintf("the log ends at entry %d but its head says entry %d: entries were cut from the end, or the head was rewritten", seq, headSeq)}
	}
	if lastCheckpoint > seq {
		return rep, &BrokenError{Seq: seq + 1, Reason: fmt.Sprintf("the log ends at entry %d but entry %d was checkpointed: entries were cut from the end", seq, lastCheckpoint)}
	}
	rep.Entries, rep.Head = seq, prev
	return rep, nil
}
