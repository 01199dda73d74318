package schema

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The compiled validator supports exactly the keywords below. A kind file
// that uses any other keyword fails at init rather than being validated
// loosely; adding one means adding it here and to the agreement tests
// (validator_test.go), which compare this validator with
// santhosh-tekuri/jsonschema on every kind.
var (
	assertions  = []string{"type", "enum", "format", "pattern", "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "anyOf", "$ref"}
	annotations = []string{"title", "description", "$comment", "x-label", "x-rule", "x-enum-labels"}
)

// jsonTypes is a set of JSON types.
type jsonTypes uint8

const (
	tString jsonTypes = 1 << iota
	tNumber
	tInteger
)

// node is a compiled subschema: a value is valid when every keyword holds.
// A $ref is merged into the node that makes it.
type node struct {
	types            jsonTypes // 0: any type
	enum             []string
	date             bool // format: date
	patterns         []*pattern
	minLen, maxLen   int // -1: none
	minimum, maximum *bound
	exclusiveMinimum *bound
	exclusiveMaximum *bound
	anyOf            [][]*node // each group must have a valid branch

	rule   string            // x-rule
	labels map[string]string // x-enum-labels
}

// bound is a numeric bound. When fast is set, f is the bound exactly and
// comparing a float64 with f gives the reference validator's answer (see
// fastBound); otherwise values are compared as it does, in big.Rat.
type bound struct {
	rat  *big.Rat
	f    float64
	fast bool
}

type compiler struct {
	defs map[string]any
	done map[string]*node
	busy []string
}

func (c *compiler) compile(obj map[string]any) (*node, error) {
	n := &node{minLen: -1, maxLen: -1}
	keys := make([]string, 0, len(obj))
	for key := range obj {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	for _, key := range keys {
		v := obj[key]
		var err error
		switch key {
		case "$ref":
			// Merged below, after the node's own keywords.
		case "type":
			switch v {
			case "string":
				n.types = tString
			case "number":
				n.types = tNumber
			case "integer":
				n.types = tInteger
			default:
				err = fmt.Errorf("type %v is not supported (string, number or integer)", v)
			}
		case "enum":
			if n.enum, err = stringList(v); err == nil && len(n.enum) == 0 {
				err = fmt.Errorf("enum is empty")
			}
		case "format":
			if v != "date" {
				err = fmt.Errorf("format %v is not supported (date)", v)
			}
			n.date = true
		case "pattern":
			s, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("pattern must be a string")
			}
			var p *pattern
			if p, err = compilePattern(s); err == nil {
				n.patterns = append(n.patterns, p)
			}
		case "minLength", "maxLength":
			var l int64
			if num, ok := v.(json.Number); ok {
				l, err = num.Int64()
			}
			if err != nil || l < 0 || !isJSONNumber(v) {
				return nil, fmt.Errorf("%s must be a whole number", key)
			}
			if key == "minLength" {
				n.minLen = int(l)
			} else {
				n.maxLen = int(l)
			}
		case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum":
			num, ok := v.(json.Number)
			if !ok {
				return nil, fmt.Errorf("%s must be a number", key)
			}
			b, ok := newBound(string(num))
			if !ok {
				return nil, fmt.Errorf("%s: %q is not a number", key, num)
			}
			switch key {
			case "minimum":
				n.minimum = b
			case "maximum":
				n.maximum = b
			case "exclusiveMinimum":
				n.exclusiveMinimum = b
			default:
				n.exclusiveMaximum = b
			}
		case "anyOf":
			list, ok := v.([]any)
			if !ok || len(list) == 0 {
				return nil, fmt.Errorf("anyOf must be a non-empty list of schemas")
			}
			var group []*node
			for _, b := range list {
				bo, ok := b.(map[string]any)
				if !ok {
					return nil, fmt.Errorf("anyOf must be a list of schemas")
				}
				bn, err := c.compile(bo)
				if err != nil {
					return nil, fmt.Errorf("anyOf: %w", err)
				}
				group = append(group, bn)
			}
			n.anyOf = append(n.anyOf, group)
		case "x-rule":
			n.rule, _ = v.(string)
		case "x-enum-labels":
			m, ok := v.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("x-enum-labels must map values to labels")
			}
			n.labels = map[string]string{}
			for val, l := range m {
				n.labels[val], _ = l.(string)
			}
		default:
			if !slices.Contains(annotations, key) {
				return nil, fmt.Errorf("keyword %q is not supported by the compiled validator (supported: %s)", key, strings.Join(assertions, ", "))
			}
		}
		if err != nil {
			return nil, err
		}
	}
	if ref, ok := obj["$ref"]; ok {
		if err := c.ref(n, ref); err != nil {
			return nil, err
		}
	}
	if n.date {
		// IsDate holds every date to the date pattern: matching it too
		// would only cost a regexp per date (it has alternatives, which
		// the fast matcher does not take).
		n.patterns = slices.DeleteFunc(n.patterns, func(p *pattern) bool { return p.src == datePattern })
	}
	return n, nil
}

