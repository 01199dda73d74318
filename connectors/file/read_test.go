package file

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lienthong/lienthong/connectors"
)

// people is a CSV file with one row per key.
func people(keys ...string) []byte {
	var b strings.Builder
	b.WriteString("so_dk,ho_ten\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "%s,Người %s\n", k, k)
	}
	return []byte(b.String())
}

func TestReadiness(t *testing.T) {
	tests := []struct {
		name string
		opts map[string]any
		// prepare drops the file the way a department's export would be
		// half way through; complete finishes it.
		prepare, complete func(t *testing.T, dir string)
	}{
		{
			name: "min_age: a file modified just now waits",
			prepare: func(t *testing.T, dir string) {
				drop(t, dir, "a.csv", people("1"), 0)
			},
			complete: func(t *testing.T, dir string) {
				drop(t, dir, "a.csv", people("1", "2"), time.Minute)
			},
		},
		{
			name: "min_age set shorter",
			opts: map[string]any{"min_age": "5s"},
			prepare: func(t *testing.T, dir string) {
				drop(t, dir, "a.csv", people("1"), time.Second)
			},
			complete: func(t *testing.T, dir string) {
				drop(t, dir, "a.csv", people("1", "2"), 10*time.Second)
			},
		},
		{
			name: "done marker: an old file without its marker waits",
			opts: map[string]any{"done_suffix": ".done"},
			prepare: func(t *testing.T, dir string) {
				drop(t, dir, "a.csv", people("1", "2"), old)
			},
			complete: func(t *testing.T, dir string) {
				drop(t, dir, "a.csv.done", nil, 0)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			src := openSource(t, dir, tt.opts)
			st := stream("*.csv", "so_dk")
			tt.prepare(t, dir)
			recs, final := readAll(t, src, st, connectors.Incremental, nil)
			if len(recs) != 0 {
				t.Fatalf("read %q from a file that is not complete", keys(recs))
			}
			if err := src.Check(t.Context(), st); !errors.Is(err, ErrNoFile) {
				t.Errorf("Check = %v; want ErrNoFile", err)
			}
			tt.complete(t, dir)
			recs, _ = readAll(t, src, st, connectors.Incremental, final)
			if got := keys(recs); !slices.Equal(got, []string{"1", "2"}) {
				t.Errorf("keys once complete = %q; want 1, 2", got)
			}
		})
	}
}

// A file that changes while it is read fails the read; the next read reads
// it in full.
func TestFileChangedWhileRead(t *testing.T) {
	dir := t.TempDir()
	path := drop(t, dir, "a.csv", people("1", "2", "3"), old)
	src := openSource(t, dir, nil)
	ctx := t.Context()
	st := stream("*.csv", "so_dk")
	r, err := src.Read(ctx, connectors.ReadRequest{Stream: st, Mode: connectors.Incremental})
	if err != nil {
		t.Fatal(err)
	}
	first, err := r.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The writer appends: the size and modification time change.
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("4,Người 4\n")
	f.Close()
	setAge(t, path, old/2)
	for err == nil {
		_, err = r.Next(ctx)
	}
	if !errors.Is(err, ErrChanged) {
		t.Fatalf("Next = %v; want ErrChanged", err)
	}
	r.Close()
	recs, _ := readAll(t, src, st, connectors.Incremental, first.Checkpoint())
	if got := keys(recs); !slices.Equal(got, []string{"1", "2", "3", "4"}) {
		t.Errorf("keys after the change = %q; want the new file in full", got)
	}
}

