package conformance_test

import (
	"context"
	"database/sql"
	"log/slog"
	"strconv"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	_ "github.com/lib/pq"
	_ "modernc.org/sqlite"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/connectors/conformance"
	_ "github.com/lienthong/lienthong/connectors/sqlsource"
	"github.com/lienthong/lienthong/internal/testdb"
)

// peers lists every connector kind with its peer. A new connector joins the
// suite with one line here.
var peers = []struct {
	kind string
	peer conformance.NewPeer
}{
	{"postgres", sqlPeer("postgres")},
	{"sqlite", sqlPeer("sqlite")},
	{"mysql", sqlPeer("mysql")},
	{"httpjson", newAPIPeer},
	{"file", newFilePeer},
	{"exec", newTapPeer},
}

func TestConformance(t *testing.T) {
	for _, p := range peers {
		t.Run(p.kind, func(t *testing.T) { conformance.Run(t, p.peer) })
	}
}

var epoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// peerLog is a connector's log for a scenario: in the test's output, shown
// with -v or when the scenario fails.
func peerLog(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// sqlDB is a table in a real database read by the sqlsource connector.
type sqlDB struct {
	kind string
	dsn  string
	db   *sql.DB
}

func sqlPeer(kind string) conformance.NewPeer {
	return func(t *testing.T) conformance.Peer {
		p := &sqlDB{kind: kind}
		driver, create := "postgres", `CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT, place TEXT, updated_at TIMESTAMPTZ)`
		switch kind {
		case "postgres":
			p.dsn = testdb.Postgres(t)
		case "sqlite":
			p.dsn = testdb.SQLite(t)
			driver, create = "sqlite", `CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT, place TEXT, updated_at TEXT)`
		case "mysql":
			p.dsn = testdb.MariaDB(t)
			driver, create = "mysql", `CREATE TABLE people (id INTEGER PRIMARY KEY, name VARCHAR(200), place VARCHAR(200), updated_at DATETIME(6) NULL)`
		}
		db, err := sql.Open(driver, p.dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if _, err := db.Exec(create); err != nil {
			t.Fatal(err)
		}
		p.db = db
		return p
	}
}

func (p *sqlDB) Caps() conformance.Caps {
	return conformance.Caps{NullCursor: true, FullRefresh: true, Updates: true, Columns: true}
}

func (p *sqlDB) Open(t *testing.T, pageSize int) (connectors.Source, connectors.Stream) {
	src, err := connectors.Open(context.Background(), connectors.Config{Name: "peer", Kind: p.kind, DSN: p.dsn})
	if err != nil {
		t.Fatal(err)
	}
	return src, connectors.Stream{Name: "people", Table: "people", PrimaryKey: []string{"id"}, Cursor: "updated_at"}
}

func (p *sqlDB) Put(t *testing.T, rows ...conformance.Row) {
	t.Helper()
	for _, r := range rows {
		var cursor any
		if !r.NullCursor {
			ts := epoch.Add(time.Duration(r.Cursor) * time.Second)
			if p.kind == "sqlite" {
				cursor = ts.Format(time.DateTime)
			} else {
				cursor = ts
			}
		}
		id, _ := strconv.Atoi(r.ID)
		upsert := `INSERT INTO people (id, name, place, updated_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name, place = excluded.place, updated_at = excluded.updated_at`
		if p.kind == "mysql" {
			upsert = `REPLACE INTO people (id, name, place, updated_at) VALUES (?, ?, ?, ?)`
		}
		if _, err := p.db.Exec(upsert, id, r.Name, r.Place, cursor); err != nil {
			t.Fatal(err)
		}
	}
}

func (p *sqlDB) Delete(t *testing.T, ids ...string) {
	t.Helper()
	for _, id := range ids {
		del := `DELETE FROM people WHERE id = $1`
		if p.kind == "mysql" {
			del = `DELETE FROM people WHERE id = ?`
		}
		if _, err := p.db.Exec(del, id); err != nil {
			t.Fatal(err)
		}
	}
}
