package file

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/mapping/vn"
)

func TestOptions(t *testing.T) {
	tests := []struct {
		name string
		opts map[string]any
		dsn  string
		// want is an error substring, or "" for success.
		want  string
		check func(t *testing.T, s settings)
	}{
		{name: "defaults", opts: map[string]any{"dir": "drop"}, check: func(t *testing.T, s settings) {
			want := settings{format: formatAuto, header: 1, minAge: DefaultMinAge, history: DefaultHistory, maxRowBytes: DefaultMaxRowBytes,
				xlsxMaxUnzipped: DefaultXLSXMaxUnzippedBytes, xlsxMaxRows: DefaultXLSXMaxRows, xlsxMaxCells: DefaultXLSXMaxCells}
			if s != want {
				t.Errorf("settings = %+v; want %+v", s, want)
			}
		}},
		{name: "dsn holds the folder", dsn: "drop"},
		{name: "all set", opts: map[string]any{"dir": "drop", "format": "CSV", "header": 2, "delimiter": "tab", "encoding": "TCVN3",
			"done_suffix": ".ok", "history": 5, "max_row_bytes": 4096,
			"xlsx_max_unzipped_bytes": 2 << 20, "xlsx_max_rows": 1000, "xlsx_max_cells": 9000},
			check: func(t *testing.T, s settings) {
				want := settings{format: formatCSV, header: 2, delimiter: '\t', encoding: vn.TCVN3, declared: true,
					doneSuffix: ".ok", history: 5, maxRowBytes: 4096, xlsxMaxUnzipped: 2 << 20, xlsxMaxRows: 1000, xlsxMaxCells: 9000}
				if s != want {
					t.Errorf("settings = %+v; want %+v", s, want)
				}
			}},
		{name: "stream overrides", opts: map[string]any{"dir": "drop", "min_age": "1m", "delimiter": ";",
			"streams": map[string]any{"s": map[string]any{"delimiter": "|", "snapshot": true, "format": "xlsx", "delimiter_": nil}}},
			want: `unknown option "delimiter_"`},
		{name: "stream settings win", opts: map[string]any{"dir": "drop", "min_age": "1m", "encoding": "vni",
			"streams": map[string]any{"s": map[string]any{"encoding": "auto", "snapshot": true, "header": 4}}},
			check: func(t *testing.T, s settings) {
				want := settings{format: formatAuto, header: 4, minAge: time.Minute, history: DefaultHistory,
					maxRowBytes: DefaultMaxRowBytes, snapshot: true,
					xlsxMaxUnzipped: DefaultXLSXMaxUnzippedBytes, xlsxMaxRows: DefaultXLSXMaxRows, xlsxMaxCells: DefaultXLSXMaxCells}
				if s != want {
					t.Errorf("settings = %+v; want %+v", s, want)
				}
			}},
		{name: "no folder", opts: map[string]any{}, want: `missing option "dir"`},
		{name: "dir and dsn differ", opts: map[string]any{"dir": "a"}, dsn: "b", want: "name different folders"},
		{name: "unknown option", opts: map[string]any{"dir": "d", "pattern": "*.csv"}, want: `unknown option "pattern"`},
		{name: "snapshot only per stream", opts: map[string]any{"dir": "d", "snapshot": true}, want: `unknown option "snapshot"`},
		{name: "wrong type", opts: map[string]any{"dir": "d", "header": "one"}, want: `option "header": want a whole number`},
		{name: "bad format", opts: map[string]any{"dir": "d", "format": "xls"}, want: `options.format: unknown format "xls"`},
		{name: "sheet of a csv", opts: map[string]any{"dir": "d", "format": "csv", "sheet": "A"}, want: "options.sheet: a CSV file has no sheets"},
		{name: "delimiter of a spreadsheet", opts: map[string]any{"dir": "d", "format": "xlsx", "delimiter": ","}, want: "options.delimiter"},
		{name: "header zero", opts: map[string]any{"dir": "d", "header": 0}, want: "options.header: the header row number must be 1 or more"},
		{name: "two-character delimiter", opts: map[string]any{"dir": "d", "delimiter": ";;"}, want: `options.delimiter: ";;" is not a delimiter`},
		{name: "quote delimiter", opts: map[string]any{"dir": "d", "delimiter": `"`}, want: "is not a delimiter"},
		{name: "unknown encoding", opts: map[string]any{"dir": "d", "encoding": "latin-1"}, want: `options.encoding: unknown encoding "latin-1"`},
		{name: "both readiness rules", opts: map[string]any{"dir": "d", "done_suffix": ".done", "min_age": "1m"}, want: "set only one"},
		{name: "bad min_age", opts: map[string]any{"dir": "d", "min_age": "30"}, want: `options.min_age: "30" is not a duration`},
		{name: "history zero", opts: map[string]any{"dir": "d", "history": 0}, want: "options.history: must be 1 or more"},
		{name: "small max_row_bytes", opts: map[string]any{"dir": "d", "max_row_bytes": 10}, want: "options.max_row_bytes"},
		{name: "small xlsx_max_unzipped_bytes", opts: map[string]any{"dir": "d", "xlsx_max_unzipped_bytes": 1000}, want: "options.xlsx_max_unzipped_bytes: must be at least 1048576"},
		{name: "xlsx_max_rows zero", opts: map[string]any{"dir": "d", "streams": map[string]any{"s": map[string]any{"xlsx_max_rows": 0}}},
			want: "options.streams.s.xlsx_max_rows: must be at least 1"},
		{name: "xlsx_max_cells negative", opts: map[string]any{"dir": "d", "xlsx_max_cells": -5}, want: "options.xlsx_max_cells"},
		{name: "bad stream name", opts: map[string]any{"dir": "d", "streams": map[string]any{"Khai Sinh": map[string]any{}}}, want: `"Khai Sinh" is not a stream name`},
		{name: "bad stream option", opts: map[string]any{"dir": "d", "streams": map[string]any{"s": map[string]any{"header": -1}}},
			want: "options.streams.s.header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, dir, err := decodeOptions(tt.opts, tt.dsn, "/etc/lienthong")
			if tt.want != "" {
				if !errors.Is(err, ErrInvalidOptions) || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("error = %v; want ErrInvalidOptions with %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := filepath.Join("/etc/lienthong", "drop"); dir != want {
				t.Errorf("folder = %q; want %q (relative to the configuration)", dir, want)
			}
			if tt.check != nil {
				s, err := o.settingsFor("s")
				if err != nil {
					t.Fatal(err)
				}
				tt.check(t, s)
			}
		})
	}
}

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	os.Mkdir(filepath.Join(dir, "drop"), 0o755)
	os.WriteFile(filepath.Join(dir, "file"), nil, 0o644)
	if _, err := connectors.Open(ctx, connectors.Config{Name: "x", Kind: "file", DSN: "drop", Dir: dir}); err != nil {
		t.Errorf("registered kind with a relative DSN: %v", err)
	}
	if _, err := Open(ctx, connectors.Config{Kind: "file", Options: map[string]any{"dir": "missing"}, Dir: dir}); err == nil ||
		!strings.Contains(err.Error(), "drop folder") {
		t.Errorf("missing folder: %v", err)
	}
	if _, err := Open(ctx, connectors.Config{Kind: "file", Options: map[string]any{"dir": "file"}, Dir: dir}); err == nil ||
		!strings.Contains(err.Error(), "is not a folder") {
		t.Errorf("a file for a folder: %v", err)
	}
}
