package mapping

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/expr-lang/expr/ast"

	"github.com/lienthong/lienthong/mapping/vn"
	"github.com/lienthong/lienthong/schema"
)

// vnFuncs are the Vietnamese normalisers of package vn.
func vnFuncs() []*fn {
	return []*fn{
		// name() reads its column repaired or refused by frame.column, so it
		// never capitalises mojibake into something that looks like a name
		// ("Nguyôn Thþ").
		{name: "name", usage: "name(s)", sigs: []any{new(sig1)}, text: vn.Name, raw: true, reformats: true},
		{name: "phone", usage: "phone(s) or phone(s, as_of)", sigs: []any{new(sig1), new(sig2)}, prepare: preparePhone, raw: true, verbatim: true},
		{name: "sex", usage: `sex(s) or sex(s, "Nam", "Nữ") (what 1 and 0 mean)`, sigs: []any{new(sig1), new(sig3)}, prepare: prepareSex, raw: true},
		{name: "id", usage: "id(s), id(s, sex) or id(s, sex, date_of_birth)", sigs: []any{new(sig1), new(sig2), new(sig3)}, prepare: prepareID, raw: true, verbatim: true},
		{name: "old_id", usage: "old_id(s)", sigs: []any{new(sig1)}, prepare: prepareOldID, raw: true, verbatim: true},
		{name: "decode", usage: `decode(s, "tcvn3")`, sigs: []any{new(sig2)}, prepare: prepareDecode, raw: true, verbatim: true},
	}
}

// failWith records a normaliser's error for the site; an error that is not
// a vn or units error (there should be none) is a mapping error.
func failWith(f *frame, s *site, err error) {
	var ve *vn.Error
	if errors.As(err, &ve) {
		f.fail(s.slot, ve.Code, ve.Message)
		return
	}
	f.fail(s.slot, schema.ReasonNoMapping, err.Error())
}

// dateLayout is a date pattern a department officer writes (dd/mm/yyyy):
// its fields and separators, and how precise the dates it reads are. Two
// patterns are words, not fields: "excel", a serial number of days as an
// XLSX cell formatted as a number keeps a date, and a pattern in words
// ("ngày d tháng m năm yyyy"), which vn.ParseDate reads.
type dateLayout struct {
	parts     []layoutPart
	precision vn.Precision
	excel     bool
	words     bool
}

// layoutPart is a field of a date pattern (d, dd, m, mm, yy, yyyy) or a
// separator to match as it is.
type layoutPart struct {
	field     byte // 'd', 'm', 'y', or 0 for a separator
	min, max  int  // digits
	separator byte
}

func parseLayout(pattern string) (dateLayout, error) {
	p := strings.ToLower(strings.TrimSpace(pattern))
	l := dateLayout{precision: vn.PrecisionYear}
	if p == "excel" {
		return dateLayout{precision: vn.PrecisionDay, excel: true}, nil
	}
	if words, ok := wordsLayout(pattern); ok {
		return words, nil
	}
	var seen [256]bool
	for i := 0; i < len(p); {
		var part layoutPart
		switch {
		case strings.HasPrefix(p[i:], "yyyy"):
			part, i = layoutPart{field: 'y', min: 4, max: 4}, i+4
		case strings.HasPrefix(p[i:], "yy"):
			part, i = layoutPart{field: 'y', min: 2, max: 2}, i+2
		case strings.HasPrefix(p[i:], "dd"), strings.HasPrefix(p[i:], "mm"):
			part, i = layoutPart{field: p[i], min: 2, max: 2}, i+2
		case p[i] == 'd' || p[i] == 'm':
			part, i = layoutPart{field: p[i], min: 1, max: 2}, i+1
		case p[i] >= utf8.RuneSelf || unicode.IsLetter(rune(p[i])) || unicode.IsDigit(rune(p[i])):
			return l, fmt.Errorf("date pattern %q: use dd, d, mm, m, yyyy or yy with separators, e.g. \"dd/mm/yyyy\", words as \"ngày d tháng m năm yyyy\", or \"excel\" for serial numbers", pattern)
		default:
			part, i = layoutPart{separator: p[i]}, i+1
		}
		if part.field != 0 {
			if seen[part.field] {
				return l, fmt.Errorf("date pattern %q has the %s twice", pattern, map[byte]string{'d': "day", 'm': "month", 'y': "year"}[part.field])
			}
			seen[part.field] = true
		}
		l.parts = append(l.parts, part)
	}
	switch {
	case !seen['y']:
		return l, fmt.Errorf("date pattern %q has no year (yyyy)", pattern)
	case seen['d'] && !seen['m']:
		return l, fmt.Errorf("date pattern %q has a day but no month", pattern)
	case seen['d']:
		l.precision = vn.PrecisionDay
	case seen['m']:
		l.precision = vn.PrecisionMonth
	}
	return l, nil
}

