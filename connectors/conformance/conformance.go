// Package conformance is the test suite every connector passes: the same
// scenarios (an empty source, one row, many rows sharing a cursor value, NULL
// cursors, inserts and updates between runs, deletions under full refresh,
// Vietnamese text, a read that fails halfway and resumes, the columns a
// connector lists before a read) run against each
// connector reading a real peer: a database, an HTTP server, a folder of
// files, a child process.
//
// A connector joins the suite with a Peer (how to put rows into its kind of
// system) and one line in the suite's table of peers. The suite drives the
// connector as the engine does: it keeps the last record's Position, and
// starts the next read from Reader.Final after a complete read, or from the
// last Position after a failed one.
//
// The package is for tests: it imports testing and must not be imported by
// production code.
package conformance

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"github.com/lienthong/lienthong/connectors"
)

// Row is one record in a peer, in the suite's terms. Each peer turns it into
// its own shape: a table row, a JSON object, a CSV line, a Singer RECORD.
type Row struct {
	// ID is the primary key, a decimal number as text.
	ID string
	// Cursor is a logical time: peers map it to their cursor column (a
	// timestamp n seconds after an epoch, an integer, ...). Rows put later
	// have a greater or equal Cursor. NullCursor rows have none.
	Cursor     int
	NullCursor bool
	// Name and Place are text fields; the suite puts Vietnamese in them.
	Name, Place string
}

// Caps says which scenarios apply to a peer.
type Caps struct {
	// NullCursor: the peer can hold rows without a cursor value.
	NullCursor bool
	// FullRefresh: the connector supports full-refresh reads whose result
	// is the peer's whole current content (deletions show as absence).
	FullRefresh bool
	// Updates: a row can be changed in place and re-read incrementally
	// (false for append-only peers such as dropped files).
	Updates bool
	// AtLeastOnce: after a failed read, resuming may deliver again records
	// read since the last resumable position (Singer's STATE granularity).
	// Records are never missed either way.
	AtLeastOnce bool
	// Columns: the connector implements connectors.ColumnLister and can
	// tell this peer's columns (ok is true). A connector that implements
	// it is checked whenever it can tell, whatever Columns says.
	Columns bool
}

// Peer is a department system of one connector kind, for the suite.
type Peer interface {
	// Open returns a source reading a new, empty stream of this peer, and
	// the stream to read, with the given page size where the connector has
	// one. The stream's fields are "id", "name" and "place"; its primary key
	// is "id".
	Open(t *testing.T, pageSize int) (connectors.Source, connectors.Stream)
	// Put inserts rows, or replaces rows with the same ID.
	Put(t *testing.T, rows ...Row)
	// Delete removes rows by ID.
	Delete(t *testing.T, ids ...string)
	// Caps says which scenarios apply.
	Caps() Caps
}

// NewPeer makes a fresh peer for one scenario.
type NewPeer func(t *testing.T) Peer

// Run runs every scenario against peers made by newPeer, each as a subtest.
func Run(t *testing.T, newPeer NewPeer) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			p := newPeer(t)
			if !sc.applies(p.Caps()) {
				// Not a skipped test standing in for work: the capability
				// does not exist for this kind of peer.
				t.Logf("%s does not apply: %s", sc.name, sc.needs)
				return
			}
			sc.run(t, p)
		})
	}
}

type scenario struct {
	name    string
	needs   string
	applies func(Caps) bool
	run     func(*testing.T, Peer)
}

func always(Caps) bool { return true }

var scenarios = []scenario{
	{"empty source", "", always, testEmpty},
	{"one row", "", always, testOneRow},
	{"rows sharing a cursor value", "", always, testSharedCursor},
	{"NULL cursor", "rows without a cursor value", func(c Caps) bool { return c.NullCursor }, testNullCursor},
	{"inserts and updates between runs", "", always, testBetweenRuns},
	{"deletes under full refresh", "full-refresh reads", func(c Caps) bool { return c.FullRefresh }, testDeletes},
	{"Vietnamese text", "", always, testVietnamese},
	{"failure halfway and resume", "", always, testResume},
	{"columns listed before a read", "", always, testColumns},
}

