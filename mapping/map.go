package mapping

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/expr-lang/expr/vm"
	"golang.org/x/text/unicode/norm"

	"github.com/lienthong/lienthong/mapping/vn"
	"github.com/lienthong/lienthong/schema"
)

// Result is what became of one source record.
type Result struct {
	// Record is the common-schema record; with violations, it holds the
	// fields that mapped.
	Record schema.Record
	// Violations are every reason the record cannot be delivered: the
	// mapping's (a normaliser failed, a reject condition held) and the
	// schema's. None means the record is valid.
	Violations []schema.Violation
	// Skipped is the reason of the skip condition that held, "" if none:
	// the record is left out on purpose, neither delivered nor rejected.
	Skipped string
	// Repaired are the fields of Record whose value was made from text
	// that was repaired: legacy Vietnamese misread into a Unicode column
	// (see vn.RepairText), or decoded by decode(). Reformatted are the
	// fields whose value a normaliser (name, date, phone, id, old_id, sex,
	// email) wrote differently from the source. Both index the kind's
	// fields.
	Repaired, Reformatted FieldSet
}

// FieldSet is a set of a record kind's fields, by their index in
// schema.Kind.Fields. A kind has at most 64 fields (TestKindsFitFieldSet).
type FieldSet uint64

// Has reports whether field i is in the set.
func (s FieldSet) Has(i int) bool { return i < 64 && s&(1<<i) != 0 }

// frame is the state of one record's evaluation: the environment the
// compiled program runs in. Frames are pooled, so a Mapper serves
// concurrent callers without locks and without allocating per record.
type frame struct {
	// src is the source record; or, when bind is not nil, row is, with
	// the value of Mapper.columns[i] at row[bind[i]] (none for -1).
	src   map[string]any
	row   []any
	bind  []int
	fails []failure
	// vals are the values of the record program's elements, which it puts
	// here as it computes them; lets the values of its lets, when the
	// evaluator runs it.
	vals []any
	lets []any
	vm   vm.VM
	// scratch holds the arguments of a variadic function during its call
	// (siteArgs.slice); stack the first arguments of calls with more than
	// two dynamic ones (siteCall). Functions do not call back into the
	// program, so one of each serves every call.
	scratch []any
	stack   []any
	// partials are the partial dates date() read in this record, so that
	// a field that needs a full date is refused quoting the value as the
	// source wrote it ("00/00/2016"), not as it became ("2016").
	partials []partialRead
	// repaired and reformatted are bit sets of slots: a column a slot
	// read was repaired, a normaliser the slot called rewrote its value.
	// marked says a bit is set.
	repaired, reformatted []uint64
	marked                bool
	anyRepaired           bool
}

// mark sets the slot's bit in set (f.repaired or f.reformatted).
func (f *frame) mark(set []uint64, slot int) {
	set[slot/64] |= 1 << (slot % 64)
	f.marked = true
}

// markRepaired marks the slot's value as made from repaired text; Map
// looks for such marks only when there is one.
func (f *frame) markRepaired(slot int) {
	f.mark(f.repaired, slot)
	f.anyRepaired = true
}

// unmark clears the marks of the record before.
func (f *frame) unmark() {
	if f.marked {
		clear(f.repaired)
		clear(f.reformatted)
		f.marked, f.anyRepaired = false, false
	}
}

// marked reports whether set holds the slot or a let it uses, as failed
// finds failures.
func (m *Mapper) marked(set []uint64, slot int) bool {
	if set[slot/64]&(1<<(slot%64)) != 0 {
		return true
	}
	for _, d := range m.deps[slot] {
		if set[d/64]&(1<<(d%64)) != 0 {
			return true
		}
	}
	return false
}

// partialRead is a partial date read from a source's text in a slot.
type partialRead struct {
	slot      int
	raw       string
	precision vn.Precision
}

// failure is a normaliser failure (or a missing column) in a slot.
type failure struct {
	slot      int
	code, msg string
}

