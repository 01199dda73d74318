package file

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// csvRecord is one record of a CSV file.
type csvRecord struct {
	// line is the line the record starts on.
	line   int
	fields []string
	// lines is how many lines the record spans.
	lines int
	// bad says why the record is malformed; fields are then unusable and
	// raw holds its text.
	bad string
	raw string
}

// lineSource yields decoded lines; *lineReader is one, and sniffing reads
// from a slice.
type lineSource interface {
	next() (line, error)
}

// csvReader parses RFC 4180 records from lines, quotes strict (no lazy
// quotes). Where encoding/csv would fail the whole read, it recovers: a
// malformed record is returned with bad set, and parsing resumes on the
// line after the one it started on, so an unclosed quote costs one
// record, not the rest of the file.
type csvReader struct {
	src   lineSource
	delim string
	max   int
	// queue holds lines read but not parsed yet: those after a malformed
	// record's first line, or sampled for sniffing.
	queue []line
	// width is the last record's field count, the likely next one's.
	width int
}

func newCSVReader(src lineSource, delim rune, max int) *csvReader {
	return &csvReader{src: src, delim: string(delim), max: max}
}

func (r *csvReader) line() (line, error) {
	if len(r.queue) > 0 {
		l := r.queue[0]
		r.queue = r.queue[1:]
		return l, nil
	}
	return r.src.next()
}

// next returns the next record, or io.EOF. Blank lines between records are
// skipped.
func (r *csvReader) next() (csvRecord, error) { return r.nextInto(nil) }

// nextInto is next appending the record's fields to fields[:0], a slice
// of a record the caller is done with, or to a new slice when fields is
// nil.
func (r *csvReader) nextInto(fields []string) (csvRecord, error) {
	first, err := r.line()
	for err == nil && first.text == "" && first.bad == "" {
		first, err = r.line()
	}
	if err != nil {
		return csvRecord{}, err
	}
	if fields == nil {
		fields = make([]string, 0, r.width)
	}
	rec := csvRecord{line: first.num, lines: 1, fields: fields[:0]}
	consumed := []line{first} // only grows past one line inside a quoted field
	fail := func(l line, format string, args ...any) (csvRecord, error) {
		// Re-parse the lines after the first: they may be good records that
		// a stray quote swallowed.
		if len(consumed) > 1 {
			r.queue = append(append([]line(nil), consumed[1:]...), r.queue...)
		}
		msg := fmt.Sprintf(format, args...)
		if l.num != first.num {
			msg = fmt.Sprintf("on line %d, %s", l.num, msg)
		}
		return csvRecord{line: first.num, lines: 1, raw: first.text, bad: fmt.Sprintf("line %d: %s", first.num, msg)}, nil
	}
	// done ends a record that parsed; a line of it that did not decode
	// still makes it malformed.
	done := func() (csvRecord, error) {
		rec.lines = len(consumed)
		r.width = len(rec.fields)
		for _, l := range consumed {
			if l.bad != "" {
				texts := make([]string, len(consumed))
				for i, c := range consumed {
					texts[i] = c.text
				}
				msg := l.bad
				if l.num != first.num {
					msg = fmt.Sprintf("on line %d, %s", l.num, msg)
				}
				return csvRecord{line: first.num, lines: len(consumed), raw: strings.Join(texts, "\n"),
					bad: fmt.Sprintf("line %d: %s", first.num, msg)}, nil
			}
		}
		return rec, nil
	}
	text, cur := first.text, first
	size := len(text)
	pos := 0
	for {
		// One field starts at pos.
		if pos < len(text) && text[pos] == '"' {
			var b strings.Builder
			i := pos + 1
			for {
				j := strings.IndexByte(text[i:], '"')
				if j < 0 {
					// The quoted field goes on to the next line.
					b.WriteString(text[i:])
					b.WriteByte('\n')
					next, err := r.line()
					if err == io.EOF {
						return fail(first, "the quoted field opened here is not closed before the end of the file")
					}
					if err != nil {
						return csvRecord{}, err
					}
					consumed = append(consumed, next)
					if size += len(next.text) + 1; size > r.max {
						return fail(first, "the quoted field opened here runs past max_row_bytes (%d); is a closing quote missing?", r.max)
					}
					text, cur, i = next.text, next, 0
					continue
				}
				k := i + j + 1
				if k < len(text) && text[k] == '"' {
					b.WriteString(text[i : i+j])
					b.WriteByte('"') // "" is a quote inside a quoted field
					i = k + 1
					continue
				}
				if b.Len() == 0 {
					// The whole field is on this line, with no quote
					// inside: a slice of the line, as an unquoted one.
					rec.fields = append(rec.fields, text[i:i+j])
				} else {
					b.WriteString(text[i : i+j])
					rec.fields = append(rec.fields, b.String())
				}
				switch {
				case k == len(text):
					return done()
				case strings.HasPrefix(text[k:], r.delim):
					pos = k + len(r.delim)
				default:
					c, _ := utf8.DecodeRuneInString(text[k:])
					return fail(cur, "a closing quote is followed by %q, not by the delimiter %q (a quote inside a quoted field is written twice)",
						c, r.delim)
				}
				break
			}
			continue
		}
		j := strings.Index(text[pos:], r.delim)
		end := len(text)
		if j >= 0 {
			end = pos + j
		}
		field := text[pos:end]
		if strings.IndexByte(field, '"') >= 0 {
			return fail(cur, "a quote inside an unquoted field (quote the whole field and write the quote twice)")
		}
		rec.fields = append(rec.fields, field)
		if j < 0 {
			return done()
		}
		pos = end + len(r.delim)
	}
}

// sliceLines serves lines from memory, for sniffing.
type sliceLines struct{ lines []line }

func (s *sliceLines) next() (line, error) {
	if len(s.lines) == 0 {
		return line{}, io.EOF
	}
	l := s.lines[0]
	s.lines = s.lines[1:]
	return l, nil
}

// delimiters are the candidates sniffing chooses from, in the order that
// breaks ties.
var delimiters = []rune{',', ';', '\t', '|'}

// sniff chooses the delimiter that splits the sampled lines (header first)
// into the most records with as many fields as the header; ties go to the
// wider header, then to the order of delimiters. A file with one column
// gets a comma.
func sniff(sample []line, max int) rune {
	best, bestOK, bestWidth := ',', -1, 0
	for _, d := range delimiters {
		r := newCSVReader(&sliceLines{lines: sample}, d, max)
		head, err := r.next()
		if err != nil || head.bad != "" || len(head.fields) < 2 {
			continue
		}
		ok := 0
		for {
			rec, err := r.next()
			if err != nil {
				break
			}
			if rec.bad == "" && len(rec.fields) == len(head.fields) {
				ok++
			}
		}
		if ok > bestOK || ok == bestOK && len(head.fields) > bestWidth {
			best, bestOK, bestWidth = d, ok, len(head.fields)
		}
	}
	return best
}
