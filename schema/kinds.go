package schema

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// kindFiles are the JSON Schema documents of the record kinds, one per kind,
// named after it.
//
//go:embed kinds/*.json
var kindFiles embed.FS

const (
	draft2020 = "https://json-schema.org/draft/2020-12/schema"
	// idPrefix starts every kind's $id; the number is Version.
	idPrefix = "urn:lienthong:schema:1:"
	// maxFields bounds a kind's fields, so Validate keeps per-field state in
	// fixed arrays on the stack.
	maxFields = 32
)

func init() {
	names, err := fs.Glob(kindFiles, "kinds/*.json")
	if err != nil {
		panic(err)
	}
	for _, name := range names {
		src, err := kindFiles.ReadFile(name)
		if err != nil {
			panic(err)
		}
		k, err := parseKind(strings.TrimSuffix(path.Base(name), ".json"), src)
		if err != nil {
			panic(fmt.Sprintf("schema: %s: %v", name, err))
		}
		kinds[k.Name] = k
	}
}

// refTypes gives the Type of a field that refers to one of these $defs.
// Every kind file that needs one of them carries the same definition; a test
// checks they do not drift apart.
var refTypes = map[string]Type{
	"text":              Text,
	"long_text":         Text,
	"date":              Date,
	"partial_date":      Date,
	"id_number":         IDNumber,
	"old_id_number":     OldIDNumber,
	"id_number_or_cmnd": IDNumberOrCMND,
	"phone":             Phone,
	"mobile_phone":      Phone,
	"landline_phone":    Phone,
	"email":             Email,
	"sex":               Enum,
	"money":             Integer,
	"commune_code":      Code,
}

// rootKeywords are the keywords a kind document may use at its root.
var rootKeywords = []string{"$schema", "$id", "title", "description", "x-label", "x-department", "x-key",
	"type", "additionalProperties", "required", "properties", "$defs", "examples"}

// parseKind builds a Kind and its validator from a kind's JSON Schema.
func parseKind(name string, src []byte) (*Kind, error) {
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	for key := range doc {
		if !slices.Contains(rootKeywords, key) {
			return nil, fmt.Errorf("root keyword %q is not supported", key)
		}
	}
	if doc["$schema"] != draft2020 {
		return nil, fmt.Errorf("$schema must be %q", draft2020)
	}
	if doc["$id"] != idPrefix+name {
		return nil, fmt.Errorf("$id must be %q", idPrefix+name)
	}
	if doc["type"] != "object" || doc["additionalProperties"] != false {
		return nil, fmt.Errorf(`a kind must be "type": "object" with "additionalProperties": false`)
	}
	k := &Kind{Name: name, source: src, byName: map[string]int{}}
	var ok bool
	if k.Title, ok = doc["title"].(string); !ok {
		return nil, fmt.Errorf("title is missing")
	}
	if k.Label, ok = doc["x-label"].(string); !ok {
		return nil, fmt.Errorf("x-label is missing")
	}
	k.Doc, _ = doc["description"].(string)
	k.Department, _ = doc["x-department"].(string)

	defs, _ := doc["$defs"].(map[string]any)
	c := &compiler{defs: defs, done: map[string]*node{}}
	props, _ := doc["properties"].(map[string]any)
	order, err := propertyOrder(src)
	if err != nil {
		return nil, err
	}
	if len(order) > maxFields {
		return nil, fmt.Errorf("%d fields, more than %d", len(order), maxFields)
	}
	for _, fname := range order {
		obj, ok := props[fname].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("property %s is not an object", fname)
		}
		n, err := c.compile(obj)
		if err != nil {
			return nil, fmt.Errorf("property %s: %w", fname, err)
		}
		f, err := newField(fname, obj, n)
		if err != nil {
			return nil, fmt.Errorf("property %s: %w", fname, err)
		}
		k.byName[fname] = len(k.Fields)
		k.Fields = append(k.Fields, f)
		k.checks = append(k.checks, n)
	}
	k.canonical = canonicalOrder(k.Fields)
	required, err := stringList(doc["required"])
	if err != nil {
		return nil, fmt.Errorf("required: %w", err)
	}
	for _, r := range required {
		f := k.Field(r)
		if f == nil {
			return nil, fmt.Errorf("required field %q is not a property", r)
		}
		f.Required = true
	}
	if k.Key, err = stringList(doc["x-key"]); err != nil || len(k.Key) == 0 {
		return nil, fmt.Errorf("x-key must list the natural key's fields")
	}
	for _, key := range k.Key {
		f := k.Field(key)
		if f == nil || !f.Required || k.checks[k.byName[key]].types != tString {
			return nil, fmt.Errorf("x-key field %q must be a required text field", key)
		}
	}
	for name := range defs {
		if _, ok := refTypes[name]; !ok {
			return nil, fmt.Errorf("$defs/%s: add it to refTypes so fields referring to it get a Type", name)
		}
	}
	for _, r := range kindRules[name] {
		if err := r.bind(k); err != nil {
			return nil, fmt.Errorf("rule on %s: %w", r.a, err)
		}
		k.rules = append(k.rules, r)
	}
	return k, nil
}

