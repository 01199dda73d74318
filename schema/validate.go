package schema

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Validate checks a record against its kind and returns every violation: the
// fields' own checks in field order, then fields the kind does not define,
// then the kind's cross-field rules. A nil result means the record is valid.
//
// A field whose value is nil or blank text is absent, as it is for
// Canonical; what remains must be valid against the kind's JSON Schema.
// Validate allocates nothing for a valid record.
//
// Rules about the present (no date of birth after today) take today from
// the clock; ValidateAt takes it from the caller.
func (k *Kind) Validate(data map[string]any) []Violation { return k.ValidateAt(data, time.Now()) }

// ValidateAt is Validate on the day now is in Vietnam: a date after that
// day, of something that has happened (a birth, a registration), is
// date_in_future. Tests pass a fixed time; the engine passes time.Now. A
// zero now is the year 1, when every date would be in the future.
func (k *Kind) ValidateAt(data map[string]any, now time.Time) []Violation {
	return k.validate(data, today(now))
}

// ValidateFields checks a record given as its fields' values: fields[i] is
// the value of k.Fields[i], nil for none, and a shorter fields leaves the
// fields past its end without a value. It returns what Validate returns
// for the record whose data holds these values (such a record has no field
// the kind does not define). It is for code that makes records field by
// field, as a mapping does: it saves a map lookup per field. It panics if
// fields is longer than k.Fields.
func (k *Kind) ValidateFields(fields []any) []Violation {
	return k.ValidateFieldsAt(fields, time.Now())
}

// ValidateFieldsAt is ValidateFields on the day now is in Vietnam (see
// ValidateAt).
func (k *Kind) ValidateFieldsAt(fields []any, now time.Time) []Violation {
	if len(fields) > len(k.Fields) {
		panic(fmt.Sprintf("schema: %d values for the %d fields of %s", len(fields), len(k.Fields), k.Name))
	}
	return k.validateFields(fields, nil, today(now))
}

// validate checks a record on the day today (YYYY-MM-DD), with the kind's
// cross-field rules or, when today is "" (the tests that compare it with
// a JSON Schema validator), without them.
func (k *Kind) validate(data map[string]any, today string) []Violation {
	var (
		fields [maxFields]any
		seen   int
	)
	for i := range k.Fields {
		v, present := data[k.Fields[i].Name]
		if present {
			seen++
		}
		fields[i] = v
	}
	var unknown map[string]any
	if seen < len(data) {
		unknown = data
	}
	return k.validateFields(fields[:len(k.Fields)], unknown, today)
}

// validateFields checks a record's fields (fields[i] is the value of
// Fields[i]); unknown, when not nil, is the record's data, which has
// fields the kind does not define. The cross-field rules run when today
// is not "". One function, so that what the rules see stays in a local
// variable: writes to it need no write barrier.
func (k *Kind) validateFields(fields []any, unknown map[string]any, today string) []Violation {
	var (
		vs   []Violation
		vals values
	)
	vals.today = today
	for i := range k.Fields {
		var v any
		if i < len(fields) {
			v = fields[i]
		}
		if absent(v) {
			if k.Fields[i].Required {
				vs = append(vs, k.required(i))
			}
			continue
		}
		vals.present |= 1 << i
		if f := k.checks[i].check(v); f != pass {
			vs = append(vs, k.violation(i, v, f))
			continue
		}
		vals.valid[i], _ = v.(string)
	}
	if unknown != nil {
		vs = k.unknown(unknown, vs)
	}
	if today != "" {
		for i := range k.rules {
			vs = k.rules[i].check(k, &vals, vs)
		}
	}
	return vs
}

// values is what cross-field rules see of a record: the text of each field
// that is present and passed its own checks, and which fields are present.
type values struct {
	valid   [maxFields]string
	present uint64
	// today is the day of validation in Vietnam, YYYY-MM-DD.
	today string
}

// absent reports whether a value counts as no value: nil or blank text.
func absent(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		// Most values start with a printable ASCII byte: skip the trim.
		return x == "" || (x[0] <= ' ' || x[0] >= utf8.RuneSelf) && strings.TrimSpace(x) == ""
	}
	return false
}

func (k *Kind) required(i int) Violation {
	f := &k.Fields[i]
	return Violation{f.Name, ReasonRequired, fmt.Sprintf("%s (%s) is required", f.Name, f.Label)}
}

// violation describes a value that failed its field's checks.
func (k *Kind) violation(i int, v any, fail failure) Violation {
	f := &k.Fields[i]
	n := k.checks[i]
	code := ReasonBadFormat
	switch f.Type {
	case Date:
		code = ReasonBadDate
	case IDNumber, OldIDNumber, IDNumberOrCMND:
		code = ReasonBadID
	case Phone:
		code = ReasonBadPhone
	case Email:
		code = ReasonBadEmail
	case Enum:
		code = ReasonBadValue
	case Integer, Number:
		if fail == failRange {
			code = ReasonBadValue
		}
	}
	var msg string
	switch fail {
	case failType:
		msg = fmt.Sprintf("%s (%s) must be %s, got %s", f.Name, f.Label, f.Rule, describe(v))
	case failTooLong:
		msg = fmt.Sprintf("%s (%s) is %d characters long; at most %d are allowed", f.Name, f.Label, utf8.RuneCountInString(v.(string)), n.maxLen)
	case failTooShort:
		msg = fmt.Sprintf("%s (%s) is %d characters long; at least %d are needed", f.Name, f.Label, utf8.RuneCountInString(v.(string)), n.minLen)
	default:
		msg = fmt.Sprintf("%s (%s) %s is not %s", f.Name, f.Label, describe(v), f.Rule)
	}
	return Violation{f.Name, code, msg}
}

// unknown appends a violation for each field with a value that the kind does
// not define, sorted by name.
func (k *Kind) unknown(data map[string]any, vs []Violation) []Violation {
	var names []string
	for name, v := range data {
		if _, ok := k.byName[name]; !ok && !absent(v) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		vs = append(vs, Violation{name, ReasonUnknownField,
			fmt.Sprintf("%s is not a field of %s (%s); check the field names in the mapping", name, k.Name, k.Label)})
	}
	return vs
}

// describe shows a value in a message: text quoted and cut to a readable
// length, numbers as written, anything else by its kind.
func describe(v any) string {
	switch x := v.(type) {
	case string:
		if utf8.RuneCountInString(x) > 60 {
			r := []rune(x)
			x = string(r[:57]) + "..."
		}
		return fmt.Sprintf("%q", x)
	case bool:
		return fmt.Sprintf("%t", x)
	case json.Number:
		return "the number " + string(x)
	}
	if _, ok := toNumber(v); ok {
		return fmt.Sprintf("the number %v", v)
	}
	return fmt.Sprintf("a value of Go type %T", v)
}
