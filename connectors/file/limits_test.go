package file

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/lienthong/lienthong/connectors"
)

// writeBomb writes a workbook of rows data rows (plus the header) whose
// note column repeats one letter: it compresses to almost nothing and
// unzips to some 330 bytes a row, a zip bomb in miniature.
func writeBomb(t *testing.T, path string, rows int, age time.Duration) {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	if err := sw.SetRow("A1", []any{"id", "ghi_chu"}); err != nil {
		t.Fatal(err)
	}
	note := strings.Repeat("a", 300)
	for i := 1; i <= rows; i++ {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := sw.SetRow(cell, []any{strconv.Itoa(i), note}); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	setAge(t, path, age)
}

// readUntilError reads a stream and returns the records delivered before
// the read failed, and the error.
func readUntilError(t *testing.T, src *Source, st connectors.Stream, from connectors.Checkpoint) ([]connectors.Record, error) {
	t.Helper()
	ctx := context.Background()
	r, err := src.Read(ctx, connectors.ReadRequest{Stream: st, Mode: connectors.Incremental, From: from})
	if err != nil {
		return nil, err
	}
	defer r.Close()
	recs, _, err := connectors.ReadAll(ctx, r)
	return recs, err
}

// TestXLSXUnzipLimit: a small workbook that unzips beyond
// xlsx_max_unzipped_bytes is refused when opened, with an error naming the
// file and the limit, before any of its rows is read; it is not counted as
// read, so raising the limit reads it from its first row.
func TestXLSXUnzipLimit(t *testing.T) {
	dir := t.TempDir()
	drop(t, dir, "dan-cu-1.csv", []byte("id,ghi_chu\n1,x\n"), 3*old)
	bomb := filepath.Join(dir, "dan-cu-2.xlsx")
	writeBomb(t, bomb, 20000, 2*old)
	fi, err := os.Stat(bomb)
	if err != nil {
		t.Fatal(err)
	}
	const limit = 1 << 20
	if fi.Size() >= limit/2 {
		t.Fatalf("the workbook is %d bytes: not the small file of a zip bomb", fi.Size())
	}
	st := stream("dan-cu-*", "id")
	st.Cursor = "id"
	small := openSource(t, dir, map[string]any{"xlsx_max_unzipped_bytes": limit})
	recs, err := readUntilError(t, small, st, nil)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("read: err = %v, want ErrTooLarge", err)
	}
	for _, want := range []string{"dan-cu-2.xlsx", "xlsx_max_unzipped_bytes (1048576 bytes)", "stays unread"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v\nwant it to say %q", err, want)
		}
	}
	if got := keys(recs); len(got) != 1 || got[0] != "1" {
		t.Fatalf("records before the refusal: %v, want only the CSV file's", got)
	}
	if err := small.Check(context.Background(), st); !errors.Is(err, ErrTooLarge) {
		t.Errorf("check: err = %v, want ErrTooLarge", err)
	}
	// The engine keeps the last record's position: the workbook is not in
	// it, and a source with room for it reads it whole from there.
	from := recs[0].Checkpoint()
	if strings.Contains(string(from), "dan-cu-2.xlsx") {
		t.Fatalf("the refused workbook is in the checkpoint: %s", from)
	}
	roomy := openSource(t, dir, nil)
	rest, _ := readAll(t, roomy, st, connectors.Incremental, from)
	if len(rest) != 20000 || rest[0].Key != "1" || rest[len(rest)-1].Key != "20000" {
		t.Fatalf("after raising the limit: %d records, want the workbook's 20000", len(rest))
	}
}

// TestXLSXRowAndCellLimits: a sheet over xlsx_max_rows or xlsx_max_cells
// is refused as soon as the limit is passed: the rows read before the
// refusal are bounded by the limit, not by the sheet's 20000 rows.
func TestXLSXRowAndCellLimits(t *testing.T) {
	dir := t.TempDir()
	writeBomb(t, filepath.Join(dir, "dan-cu.xlsx"), 20000, old)
	st := stream("dan-cu.xlsx", "id")
	st.Cursor = "id"
	cases := []struct {
		option string
		value  int
		says   string
		atMost int
	}{
		{"xlsx_max_rows", 100, "more than xlsx_max_rows (100) rows", 100},
		// Two cells a row: the limit is passed on row 251.
		{"xlsx_max_cells", 500, "more than xlsx_max_cells (500) cells by row 251", 250},
	}
	for _, tc := range cases {
		t.Run(tc.option, func(t *testing.T) {
			src := openSource(t, dir, map[string]any{tc.option: tc.value})
			recs, err := readUntilError(t, src, st, nil)
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("read: err = %v, want ErrTooLarge", err)
			}
			for _, want := range []string{`sheet "Sheet1" of workbook dan-cu.xlsx`, tc.says} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("err = %v\nwant it to say %q", err, want)
				}
			}
			if len(recs) >= tc.atMost {
				t.Errorf("%d records read before the refusal, want fewer than %d", len(recs), tc.atMost)
			}
			for _, r := range recs {
				if strings.Contains(string(r.Checkpoint()), `"read"`) {
					t.Fatalf("record %s's position counts the refused file as read: %s", r.Key, r.Checkpoint())
				}
			}
		})
	}
}
