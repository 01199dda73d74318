package vn

import (
	"testing"

	"golang.org/x/text/unicode/norm"
)

func TestParseDateWords(t *testing.T) {
	day := func(y, m, d int) Date { return Date{Year: y, Month: m, Day: d, Precision: PrecisionDay} }
	tests := []struct {
		name string
		in   string
		opt  DateOptions
		want Date
	}{
		{"full", "ngày 5 tháng 3 năm 2001", DateOptions{}, day(2001, 3, 5)},
		{"zero-padded", "ngày 05 tháng 03 năm 2001", DateOptions{}, day(2001, 3, 5)},
		{"without ngày", "5 tháng 3 năm 2001", DateOptions{}, day(2001, 3, 5)},
		{"capitalised", "Ngày 5 Tháng 3 Năm 2001", DateOptions{}, day(2001, 3, 5)},
		{"upper case", "NGÀY 5 THÁNG 3 NĂM 2001", DateOptions{}, day(2001, 3, 5)},
		{"without diacritics", "ngay 5 thang 3 nam 2001", DateOptions{}, day(2001, 3, 5)},
		{"without diacritics, upper", "NGAY 5 THANG 3 NAM 2001", DateOptions{}, day(2001, 3, 5)},
		{"decomposed (NFD)", norm.NFD.String("ngày 5 tháng 3 năm 2001"), DateOptions{}, day(2001, 3, 5)},
		{"commas and extra spaces", "  ngày 5,  tháng 3, năm 2001 ", DateOptions{}, day(2001, 3, 5)},
		{"month and year", "tháng 3 năm 2001", DateOptions{}, Date{Year: 2001, Month: 3, Precision: PrecisionMonth}},
		{"year", "năm 1950", DateOptions{}, Date{Year: 1950, Precision: PrecisionYear}},
		{"two-digit year, pivot year", "ngày 5 tháng 3 năm 29", DateOptions{PivotYear: 1930}, day(2029, 3, 5)},
		{"two-digit year at the pivot year", "ngày 5 tháng 3 năm 30", DateOptions{PivotYear: 1930}, day(1930, 3, 5)},
		{"leap day", "ngày 29 tháng 2 năm 2000", DateOptions{}, day(2000, 2, 29)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDate(tt.in, tt.opt)
			if err != nil || got != tt.want {
				t.Fatalf("ParseDate(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestParseDateWordsErrors(t *testing.T) {
	tests := []struct {
		name, in, msg string
	}{
		{"no such day", "ngày 31 tháng 4 năm 2001", "30 days"},
		{"29 February of a common year", "ngày 29 tháng 2 năm 2001", "28 days"},
		{"out of order", "tháng 3 ngày 5 năm 2001", "out of order"},
		{"twice", "ngày 5 ngày 6 tháng 3 năm 2001", "out of order"},
		{"day without month", "ngày 5 năm 2001", "no month"},
		{"no number", "ngày tháng 3 năm 2001", "no number after \"ngày\""},
		{"other word", "Hà Tĩnh, ngày 5 tháng 3 năm 2001", "has the word"},
		{"month 13", "ngày 5 tháng 13 năm 2001", "month 13"},
		{"day 0", "ngày 0 tháng 3 năm 2001", "day 0"},
		{"three-digit year", "ngày 5 tháng 3 năm 201", "neither 4 nor 2"},
		{"long day", "ngày 005 tháng 3 năm 2001", "too long"},
		{"placeholder year", "năm 0001", "year 1 "},
		{"two-digit year refused", "ngày 5 tháng 3 năm 01", "two-digit year"},
		{"trailing word", "ngày 5 tháng 3 năm 2001 lúc", "has the word"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opt := DateOptions{}
			if tt.name == "two-digit year refused" {
				opt.Pivot = -1
			}
			got, err := ParseDate(tt.in, opt)
			if err == nil {
				t.Fatalf("ParseDate(%q) = %+v; want a %s error", tt.in, got, ReasonBadDate)
			}
			checkError(t, err, ReasonBadDate, tt.msg)
		})
	}
}

func TestPivotYear(t *testing.T) {
	tests := []struct {
		in        string
		pivotYear int
		want      int
	}{
		{"5/3/01", 1930, 2001},
		{"5/3/29", 1930, 2029},
		{"5/3/30", 1930, 1930},
		{"5/3/99", 1930, 1999},
		{"5/3/00", 1900, 1900},
		{"5/3/99", 1900, 1999},
		{"5/3/49", 1850, 1949},
		{"5/3/50", 1850, 1850},
		{"05.03.01", 2000, 2001},
	}
	for _, tt := range tests {
		got, err := ParseDate(tt.in, DateOptions{PivotYear: tt.pivotYear})
		if err != nil || got.Year != tt.want || got.Month != 3 || got.Day != 5 {
			t.Errorf("ParseDate(%q, pivot year %d) = %+v, %v; want year %d", tt.in, tt.pivotYear, got, err, tt.want)
		}
	}
}

func TestParseExcelSerial(t *testing.T) {
	day := func(y, m, d int) Date { return Date{Year: y, Month: m, Day: d, Precision: PrecisionDay} }
	tests := []struct {
		in   string
		want Date
	}{
		{"1", day(1900, 1, 1)},
		{"59", day(1900, 2, 28)},
		{"61", day(1900, 3, 1)},
		{"36951", day(2001, 3, 1)},
		{"36955", day(2001, 3, 5)},
		{" 45292 ", day(2024, 1, 1)},
		{"45839", day(2025, 7, 1)},
		{"45839.0", day(2025, 7, 1)},
		{"45839.", day(2025, 7, 1)},
		{"182622", day(2399, 12, 31)},
	}
	for _, tt := range tests {
		got, err := ParseExcelSerial(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseExcelSerial(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
	for in, msg := range map[string]string{
		"60":         "1900 leap-year bug",
		"0":          "not an Excel serial",
		"182623":     "not an Excel serial",
		"-5":         "not an Excel serial",
		"45839.5":    "time of day",
		"4.5E+04":    "not an Excel serial",
		"":           "not an Excel serial",
		"05/03/2001": "not an Excel serial",
		"1234567":    "not an Excel serial",
	} {
		got, err := ParseExcelSerial(in)
		if err == nil {
			t.Errorf("ParseExcelSerial(%q) = %+v; want a %s error", in, got, ReasonBadDate)
			continue
		}
		checkError(t, err, ReasonBadDate, msg)
	}
}
