package sqlsource_test

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/connectors/sqlsource"
)

func TestRegistered(t *testing.T) {
	for _, k := range kinds {
		if !slices.Contains(connectors.Kinds(), k) {
			t.Errorf("kind %q not registered (kinds %v)", k, connectors.Kinds())
		}
	}
}

// TestIdentifierInjection: names that are not plain identifiers never reach
// the database, whatever the operation.
func TestIdentifierInjection(t *testing.T) {
	each(t, func(t *testing.T, b *backend) {
		b.exec(t, `CREATE TABLE items (id INTEGER PRIMARY KEY, upd INTEGER)`)
		b.exec(t, `INSERT INTO items VALUES (1, 1)`)
		src := b.open(t)
		cases := []struct {
			name   string
			stream connectors.Stream
		}{
			{"statement in table", connectors.Stream{Table: "items; DROP TABLE items", PrimaryKey: []string{"id"}, Cursor: "upd"}},
			{"quote in table", connectors.Stream{Table: `items" WHERE 1=1 --`, PrimaryKey: []string{"id"}, Cursor: "upd"}},
			{"backtick in table", connectors.Stream{Table: "items` WHERE 1=1 -- ", PrimaryKey: []string{"id"}, Cursor: "upd"}},
			{"backtick in key", connectors.Stream{Table: "items", PrimaryKey: []string{"id`) OR (1=1"}, Cursor: "upd"}},
			{"three-part table", connectors.Stream{Table: "a.b.items", PrimaryKey: []string{"id"}, Cursor: "upd"}},
			{"quoted table", connectors.Stream{Table: `"items"`, PrimaryKey: []string{"id"}, Cursor: "upd"}},
			{"expression as key", connectors.Stream{Table: "items", PrimaryKey: []string{"id) OR (1=1"}, Cursor: "upd"}},
			{"quote in cursor", connectors.Stream{Table: "items", PrimaryKey: []string{"id"}, Cursor: `upd"; DROP TABLE items; --`}},
			{"space in cursor", connectors.Stream{Table: "items", PrimaryKey: []string{"id"}, Cursor: "upd desc"}},
			{"leading digit", connectors.Stream{Table: "items", PrimaryKey: []string{"1id"}, Cursor: "upd"}},
			{"not a select", connectors.Stream{Query: "DELETE FROM items", PrimaryKey: []string{"id"}, Cursor: "upd"}},
			{"no key", connectors.Stream{Table: "items", Cursor: "upd"}},
			{"table and query", connectors.Stream{Table: "items", Query: "SELECT 1", PrimaryKey: []string{"id"}}},
			{"look-back neither number nor duration", connectors.Stream{Table: "items", PrimaryKey: []string{"id"}, Cursor: "upd", LookBack: "a week"}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				tc.stream.Name = "bad"
				if err := readErr(src, incremental(tc.stream, nil, 10)); !errors.Is(err, sqlsource.ErrInvalidStream) {
					t.Errorf("read: err = %v, want ErrInvalidStream", err)
				}
				if err := src.Check(t.Context(), tc.stream); !errors.Is(err, sqlsource.ErrInvalidStream) {
					t.Errorf("check: err = %v, want ErrInvalidStream", err)
				}
			})
		}
		var n int
		if err := b.db.Get(&n, `SELECT count(*) FROM items`); err != nil || n != 1 {
			t.Fatalf("items after the attempts: %d rows, %v", n, err)
		}
	})
}