func isJSONNumber(v any) bool { _, ok := v.(json.Number); return ok }

// ref merges the definition a $ref names into n: both must hold.
func (c *compiler) ref(n *node, v any) error {
	ref, _ := v.(string)
	name, ok := strings.CutPrefix(ref, "#/$defs/")
	if !ok {
		return fmt.Errorf("$ref %q: only #/$defs/name is supported", ref)
	}
	def, ok := c.done[name]
	if !ok {
		obj, ok := c.defs[name].(map[string]any)
		if !ok {
			return fmt.Errorf("$ref %q: no such definition", ref)
		}
		if slices.Contains(c.busy, name) {
			return fmt.Errorf("$ref %q refers to itself", ref)
		}
		c.busy = append(c.busy, name)
		var err error
		if def, err = c.compile(obj); err != nil {
			return fmt.Errorf("$defs/%s: %w", name, err)
		}
		c.busy = c.busy[:len(c.busy)-1]
		c.done[name] = def
	}
	return n.merge(def)
}

// merge adds the keywords of d to n. Keywords that would need combining
// (two enums, two bounds of one kind, two types) are not supported.
func (n *node) merge(d *node) error {
	switch {
	case n.types == 0:
		n.types = d.types
	case d.types != 0 && d.types != n.types:
		return fmt.Errorf("$ref with a different type")
	}
	if d.enum != nil {
		if n.enum != nil {
			return fmt.Errorf("$ref and enum together are not supported")
		}
		n.enum = d.enum
	}
	n.date = n.date || d.date
	n.patterns = append(n.patterns, d.patterns...)
	if d.minLen > n.minLen {
		n.minLen = d.minLen
	}
	if d.maxLen >= 0 && (n.maxLen < 0 || d.maxLen < n.maxLen) {
		n.maxLen = d.maxLen
	}
	for _, b := range []struct{ dst, src **bound }{{&n.minimum, &d.minimum}, {&n.maximum, &d.maximum},
		{&n.exclusiveMinimum, &d.exclusiveMinimum}, {&n.exclusiveMaximum, &d.exclusiveMaximum}} {
		if *b.src != nil {
			if *b.dst != nil {
				return fmt.Errorf("$ref and a bound of the same kind together are not supported")
			}
			*b.dst = *b.src
		}
	}
	n.anyOf = append(n.anyOf, d.anyOf...)
	if n.rule == "" {
		n.rule = d.rule
	}
	if n.labels == nil {
		n.labels = d.labels
	}
	return nil
}

func newBound(s string) (*bound, bool) {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return nil, false
	}
	f, _ := r.Float64()
	b := &bound{rat: r, f: f}
	// A float64 v compared with f gives the reference validator's answer
	// (which compares fmt.Sprint(v) as a decimal with the bound) when f is
	// the bound exactly and the shortest decimal of f is the bound too: then
	// v == f means the decimals are equal, and v != f puts v's shortest
	// decimal on the same side of the bound as v.
	if exact, ok := new(big.Rat).SetString(strconv.FormatFloat(f, 'g', -1, 64)); ok && exact.Cmp(r) == 0 && new(big.Rat).SetFloat64(f).Cmp(r) == 0 {
		b.fast = true
	}
	return b, true
}

// failure is what a value failed: it decides the reason code and message.
type failure uint8

const (
	pass failure = iota
	failType
	failTooShort
	failTooLong
	failForm // pattern, format or anyOf
	failEnum
	failRange
)

