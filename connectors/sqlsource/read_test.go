package sqlsource_test

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/connectors/sqlsource"
)

var items = connectors.Stream{Name: "items", Table: "items", PrimaryKey: []string{"id"}, Cursor: "upd"}

func incremental(s connectors.Stream, from connectors.Checkpoint, pageSize int) connectors.ReadRequest {
	return connectors.ReadRequest{Stream: s, Mode: connectors.Incremental, From: from, PageSize: pageSize}
}

func fullRefresh(s connectors.Stream, from connectors.Checkpoint, pageSize int) connectors.ReadRequest {
	return connectors.ReadRequest{Stream: s, Mode: connectors.FullRefresh, From: from, PageSize: pageSize}
}

// readInChunks simulates runs killed after every chunk records: each run
// resumes from the last Position handed out.
func readInChunks(t *testing.T, src connectors.Source, req connectors.ReadRequest, chunk int) []string {
	t.Helper()
	var got []string
	for run := 0; ; run++ {
		if run > 1000 {
			t.Fatal("chunked reads do not end")
		}
		recs, final := readN(t, src, req, chunk)
		got = append(got, keysOf(recs)...)
		if final != nil && len(recs) == 0 {
			return got
		}
		if len(recs) > 0 {
			req.From = recs[len(recs)-1].Checkpoint()
		}
	}
}

// TestTieOnCursor puts 23 rows in groups of 5 that share one cursor value,
// with ids that interleave across groups, and pages through them with page
// sizes that split every group.
func TestTieOnCursor(t *testing.T) {
	each(t, func(t *testing.T, b *backend) {
		b.exec(t, `CREATE TABLE items (id INTEGER PRIMARY KEY, upd `+b.timestampType()+` NOT NULL, name TEXT)`)
		type item struct{ id, group int }
		var all []item
		for i := range 23 {
			it := item{id: (i*7)%23 + 1, group: i / 5}
			all = append(all, it)
			b.exec(t, `INSERT INTO items VALUES (?, ?, ?)`, it.id, b.at(it.group*30), fmt.Sprint("row ", it.id))
		}
		sort.Slice(all, func(i, j int) bool {
			if all[i].group != all[j].group {
				return all[i].group < all[j].group
			}
			return all[i].id < all[j].id
		})
		var want []string
		for _, it := range all {
			want = append(want, fmt.Sprint(it.id))
		}
		src := b.open(t)
		for _, pageSize := range []int{2, 3} {
			t.Run(fmt.Sprintf("page%d/one read", pageSize), func(t *testing.T) {
				recs, final := readAll(t, src, incremental(items, nil, pageSize))
				sameKeys(t, "one read", keysOf(recs), want)
				again, _ := readAll(t, src, incremental(items, final, pageSize))
				sameKeys(t, "next run", keysOf(again), nil)
			})
			for _, chunk := range []int{1, 4, 7} {
				t.Run(fmt.Sprintf("page%d/chunks of %d", pageSize, chunk), func(t *testing.T) {
					sameKeys(t, "chunked", readInChunks(t, src, incremental(items, nil, pageSize), chunk), want)
				})
			}
		}
	})
}