func TestCheck(t *testing.T) {
	each(t, func(t *testing.T, b *backend) {
		b.exec(t, `CREATE TABLE items (id INTEGER PRIMARY KEY, upd `+b.timestampType()+`, name TEXT, bare`+b.pick(" TEXT", "", " TEXT")+`)`)
		b.exec(t, `INSERT INTO items VALUES (1, ?, 'a', 5)`, b.at(1))
		b.exec(t, `INSERT INTO items VALUES (2, ?, 'a', 7)`, b.at(2))
		src := b.open(t)
		cases := []struct {
			name   string
			stream connectors.Stream
			is     error
			says   []string
		}{
			{name: "good table", stream: items},
			{name: "good query", stream: connectors.Stream{Query: "SELECT id, upd FROM items", PrimaryKey: []string{"id"}, Cursor: "upd"}},
			{name: "missing key", stream: connectors.Stream{Table: "items", PrimaryKey: []string{"idd"}, Cursor: "upd"},
				is: sqlsource.ErrMissingColumn, says: []string{`primary key column "idd"`, "primary_key", "id, upd, name"}},
			{name: "missing cursor", stream: connectors.Stream{Table: "items", PrimaryKey: []string{"id"}, Cursor: "updated_at"},
				is: sqlsource.ErrMissingColumn, says: []string{`cursor column "updated_at"`}},
			{name: "cursor left out of the query", stream: connectors.Stream{Query: "SELECT id FROM items", PrimaryKey: []string{"id"}, Cursor: "upd"},
				is: sqlsource.ErrMissingColumn, says: []string{`cursor column "upd"`}},
			{name: "no such table", stream: connectors.Stream{Table: "itemz", PrimaryKey: []string{"id"}},
				says: []string{"itemz"}},
			{name: "key not unique", stream: connectors.Stream{Table: "items", PrimaryKey: []string{"name"}},
				is: sqlsource.ErrInvalidStream, says: []string{"unique"}},
			{name: "NULL key", stream: connectors.Stream{Query: "SELECT id, CASE WHEN id = 2 THEN NULL ELSE id END AS k FROM items", PrimaryKey: []string{"k"}},
				is: sqlsource.ErrInvalidStream, says: []string{"NULL"}},
		}
		if b.kind == "sqlite" {
			// A typeless column has no affinity: its integers never equal
			// their text, and paging after them would skip rows.
			cases = append(cases, struct {
				name   string
				stream connectors.Stream
				is     error
				says   []string
			}{name: "typeless cursor", stream: connectors.Stream{Table: "items", PrimaryKey: []string{"id"}, Cursor: "bare"},
				is: sqlsource.ErrInvalidStream, says: []string{"not found again by its own text"}})
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				tc.stream.Name = "s"
				err := src.Check(t.Context(), tc.stream)
				if tc.is == nil && tc.says == nil {
					if err != nil {
						t.Fatalf("check: %v", err)
					}
					return
				}
				if err == nil {
					t.Fatal("check passed")
				}
				if tc.is != nil && !errors.Is(err, tc.is) {
					t.Errorf("err = %v, want %v", err, tc.is)
				}
				for _, s := range append(tc.says, `stream "s"`) {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("err = %v, want it to say %q", err, s)
					}
				}
			})
		}
		if b.kind == "sqlite" {
			// Reading the typeless cursor fails too, on its first page.
			st := connectors.Stream{Name: "s", Table: "items", PrimaryKey: []string{"id"}, Cursor: "bare"}
			if err := readErr(src, incremental(st, nil, 1)); !errors.Is(err, sqlsource.ErrInvalidStream) {
				t.Errorf("read of a typeless cursor: err = %v, want ErrInvalidStream", err)
			}
		}
	})
}