func (f *frame) fail(slot int, code, msg string) {
	f.fails = append(f.fails, failure{slot, code, msg})
}

// failed returns the first failure of the slot or of a let it uses.
func (m *Mapper) failed(f *frame, slot int) *failure {
	for i := range f.fails {
		x := &f.fails[i]
		if x.slot == slot {
			return x
		}
		if _, uses := slices.BinarySearch(m.deps[slot], x.slot); uses {
			return x
		}
	}
	return nil
}

// column reads a source column as text, for the site s. Text that is
// legacy Vietnamese misread into a Unicode column, or raw legacy bytes,
// is repaired when its reading is certain, and fails the site as
// encoding_suspect when it is not (vn.RepairText), unless the function
// reading it wants it verbatim (decode, and the functions that read only
// digits).
func (f *frame) column(s *site, c colArg) any {
	var v any
	var ok bool
	if f.bind == nil {
		v, ok = f.src[c.name]
	} else if c.col >= 0 {
		if j := f.bind[c.col]; j >= 0 && j < len(f.row) {
			v, ok = f.row[j], true
		}
	}
	if !ok {
		f.fail(s.slot, schema.ReasonNoMapping, fmt.Sprintf("source column %q is missing from the record: check the column names the mapping uses", c.name))
		return ""
	}
	if !c.verbatim {
		var t string
		switch x := v.(type) {
		case string:
			t = x
		case []byte:
			t = string(x)
		}
		if t != "" {
			out, from, err := vn.RepairText(t)
			switch {
			case err != nil:
				code := schema.ReasonEncoding
				if ve := (*vn.Error)(nil); errors.As(err, &ve) {
					code = ve.Code
				}
				f.fail(s.slot, code, fmt.Sprintf("column %s: %s", c.name, err.Error()))
				return ""
			case from != "":
				f.markRepaired(s.slot)
				return out
			}
		}
	}
	if c.raw {
		if _, isText := v.(string); isText {
			return v
		}
	}
	return columnText(v)
}

// columnText is a column's value as text, in NFC when it is valid UTF-8
// (bytes that are not stay as they are, for decode). A text value that
// needs no change is returned in its own box.
func columnText(v any) any {
	switch x := v.(type) {
	case string:
		if isNFC(x) {
			return v
		}
		return norm.NFC.String(x)
	case nil:
		return ""
	case time.Time:
		// A date column arrives as midnight: write the date alone, as
		// date() reads it; a timestamp keeps its time and zone.
		if h, mi, sec := x.Clock(); h == 0 && mi == 0 && sec == 0 && x.Nanosecond() == 0 {
			return x.Format(time.DateOnly)
		}
	}
	s := text(v)
	if isNFC(s) {
		return s
	}
	return norm.NFC.String(s)
}

// isNFC reports whether s needs no normalisation: NFC already, or not
// valid UTF-8 (left alone, for decode). Letters below U+0300 (lead bytes
// 0xC2-0xCB) and the precomposed Vietnamese letters U+1E00-U+1EFF (0xE1
// 0xB8-0xBB) are NFC whatever surrounds them, since only a combining mark
// (from U+0300) composes with what precedes it; text with any other letter
// asks package norm. Invalid UTF-8 the scan passes over is left as it is
// either way.
func isNFC(s string) bool {
	for i := 0; i < len(s); {
		if i+8 <= len(s) && load8(s, i)&0x8080808080808080 == 0 {
			i += 8 // eight ASCII bytes at once: most of most texts
			continue
		}
		c := s[i]
		switch {
		case c < utf8.RuneSelf:
			i++
		case c >= 0xC2 && c <= 0xCB:
			i += 2
		case c == 0xE1 && i+1 < len(s) && s[i+1] >= 0xB8 && s[i+1] <= 0xBB:
			i += 3
		default:
			return !utf8.ValidString(s) || norm.NFC.IsNormalString(s)
		}
	}
	return true
}

