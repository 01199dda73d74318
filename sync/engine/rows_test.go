package engine_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/sync/state"
)

// mapsOnly hides a reader's NextRow (and Recycle): the engine then reads
// the stream's records as maps.
type mapsOnly struct{ connectors.Source }

func (m mapsOnly) Read(ctx context.Context, req connectors.ReadRequest) (connectors.Reader, error) {
	r, err := m.Source.Read(ctx, req)
	if err != nil {
		return nil, err
	}
	return struct{ connectors.Reader }{r}, nil
}

// countRows counts the rows a reader hands over with NextRow.
type countRows struct {
	connectors.Source
	n *int
}

type rowReader interface {
	connectors.Reader
	NextRow(ctx context.Context) (connectors.Record, []any, []string, error)
}

type countingReader struct {
	rowReader
	n *int
}

func (c countingReader) NextRow(ctx context.Context) (connectors.Record, []any, []string, error) {
	rec, row, cols, err := c.rowReader.NextRow(ctx)
	if err == nil {
		*c.n++
	}
	return rec, row, cols, err
}

func (c countRows) Read(ctx context.Context, req connectors.ReadRequest) (connectors.Reader, error) {
	r, err := c.Source.Read(ctx, req)
	if err != nil {
		return nil, err
	}
	rr, ok := r.(rowReader)
	if !ok {
		return r, nil
	}
	return countingReader{rr, c.n}, nil
}

// TestRowsAsMaps: a stream read as rows (sqlsource's NextRow, which the
// engine uses when the reader has it) and the same stream read as maps
// end the same: the same counts, the same national records, and rejects
// that keep the same raw source record, by column name.
func TestRowsAsMaps(t *testing.T) {
	outcome := func(h *harness) (state.Counts, map[string]string, map[string]map[string]any) {
		r := h.mustRun(connectors.FullRefresh)
		records := map[string]string{}
		rows, err := h.storeDB.Query(`SELECT natural_key, content_hash FROM national_records WHERE deleted_at IS NULL`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var k string
			var hash []byte
			if err := rows.Scan(&k, &hash); err != nil {
				t.Fatal(err)
			}
			records[k] = string(hash)
		}
		rejects, err := h.st.Rejects(context.Background(), state.Filter{Stream: h.ref.Stream})
		if err != nil {
			t.Fatal(err)
		}
		raws := map[string]map[string]any{}
		for _, rj := range rejects {
			var raw map[string]any
			if err := json.Unmarshal(rj.Raw, &raw); err != nil {
				t.Fatalf("reject %s: raw %s: %v", rj.SourceKey, rj.Raw, err)
			}
			raws[rj.SourceKey] = raw
		}
		return r.Counts, records, raws
	}
	asRows := newHarnessOn(t, "postgres")
	asRows.seed(1, 300, 1)
	var nextRows int
	asRows.src = countRows{asRows.src, &nextRows}
	asMaps := newHarnessOn(t, "postgres")
	asMaps.seed(1, 300, 1)
	asMaps.src = mapsOnly{asMaps.src}

	rowCounts, rowRecords, rowRaws := outcome(asRows)
	mapCounts, mapRecords, mapRaws := outcome(asMaps)
	if nextRows != 300 {
		t.Errorf("the engine took %d rows from NextRow, want all 300", nextRows)
	}
	if rowCounts != mapCounts {
		t.Errorf("counts as rows %+v, as maps %+v", rowCounts, mapCounts)
	}
	if len(rowRecords) == 0 || !reflect.DeepEqual(rowRecords, mapRecords) {
		t.Errorf("%d national records as rows, %d as maps, or their hashes differ", len(rowRecords), len(mapRecords))
	}
	if len(rowRaws) == 0 || !reflect.DeepEqual(rowRaws, mapRaws) {
		t.Errorf("rejects' raw records as rows:\n%v\nas maps:\n%v", rowRaws, mapRaws)
	}
	for key, raw := range rowRaws {
		if _, ok := raw["ho_ten"]; !ok {
			t.Errorf("reject %s: raw record %v lacks the source's columns", key, raw)
		}
	}
}
