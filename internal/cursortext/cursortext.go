// Package cursortext does arithmetic on cursor values kept as text, as
// connectors keep them in checkpoints: it recognises numbers and timestamps,
// and lowers a cursor by a look-back window while printing it back in the
// cursor's own layout.
//
// It must not know any connector or database.
package cursortext

import (
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"time"
)

// IsNumber reports whether s is a plain decimal number.
func IsNumber(s string) bool { return decimalText.MatchString(s) }

// decimalText is a plain decimal number as PostgreSQL and SQLite print
// numerics and floats. It is stricter than big.Rat's syntax on purpose: a
// text cursor such as "0x1f" or "1/2" must not be taken for a number.
var decimalText = regexp.MustCompile(`^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$`)

// CheckLookBack accepts what Lower may later accept (a non-negative number
// or Go duration), so a typo fails when a stream is checked, not on the
// first read with a checkpoint.
func CheckLookBack(lb string) error {
	if decimalText.MatchString(lb) {
		if strings.HasPrefix(lb, "-") {
			return fmt.Errorf("%q is negative", lb)
		}
		return nil
	}
	d, err := time.ParseDuration(lb)
	if err != nil {
		return fmt.Errorf("%q is neither a number (\"500\") nor a duration (\"10m\", \"24h\")", lb)
	}
	if d < 0 {
		return fmt.Errorf("%q is negative", lb)
	}
	return nil
}

// Lower returns the cursor text lowered by the look-back, printed the way
// the cursor was printed. The layout matters wherever timestamps compare as
// text (SQLite, many APIs): "2024-05-01 09:50:00" must not come back as
// "2024-05-01T09:50:00Z".
func Lower(cursor, lookBack string) (string, error) {
	if err := CheckLookBack(lookBack); err != nil {
		return "", err
	}
	if IsNumber(cursor) {
		if !decimalText.MatchString(lookBack) {
			return "", fmt.Errorf("the cursor is a number (%q), so look_back must be a number like \"500\", not %q", cursor, lookBack)
		}
		return lowerNumber(cursor, lookBack)
	}
	if layout, ok := TimeLayout(cursor); ok {
		d, err := time.ParseDuration(lookBack)
		if err != nil {
			return "", fmt.Errorf("the cursor is a timestamp (%q), so look_back must be a duration like \"10m\", not %q", cursor, lookBack)
		}
		t, err := time.Parse(layout, cursor)
		if err != nil {
			return "", fmt.Errorf("timestamp cursor %q: %w", cursor, err)
		}
		low := t.Add(-d)
		if low.Year() < 1 {
			return "", fmt.Errorf("cursor %q minus %s is before year 1", cursor, lookBack)
		}
		return low.Format(layout), nil
	}
	return "", fmt.Errorf("look_back needs a numeric, timestamp or date cursor; the checkpoint's cursor %q is none of these", cursor)
}

func lowerNumber(cursor, lookBack string) (string, error) {
	c, okC := new(big.Rat).SetString(cursor)
	lb, okL := new(big.Rat).SetString(lookBack)
	if !okC || !okL {
		return "", fmt.Errorf("cannot subtract %q from %q", lookBack, cursor)
	}
	r := new(big.Rat).Sub(c, lb)
	if r.IsInt() && !strings.ContainsAny(cursor, ".eE") {
		return r.Num().String(), nil
	}
	return r.FloatString(decimalScale(r, cursor)), nil
}

// decimalScale is the number of fraction digits that print r exactly, but at
// least as many as the cursor had: a decimal made of decimals always ends.
func decimalScale(r *big.Rat, cursor string) int {
	n := 0
	if _, frac, ok := strings.Cut(cursor, "."); ok && !strings.ContainsAny(cursor, "eE") {
		n = len(frac)
	}
	d := new(big.Int).Set(r.Denom())
	two, five, m := big.NewInt(2), big.NewInt(5), new(big.Int)
	twos, fives := 0, 0
	for m.Mod(d, two).Sign() == 0 {
		d.Quo(d, two)
		twos++
	}
	for m.Mod(d, five).Sign() == 0 {
		d.Quo(d, five)
		fives++
	}
	return max(n, twos, fives)
}

// TimeLayout recognises ISO 8601 dates and timestamps as PostgreSQL
// (DateStyle ISO), MySQL, SQLite and JSON APIs print them, and returns a Go
// layout that parses the text and prints it back byte for byte: same
// separator, same number of fraction digits, same zone style.
func TimeLayout(s string) (string, bool) {
	digits := func(s string) bool {
		for _, r := range s {
			if r < '0' || r > '9' {
				return false
			}
		}
		return s != ""
	}
	at := func(s string, i int, c byte) bool { return len(s) > i && s[i] == c }
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
		if at(rest, 0, ':') && len(rest) >= 3 && digits(rest[1:3]) {
			b.WriteString(":05")
			rest = rest[3:]
			if at(rest, 0, '.') {
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
		zone, ok := zoneLayout(rest)
		if !ok {
			return "", false
		}
		b.WriteString(zone)
	}
	layout := b.String()
	t, err := time.Parse(layout, s)
	if err != nil || t.Format(layout) != s {
		return "", false
	}
	return layout, true
}

func zoneLayout(z string) (string, bool) {
	if z == "" {
		return "", true
	}
	if z == "Z" {
		return "Z07:00", true
	}
	if z[0] != '+' && z[0] != '-' {
		return "", false
	}
	switch shape := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return '9'
		}
		return r
	}, z[1:]); shape {
	case "99":
		return "-07", true
	case "9999":
		return "-0700", true
	case "99:99":
		return "-07:00", true
	case "99:99:99":
		return "-07:00:00", true
	}
	return "", false
}
