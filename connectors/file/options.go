package file

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lienthong/lienthong/mapping/vn"
)

// ErrInvalidOptions is returned, wrapped, when a source's options can not
// be used: an unknown or mistyped option, a value out of range.
var ErrInvalidOptions = errors.New("file: invalid options")

const (
	// DefaultMinAge is how long a file must be left unmodified before it
	// is read, when neither min_age nor done_suffix is set.
	DefaultMinAge = 30 * time.Second
	// DefaultHistory is how many read files a checkpoint remembers by
	// content hash.
	DefaultHistory = 100
	// DefaultMaxRowBytes bounds one CSV line or record.
	DefaultMaxRowBytes = 1 << 20
	// DefaultXLSXMaxUnzippedBytes bounds what an Excel workbook may unzip
	// to. A workbook is a zip of XML: a 2 MB file of repeated cells can
	// unzip to gigabytes, and excelize holds every part but the sheets and
	// the shared strings in memory. 256 MiB is a sheet of some 200,000
	// rows by 30 columns.
	DefaultXLSXMaxUnzippedBytes = 256 << 20
	// DefaultXLSXMaxRows is Excel's own row limit: a sheet with more rows
	// was not written by Excel.
	DefaultXLSXMaxRows = 1 << 20
	// DefaultXLSXMaxCells bounds the cells read from one sheet, so that a
	// sheet of a few huge rows is refused as one of many rows is.
	DefaultXLSXMaxCells = 50_000_000
	// minXLSXMaxUnzippedBytes is the least xlsx_max_unzipped_bytes: an
	// empty workbook unzips to some 10 KB.
	minXLSXMaxUnzippedBytes = 1 << 20
)

// Formats a stream's files can be in.
const (
	formatAuto = "auto"
	formatCSV  = "csv"
	formatXLSX = "xlsx"
)

// fileOptions are the settings that may be written at the source level and
// overridden for one stream under streams.<name>. A nil or empty value is
// unset.
type fileOptions struct {
	Format      string `json:"format"`
	Sheet       string `json:"sheet"`
	Header      *int   `json:"header"`
	Delimiter   string `json:"delimiter"`
	Encoding    string `json:"encoding"`
	DoneSuffix  string `json:"done_suffix"`
	MinAge      string `json:"min_age"`
	History     *int   `json:"history"`
	MaxRowBytes *int   `json:"max_row_bytes"`
	// The xlsx_ limits refuse a workbook that would cost too much to
	// read: see settings.
	XLSXMaxUnzippedBytes *int64 `json:"xlsx_max_unzipped_bytes"`
	XLSXMaxRows          *int64 `json:"xlsx_max_rows"`
	XLSXMaxCells         *int64 `json:"xlsx_max_cells"`
}

// streamOptions are a stream's own settings. Snapshot is only allowed here:
// declaring files full snapshots decides which records get deleted, so it
// is said stream by stream.
type streamOptions struct {
	fileOptions
	Snapshot bool `json:"snapshot"`
}

// options are a source's settings as written under options: in the
// configuration.
type options struct {
	Dir string `json:"dir"`
	fileOptions
	Streams map[string]streamOptions `json:"streams"`
}

// settings are one stream's options with the source's and the package's
// defaults applied, validated.
type settings struct {
	format    string // csv, xlsx or auto
	sheet     string
	header    int
	delimiter rune // 0: sniff
	encoding  vn.Encoding
	// declared is false when the encoding is detected.
	declared    bool
	doneSuffix  string
	minAge      time.Duration
	history     int
	maxRowBytes int
	snapshot    bool
	// xlsxMaxUnzipped, xlsxMaxRows and xlsxMaxCells refuse a workbook
	// that unzips to more bytes, or whose sheet has more rows (counted
	// from row 1) or cells, than they allow.
	xlsxMaxUnzipped, xlsxMaxRows, xlsxMaxCells int64
}

var streamNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// decodeOptions decodes a source's options strictly and resolves the drop
// folder: options.dir or the DSN, relative to dir (the configuration's
// directory). Every stream's settings are validated here, so a typo fails
// when the source opens. It does not touch the file system.
func decodeOptions(raw map[string]any, dsn, dir string) (*options, string, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidOptions, fmt.Sprintf(format, args...))
	}
	// Options come from YAML as maps, slices and scalars; a JSON round trip
	// gives strict decoding with the field named in the error.
	js, err := json.Marshal(raw)
	if err != nil {
		return nil, "", bad("options can not be read: %v", err)
	}
	var o options
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te):
			// The embedded struct shows in the path; it is no option.
			field := strings.ReplaceAll(te.Field, "fileOptions.", "")
			return nil, "", bad("option %q: want %s, got a %s", field, kindWords(te.Type.Kind().String()), te.Value)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return nil, "", bad("unknown option %s; the file connector takes dir, format, sheet, header, delimiter, "+
				"encoding, done_suffix, min_age, history, max_row_bytes, xlsx_max_unzipped_bytes, xlsx_max_rows, xlsx_max_cells "+
				"and streams (which also takes snapshot)",
				strings.TrimPrefix(err.Error(), "json: unknown field "))
		}
		return nil, "", bad("%v", err)
	}
	folder := strings.TrimSpace(o.Dir)
	dsn = strings.TrimSpace(dsn)
	switch {
	case folder != "" && dsn != "" && filepath.Clean(resolve(dir, folder)) != filepath.Clean(resolve(dir, dsn)):
		return nil, "", bad("options.dir %q and the DSN %q name different folders; set only one", folder, dsn)
	case folder == "":
		folder = dsn
	}
	if folder == "" {
		return nil, "", bad(`missing option "dir": the folder the department drops its files into (or set the DSN to it)`)
	}
	if _, err := o.fileOptions.settle(fileOptions{}, false, "options"); err != nil {
		return nil, "", bad("%v", err)
	}
	names := make([]string, 0, len(o.Streams))
	for name := range o.Streams {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if !streamNameRE.MatchString(name) {
			return nil, "", bad("options.streams: %q is not a stream name (lowercase letters, digits, - and _)", name)
		}
		so := o.Streams[name]
		if _, err := so.fileOptions.settle(o.fileOptions, so.Snapshot, "options.streams."+name); err != nil {
			return nil, "", bad("%v", err)
		}
	}
	return &o, filepath.Clean(resolve(dir, folder)), nil
}

// settingsFor returns a stream's settings: its own options over the
// source's. decodeOptions has validated both already.
func (o *options) settingsFor(stream string) (settings, error) {
	so := o.Streams[stream]
	return so.fileOptions.settle(o.fileOptions, so.Snapshot, "options.streams."+stream)
}

