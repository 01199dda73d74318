package schema

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Canonical returns the record's canonical JSON and its SHA-256: two records
// with the same content have the same hash, whatever order their fields were
// set in and whatever Go type carries a number.
//
// The form is what encoding/json.Marshal writes for the record's map (keys
// sorted by bytes, no insignificant space, <, > and & escaped as \u003c,
// \u003e, \u0026, invalid UTF-8 as \ufffd), with two rules of its own:
// absent values (nil, blank text) are left out, as Validate treats them as
// absent; and a json.Number is written as the int64 or float64 it holds, like
// any other number. The national store keeps these bytes and skips a write
// when the hash is unchanged, so the form must never change: a golden hash
// in the tests guards it. It is written by hand because json.Marshal costs
// several times the pipeline's per-record budget; a fuzz test proves both
// write the same bytes.
func Canonical(data map[string]any) ([]byte, [32]byte, error) {
	b, err := appendCanonical(nil, data)
	if err != nil {
		return nil, [32]byte{}, err
	}
	return b, sha256.Sum256(b), nil
}

// Canonical is the package's Canonical of a record of the kind, written
// without sorting the record's keys: the kind knows them, in canonical
// order, and their JSON. A record with a key that is not a field of the
// kind is written by Canonical, so the bytes are the same whatever the
// record holds.
func (k *Kind) Canonical(data map[string]any) ([]byte, [32]byte, error) {
	var vals [maxFields]any
	found, size := 0, 2
	for i := range k.canonical {
		c := &k.canonical[i]
		v, ok := data[c.name]
		if !ok {
			continue
		}
		found++
		if absent(v) {
			continue
		}
		vals[i] = v
		size += c.size(v)
	}
	if found != len(data) {
		return Canonical(data)
	}
	return k.encodeCanonical(vals[:len(k.canonical)], size)
}

// CanonicalFields is Canonical of a record given as its fields' values, as
// ValidateFields takes them: fields[i] is the value of k.Fields[i], nil for
// none, and a shorter fields leaves the fields past its end without a
// value. It writes the bytes Canonical writes for the map of these values
// without looking a field up by name. It panics if fields is longer than
// k.Fields.
func (k *Kind) CanonicalFields(fields []any) ([]byte, [32]byte, error) {
	if len(fields) > len(k.Fields) {
		panic(fmt.Sprintf("schema: %d values for the %d fields of %s", len(fields), len(k.Fields), k.Name))
	}
	var vals [maxFields]any
	size := 2
	for i := range k.canonical {
		c := &k.canonical[i]
		if c.index >= len(fields) {
			continue
		}
		v := fields[c.index]
		if absent(v) {
			continue
		}
		vals[i] = v
		size += c.size(v)
	}
	return k.encodeCanonical(vals[:len(k.canonical)], size)
}

// size is about how many bytes the field's key and value v take in the
// canonical JSON, for the buffer's first size.
func (c *canonicalKey) size(v any) int {
	if s, ok := v.(string); ok {
		return len(c.json) + 1 + len(s) + 2
	}
	return len(c.json) + 1 + 24
}

// encodeCanonical writes the canonical JSON of vals, the record's values
// in the order of k.canonical (nil for none), in a buffer of about size
// bytes.
func (k *Kind) encodeCanonical(vals []any, size int) ([]byte, [32]byte, error) {
	b := make([]byte, 0, size+size/8)
	b = append(b, '{')
	for i, v := range vals {
		if v == nil {
			continue
		}
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = append(b, k.canonical[i].json...)
		var err error
		if b, err = appendValue(b, v); err != nil {
			return nil, [32]byte{}, fmt.Errorf("canonical JSON of %s: %w", k.canonical[i].name, err)
		}
	}
	b = append(b, '}')
	return b, sha256.Sum256(b), nil
}

// canonicalKey is a field's name, its index in the kind's fields, and its
// key in the canonical JSON: the name as a JSON string, then ':'.
type canonicalKey struct {
	name  string
	index int
	json  []byte
}

// canonicalOrder lists the fields by name in bytes, the canonical JSON's
// order.
func canonicalOrder(fields []Field) []canonicalKey {
	out := make([]canonicalKey, len(fields))
	for i, f := range fields {
		out[i] = canonicalKey{name: f.Name, index: i, json: append(appendString(nil, f.Name), ':')}
	}
	slices.SortFunc(out, func(a, b canonicalKey) int { return strings.Compare(a.name, b.name) })
	return out
}

func appendCanonical(dst []byte, data map[string]any) ([]byte, error) {
	type entry struct {
		key   string
		value any
	}
	var stack [maxFields]entry
	entries := stack[:0]
	size := 2
	for k, v := range data {
		if absent(v) {
			continue
		}
		entries = append(entries, entry{k, v})
		size += len(k) + 4
		if s, ok := v.(string); ok {
			size += len(s) + 2
		} else {
			size += 24
		}
	}
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.key, b.key) })
	if dst == nil {
		dst = make([]byte, 0, size+size/8)
	}
	dst = append(dst, '{')
	for i := range entries {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, entries[i].key)
		dst = append(dst, ':')
		var err error
		if dst, err = appendValue(dst, entries[i].value); err != nil {
			return nil, fmt.Errorf("canonical JSON of %s: %w", entries[i].key, err)
		}
	}
	return append(dst, '}'), nil
}

func appendValue(dst []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case string:
		return appendString(dst, x), nil
	case float64:
		return appendFloat(dst, x, 64)
	case float32:
		return appendFloat(dst, float64(x), 32)
	case int:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int8:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int16:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int32:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(dst, x, 10), nil
	case uint:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case uint8:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case uint16:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case uint32:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case uint64:
		return strconv.AppendUint(dst, x, 10), nil
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return strconv.AppendInt(dst, i, 10), nil
		}
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			return nil, fmt.Errorf("invalid number %q", x)
		}
		return appendFloat(dst, f, 64)
	}
	// Not a value of the schema (Validate rejects it); encode it as
	// encoding/json does rather than fail.
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(dst, b...), nil
}

// appendFloat writes a float as encoding/json does (ES6 number to string).
func appendFloat(dst []byte, f float64, bits int) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, fmt.Errorf("unsupported value %v", f)
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	dst = strconv.AppendFloat(dst, f, format, -1, bits)
	if format == 'e' {
		// e-09 is written e-9.
		n := len(dst)
		if n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst, nil
}

const hexDigits = "0123456789abcdef"

// jsonSafe marks the ASCII bytes encoding/json writes as they are with HTML
// escaping on.
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		t[b] = b != '"' && b != '\\' && b != '<' && b != '>' && b != '&'
	}
	return t
}()

// appendString writes a JSON string as encoding/json does with HTML
// escaping on.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if jsonSafe[b] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
