package file

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/lienthong/lienthong/mapping/vn"
)

// ErrTooLarge is returned, wrapped, when an Excel workbook is over one of
// the stream's xlsx_ limits: it unzips to more bytes, or its sheet has
// more rows or cells, than they allow. The read fails and the file is not
// counted as read: it stays for the operator, who raises the limit for a
// genuine workbook or has the department export it otherwise.
var ErrTooLarge = errors.New("file: workbook over the stream's limits")

// xlsxOptions makes Excel's locale-dependent date formats (the built-in
// short date and date-time, which Excel shows as the viewer's Windows
// settings say) come out as ISO dates rather than excelize's US default,
// and bounds what the workbook may unzip to. Sheets and shared strings
// over unzipXMLInMemory are spilled to temporary files rather than held.
func xlsxOptions(p *plan) excelize.Options {
	return excelize.Options{ShortDatePattern: "yyyy-mm-dd", LongTimePattern: "hh:mm:ss",
		UnzipSizeLimit: p.xlsxMaxUnzipped, UnzipXMLSizeLimit: min(p.xlsxMaxUnzipped, unzipXMLInMemory)}
}

// unzipXMLInMemory is excelize's default UnzipXMLSizeLimit.
const unzipXMLInMemory = 16 << 20

// xlsxRows reads one sheet with excelize's streaming row iterator, which
// holds one row at a time (excelize spills large sheets to a temporary
// file instead of memory).
type xlsxRows struct {
	file  string
	f     *excelize.File
	sheet string
	rows  *excelize.Rows
	// n is the sheet row number of the last row read.
	n         int
	headerRow int
	// raw is a second iterator over the stored values, opened the first
	// time a shown value needs them and kept in step with rows.
	raw   *excelize.Rows
	rawAt int
	// cells counts the cells read, against maxCells; maxRows bounds n.
	nCells, maxCells, maxRows int64
}

// openXLSX opens a workbook through the drop folder's root. excelize
// unzips it whole when it opens it: its limit is checked against the
// sizes the zip declares (archive/zip refuses an entry that inflates
// beyond its declared size), so an oversized workbook is refused before
// anything is inflated. The compressed file is held in memory while it is
// opened, and it is no larger than the limit.
func openXLSX(d dropped, p *plan) (*xlsxRows, error) {
	tooBig := func() error {
		return fmt.Errorf("%w: workbook %s unzips to more than xlsx_max_unzipped_bytes (%d bytes); it is not read, and stays unread: "+
			"raise xlsx_max_unzipped_bytes in the source's options if it is a genuine export, or have the department send it as CSV",
			ErrTooLarge, d.name, p.xlsxMaxUnzipped)
	}
	if d.size > p.xlsxMaxUnzipped {
		return nil, tooBig()
	}
	file, err := d.open()
	if err != nil {
		return nil, err
	}
	defer file.Close()
	f, err := excelize.OpenReader(io.LimitReader(file, p.xlsxMaxUnzipped+1), xlsxOptions(p))
	if err != nil {
		if strings.Contains(err.Error(), "unzip size exceeds") {
			return nil, tooBig()
		}
		return nil, problemf("not a readable Excel (.xlsx) file: %v", err)
	}
	x := &xlsxRows{file: d.name, f: f, sheet: p.sheet, headerRow: p.header, maxRows: p.xlsxMaxRows, maxCells: p.xlsxMaxCells}
	sheets := f.GetSheetList()
	if x.sheet == "" {
		if len(sheets) == 0 {
			f.Close()
			return nil, problemf("the workbook has no sheet")
		}
		x.sheet = sheets[0]
	}
	if x.rows, err = f.Rows(x.sheet); err != nil {
		f.Close()
		var missing excelize.ErrSheetNotExist
		if errors.As(err, &missing) {
			return nil, problemf("the workbook has no sheet %q; it has %s", x.sheet, quoteAll(sheets))
		}
		return nil, problemf("sheet %q can not be read: %v", x.sheet, err)
	}
	return x, nil
}

// advance moves to the sheet's next row, refusing one beyond
// xlsx_max_rows before its cells are read.
func (x *xlsxRows) advance() (bool, error) {
	if !x.rows.Next() {
		return false, nil
	}
	x.n++
	if int64(x.n) > x.maxRows {
		return false, fmt.Errorf("%w: sheet %q of workbook %s has more than xlsx_max_rows (%d) rows; it is not read further, and stays unread: "+
			"raise xlsx_max_rows in the source's options if it is a genuine export", ErrTooLarge, x.sheet, x.file, x.maxRows)
	}
	return true, nil
}

