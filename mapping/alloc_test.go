package mapping_test

import (
	"maps"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/lienthong/lienthong/mapping"
)

var sink map[string]any

// TestMapAllocs holds Map to its budget: a clean record costs the
// allocations of its data map and nothing more.
func TestMapAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates, and empties sync.Pool")
	}
	m, err := mapping.Parse("bench.yaml", []byte(benchBirth))
	if err != nil {
		t.Fatal(err)
	}
	rec := benchRecords(2)[1] // clean, and needs no trimming
	res := m.Map(rec)
	if len(res.Violations) > 0 || res.Skipped != "" || len(res.Record.Data) != 15 {
		t.Fatalf("the record does not map cleanly: %+v", res)
	}
	data := testing.AllocsPerRun(100, func() {
		d := make(map[string]any, len(res.Record.Data))
		for k, v := range res.Record.Data {
			d[k] = v
		}
		sink = d
	})
	if n := testing.AllocsPerRun(100, func() { m.Map(rec) }); n > data {
		t.Errorf("Map allocates %v times per record; its data map takes %v", n, data)
	}
}

// everyOutcome returns records that map clean, rejected and skipped, in
// an order where each outcome follows each other, and the day to map them
// on.
func everyOutcome() ([]map[string]any, time.Time) {
	recs := benchRecords(200)
	skipped := benchRecords(1)[0]
	skipped["so_dang_ky"] = "test-1"
	return append(recs, skipped, recs[0], skipped, recs[11]), time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
}

// outcome names what became of a mapped record.
func outcome(r mapping.Result) string {
	switch {
	case r.Skipped != "":
		return "skipped"
	case len(r.Violations) > 0:
		return "rejected"
	}
	return "clean"
}

// TestMapInto proves a reused map makes the same result as a new one: the
// engine hands MapInto the emptied maps of delivered records, so a record's
// data must not depend on the map it is written into, whether the record
// before it was clean, rejected or skipped.
func TestMapInto(t *testing.T) {
	m, err := mapping.Parse("bench.yaml", []byte(benchBirth))
	if err != nil {
		t.Fatal(err)
	}
	recs, now := everyOutcome()
	var reused map[string]any
	outcomes := map[string]int{}
	for i, rec := range recs {
		want := m.MapAt(rec, now)
		if reused == nil {
			reused = map[string]any{}
		}
		got := m.MapInto(reused, rec, now)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("record %d: MapInto a reused map\n got %+v\nwant %+v", i, got, want)
		}
		outcomes[outcome(got)]++
		if got.Skipped == "" && reflect.ValueOf(got.Record.Data).UnsafePointer() != reflect.ValueOf(reused).UnsafePointer() {
			t.Fatalf("record %d: Record.Data is not the map handed over", i)
		}
		clear(reused)
	}
	if outcomes["skipped"] == 0 || outcomes["rejected"] == 0 || outcomes["clean"] == 0 {
		t.Fatalf("outcomes %v: want clean, rejected and skipped records", outcomes)
	}
}

// TestMapFields proves MapFields gives MapAt's result with the record's
// data as values by field index and no map, whatever the values left in
// the slice by the record before (clean, rejected or skipped), and that
// a clean record costs no allocation.
func TestMapFields(t *testing.T) {
	m, err := mapping.Parse("bench.yaml", []byte(benchBirth))
	if err != nil {
		t.Fatal(err)
	}
	recs, now := everyOutcome()
	fields := make([]any, len(m.Kind.Fields))
	outcomes := map[string]int{}
	for i, rec := range recs {
		want := m.MapAt(rec, now)
		got := m.MapFields(fields, rec, now)
		if got.Record.Data != nil {
			t.Fatalf("record %d: MapFields made a map", i)
		}
		data := map[string]any{}
		for j, v := range fields {
			if v != nil {
				data[m.Kind.Fields[j].Name] = v
			}
		}
		if outcomes[outcome(got)]++; got.Skipped != "" {
			data = nil // MapAt makes no map for a skipped record
		}
		got.Record.Data = data
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("record %d: MapFields\n got %+v\nwant %+v", i, got, want)
		}
	}
	if outcomes["skipped"] == 0 || outcomes["rejected"] == 0 || outcomes["clean"] == 0 {
		t.Fatalf("outcomes %v: want clean, rejected and skipped records", outcomes)
	}
	if raceEnabled {
		return // the race detector allocates, and empties sync.Pool
	}
	clean := benchRecords(2)[1]
	if n := testing.AllocsPerRun(100, func() { m.MapFields(fields, clean, now) }); n > 0 {
		t.Errorf("MapFields allocates %v times for a clean record, want 0", n)
	}
}

