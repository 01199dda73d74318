package file

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/lienthong/lienthong/connectors"
)

// TestRecycle gives every record's map back as soon as it is read, as the
// engine does once a batch commits, across two files whose headers differ:
// a record in a map that held another file's row holds only its own
// file's columns.
func TestRecycle(t *testing.T) {
	dir := t.TempDir()
	drop(t, dir, "ks-1.csv", []byte("so,ten,ghi_chu\n1,An,x\n2,Bình,\n3,Chi,z\n"), 2*old)
	drop(t, dir, "ks-2.csv", []byte("so,ho_ten\n4,Dung\n5,Hà\n"), old)
	src := openSource(t, dir, nil)
	ctx := context.Background()
	r, err := src.Read(ctx, connectors.ReadRequest{Stream: stream("ks-*.csv", "so"), Mode: connectors.Incremental})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rec, ok := r.(interface{ Recycle(map[string]any) })
	if !ok {
		t.Fatalf("%T does not take back records' maps", r)
	}
	want := []string{"map[ghi_chu:x so:1 ten:An]", "map[ghi_chu:<nil> so:2 ten:Bình]", "map[ghi_chu:z so:3 ten:Chi]",
		"map[ho_ten:Dung so:4]", "map[ho_ten:Hà so:5]"}
	var got []string
	for {
		x, err := r.Next(ctx)
		if errors.Is(err, connectors.ErrEndOfStream) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprint(x.Fields))
		rec.Recycle(x.Fields)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("records\n got %v\nwant %v", got, want)
	}
}