// wordsLayout reads a pattern in words: "ngày d tháng m năm yyyy" (or
// without "ngày"), "tháng m năm yyyy" or "năm yyyy", in any case, with or
// without diacritics. It reports false for any other pattern.
func wordsLayout(pattern string) (dateLayout, bool) {
	var shape []string
	for _, f := range strings.Fields(strings.ReplaceAll(pattern, ",", " ")) {
		if w := vn.DateWord(f); w != 0 {
			shape = append(shape, string(w)+"-word")
			continue
		}
		shape = append(shape, strings.ToLower(f))
	}
	var l dateLayout
	switch strings.Join(shape, " ") {
	case "d-word d m-word m y-word yyyy", "d-word dd m-word mm y-word yyyy", "d m-word m y-word yyyy", "dd m-word mm y-word yyyy",
		"d-word d m-word m y-word yy", "d-word dd m-word mm y-word yy":
		l.precision = vn.PrecisionDay
	case "m-word m y-word yyyy", "m-word mm y-word yyyy":
		l.precision = vn.PrecisionMonth
	case "y-word yyyy":
		l.precision = vn.PrecisionYear
	default:
		return l, false
	}
	l.words = true
	return l, true
}

// parse reads s in the layout: every field its digits, every separator as
// it is, nothing left over; the day must exist in its month. When s has
// the layout's shape but is no date, invalid says why.
func (l dateLayout) parse(s string, opt vn.DateOptions) (d vn.Date, ok bool, invalid string) {
	switch {
	case l.excel:
		if !isSerial(s) {
			return vn.Date{}, false, ""
		}
		d, err := vn.ParseExcelSerial(s)
		if err != nil {
			return vn.Date{}, false, strings.TrimPrefix(err.Error(), fmt.Sprintf("date %q: ", s))
		}
		return d, true, ""
	case l.words:
		if isSerial(s) || !strings.ContainsFunc(s, unicode.IsLetter) {
			return vn.Date{}, false, ""
		}
		d, err := vn.ParseDate(s, opt)
		switch {
		case err != nil:
			return vn.Date{}, false, strings.TrimPrefix(err.Error(), fmt.Sprintf("date %q: ", s))
		case d.Precision != l.precision:
			return vn.Date{}, false, ""
		}
		return d, true, ""
	}
	d = vn.Date{Precision: l.precision}
	twoDigitYear := false
	i := 0
	for _, part := range l.parts {
		if part.field == 0 {
			if i >= len(s) || s[i] != part.separator {
				return vn.Date{}, false, ""
			}
			i++
			continue
		}
		n, start := 0, i
		for i < len(s) && i-start < part.max && s[i] >= '0' && s[i] <= '9' {
			n = n*10 + int(s[i]-'0')
			i++
		}
		if i-start < part.min {
			return vn.Date{}, false, ""
		}
		switch part.field {
		case 'd':
			d.Day = n
		case 'm':
			d.Month = n
		case 'y':
			d.Year, twoDigitYear = n, part.max == 2
		}
	}
	if i != len(s) {
		return vn.Date{}, false, ""
	}
	if twoDigitYear {
		y, ok := opt.FullYear(d.Year)
		if !ok {
			return vn.Date{}, false, "has a two-digit year, which this mapping does not accept"
		}
		d.Year = y
	}
	switch {
	case d.Year < 1800 || d.Year > 2399:
		return vn.Date{}, false, fmt.Sprintf("year %d is outside 1800-2399", d.Year)
	case l.precision >= vn.PrecisionMonth && (d.Month < 1 || d.Month > 12):
		return vn.Date{}, false, fmt.Sprintf("month %d is not 1-12", d.Month)
	case l.precision == vn.PrecisionDay && (d.Day < 1 || d.Day > daysIn(d.Year, d.Month)):
		return vn.Date{}, false, fmt.Sprintf("day %d is not in month %d of %d, which has %d days", d.Day, d.Month, d.Year, daysIn(d.Year, d.Month))
	}
	return d, true, ""
}

