// Package schema is the common schema: the record kinds lienthong delivers to
// the national database, their fields and the rules a record must pass.
//
// A Record is what a mapping produces; Validate checks it against its kind and
// returns every Violation with a stable reason code. The package is pure: it
// must not do I/O or know where a record came from.
package schema

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Version is the version of the common schema.
const Version = 1

// Type is the type of a field's value after mapping.
type Type string

const (
	// Text is free text, NFC, trimmed.
	Text Type = "text"
	// Date is a calendar date written YYYY-MM-DD.
	Date Type = "date"
	// Enum is one of a field's listed values.
	Enum Type = "enum"
	// IDNumber is a 12-digit personal identification number (số định danh cá nhân).
	IDNumber Type = "id_number"
)

// Field is one field of a record kind.
type Field struct {
	Name string
	// Label is the field's name in Vietnamese, for docs and messages.
	Label    string
	Type     Type
	Required bool
	// Values lists the allowed values of an Enum field.
	Values []string
	// Doc says what the field holds.
	Doc string
}

// Kind is a record kind of the common schema.
type Kind struct {
	Name  string
	Label string
	// Key lists the fields whose values, joined, identify a record of this
	// kind nationally (its natural key).
	Key    []string
	Fields []Field
	byName map[string]*Field
}

// Field returns the named field, or nil.
func (k *Kind) Field(name string) *Field { return k.byName[name] }

// Reason codes of a Violation. They are stable: departments filter on them.
const (
	ReasonRequired  = "required_missing"
	ReasonBadDate   = "bad_date"
	ReasonBadFormat = "bad_format"
	ReasonBadValue  = "bad_value"
	ReasonBadID     = "id_invalid"
	ReasonNoMapping = "mapping_error"
	// ReasonDuplicateKey marks a record whose natural key is already held by a
	// different source record.
	ReasonDuplicateKey = "duplicate_key"
)

// Violation is one reason a record cannot be delivered.
type Violation struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (v Violation) Error() string { return v.Field + ": " + v.Message + " (" + v.Code + ")" }

// Record is a record in the common schema.
type Record struct {
	Kind string
	Data map[string]any
}

var kinds = map[string]*Kind{}

func define(k *Kind) {
	k.byName = make(map[string]*Field, len(k.Fields))
	for i := range k.Fields {
		k.byName[k.Fields[i].Name] = &k.Fields[i]
	}
	kinds[k.Name] = k
}

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

// Validate checks a record against its kind and returns every violation, in
// field order. A nil result means the record is valid.
func (k *Kind) Validate(data map[string]any) []Violation {
	var vs []Violation
	for i := range k.Fields {
		f := &k.Fields[i]
		v, present := data[f.Name]
		s, isString := v.(string)
		if !present || v == nil || (isString && strings.TrimSpace(s) == "") {
			if f.Required {
				vs = append(vs, Violation{f.Name, ReasonRequired, fmt.Sprintf("%s (%s) is required", f.Name, f.Label)})
			}
			continue
		}
		if !isString {
			vs = append(vs, Violation{f.Name, ReasonBadFormat, fmt.Sprintf("%s must be text, got %T", f.Name, v)})
			continue
		}
		if viol, ok := f.check(s); !ok {
			vs = append(vs, viol)
		}
	}
	return vs
}

func (f *Field) check(s string) (Violation, bool) {
	switch f.Type {
	case Date:
		if _, err := time.Parse(time.DateOnly, s); err != nil {
			return Violation{f.Name, ReasonBadDate, fmt.Sprintf("%s %q is not a date (YYYY-MM-DD)", f.Name, s)}, false
		}
	case Enum:
		for _, allowed := range f.Values {
			if s == allowed {
				return Violation{}, true
			}
		}
		return Violation{f.Name, ReasonBadValue, fmt.Sprintf("%s %q is not one of %s", f.Name, s, strings.Join(f.Values, ", "))}, false
	case IDNumber:
		if len(s) != 12 || strings.Trim(s, "0123456789") != "" {
			return Violation{f.Name, ReasonBadID, fmt.Sprintf("%s %q is not a 12-digit personal ID number", f.Name, s)}, false
		}
	}
	return Violation{}, true
}

// NaturalKey joins the record's key fields with "|". It assumes the record
// passed Validate, so every key field is present.
func (k *Kind) NaturalKey(data map[string]any) string {
	var b strings.Builder
	for i, name := range k.Key {
		if i > 0 {
			b.WriteByte('|')
		}
		s, _ := data[name].(string)
		b.WriteString(s)
	}
	return b.String()
}

// Canonical returns the record's canonical JSON (keys sorted, no
// insignificant space) and its SHA-256: two records with the same content
// have the same hash, whatever order their fields were set in.
func Canonical(data map[string]any) ([]byte, [32]byte, error) {
	// encoding/json sorts map keys, which makes the encoding canonical for
	// the flat string-valued records of the schema.
	b, err := json.Marshal(data)
	if err != nil {
		return nil, [32]byte{}, err
	}
	return b, sha256.Sum256(b), nil
}