// session reads a peer as the engine does, carrying the checkpoint over.
type session struct {
	t      *testing.T
	src    connectors.Source
	stream connectors.Stream
	page   int
	from   connectors.Checkpoint
}

func open(t *testing.T, p Peer, page int) *session {
	t.Helper()
	src, stream := p.Open(t, page)
	t.Cleanup(func() { src.Close() })
	if err := src.Check(context.Background(), stream); err != nil {
		t.Fatalf("check: %v", err)
	}
	return &session{t: t, src: src, stream: stream, page: page}
}

// read reads to the end (or until stopAfter records, then cancels, as a
// failure would) and returns the records. After a complete read the next
// one starts from Final; after a failed one from the last Position.
func (s *session) read(mode connectors.Mode, stopAfter int) []connectors.Record {
	s.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	from := s.from
	if mode == connectors.FullRefresh {
		from = nil
	}
	r, err := s.src.Read(ctx, connectors.ReadRequest{Stream: s.stream, Mode: mode, From: from, PageSize: s.page})
	if err != nil {
		s.t.Fatalf("read: %v", err)
	}
	defer r.Close()
	var recs []connectors.Record
	for {
		if stopAfter > 0 && len(recs) == stopAfter {
			cancel()
		}
		rec, err := r.Next(ctx)
		if errors.Is(err, connectors.ErrEndOfStream) {
			if stopAfter > 0 && len(recs) >= stopAfter {
				s.t.Fatalf("read ended normally after the context was cancelled")
			}
			if mode == connectors.Incremental {
				s.from = r.Final()
			}
			return recs
		}
		if err != nil {
			if stopAfter > 0 && len(recs) >= stopAfter {
				// The failure the scenario asked for: resume from the last
				// record handed over.
				if len(recs) > 0 {
					s.from = recs[len(recs)-1].Checkpoint()
				}
				return recs
			}
			s.t.Fatalf("read after %d records: %v", len(recs), err)
		}
		if rec.Problem != nil {
			s.t.Fatalf("record %s has a problem: %+v", rec.Key, rec.Problem)
		}
		recs = append(recs, rec)
	}
}

// ids returns the records' keys in order.
func ids(recs []connectors.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Key
	}
	return out
}

// wantIDs checks that recs hold exactly the given IDs, each once, in any
// order.
func wantIDs(t *testing.T, what string, recs []connectors.Record, want ...string) {
	t.Helper()
	got := ids(recs)
	sort.Strings(got)
	w := append([]string{}, want...)
	sort.Strings(w)
	if strings.Join(got, ",") != strings.Join(w, ",") {
		t.Fatalf("%s: read %v, want %v", what, got, w)
	}
}

func rows(from, to, cursorEvery int, cursorBase int) []Row {
	var out []Row
	for i := from; i <= to; i++ {
		out = append(out, Row{ID: strconv.Itoa(i), Cursor: cursorBase + (i-from)/cursorEvery, Name: fmt.Sprintf("Nguyễn Văn %d", i), Place: "Hà Tĩnh"})
	}
	return out
}

func idRange(from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, strconv.Itoa(i))
	}
	return out
}

func testEmpty(t *testing.T, p Peer) {
	s := open(t, p, 3)
	wantIDs(t, "incremental read of an empty source", s.read(connectors.Incremental, 0))
	if p.Caps().FullRefresh {
		wantIDs(t, "full read of an empty source", s.read(connectors.FullRefresh, 0))
	}
	p.Put(t, rows(1, 2, 1, 10)...)
	wantIDs(t, "incremental read after the first rows arrived", s.read(connectors.Incremental, 0), "1", "2")
}

func testOneRow(t *testing.T, p Peer) {
	s := open(t, p, 3)
	p.Put(t, Row{ID: "1", Cursor: 10, Name: "Trần Thị Lan", Place: "Thạch Hà"})
	recs := s.read(connectors.Incremental, 0)
	wantIDs(t, "one row", recs, "1")
	if got := text(recs[0].Fields["name"]); got != "Trần Thị Lan" {
		t.Fatalf("name = %q, want %q", got, "Trần Thị Lan")
	}
	wantIDs(t, "the same row is not read again", s.read(connectors.Incremental, 0))
}