// TestMapRow proves MapRow gives MapFields' result for the same record as
// a row, whatever order the source's columns are in and with columns the
// mapping does not read; a column the source lacks, or past the end of a
// short row, is missing as a key missing from the map is. A clean record
// costs no allocation.
func TestMapRow(t *testing.T) {
	m, err := mapping.Parse("bench.yaml", []byte(benchBirth))
	if err != nil {
		t.Fatal(err)
	}
	recs := benchRecords(200)
	skipped := benchRecords(1)[0]
	skipped["so_dang_ky"] = "test-1"
	recs = append(recs, skipped)
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	var cols []string
	for name := range recs[0] {
		cols = append(cols, name)
	}
	slices.Sort(cols)
	slices.Reverse(cols) // not the mapping's order
	bind := m.Bind(cols)
	want := make([]any, len(m.Kind.Fields))
	got := make([]any, len(m.Kind.Fields))
	row := make([]any, len(cols))
	for i, rec := range recs {
		for j, name := range cols {
			row[j] = rec[name]
		}
		wantRes := m.MapFields(want, rec, now)
		gotRes := m.MapRow(got, row, bind, now)
		if !reflect.DeepEqual(gotRes, wantRes) || !reflect.DeepEqual(got, want) {
			t.Fatalf("record %d: MapRow\n got %+v %v\nwant %+v %v", i, gotRes, got, wantRes, want)
		}
	}

	rec := benchRecords(2)[1]
	missing := maps.Clone(rec)
	delete(missing, "ho_ten")
	wantRes := m.MapFields(want, missing, now)
	if len(wantRes.Violations) == 0 {
		t.Fatal("a record without ho_ten maps cleanly")
	}
	// ho_ten not among the source's columns, then past the end of a row.
	short := slices.DeleteFunc(slices.Clone(cols), func(c string) bool { return c == "ho_ten" })
	for _, c := range []struct {
		name string
		cols []string
		row  func([]string) []any
	}{
		{"not a column", short, func(cols []string) []any {
			row := make([]any, len(cols))
			for j, name := range cols {
				row[j] = rec[name]
			}
			return row
		}},
		{"past the end", append(short, "ho_ten"), func(cols []string) []any {
			row := make([]any, len(cols)-1)
			for j, name := range cols[:len(cols)-1] {
				row[j] = rec[name]
			}
			return row
		}},
	} {
		gotRes := m.MapRow(got, c.row(c.cols), m.Bind(c.cols), now)
		if !reflect.DeepEqual(gotRes, wantRes) {
			t.Errorf("%s:\n got %+v\nwant %+v", c.name, gotRes, wantRes)
		}
	}
	if raceEnabled {
		return // the race detector allocates, and empties sync.Pool
	}
	for j, name := range cols {
		row[j] = rec[name]
	}
	if n := testing.AllocsPerRun(100, func() { m.MapRow(got, row, bind, now) }); n > 0 {
		t.Errorf("MapRow allocates %v times for a clean record, want 0", n)
	}
}

// TestMapRowColumnNamedLikeFunction binds a column whose name is also a
// function's (date), which expressions read under another name.
func TestMapRowColumnNamedLikeFunction(t *testing.T) {
	m, err := mapping.Parse("p.yaml", []byte("kind: person\nversion: \"1\"\nfields:\n  full_name: name(ho_ten)\n  date_of_birth: date(date)\n  sex: sex(sex)\n  id_number: id(cccd)\n"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	src := map[string]any{"ho_ten": "nguyễn văn an", "date": "02/03/2001", "sex": "Nam", "cccd": "042201000123"}
	want := make([]any, len(m.Kind.Fields))
	wantRes := m.MapFields(want, src, now)
	got := make([]any, len(m.Kind.Fields))
	cols := []string{"sex", "date", "ho_ten", "cccd"}
	gotRes := m.MapRow(got, []any{src["sex"], src["date"], src["ho_ten"], src["cccd"]}, m.Bind(cols), now)
	if !reflect.DeepEqual(gotRes, wantRes) || !reflect.DeepEqual(got, want) {
		t.Fatalf("MapRow\n got %+v %v\nwant %+v %v", gotRes, got, wantRes, want)
	}
	if !slices.Contains(want, any("2001-03-02")) {
		t.Fatalf("the date column was not read: %v", want)
	}
}
