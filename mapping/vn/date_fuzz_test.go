package vn

import (
	"errors"
	"strconv"
	"testing"
)

// FuzzParseDateWords fuzzes the dates in words and the stated pivot year;
// FuzzParseDate (fuzz_test.go) covers the numeric forms.
func FuzzParseDateWords(f *testing.F) {
	for _, s := range []string{"ngày 5 tháng 3 năm 2001", "5 thang 3 nam 01", "NGÀY 29 THÁNG 2 NĂM 2000", "tháng 3 năm 2001",
		"năm 1950", "ngày 5, tháng 3, năm 2001", "nga\u0300y 5 tha\u0301ng 3 na\u0306m 2001", "5/3/01"} {
		f.Add(s, 1930)
	}
	f.Fuzz(func(t *testing.T, in string, pivotYear int) {
		pivotYear = 1800 + abs(pivotYear)%500
		d, err := ParseDate(in, DateOptions{PivotYear: pivotYear})
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code != ReasonBadDate {
				t.Fatalf("ParseDate(%q) error %v; want %s", in, err, ReasonBadDate)
			}
			return
		}
		checkFuzzDate(t, in, d)
	})
}

// FuzzParseExcelSerial checks that every serial read is a real day that
// Excel itself would show for it: one after the day before, 59 and 61
// around the 29 February 1900 that never was.
func FuzzParseExcelSerial(f *testing.F) {
	for _, s := range []string{"1", "59", "60", "61", "36951", "45839.0", "182622", "182623", "0", "-1", "1e5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		d, err := ParseExcelSerial(in)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code != ReasonBadDate {
				t.Fatalf("ParseExcelSerial(%q) error %v; want %s", in, err, ReasonBadDate)
			}
			return
		}
		checkFuzzDate(t, in, d)
		n, err := strconv.ParseFloat(in[:len(in)-len(trimLeftDigits(in))], 64)
		if err != nil || n < 1 {
			return
		}
		if n == 61 {
			return // the day after Excel's 29 February 1900
		}
		prev, err := ParseExcelSerial(strconv.Itoa(int(n) - 1))
		if err != nil {
			if int(n)-1 == 60 || int(n)-1 == 0 {
				return
			}
			t.Fatalf("ParseExcelSerial(%d) = %v but %q is %+v", int(n)-1, err, in, d)
		}
		if next := nextDay(prev); next != d {
			t.Fatalf("ParseExcelSerial(%q) = %+v; want the day after %+v", in, d, prev)
		}
	})
}

func checkFuzzDate(t *testing.T, in string, d Date) {
	t.Helper()
	if d.Year < minYear || d.Year > maxYear || d.Precision < PrecisionYear || d.Precision > PrecisionDay {
		t.Fatalf("%q = %+v: out of range", in, d)
	}
	if d.Precision == PrecisionDay && (d.Day < 1 || d.Day > daysIn(d.Year, d.Month)) {
		t.Fatalf("%q = %+v: no such day", in, d)
	}
	again, err := ParseDate(d.String(), DateOptions{})
	if err != nil || again != d {
		t.Fatalf("%q = %+v; its String %q reads back as %+v, %v", in, d, d.String(), again, err)
	}
}

// trimLeftDigits returns s from the first byte that is not a space or a
// digit of its leading number.
func trimLeftDigits(s string) string {
	i := 0
	for i < len(s) && s[i] == ' ' {
		i++
	}
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return s[i:]
}

func nextDay(d Date) Date {
	d.Day++
	if d.Day > daysIn(d.Year, d.Month) {
		d.Day, d.Month = 1, d.Month+1
		if d.Month > 12 {
			d.Month, d.Year = 1, d.Year+1
		}
	}
	return d
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