// isSerial reports whether s is digits, with an optional fraction: the
// form of an Excel serial number.
func isSerial(s string) bool {
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" {
		return false
	}
	for _, part := range []string{whole, frac} {
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return false
			}
		}
	}
	return true
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// dateOptions reads the options of a date call, a map of constants written
// last: {pivot: 1930} states the hundred years two-digit years fall in
// (1930-2029), as the register's own convention; without it, they fall in
// the hundred years up to the package's reference year (vn.DefaultPivot).
func dateOptions(m *ast.MapNode) (vn.DateOptions, error) {
	var opt vn.DateOptions
	for _, n := range m.Pairs {
		pair, ok := n.(*ast.PairNode)
		if !ok {
			return opt, errors.New("the options are written {pivot: 1930}")
		}
		var key string
		switch k := pair.Key.(type) {
		case *ast.StringNode:
			key = k.Value
		case *ast.IdentifierNode:
			key = k.Value
		}
		switch key {
		case "pivot":
			y, ok := pair.Value.(*ast.IntegerNode)
			if !ok || y.Value < 1800 || y.Value > 2300 {
				return opt, errors.New("pivot is the first year of the hundred years a two-digit year falls in, a number from 1800 to 2300, e.g. {pivot: 1930} for 1930-2029")
			}
			opt.PivotYear = y.Value
		default:
			return opt, fmt.Errorf("unknown option %q: the date options are {pivot: 1930}", key)
		}
	}
	return opt, nil
}

// prepareDate: date(s) reads the forms vn.ParseDate knows; date(s, layout,
// ...) only the layouts given (and ISO, as a date column arrives), tried
// in order. Options in braces, last, state the register's pivot for
// two-digit years: date(s, "d/m/yy", {pivot: 1930}).
func prepareDate(_ *compiler, call *ast.CallNode) (siteFunc, error) {
	var layouts []dateLayout
	var names []string
	var opt vn.DateOptions
	for i := 1; i < len(call.Arguments); i++ {
		if m, ok := call.Arguments[i].(*ast.MapNode); ok {
			if i != len(call.Arguments)-1 {
				return nil, fmt.Errorf("the options (argument %d) come last, after the date patterns", i+1)
			}
			o, err := dateOptions(m)
			if err != nil {
				return nil, err
			}
			opt = o
			continue
		}
		p, ok := constArg(call, i)
		if !ok {
			return nil, fmt.Errorf("the date pattern (argument %d) %v, e.g. \"dd/mm/yyyy\"", i+1, errNotConst)
		}
		l, err := parseLayout(p)
		if err != nil {
			return nil, err
		}
		layouts = append(layouts, l)
		names = append(names, p)
	}
	want := strings.Join(names, " or ")
	return func(f *frame, s *site, a siteArgs) any {
		v := strings.TrimSpace(str(a.at(0)))
		if v == "" {
			return ""
		}
		if layouts == nil {
			d, err := vn.ParseDate(v, opt)
			if err != nil {
				failWith(f, s, err)
				return ""
			}
			return f.dateRead(s, v, d)
		}
		invalid := ""
		for _, l := range layouts {
			d, ok, why := l.parse(v, opt)
			if ok {
				return f.dateRead(s, v, d)
			}
			if invalid == "" {
				invalid = why
			}
		}
		if isISODate(v) {
			d, err := vn.ParseDate(v, vn.DateOptions{})
			if err != nil {
				failWith(f, s, err)
				return ""
			}
			return f.dateRead(s, v, d)
		}
		if invalid != "" {
			f.fail(s.slot, vn.ReasonBadDate, fmt.Sprintf("date %q: %s", v, invalid))
		} else {
			f.fail(s.slot, vn.ReasonBadDate, fmt.Sprintf("date %q is not written %s", v, want))
		}
		return ""
	}, nil
}