// check validates one value (never nil: absent values are handled before).
func (n *node) check(v any) failure {
	var (
		s     string
		num   number
		isStr bool
		isNum bool
	)
	switch x := v.(type) {
	case string:
		s, isStr = x, true
	default:
		num, isNum = toNumber(v)
	}
	if n.types != 0 {
		switch {
		case isStr:
			if n.types&tString == 0 {
				return failType
			}
		case isNum:
			if n.types&tNumber == 0 && (n.types&tInteger == 0 || !num.isInt()) {
				return failType
			}
		default:
			return failType
		}
	}
	if n.enum != nil && (!isStr || !slices.Contains(n.enum, s)) {
		return failEnum
	}
	if isStr {
		if n.date && !IsDate(s) {
			return failForm
		}
		if n.minLen >= 0 || n.maxLen >= 0 {
			if f := n.checkLength(s); f != pass {
				return f
			}
		}
		for _, p := range n.patterns {
			if !p.match(s) {
				return failForm
			}
		}
	}
	if isNum {
		if (n.minimum != nil && num.cmp(n.minimum) < 0) || (n.maximum != nil && num.cmp(n.maximum) > 0) ||
			(n.exclusiveMinimum != nil && num.cmp(n.exclusiveMinimum) <= 0) ||
			(n.exclusiveMaximum != nil && num.cmp(n.exclusiveMaximum) >= 0) {
			return failRange
		}
	}
	for _, group := range n.anyOf {
		ok := false
		for _, b := range group {
			if b.check(v) == pass {
				ok = true
				break
			}
		}
		if !ok {
			return failForm
		}
	}
	return pass
}

// checkLength counts characters (code points) as JSON Schema does, and only
// when the byte length leaves the answer open.
func (n *node) checkLength(s string) failure {
	l := len(s)
	if n.minLen >= 0 && l < n.minLen {
		return failTooShort
	}
	if (n.maxLen >= 0 && l > n.maxLen) || n.minLen > 1 {
		l = utf8.RuneCountInString(s)
		if l < n.minLen {
			return failTooShort
		}
		if n.maxLen >= 0 && l > n.maxLen {
			return failTooLong
		}
	}
	return pass
}

// number is a numeric value. When exact, f is the value exactly and the
// float64 fast path applies; otherwise it is compared as the reference
// validator does, as the decimal fmt.Sprint writes.
type number struct {
	v     any
	f     float64
	exact bool
}

// toNumber recognises the Go types that carry JSON numbers, as the
// reference validator does; NaN and infinities are not numbers.
func toNumber(v any) (number, bool) {
	const maxExact = 1 << 53
	switch x := v.(type) {
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return number{}, false
		}
		return number{v: v, f: x, exact: true}, true
	case float32:
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return number{}, false
		}
		return number{v: v}, true
	case int:
		return intNumber(v, int64(x)), true
	case int8:
		return intNumber(v, int64(x)), true
	case int16:
		return intNumber(v, int64(x)), true
	case int32:
		return intNumber(v, int64(x)), true
	case int64:
		return intNumber(v, x), true
	case uint:
		return uintNumber(v, uint64(x)), true
	case uint8:
		return uintNumber(v, uint64(x)), true
	case uint16:
		return uintNumber(v, uint64(x)), true
	case uint32:
		return uintNumber(v, uint64(x)), true
	case uint64:
		return uintNumber(v, x), true
	case json.Number:
		if _, ok := new(big.Rat).SetString(string(x)); !ok {
			return number{}, false
		}
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil && i > -maxExact && i < maxExact {
			return number{v: v, f: float64(i), exact: true}, true
		}
		return number{v: v}, true
	}
	return number{}, false
}

func intNumber(v any, i int64) number {
	return number{v: v, f: float64(i), exact: i > -1<<53 && i < 1<<53}
}

func uintNumber(v any, u uint64) number {
	return number{v: v, f: float64(u), exact: u < 1<<53}
}

func (x number) rat() *big.Rat {
	r, _ := new(big.Rat).SetString(fmt.Sprint(x.v))
	return r
}

func (x number) isInt() bool {
	if x.exact {
		return x.f == math.Trunc(x.f)
	}
	return x.rat().IsInt()
}

func (x number) cmp(b *bound) int {
	if x.exact && b.fast {
		switch {
		case x.f < b.f:
			return -1
		case x.f > b.f:
			return 1
		}
		return 0
	}
	return x.rat().Cmp(b.rat)
}