func TestReadOnce(t *testing.T) {
	st := stream("khai-sinh-*.csv", "so_dk")
	tests := []struct {
		name  string
		again func(t *testing.T, dir string)
		want  []string
	}{
		{"nothing new", func(*testing.T, string) {}, nil},
		{"same file dropped again", func(t *testing.T, dir string) {
			drop(t, dir, "khai-sinh-1.csv", people("1", "2"), time.Minute)
		}, nil},
		{"identical file under a new name", func(t *testing.T, dir string) {
			drop(t, dir, "khai-sinh-2.csv", people("1", "2"), time.Minute)
		}, nil},
		{"file renamed", func(t *testing.T, dir string) {
			if err := os.Rename(filepath.Join(dir, "khai-sinh-1.csv"), filepath.Join(dir, "khai-sinh-1b.csv")); err != nil {
				t.Fatal(err)
			}
		}, nil},
		{"changed file under the same name", func(t *testing.T, dir string) {
			drop(t, dir, "khai-sinh-1.csv", people("1", "2", "3"), time.Minute)
		}, []string{"1", "2", "3"}},
		{"new file", func(t *testing.T, dir string) {
			drop(t, dir, "khai-sinh-2.csv", people("3"), time.Minute)
		}, []string{"3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			drop(t, dir, "khai-sinh-1.csv", people("1", "2"), old)
			src := openSource(t, dir, nil)
			recs, final := readAll(t, src, st, connectors.Incremental, nil)
			if got := keys(recs); !slices.Equal(got, []string{"1", "2"}) {
				t.Fatalf("first read = %q", got)
			}
			tt.again(t, dir)
			recs, final = readAll(t, src, st, connectors.Incremental, final)
			if got := keys(recs); !slices.Equal(got, tt.want) {
				t.Errorf("second read = %q; want %q", got, tt.want)
			}
			recs, _ = readAll(t, src, st, connectors.Incremental, final)
			if len(recs) != 0 {
				t.Errorf("third read = %q; want nothing", keys(recs))
			}
		})
	}
}

// Files are read oldest first, then by name, and each record's Position
// resumes just after it: a killed run resumes after its last committed row.
func TestResume(t *testing.T) {
	dir := t.TempDir()
	drop(t, dir, "b.csv", people("b1", "b2", "b3"), old)
	drop(t, dir, "a.csv", people("a1", "a2"), old-time.Minute)
	drop(t, dir, "c.csv", people("c1", "c2"), old-time.Minute)
	src := openSource(t, dir, nil)
	st := stream("*.csv", "so_dk")
	all, final := readAll(t, src, st, connectors.Incremental, nil)
	want := []string{"b1", "b2", "b3", "a1", "a2", "c1", "c2"}
	if got := keys(all); !slices.Equal(got, want) {
		t.Fatalf("order = %q; want %q", got, want)
	}
	for i, rec := range all {
		t.Run("after "+rec.Key, func(t *testing.T) {
			rest, fin := readAll(t, src, st, connectors.Incremental, rec.Checkpoint())
			if got := keys(rest); !slices.Equal(got, want[i+1:]) {
				t.Errorf("resumed read = %q; want %q", got, want[i+1:])
			}
			if !jsonEqual(t, fin, final) {
				t.Errorf("final = %s; want %s", fin, final)
			}
		})
	}
	// A file's last record carries the file as read, not a row in it.
	var cp checkpoint
	if err := json.Unmarshal(all[2].Checkpoint(), &cp); err != nil || cp.Reading != nil || len(cp.Read) != 1 || cp.Read[0].Name != "b.csv" {
		t.Errorf("position of b.csv's last row = %s; want b.csv in read", all[2].Checkpoint())
	}
	if err := json.Unmarshal(all[3].Checkpoint(), &cp); err != nil || cp.Reading == nil || cp.Reading.Name != "a.csv" || cp.Reading.Row != 1 {
		t.Errorf("position of a.csv's first row = %s; want reading a.csv at row 1", all[3].Checkpoint())
	}
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return fmt.Sprint(x) == fmt.Sprint(y)
}

