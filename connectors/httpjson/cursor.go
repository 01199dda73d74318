package httpjson

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/lienthong/lienthong/internal/cursortext"
)

// cursorKind is how cursor texts compare.
type cursorKind int

const (
	kindText cursorKind = iota
	kindNumber
	kindTime
)

func (k cursorKind) String() string {
	return [...]string{"a text", "a number", "a timestamp"}[k]
}

// cursor is a cursor value: the text the API sent, which is what a
// checkpoint keeps and what cursor_param sends back, and its parsed form.
type cursor struct {
	text   string
	kind   cursorKind
	layout string
	t      time.Time
	i      int64
	isInt  bool
	r      *big.Rat
}

// parseCursor classifies a cursor text: a number, a timestamp or date in
// ISO 8601 / RFC 3339 form, or else plain text.
func parseCursor(text string) cursor {
	c := cursor{text: text}
	if cursortext.IsNumber(text) {
		c.kind = kindNumber
		if i, err := strconv.ParseInt(text, 10, 64); err == nil {
			c.i, c.isInt = i, true
		} else {
			c.r, _ = new(big.Rat).SetString(text)
		}
		return c
	}
	if layout, ok := cursortext.TimeLayout(text); ok {
		if t, err := time.Parse(layout, text); err == nil {
			c.kind, c.layout, c.t = kindTime, layout, t
		}
	}
	return c
}

// compare orders two cursors of one kind. Cursors of different kinds can
// not be ordered: the API changed its cursor's format, and guessing could
// skip records.
func (c cursor) compare(o cursor) (int, error) {
	if c.kind != o.kind {
		return 0, fmt.Errorf("cursor %q is %s but %q is %s: the API changed the cursor's format; reset the stream's checkpoint",
			c.text, c.kind, o.text, o.kind)
	}
	switch c.kind {
	case kindNumber:
		if c.isInt && o.isInt {
			switch {
			case c.i < o.i:
				return -1, nil
			case c.i > o.i:
				return 1, nil
			}
			return 0, nil
		}
		return c.rat().Cmp(o.rat()), nil
	case kindTime:
		return c.t.Compare(o.t), nil
	}
	return strings.Compare(c.text, o.text), nil
}

func (c cursor) rat() *big.Rat {
	if c.r != nil {
		return c.r
	}
	return new(big.Rat).SetInt64(c.i)
}

// lowerCursor returns the cursor lowered by the look-back, printed the way
// the API printed the cursor, so that the API parses it as it parses its
// own values.
func lowerCursor(c cursor, lookBack string) (string, error) {
	return cursortext.Lower(c.text, lookBack)
}
