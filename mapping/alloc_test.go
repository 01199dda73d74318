package mapping_test

import (
	"testing"

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