// TestCursorTypes reads a timestamp, an integer and a text cursor whose
// text order differs from their value order, then a second run that must
// see exactly the rows added after the first, including one that ties with
// the checkpoint's cursor.
func TestCursorTypes(t *testing.T) {
	each(t, func(t *testing.T, b *backend) {
		cases := []struct {
			name, typ string
			// values in cursor order; the table gets them shuffled.
			values []any
			// check is the Go type the cursor field must arrive as.
			check func(v any) bool
		}{
			{
				name: "timestamp", typ: b.timestampType(),
				values: []any{b.at(0), b.at(4), b.at(5), b.at(65), b.at(60 * 24)},
				check: func(v any) bool {
					if b.kind == "sqlite" {
						_, ok := v.(string)
						return ok
					}
					_, ok := v.(time.Time)
					return ok
				},
			},
			{
				name: "integer", typ: b.pick("bigint", "INTEGER", "BIGINT"),
				values: []any{8, 9, 10, 11, 100},
				check:  func(v any) bool { _, ok := v.(int64); return ok },
			},
			{
				// Byte order on all three, so the expected order is the
				// same: MySQL compares text by its bytes even where the
				// column's collation (utf8mb4_general_ci) has "B" = "b".
				name: "text", typ: b.pick(`TEXT COLLATE "C"`, "TEXT", "VARCHAR(20)"),
				values: []any{"A10", "A9", "B", "b", "ba"},
				check:  func(v any) bool { _, ok := v.(string); return ok },
			},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				table := "items_" + tc.name
				b.exec(t, `CREATE TABLE `+table+` (id INTEGER PRIMARY KEY, upd `+tc.typ+`)`)
				// id i+1 gets the value of rank order[i].
				order := []int{3, 0, 4, 1, 2}
				for i, rank := range order {
					b.exec(t, `INSERT INTO `+table+` VALUES (?, ?)`, i+1, tc.values[rank])
				}
				want := make([]string, len(order))
				for i, rank := range order {
					want[rank] = fmt.Sprint(i + 1)
				}
				st := connectors.Stream{Name: table, Table: table, PrimaryKey: []string{"id"}, Cursor: "upd"}
				src := b.open(t)
				recs, final := readAll(t, src, incremental(st, nil, 2))
				sameKeys(t, "first run", keysOf(recs), want)
				for _, r := range recs {
					if !tc.check(r.Fields["upd"]) {
						t.Errorf("record %s: upd is %T", r.Key, r.Fields["upd"])
					}
				}
				// A row tying with the checkpoint's cursor and a greater key,
				// and a row with a greater cursor.
				b.exec(t, `INSERT INTO `+table+` VALUES (?, ?)`, 50, tc.values[4])
				b.exec(t, `INSERT INTO `+table+` VALUES (?, ?)`, 6, bigger(b, tc.name))
				recs, _ = readAll(t, src, incremental(st, final, 2))
				sameKeys(t, "second run", keysOf(recs), ids(50, 6))
			})
		}
	})
}

// bigger is a cursor value above every value of TestCursorTypes.
func bigger(b *backend, typ string) any {
	switch typ {
	case "timestamp":
		return b.at(60 * 48)
	case "integer":
		return 1000
	}
	return "c"
}

// TestNullCursor: NULL-cursor rows come after the rest, flagged, on every
// run, and a run killed among them resumes among them.
func TestNullCursor(t *testing.T) {
	each(t, func(t *testing.T, b *backend) {
		b.exec(t, `CREATE TABLE items (id INTEGER PRIMARY KEY, upd `+b.timestampType()+`)`)
		nulls := map[int]bool{2: true, 5: true, 8: true, 11: true}
		for id := 1; id <= 12; id++ {
			var upd any
			if !nulls[id] {
				upd = b.at(100 - id) // cursor order is the reverse of id order
			}
			b.exec(t, `INSERT INTO items VALUES (?, ?)`, id, upd)
		}
		wantPass1 := ids(12, 10, 9, 7, 6, 4, 3, 1)
		wantPass2 := ids(2, 5, 8, 11)
		src := b.open(t)

		recs, final := readAll(t, src, incremental(items, nil, 2))
		sameKeys(t, "first run", keysOf(recs), append(slices.Clone(wantPass1), wantPass2...))
		for _, r := range recs {
			var id int
			fmt.Sscan(r.Key, &id)
			if r.NullCursor != nulls[id] {
				t.Errorf("record %s: NullCursor = %v", r.Key, r.NullCursor)
			}
		}
		if d := decode(t, final); d.NullKey != nil || len(d.Key) != 1 || d.Key[0] != "1" {
			t.Errorf("final %s: want the pass-1 position after id 1, without null_key", final)
		}

		recs, again := readAll(t, src, incremental(items, final, 2))
		sameKeys(t, "second run", keysOf(recs), wantPass2)
		if string(again) != string(final) {
			t.Errorf("a run with only NULL-cursor rows moved the checkpoint: %s -> %s", final, again)
		}

		// Kill a run after the first two NULL-cursor records.
		recs, _ = readN(t, src, incremental(items, nil, 2), len(wantPass1)+2)
		resume := recs[len(recs)-1].Checkpoint()
		if d := decode(t, resume); len(d.NullKey) != 1 || d.NullKey[0] != "5" || d.Cursor == nil {
			t.Fatalf("position in pass 2 %s: want null_key [5] and the pass-1 cursor", resume)
		}
		// A pass-1 row arriving meanwhile waits for the next run.
		b.exec(t, `INSERT INTO items VALUES (?, ?)`, 13, b.at(200))
		recs, resumedFinal := readAll(t, src, incremental(items, resume, 2))
		sameKeys(t, "resumed in pass 2", keysOf(recs), ids(8, 11))
		if string(resumedFinal) != string(final) {
			t.Errorf("final of the resumed run = %s, want the pass-1 position %s", resumedFinal, final)
		}
		recs, _ = readAll(t, src, incremental(items, resumedFinal, 2))
		sameKeys(t, "run after the resumed one", keysOf(recs), append(ids(13), wantPass2...))
	})
}

