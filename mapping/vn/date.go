package vn

import (
	"fmt"
	"strings"
)

// Precision is how much of a Date is known.
type Precision uint8

// Precisions of a Date. The zero Precision belongs to the zero Date only.
const (
	// PrecisionYear: only the year is known ("00/00/1950").
	PrecisionYear Precision = iota + 1
	// PrecisionMonth: the year and the month are known ("00/05/1950").
	PrecisionMonth
	// PrecisionDay: a full date.
	PrecisionDay
)

// Date is a calendar date that may be partial: civil-status records often
// know only the year of birth ("00/00/1950") or the month and year.
type Date struct {
	// Year, Month and Day; Month and Day are 0 when Precision leaves them out.
	Year, Month, Day int
	// Precision says which of them are known.
	Precision Precision
}

// String writes the date in ISO 8601 with reduced precision: "1950",
// "1950-05", "1950-05-01". The zero Date is "".
func (d Date) String() string {
	var b [10]byte
	switch d.Precision {
	case PrecisionYear:
		return string(put4(b[:0], d.Year))
	case PrecisionMonth:
		return string(put2(append(put4(b[:0], d.Year), '-'), d.Month))
	case PrecisionDay:
		return string(put2(append(put2(append(put4(b[:0], d.Year), '-'), d.Month), '-'), d.Day))
	}
	return ""
}

func put4(b []byte, n int) []byte {
	return append(b, byte('0'+n/1000%10), byte('0'+n/100%10), byte('0'+n/10%10), byte('0'+n%10))
}

func put2(b []byte, n int) []byte { return append(b, byte('0'+n/10%10), byte('0'+n%10)) }

// DefaultPivot is the two-digit-year pivot used when DateOptions.Pivot is 0:
// 00-26 read as 2000-2026 and 27-99 as 1927-1999. It is the package's
// reference year, 2026, plus one, because a record holds no date after the
// day it was written; a mapping whose records are older, or that knows its
// run date, sets Pivot to that year's last two digits plus one.
const DefaultPivot = 27

// DateOptions tune ParseDate.
type DateOptions struct {
	// Pivot decides the century of a two-digit year yy: yy < Pivot is 20yy,
	// otherwise 19yy. 0 means DefaultPivot, 100 reads every yy as 20yy, and
	// a negative Pivot rejects two-digit years.
	Pivot int
	// PivotYear, when not 0, states the hundred years a two-digit year
	// falls in instead: yy is the year of PivotYear..PivotYear+99 that ends
	// in yy (PivotYear 1930: 30-99 are 1930-1999, 00-29 are 2000-2029). It
	// is how a mapping states its register's pivot (date(s, {pivot:
	// 1930})), and it overrides Pivot, except that a negative Pivot still
	// rejects two-digit years.
	PivotYear int
}

// FullYear returns the four-digit year a two-digit year yy stands for;
// false when the options reject two-digit years.
func (o DateOptions) FullYear(yy int) (int, bool) {
	switch {
	case o.Pivot < 0:
		return 0, false
	case o.PivotYear != 0:
		y := o.PivotYear - o.PivotYear%100 + yy
		if y < o.PivotYear {
			y += 100
		}
		return y, true
	}
	pivot := o.Pivot
	if pivot == 0 {
		pivot = DefaultPivot
	}
	if yy < pivot {
		return 2000 + yy, true
	}
	return 1900 + yy, true
}

// Years outside this range are placeholders ("01/01/0001" from .NET,
// "31/12/9999" for "no end"), not dates of a living person's records.
const (
	minYear = 1800
	maxYear = 2399
)

