package sqlsource_test

import (
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/connectors/sqlsource"
)

func utc(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04:05.999999", s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestMySQLTypes pages through cursors and keys of the MySQL types whose
// text is easy to get wrong as a parameter: fractions of a second, DECIMAL
// and BIGINT values that are equal as doubles, unsigned values above the
// int64 range, TIME below zero, ENUM (ordered by its labels' bytes, not by
// position), bytes that are not UTF-8. Each value is a cursor shared by two
// rows, then a primary key; every row must come once, in value order, with
// its field of the promised Go type, and a later run must read exactly the
// rows after the checkpoint.
func TestMySQLTypes(t *testing.T) {
	type value struct {
		in    any    // what the fixture inserts
		text  string // the database's text of it: positions and keys
		field any    // the record's field
	}
	same := func(texts ...string) []value {
		out := make([]value, len(texts))
		for i, s := range texts {
			out[i] = value{s, s, s}
		}
		return out
	}
	cases := []struct {
		name, typ string
		// keyTyp, if set, is the type as a primary key: a case-insensitive
		// key column refuses values that differ only by case.
		keyTyp string
		values []value // ascending, distinct
		bigger value   // above all of them
	}{
		{
			name: "datetime6", typ: "DATETIME(6)",
			values: []value{
				// MySQL's "no date": the zero time.Time.
				{"0000-00-00 00:00:00", "0000-00-00 00:00:00.000000", time.Time{}},
				{"2024-05-01 09:59:59.999999", "2024-05-01 09:59:59.999999", utc("2024-05-01 09:59:59.999999")},
				{"2024-05-01 10:00:00", "2024-05-01 10:00:00.000000", utc("2024-05-01 10:00:00")},
				{"2024-05-01 10:00:00.000001", "2024-05-01 10:00:00.000001", utc("2024-05-01 10:00:00.000001")},
				{"2024-05-01 10:00:00.5", "2024-05-01 10:00:00.500000", utc("2024-05-01 10:00:00.5")},
			},
			bigger: value{"2024-12-31 23:59:59.999999", "2024-12-31 23:59:59.999999", utc("2024-12-31 23:59:59.999999")},
		},
		{
			name: "timestamp3", typ: "TIMESTAMP(3) NULL",
			values: []value{
				{"2024-05-01 09:59:59.999", "2024-05-01 09:59:59.999", utc("2024-05-01 09:59:59.999")},
				{"2024-05-01 10:00:00", "2024-05-01 10:00:00.000", utc("2024-05-01 10:00:00")},
				{"2024-05-01 10:00:00.001", "2024-05-01 10:00:00.001", utc("2024-05-01 10:00:00.001")},
			},
			bigger: value{"2030-01-01 00:00:00", "2030-01-01 00:00:00.000", utc("2030-01-01 00:00:00")},
		},
		{
			name: "date", typ: "DATE",
			values: []value{
				{"1999-12-31", "1999-12-31", utc("1999-12-31 00:00:00")},
				{"2000-01-01", "2000-01-01", utc("2000-01-01 00:00:00")},
			},
			bigger: value{"2024-02-29", "2024-02-29", utc("2024-02-29 00:00:00")},
		},
		{
			name: "time", typ: "TIME(1)",
			values: []value{
				{"-838:59:59", "-838:59:59.0", "-838:59:59.0"},
				{"-00:00:01", "-00:00:01.0", "-00:00:01.0"},
				{"00:00:00", "00:00:00.0", "00:00:00.0"},
				{"09:00:00.5", "09:00:00.5", "09:00:00.5"},
			},
			bigger: value{"100:00:00", "100:00:00.0", "100:00:00.0"},
		},
		{
			name: "decimal", typ: "DECIMAL(30,10)",
			values: []value{
				{"-1.5", "-1.5000000000", "-1.5000000000"},
				{"0.0000000001", "0.0000000001", "0.0000000001"},
				{"9.9", "9.9000000000", "9.9000000000"},
				{"10", "10.0000000000", "10.0000000000"},
				// Equal as doubles.
				{"12345678901234567890.0000000001", "12345678901234567890.0000000001", "12345678901234567890.0000000001"},
				{"12345678901234567890.0000000002", "12345678901234567890.0000000002", "12345678901234567890.0000000002"},
			},
			bigger: value{"99999999999999999999.9999999999", "99999999999999999999.9999999999", "99999999999999999999.9999999999"},
		},
		{
			name: "bigint", typ: "BIGINT",
			values: []value{
				{"-9223372036854775808", "-9223372036854775808", int64(-9223372036854775808)},
				{"-1", "-1", int64(-1)},
				// Equal as doubles.
				{"9007199254740992", "9007199254740992", int64(9007199254740992)},
				{"9007199254740993", "9007199254740993", int64(9007199254740993)},
			},
			bigger: value{"9223372036854775807", "9223372036854775807", int64(9223372036854775807)},
		},
		{
			name: "unsigned", typ: "BIGINT UNSIGNED",
			values: []value{
				{"0", "0", int64(0)},
				{"9223372036854775807", "9223372036854775807", int64(9223372036854775807)},
				// Above int64: the text.
				{"18446744073709551614", "18446744073709551614", "18446744073709551614"},
			},
			bigger: value{"18446744073709551615", "18446744073709551615", "18446744073709551615"},
		},
		{
			name: "double", typ: "DOUBLE",
			values: []value{
				{"-2.5", "-2.5", -2.5},
				{"0.1", "0.1", 0.1},
				{"0.30000000000000004", "0.30000000000000004", 0.30000000000000004},
				{"1e300", "1e300", 1e300},
			},
			bigger: value{"1.7976931348623157e308", "1.7976931348623157e308", 1.7976931348623157e308},
		},
		{
			name: "float", typ: "FLOAT",
			// 0.1 is no float32: found again only as a FLOAT, not as the
			// double MariaDB would compare a string with.
			values: []value{{"0.1", "0.1", 0.1}, {"0.25", "0.25", 0.25}, {"0.5", "0.5", 0.5}, {"100.125", "100.125", 100.125}},
			bigger: value{"1e10", "10000000000", 1e10},
		},
		{
			// Declared in an order unlike its labels' bytes, which is
			// unlike their collation's: ORDER BY the column would follow
			// the declaration.
			name: "enum", typ: "ENUM('mu', 'alpha', 'Zulu', 'beta', 'ω')",
			values: same("Zulu", "alpha", "beta", "mu"),
			bigger: value{"ω", "ω", "ω"},
		},
		{
			name: "utf8mb4", typ: "VARCHAR(20)", keyTyp: "VARCHAR(20) COLLATE utf8mb4_bin",
			values: same("A", "B", "a", "b", "Đ", "đ", "ữ"),
			bigger: value{"😀", "😀", "😀"},
		},
		{
			name: "varbinary", typ: "VARBINARY(16)",
			values: []value{
				{[]byte{}, "", []byte{}},
				{[]byte{0}, "00", []byte{0}},
				{[]byte{0, 0}, "0000", []byte{0, 0}},
				{[]byte{0x7f}, "7F", []byte{0x7f}},
				{[]byte{0x80}, "80", []byte{0x80}},
				{[]byte{0xc3, 0xa0}, "C3A0", []byte{0xc3, 0xa0}},
			},
			bigger: value{[]byte{0xff, 0xfe}, "FFFE", []byte{0xff, 0xfe}},
		},
	}
	b := newBackend(t, "mysql")
	src := b.open(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkField := func(r connectors.Record, col string, want any) {
				t.Helper()
				got := r.Fields[col]
				if wt, ok := want.(time.Time); ok {
					if gt, ok := got.(time.Time); !ok || !gt.Equal(wt) {
						t.Errorf("record %q: %s = %#v, want %v", r.Key, col, got, wt)
					}
					return
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("record %q: %s = %#v (%T), want %#v (%T)", r.Key, col, got, got, want, want)
				}
			}

			notNull := strings.TrimSuffix(tc.typ, " NULL") + " NOT NULL"
			// As a cursor: value i on ids 10+i and 30-i, inserted backwards.
			// NOT NULL, where MySQL's IS NULL finds the zero date.
			table := "cur_" + tc.name
			b.exec(t, `CREATE TABLE `+table+` (id INTEGER PRIMARY KEY, v `+notNull+`)`)
			var want []string
			fieldOf := map[string]any{}
			for i := len(tc.values) - 1; i >= 0; i-- {
				b.exec(t, `INSERT INTO `+table+` VALUES (?, ?), (?, ?)`, 10+i, tc.values[i].in, 30-i, tc.values[i].in)
			}
			for i, v := range tc.values {
				want = append(want, fmt.Sprint(10+i), fmt.Sprint(30-i))
				fieldOf[fmt.Sprint(10+i)], fieldOf[fmt.Sprint(30-i)] = v.field, v.field
			}
			st := connectors.Stream{Name: table, Table: table, PrimaryKey: []string{"id"}, Cursor: "v"}
			if err := src.Check(t.Context(), st); err != nil {
				t.Fatalf("check: %v", err)
			}
			recs, final := readAll(t, src, incremental(st, nil, 3))
			sameKeys(t, "cursor", keysOf(recs), want)
			for _, r := range recs {
				checkField(r, "v", fieldOf[r.Key])
			}
			sameKeys(t, "cursor, chunks of 1", readInChunks(t, src, incremental(st, nil, 2), 1), want)
			last := tc.values[len(tc.values)-1]
			if c := decode(t, final).Cursor; c == nil || *c != last.text {
				t.Errorf("final cursor %v, want the text %q", c, last.text)
			}
			// A tie with the checkpoint after it, a tie before it, a row
			// below it and one above it.
			b.exec(t, `INSERT INTO `+table+` VALUES (?, ?), (?, ?), (?, ?), (?, ?)`,
				50, last.in, 5, last.in, 51, tc.values[0].in, 52, tc.bigger.in)
			recs, _ = readAll(t, src, incremental(st, final, 2))
			sameKeys(t, "next run", keysOf(recs), ids(50, 52))

			// As the primary key, inserted backwards.
			table = "key_" + tc.name
			keyTyp := notNull
			if tc.keyTyp != "" {
				keyTyp = tc.keyTyp + " NOT NULL"
			}
			b.exec(t, `CREATE TABLE `+table+` (k `+keyTyp+` PRIMARY KEY, n INTEGER)`)
			var keys []string
			all := append(tc.values, tc.bigger)
			for i := len(all) - 1; i >= 0; i-- {
				b.exec(t, `INSERT INTO `+table+` VALUES (?, ?)`, all[i].in, i)
			}
			for _, v := range all {
				keys = append(keys, v.text)
			}
			st = connectors.Stream{Name: table, Table: table, PrimaryKey: []string{"k"}}
			if err := src.Check(t.Context(), st); err != nil {
				t.Fatalf("check the key: %v", err)
			}
			recs, _ = readAll(t, src, fullRefresh(st, nil, 2))
			sameTexts(t, "key", keysOf(recs), keys)
			for i, r := range recs {
				if i < len(all) {
					checkField(r, "k", all[i].field)
				}
			}
			sameTexts(t, "key, chunks of 1", readInChunks(t, src, fullRefresh(st, nil, 2), 1), keys)
		})
	}
}

