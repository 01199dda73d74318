package httpjson

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// node is one mapping of the options being decoded strictly. Every key a
// decoder asks for is remembered, so done can name the keys nobody asked
// for, with the ones that exist beside them.
type node struct {
	path  string // "" at the top, else "auth", "streams.births.pagination"
	m     map[string]any
	asked map[string]bool
	errs  *[]error
}

func newNode(path string, m map[string]any, errs *[]error) *node {
	return &node{path: path, m: m, asked: map[string]bool{}, errs: errs}
}

func (n *node) name(key string) string {
	if n.path == "" {
		return key
	}
	return n.path + "." + key
}

func (n *node) fail(key, format string, args ...any) {
	*n.errs = append(*n.errs, fmt.Errorf("option %q: %s", n.name(key), fmt.Sprintf(format, args...)))
}

// get returns a key's value. YAML's "key:" with nothing after it is nil and
// counts as absent.
func (n *node) get(key string) (any, bool) {
	n.asked[key] = true
	v, ok := n.m[key]
	return v, ok && v != nil
}

// has reports whether a key is set, without asking for it.
func (n *node) has(key string) bool {
	v, ok := n.m[key]
	return ok && v != nil
}

func (n *node) str(key string) (string, bool) {
	v, ok := n.get(key)
	if !ok {
		return "", false
	}
	s, isStr := v.(string)
	if !isStr {
		n.fail(key, "want a string, got %s", describe(v))
		return "", false
	}
	return s, true
}

func (n *node) boolean(key string) (bool, bool) {
	v, ok := n.get(key)
	if !ok {
		return false, false
	}
	b, isBool := v.(bool)
	if !isBool {
		n.fail(key, "want true or false, got %s", describe(v))
		return false, false
	}
	return b, true
}

func (n *node) integer(key string) (int64, bool) {
	v, ok := n.get(key)
	if !ok {
		return 0, false
	}
	i, isInt := asInt(v)
	if !isInt {
		n.fail(key, "want a whole number, got %s", describe(v))
		return 0, false
	}
	return i, true
}

func (n *node) number(key string) (float64, bool) {
	v, ok := n.get(key)
	if !ok {
		return 0, false
	}
	if i, isInt := asInt(v); isInt {
		return float64(i), true
	}
	f, isFloat := v.(float64)
	if !isFloat || math.IsNaN(f) || math.IsInf(f, 0) {
		n.fail(key, "want a number, got %s", describe(v))
		return 0, false
	}
	return f, true
}

func (n *node) duration(key string) (time.Duration, bool) {
	v, ok := n.get(key)
	if !ok {
		return 0, false
	}
	s, isStr := v.(string)
	d, err := time.ParseDuration(s)
	if !isStr || err != nil {
		n.fail(key, `want a duration such as "500ms" or "30s", got %s`, describe(v))
		return 0, false
	}
	return d, true
}

// byteSize reads a size in bytes: a whole number or a string with a binary
// unit ("32MiB", "512KiB").
func (n *node) byteSize(key string) (int64, bool) {
	v, ok := n.get(key)
	if !ok {
		return 0, false
	}
	if i, isInt := asInt(v); isInt {
		return i, true
	}
	s, _ := v.(string)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}} {
		if num, found := strings.CutSuffix(strings.TrimSpace(s), u.suffix); found {
			i, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
			if err == nil && i <= math.MaxInt64/u.mult {
				return i * u.mult, true
			}
			break
		}
	}
	n.fail(key, `want a size in bytes such as 33554432 or "32MiB", got %s`, describe(v))
	return 0, false
}

func (n *node) strList(key string) ([]string, bool) {
	v, ok := n.get(key)
	if !ok {
		return nil, false
	}
	list, isList := v.([]any)
	if !isList {
		n.fail(key, "want a list of strings, got %s", describe(v))
		return nil, false
	}
	out := make([]string, 0, len(list))
	for i, e := range list {
		s, isStr := e.(string)
		if !isStr {
			n.fail(key, "item %d: want a string, got %s", i, describe(e))
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

// scalarMap reads a mapping of names to scalars, printed as text: a query
// parameter written "province: 42" is the text "42".
func (n *node) scalarMap(key string) (map[string]string, bool) {
	v, ok := n.get(key)
	if !ok {
		return nil, false
	}
	m, isMap := v.(map[string]any)
	if !isMap {
		n.fail(key, "want a mapping of names to values, got %s", describe(v))
		return nil, false
	}
	out := make(map[string]string, len(m))
	for k, e := range m {
		s, isScalar := scalarText(e)
		if !isScalar {
			n.fail(key+"."+k, "want a string, number or boolean, got %s", describe(e))
			continue
		}
		out[k] = s
	}
	return out, true
}

func (n *node) child(key string) (*node, bool) {
	v, ok := n.get(key)
	if !ok {
		return nil, false
	}
	m, isMap := v.(map[string]any)
	if !isMap {
		n.fail(key, "want a mapping, got %s", describe(v))
		return nil, false
	}
	return newNode(n.name(key), m, n.errs), true
}

// done reports the keys nobody asked for: a misspelt option must not be
// silently ignored.
func (n *node) done() {
	var unknown []string
	for k := range n.m {
		if !n.asked[k] {
			unknown = append(unknown, k)
		}
	}
	slices.Sort(unknown)
	known := make([]string, 0, len(n.asked))
	for k := range n.asked {
		known = append(known, k)
	}
	slices.Sort(known)
	for _, k := range unknown {
		*n.errs = append(*n.errs, fmt.Errorf("unknown option %q (the httpjson options here are: %s)",
			n.name(k), strings.Join(known, ", ")))
	}
}

// asInt accepts the integer types a YAML decoder or a Go caller produces,
// and floats without a fraction.
func asInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case uint32:
		return int64(x), true
	case uint64:
		if x > math.MaxInt64 {
			return 0, false
		}
		return int64(x), true
	case uint:
		if uint64(x) > math.MaxInt64 {
			return 0, false
		}
		return int64(x), true
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int64(x), true
		}
	}
	return 0, false
}

func scalarText(v any) (string, bool) {
	if i, ok := asInt(v); ok {
		if _, isFloat := v.(float64); !isFloat {
			return strconv.FormatInt(i, 10), true
		}
	}
	switch x := v.(type) {
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	}
	return "", false
}

func describe(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	case nil:
		return "nothing"
	}
	if s, ok := scalarText(v); ok {
		return "the number " + s
	}
	return fmt.Sprintf("a %T", v)
}