// load8 reads the eight bytes of s from i as one word (the compiler makes
// it one load).
func load8(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// Map makes a common-schema record from a source record and validates it.
// It never fails: every problem of the record is a Violation, each naming
// its field, so a department sees them all at once. The schema's rules
// about the present (no date after today) take today from the clock;
// MapAt takes it from the caller.
func (m *Mapper) Map(src map[string]any) Result { return m.MapAt(src, time.Now()) }

// MapAt is Map on the day now is in Vietnam, for the schema's rules about
// the present (schema.Kind.ValidateAt): the engine passes the clock, tests
// a fixed time.
func (m *Mapper) MapAt(src map[string]any, now time.Time) Result {
	return m.MapInto(nil, src, now)
}

// MapInto is MapAt writing the record's fields into data, an empty map
// the caller hands over, or a new map when data is nil: a caller that maps
// many records reuses the maps of the records it is done with, which saves
// making a map per record, most of a record's allocation. The result's
// Record.Data is data unless the record was skipped.
func (m *Mapper) MapInto(data, src map[string]any, now time.Time) Result {
	if data == nil {
		// Sized for the values there are, once they are known: 15 take a
		// table of 32 slots, 14 one of 16.
		return m.mapRecord(nil, true, nil, source{src: src}, now)
	}
	return m.mapRecord(data, false, nil, source{src: src}, now)
}

// MapFields is MapAt writing the record's fields into fields by their
// index in Kind.Fields (nil for a field without a value), the form
// schema.Kind.ValidateFields and CanonicalFields take, and making no map:
// the result's Record.Data is nil. fields must have len(Kind.Fields)
// values; they are all overwritten. A caller that passes records on as
// these values saves the map's writes and every lookup of a field by name
// after them.
func (m *Mapper) MapFields(fields []any, src map[string]any, now time.Time) Result {
	if len(fields) != len(m.Kind.Fields) {
		panic(fmt.Sprintf("mapping: %d values for the %d fields of %s", len(fields), len(m.Kind.Fields), m.Kind.Name))
	}
	clear(fields)
	return m.mapRecord(nil, false, fields, source{src: src}, now)
}

// Bind returns what MapRow needs to read a source's rows: for each column
// the mapping reads (Columns, in that order), its index in cols, the
// source's columns in the order its rows hold their values, or -1 when
// cols lacks it. A source binds once, not per row.
func (m *Mapper) Bind(cols []string) []int {
	bind := make([]int, len(m.columns))
	for i, name := range m.columns {
		bind[i] = slices.Index(cols, name)
	}
	return bind
}

// MapRow is MapFields reading a source record given as a row of values,
// row[j] the value of column j of the columns Bind was given, rather than
// as a map: it looks no column up by name. A column that those columns
// lack, or that is past the end of row, is missing from the record, as a
// key missing from MapFields' map is.
func (m *Mapper) MapRow(fields []any, row []any, bind []int, now time.Time) Result {
	if len(fields) != len(m.Kind.Fields) {
		panic(fmt.Sprintf("mapping: %d values for the %d fields of %s", len(fields), len(m.Kind.Fields), m.Kind.Name))
	}
	if len(bind) != len(m.columns) {
		panic(fmt.Sprintf("mapping: a binding of %d columns for a mapping that reads %d (use Bind)", len(bind), len(m.columns)))
	}
	clear(fields)
	return m.mapRecord(nil, false, fields, source{row: row, bind: bind}, now)
}

// source is a source record, as a map or as a bound row (see frame).
type source struct {
	src  map[string]any
	row  []any
	bind []int
}

// mapRecord maps a source record into data, into a new map when newMap,
// or, when out is not nil, into out by field index without a map.
func (m *Mapper) mapRecord(data map[string]any, newMap bool, out []any, in source, now time.Time) Result {
	f := m.frames.Get().(*frame)
	f.src, f.row, f.bind = in.src, in.row, in.bind
	f.fails, f.stack, f.partials = f.fails[:0], f.stack[:0], f.partials[:0]
	f.unmark()
	defer func() {
		f.src, f.row, f.bind = nil, nil, nil
		clear(f.vals)
		clear(f.lets)
		m.frames.Put(f)
	}()
	vals := m.run(f)

	for _, i := range m.skips {
		e := &m.elements[i]
		if vals[i] == true && m.failed(f, e.slot) == nil {
			return Result{Record: schema.Record{Kind: m.Kind.Name}, Skipped: e.reason}
		}
	}
	// The fields' values, by the kind's field index, for data and for the
	// schema's checks: a local array for kinds of up to 32 fields (all there
	// are), since writes to it need no write barrier.
	var local [32]any
	wide := out
	if wide == nil && len(m.Kind.Fields) > len(local) {
		wide = make([]any, len(m.Kind.Fields))
	}
	var vs []schema.Violation
	var repaired, reformatted FieldSet
	failedFields, present := 0, 0
	for _, i := range m.fields {
		e := &m.elements[i]
		if len(f.fails) > 0 {
			if x := m.failed(f, e.slot); x != nil {
				vs = append(vs, schema.Violation{Field: e.field, Code: x.code, Message: e.field + ": " + x.msg})
				failedFields++
				continue
			}
		}
		var v any
		if e.number != "" {
			v = number(vals[i], e.number)
		} else {
			switch x := vals[i].(type) {
			case string:
				if t := strings.TrimSpace(x); len(t) == len(x) {
					v = vals[i] // its box: no allocation
				} else {
					v = t
				}
			case nil:
			default:
				v = strings.TrimSpace(text(x))
			}
		}
		if v == nil || v == "" {
			continue
		}
		if f.marked && e.index < 64 {
			if f.anyRepaired && m.marked(f.repaired, e.slot) {
				repaired |= 1 << e.index
			}
			if m.marked(f.reformatted, e.slot) {
				reformatted |= 1 << e.index
			}
		}
		if wide != nil {
			wide[e.index] = v
		} else {
			local[e.index] = v
		}
		present++
	}
	fields := wide
	if fields == nil {
		fields = local[:len(m.Kind.Fields)]
	}
	if newMap {
		data = make(map[string]any, present)
	}
	if data != nil {
		for j, v := range fields {
			if v != nil {
				data[m.Kind.Fields[j].Name] = v
			}
		}
	}
	for _, i := range m.rejects {
		e := &m.elements[i]
		if vals[i] != true || (len(f.fails) > 0 && m.failed(f, e.slot) != nil) {
			continue
		}
		if !hasViolation(vs, e.field, e.reason) {
			vs = append(vs, schema.Violation{Field: e.field, Code: e.reason, Message: m.message(f, e)})
		}
	}
	rec := schema.Record{Kind: m.Kind.Name, Data: data}
	schemaVs := m.Kind.ValidateFieldsAt(fields, now)
	if len(f.partials) > 0 {
		m.explainPartial(f, schemaVs)
	}
	if len(vs) == 0 {
		return Result{Record: rec, Violations: schemaVs, Repaired: repaired, Reformatted: reformatted}
	}
	// A field whose mapping failed is absent from data: the schema must
	// not report it again as missing.
	for _, v := range schemaVs {
		if !hasField(vs[:failedFields], v.Field) && !hasViolation(vs, v.Field, v.Code) {
			vs = append(vs, v)
		}
	}
	return Result{Record: rec, Violations: vs, Repaired: repaired, Reformatted: reformatted}
}

// explainPartial rewrites the schema's bad_date violations of fields that
// need a full date but got a partial one from date(): the message quotes
// the source's value and says the record kind needs day, month and year,
// rather than quoting the year the value became.
func (m *Mapper) explainPartial(f *frame, vs []schema.Violation) {
	for k := range vs {
		v := &vs[k]
		if v.Code != schema.ReasonBadDate {
			continue
		}
		for _, i := range m.fields {
			e := &m.elements[i]
			if e.field != v.Field || m.Kind.Fields[e.index].Partial {
				continue
			}
			p := m.partialOf(f, e.slot)
			if p == nil {
				continue
			}
			what := "a year without day and month"
			if p.precision == vn.PrecisionMonth {
				what = "a month and year without a day"
			}
			fd := &m.Kind.Fields[e.index]
			v.Message = fmt.Sprintf("%s (%s) %q is %s: a %s needs a full date (day, month and year)", fd.Name, fd.Label, p.raw, what, m.Kind.Name)
		}
	}
}

// partialOf returns the partial date read in a slot or in a let it uses.
func (m *Mapper) partialOf(f *frame, slot int) *partialRead {
	for i := range f.partials {
		p := &f.partials[i]
		if p.slot == slot {
			return p
		}
		if _, uses := slices.BinarySearch(m.deps[slot], p.slot); uses {
			return p
		}
	}
	return nil
}

func hasField(vs []schema.Violation, field string) bool {
	for _, v := range vs {
		if v.Field == field {
			return true
		}
	}
	return false
}

func hasViolation(vs []schema.Violation, field, code string) bool {
	for _, v := range vs {
		if v.Field == field && v.Code == code {
			return true
		}
	}
	return false
}

// run evaluates the record program, with the evaluator when it covers the
// program. When it fails at run time (a division by zero, a text past
// maxText), it evaluates each element on its own so that the failure stays
// with the element whose expression failed.
func (m *Mapper) run(f *frame) []any {
	if m.eval != nil {
		if m.eval.run(f) {
			return f.vals
		}
	} else if _, err := f.vm.Run(m.prog, f); err == nil {
		return f.vals
	}
	f.fails, f.partials = f.fails[:0], f.partials[:0]
	f.unmark()
	vals := f.vals
	clear(vals)
	for i, p := range m.each {
		f.stack = f.stack[:0]
		out, err := f.vm.Run(p, f)
		if err == nil {
			if one, ok := out.([]any); ok && len(one) == 1 {
				vals[i] = one[0]
				continue
			}
		}
		msg := "the expression failed"
		if err != nil {
			msg += ": " + firstLine(err.Error())
		}
		f.fail(m.elements[i].slot, schema.ReasonNoMapping, msg)
	}
	return vals
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return strings.TrimSpace(s[:i])
	}
	return s
}