// A read that stopped in a file finishes it before a file that arrived
// meanwhile, even an older one: a position in the other file would forget
// where the first stopped.
func TestResumeFirst(t *testing.T) {
	dir := t.TempDir()
	drop(t, dir, "b.csv", people("b1", "b2", "b3"), old)
	src := openSource(t, dir, nil)
	st := stream("*.csv", "so_dk")
	all, _ := readAll(t, src, st, connectors.Incremental, nil)
	drop(t, dir, "a.csv", people("a1"), 2*old)
	ctx := t.Context()
	r, err := src.Read(ctx, connectors.ReadRequest{Stream: st, Mode: connectors.Incremental, From: all[0].Checkpoint()})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rec, err := r.Next(ctx)
	if err != nil || rec.Key != "b2" {
		t.Fatalf("first record %q, %v; want b2", rec.Key, err)
	}
	rest, _ := readAll(t, src, st, connectors.Incremental, rec.Checkpoint())
	if got := keys(rest); !slices.Equal(got, []string{"b3", "a1"}) {
		t.Errorf("after b2: %q; want b3, then the new a.csv", got)
	}
}

// A position in a file that is gone is dropped; nothing else is read
// again.
func TestResumeInVanishedFile(t *testing.T) {
	dir := t.TempDir()
	drop(t, dir, "a.csv", people("a1"), old)
	path := drop(t, dir, "b.csv", people("b1", "b2"), old-time.Minute)
	src := openSource(t, dir, nil)
	st := stream("*.csv", "so_dk")
	all, _ := readAll(t, src, st, connectors.Incremental, nil)
	if len(all) != 3 {
		t.Fatalf("read %q", keys(all))
	}
	os.Remove(path)
	drop(t, dir, "c.csv", people("c1"), old-2*time.Minute)
	rest, final := readAll(t, src, st, connectors.Incremental, all[1].Checkpoint())
	if got := keys(rest); !slices.Equal(got, []string{"c1"}) {
		t.Errorf("read = %q; want only the new file", got)
	}
	var cp checkpoint
	json.Unmarshal(final, &cp)
	if cp.Reading != nil || len(cp.Read) != 2 {
		t.Errorf("final = %s; want a.csv and c.csv read, nothing half read", final)
	}
}

// The history keeps the newest files; older ones count as read by the
// horizon without being hashed or read again.
func TestHistoryBounded(t *testing.T) {
	dir := t.TempDir()
	for i := range 5 {
		drop(t, dir, fmt.Sprintf("f%d.csv", i), people(fmt.Sprint(i)), old-time.Duration(i)*time.Minute)
	}
	src := openSource(t, dir, map[string]any{"history": 2})
	st := stream("*.csv", "so_dk")
	recs, final := readAll(t, src, st, connectors.Incremental, nil)
	if len(recs) != 5 {
		t.Fatalf("read %q", keys(recs))
	}
	var cp checkpoint
	if err := json.Unmarshal(final, &cp); err != nil {
		t.Fatal(err)
	}
	if len(cp.Read) != 2 || cp.Read[0].Name != "f3.csv" || cp.Read[1].Name != "f4.csv" || cp.Horizon == nil {
		t.Fatalf("final = %s; want f3 and f4 in read and a horizon", final)
	}
	if want := time.Now().Add(-old + 2*time.Minute); cp.Horizon.Sub(want).Abs() > time.Second {
		t.Errorf("horizon = %v; want f2's modification time %v", cp.Horizon, want)
	}
	// Positions inside a file carry the history as it stood: bounded too.
	if n := strings.Count(string(recs[4].Checkpoint()), `"sha256"`); n != 2 {
		t.Errorf("last position holds %d hashes; want 2", n)
	}
	recs, _ = readAll(t, src, st, connectors.Incremental, final)
	if len(recs) != 0 {
		t.Errorf("second read = %q; want nothing", keys(recs))
	}
	// A late file with a new timestamp is read; one older than the horizon
	// is taken as read (the documented cost of a bounded checkpoint).
	drop(t, dir, "late.csv", people("late"), 0)
	setAge(t, filepath.Join(dir, "late.csv"), time.Minute)
	drop(t, dir, "stale.csv", people("stale"), 2*old)
	recs, _ = readAll(t, src, st, connectors.Incremental, final)
	if got := keys(recs); !slices.Equal(got, []string{"late"}) {
		t.Errorf("third read = %q; want late only", got)
	}
}

