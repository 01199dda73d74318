// Package mapping turns a department's source record into a record of the
// common schema, as a mapping file says.
//
// A mapping file (YAML, one per stream) names the target record kind, a
// version that the provenance of every record it makes carries, and for each
// target field where its value comes from and how it is cleaned:
//
//	kind: birth_registration
//	version: "1"
//	fields:
//	  full_name:         {from: ho_ten, transforms: [trim, collapse_spaces]}
//	  date_of_birth:     {from: ngay_sinh, date: [dd/mm/yyyy, yyyy-mm-dd]}
//	  sex:               {from: gioi_tinh, values: {Nam: M, "Nữ": F}}
//	  nationality:       {value: Việt Nam}
//
// Load compiles a file once; Mapper.Map is then pure and cheap per record.
// This is mapping v0: the seam (Load, Map, Violation) stays when a richer
// expression language replaces the field specs. The package must not do I/O
// outside Load.
package mapping

import (
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/parser"
	"golang.org/x/text/unicode/norm"

	"github.com/lienthong/lienthong/schema"
)

// File is a mapping file as written.
type File struct {
	Kind    string               `yaml:"kind"`
	Version string               `yaml:"version"`
	Fields  map[string]FieldSpec `yaml:"fields"`
}

// FieldSpec says how one target field is made.
type FieldSpec struct {
	// From is the source column. Exactly one of From and Value is set.
	From string `yaml:"from"`
	// Value is a constant.
	Value string `yaml:"value"`
	// Transforms clean text, in order: trim, collapse_spaces, upper, lower,
	// digits.
	Transforms []string `yaml:"transforms"`
	// Date lists the layouts a date may be written in (dd/mm/yyyy, d/m/yyyy,
	// yyyy-mm-dd, dd-mm-yyyy, dd.mm.yyyy, ...); the result is YYYY-MM-DD.
	Date []string `yaml:"date"`
	// Values is a value table: source value -> schema value. A value not in
	// the table is rejected.
	Values map[string]string `yaml:"values"`
	// Default is used when the source value is missing or empty.
	Default string `yaml:"default"`
}

// Mapper is a compiled mapping.
type Mapper struct {
	// Path is the mapping file, for errors and provenance.
	Path    string
	Kind    *schema.Kind
	Version string
	fields  []compiledField
}

type compiledField struct {
	name       string
	from       string
	value      string
	transforms []func(string) string
	layouts    []string
	values     map[string]string
	valueKeys  string
	def        string
}

var transforms = map[string]func(string) string{
	"trim":            strings.TrimSpace,
	"collapse_spaces": func(s string) string { return strings.Join(strings.Fields(s), " ") },
	"upper":           strings.ToUpper,
	"lower":           strings.ToLower,
	"digits": func(s string) string {
		return strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, s)
	},
}

// Load reads and compiles a mapping file. Errors name the file, the line and
// the field.
func Load(path string) (*Mapper, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read mapping: %w", err)
	}
	return Parse(path, src)
}

