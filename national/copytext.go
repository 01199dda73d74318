package national

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
	"unsafe"

	"github.com/lienthong/lienthong/schema"
)

// The PostgreSQL store writes its COPY streams as text it encodes itself
// and hands to lib/pq a block at a time (its CopyData), rather than one
// database/sql Exec per row: database/sql checks and converts every value of
// every row, and a batch's rows went through about 25 of those each. In a
// first sync's profile that cost as much as the whole rest of the national
// write (docs/PERFORMANCE.md).

// copyRows is a COPY stream in PostgreSQL's text format, one line per row.
type copyRows struct {
	buf  []byte
	rows int
}

// fieldTexts and copyStreams keep the byte buffers of batch writes
// between batches: the field columns' COPY text and the COPY stream were
// each a new buffer about the size of the batch's canonical JSON, together
// a fifth of what a first sync allocated. Two pools, as the two differ in
// size: a stream's buffer handed to the field text would be grown again
// next time. Buffers are handed out as pointers, which a Pool holds without
// an allocation of its own.
var fieldTexts, copyStreams sync.Pool

// getBuffer returns an empty buffer from pool, with the room a recent
// batch left it.
func getBuffer(pool *sync.Pool) *[]byte {
	if b, ok := pool.Get().(*[]byte); ok {
		*b = (*b)[:0]
		return b
	}
	return new([]byte)
}

// row starts a row.
func (c *copyRows) row() {
	if c.rows > 0 {
		c.buf = append(c.buf, '\n')
	}
	c.rows++
}

// text appends a text value, with a tab before it unless it starts its row.
func (c *copyRows) text(first bool, s string) {
	if !first {
		c.buf = append(c.buf, '\t')
	}
	c.buf = appendCopyText(c.buf, s)
}

// int appends a whole number.
func (c *copyRows) int(i int64) {
	c.buf = append(c.buf, '\t')
	c.buf = strconv.AppendInt(c.buf, i, 10)
}

// hash appends a bytea value in hex form.
func (c *copyRows) hash(h *[32]byte) {
	const hexDigits = "0123456789abcdef"
	// COPY's text format takes a backslash as \\, so bytea's \x is \\x.
	c.buf = append(c.buf, '\t', '\\', '\\', 'x')
	for _, b := range h {
		c.buf = append(c.buf, hexDigits[b>>4], hexDigits[b&0xf])
	}
}

// fields appends pre-encoded field columns (each with its leading tab).
func (c *copyRows) fields(b []byte) { c.buf = append(c.buf, b...) }

// appendCopyText escapes what COPY's text format treats specially: the
// backslash, and the tab, newline and carriage return that separate
// columns and rows. s must be valid UTF-8 (appendField checks).
func appendCopyText(dst []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		var esc byte
		switch s[i] {
		case '\\':
			esc = '\\'
		case '\t':
			esc = 't'
		case '\n':
			esc = 'n'
		case '\r':
			esc = 'r'
		default:
			continue
		}
		dst = append(dst, s[start:i]...)
		dst = append(dst, '\\', esc)
		start = i + 1
	}
	return append(dst, s[start:]...)
}