// newField makes the Field of a property from its compiled node and
// annotations.
func newField(name string, obj map[string]any, n *node) (Field, error) {
	f := Field{Name: name, Rule: n.rule, Values: n.enum, ValueLabels: n.labels}
	var ok bool
	if f.Label, ok = obj["x-label"].(string); !ok {
		return f, fmt.Errorf("x-label is missing")
	}
	if f.Title, ok = obj["title"].(string); !ok {
		return f, fmt.Errorf("title is missing")
	}
	if f.Doc, ok = obj["description"].(string); !ok {
		return f, fmt.Errorf("description is missing")
	}
	if ref, ok := obj["$ref"].(string); ok {
		def := strings.TrimPrefix(ref, "#/$defs/")
		f.Type, f.Partial = refTypes[def], def == "partial_date"
	} else {
		switch {
		case n.types == tInteger:
			f.Type = Integer
		case n.types == tNumber:
			f.Type = Number
		case n.enum != nil:
			f.Type = Enum
		case n.date:
			f.Type = Date
		case len(n.patterns) > 0 || len(n.anyOf) > 0:
			f.Type = Code
		default:
			f.Type = Text
		}
	}
	if f.Type == "" {
		return f, fmt.Errorf("no Type for %v", obj["$ref"])
	}
	if n.types == 0 {
		return f, fmt.Errorf(`every field needs a "type"`)
	}
	if f.Rule == "" {
		if n.date || len(n.patterns) > 0 || len(n.anyOf) > 0 || n.minimum != nil || n.maximum != nil ||
			n.exclusiveMinimum != nil || n.exclusiveMaximum != nil {
			return f, fmt.Errorf(`a field with a pattern, format or bound needs "x-rule" saying it in words`)
		}
		switch {
		case n.enum != nil:
			f.Rule = "one of " + strings.Join(n.enum, ", ")
		case n.types == tString && n.maxLen >= 0:
			f.Rule = fmt.Sprintf("text of at most %d characters", n.maxLen)
		case n.types == tString:
			f.Rule = "text"
		case n.types == tInteger:
			f.Rule = "a whole number"
		default:
			f.Rule = "a number"
		}
	}
	if len(n.labels) > 0 && n.enum == nil {
		return f, fmt.Errorf("x-enum-labels without enum")
	}
	for _, v := range n.enum {
		if n.labels != nil && n.labels[v] == "" {
			return f, fmt.Errorf("x-enum-labels has no label for %q", v)
		}
	}
	return f, nil
}

// propertyOrder returns the names of the root "properties" in the order the
// document writes them, which is the order of Kind.Fields.
func propertyOrder(src []byte) ([]string, error) {
	var root struct {
		Properties json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(src, &root); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(root.Properties))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("properties must be an object")
	}
	var names []string
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		names = append(names, t.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, err
		}
	}
	return names, nil
}

func stringList(v any) ([]string, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("want a list of strings")
	}
	out := make([]string, len(list))
	for i, x := range list {
		if out[i], ok = x.(string); !ok {
			return nil, fmt.Errorf("want a list of strings")
		}
	}
	return out, nil
}
