package sqlsource_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"

	"github.com/lienthong/lienthong/connectors"
	_ "github.com/lienthong/lienthong/connectors/sqlsource"
	"github.com/lienthong/lienthong/internal/testdb"
)

// backend is one real database a test runs against, with a read-write
// handle for building fixtures; the source under test opens its own.
type backend struct {
	kind string
	dsn  string
	db   *sqlx.DB
}

// kinds are the connector kinds every dialect-parameterised test runs on.
var kinds = []string{"postgres", "sqlite", "mysql"}

// each runs a test on PostgreSQL, on SQLite and on MariaDB.
func each(t *testing.T, f func(t *testing.T, b *backend)) {
	t.Helper()
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) { f(t, newBackend(t, kind)) })
	}
}

func newBackend(t testing.TB, kind string) *backend {
	t.Helper()
	b := &backend{kind: kind}
	var err error
	switch kind {
	case "postgres":
		b.dsn = testdb.Postgres(t)
		b.db, err = sqlx.Open("postgres", b.dsn)
	case "sqlite":
		b.dsn = testdb.SQLite(t)
		b.db, err = sqlx.Open("sqlite", b.dsn)
	case "mysql":
		b.dsn = testdb.MariaDB(t)
		b.db, err = openMySQLFixture(b.dsn)
	}
	if err != nil {
		t.Fatalf("open %s fixture: %v", kind, err)
	}
	t.Cleanup(func() { b.db.Close() })
	return b
}

// openMySQLFixture opens the read-write handle of a MariaDB fixture. It
// speaks utf8mb4 and UTC, as the source does, so that what a test writes is
// what the source reads.
func openMySQLFixture(dsn string) (*sqlx.DB, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	if err := cfg.Apply(mysql.Charset("utf8mb4", "")); err != nil {
		return nil, err
	}
	cfg.ParseTime = true
	cfg.Params = map[string]string{"time_zone": "'+00:00'"}
	return sqlx.Open("mysql", cfg.FormatDSN())
}

// pick chooses the PostgreSQL, the SQLite or the MySQL spelling of a piece
// of SQL.
func (b *backend) pick(pg, lite, my string) string {
	switch b.kind {
	case "postgres":
		return pg
	case "sqlite":
		return lite
	}
	return my
}

func (b *backend) exec(t testing.TB, q string, args ...any) {
	t.Helper()
	if _, err := b.db.Exec(b.db.Rebind(q), args...); err != nil {
		t.Fatalf("fixture %q: %v", q, err)
	}
}

// at is a timestamp cursor value minutes after a fixed instant, as the
// backend stores it: timestamptz on PostgreSQL, 'YYYY-MM-DD HH:MM:SS' text on
// SQLite, DATETIME(6) on MySQL. It crosses an hour boundary to catch
// text-vs-time mistakes.
func (b *backend) at(minutes int) string {
	ts := time.Date(2024, 5, 1, 9, 55, 0, 0, time.UTC).Add(time.Duration(minutes) * time.Minute)
	return ts.Format(b.pick("2006-01-02 15:04:05-07", "2006-01-02 15:04:05", "2006-01-02 15:04:05"))
}

// timestampType is the column type for a timestamp cursor.
func (b *backend) timestampType() string { return b.pick("timestamptz", "TEXT", "DATETIME(6)") }

func (b *backend) open(t testing.TB) connectors.Source {
	t.Helper()
	return b.openTimeout(t, 0)
}

func (b *backend) openTimeout(t testing.TB, timeout time.Duration) connectors.Source {
	t.Helper()
	src, err := connectors.Open(context.Background(), connectors.Config{
		Name: "ho_tich", Kind: b.kind, DSN: b.dsn, Timeout: timeout,
	})
	if err != nil {
		t.Fatalf("open source: %v", err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

// readN reads at most n records (n < 0: all), then closes the reader as a
// killed run would. final is the reader's Final if the stream ended.
func readN(t testing.TB, src connectors.Source, req connectors.ReadRequest, n int) (recs []connectors.Record, final connectors.Checkpoint) {
	t.Helper()
	ctx := context.Background()
	r, err := src.Read(ctx, req)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	defer r.Close()
	for n < 0 || len(recs) < n {
		rec, err := r.Next(ctx)
		if errors.Is(err, connectors.ErrEndOfStream) {
			final = r.Final()
			if final == nil {
				t.Fatal("Final is nil after ErrEndOfStream")
			}
			return recs, final
		}
		if err != nil {
			t.Fatalf("next after %d records: %v", len(recs), err)
		}
		if len(recs) > 1_000_000 {
			t.Fatal("reader does not end")
		}
		recs = append(recs, rec)
	}
	return recs, nil
}

func readAll(t testing.TB, src connectors.Source, req connectors.ReadRequest) ([]connectors.Record, connectors.Checkpoint) {
	t.Helper()
	return readN(t, src, req, -1)
}

// readErr returns the first error a read gives, from Read or from Next.
func readErr(src connectors.Source, req connectors.ReadRequest) error {
	ctx := context.Background()
	r, err := src.Read(ctx, req)
	if err != nil {
		return err
	}
	defer r.Close()
	for {
		if _, err := r.Next(ctx); err != nil {
			if errors.Is(err, connectors.ErrEndOfStream) {
				return nil
			}
			return err
		}
	}
}

func keysOf(recs []connectors.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Key
	}
	return out
}

func ids(ns ...int) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = fmt.Sprint(n)
	}
	return out
}

func sameKeys(t testing.TB, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("%s: keys\n got %v\nwant %v", what, got, want)
	}
}

// decoded is a checkpoint as a test inspects it.
type decoded struct {
	Cursor  *string  `json:"cursor"`
	Key     []string `json:"key"`
	NullKey []string `json:"null_key"`
	Full    bool     `json:"full"`
	FullKey []string `json:"full_key"`
}

func decode(t testing.TB, cp connectors.Checkpoint) decoded {
	t.Helper()
	var d decoded
	if err := json.Unmarshal(cp, &d); err != nil {
		t.Fatalf("checkpoint %s: %v", cp, err)
	}
	return d
}

func contains(err error, s string) bool { return err != nil && strings.Contains(err.Error(), s) }