// Parse compiles a mapping from its source text; path is used in errors.
func Parse(path string, src []byte) (*Mapper, error) {
	var f File
	if err := yaml.UnmarshalWithOptions(src, &f, yaml.Strict()); err != nil {
		return nil, fmt.Errorf("%s:%s", path, strings.TrimPrefix(yaml.FormatError(err, false, false), "["))
	}
	ast, err := parser.ParseBytes(src, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	lineOf := func(yamlPath string) int {
		p, err := yaml.PathString(yamlPath)
		if err != nil {
			return 0
		}
		n, err := p.FilterFile(ast)
		if err != nil || n == nil {
			return 0
		}
		return n.GetToken().Position.Line
	}
	fail := func(yamlPath, format string, args ...any) error {
		return fmt.Errorf("%s:%d: %s", path, lineOf(yamlPath), fmt.Sprintf(format, args...))
	}
	kind, ok := schema.Lookup(f.Kind)
	if !ok {
		names := make([]string, 0)
		for _, k := range schema.Kinds() {
			names = append(names, k.Name)
		}
		return nil, fail("$.kind", "kind %q is not a record kind of the common schema (one of %s)", f.Kind, strings.Join(names, ", "))
	}
	if strings.TrimSpace(f.Version) == "" {
		return nil, fmt.Errorf("%s:1: missing required key \"version\" (provenance records which mapping version made each record)", path)
	}
	m := &Mapper{Path: path, Kind: kind, Version: f.Version}
	names := make([]string, 0, len(f.Fields))
	for name := range f.Fields {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		spec := f.Fields[name]
		at := "$.fields." + name
		if kind.Field(name) == nil {
			return nil, fail(at, "field %q is not a field of %s", name, kind.Name)
		}
		if (spec.From == "") == (spec.Value == "") {
			return nil, fail(at, "field %q: set exactly one of from and value", name)
		}
		cf := compiledField{name: name, from: spec.From, value: norm.NFC.String(spec.Value), def: spec.Default}
		for _, t := range spec.Transforms {
			fn, ok := transforms[t]
			if !ok {
				return nil, fail(at, "field %q: unknown transform %q (one of collapse_spaces, digits, lower, trim, upper)", name, t)
			}
			cf.transforms = append(cf.transforms, fn)
		}
		for _, l := range spec.Date {
			layout, err := goLayout(l)
			if err != nil {
				return nil, fail(at, "field %q: %v", name, err)
			}
			cf.layouts = append(cf.layouts, layout)
		}
		if len(spec.Values) > 0 {
			cf.values = make(map[string]string, len(spec.Values))
			keys := make([]string, 0, len(spec.Values))
			for k, v := range spec.Values {
				cf.values[norm.NFC.String(k)] = v
				keys = append(keys, k)
			}
			sort.Strings(keys)
			cf.valueKeys = strings.Join(keys, ", ")
		}
		m.fields = append(m.fields, cf)
	}
	for _, fd := range kind.Fields {
		if _, mapped := f.Fields[fd.Name]; fd.Required && !mapped {
			return nil, fail("$.fields", "required field %q of %s is not mapped", fd.Name, kind.Name)
		}
	}
	return m, nil
}

// goLayout turns a date pattern a department officer writes (dd/mm/yyyy)
// into a Go layout.
func goLayout(pattern string) (string, error) {
	r := strings.NewReplacer("yyyy", "2006", "yy", "06", "dd", "02", "d", "2", "mm", "01", "m", "1")
	layout := r.Replace(strings.ToLower(pattern))
	if strings.IndexFunc(layout, unicode.IsLetter) >= 0 || !strings.Contains(layout, "06") {
		return "", fmt.Errorf("date pattern %q: use dd, d, mm, m, yyyy or yy with separators, e.g. dd/mm/yyyy", pattern)
	}
	return layout, nil
}

// Map makes a common-schema record from a source record and validates it. A
// record with violations is not deliverable; every violation names its field.
func (m *Mapper) Map(src map[string]any) (schema.Record, []schema.Violation) {
	data := make(map[string]any, len(m.fields))
	var vs []schema.Violation
	for i := range m.fields {
		f := &m.fields[i]
		v, viol := f.apply(src)
		if viol != nil {
			vs = append(vs, *viol)
			continue
		}
		if v != "" {
			data[f.name] = v
		}
	}
	rec := schema.Record{Kind: m.Kind.Name, Data: data}
	if len(vs) == 0 {
		return rec, m.Kind.Validate(data)
	}
	// Report what the schema says of the other fields too, so a department
	// fixes a record in one pass; a field that failed mapping is absent from
	// data and must not be reported twice as missing.
	failed := make(map[string]bool, len(vs))
	for _, v := range vs {
		failed[v.Field] = true
	}
	for _, v := range m.Kind.Validate(data) {
		if !failed[v.Field] {
			vs = append(vs, v)
		}
	}
	return rec, vs
}

func (f *compiledField) apply(src map[string]any) (string, *schema.Violation) {
	if f.from == "" {
		return f.value, nil
	}
	raw, present := src[f.from]
	if !present {
		return "", &schema.Violation{Field: f.name, Code: schema.ReasonNoMapping,
			Message: fmt.Sprintf("%s: source column %q is missing from the record; check the mapping", f.name, f.from)}
	}
	if t, ok := raw.(time.Time); ok && f.layouts != nil {
		return t.Format(time.DateOnly), nil
	}
	s := norm.NFC.String(text(raw))
	for _, fn := range f.transforms {
		s = fn(s)
	}
	if strings.TrimSpace(s) == "" {
		return f.def, nil
	}
	if f.layouts != nil {
		return f.parseDate(s)
	}
	if f.values != nil {
		mapped, ok := f.values[s]
		if !ok {
			mapped, ok = f.values[strings.TrimSpace(s)]
		}
		if !ok {
			return "", &schema.Violation{Field: f.name, Code: schema.ReasonBadValue,
				Message: fmt.Sprintf("%s: value %q is not in the mapping's value table (%s)", f.name, s, f.valueKeys)}
		}
		return mapped, nil
	}
	return s, nil
}

func (f *compiledField) parseDate(s string) (string, *schema.Violation) {
	s = strings.TrimSpace(s)
	for _, layout := range f.layouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format(time.DateOnly), nil
		}
	}
	return "", &schema.Violation{Field: f.name, Code: schema.ReasonBadDate,
		Message: fmt.Sprintf("%s: %q is not a valid date in the mapping's formats", f.name, s)}
}

// text renders a source value as text without losing digits: IDs stored as
// numbers must not turn into 1.2e+11.
func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []byte:
		return string(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return strconv.FormatInt(int64(x), 10)
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		return x.Format(time.RFC3339)
	}
	return fmt.Sprint(v)
}
