package sqlsource_test

import (
	"strings"
	"testing"

	"github.com/lienthong/lienthong/connectors"
)

// TestColumns: a table's and a query's columns are listed, in order,
// without reading a row; a table that does not exist is an error.
func TestColumns(t *testing.T) {
	each(t, func(t *testing.T, b *backend) {
		b.exec(t, `CREATE TABLE ho_tich (id INTEGER PRIMARY KEY, ngay_cap_nhat `+b.timestampType()+`, ho_ten TEXT, `+b.pick(`"Số định danh"`, `"Số định danh"`, "`Số định danh`")+` TEXT)`)
		src := b.open(t).(connectors.ColumnLister)
		cases := []struct {
			name   string
			stream connectors.Stream
			want   string
		}{
			{"table", connectors.Stream{Table: "ho_tich", PrimaryKey: []string{"id"}}, "id,ngay_cap_nhat,ho_ten,Số định danh"},
			{"query", connectors.Stream{Query: "SELECT ho_ten, id AS so FROM ho_tich WHERE id > 10", PrimaryKey: []string{"so"}}, "ho_ten,so"},
		}
		for _, tc := range cases {
			cols, ok, err := src.Columns(t.Context(), tc.stream)
			if err != nil || !ok {
				t.Fatalf("%s: columns %v, ok %v, err %v", tc.name, cols, ok, err)
			}
			if got := strings.Join(cols, ","); got != tc.want {
				t.Errorf("%s: columns %s, want %s", tc.name, got, tc.want)
			}
		}
		_, _, err := src.Columns(t.Context(), connectors.Stream{Name: "s", Table: "ho_tichh", PrimaryKey: []string{"id"}})
		if !contains(err, `table "ho_tichh"`) {
			t.Errorf("missing table: err = %v, want it named", err)
		}
	})
}

// TestAdvise: a stream whose table has no index leading with (cursor,
// primary key), or with the primary key for a stream without cursor, is
// warned about by table and columns, with a statement that creates the
// index; once it exists, nothing is said. Views and queries are not looked
// at.
func TestAdvise(t *testing.T) {
	each(t, func(t *testing.T, b *backend) {
		// The fixture's handle quotes MySQL identifiers in backticks only
		// in the statements the advice gives; none are needed here.
		b.exec(t, `CREATE TABLE ho_tich (id INTEGER PRIMARY KEY, ngay_cap_nhat `+b.timestampType()+`, ma_ho `+b.pick("TEXT", "TEXT", "VARCHAR(20)")+`)`)
		b.exec(t, `CREATE VIEW v_ho_tich AS SELECT id, ngay_cap_nhat FROM ho_tich`)
		src := b.open(t).(connectors.Advisor)
		advise := func(st connectors.Stream) []string {
			t.Helper()
			st.Name = "khai_sinh"
			w, err := src.Advise(t.Context(), st)
			if err != nil {
				t.Fatalf("advise: %v", err)
			}
			return w
		}
		incremental := connectors.Stream{Table: "ho_tich", PrimaryKey: []string{"id"}, Cursor: "ngay_cap_nhat"}
		w := advise(incremental)
		if len(w) != 1 || !strings.Contains(w[0], `table "ho_tich" has no index whose leading columns are (ngay_cap_nhat, id)`) ||
			!strings.Contains(w[0], "incremental") {
			t.Fatalf("incremental stream without an index: warnings %q", w)
		}
		_, stmt, ok := strings.Cut(w[0], "create one: ")
		if !ok || !strings.HasPrefix(stmt, "CREATE INDEX") {
			t.Fatalf("warning %q gives no CREATE INDEX statement", w[0])
		}
		// The statement given is the index wanted.
		b.exec(t, stmt)
		if w := advise(incremental); len(w) != 0 {
			t.Errorf("after %s: warnings %q", stmt, w)
		}
		if w := advise(connectors.Stream{Table: "ho_tich", PrimaryKey: []string{"id"}}); len(w) != 0 {
			t.Errorf("full refresh by the table's primary key: warnings %q", w)
		}
		w = advise(connectors.Stream{Table: "ho_tich", PrimaryKey: []string{"ma_ho"}})
		if len(w) == 0 || !strings.Contains(w[0], `table "ho_tich" has no index whose leading columns are (ma_ho), the stream's primary key`) {
			t.Errorf("full refresh by an unindexed key: warnings %q", w)
		}
		if b.kind == "mysql" && (len(w) != 2 || !strings.Contains(w[1], `column "ma_ho" is text`)) {
			t.Errorf("text key on MySQL: warnings %q, want the index and the text warned about", w)
		}
		if w := advise(connectors.Stream{Table: "v_ho_tich", PrimaryKey: []string{"id"}, Cursor: "ngay_cap_nhat"}); len(w) != 0 {
			t.Errorf("view: warnings %q", w)
		}
		if w := advise(connectors.Stream{Query: "SELECT * FROM ho_tich", PrimaryKey: []string{"id"}, Cursor: "ngay_cap_nhat"}); len(w) != 0 {
			t.Errorf("query: warnings %q", w)
		}
		if _, err := src.Advise(t.Context(), connectors.Stream{Name: "s", Table: "ho_tichh", PrimaryKey: []string{"id"}}); !contains(err, "ho_tichh") {
			t.Errorf("missing table: err = %v", err)
		}
	})
}

// TestAdviseImplicitKey: an index on the cursor alone serves (cursor, id)
// where the database appends the primary key to every index (InnoDB, and
// SQLite's INTEGER PRIMARY KEY, the rowid); PostgreSQL does not.
func TestAdviseImplicitKey(t *testing.T) {
	each(t, func(t *testing.T, b *backend) {
		b.exec(t, `CREATE TABLE ho_tich (id INTEGER PRIMARY KEY, ngay_cap_nhat `+b.timestampType()+`)`)
		b.exec(t, `CREATE INDEX ho_tich_ncn ON ho_tich (ngay_cap_nhat)`)
		src := b.open(t).(connectors.Advisor)
		w, err := src.Advise(t.Context(), connectors.Stream{Name: "s", Table: "ho_tich", PrimaryKey: []string{"id"}, Cursor: "ngay_cap_nhat"})
		if err != nil {
			t.Fatal(err)
		}
		if want := b.kind == "postgres"; (len(w) == 1) != want {
			t.Errorf("warnings %q, want one: %v", w, want)
		}
	})
}
