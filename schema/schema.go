// Package schema is the common schema: the record kinds lienthong delivers to
// the national database, their fields and the rules a record must pass.
//
// Each kind is one JSON Schema (draft 2020-12) file under kinds/, embedded in
// the binary; those files are the single source of truth. At init they are
// compiled into Kinds and into a Go validator that supports exactly the
// keywords the files use (tests prove it agrees with a full JSON Schema
// validator), because validation runs on every record of every sync and a
// general validator costs several times the pipeline's budget.
//
// A Record is what a mapping produces; Validate checks it against its kind and
// returns every Violation with a stable reason code; Canonical gives the bytes
// and hash the national store keeps. The package is pure: it must not do I/O
// or know where a record came from.
package schema

import (
	"sort"
	"strings"
)

// Version is the major version of the common schema, the number in every
// kind's $id (urn:lienthong:schema:1:person). It changes only when a
// change could break a consumer of delivered records: a field removed,
// renamed or retyped, an optional field made required, a natural key
// changed. A new rule changes what departments must fix, not what
// consumers read, and comes with a minor version.
const Version = 1

// Minor is the minor version: it grows with additive changes, which a
// consumer of the same major version can ignore (a new optional field, a
// new kind, a new reason code). 1.1 gave person its phone numbers and
// e-mail address; 1.2 refused the year 0000 in dates.
const Minor = 2

// Type is the type of a field's value after mapping.
type Type string

const (
	// Text is free text, NFC, trimmed.
	Text Type = "text"
	// Date is a calendar date written YYYY-MM-DD; a Partial date field also
	// takes YYYY-MM or YYYY.
	Date Type = "date"
	// Enum is one of a field's listed values.
	Enum Type = "enum"
	// IDNumber is a 12-digit personal identification number (số định danh cá nhân).
	IDNumber Type = "id_number"
	// OldIDNumber is the 9-digit number of an old identity card (chứng minh
	// nhân dân, CMND).
	OldIDNumber Type = "old_id_number"
	// IDNumberOrCMND is an IDNumber, or an OldIDNumber in records made before
	// personal ID numbers were issued.
	IDNumberOrCMND Type = "id_number_or_cmnd"
	// Phone is a Vietnamese phone number in E.164 form: +84 and 9 or 10 digits.
	Phone Type = "phone"
	// Email is an e-mail address, its domain in lower case.
	Email Type = "email"
	// Code is an identifier with a fixed form (a card number, an enterprise
	// code): text that must match the field's Rule, without spaces.
	Code Type = "code"
	// Integer is a whole number (a JSON number; Go int, int64, float64 or
	// json.Number), e.g. an amount of đồng.
	Integer Type = "integer"
	// Number is a number, e.g. an area in square metres.
	Number Type = "number"
)

// Field is one field of a record kind.
type Field struct {
	Name string
	// Label is the field's name in Vietnamese, for docs and messages.
	Label string
	// Title is the field's name in English.
	Title    string
	Type     Type
	Required bool
	// Partial reports that a Date field also takes YYYY-MM or YYYY, for
	// registers that hold only part of old dates.
	Partial bool
	// Values lists the allowed values of an Enum field; ValueLabels gives
	// each its Vietnamese meaning.
	Values      []string
	ValueLabels map[string]string
	// Rule says in words what a value must look like, e.g. "a 12-digit
	// personal ID number"; messages and docs use it.
	Rule string
	// Doc says what the field holds.
	Doc string
}

// Kind is a record kind of the common schema.
type Kind struct {
	Name string
	// Label is the kind's name in Vietnamese; Title in English.
	Label string
	Title string
	// Doc says what a record of the kind is; Department who keeps it.
	Doc        string
	Department string
	// Key lists the fields whose values, joined, identify a record of this
	// kind nationally (its natural key).
	Key    []string
	Fields []Field

	byName map[string]int
	// canonical are the fields in the order of the canonical JSON, each
	// with its key as written there (Kind.Canonical).
	canonical []canonicalKey
	checks    []*node // checks[i] validates Fields[i]
	rules     []rule
	source    []byte
}

// Field returns the named field, or nil.
func (k *Kind) Field(name string) *Field {
	if i, ok := k.byName[name]; ok {
		return &k.Fields[i]
	}
	return nil
}

// JSONSchema returns the kind's JSON Schema document as embedded, for
// publishing to departments and the portal. The caller must not modify it.
func (k *Kind) JSONSchema() []byte { return k.source }

// Rules describes the kind's cross-field rules, the checks a JSON Schema
// cannot say (an ID number against the date of birth, one date before
// another), each with the reason code it reports.
func (k *Kind) Rules() []string {
	out := make([]string, len(k.rules))
	for i := range k.rules {
		out[i] = k.rules[i].describe()
	}
	return out
}

// Violation is one reason a record cannot be delivered.
type Violation struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error returns the violation as "field: message (code)".
func (v Violation) Error() string { return v.Field + ": " + v.Message + " (" + v.Code + ")" }

// Record is a record in the common schema.
type Record struct {
	Kind string
	Data map[string]any
}

var kinds = map[string]*Kind{}

// Lookup returns a record kind by name.
func Lookup(name string) (*Kind, bool) {
	k, ok := kinds[name]
	return k, ok
}

// Kinds returns every record kind, sorted by name.
func Kinds() []*Kind {
	out := make([]*Kind, 0, len(kinds))
	for _, k := range kinds {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// FieldIndex returns the index of the named field in Fields, or -1.
func (k *Kind) FieldIndex(name string) int {
	if i, ok := k.byName[name]; ok {
		return i
	}
	return -1
}

// NaturalKeyFields is NaturalKey of a record given as its values by field
// index (as ValidateFields takes them).
func (k *Kind) NaturalKeyFields(fields []any) string {
	at := func(name string) string {
		if i, ok := k.byName[name]; ok && i < len(fields) {
			s, _ := fields[i].(string)
			return s
		}
		return ""
	}
	if len(k.Key) == 1 {
		return at(k.Key[0])
	}
	n := len(k.Key) - 1
	for _, name := range k.Key {
		n += len(at(name))
	}
	var b strings.Builder
	b.Grow(n)
	for i, name := range k.Key {
		if i > 0 {
			b.WriteByte('|')
		}
		b.WriteString(at(name))
	}
	return b.String()
}

// NaturalKey joins the record's key fields with "|". It assumes the record
// passed Validate, so every key field is present.
func (k *Kind) NaturalKey(data map[string]any) string {
	if len(k.Key) == 1 {
		s, _ := data[k.Key[0]].(string)
		return s
	}
	n := len(k.Key) - 1
	for _, name := range k.Key {
		s, _ := data[name].(string)
		n += len(s)
	}
	var b strings.Builder
	b.Grow(n)
	for i, name := range k.Key {
		if i > 0 {
			b.WriteByte('|')
		}
		s, _ := data[name].(string)
		b.WriteString(s)
	}
	return b.String()
}
