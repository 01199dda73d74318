package vn

import (
	"fmt"
	"strings"
	"time"
)

// Excel's 1900 date system, which every XLSX file written by Excel on
// Windows uses (the 1904 system of old Mac workbooks is not read): serial
// 1 is 1900-01-01. Excel took 1900 for a leap year, as Lotus 1-2-3 did, so
// serial 60 is a 29 February 1900 that never was, and every serial from 61
// on is one more than the days since 1899-12-31: day n >= 61 is
// 1899-12-30 + n, day n <= 59 is 1899-12-31 + n.
var (
	excelEpoch      = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	excelEarlyEpoch = time.Date(1899, 12, 31, 0, 0, 0, 0, time.UTC)
	// maxExcelSerial is 2399-12-31, the last day ParseDate accepts too.
	maxExcelSerial = int((time.Date(maxYear, 12, 31, 0, 0, 0, 0, time.UTC).Unix() - excelEpoch.Unix()) / 86400)
)

// ParseExcelSerial reads an Excel serial date number, as a cell formatted
// as a number or "General" keeps a date ("36951" is 2001-03-01). Only a
// column the mapping says holds serials is read this way: "1990" would be
// 1905-06-12 as a serial, and the year 1990 as a date. A fraction that is
// a time of day other than midnight ("36951.5") is an error, as for
// ParseDate; ".0" is accepted. Serial 60, Excel's 29 February 1900, is
// bad_date, since the day does not exist and the cell was never a real
// date; 0 ("1900-01-00") and negative serials are bad_date too.
func ParseExcelSerial(s string) (Date, error) {
	t := strings.TrimSpace(s)
	whole, frac, dot := strings.Cut(t, ".")
	if whole == "" || len(whole) > 6 || !isNumber(whole) || (dot && !isNumber(frac) && frac != "") {
		return Date{}, dateError(s, fmt.Sprintf("is not an Excel serial date (a whole number of days, 1 to %d)", maxExcelSerial))
	}
	if strings.Trim(frac, "0") != "" {
		return Date{}, dateError(s, "is an Excel date with a time of day; give the date alone")
	}
	n := 0
	for i := 0; i < len(whole); i++ {
		n = n*10 + int(whole[i]-'0')
	}
	var d time.Time
	switch {
	case n == 0 || n > maxExcelSerial:
		return Date{}, dateError(s, fmt.Sprintf("is not an Excel serial date (a whole number of days, 1 to %d)", maxExcelSerial))
	case n == 60:
		return Date{}, dateError(s, "is Excel's 29 February 1900, a day that did not exist (Excel's 1900 leap-year bug): check the date in the workbook")
	case n < 60:
		d = excelEarlyEpoch.AddDate(0, 0, n)
	default:
		d = excelEpoch.AddDate(0, 0, n)
	}
	return Date{Year: d.Year(), Month: int(d.Month()), Day: d.Day(), Precision: PrecisionDay}, nil
}
