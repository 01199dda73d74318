package file

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lienthong/lienthong/connectors"
)

func init() {
	connectors.Register("file", func(ctx context.Context, cfg connectors.Config) (connectors.Source, error) {
		src, err := Open(ctx, cfg)
		if err != nil {
			// Never a non-nil interface holding a nil *Source.
			return nil, err
		}
		return src, nil
	})
}

var (
	_ connectors.Source       = (*Source)(nil)
	_ connectors.Discoverer   = (*Source)(nil)
	_ connectors.ColumnLister = (*Source)(nil)
)

// Source reads the files a department drops into one folder. It holds no
// open file between reads.
type Source struct {
	name string
	dir  string
	opts *options
	log  *slog.Logger
	// now is the clock readiness is judged by.
	now func() time.Time
}

// Open decodes a source's options and checks that its folder exists. It
// reads no file.
func Open(ctx context.Context, cfg connectors.Config) (*Source, error) {
	if cfg.Kind != "" && cfg.Kind != "file" {
		return nil, fmt.Errorf("file: kind %q is not file", cfg.Kind)
	}
	o, dir, err := decodeOptions(cfg.Options, cfg.DSN, cfg.Dir)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("drop folder: %w (check options.dir; a relative path is read from the configuration file's folder)", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("drop folder %s is not a folder: set options.dir to the folder the files are dropped into", dir)
	}
	s := &Source{name: cfg.Name, dir: dir, opts: o, log: cfg.Log, now: time.Now}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With("source", cfg.Name)
	return s, nil
}

// Close releases nothing: every read opens and closes its own files.
func (s *Source) Close() error { return nil }

// Dir returns the drop folder, resolved.
func (s *Source) Dir() string { return s.dir }

// opened is a file opened for reading rows, with what was decided about it.
type opened struct {
	*table
	format string
	// enc is the CSV file's encoding; zero for a spreadsheet.
	enc   encodingChoice
	delim rune
}

// openFile opens one file by its format and reads its header. A
// *fileProblem error means the content is unusable.
func openFile(d dropped, p *plan) (*opened, error) {
	o, err := openRows(d, p)
	if err != nil {
		return nil, err
	}
	t, err := newTable(d.name, o.src, p, o.format == formatCSV)
	if err != nil {
		o.src.close()
		return nil, err
	}
	o.table = t
	return o, nil
}

// openRows opens one file by its format, its header not read yet: the
// opened's table holds only src.
func openRows(d dropped, p *plan) (*opened, error) {
	format := p.format
	if format == formatAuto {
		switch strings.ToLower(filepath.Ext(d.name)) {
		case ".csv", ".txt", ".tsv":
			format = formatCSV
		case ".xlsx", ".xlsm":
			format = formatXLSX
		case ".xls":
			return nil, problemf("Excel 97-2003 (.xls) files are not read: save it as .xlsx or CSV")
		default:
			return nil, problemf("the format of %q is not known from its extension: set format to csv or xlsx", d.name)
		}
	}
	o := &opened{format: format, table: &table{file: d.name}}
	switch format {
	case formatCSV:
		c, err := openCSV(d, p)
		if err != nil {
			return nil, err
		}
		o.enc, o.delim, o.src = c.encoding(), c.delim, c
	case formatXLSX:
		x, err := openXLSX(d, p)
		if err != nil {
			return nil, err
		}
		o.src = x
	}
	return o, nil
}

func (o *opened) close() error { return o.src.close() }