// TestMySQLFloatThatDoesNotRoundTrip: MariaDB prints a FLOAT to 6 digits,
// which do not find 0.123456789 again; the stream is refused, not read
// with rows skipped.
func TestMySQLFloatThatDoesNotRoundTrip(t *testing.T) {
	b := newBackend(t, "mysql")
	b.exec(t, `CREATE TABLE f (id INTEGER PRIMARY KEY, v FLOAT)`)
	b.exec(t, `INSERT INTO f VALUES (1, 0.123456789), (2, 0.123456789)`)
	src := b.open(t)
	st := connectors.Stream{Name: "f", Table: "f", PrimaryKey: []string{"id"}, Cursor: "v"}
	if err := src.Check(t.Context(), st); !errors.Is(err, sqlsource.ErrInvalidStream) || !contains(err, "not found again by its own text") {
		t.Errorf("check: err = %v, want ErrInvalidStream, not found again", err)
	}
	if err := readErr(src, incremental(st, nil, 1)); !errors.Is(err, sqlsource.ErrInvalidStream) {
		t.Errorf("read: err = %v, want ErrInvalidStream", err)
	}
}

// TestMySQLDSN opens a source through the DSN forms a department may give,
// including ones that ask for what the reader must override, and reads a
// row with Vietnamese text and both kinds of MySQL timestamp.
func TestMySQLDSN(t *testing.T) {
	b := newBackend(t, "mysql")
	b.exec(t, `CREATE TABLE hs (id INTEGER PRIMARY KEY, ten VARCHAR(40), ngay DATETIME(6), sua TIMESTAMP(6) NULL)`)
	// The fixture's session is UTC: sua is that instant.
	b.exec(t, `INSERT INTO hs VALUES (1, 'Nguyễn Thị Hà', '2024-05-01 10:00:00.25', '2024-05-01 03:00:00.5')`)
	cfg, err := mysql.ParseDSN(b.dsn)
	if err != nil {
		t.Fatal(err)
	}
	user := url.User(cfg.User)
	if cfg.Passwd != "" {
		user = url.UserPassword(cfg.User, cfg.Passwd)
	}
	asURL := (&url.URL{Scheme: "mysql", User: user, Host: cfg.Addr, Path: "/" + cfg.DBName}).String()
	withParams := func(dsn, params string) string {
		if strings.Contains(dsn, "?") {
			return dsn + "&" + params
		}
		return dsn + "?" + params
	}
	cases := []struct {
		name, dsn string
		// sua is the text of the TIMESTAMP in the session's time zone.
		sua string
		err string
	}{
		{name: "driver DSN", dsn: b.dsn, sua: "2024-05-01 03:00:00.500000"},
		{name: "driver DSN asking for what the reader overrides",
			dsn: withParams(b.dsn, "parseTime=false&charset=latin1&interpolateParams=true&multiStatements=true"),
			sua: "2024-05-01 03:00:00.500000"},
		{name: "mysql URL", dsn: withParams(asURL, "parseTime=false&loc=Asia%2FHo_Chi_Minh&time_zone=%27%2B07%3A00%27"),
			sua: "2024-05-01 10:00:00.500000"},
		{name: "MySQL URL, upper case", dsn: "MYSQL" + strings.TrimPrefix(asURL, "mysql"), sua: "2024-05-01 03:00:00.500000"},
		{name: "empty", dsn: " ", err: "empty"},
		{name: "removed strict parameter", dsn: withParams(b.dsn, "strict=true"), err: "strict"},
		{name: "collation of another character set", dsn: withParams(b.dsn, "collation=latin1_swedish_ci"), err: "utf8mb4"},
		{name: "no slash", dsn: "root@tcp(127.0.0.1:3306)", err: "parse mysql DSN"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src, err := connectors.Open(t.Context(), connectors.Config{Name: "dept", Kind: "mysql", DSN: tc.dsn, Timeout: 10 * time.Second})
			if tc.err != "" {
				if err == nil {
					src.Close()
				}
				if !contains(err, tc.err) {
					t.Fatalf("err = %v, want it to say %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			st := connectors.Stream{Name: "hs", Table: "hs", PrimaryKey: []string{"id"}, Cursor: "sua"}
			recs, final := readAll(t, src, incremental(st, nil, 10))
			if len(recs) != 1 {
				t.Fatalf("read %d records, want 1", len(recs))
			}
			f := recs[0].Fields
			if f["ten"] != "Nguyễn Thị Hà" {
				t.Errorf("ten = %#v", f["ten"])
			}
			// The DATETIME's wall clock, whatever the DSN's loc: the loc
			// names the zone it is in.
			if ngay, ok := f["ngay"].(time.Time); !ok || ngay.Format("2006-01-02 15:04:05.00") != "2024-05-01 10:00:00.25" {
				t.Errorf("ngay = %#v, want a time.Time of 2024-05-01 10:00:00.25", f["ngay"])
			}
			if sua, ok := f["sua"].(time.Time); !ok || !sua.Equal(utc("2024-05-01 03:00:00.5")) {
				t.Errorf("sua = %#v, want the instant 2024-05-01 03:00:00.5 UTC", f["sua"])
			}
			if c := decode(t, final).Cursor; c == nil || *c != tc.sua {
				t.Errorf("final cursor %v, want %q", c, tc.sua)
			}
			recs, _ = readAll(t, src, incremental(st, final, 10))
			sameKeys(t, "next run", keysOf(recs), nil)
		})
	}
}

// TestMySQLFieldsAlikeOnEveryPage reads equal rows one page each: the first
// page of a read has no position to compare, and must still come through
// the same protocol as the others, or a FLOAT's digits and the Go types of
// integers differ between pages and an unchanged row looks changed.
func TestMySQLFieldsAlikeOnEveryPage(t *testing.T) {
	b := newBackend(t, "mysql")
	b.exec(t, `CREATE TABLE v (id INTEGER PRIMARY KEY, upd INTEGER, f FLOAT, d DOUBLE, i TINYINT, u BIGINT UNSIGNED,
		y YEAR, n DECIMAL(5,2), tm TIME, bits BIT(4), ten CHAR(5), raw BINARY(2), nothing INTEGER)`)
	for id := 1; id <= 3; id++ {
		b.exec(t, `INSERT INTO v VALUES (?, 1, 0.123456789, 0.1, -7, 18446744073709551615, 2024, 1.5, '-01:02:03', b'1010', 'Hà  ', 'a', NULL)`, id)
	}
	want := map[string]any{
		"upd": int64(1), "f": 0.12345679, "d": 0.1, "i": int64(-7), "u": "18446744073709551615",
		"y": int64(2024), "n": "1.50", "tm": "-01:02:03", "bits": []byte{0x0a}, "ten": "Hà", "raw": []byte{'a', 0}, "nothing": nil,
	}
	src := b.open(t)
	st := connectors.Stream{Name: "v", Table: "v", PrimaryKey: []string{"id"}, Cursor: "upd"}
	for _, mode := range []connectors.Mode{connectors.Incremental, connectors.FullRefresh} {
		recs, _ := readAll(t, src, connectors.ReadRequest{Stream: st, Mode: mode, PageSize: 1})
		if len(recs) != 3 {
			t.Fatalf("%s: read %d records, want 3", mode, len(recs))
		}
		for _, r := range recs {
			for col, w := range want {
				if got := r.Fields[col]; !reflect.DeepEqual(got, w) {
					t.Errorf("%s record %s: %s = %#v (%T), want %#v (%T)", mode, r.Key, col, got, got, w, w)
				}
			}
		}
	}
}

// TestMySQLZeroDateUnderStrictMode pages across zero dates ('0000-00-00')
// in NOT NULL columns, in a session whose sql_mode refuses them, as MySQL
// 8's default does: a position at the zero date must still compare, or
// every later page would come back empty, and the zero date is no NULL.
func TestMySQLZeroDateUnderStrictMode(t *testing.T) {
	b := newBackend(t, "mysql")
	b.exec(t, `CREATE TABLE z (id INTEGER PRIMARY KEY, upd DATETIME(6) NOT NULL, ngay DATE NOT NULL)`)
	for id := 1; id <= 6; id++ {
		upd, ngay := "0000-00-00 00:00:00", "0000-00-00"
		if id > 3 {
			upd, ngay = fmt.Sprintf("2024-05-0%d 10:00:00.5", id), fmt.Sprintf("2024-05-0%d", id)
		}
		b.exec(t, `INSERT INTO z VALUES (?, ?, ?)`, id, upd, ngay)
	}
	dsn := b.dsn + "?sql_mode=%27STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE%27"
	if strings.Contains(b.dsn, "?") {
		dsn = strings.Replace(dsn, "?sql_mode", "&sql_mode", 1)
	}
	src, err := connectors.Open(t.Context(), connectors.Config{Name: "dept", Kind: "mysql", DSN: dsn})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	keys := map[string][]string{
		"upd": {"0000-00-00 00:00:00.000000|1", "0000-00-00 00:00:00.000000|2", "0000-00-00 00:00:00.000000|3",
			"2024-05-04 10:00:00.500000|4", "2024-05-05 10:00:00.500000|5", "2024-05-06 10:00:00.500000|6"},
		"ngay": {"0000-00-00|1", "0000-00-00|2", "0000-00-00|3", "2024-05-04|4", "2024-05-05|5", "2024-05-06|6"},
	}
	for _, cursor := range []string{"upd", "ngay"} {
		st := connectors.Stream{Name: "z", Table: "z", PrimaryKey: []string{"id"}, Cursor: cursor}
		if err := src.Check(t.Context(), st); err != nil {
			t.Fatalf("check: %v", err)
		}
		sameKeys(t, cursor+", chunks of 1", readInChunks(t, src, incremental(st, nil, 2), 1), ids(1, 2, 3, 4, 5, 6))
		byDate := connectors.Stream{Name: "z", Table: "z", PrimaryKey: []string{cursor, "id"}}
		sameKeys(t, cursor+" in the key, chunks of 1", readInChunks(t, src, fullRefresh(byDate, nil, 2), 1), keys[cursor])
	}
}
