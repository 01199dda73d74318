package file

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/lienthong/lienthong/connectors"
)

// Problem codes of the records this connector can not read. They are
// stable: departments filter rejects on them.
const (
	// CodeMalformedRow: a row that does not parse (wrong number of fields,
	// bad quoting, bytes that are not text in the file's encoding).
	CodeMalformedRow = "malformed_row"
	// CodeMissingKey: a row whose primary key column is empty.
	CodeMissingKey = "missing_key"
	// CodeMalformedFile: a file that can not be read at all (no header,
	// a key column missing from it, not a spreadsheet); it is reported as
	// one record keyed by the file's name.
	CodeMalformedFile = "malformed_file"
)

// rawField is the field of a malformed row's record that holds its text.
const rawField = "_raw"

// fileProblem is what is wrong with a whole file's content, as opposed to
// an I/O error: reading it again will not help, a new file from the
// department will.
type fileProblem struct{ msg string }

func (p *fileProblem) Error() string { return p.msg }

func problemf(format string, args ...any) error {
	return &fileProblem{msg: fmt.Sprintf(format, args...)}
}

// row is one data row of a file, before it meets the header.
type row struct {
	// line is the CSV line the row starts on, or the sheet's row number.
	line   int
	fields []string
	// bad says why the row is malformed; raw then holds its text.
	bad string
	raw string
}

// rowSource reads one file's rows. Errors other than io.EOF are a
// *fileProblem (the content) or an I/O error.
type rowSource interface {
	// header returns the header row's cells.
	header() ([]string, error)
	// next returns the next row. Its fields are valid until the next
	// call, which may reuse their slice.
	next() (row, error)
	close() error
	// what names a row's position in messages: "line" or "row".
	what() string
	// sep joins a row's fields into the text of its reject.
	sep() string
}

// table turns a file's rows into records.
type table struct {
	file    string
	src     rowSource
	columns []string // "" for a column without a name
	keys    []int
	// csv rows must have exactly as many fields as the header; a
	// spreadsheet row leaves out its empty trailing cells.
	strict bool
	// maps, when set, holds empty Fields maps to fill (reader.Recycle).
	maps *sync.Pool
}

// newTable reads the header and checks that it names the stream's key (and
// cursor) columns once each.
func newTable(file string, src rowSource, p *plan, strict bool) (*table, error) {
	head, err := src.header()
	if err != nil {
		return nil, err
	}
	t := &table{file: file, src: src, strict: strict, columns: make([]string, len(head))}
	at := map[string]int{}
	for i, h := range head {
		name := columnName(h)
		t.columns[i] = name
		if name == "" {
			continue
		}
		if j, dup := at[name]; dup {
			return nil, problemf("the header names column %q twice (columns %d and %d); rename one", name, j+1, i+1)
		}
		at[name] = i
	}
	var missing []string
	for _, k := range p.keys {
		i, ok := at[k]
		if !ok {
			missing = append(missing, strconv.Quote(k))
		}
		t.keys = append(t.keys, i)
	}
	if p.cursor != "" {
		if _, ok := at[p.cursor]; !ok {
			missing = append(missing, strconv.Quote(p.cursor))
		}
	}
	if len(missing) > 0 {
		return nil, problemf("the header has no column %s; it has %s", strings.Join(missing, ", "), quoteAll(t.columns))
	}
	return t, nil
}

func quoteAll(names []string) string {
	q := make([]string, 0, len(names))
	for _, n := range names {
		if n != "" {
			q = append(q, strconv.Quote(n))
		}
	}
	if len(q) == 0 {
		return "no named column"
	}
	return strings.Join(q, ", ")
}

// next returns the next record without its Position, or io.EOF. Rows whose
// cells are all empty are skipped, as blank lines are.
func (t *table) next() (connectors.Record, error) {
	for {
		r, err := t.src.next()
		if err != nil {
			return connectors.Record{}, err
		}
		if rec, ok := t.record(r); ok {
			return rec, nil
		}
	}
}

func (t *table) record(r row) (connectors.Record, bool) {
	malformed := func(msg string) (connectors.Record, bool) {
		raw := r.raw
		if raw == "" && r.bad == "" {
			raw = strings.Join(r.fields, t.src.sep())
		}
		return connectors.Record{
			Key:     t.file + ":" + strconv.Itoa(r.line),
			Fields:  map[string]any{rawField: raw},
			Problem: &connectors.Problem{Code: CodeMalformedRow, Message: t.file + " " + msg},
		}, true
	}
	if r.bad != "" {
		return malformed(r.bad)
	}
	empty := true
	for _, f := range r.fields {
		if f != "" {
			empty = false
			break
		}
	}
	if empty {
		return connectors.Record{}, false
	}
	if n := len(r.fields); n != len(t.columns) && (t.strict || n > len(t.columns)) {
		extra := false
		for _, f := range r.fields[min(n, len(t.columns)):] {
			extra = extra || f != ""
		}
		if t.strict || extra {
			return malformed(fmt.Sprintf("%s %d: %d fields, the header has %d", t.src.what(), r.line, n, len(t.columns)))
		}
	}
	var fields map[string]any
	if t.maps != nil {
		fields, _ = t.maps.Get().(map[string]any)
	}
	if fields == nil {
		fields = make(map[string]any, len(t.columns))
	}
	for i, name := range t.columns {
		var v string
		if i < len(r.fields) {
			v = r.fields[i]
		}
		if name == "" {
			if v != "" {
				return malformed(fmt.Sprintf("%s %d: column %d holds %q but has no name in the header", t.src.what(), r.line, i+1, v))
			}
			continue
		}
		if v == "" {
			fields[name] = nil
		} else {
			fields[name] = v
		}
	}
	var key string
	for i, k := range t.keys {
		var v string
		if k < len(r.fields) {
			v = r.fields[k]
		}
		if strings.TrimSpace(v) == "" {
			return connectors.Record{
				Key:    t.file + ":" + strconv.Itoa(r.line),
				Fields: fields,
				Problem: &connectors.Problem{Code: CodeMissingKey, Field: t.columns[k],
					Message: fmt.Sprintf("%s %s %d: key column %q is empty", t.file, t.src.what(), r.line, t.columns[k])},
			}, true
		}
		if i == 0 {
			key = v
		} else {
			key += "|" + v
		}
	}
	return connectors.Record{Key: key, Fields: fields}, true
}

// fileRecord reports a file that can not be read as one record.
func fileRecord(file string, err error) connectors.Record {
	return connectors.Record{
		Key:     file,
		Fields:  map[string]any{"_file": file},
		Problem: &connectors.Problem{Code: CodeMalformedFile, Message: file + ": " + err.Error()},
	}
}

func isProblem(err error) bool {
	var p *fileProblem
	return errors.As(err, &p)
}
