package engine_test

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/internal/fixture"
	"github.com/lienthong/lienthong/sync/state"
)

// lockedBuffer collects the engine's log lines from its goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// pinned is one connection to a database, kept for the whole test: the
// test watches the ledger and terminates other backends through it, and it
// must not be among the connections it terminates.
func pinned(t *testing.T, dsn string) *sql.Conn {
	t.Helper()
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// cutInFlight drops every other connection to conn's database, as a
// server restart or a failover does, while the run has a query on table in
// flight: the table is locked until a query of the run waits on it, so the
// fault reaches the run instead of an idle connection that database/sql
// would quietly replace.
func cutInFlight(t *testing.T, conn *sql.Conn, table string) {
	t.Helper()
	ctx := context.Background()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `LOCK TABLE `+table+` IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	for waiting := 0; waiting == 0; time.Sleep(5 * time.Millisecond) {
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()`); err != nil {
		t.Fatal(err)
	}
}

type outcome struct {
	run state.Run
	err error
}

// runAsync starts a run and returns where its outcome arrives.
func (h *harness) runAsync(mode connectors.Mode) <-chan outcome {
	done := make(chan outcome, 1)
	go func() {
		r, err := h.run(context.Background(), mode)
		done <- outcome{r, err}
	}()
	return done
}

// waitCommitted waits until the running run has committed n records,
// failing if it ends first.
func waitCommitted(t *testing.T, store *sql.Conn, n int64, done <-chan outcome) outcome {
	t.Helper()
	for {
		select {
		case o := <-done:
			t.Fatalf("the run ended before it committed %d records: %v %+v", n, o.err, o.run)
		case <-time.After(5 * time.Millisecond):
		}
		var read int64
		err := store.QueryRowContext(context.Background(), `SELECT read FROM runs WHERE status = 'running'`).Scan(&read)
		if err == nil && read >= n {
			return outcome{}
		}
	}
}

// A run survives its source's or its stores' connections being dropped
// mid-run: it reconnects, resumes from its last committed batch in the
// same run, and delivers every row exactly once.
func TestSurvivesDroppedConnections(t *testing.T) {
	for _, side := range []string{"source", "stores"} {
		t.Run(side, func(t *testing.T) {
			const rows = 6000
			h := newHarness(t)
			h.retry = time.Minute
			logs := &lockedBuffer{}
			h.eng.Log = slog.New(slog.NewTextHandler(logs, nil))
			h.seed(1, rows, 3)
			store := pinned(t, h.storeDSN)
			target, table := store, "national_records"
			if side == "source" {
				target, table = pinned(t, h.srcDSN), "khai_sinh"
			}
			done := h.runAsync(connectors.Incremental)
			waitCommitted(t, store, rows/3, done)
			cutInFlight(t, target, table)
			o := <-done
			r := o.run
			if o.err != nil || r.Status != state.StatusSucceeded || !r.Conserved() {
				t.Fatalf("run after its %s connections were dropped: %v, %+v\nlog:\n%s", side, o.err, r, logs.String())
			}
			if !strings.Contains(logs.String(), "transient fault; retrying from the last committed batch") {
				t.Fatalf("the run met no fault; the test proves nothing. log:\n%s", logs.String())
			}
			bad := int64(rows / fixture.BadEvery)
			if r.Read != rows || r.Rejected != bad || r.Inserted+r.Unchanged != rows-bad || r.Updated != 0 {
				t.Fatalf("counts %+v: want %d read once each, %d rejected, the rest inserted (or unchanged when a cut-off write had committed)", r.Counts, rows, bad)
			}
			checkExactlyOnce(t, store, rows)
			var runs int
			if err := store.QueryRowContext(context.Background(), `SELECT count(*) FROM runs`).Scan(&runs); err != nil || runs != 1 {
				t.Fatalf("%d runs in the ledger (%v): the run must resume itself, not leave it to another", runs, err)
			}
		})
	}
}

// checkExactlyOnce checks that source rows 1..rows are each in the
// national store or in the rejects, exactly once.
func checkExactlyOnce(t *testing.T, store *sql.Conn, rows int) {
	t.Helper()
	ctx := context.Background()
	var n, distinct, bad, both, missing int64
	if err := store.QueryRowContext(ctx, `SELECT count(*), count(DISTINCT source_key) FROM national_records WHERE deleted_at IS NULL`).Scan(&n, &distinct); err != nil {
		t.Fatal(err)
	}
	if err := store.QueryRowContext(ctx, `SELECT count(*) FROM rejects`).Scan(&bad); err != nil {
		t.Fatal(err)
	}
	if err := store.QueryRowContext(ctx, `SELECT count(*) FROM national_records n JOIN rejects r ON r.source_key = n.source_key`).Scan(&both); err != nil {
		t.Fatal(err)
	}
	if err := store.QueryRowContext(ctx, `SELECT count(*) FROM generate_series(1, $1::int) g
		LEFT JOIN (SELECT source_key FROM national_records UNION ALL SELECT source_key FROM rejects) k ON k.source_key = g::text
		WHERE k.source_key IS NULL`, rows).Scan(&missing); err != nil {
		t.Fatal(err)
	}
	if n != distinct || n+bad != int64(rows) || both != 0 || missing != 0 {
		t.Fatalf("%d national (%d distinct), %d rejects, %d in both, %d missing; want %d rows exactly once", n, distinct, bad, both, missing, rows)
	}
}

// proxy forwards TCP connections to a database server until it is cut:
// then it drops every connection and refuses new ones, as a server that
// went down and stays down.
type proxy struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func newProxy(t *testing.T, upstream string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln}
	t.Cleanup(p.cut)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", upstream)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, u)
			p.mu.Unlock()
			go func() { io.Copy(u, c); u.Close() }()
			go func() { io.Copy(c, u); c.Close() }()
		}
	}()
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) cut() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// A fault that persists ends the run after retry_transient_for, with the
// error in the ledger and the batches committed before it kept.
func TestGivesUpOnAPersistentFault(t *testing.T) {
	const rows = 6000
	h := newHarness(t)
	h.retry = time.Second
	h.seed(1, rows, 3)
	px := newProxy(t, "127.0.0.1:5432")
	src, err := connectors.Open(context.Background(), connectors.Config{Name: "ho-tich", Kind: "postgres",
		DSN: strings.Replace(h.srcDSN, "127.0.0.1:5432", px.addr(), 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	direct := h.src
	h.src = src
	store := pinned(t, h.storeDSN)
	done := h.runAsync(connectors.Incremental)
	waitCommitted(t, store, rows/3, done)
	px.cut()
	o := <-done
	r := o.run
	if o.err == nil || r.Status != state.StatusFailed || !r.Conserved() {
		t.Fatalf("run whose source went away for good: %v, %+v", o.err, r)
	}
	for _, want := range []string{"gave up after", "transient faults", "retry_transient_for 1s", "connection refused"} {
		if !strings.Contains(r.Error, want) {
			t.Errorf("ledger error %q lacks %q", r.Error, want)
		}
	}
	if r.Read < rows/3 || r.Read >= rows {
		t.Fatalf("the failed run committed %d records; want those before the fault", r.Read)
	}
	st, err := h.st.State(context.Background(), h.ref)
	if err != nil || st.Checkpoint == nil {
		t.Fatalf("checkpoint after the failed run: %s %v; want its last committed batch", st.Checkpoint, err)
	}
	// The source is back: the next run delivers the rest, once.
	h.src = direct
	h.mustRun(connectors.Incremental)
	checkExactlyOnce(t, store, rows)
}