func (x *xlsxRows) header() ([]string, error) {
	for x.n < x.headerRow {
		ok, err := x.advance()
		if err != nil {
			return nil, err
		}
		if !ok {
			if err := x.rows.Error(); err != nil {
				return nil, problemf("sheet %q: %v", x.sheet, err)
			}
			return nil, problemf("sheet %q has %d rows; the header should be on row %d", x.sheet, x.n, x.headerRow)
		}
	}
	cells, err := x.cells()
	if err != nil {
		return nil, err
	}
	return cells, nil
}

func (x *xlsxRows) next() (row, error) {
	for {
		ok, err := x.advance()
		if err != nil {
			return row{}, err
		}
		if !ok {
			break
		}
		cells, err := x.cells()
		if err != nil {
			return row{}, err
		}
		if len(cells) == 0 {
			continue // a row excelize found no cell in
		}
		return row{line: x.n, fields: cells}, nil
	}
	if err := x.rows.Error(); err != nil {
		return row{}, problemf("sheet %q after row %d: %v", x.sheet, x.n, err)
	}
	return row{}, io.EOF
}

// cells returns the current row's cells as Excel shows them, in NFC. A
// number shown in scientific notation (a 12-digit ID in a cell formatted
// 0.00E+00, or any number beyond 15 digits) is written out in full from the
// stored value instead: 4.21E+10 is not an ID.
func (x *xlsxRows) cells() ([]string, error) {
	cells, err := x.rows.Columns()
	if err != nil {
		return nil, problemf("sheet %q row %d: %v", x.sheet, x.n, err)
	}
	if x.nCells += int64(len(cells)); x.nCells > x.maxCells {
		return nil, fmt.Errorf("%w: sheet %q of workbook %s has more than xlsx_max_cells (%d) cells by row %d; it is not read further, and stays unread: "+
			"raise xlsx_max_cells in the source's options if it is a genuine export", ErrTooLarge, x.sheet, x.file, x.maxCells, x.n)
	}
	var raw []string
	for i, c := range cells {
		if isScientific(c) {
			if raw == nil {
				if raw, err = x.rawCells(); err != nil {
					return nil, err
				}
			}
			if i < len(raw) {
				if plain, ok := plainNumber(raw[i]); ok {
					c = plain
				}
			}
		}
		cells[i] = vn.NFC(c)
	}
	return cells, nil
}

// rawCells returns the stored values of the current row, from the second
// iterator.
func (x *xlsxRows) rawCells() ([]string, error) {
	if x.raw == nil || x.rawAt > x.n {
		r, err := x.f.Rows(x.sheet)
		if err != nil {
			return nil, problemf("sheet %q: %v", x.sheet, err)
		}
		x.raw, x.rawAt = r, 0
	}
	for x.rawAt < x.n {
		if !x.raw.Next() {
			return nil, nil
		}
		x.rawAt++
	}
	cells, err := x.raw.Columns(excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, problemf("sheet %q row %d: %v", x.sheet, x.n, err)
	}
	return cells, nil
}

func (x *xlsxRows) close() error {
	if x.raw != nil {
		x.raw.Close()
	}
	if x.rows != nil {
		x.rows.Close()
	}
	return x.f.Close()
}

func (x *xlsxRows) what() string { return "row" }
func (x *xlsxRows) sep() string  { return "\t" }

// isScientific reports whether a shown value is a number in scientific
// notation, such as 4.21E+10.
func isScientific(s string) bool {
	e := strings.IndexAny(s, "Ee")
	if e <= 0 || e == len(s)-1 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || c == '.' || c == '-' || c == '+' || c == 'E' || c == 'e') {
			return false
		}
	}
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

// plainNumber writes a stored numeric value without an exponent. A value
// that is not a number (a text cell that reads like one) is left alone.
func plainNumber(raw string) (string, bool) {
	f, err := strconv.ParseFloat(raw, 64)
	if err != nil {
		return "", false
	}
	if !strings.ContainsAny(raw, "Ee") {
		return raw, true
	}
	return strconv.FormatFloat(f, 'f', -1, 64), true
}