// isISODate reports whether s starts as yyyy-mm-dd, the way date and
// timestamp columns arrive.
func isISODate(s string) bool {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	for _, i := range []int{0, 1, 2, 3, 5, 6, 8, 9} {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Full dates of these years are interned: the text of each, boxed, is
// made once per process, so that date() allocates nothing for the dates
// that records hold again and again (a register's dates of birth and of
// registration span a few decades). The years bound the cache to 200 x 372
// entries, a few megabytes at most.
const (
	internFrom = 1900
	internTo   = 2100 // exclusive
)

// dateYear holds the boxed texts of a year's dates, at (month-1)*31 +
// day-1.
type dateYear [12 * 31]atomic.Pointer[any]

var internedDates [internTo - internFrom]atomic.Pointer[dateYear]

// dateText is the date's text (vn.Date.String), boxed.
// dateRead returns a date's text and remembers a partial one with the
// source's text it came from (see frame.partials).
func (f *frame) dateRead(s *site, raw string, d vn.Date) any {
	if d.Precision != vn.PrecisionDay {
		f.partials = append(f.partials, partialRead{slot: s.slot, raw: raw, precision: d.Precision})
	}
	out := dateText(d)
	if out.(string) != raw {
		f.mark(f.reformatted, s.slot)
	}
	return out
}

func dateText(d vn.Date) any {
	if d.Precision != vn.PrecisionDay || d.Year < internFrom || d.Year >= internTo ||
		d.Month < 1 || d.Month > 12 || d.Day < 1 || d.Day > 31 {
		return d.String()
	}
	year := &internedDates[d.Year-internFrom]
	y := year.Load()
	if y == nil {
		y = new(dateYear)
		if !year.CompareAndSwap(nil, y) {
			y = year.Load()
		}
	}
	slot := &y[(d.Month-1)*31+d.Day-1]
	if p := slot.Load(); p != nil {
		return *p
	}
	v := any(d.String())
	slot.Store(&v) // a racing caller may store its own box: either will do
	return v
}

// asOf reads the date a phone number or an administrative unit was written
// down: a date as date() reads it (a partial date is its first day) or a
// timestamp column's value.
func asOf(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	if d, err := vn.ParseDate(s, vn.DateOptions{}); err == nil {
		return time.Date(d.Year, time.Month(max(d.Month, 1)), max(d.Day, 1), 0, 0, 0, 0, time.UTC), true
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, true
	}
	if t, err := time.Parse(time.DateTime, s); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// reformat marks the site's value as rewritten by a normaliser when it
// differs from the source's text, spaces around it aside.
func (f *frame) reformat(s *site, in, out string) {
	if out != in && out != strings.TrimSpace(in) {
		f.mark(f.reformatted, s.slot)
	}
}

func preparePhone(_ *compiler, call *ast.CallNode) (siteFunc, error) {
	return func(f *frame, s *site, a siteArgs) any {
		v := str(a.at(0))
		if blank(v) {
			return ""
		}
		var when time.Time
		if a.n > 1 {
			when, _ = asOf(str(a.at(1)))
		}
		p, err := vn.Phone(v, when)
		if err != nil {
			failWith(f, s, err)
			return ""
		}
		f.reformat(s, v, p)
		return p
	}, nil
}

// Boxed once: the normalisers' common results need no allocation.
var (
	boxM any = "M"
	boxF any = "F"
)

func prepareSex(_ *compiler, call *ast.CallNode) (siteFunc, error) {
	for i := 1; i < len(call.Arguments); i++ {
		if code, ok := constArg(call, i); ok && code != "" {
			if _, err := vn.Sex(code, "", ""); err != nil {
				return nil, fmt.Errorf("what %d means (argument %d): %q is not a sex: want Nam, Nữ, M or F", 2-i, i+1, code)
			}
		}
	}
	return func(f *frame, s *site, a siteArgs) any {
		v := str(a.at(0))
		if blank(v) {
			return ""
		}
		var one, zero string
		if a.n == 3 {
			one, zero = str(a.at(1)), str(a.at(2))
		}
		sx, err := vn.Sex(v, one, zero)
		if err != nil {
			failWith(f, s, err)
			return ""
		}
		f.reformat(s, v, sx)
		if sx == "M" {
			return boxM
		}
		return boxF
	}, nil
}

func prepareID(_ *compiler, call *ast.CallNode) (siteFunc, error) {
	return func(f *frame, s *site, a siteArgs) any {
		v := str(a.at(0))
		if blank(v) {
			return ""
		}
		id, err := vn.ParseID(strings.TrimSpace(v))
		if err != nil {
			failWith(f, s, err)
			return ""
		}
		var sex string
		var dob vn.Date
		if a.n > 1 {
			sex = strings.TrimSpace(str(a.at(1)))
			if sex != "" && sex != "M" && sex != "F" {
				// A raw sex column: its own field reports it if unreadable.
				sex, _ = vn.Sex(sex, "", "")
			}
		}
		if a.n > 2 {
			if d := strings.TrimSpace(str(a.at(2))); d != "" {
				dob, _ = vn.ParseDate(d, vn.DateOptions{})
			}
		}
		if err := id.Check(dob, sex); err != nil {
			failWith(f, s, err)
			return ""
		}
		if id.Number == v {
			return a.at(0)
		}
		f.reformat(s, v, id.Number)
		return id.Number
	}, nil
}

func prepareOldID(_ *compiler, call *ast.CallNode) (siteFunc, error) {
	return func(f *frame, s *site, a siteArgs) any {
		v := strings.TrimSpace(str(a.at(0)))
		if v == "" {
			return ""
		}
		if !vn.IsOldIDCard(v) {
			f.fail(s.slot, vn.ReasonIDFormat, fmt.Sprintf("old id card %s: want the 9 digits of a CMND", vn.Visible(v)))
			return ""
		}
		out := digits(v)
		f.reformat(s, v, out)
		return out
	}, nil
}

func prepareDecode(_ *compiler, call *ast.CallNode) (siteFunc, error) {
	name, ok := constArg(call, 1)
	if !ok {
		return nil, fmt.Errorf("the encoding (second argument) %v, e.g. decode(ho_ten, \"tcvn3\")", errNotConst)
	}
	enc, err := vn.ParseEncoding(name)
	if err != nil {
		return nil, err
	}
	return func(f *frame, s *site, a siteArgs) any {
		// Bytes (a binary column) are the legacy text raw; a string may be
		// raw too, or misread as Windows-1252 or Latin-1 on its way into
		// a Unicode column, which vn.DecodeText undoes.
		var out string
		var err error
		if b, ok := a.at(0).([]byte); ok {
			if len(b) == 0 {
				return ""
			}
			out, err = vn.Decode(enc, b)
		} else {
			v := str(a.at(0))
			if v == "" {
				return ""
			}
			out, err = vn.DecodeText(enc, v)
		}
		if err != nil {
			failWith(f, s, err)
			return ""
		}
		if out != str(a.at(0)) {
			f.markRepaired(s.slot)
		}
		return out
	}, nil
}
