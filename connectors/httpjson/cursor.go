package httpjson

import (
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"
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

// decimalText is a plain decimal number. It is stricter than big.Rat's
// syntax on purpose: "0x1f" or "1/2" must not be taken for numbers.
var decimalText = regexp.MustCompile(`^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$`)

// parseCursor classifies a cursor text: a number, a timestamp or date in
// ISO 8601 / RFC 3339 form, or else plain text.
func parseCursor(text string) cursor {
	c := cursor{text: text}
	if decimalText.MatchString(text) {
		c.kind = kindNumber
		if i, err := strconv.ParseInt(text, 10, 64); err == nil {
			c.i, c.isInt = i, true
		} else {
			c.r, _ = new(big.Rat).SetString(text)
		}
		return c
	}
	if layout, ok := timeLayout(text); ok {
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

// checkLookBack accepts a non-negative number or duration.
func checkLookBack(lb string) error {
	if decimalText.MatchString(lb) {
		if strings.HasPrefix(lb, "-") {
			return fmt.Errorf("look_back %q is negative", lb)
		}
		return nil
	}
	d, err := time.ParseDuration(lb)
	if err != nil {
		return fmt.Errorf("look_back %q is neither a number (\"500\") nor a duration (\"10m\", \"24h\")", lb)
	}
	if d < 0 {
		return fmt.Errorf("look_back %q is negative", lb)
	}
	return nil
}

// lowerCursor returns the cursor lowered by the look-back, printed the way
// the API printed the cursor, so that the API parses it as it parses its
// own values.
func lowerCursor(c cursor, lookBack string) (string, error) {
	if err := checkLookBack(lookBack); err != nil {
		return "", err
	}
	switch c.kind {
	case kindNumber:
		if !decimalText.MatchString(lookBack) {
			return "", fmt.Errorf("the cursor is a number (%q), so look_back must be a number like \"500\", not %q", c.text, lookBack)
		}
		lb, _ := new(big.Rat).SetString(lookBack)
		r := new(big.Rat).Sub(c.rat(), lb)
		if r.IsInt() && !strings.ContainsAny(c.text, ".eE") {
			return r.Num().String(), nil
		}
		digits := 0
		if _, frac, ok := strings.Cut(c.text, "."); ok {
			digits = len(strings.TrimRightFunc(frac, func(r rune) bool { return r < '0' || r > '9' }))
		}
		if _, frac, ok := strings.Cut(lookBack, "."); ok {
			digits = max(digits, len(frac))
		}
		return r.FloatString(digits), nil
	case kindTime:
		d, err := time.ParseDuration(lookBack)
		if err != nil {
			return "", fmt.Errorf("the cursor is a timestamp (%q), so look_back must be a duration like \"10m\", not %q", c.text, lookBack)
		}
		low := c.t.Add(-d)
		if low.Year() < 1 {
			return "", fmt.Errorf("cursor %q minus %s is before year 1", c.text, lookBack)
		}
		return low.Format(c.layout), nil
	}
	return "", fmt.Errorf("look_back needs a numeric or timestamp cursor; %q is neither", c.text)
}

// timeLayout recognises ISO 8601 dates and timestamps ("2024-05-01",
// "2024-05-01T10:00:00.123+07:00", "2024-05-01 10:00:00Z") and returns the
// Go layout that parses the text and prints it back byte for byte.
func timeLayout(s string) (string, bool) {
	digits := func(s string) bool {
		for i := 0; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return false
			}
		}
		return s != ""
	}
	if len(s) < 10 || !digits(s[0:4]) || s[4] != '-' || !digits(s[5:7]) || s[7] != '-' || !digits(s[8:10]) {
		return "", false
	}
	var b strings.Builder
	b.WriteString("2006-01-02")
	rest := s[10:]
	if rest != "" {
		if rest[0] != ' ' && rest[0] != 'T' {
			return "", false
		}
		b.WriteByte(rest[0])
		rest = rest[1:]
		if len(rest) < 5 || !digits(rest[0:2]) || rest[2] != ':' || !digits(rest[3:5]) {
			return "", false
		}
		b.WriteString("15:04")
		rest = rest[5:]
		if len(rest) >= 3 && rest[0] == ':' && digits(rest[1:3]) {
			b.WriteString(":05")
			rest = rest[3:]
			if len(rest) > 0 && rest[0] == '.' {
				n := 1
				for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
					n++
				}
				if n == 1 || n > 10 {
					return "", false
				}
				b.WriteString("." + strings.Repeat("0", n-1))
				rest = rest[n:]
			}
		}
		switch {
		case rest == "":
		case rest == "Z":
			b.WriteString("Z07:00")
		case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':' && digits(rest[1:3]) && digits(rest[4:6]):
			b.WriteString("-07:00")
		case len(rest) == 5 && (rest[0] == '+' || rest[0] == '-') && digits(rest[1:]):
			b.WriteString("-0700")
		case len(rest) == 3 && (rest[0] == '+' || rest[0] == '-') && digits(rest[1:]):
			b.WriteString("-07")
		default:
			return "", false
		}
	}
	layout := b.String()
	t, err := time.Parse(layout, s)
	if err != nil || t.Format(layout) != s {
		return "", false
	}
	return layout, true
}