// message renders a reject's message; its placeholders are evaluated only
// now, for a record the condition rejects.
func (m *Mapper) message(f *frame, e *element) string {
	prefix := ""
	if e.field != "" {
		prefix = e.field + ": "
	}
	if len(e.message) == 0 {
		return fmt.Sprintf("%sthe mapping rejects the record (%s: %s)", prefix, e.key, strings.TrimSpace(e.when))
	}
	var vals []any
	if e.msgProg != nil {
		n := len(f.fails)
		out, err := f.vm.Run(e.msgProg, f)
		f.fails = f.fails[:n] // a placeholder's failure is not the record's
		if err == nil {
			vals, _ = out.([]any)
		}
	}
	var b strings.Builder
	b.WriteString(prefix)
	for _, part := range e.message {
		if part.placeholder < 0 {
			b.WriteString(part.text)
			continue
		}
		if part.placeholder < len(vals) {
			b.WriteString(text(vals[part.placeholder]))
		} else {
			b.WriteString("?")
		}
	}
	return b.String()
}

// number turns a field's result into the number a numeric schema field
// holds. Text is parsed as written (digits, an optional sign and decimal
// point: "750000", "12.5"); text that is not a number is kept as it is, so
// validation rejects it naming the value. Clean formatted amounts first,
// e.g. digits("750.000 đ").
func number(v any, t schema.Type) any {
	var s string
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		s = strings.TrimSpace(x)
	case int64, float64:
		return x
	case int:
		return int64(x)
	default:
		s = strings.TrimSpace(text(v))
	}
	if s == "" {
		return nil
	}
	if t == schema.Integer {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n
		}
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
		if t == schema.Integer && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return int64(f)
		}
		return f
	}
	return s
}
