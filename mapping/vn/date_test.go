package vn

import "testing"

func TestParseDate(t *testing.T) {
	day := func(y, m, d int) Date { return Date{Year: y, Month: m, Day: d, Precision: PrecisionDay} }
	tests := []struct {
		name string
		in   string
		opt  DateOptions
		want Date
		str  string
	}{
		{"dd/mm/yyyy", "01/05/1950", DateOptions{}, day(1950, 5, 1), "1950-05-01"},
		{"d/m/yyyy", "1/5/1950", DateOptions{}, day(1950, 5, 1), "1950-05-01"},
		{"dd-mm-yyyy", "15-08-1988", DateOptions{}, day(1988, 8, 15), "1988-08-15"},
		{"dd.mm.yyyy", "02.09.1945", DateOptions{}, day(1945, 9, 2), "1945-09-02"},
		{"yyyy-mm-dd", "1990-04-30", DateOptions{}, day(1990, 4, 30), "1990-04-30"},
		{"yyyy/mm/dd", "1990/04/30", DateOptions{}, day(1990, 4, 30), "1990-04-30"},
		{"leap day", "29/02/2020", DateOptions{}, day(2020, 2, 29), "2020-02-29"},
		{"leap day 2000", "29/02/2000", DateOptions{}, day(2000, 2, 29), "2000-02-29"},
		{"surrounding spaces", "  12/03/1988 ", DateOptions{}, day(1988, 3, 12), "1988-03-12"},
		{"export midnight", "1990-05-01 00:00:00", DateOptions{}, day(1990, 5, 1), "1990-05-01"},
		{"ISO midnight", "1990-05-01T00:00:00.000", DateOptions{}, day(1990, 5, 1), "1990-05-01"},
		{"Excel midnight", "01/05/1990 00:00", DateOptions{}, day(1990, 5, 1), "1990-05-01"},
		{"unknown day and month", "00/00/1950", DateOptions{}, Date{Year: 1950, Precision: PrecisionYear}, "1950"},
		{"unknown day", "00/05/1950", DateOptions{}, Date{Year: 1950, Month: 5, Precision: PrecisionMonth}, "1950-05"},
		{"year only", "1950", DateOptions{}, Date{Year: 1950, Precision: PrecisionYear}, "1950"},
		{"month and year", "05/1950", DateOptions{}, Date{Year: 1950, Month: 5, Precision: PrecisionMonth}, "1950-05"},
		{"unknown month of a year", "00/1950", DateOptions{}, Date{Year: 1950, Precision: PrecisionYear}, "1950"},
		{"ISO month", "1950-05", DateOptions{}, Date{Year: 1950, Month: 5, Precision: PrecisionMonth}, "1950-05"},
		{"two-digit year, default pivot, last century", "12/03/88", DateOptions{}, day(1988, 3, 12), "1988-03-12"},
		{"two-digit year, default pivot, this century", "12/03/05", DateOptions{}, day(2005, 3, 12), "2005-03-12"},
		{"two-digit year at the pivot", "12/03/27", DateOptions{}, day(1927, 3, 12), "1927-03-12"},
		{"two-digit year below the pivot", "12/03/26", DateOptions{}, day(2026, 3, 12), "2026-03-12"},
		{"pivot set by the mapping", "12/03/20", DateOptions{Pivot: 15}, day(1920, 3, 12), "1920-03-12"},
		{"pivot 100: all this century", "12/03/99", DateOptions{Pivot: 100}, day(2099, 3, 12), "2099-03-12"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDate(tt.in, tt.opt)
			if err != nil || got != tt.want {
				t.Fatalf("ParseDate(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			}
			if s := got.String(); s != tt.str {
				t.Errorf("ParseDate(%q).String() = %q; want %q", tt.in, s, tt.str)
			}
		})
	}
}

func TestParseDateErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		opt  DateOptions
		msg  string
	}{
		{"31 February, never March", "31/02/2020", DateOptions{}, "day 31"},
		{"29 February of a common year", "29/02/2019", DateOptions{}, "28 days"},
		{"29 February 1900", "29/02/1900", DateOptions{}, "28 days"},
		{"31 April", "31/04/1990", DateOptions{}, "30 days"},
		{"month first", "05/31/1990", DateOptions{}, "month 31"},
		{"month 13", "13/13/1990", DateOptions{}, "month 13"},
		{"day without month", "15/00/1990", DateOptions{}, "no month"},
		{"null placeholder", "00/00/0000", DateOptions{}, "year 0"},
		{".NET minimum", "01/01/0001", DateOptions{}, "year 1 "},
		{"no end date", "31/12/9999", DateOptions{}, "year 9999"},
		{"UTC instant", "1990-04-30T17:00:00Z", DateOptions{}, "time of day"},
		{"afternoon", "01/05/1990 14:30", DateOptions{}, "time of day"},
		{"mixed separators", "01/05-1990", DateOptions{}, "mixes"},
		{"words without a year", "ngày 1 tháng 5", DateOptions{}, "no year"},
		{"empty", "", DateOptions{}, "not a date"},
		{"trailing separator", "01/05/", DateOptions{}, "not a date"},
		{"four parts", "01/05/19/90", DateOptions{}, "not a date"},
		{"compact digits", "19900501", DateOptions{}, "longer than 4"},
		{"three-digit year", "01/05/990", DateOptions{}, "not a date"},
		{"two-digit year refused", "12/03/88", DateOptions{Pivot: -1}, "two-digit year"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDate(tt.in, tt.opt)
			if err == nil {
				t.Fatalf("ParseDate(%q) = %+v; want a %s error", tt.in, got, ReasonBadDate)
			}
			checkError(t, err, ReasonBadDate, tt.msg)
		})
	}
}

func TestDateStringZero(t *testing.T) {
	if s := (Date{}).String(); s != "" {
		t.Errorf("Date{}.String() = %q; want empty", s)
	}
}
