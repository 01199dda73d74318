package sqlsource_test

import (
	"context"
	"errors"
	"fmt"
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
