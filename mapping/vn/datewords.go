package vn

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// hasLetter reports whether s has a letter: a date in words, or no date.
func hasLetter(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') {
			return true
		}
	}
	return false
}

// DateWord returns the field a word of a date in words introduces: 'd'
// for "ngày", 'm' for "tháng", 'y' for "năm", whatever its case and
// diacritics (registers typed without them write "ngay", "thang", "nam"),
// or 0 for any other word.
func DateWord(w string) byte {
	if len(w) > 16 {
		return 0
	}
	var b [16]byte
	n := 0
	for _, r := range norm.NFD.String(w) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r >= utf8.RuneSelf || n == len(b):
			return 0
		}
		b[n] = byte(unicode.ToLower(r))
		n++
	}
	switch string(b[:n]) {
	case "ngay":
		return 'd'
	case "thang":
		return 'm'
	case "nam":
		return 'y'
	}
	return 0
}

// parseWords reads a date in words, t being s trimmed: an optional
// "ngày" and the day, "tháng" and the month, "năm" and the year, in this
// order; the day may stand without "ngày" before "tháng" ("5 tháng 3 năm
// 2001"), and the day, or the day and month, may be left out. A comma
// may follow a number ("ngày 5, tháng 3, năm 2001").
func parseWords(s, t string, opt DateOptions) (Date, error) {
	const want = `want "ngày 5 tháng 3 năm 2001", "tháng 3 năm 2001" or "năm 2001"`
	tokens := strings.FieldsFunc(t, func(r rune) bool { return unicode.IsSpace(r) || r == ',' })
	var val, width [3]int // day, month, year
	var seen [3]bool
	last := -1 // the last field read
	for i := 0; i < len(tokens); i++ {
		field := -1
		switch DateWord(tokens[i]) {
		case 'd':
			field = 0
		case 'm':
			field = 1
		case 'y':
			field = 2
		default:
			if i == 0 && isNumber(tokens[i]) {
				// A bare day before "tháng".
				field, i = 0, i-1
			} else {
				return Date{}, dateError(s, fmt.Sprintf("has the word %q; %s", cut(tokens[i]), want))
			}
		}
		if field <= last {
			return Date{}, dateError(s, "has its day, month and year out of order or twice; "+want)
		}
		if i+1 >= len(tokens) || !isNumber(tokens[i+1]) {
			return Date{}, dateError(s, fmt.Sprintf("has no number after %q; %s", []string{"ngày", "tháng", "năm"}[field], want))
		}
		i++
		num := tokens[i]
		if len(num) > 4 || (field < 2 && len(num) > 2) {
			return Date{}, dateError(s, fmt.Sprintf("has the %s %q, too long; %s", []string{"day", "month", "year"}[field], num, want))
		}
		for j := 0; j < len(num); j++ {
			val[field] = val[field]*10 + int(num[j]-'0')
		}
		width[field], seen[field], last = len(num), true, field
	}
	switch {
	case !seen[2]:
		return Date{}, dateError(s, "has no year (năm); "+want)
	case width[2] != 4 && width[2] != 2:
		return Date{}, dateError(s, "has a year of neither 4 nor 2 digits; "+want)
	case seen[0] && !seen[1]:
		return Date{}, dateError(s, "has a day but no month (tháng); "+want)
	case seen[0] && val[0] == 0:
		return Date{}, dateError(s, "has day 0; leave the day out when it is unknown")
	case seen[1] && val[1] == 0:
		return Date{}, dateError(s, "has month 0; leave the month out when it is unknown")
	}
	return checkDate(s, val[2], val[1], val[0], width[2], opt)
}

func isNumber(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// cut shortens a word for a message.
func cut(w string) string {
	if len(w) <= 20 {
		return w
	}
	n := 20
	for n > 0 && !utf8.RuneStart(w[n]) {
		n--
	}
	return w[:n] + "…"
}