func TestMalformedFile(t *testing.T) {
	tests := []struct {
		name, file, content string
		want                string
	}{
		{"no key column", "a.csv", "ma,ho_ten\n1,An\n", `the header has no column "so_dk"; it has "ma", "ho_ten"`},
		{"column named twice", "a.csv", "so_dk,ten,ten\n1,a,b\n", `the header names column "ten" twice (columns 2 and 3)`},
		{"empty file", "a.csv", "", "the file has no header line"},
		{"not a spreadsheet", "a.xlsx", "so_dk,ho_ten\n1,An\n", "not a readable Excel (.xlsx) file"},
		{"old excel", "a.xls", "x", "Excel 97-2003 (.xls) files are not read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			drop(t, dir, tt.file, []byte(tt.content), old)
			drop(t, dir, "b.csv", people("1"), old-time.Minute)
			src := openSource(t, dir, nil)
			st := stream("*", "so_dk")
			recs, final := readAll(t, src, st, connectors.Incremental, nil)
			if len(recs) != 2 {
				t.Fatalf("records %+v; want the file's problem, then b.csv's row", recs)
			}
			p := recs[0].Problem
			if p == nil || p.Code != CodeMalformedFile || recs[0].Key != tt.file || !strings.Contains(p.Message, tt.file+": "+tt.want) {
				t.Errorf("record = %+v %+v; want malformed_file %q", recs[0], p, tt.want)
			}
			if recs[1].Key != "1" {
				t.Errorf("after the broken file: %+v", recs[1])
			}
			again, _ := readAll(t, src, st, connectors.Incremental, final)
			if len(again) != 0 {
				t.Errorf("the broken file is reported again: %+v", again)
			}
			if err := src.Check(t.Context(), stream(tt.file, "so_dk")); !errors.Is(err, ErrMalformedFile) {
				t.Errorf("Check = %v; want ErrMalformedFile", err)
			}
		})
	}
}