// settle applies the defaults under f (the stream's options over base, the
// source's) and validates the result. where names the options in errors.
func (f fileOptions) settle(base fileOptions, snapshot bool, where string) (settings, error) {
	pick := func(own, def string) string {
		if strings.TrimSpace(own) != "" {
			return strings.TrimSpace(own)
		}
		return strings.TrimSpace(def)
	}
	pickInt := func(own, def *int) *int {
		if own != nil {
			return own
		}
		return def
	}
	s := settings{snapshot: snapshot, header: 1, history: DefaultHistory, maxRowBytes: DefaultMaxRowBytes,
		xlsxMaxUnzipped: DefaultXLSXMaxUnzippedBytes, xlsxMaxRows: DefaultXLSXMaxRows, xlsxMaxCells: DefaultXLSXMaxCells}
	fail := func(key, format string, args ...any) (settings, error) {
		return settings{}, fmt.Errorf("%s.%s: %s", where, key, fmt.Sprintf(format, args...))
	}

	switch s.format = strings.ToLower(pick(f.Format, base.Format)); s.format {
	case "":
		s.format = formatAuto
	case formatAuto, formatCSV, formatXLSX:
	default:
		return fail("format", "unknown format %q: use csv, xlsx or auto (by the file's extension)", s.format)
	}
	s.sheet = pick(f.Sheet, base.Sheet)
	if s.sheet != "" && s.format == formatCSV {
		return fail("sheet", "a CSV file has no sheets; remove sheet or set format to xlsx")
	}
	if h := pickInt(f.Header, base.Header); h != nil {
		if *h < 1 {
			return fail("header", "the header row number must be 1 or more, got %d", *h)
		}
		s.header = *h
	}
	var err error
	if s.delimiter, err = parseDelimiter(pick(f.Delimiter, base.Delimiter)); err != nil {
		return fail("delimiter", "%v", err)
	}
	if s.delimiter != 0 && s.format == formatXLSX {
		return fail("delimiter", "an Excel file has no delimiter; remove delimiter or set format to csv")
	}
	switch enc := pick(f.Encoding, base.Encoding); strings.ToLower(enc) {
	case "", "auto":
	default:
		if s.encoding, err = vn.ParseEncoding(enc); err != nil {
			return fail("encoding", "%v, or auto", err)
		}
		s.declared = true
	}
	s.doneSuffix = pick(f.DoneSuffix, base.DoneSuffix)
	if strings.ContainsAny(s.doneSuffix, `/\`) || s.doneSuffix == "." {
		return fail("done_suffix", "%q is not a file name suffix such as .done", s.doneSuffix)
	}
	age := pick(f.MinAge, base.MinAge)
	switch {
	case age != "" && s.doneSuffix != "":
		return fail("min_age", "a file is ready either when its done marker exists (done_suffix) or when it is old enough (min_age); set only one")
	case age != "":
		if s.minAge, err = time.ParseDuration(age); err != nil || s.minAge < 0 {
			return fail("min_age", "%q is not a duration such as 30s or 5m", age)
		}
	case s.doneSuffix == "":
		s.minAge = DefaultMinAge
	}
	if h := pickInt(f.History, base.History); h != nil {
		if *h < 1 {
			return fail("history", "must be 1 or more, got %d", *h)
		}
		s.history = *h
	}
	if m := pickInt(f.MaxRowBytes, base.MaxRowBytes); m != nil {
		if *m < 1024 {
			return fail("max_row_bytes", "must be at least 1024, got %d", *m)
		}
		s.maxRowBytes = *m
	}
	limits := []struct {
		key       string
		own, base *int64
		least     int64
		to        *int64
	}{
		{"xlsx_max_unzipped_bytes", f.XLSXMaxUnzippedBytes, base.XLSXMaxUnzippedBytes, minXLSXMaxUnzippedBytes, &s.xlsxMaxUnzipped},
		{"xlsx_max_rows", f.XLSXMaxRows, base.XLSXMaxRows, 1, &s.xlsxMaxRows},
		{"xlsx_max_cells", f.XLSXMaxCells, base.XLSXMaxCells, 1, &s.xlsxMaxCells},
	}
	for _, l := range limits {
		v := l.own
		if v == nil {
			v = l.base
		}
		if v == nil {
			continue
		}
		if *v < l.least {
			return fail(l.key, "must be at least %d, got %d", l.least, *v)
		}
		*l.to = *v
	}
	return s, nil
}

// parseDelimiter reads the delimiter option: "" or "auto" to sniff, one
// character, or "tab".
func parseDelimiter(s string) (rune, error) {
	switch strings.ToLower(s) {
	case "", "auto":
		return 0, nil
	case "tab", `\t`:
		return '\t', nil
	}
	r, n := utf8.DecodeRuneInString(s)
	if n != len(s) || r == utf8.RuneError || r == '"' || r == '\r' || r == '\n' || r == 0xFEFF {
		return 0, fmt.Errorf("%q is not a delimiter: write one character such as \",\", \";\", \"|\" or tab, or auto", s)
	}
	return r, nil
}

// kindWords says in configuration words what a Go kind holds.
func kindWords(kind string) string {
	switch kind {
	case "string":
		return "text"
	case "map", "struct":
		return "a mapping"
	case "bool":
		return "true or false"
	case "slice":
		return "a list"
	}
	return "a whole number"
}

func resolve(dir, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}
