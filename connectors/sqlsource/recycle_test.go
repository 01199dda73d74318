package sqlsource_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/lienthong/lienthong/connectors"
)

// TestRecycle gives every record's map back as soon as it is read, as the
// engine does once a batch commits: later records, in maps that held other
// rows, hold exactly their own columns and values, NULLs included.
func TestRecycle(t *testing.T) {
	each(t, func(t *testing.T, b *backend) {
		b.exec(t, `CREATE TABLE people (id INTEGER PRIMARY KEY, upd INTEGER NOT NULL, name TEXT, note TEXT)`)
		for i := 1; i <= 50; i++ {
			var note any
			if i%3 == 0 {
				note = fmt.Sprint("note ", i)
			}
			b.exec(t, `INSERT INTO people VALUES (?, 1, ?, ?)`, i, fmt.Sprint("name ", i), note)
		}
		src := b.open(t)
		st := connectors.Stream{Name: "people", Table: "people", PrimaryKey: []string{"id"}, Cursor: "upd"}
		ctx := context.Background()
		r, err := src.Read(ctx, connectors.ReadRequest{Stream: st, Mode: connectors.Incremental, PageSize: 7})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		rec, ok := r.(interface{ Recycle(map[string]any) })
		if !ok {
			t.Fatalf("%T does not take back records' maps", r)
		}
		n := 0
		for {
			got, err := r.Next(ctx)
			if errors.Is(err, connectors.ErrEndOfStream) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			n++
			if len(got.Fields) != 4 || got.Fields["name"] != fmt.Sprint("name ", n) || fmt.Sprint(got.Fields["id"]) != fmt.Sprint(n) {
				t.Fatalf("record %s: fields %v", got.Key, got.Fields)
			}
			if note := got.Fields["note"]; (n%3 == 0) != (note != nil) || (note != nil && note != fmt.Sprint("note ", n)) {
				t.Fatalf("record %s: note %v", got.Key, note)
			}
			if len(got.Checkpoint()) == 0 {
				t.Fatalf("record %s: no checkpoint", got.Key)
			}
			rec.Recycle(got.Fields)
		}
		if n != 50 {
			t.Fatalf("read %d records, want 50", n)
		}
	})
}

// TestNextRow reads a stream with NextRow and with Next, over several
// pages and a NULL cursor pass: the same records, positions and values,
// with the values as rows of the page's columns and no map.
func TestNextRow(t *testing.T) {
	each(t, func(t *testing.T, b *backend) {
		b.exec(t, `CREATE TABLE people (id INTEGER PRIMARY KEY, upd INTEGER, name TEXT, note TEXT)`)
		for i := 1; i <= 30; i++ {
			var note, upd any = nil, i % 4
			if i%3 == 0 {
				note = fmt.Sprint("note ", i)
			}
			if i%5 == 0 {
				upd = nil
			}
			b.exec(t, `INSERT INTO people VALUES (?, ?, ?, ?)`, i, upd, fmt.Sprint("name ", i), note)
		}
		src := b.open(t)
		st := connectors.Stream{Name: "people", Table: "people", PrimaryKey: []string{"id"}, Cursor: "upd"}
		req := connectors.ReadRequest{Stream: st, Mode: connectors.Incremental, PageSize: 7}
		want, wantFinal := readAll(t, src, req)
		ctx := context.Background()
		r, err := src.Read(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		rr, ok := r.(interface {
			NextRow(context.Context) (connectors.Record, []any, []string, error)
		})
		if !ok {
			t.Fatalf("%T does not hand over rows", r)
		}
		var got []connectors.Record
		for {
			rec, row, cols, err := rr.NextRow(ctx)
			if errors.Is(err, connectors.ErrEndOfStream) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if rec.Fields != nil || len(row) != len(cols) {
				t.Fatalf("record %s: a map %v, %d values for %d columns", rec.Key, rec.Fields, len(row), len(cols))
			}
			rec.Fields = map[string]any{}
			for j, c := range cols {
				rec.Fields[c] = row[j]
			}
			got = append(got, rec)
		}
		if len(got) != len(want) {
			t.Fatalf("NextRow read %d records, Next %d", len(got), len(want))
		}
		for i := range want {
			g, w := got[i], want[i]
			if g.Key != w.Key || g.NullCursor != w.NullCursor || !bytes.Equal(g.Checkpoint(), w.Checkpoint()) || !reflect.DeepEqual(g.Fields, w.Fields) {
				t.Errorf("record %d:\n got %s %v %s %v\nwant %s %v %s %v", i, g.Key, g.NullCursor, g.Checkpoint(), g.Fields,
					w.Key, w.NullCursor, w.Checkpoint(), w.Fields)
			}
		}
		if final := r.Final(); !bytes.Equal(final, wantFinal) {
			t.Errorf("Final %s, want %s", final, wantFinal)
		}
	})
}
