package sqlsource_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/connectors/sqlsource"
)

// TestReadNamesMissingColumn: a read (not only Check) whose cursor or
// primary key names a column the table lacks fails naming the stream, the
// column, its role and the table's columns, rather than with the driver's
// error about the paging query.
func TestReadNamesMissingColumn(t *testing.T) {
	each(t, func(t *testing.T, b *backend) {
		b.exec(t, `CREATE TABLE ho_tich (id INTEGER PRIMARY KEY, ngay_dang_ky `+b.timestampType()+`, ho_ten TEXT)`)
		b.exec(t, `INSERT INTO ho_tich VALUES (1, ?, 'Nguyễn Văn A')`, b.at(1))
		src := b.open(t)
		cases := []struct {
			name   string
			stream connectors.Stream
			mode   connectors.Mode
			says   []string
		}{
			{"cursor", connectors.Stream{Table: "ho_tich", PrimaryKey: []string{"id"}, Cursor: "ngay_cap_nhat"}, connectors.Incremental,
				[]string{`cursor column "ngay_cap_nhat" does not exist in table "ho_tich" (its columns: id, ngay_dang_ky, ho_ten)`, "fix cursor"}},
			{"primary key", connectors.Stream{Table: "ho_tich", PrimaryKey: []string{"so_dang_ky"}, Cursor: "ngay_dang_ky"}, connectors.Incremental,
				[]string{`primary key column "so_dang_ky" does not exist in table "ho_tich"`, "fix primary_key"}},
			{"primary key, full refresh", connectors.Stream{Table: "ho_tich", PrimaryKey: []string{"ID"}}, connectors.FullRefresh,
				[]string{`primary key column "ID" does not exist in table "ho_tich"`, "case-sensitive"}},
			{"cursor of a query", connectors.Stream{Query: "SELECT id, ho_ten FROM ho_tich", PrimaryKey: []string{"id"}, Cursor: "ngay_dang_ky"}, connectors.Incremental,
				[]string{`cursor column "ngay_dang_ky" does not exist in the stream's query (its columns: id, ho_ten)`}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				tc.stream.Name = "khai_sinh"
				err := readErr(src, connectors.ReadRequest{Stream: tc.stream, Mode: tc.mode, PageSize: 10})
				if !errors.Is(err, sqlsource.ErrMissingColumn) {
					t.Fatalf("err = %v, want ErrMissingColumn", err)
				}
				for _, s := range append(tc.says, `stream "khai_sinh"`) {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("err = %v\nwant it to say %q", err, s)
					}
				}
			})
		}
	})
}

// TestDSNSaysWhichPart: a source DSN that does not parse is refused with
// the part at fault named (user, password, port, parameter, quote), and
// never with the password in the message.
func TestDSNSaysWhichPart(t *testing.T) {
	const pw = "Bi/mat#2024"
	cases := []struct {
		name, kind, dsn string
		says            string
	}{
		{"slash and hash in a URL password", "postgres", "postgres://lt:" + pw + "@127.0.0.1:5432/db", `the password holds an unescaped "/"`},
		{"bad escape in a URL password", "postgres", "postgres://lt:ab%zzcd@127.0.0.1:5432/db", "the password holds a % that does not start an escape"},
		{"port", "postgres", "postgres://lt:secret@127.0.0.1:54x2/db", `the port "54x2" is not a number`},
		{"IPv6 host", "postgres", "postgres://lt:secret@[::1/db", "IPv6 address"},
		{"parameter value", "postgres", "postgres://lt:secret@127.0.0.1/db?sslmode=sometimes", `parameter "sslmode"`},
		{"key=value unclosed quote", "postgres", "host=127.0.0.1 password='" + pw + " dbname=x", `the value of "password" opens a quote`},
		{"key=value unquoted space", "postgres", "host=127.0.0.1 password=Bi mat dbname=x", `a word without "=" follows the value of "password"`},
		{"key=value port", "postgres", "host=127.0.0.1 port=abc password=x", `parameter "port"`},
		{"mysql no database part", "mysql", "lt:secret@tcp(127.0.0.1:3306)", "the database part"},
		{"mysql parameter", "mysql", "lt:secret@tcp(127.0.0.1:3306)/db?parseTime=true&readTimeout=soon", `parameter "readTimeout"`},
		{"mysql URL password", "mysql", "mysql://lt:" + pw + "@127.0.0.1:3306/db", `the password holds an unescaped "/"`},
		{"mysql URL port", "mysql", "mysql://lt:secret@127.0.0.1:33o6/db", `the port "33o6"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src, err := connectors.Open(t.Context(), connectors.Config{Name: "dept", Kind: tc.kind, DSN: tc.dsn, Timeout: 5 * time.Second})
			if err == nil {
				src.Close()
				t.Fatal("open succeeded")
			}
			if !strings.Contains(err.Error(), tc.says) {
				t.Errorf("err = %v\nwant it to say %q", err, tc.says)
			}
			for _, secret := range []string{pw, "Bi/mat", "mat#2024", "secret", "Bi mat", "ab%zzcd"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("err = %v: shows the password", err)
				}
			}
		})
	}
}
