package file

import (
	"io"
	"os"
)

// csvRows reads a CSV file: the lines before the header are skipped
// unparsed, the delimiter is sniffed from the header and the lines after it
// unless the stream sets one.
type csvRows struct {
	f         *os.File
	lines     *lineReader
	r         *csvReader
	delim     rune
	headerRow int
	// fields is the last row's fields, whose slice the next row reuses.
	fields []string
}

// openCSV opens a CSV file and decides its encoding and delimiter. It
// reads at most the first sampleBytes beyond the header line.
func openCSV(d dropped, p *plan) (*csvRows, error) {
	f, err := d.open()
	if err != nil {
		return nil, err
	}
	c, err := newCSVRows(f, p)
	if err != nil {
		f.Close()
		return nil, err
	}
	c.f = f
	return c, nil
}

func newCSVRows(r io.Reader, p *plan) (*csvRows, error) {
	lines, err := newLineReader(r, p.settings)
	if err != nil {
		return nil, err
	}
	c := &csvRows{lines: lines, delim: p.delimiter, headerRow: p.header}
	// Lines before the header are a title or notes, not CSV.
	for i := 1; i < p.header; i++ {
		if _, err := lines.next(); err == io.EOF {
			return nil, problemf("the file has %d lines; the header should be on line %d", i-1, p.header)
		} else if err != nil {
			return nil, err
		}
	}
	var sample []line
	if c.delim == 0 {
		size := 0
		for size < sampleBytes {
			l, err := lines.next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, err
			}
			sample = append(sample, l)
			size += len(l.text) + 1
		}
		c.delim = sniff(sample, p.maxRowBytes)
	}
	c.r = newCSVReader(lines, c.delim, p.maxRowBytes)
	c.r.queue = sample
	return c, nil
}

func (c *csvRows) header() ([]string, error) {
	rec, err := c.r.next()
	if err == io.EOF {
		return nil, problemf("the file has no header line (it is empty after line %d)", c.headerRow-1)
	}
	if err != nil {
		return nil, err
	}
	if rec.bad != "" {
		return nil, problemf("the header can not be read: %s", rec.bad)
	}
	return rec.fields, nil
}

// next returns the next row; its fields are valid until the next call,
// which reuses their slice (table.record copies what it keeps).
func (c *csvRows) next() (row, error) {
	rec, err := c.r.nextInto(c.fields)
	if err != nil {
		return row{}, err
	}
	if rec.fields != nil {
		c.fields = rec.fields
	}
	return row{line: rec.line, fields: rec.fields, bad: rec.bad, raw: rec.raw}, nil
}

func (c *csvRows) close() error {
	if c.f == nil {
		return nil
	}
	return c.f.Close()
}

func (c *csvRows) what() string { return "line" }
func (c *csvRows) sep() string  { return string(c.delim) }

// encoding reports how the file's encoding was decided.
func (c *csvRows) encoding() encodingChoice { return c.lines.choice }