// TestLookBack inserts a row late, below the checkpoint: only a look-back
// window that reaches it reads it, and the rows inside the window are the
// only ones read again.
func TestLookBack(t *testing.T) {
	each(t, func(t *testing.T, b *backend) {
		type kind struct {
			name, typ string
			value     func(i int) any // cursor of the i-th row, increasing
		}
		kinds := []kind{
			{"timestamp", b.timestampType(), func(i int) any { return b.at(i) }},
			{"integer", b.pick("bigint", "INTEGER", "BIGINT"), func(i int) any { return i * 10 }},
		}
		cases := []struct {
			name     string
			lookBack map[string]string // by kind
			want     []string
		}{
			{"no look-back", map[string]string{"timestamp": "", "integer": ""}, nil},
			{"window misses the late row", map[string]string{"timestamp": "3m", "integer": "30"}, ids(7, 8, 9)},
			{"window reaches the late row", map[string]string{"timestamp": "5m", "integer": "50"}, ids(5, 6, 100, 7, 8, 9)},
		}
		for _, k := range kinds {
			for _, tc := range cases {
				t.Run(k.name+"/"+tc.name, func(t *testing.T) {
					table := fmt.Sprintf("lb_%s_%d", k.name, len(tc.want))
					b.exec(t, `CREATE TABLE `+table+` (id INTEGER PRIMARY KEY, upd `+k.typ+`)`)
					// ids 1..10 at cursor 0..9 (minutes or tens)
					for i := range 10 {
						b.exec(t, `INSERT INTO `+table+` VALUES (?, ?)`, i+1, k.value(i))
					}
					st := connectors.Stream{Name: table, Table: table, PrimaryKey: []string{"id"}, Cursor: "upd",
						LookBack: tc.lookBack[k.name]}
					src := b.open(t)
					_, final := readAll(t, src, incremental(st, nil, 2))
					// Committed late with a cursor 4 below the checkpoint's 9.
					b.exec(t, `INSERT INTO `+table+` VALUES (?, ?)`, 100, k.value(5))
					// The checkpoint's own row goes: the window then ends
					// below the checkpoint, which must not move back.
					b.exec(t, `DELETE FROM `+table+` WHERE id = 10`)
					recs, next := readAll(t, src, incremental(st, final, 2))
					sameKeys(t, "run after the late insert", keysOf(recs), tc.want)
					if string(next) != string(final) {
						t.Errorf("re-reading the window moved the checkpoint: %s -> %s", final, next)
					}
					// New rows after the window still come, once.
					b.exec(t, `INSERT INTO `+table+` VALUES (?, ?)`, 11, k.value(20))
					recs, _ = readAll(t, src, incremental(st, final, 2))
					sameKeys(t, "with a new row", keysOf(recs), append(slices.Clone(tc.want), "11"))
				})
			}
		}
		t.Run("look-back of the wrong type", func(t *testing.T) {
			for _, k := range kinds {
				table := "lbtype_" + k.name
				b.exec(t, `CREATE TABLE `+table+` (id INTEGER PRIMARY KEY, upd `+k.typ+`)`)
				b.exec(t, `INSERT INTO `+table+` VALUES (1, ?)`, k.value(1))
				wrong := map[string]string{"timestamp": "5", "integer": "10m"}[k.name]
				st := connectors.Stream{Name: table, Table: table, PrimaryKey: []string{"id"}, Cursor: "upd", LookBack: wrong}
				src := b.open(t)
				_, final := readAll(t, src, incremental(st, nil, 2))
				err := readErr(src, incremental(st, final, 2))
				if err == nil || !errors.Is(err, sqlsource.ErrInvalidStream) || !contains(err, "look_back") {
					t.Errorf("%s cursor with look_back %q: err = %v, want an invalid look_back", k.name, wrong, err)
				}
				if err := src.Check(t.Context(), st); err == nil || !contains(err, "look_back") {
					t.Errorf("Check %s cursor with look_back %q: err = %v", k.name, wrong, err)
				}
			}
		})
	})
}