// appendField appends a field's value as its column's COPY text, with the
// tab before it; NULL is \N. A value the column cannot hold is an error
// saying why: the validated record should never carry one, and if it does
// the record is kept back with the reason rather than the batch failing.
func appendField(dst []byte, c column, v any) ([]byte, error) {
	dst = append(dst, '\t')
	if v == nil {
		return append(dst, '\\', 'N'), nil
	}
	switch c.sqlType {
	case sqlText:
		var s string
		switch x := v.(type) {
		case string:
			s = x
		case json.Number:
			s = string(x)
		default:
			return dst, fmt.Errorf("a %T cannot be stored as text", v)
		}
		if s == "" {
			return append(dst, '\\', 'N'), nil
		}
		// The canonical JSON escapes what a text column cannot hold (bytes
		// that are not UTF-8 become \ufffd, a NUL \u0000), so the column
		// could not give back the bytes that were hashed: such a record is
		// kept back rather than stored changed.
		if !utf8.ValidString(s) {
			return dst, errors.New("the text is not valid UTF-8 (check the source's encoding)")
		}
		if strings.IndexByte(s, 0) >= 0 {
			return dst, errors.New("the text holds a NUL character, which the national store cannot hold")
		}
		return appendCopyText(dst, s), nil
	case sqlDate:
		s, ok := v.(string)
		switch {
		case ok && s == "":
			return append(dst, '\\', 'N'), nil
		case ok && schema.IsDate(s):
			return append(dst, s...), nil
		}
		return dst, fmt.Errorf("%q is not a calendar date the national store can hold", fmt.Sprint(v))
	case sqlBigint:
		if i, ok := wholeNumber(v); ok {
			return strconv.AppendInt(dst, i, 10), nil
		}
		return dst, fmt.Errorf("%v is not a whole number the national store can hold (64 bits)", v)
	case sqlFloat:
		if f, ok := number(v); ok {
			return strconv.AppendFloat(dst, f, 'g', -1, 64), nil
		}
		return dst, fmt.Errorf("%v is not a number the national store can hold", v)
	}
	return dst, fmt.Errorf("a %T cannot be stored as %s", v, c.sqlType)
}

func wholeNumber(v any) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int64:
		return x, true
	case int32:
		return int64(x), true
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<63 {
			return int64(x), true
		}
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return i, true
		}
		if f, err := strconv.ParseFloat(string(x), 64); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<63 {
			return int64(f), true
		}
	}
	return 0, false
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, !math.IsInf(x, 0) && !math.IsNaN(x)
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		return f, err == nil && !math.IsInf(f, 0)
	}
	return 0, false
}

// copyBlock is the most pgCopy hands lib/pq at once: its flush size.
const copyBlock = 64 << 10

// copyDataStmt is lib/pq's COPY statement: it takes the stream's text.
type copyDataStmt interface {
	driver.Stmt
	CopyData(ctx context.Context, line string) (driver.Result, error)
}

// pgCopy runs query, a COPY FROM STDIN, with rows as its data, on conn,
// inside the transaction open on it.
func pgCopy(ctx context.Context, conn *sql.Conn, query string, rows *copyRows) error {
	if rows.rows == 0 {
		return nil
	}
	return conn.Raw(func(dc any) error {
		prep, ok := dc.(driver.ConnPrepareContext)
		if !ok {
			return fmt.Errorf("the PostgreSQL driver's connection (%T) cannot prepare a COPY", dc)
		}
		stmt, err := prep.PrepareContext(ctx, query)
		if err != nil {
			return err
		}
		cp, ok := stmt.(copyDataStmt)
		if !ok {
			stmt.Close()
			return fmt.Errorf("the PostgreSQL driver's COPY statement (%T) takes no raw data", stmt)
		}
		// A block of whole rows at a time, each under the driver's flush
		// size, so that its buffer stays that size instead of growing to the
		// batch's.
		for rest := rows.buf; len(rest) > 0 && err == nil; {
			n := len(rest)
			if n > copyBlock {
				n = bytes.LastIndexByte(rest[:copyBlock], '\n')
				if n <= 0 {
					n = bytes.IndexByte(rest, '\n')
				}
				if n < 0 {
					n = len(rest)
				}
			}
			// CopyData ends what it is given with a newline. It appends
			// the text to its own buffer and keeps nothing of it, so the
			// block is handed over in place rather than copied into a
			// string first (a copy of the whole stream, per batch).
			_, err = cp.CopyData(ctx, unsafe.String(unsafe.SliceData(rest), n))
			rest = rest[min(n+1, len(rest)):]
		}
		// Exec with no values ends the COPY and reports what the server
		// said of the data; Close alone would not.
		if _, endErr := cp.Exec(nil); err == nil {
			err = endErr
		}
		if closeErr := cp.Close(); err == nil {
			err = closeErr
		}
		return err
	})
}