func testSharedCursor(t *testing.T, p Peer) {
	s := open(t, p, 3)
	// 25 rows in groups of 5 sharing a cursor value; pages of 3 cut through
	// every group.
	p.Put(t, rows(1, 25, 5, 10)...)
	wantIDs(t, "rows sharing cursor values", s.read(connectors.Incremental, 0), idRange(1, 25)...)
	// Three more rows with the last cursor value already read.
	late := rows(26, 28, 5, 10+4)
	p.Put(t, late...)
	wantIDs(t, "rows arriving with the checkpoint's cursor value", s.read(connectors.Incremental, 0), "26", "27", "28")
	wantIDs(t, "nothing new", s.read(connectors.Incremental, 0))
}

func testNullCursor(t *testing.T, p Peer) {
	s := open(t, p, 3)
	p.Put(t, rows(1, 5, 1, 10)...)
	p.Put(t, Row{ID: "6", NullCursor: true, Name: "Lê Văn Sáu", Place: "Can Lộc"}, Row{ID: "7", NullCursor: true, Name: "Lê Thị Bảy", Place: "Can Lộc"})
	recs := s.read(connectors.Incremental, 0)
	wantIDs(t, "rows with and without a cursor", recs, idRange(1, 7)...)
	for _, r := range recs {
		if null := r.Key == "6" || r.Key == "7"; r.NullCursor != null {
			t.Fatalf("record %s NullCursor = %v, want %v", r.Key, r.NullCursor, null)
		}
	}
	wantIDs(t, "NULL-cursor rows are read again on every run", s.read(connectors.Incremental, 0), "6", "7")
}

func testBetweenRuns(t *testing.T, p Peer) {
	s := open(t, p, 4)
	p.Put(t, rows(1, 10, 1, 10)...)
	wantIDs(t, "first run", s.read(connectors.Incremental, 0), idRange(1, 10)...)
	var changed []Row
	if p.Caps().Updates {
		for _, id := range []int{2, 5, 9} {
			changed = append(changed, Row{ID: strconv.Itoa(id), Cursor: 100, Name: fmt.Sprintf("Phan Thị %d", id), Place: "Kỳ Anh"})
		}
	}
	changed = append(changed, rows(11, 12, 1, 100)...)
	p.Put(t, changed...)
	want := make([]string, len(changed))
	for i, r := range changed {
		want[i] = r.ID
	}
	recs := s.read(connectors.Incremental, 0)
	wantIDs(t, "second run reads exactly what changed", recs, want...)
	for _, r := range recs {
		if r.Key == "5" && text(r.Fields["name"]) != "Phan Thị 5" {
			t.Fatalf("updated row 5 has name %q", text(r.Fields["name"]))
		}
	}
}

func testDeletes(t *testing.T, p Peer) {
	s := open(t, p, 4)
	p.Put(t, rows(1, 10, 1, 10)...)
	wantIDs(t, "full read", s.read(connectors.FullRefresh, 0), idRange(1, 10)...)
	p.Delete(t, "3", "4", "8")
	wantIDs(t, "full read after deletions", s.read(connectors.FullRefresh, 0), "1", "2", "5", "6", "7", "9", "10")
}

func testVietnamese(t *testing.T, p Peer) {
	s := open(t, p, 3)
	names := []string{"Nguyễn Văn Đức", "Đặng Thị Ngọc Ánh", "Hồ Hữu Phước", "Bùi Thị Thuỷ"}
	places := []string{"Hà Tĩnh", "Thạch Hà", "Hương Khê", "Kỳ Anh"}
	for i := range names {
		// Put the name decomposed (NFD), as some keyboards and exports do;
		// it must come back composed.
		p.Put(t, Row{ID: strconv.Itoa(i + 1), Cursor: 10 + i, Name: norm.NFD.String(names[i]), Place: places[i]})
	}
	recs := s.read(connectors.Incremental, 0)
	wantIDs(t, "Vietnamese rows", recs, "1", "2", "3", "4")
	// The text must arrive intact: no mojibake, no lost or moved marks.
	// Connectors that decode legacy encodings hand over NFC; others hand
	// over what is stored, and the mapping composes it (NFC) either way.
	for _, r := range recs {
		i, _ := strconv.Atoi(r.Key)
		if got := norm.NFC.String(text(r.Fields["name"])); got != names[i-1] {
			t.Errorf("record %s name = %q (% x), want %q", r.Key, got, got, names[i-1])
		}
		if got := norm.NFC.String(text(r.Fields["place"])); got != places[i-1] {
			t.Errorf("record %s place = %q, want %q", r.Key, got, places[i-1])
		}
	}
}