func TestSnapshot(t *testing.T) {
	dir := t.TempDir()
	drop(t, dir, "dan-cu-1.csv", people("1", "2", "3"), old)
	drop(t, dir, "dan-cu-2.csv", people("1", "3", "4"), old-time.Minute)
	drop(t, dir, "dan-cu-3.csv", people("9"), 0) // still being written
	opts := map[string]any{"streams": map[string]any{"dan-cu": map[string]any{"snapshot": true}}}
	src := openSource(t, dir, opts)
	st := connectors.Stream{Name: "dan-cu", Table: "dan-cu-*.csv", PrimaryKey: []string{"so_dk"}}

	recs, final := readAll(t, src, st, connectors.FullRefresh, nil)
	if got := keys(recs); !slices.Equal(got, []string{"1", "3", "4"}) {
		t.Fatalf("full refresh = %q; want the newest complete snapshot", got)
	}
	// The engine starts every new full refresh from nil: the same
	// snapshot is read whole again.
	if again, _ := readAll(t, src, st, connectors.FullRefresh, nil); len(again) != 3 {
		t.Errorf("second full refresh read %q", keys(again))
	}
	// A refresh resumed after its last row was committed reads nothing
	// more, and one resumed in the middle reads the rest of its file even
	// when a newer snapshot came meanwhile.
	if rest, fin := readAll(t, src, st, connectors.FullRefresh, recs[2].Checkpoint()); len(rest) != 0 || !jsonEqual(t, fin, final) {
		t.Errorf("resumed after the end: %q, final %s", keys(rest), fin)
	}
	setAge(t, filepath.Join(dir, "dan-cu-3.csv"), time.Minute)
	if rest, _ := readAll(t, src, st, connectors.FullRefresh, recs[0].Checkpoint()); !slices.Equal(keys(rest), []string{"3", "4"}) {
		t.Errorf("resumed in the middle: %q; want the rest of dan-cu-2.csv", keys(rest))
	}
	if next, _ := readAll(t, src, st, connectors.FullRefresh, nil); !slices.Equal(keys(next), []string{"9"}) {
		t.Errorf("next refresh: %q; want the newer snapshot", keys(next))
	}
	os.Remove(filepath.Join(dir, "dan-cu-2.csv"))
	if rest, _ := readAll(t, src, st, connectors.FullRefresh, recs[0].Checkpoint()); !slices.Equal(keys(rest), []string{"9"}) {
		t.Errorf("resumed in a vanished snapshot: %q; want the newest from its start", keys(rest))
	}

	ctx := context.Background()
	if _, err := src.Read(ctx, connectors.ReadRequest{Stream: st, Mode: connectors.Incremental}); !errors.Is(err, ErrInvalidStream) {
		t.Errorf("incremental read of a snapshot stream = %v; want ErrInvalidStream", err)
	}
	plain := stream("dan-cu-*.csv", "so_dk")
	if _, err := src.Read(ctx, connectors.ReadRequest{Stream: plain, Mode: connectors.FullRefresh}); !errors.Is(err, ErrInvalidStream) ||
		!strings.Contains(err.Error(), "snapshot: true") {
		t.Errorf("full refresh of a stream not declared snapshot = %v; want ErrInvalidStream naming snapshot", err)
	}
	none := connectors.Stream{Name: "dan-cu", Table: "none-*.csv", PrimaryKey: []string{"so_dk"}}
	if _, err := src.Read(ctx, connectors.ReadRequest{Stream: none, Mode: connectors.FullRefresh}); !errors.Is(err, ErrNoFile) {
		t.Errorf("full refresh with no file = %v; want ErrNoFile", err)
	}
	drop(t, dir, "dan-cu-4.csv", []byte("ma,ten\n1,x\n"), time.Minute)
	if _, _, err := tryReadAll(src, st, connectors.FullRefresh, nil); err == nil || !strings.Contains(err.Error(), "nothing is deleted") {
		t.Errorf("full refresh of a broken snapshot = %v; want an error", err)
	}
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	src := openSource(t, dir, nil)
	ctx := t.Context()
	st := stream("khai-sinh-*.csv", "so_dk")
	if err := src.Check(ctx, st); !errors.Is(err, ErrNoFile) || !strings.Contains(err.Error(), "no file in") {
		t.Errorf("empty folder: %v", err)
	}
	drop(t, dir, "khai-sinh-1.csv", people("1"), 0)
	if err := src.Check(ctx, st); !errors.Is(err, ErrNoFile) || !strings.Contains(err.Error(), "may still be written") {
		t.Errorf("file being written: %v", err)
	}
	drop(t, dir, "khai-sinh-1.csv", people("1"), old)
	if err := src.Check(ctx, st); err != nil {
		t.Errorf("complete file: %v", err)
	}
	if err := src.Check(ctx, stream("khai-sinh-*.csv", "so_dinh_danh")); !errors.Is(err, ErrMalformedFile) {
		t.Errorf("missing key column: %v", err)
	}
	withCursor := stream("khai-sinh-*.csv", "so_dk")
	withCursor.Cursor = "ngay_dk"
	if err := src.Check(ctx, withCursor); !errors.Is(err, ErrMalformedFile) || !strings.Contains(err.Error(), `"ngay_dk"`) {
		t.Errorf("missing cursor column: %v", err)
	}
	for _, bad := range []connectors.Stream{
		{Name: "s", Query: "SELECT 1", PrimaryKey: []string{"a"}},
		{Name: "s", Table: "sub/*.csv", PrimaryKey: []string{"a"}},
		{Name: "s", Table: "[", PrimaryKey: []string{"a"}},
		{Name: "s", Table: "*.csv"},
		{Name: "s", Table: "*.csv", PrimaryKey: []string{"a", " a"}},
		{Name: "s", Table: "*.csv", PrimaryKey: []string{"a"}, LookBack: "10m"},
	} {
		if err := src.Check(ctx, bad); !errors.Is(err, ErrInvalidStream) {
			t.Errorf("Check(%+v) = %v; want ErrInvalidStream", bad, err)
		}
	}
}