func TestDiscover(t *testing.T) {
	each(t, func(t *testing.T, b *backend) {
		b.exec(t, `CREATE TABLE giay_khai_sinh (id BIGINT PRIMARY KEY, ho_ten TEXT NOT NULL, updated_by TEXT,
			ngay_cap_nhat `+b.pick("timestamptz", "DATETIME", "DATETIME(3)")+`)`)
		b.exec(t, `CREATE TABLE ket_hon (tinh `+b.pick("TEXT", "TEXT", "VARCHAR(30)")+`, so INTEGER, ngay_dang_ky DATE, PRIMARY KEY (tinh, so))`)
		b.exec(t, `CREATE VIEW v_khai_sinh AS SELECT id, ho_ten FROM giay_khai_sinh`)
		b.exec(t, `INSERT INTO giay_khai_sinh VALUES (1, 'Nguyễn Văn A', 'x', ?)`, b.at(0))
		if b.kind == "mysql" {
			// InnoDB's row estimate is exact for a table this small once
			// its statistics are taken.
			b.exec(t, `ANALYZE TABLE giay_khai_sinh`)
		}
		src := b.open(t)
		infos, err := src.(connectors.Discoverer).Discover(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		byName := map[string]connectors.StreamInfo{}
		for _, i := range infos {
			byName[i.Name] = i
		}
		// MySQL streams of the DSN's database are named by table alone.
		name := func(s string) string { return b.pick("public.", "", "") + s }
		ks, ok := byName[name("giay_khai_sinh")]
		if !ok {
			t.Fatalf("giay_khai_sinh not discovered in %v", infos)
		}
		if !slices.Equal(ks.SuggestedKey, []string{"id"}) || ks.SuggestedCursor != "ngay_cap_nhat" {
			t.Errorf("giay_khai_sinh: key %v cursor %q, want [id] ngay_cap_nhat", ks.SuggestedKey, ks.SuggestedCursor)
		}
		if len(ks.Columns) != 4 || ks.Columns[1].Name != "ho_ten" || ks.Columns[1].Nullable || !ks.Columns[2].Nullable {
			t.Errorf("giay_khai_sinh columns %+v", ks.Columns)
		}
		if b.kind != "postgres" && ks.EstimatedRecords != 1 {
			t.Errorf("estimated records %d, want 1", ks.EstimatedRecords)
		}
		if b.kind == "mysql" {
			// The full column type, as a DBA wrote it.
			if got := ks.Columns[3].Type; got != "datetime(3)" {
				t.Errorf("ngay_cap_nhat type %q, want datetime(3)", got)
			}
			if len(infos) != 3 {
				t.Errorf("discovered %d streams, want only the DSN's database's 3: %+v", len(infos), infos)
			}
		}
		kh := byName[name("ket_hon")]
		if !slices.Equal(kh.SuggestedKey, []string{"tinh", "so"}) || kh.SuggestedCursor != "" {
			t.Errorf("ket_hon: key %v cursor %q, want [tinh so] and no cursor", kh.SuggestedKey, kh.SuggestedCursor)
		}
		if v, ok := byName[name("v_khai_sinh")]; !ok || len(v.Columns) != 2 {
			t.Errorf("view not discovered with its columns: %+v", v)
		}
		// What discovery suggests must be readable as is.
		st := connectors.Stream{Name: ks.Name, Table: ks.Name, PrimaryKey: ks.SuggestedKey, Cursor: ks.SuggestedCursor}
		if err := src.Check(t.Context(), st); err != nil {
			t.Errorf("check the discovered stream: %v", err)
		}
		if b.kind == "mysql" {
			// A DSN without a database: every database's tables, named
			// database.table, and readable by that name.
			cfg, err := mysql.ParseDSN(b.dsn)
			if err != nil {
				t.Fatal(err)
			}
			db := cfg.DBName
			cfg.DBName = ""
			server, err := connectors.Open(t.Context(), connectors.Config{Name: "server", Kind: "mysql", DSN: cfg.FormatDSN()})
			if err != nil {
				t.Fatal(err)
			}
			defer server.Close()
			infos, err := server.(connectors.Discoverer).Discover(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			var mine []string
			for _, i := range infos {
				if strings.HasPrefix(i.Name, "mysql.") || strings.HasPrefix(i.Name, "information_schema.") {
					t.Errorf("server stream %s discovered", i.Name)
				}
				if strings.HasPrefix(i.Name, db+".") {
					mine = append(mine, i.Name)
				}
			}
			want := []string{db + ".giay_khai_sinh", db + ".ket_hon", db + ".v_khai_sinh"}
			if !slices.Equal(mine, want) {
				t.Errorf("streams of %s: %v, want %v", db, mine, want)
			}
			st.Table = db + ".giay_khai_sinh"
			if err := server.Check(t.Context(), st); err != nil {
				t.Errorf("check %s: %v", st.Table, err)
			}
		}
	})
}

// TestDSNPasswordNeverShown opens sources that fail in different places
// (parse, connect, authenticate) and looks for the password in every error
// of the chain.
func TestDSNPasswordNeverShown(t *testing.T) {
	const pw = "Sup3r-S3cret_pw"
	cases := []struct{ name, kind, dsn string }{
		{"refused URL", "postgres", "postgres://postgres:" + pw + "@127.0.0.1:1/x?sslmode=disable&connect_timeout=2"},
		{"unparsable URL", "postgres", "postgres://postgres:" + pw + "@127.0.0.1:notaport/x"},
		{"password in query", "postgres", "postgres://postgres@127.0.0.1:5432/no_such_db_lt?sslmode=disable&password=" + pw},
		{"key=value", "postgres", "host=127.0.0.1 port=1 user=postgres password=" + pw + " dbname=x sslmode=disable connect_timeout=2"},
		{"quoted key=value", "postgres", "host=127.0.0.1 port=5432 user=postgres password='" + pw + " x' dbname=no_such_db_lt sslmode=disable"},
		{"bad key=value", "postgres", "host=127.0.0.1 password=" + pw + " sslmode=bogus"},
		{"mysql refused", "mysql", "root:" + pw + "@tcp(127.0.0.1:1)/x?timeout=2s"},
		{"mysql wrong password", "mysql", "root:" + pw + "@tcp(127.0.0.1:3306)/x"},
		{"mysql password with @ and /", "mysql", "root:" + pw + "@/x@tcp(127.0.0.1:3306)/x"},
		{"mysql unclosed address", "mysql", "root:" + pw + "@tcp(127.0.0.1:3306/x"},
		{"mysql bad parameter", "mysql", "root:" + pw + "@tcp(127.0.0.1:3306)/x?parseTime=maybe"},
		{"mysql removed strict parameter", "mysql", "root:" + pw + "@tcp(127.0.0.1:3306)/x?strict=true"},
		{"mysql URL wrong password", "mysql", "mysql://root:" + pw + "@127.0.0.1:3306/x"},
		{"mysql URL bad port", "mysql", "mysql://root:" + pw + "@127.0.0.1:notaport/x"},
		{"mysql URL escaped password", "mysql", "mysql://root:" + pw + "%2F%40@127.0.0.1:3306/x"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src, err := connectors.Open(t.Context(), connectors.Config{Name: "dept", Kind: tc.kind, DSN: tc.dsn, Timeout: 5 * time.Second})
			if err == nil {
				src.Close()
				t.Fatal("open succeeded")
			}
			for e := err; e != nil; e = errors.Unwrap(e) {
				if strings.Contains(e.Error(), pw) || strings.Contains(e.Error(), "Sup3r") {
					t.Fatalf("error shows the password: %v", e)
				}
			}
			t.Log(err)
		})
	}
	// And the scrubbing itself, for messages a driver might produce.
	scrubs := []struct{ kind, dsn, msg, secret string }{
		{"postgres", "postgres://u:p%40ss+w0rd@h/db", `parse "postgres://u:p%40ss+w0rd@h/db": p@ss+w0rd p@ss w0rd`, "p@ss+w0rd"},
		{"mysql", "u:p@ss/w0rd@tcp(h:3306)/db", `dial "u:p@ss/w0rd@tcp(h:3306)/db": p@ss/w0rd`, "p@ss/w0rd"},
		{"mysql", "u:p@ss/w0rd@tcp(h:3306", `bad DSN: p@ss/w0rd`, "p@ss/w0rd"},
	}
	for _, sc := range scrubs {
		if msg := sqlsource.Scrub(sc.kind, sc.dsn, sc.msg); strings.Contains(msg, sc.secret) || strings.Contains(msg, "p%40ss") {
			t.Errorf("scrubbed message %q still shows the password", msg)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := t.Context()
	_, err := connectors.Open(ctx, connectors.Config{Name: "dept", Kind: "sqlite", DSN: t.TempDir() + "/missing.db"})
	if !contains(err, "missing.db") {
		t.Errorf("missing sqlite file: err = %v", err)
	}
	notDB := t.TempDir() + "/notes.txt"
	if err := os.WriteFile(notDB, []byte("not a database, just some text that is long enough"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = connectors.Open(ctx, connectors.Config{Name: "dept", Kind: "sqlite", DSN: notDB})
	if !contains(err, "not a database") {
		t.Errorf("not a database: err = %v", err)
	}
	path := newBackend(t, "sqlite").dsn
	_, err = connectors.Open(ctx, connectors.Config{Name: "dept", Kind: "sqlite", DSN: path, Options: map[string]any{"page_sise": 10}})
	if !contains(err, `"page_sise"`) {
		t.Errorf("unknown option: err = %v, want it named", err)
	}
}

// TestSQLiteIsReadOnly: a second statement smuggled into a query stream
// neither runs nor writes.
func TestSQLiteIsReadOnly(t *testing.T) {
	b := newBackend(t, "sqlite")
	b.exec(t, `CREATE TABLE items (id INTEGER PRIMARY KEY, upd INTEGER)`)
	src := b.open(t)
	st := connectors.Stream{Name: "w", Query: "SELECT * FROM items; INSERT INTO items VALUES (9, 9)", PrimaryKey: []string{"id"}}
	if err := readErr(src, fullRefresh(st, nil, 10)); err == nil {
		t.Error("a query with a second statement was read")
	}
	var n int
	if err := b.db.Get(&n, `SELECT count(*) FROM items`); err != nil || n != 0 {
		t.Fatalf("items: %d rows, %v", n, err)
	}
}

// TestTimeout: a query slower than the source's timeout fails, naming the
// stream and what to change.
func TestTimeout(t *testing.T) {
	for _, kind := range []string{"postgres", "mysql"} {
		t.Run(kind, func(t *testing.T) {
			b := newBackend(t, kind)
			b.exec(t, `CREATE TABLE items (id INTEGER PRIMARY KEY, upd INTEGER)`)
			b.exec(t, `INSERT INTO items VALUES (1, 1)`)
			src := b.openTimeout(t, 300*time.Millisecond)
			query := b.pick("SELECT i.id, i.upd FROM items i CROSS JOIN pg_sleep(5)", "",
				// Short: the server finishes the sleep after the client left,
				// and the test's database is dropped after it.
				"SELECT i.id, i.upd FROM items i CROSS JOIN (SELECT SLEEP(2) AS z) s")
			st := connectors.Stream{Name: "slow", Query: query, PrimaryKey: []string{"id"}, Cursor: "upd"}
			err := readErr(src, incremental(st, nil, 10))
			if err == nil || !contains(err, `stream "slow"`) || !contains(err, "timed out") {
				t.Errorf("err = %v, want a timeout naming the stream", err)
			}
		})
	}
}

// TestReadOnly: a query stream that calls a function which writes fails in
// the read-only transaction, and nothing is written.
func TestReadOnly(t *testing.T) {
	for _, kind := range []string{"postgres", "mysql"} {
		t.Run(kind, func(t *testing.T) {
			b := newBackend(t, kind)
			b.exec(t, `CREATE TABLE items (id INTEGER PRIMARY KEY, upd INTEGER)`)
			b.exec(t, `INSERT INTO items VALUES (1, 1)`)
			b.exec(t, b.pick(
				`CREATE FUNCTION sneak() RETURNS integer LANGUAGE sql VOLATILE AS 'INSERT INTO items VALUES (9, 9) RETURNING 1'`, "",
				`CREATE FUNCTION sneak() RETURNS INT MODIFIES SQL DATA BEGIN INSERT INTO items VALUES (9, 9); RETURN 1; END`))
			src := b.open(t)
			st := connectors.Stream{Name: "w", Query: "SELECT id, upd, sneak() AS s FROM items", PrimaryKey: []string{"id"}, Cursor: "upd"}
			for _, mode := range []connectors.Mode{connectors.Incremental, connectors.FullRefresh} {
				err := readErr(src, connectors.ReadRequest{Stream: st, Mode: mode, PageSize: 10})
				if err == nil || !contains(err, b.pick("read-only transaction", "", "READ ONLY")) {
					t.Errorf("%s read of a writing query: err = %v, want it refused as a write in a read-only transaction", mode, err)
				}
			}
			var n int
			if err := b.db.Get(&n, `SELECT count(*) FROM items`); err != nil || n != 1 {
				t.Fatalf("items: %d rows, %v", n, err)
			}
		})
	}
}
