package mapping

import (
	"testing"

	"github.com/lienthong/lienthong/mapping/vn"
)

// FuzzDateLayout: any pattern a mapping may state, on any value: a layout
// that loads reads only real dates, which read back the same, and gives a
// reason for a value of its shape that is no date.
func FuzzDateLayout(f *testing.F) {
	for _, c := range [][2]string{
		{"dd/mm/yyyy", "05/03/2001"}, {"d/m/yy", "5/3/01"}, {"dd.mm.yyyy", "05.03.2001"}, {"excel", "36951"}, {"excel", "60"},
		{"ngày d tháng m năm yyyy", "ngày 5 tháng 3 năm 2001"}, {"tháng m năm yyyy", "thang 3 nam 2001"}, {"năm yyyy", "năm 1950"},
		{"yyyy-mm", "2001-03"}, {"mm/yyyy", "13/2001"}, {"excel", "45839.5"},
	} {
		f.Add(c[0], c[1], 1930)
	}
	f.Fuzz(func(t *testing.T, pattern, value string, pivot int) {
		l, err := parseLayout(pattern)
		if err != nil {
			return
		}
		opt := vn.DateOptions{PivotYear: 1800 + (pivot%500+500)%500}
		d, ok, why := l.parse(value, opt)
		if !ok {
			_ = why
			return
		}
		if d.Year < 1800 || d.Year > 2399 || d.Precision != l.precision {
			t.Fatalf("%q in %q = %+v: out of range or not the layout's precision %d", value, pattern, d, l.precision)
		}
		if d.Precision >= vn.PrecisionMonth && (d.Month < 1 || d.Month > 12) ||
			d.Precision == vn.PrecisionDay && (d.Day < 1 || d.Day > daysIn(d.Year, d.Month)) {
			t.Fatalf("%q in %q = %+v: no such day", value, pattern, d)
		}
		again, err := vn.ParseDate(d.String(), vn.DateOptions{})
		if err != nil || again != d {
			t.Fatalf("%q in %q = %+v; its String %q reads back as %+v, %v", value, pattern, d, d.String(), again, err)
		}
	})
}