// TestFullRefresh reads every row by key, hands the greatest cursor taken
// at the start on to incremental reads, and resumes a killed full read with
// that same greatest cursor.
func TestFullRefresh(t *testing.T) {
	each(t, func(t *testing.T, b *backend) {
		b.exec(t, `CREATE TABLE items (id INTEGER PRIMARY KEY, upd `+b.timestampType()+`)`)
		// Cursor order unrelated to id order; the greatest is id 7.
		minutes := map[int]int{1: 30, 2: 10, 3: 50, 4: -1, 5: 20, 6: 40, 7: 90, 8: 60, 9: -1, 10: 0}
		for id := 1; id <= 10; id++ {
			var upd any
			if minutes[id] >= 0 {
				upd = b.at(minutes[id])
			}
			b.exec(t, `INSERT INTO items VALUES (?, ?)`, id, upd)
		}
		all := ids(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
		src := b.open(t)

		recs, final := readAll(t, src, fullRefresh(items, nil, 3))
		sameKeys(t, "full read", keysOf(recs), all)
		for _, r := range recs {
			if want := r.Key == "4" || r.Key == "9"; r.NullCursor != want {
				t.Errorf("record %s: NullCursor = %v", r.Key, r.NullCursor)
			}
		}
		if d := decode(t, final); d.Cursor == nil || len(d.Key) != 1 || d.Key[0] != "7" || d.Full {
			t.Fatalf("final %s: want the greatest (cursor, key), of id 7, in pass-1 form", final)
		}
		recs, _ = readAll(t, src, incremental(items, final, 3))
		sameKeys(t, "incremental after full", keysOf(recs), ids(4, 9))

		// Kill a full read after 4 records; then row 2, already read, changes.
		recs, _ = readN(t, src, fullRefresh(items, nil, 3), 4)
		resume := recs[3].Checkpoint()
		b.exec(t, `UPDATE items SET upd = ? WHERE id = 2`, b.at(500))
		recs, resumedFinal := readAll(t, src, fullRefresh(items, resume, 3))
		sameKeys(t, "resumed full read", keysOf(recs), ids(5, 6, 7, 8, 9, 10))
		if string(resumedFinal) != string(final) {
			t.Errorf("resumed full read final = %s, want the greatest position of its start %s", resumedFinal, final)
		}
		recs, _ = readAll(t, src, incremental(items, resumedFinal, 3))
		sameKeys(t, "incremental after the resumed full read", keysOf(recs), ids(2, 4, 9))

		if err := readErr(src, incremental(items, resume, 3)); !errors.Is(err, sqlsource.ErrCheckpoint) {
			t.Errorf("incremental read from an unfinished full refresh: err = %v, want ErrCheckpoint", err)
		}
	})
}

// TestFullRefreshWithoutCursor: a stream with no cursor can still be read
// in full, and its Final reads everything again.
func TestFullRefreshWithoutCursor(t *testing.T) {
	each(t, func(t *testing.T, b *backend) {
		b.exec(t, `CREATE TABLE plain (id INTEGER PRIMARY KEY, name TEXT)`)
		for id := 1; id <= 5; id++ {
			b.exec(t, `INSERT INTO plain VALUES (?, ?)`, id, "x")
		}
		st := connectors.Stream{Name: "plain", Table: "plain", PrimaryKey: []string{"id"}}
		src := b.open(t)
		recs, final := readAll(t, src, fullRefresh(st, nil, 2))
		sameKeys(t, "full read", keysOf(recs), ids(1, 2, 3, 4, 5))
		if string(final) != "{}" {
			t.Errorf("final = %s, want {}", final)
		}
		if err := readErr(src, incremental(st, nil, 2)); !errors.Is(err, sqlsource.ErrInvalidStream) {
			t.Errorf("incremental without cursor: err = %v", err)
		}
	})
}

// TestQueryStream reads a SELECT, with the reserved text columns kept out
// of the record.
func TestQueryStream(t *testing.T) {
	each(t, func(t *testing.T, b *backend) {
		b.exec(t, `CREATE TABLE items (id INTEGER PRIMARY KEY, upd `+b.timestampType()+`, name TEXT, amount NUMERIC(10,2), photo `+b.pick("bytea", "BLOB", "BLOB")+`)`)
		for id := 1; id <= 7; id++ {
			name := "visible"
			if id%3 == 0 {
				name = "hidden"
			}
			b.exec(t, `INSERT INTO items VALUES (?, ?, ?, ?, ?)`, id, b.at(10-id), name, "12.50", []byte{0, 1, 2})
		}
		st := connectors.Stream{Name: "visible_items", PrimaryKey: []string{"id"}, Cursor: "upd",
			Query: "SELECT id, upd, name, amount, photo FROM items WHERE name <> 'hidden' -- trailing comment\n;"}
		src := b.open(t)
		if err := src.Check(t.Context(), st); err != nil {
			t.Fatalf("check: %v", err)
		}
		recs, _ := readAll(t, src, incremental(st, nil, 2))
		sameKeys(t, "query", keysOf(recs), ids(7, 5, 4, 2, 1))
		for _, r := range recs {
			if len(r.Fields) != 5 {
				t.Errorf("record %s fields %v: want exactly id, upd, name, amount, photo", r.Key, r.Fields)
			}
			if _, ok := r.Fields["id"].(int64); !ok {
				t.Errorf("id is %T, want int64", r.Fields["id"])
			}
			if _, ok := r.Fields["photo"].([]byte); !ok {
				t.Errorf("photo is %T, want []byte", r.Fields["photo"])
			}
			if b.kind != "sqlite" && r.Fields["amount"] != "12.50" {
				t.Errorf("amount = %#v, want the numeric's text \"12.50\"", r.Fields["amount"])
			}
		}
	})
}

// TestCompositeKey pages through ties on a two-column key whose first
// column is text.
func TestCompositeKey(t *testing.T) {
	each(t, func(t *testing.T, b *backend) {
		b.exec(t, `CREATE TABLE regs (region `+b.pick(`TEXT COLLATE "C"`, "TEXT", "VARCHAR(10)")+`, num INTEGER, upd `+b.timestampType()+`, PRIMARY KEY (region, num))`)
		var want []string
		for g := range 3 {
			for _, region := range []string{"HN", "HT"} {
				for num := 1; num <= 4; num++ {
					want = append(want, fmt.Sprintf("%s|%d", region, num*10+g))
				}
			}
		}
		// Insert in an order unrelated to the key.
		shuffled := slices.Clone(want)
		slices.Reverse(shuffled)
		for _, k := range shuffled {
			var region string
			var num int
			fmt.Sscanf(k, "%2s|%d", &region, &num)
			b.exec(t, `INSERT INTO regs VALUES (?, ?, ?)`, region, num, b.at(num%10))
		}
		st := connectors.Stream{Name: "regs", Table: "regs", PrimaryKey: []string{"region", "num"}, Cursor: "upd"}
		src := b.open(t)
		recs, _ := readAll(t, src, incremental(st, nil, 3))
		sameKeys(t, "one read", keysOf(recs), want)
		sameKeys(t, "chunks of 5", readInChunks(t, src, incremental(st, nil, 3), 5), want)
		fullWant := slices.Clone(want)
		slices.Sort(fullWant) // "HN|10" < "HN|11" < ... matches (region, num) here
		recs, _ = readAll(t, src, fullRefresh(st, nil, 4))
		sameKeys(t, "full by key", keysOf(recs), fullWant)
	})
}

// TestPagesStayBounded reads 20,000 rows with PageSize 100 and proves no
// query returned more than a page, and that many queries ran.
func TestPagesStayBounded(t *testing.T) {
	each(t, func(t *testing.T, b *backend) {
		b.exec(t, `CREATE TABLE big (id INTEGER PRIMARY KEY, upd INTEGER NOT NULL, pad TEXT)`)
		b.exec(t, b.pick(
			`INSERT INTO big SELECT g, g / 7, 'row' FROM generate_series(1, 20000) g`,
			`WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 20000)
			 INSERT INTO big SELECT n, n / 7, 'row' FROM g`,
			// MySQL 8 stops a recursive CTE at 1000 rows; digits do not.
			`INSERT INTO big SELECT n, n DIV 7, 'row' FROM (
			   SELECT 1 + a.d + 10 * b.d + 100 * c.d + 1000 * e.d + 10000 * f.d AS n
			   FROM `+digits("a")+`, `+digits("b")+`, `+digits("c")+`, `+digits("e")+`, `+digits("f")+`) g
			 WHERE n <= 20000`))
		st := connectors.Stream{Name: "big", Table: "big", PrimaryKey: []string{"id"}, Cursor: "upd"}
		src := b.open(t)
		for _, mode := range []connectors.Mode{connectors.Incremental, connectors.FullRefresh} {
			t.Run(string(mode), func(t *testing.T) {
				ctx := t.Context()
				r, err := src.Read(ctx, connectors.ReadRequest{Stream: st, Mode: mode, PageSize: 100})
				if err != nil {
					t.Fatal(err)
				}
				defer r.Close()
				seen := make(map[string]bool, 20000)
				for {
					rec, err := r.Next(ctx)
					if err != nil {
						if !errors.Is(err, connectors.ErrEndOfStream) {
							t.Fatal(err)
						}
						break
					}
					if seen[rec.Key] {
						t.Fatalf("record %s read twice", rec.Key)
					}
					seen[rec.Key] = true
				}
				if len(seen) != 20000 {
					t.Errorf("read %d records, want 20000", len(seen))
				}
				queries, maxRows := sqlsource.ReaderStats(r)
				if maxRows > 100 || queries < 200 {
					t.Errorf("%d page queries returning at most %d rows: want >= 200 queries of <= 100 rows", queries, maxRows)
				}
			})
		}
	})
}

// digits is a derived table of the digits 0 to 9, for making rows on MySQL.
func digits(alias string) string {
	return "(SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 " +
		"UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) " + alias
}

// TestEveryRecordKeepsItsPosition reads a stream in one read, then resumes
// from each record's checkpoint in turn: every resumed read starts right
// after that record, so no record's position was overwritten by a later
// row's (the reader hands out its rows' cursor and key texts from shared
// chunks).
func TestEveryRecordKeepsItsPosition(t *testing.T) {
	each(t, func(t *testing.T, b *backend) {
		b.exec(t, `CREATE TABLE regs (region `+b.pick(`TEXT COLLATE "C"`, "TEXT", "VARCHAR(10)")+`, num INTEGER, upd `+b.timestampType()+`, PRIMARY KEY (region, num))`)
		for i := range 12 {
			b.exec(t, `INSERT INTO regs VALUES (?, ?, ?)`, []string{"HN", "HT"}[i%2], i, b.at(i/3))
		}
		st := connectors.Stream{Name: "regs", Table: "regs", PrimaryKey: []string{"region", "num"}, Cursor: "upd"}
		src := b.open(t)
		recs, _ := readAll(t, src, incremental(st, nil, 5))
		if len(recs) != 12 {
			t.Fatalf("read %d records, want 12", len(recs))
		}
		for i, rec := range recs[:len(recs)-1] {
			next, _ := readN(t, src, incremental(st, rec.Checkpoint(), 5), 1)
			if len(next) != 1 || next[0].Key != recs[i+1].Key {
				t.Errorf("resumed after record %d (%s): got %v, want %s", i, rec.Key, keysOf(next), recs[i+1].Key)
			}
		}
	})
}
