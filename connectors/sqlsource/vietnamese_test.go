package sqlsource_test

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/lienthong/lienthong/connectors"
)

// names differ only by tone mark, case, a trailing space or Unicode
// normalisation. MySQL's usual collations (utf8mb4_general_ci,
// utf8mb4_unicode_ci, even utf8mb4_vietnamese_ci) hold most of them equal,
// and every PAD SPACE collation, utf8mb4_bin included, has "Ha" = "Ha ".
var names = []string{"Hà", "Ha", "Hạ", "Hả", "Hã", "Há", "HA", "ha", "Ha ", "Ha\u0300", "hà"}

// TestVietnameseText reads text keys and a text cursor that differ only by
// diacritics: every row exactly once, in byte order, whatever page or chunk
// size, and a later run reads only what lies after its checkpoint.
func TestVietnameseText(t *testing.T) {
	byteOrder := slices.Clone(names)
	sort.Strings(byteOrder)
	each(t, func(t *testing.T, b *backend) {
		textTypes := map[string]string{"default": b.pick(`TEXT COLLATE "C"`, "TEXT", "VARCHAR(20)")}
		if b.kind == "mysql" {
			textTypes["unicode_ci"] = "VARCHAR(20) COLLATE utf8mb4_unicode_ci"
			textTypes["vietnamese_ci"] = "VARCHAR(20) COLLATE utf8mb4_vietnamese_ci"
			textTypes["utf8mb3"] = "VARCHAR(20) CHARACTER SET utf8mb3"
			textTypes["bin"] = "VARCHAR(20) COLLATE utf8mb4_bin"
		}
		for label, typ := range textTypes {
			t.Run(label, func(t *testing.T) {
				table := "ten_" + label
				// No unique constraint on ten: under a case- and
				// accent-insensitive collation it would refuse these rows.
				b.exec(t, `CREATE TABLE `+table+` (id INTEGER PRIMARY KEY, ten `+typ+`, upd INTEGER)`)
				for i, n := range names {
					b.exec(t, `INSERT INTO `+table+` VALUES (?, ?, 1)`, i+1, n)
				}
				src := b.open(t)
				byKey := connectors.Stream{Name: table, Table: table, PrimaryKey: []string{"ten"}, Cursor: "upd"}
				if err := src.Check(t.Context(), byKey); err != nil {
					t.Fatalf("check the text key: %v", err)
				}
				for _, pageSize := range []int{1, 2, 3} {
					recs, _ := readAll(t, src, incremental(byKey, nil, pageSize))
					sameTexts(t, fmt.Sprintf("key, tied cursor, pages of %d", pageSize), keysOf(recs), byteOrder)
					recs, _ = readAll(t, src, fullRefresh(byKey, nil, pageSize))
					sameTexts(t, fmt.Sprintf("key, full refresh, pages of %d", pageSize), keysOf(recs), byteOrder)
					for _, r := range recs {
						if r.Fields["ten"] != r.Key {
							t.Errorf("record %q: ten = %q, want the key's own text", r.Key, r.Fields["ten"])
						}
					}
				}
				sameTexts(t, "key, chunks of 1", readInChunks(t, src, incremental(byKey, nil, 2), 1), byteOrder)
				sameTexts(t, "key, full refresh in chunks of 2", readInChunks(t, src, fullRefresh(byKey, nil, 3), 2), byteOrder)

				// Every name twice, as the cursor, with the id as key.
				byCursor := connectors.Stream{Name: table + "_cursor", PrimaryKey: []string{"id"}, Cursor: "ten",
					// SQLite compares a key with its text only through a
					// type affinity, which a bare expression lacks.
					Query: `SELECT id, ten FROM ` + table + ` UNION ALL SELECT ` +
						b.pick("id + 100", "CAST(id + 100 AS INTEGER)", "id + 100") + `, ten FROM ` + table}
				var want []string
				for _, n := range byteOrder {
					id := slices.Index(names, n) + 1
					want = append(want, fmt.Sprint(id), fmt.Sprint(id+100))
				}
				if err := src.Check(t.Context(), byCursor); err != nil {
					t.Fatalf("check the text cursor: %v", err)
				}
				recs, final := readAll(t, src, incremental(byCursor, nil, 3))
				sameKeys(t, "cursor", keysOf(recs), want)
				sameKeys(t, "cursor, chunks of 4", readInChunks(t, src, incremental(byCursor, nil, 2), 4), want)
				last := byteOrder[len(byteOrder)-1]
				if c := decode(t, final).Cursor; c == nil || *c != last {
					t.Errorf("final cursor %v, want %q", c, last)
				}
				// After the checkpoint: the last name with a greater id. Not
				// after it: every other name, though a collation may hold it
				// equal to the last one.
				for _, n := range names {
					id := 200 + slices.Index(names, n)
					b.exec(t, `INSERT INTO `+table+` VALUES (?, ?, 1)`, id, n)
				}
				recs, _ = readAll(t, src, incremental(byCursor, final, 2))
				lastID := 200 + slices.Index(names, last)
				sameKeys(t, "next run", keysOf(recs), ids(lastID, lastID+100))
			})
		}
	})
}

// sameTexts compares keys that may hold spaces and combining marks, quoted.
func sameTexts(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		q := func(ss []string) string {
			out := make([]string, len(ss))
			for i, s := range ss {
				out[i] = fmt.Sprintf("%+q", s)
			}
			return strings.Join(out, " ")
		}
		t.Errorf("%s: keys\n got %s\nwant %s", what, q(got), q(want))
	}
}
