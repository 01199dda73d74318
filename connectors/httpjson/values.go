package httpjson

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
)

// fieldPath names a record field: a top-level name, or a dotted path into
// nested objects.
type fieldPath struct {
	name  string
	parts []string
}

func newFieldPath(name string) fieldPath {
	return fieldPath{name: name, parts: strings.Split(name, ".")}
}

// get finds the field: a top-level field of the whole name wins, so a name
// that holds a dot still works; else the path is followed through nested
// objects.
func (f fieldPath) get(obj map[string]any) (any, bool) {
	if v, ok := obj[f.name]; ok {
		return v, true
	}
	if len(f.parts) == 1 {
		return nil, false
	}
	var cur any = obj
	for _, p := range f.parts {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// keyText is a primary key value as canonical text: strings as they are,
// numbers with the digits the API sent.
func keyText(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case json.Number:
		return string(x), nil
	case bool:
		return strconv.FormatBool(x), nil
	case nil:
		return "", fmt.Errorf("is null")
	}
	return "", fmt.Errorf("is %s, not a string or a number", jsonType(v))
}

// cursorText is a cursor value as text, or null. An empty string is null:
// APIs write "" for "never changed".
func cursorText(v any) (string, bool, error) {
	switch x := v.(type) {
	case nil:
		return "", true, nil
	case string:
		return x, x == "", nil
	case json.Number:
		return string(x), false, nil
	}
	return "", false, fmt.Errorf("is %s, not a string or a number", jsonType(v))
}

// convert turns decoded JSON into the values Record.Fields documents, in
// place: an integer that fits is int64; another number with at most 15
// significant digits, which float64 holds exactly as written, is float64;
// any longer number stays a string of its digits, so that a 20-digit ID or
// a long decimal loses nothing. Objects stay map[string]any, arrays []any.
func convert(v any) any {
	switch x := v.(type) {
	case json.Number:
		return convertNumber(string(x))
	case map[string]any:
		for k, e := range x {
			x[k] = convert(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = convert(e)
		}
		return x
	}
	return v
}

func convertNumber(s string) any {
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return i
	}
	if significantDigits(s) <= 15 {
		if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(f, 0) {
			return f
		}
	}
	return s
}

func significantDigits(s string) int {
	s = strings.TrimLeft(s, "+-")
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		s = s[:i]
	}
	s = strings.Replace(s, ".", "", 1)
	return len(strings.TrimLeft(s, "0"))
}

// flatten lifts nested objects to dotted top-level names ("dia_chi.tinh"),
// for mappings that name source fields at the top level. Arrays stay.
func flatten(obj map[string]any) (map[string]any, error) {
	out := make(map[string]any, len(obj))
	var walk func(prefix string, m map[string]any) error
	walk = func(prefix string, m map[string]any) error {
		for _, k := range slices.Sorted(maps.Keys(m)) {
			v := m[k]
			name := prefix + k
			if nested, ok := v.(map[string]any); ok && len(nested) > 0 {
				if err := walk(name+".", nested); err != nil {
					return err
				}
				continue
			}
			if _, dup := out[name]; dup {
				return fmt.Errorf("field %q appears both as a name and as a nested path", name)
			}
			out[name] = v
		}
		return nil
	}
	err := walk("", obj)
	return out, err
}

// jsonType names a decoded value's JSON type.
func jsonType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number:
		if strings.ContainsAny(string(x), ".eE") {
			return "a number"
		}
		return "an integer"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	}
	return fmt.Sprintf("a %T", v)
}