func testResume(t *testing.T, p Peer) {
	s := open(t, p, 4)
	p.Put(t, rows(1, 30, 3, 10)...)
	// A reader may hand over what it already fetched after the failure;
	// those records count as read, and resuming starts after the last one.
	first := s.read(connectors.Incremental, 13)
	if len(first) < 13 || len(first) == 30 {
		t.Fatalf("the interrupted read delivered %d records, want at least 13 and not all 30", len(first))
	}
	rest := s.read(connectors.Incremental, 0)
	seen := map[string]int{}
	for _, r := range append(first, rest...) {
		seen[r.Key]++
	}
	for _, id := range idRange(1, 30) {
		if seen[id] == 0 {
			t.Fatalf("record %s was lost across the failure (read %v then %v)", id, ids(first), ids(rest))
		}
		if seen[id] > 1 && !p.Caps().AtLeastOnce {
			t.Fatalf("record %s was read twice across the failure (read %v then %v)", id, ids(first), ids(rest))
		}
	}
	if len(seen) != 30 {
		t.Fatalf("read %d distinct records, want 30", len(seen))
	}
	wantIDs(t, "nothing new after the resumed read", s.read(connectors.Incremental, 0))
}

func text(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

// testColumns checks a ColumnLister against what Read delivers: the
// columns listed before a read, on an empty peer and on one with rows, are
// exactly the fields of the records read.
func testColumns(t *testing.T, p Peer) {
	s := open(t, p, 3)
	cl, ok := s.src.(connectors.ColumnLister)
	if !ok {
		if p.Caps().Columns {
			t.Fatal("the peer's Caps say it lists columns, and its source is no connectors.ColumnLister")
		}
		t.Log("the connector does not list columns")
		return
	}
	ctx := context.Background()
	list := func(when string) ([]string, bool) {
		t.Helper()
		cols, ok, err := cl.Columns(ctx, s.stream)
		if err != nil {
			t.Fatalf("columns %s: %v", when, err)
		}
		if !ok && p.Caps().Columns {
			t.Fatalf("columns %s: not ok, and the peer's Caps say the connector can tell", when)
		}
		seen := map[string]bool{}
		for _, c := range cols {
			if seen[c] {
				t.Fatalf("columns %s: %q listed twice in %q", when, c, cols)
			}
			seen[c] = true
		}
		return cols, ok
	}
	before, okBefore := list("of an empty peer")
	p.Put(t, rows(1, 5, 1, 10)...)
	cols, ok := list("with rows")
	if !ok {
		t.Log("the connector can not tell this peer's columns")
		return
	}
	if okBefore && strings.Join(before, ",") != strings.Join(cols, ",") {
		t.Fatalf("columns changed when rows arrived: %q, then %q", before, cols)
	}
	recs := s.read(connectors.Incremental, 0)
	wantIDs(t, "records after listing the columns", recs, idRange(1, 5)...)
	fields := map[string]bool{}
	for _, r := range recs {
		for name := range r.Fields {
			fields[name] = true
		}
	}
	got := make([]string, 0, len(fields))
	for name := range fields {
		got = append(got, name)
	}
	sort.Strings(got)
	listed := append([]string{}, cols...)
	sort.Strings(listed)
	if strings.Join(got, ",") != strings.Join(listed, ",") {
		t.Fatalf("Columns listed %q, and the records read hold fields %q", cols, got)
	}
}