// ParseDate reads a date as Vietnamese records write it, day first:
// dd/mm/yyyy, d/m/yyyy, dd-mm-yyyy, dd.mm.yyyy, dd/mm/yy, and the ISO order
// yyyy-mm-dd (or with / or .), or in words as papers write it: "ngày 5
// tháng 3 năm 2001", with or without "ngày", in any case, with or without
// diacritics ("5 thang 3 nam 2001"), or part of it ("tháng 3 năm 2001",
// "năm 2001"). Partial dates keep their precision: "1950",
// "05/1950", "1950-05", "00/05/1950" (month) and "00/00/1950" (year). A
// trailing midnight time ("1990-05-01 00:00:00", "1990-05-01T00:00:00"), as
// database exports add, is dropped; any other time is an error, because a
// date of birth stored as a UTC instant (17:00 the day before, in Vietnam) is
// a day off and must be fixed at the source. Days must exist: "31/02/2020"
// is bad_date, never normalised to March. Years must lie in 1800-2399.
func ParseDate(s string, opt DateOptions) (Date, error) {
	t := strings.TrimSpace(s)
	if hasLetter(t) && !strings.Contains(t, ":") {
		return parseWords(s, t, opt)
	}
	if i := strings.IndexAny(t, " T"); i >= 0 && strings.IndexByte(t[i:], ':') >= 0 {
		if !isMidnight(strings.TrimSpace(t[i+1:])) {
			return Date{}, dateError(s, "has a time of day; give the date alone")
		}
		t = t[:i]
	}
	var part [3]int
	var width [3]int
	n := 0
	var sep byte
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case isDigit(c):
			if width[n] == 4 {
				return Date{}, dateError(s, "has a number longer than 4 digits")
			}
			part[n] = part[n]*10 + int(c-'0')
			width[n]++
		case c == '/' || c == '-' || c == '.':
			if sep != 0 && c != sep {
				return Date{}, dateError(s, fmt.Sprintf("mixes the separators %q and %q", sep, c))
			}
			sep = c
			if width[n] == 0 || n == 2 {
				return Date{}, dateError(s, "is not a date (want dd/mm/yyyy, yyyy-mm-dd, mm/yyyy or yyyy)")
			}
			n++
		default:
			return Date{}, dateError(s, fmt.Sprintf("has %q, which is not a digit or a separator", c))
		}
	}
	if width[n] == 0 {
		return Date{}, dateError(s, "is not a date (want dd/mm/yyyy, yyyy-mm-dd, mm/yyyy or yyyy)")
	}
	n++
	var y, m, d, yw int
	switch {
	case n == 1 && width[0] == 4:
		y, yw = part[0], 4
	case n == 2 && width[0] <= 2 && width[1] == 4:
		m, y, yw = part[0], part[1], 4
	case n == 2 && width[0] == 4 && width[1] <= 2:
		y, m, yw = part[0], part[1], 4
	case n == 3 && width[0] == 4 && width[1] <= 2 && width[2] <= 2:
		y, m, d, yw = part[0], part[1], part[2], 4
	case n == 3 && width[0] <= 2 && width[1] <= 2 && (width[2] == 4 || width[2] == 2):
		d, m, y, yw = part[0], part[1], part[2], width[2]
	default:
		return Date{}, dateError(s, "is not a date (want dd/mm/yyyy, yyyy-mm-dd, mm/yyyy or yyyy)")
	}
	return checkDate(s, y, m, d, yw, opt)
}

// checkDate makes the Date of the fields read from s: the year (of yw
// digits) given its century, the month and day checked.
func checkDate(s string, y, m, d, yw int, opt DateOptions) (Date, error) {
	if yw == 2 {
		var ok bool
		if y, ok = opt.FullYear(y); !ok {
			return Date{}, dateError(s, "has a two-digit year, which this mapping does not accept")
		}
	}
	if y < minYear || y > maxYear {
		return Date{}, dateError(s, fmt.Sprintf("year %d is outside %d-%d", y, minYear, maxYear))
	}
	switch {
	case m == 0 && d == 0:
		return Date{Year: y, Precision: PrecisionYear}, nil
	case m == 0:
		return Date{}, dateError(s, fmt.Sprintf("has day %d but no month", d))
	case m > 12:
		if d >= 1 && d <= 12 {
			return Date{}, dateError(s, fmt.Sprintf("month %d is not 1-12 (is it month first? write day first)", m))
		}
		return Date{}, dateError(s, fmt.Sprintf("month %d is not 1-12", m))
	case d == 0:
		return Date{Year: y, Month: m, Precision: PrecisionMonth}, nil
	}
	if last := daysIn(y, m); d > last {
		return Date{}, dateError(s, fmt.Sprintf("day %d is past the end of month %d of %d, which has %d days", d, m, y, last))
	}
	return Date{Year: y, Month: m, Day: d, Precision: PrecisionDay}, nil
}

func dateError(s, what string) error {
	return newError(ReasonBadDate, fmt.Sprintf("date %q: %s", s, what))
}

// isMidnight reports whether t is 00:00, 00:00:00 or 00:00:00 with zero
// fractional seconds.
func isMidnight(t string) bool {
	if len(t) != 5 && len(t) < 8 {
		return false
	}
	for i := 0; i < len(t); i++ {
		switch c := t[i]; {
		case i == 2 || i == 5:
			if c != ':' {
				return false
			}
		case i == 8:
			if c != '.' {
				return false
			}
		case c != '0':
			return false
		}
	}
	return len(t) != 9
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
