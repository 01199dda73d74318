package schema

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"regexp"
	"slices"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/lienthong/lienthong/examples"
)

func TestKinds(t *testing.T) {
	var names []string
	for _, k := range Kinds() {
		names = append(names, k.Name)
	}
	want := []string{"birth_registration", "business_registration", "death_registration", "health_insurance_card",
		"land_use_certificate", "marriage_registration", "person", "social_assistance_beneficiary"}
	if !slices.Equal(names, want) {
		t.Fatalf("Kinds() = %v, want %v", names, want)
	}
	snake := regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)
	for _, k := range Kinds() {
		if got, ok := Lookup(k.Name); !ok || got != k {
			t.Errorf("Lookup(%q) = %v, %v", k.Name, got, ok)
		}
		if k.Label == "" || k.Title == "" || k.Doc == "" || k.Department == "" {
			t.Errorf("%s: label, title, doc and department are needed for the docs", k.Name)
		}
		for _, f := range k.Fields {
			if !snake.MatchString(f.Name) {
				t.Errorf("%s.%s: field names are snake_case", k.Name, f.Name)
			}
			if k.Field(f.Name) == nil || k.Field(f.Name).Name != f.Name {
				t.Errorf("%s.Field(%q) does not find it", k.Name, f.Name)
			}
		}
	}
	if _, ok := Lookup("persn"); ok {
		t.Error("Lookup of an unknown kind succeeded")
	}
	if mustKind(t, "person").Field("nick") != nil {
		t.Error("Field of an unknown name is not nil")
	}
}

// TestSharedDefinitions: each kind file is self-contained, so shared
// definitions ($defs/date, $defs/id_number, ...) are repeated; they must not
// drift apart.
func TestSharedDefinitions(t *testing.T) {
	seen := map[string]json.RawMessage{}
	from := map[string]string{}
	for _, k := range Kinds() {
		var doc struct {
			Defs map[string]json.RawMessage `json:"$defs"`
		}
		if err := json.Unmarshal(k.JSONSchema(), &doc); err != nil {
			t.Fatal(err)
		}
		for name, def := range doc.Defs {
			var buf bytes.Buffer
			if err := json.Compact(&buf, def); err != nil {
				t.Fatal(err)
			}
			if prev, ok := seen[name]; ok && !bytes.Equal(prev, buf.Bytes()) {
				t.Errorf("$defs/%s differs between %s and %s:\n%s\n%s", name, from[name], k.Name, prev, buf.Bytes())
			}
			seen[name], from[name] = buf.Bytes(), k.Name
		}
	}
}

// TestExampleMappings: the shipped mappings (and so the demo) must name
// fields of their kinds; schema v1 kept person's and birth_registration's
// field names for them.
func TestExampleMappings(t *testing.T) {
	files, err := fs.Glob(examples.Mappings, "mappings/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no example mappings: %v", err)
	}
	for _, name := range files {
		src, err := examples.Mappings.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var m struct {
			Kind   string         `yaml:"kind"`
			Fields map[string]any `yaml:"fields"`
		}
		if err := yaml.Unmarshal(src, &m); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		k, ok := Lookup(m.Kind)
		if !ok {
			t.Fatalf("%s: kind %q", name, m.Kind)
		}
		for field := range m.Fields {
			if k.Field(field) == nil {
				t.Errorf("%s: %s has no field %q", name, k.Name, field)
			}
		}
		for _, f := range k.Fields {
			if _, mapped := m.Fields[f.Name]; f.Required && !mapped {
				t.Errorf("%s: required field %s is not mapped", name, f.Name)
			}
		}
	}
}

// TestParseKindErrors: a kind file the compiled validator cannot follow
// exactly must fail at init, not validate loosely.
func TestParseKindErrors(t *testing.T) {
	base := func(prop string) string {
		return `{"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "urn:lienthong:schema:1:t",
		"title": "T", "x-label": "T", "x-key": ["a"], "type": "object", "additionalProperties": false,
		"required": ["a"], "properties": {"a": {"type": "string", "title": "A", "x-label": "A", "description": "A."}` + prop + `}}`
	}
	if _, err := parseKind("t", []byte(base(""))); err != nil {
		t.Fatalf("the base document must parse: %v", err)
	}
	tests := []struct{ name, prop, want string }{
		{"oneOf", `, "b": {"type": "string", "oneOf": [{"pattern": "x"}], "title": "B", "x-label": "B", "description": "B."}`, `keyword "oneOf"`},
		{"format email", `, "b": {"type": "string", "format": "email", "title": "B", "x-label": "B", "description": "B."}`, `format email`},
		{"type array", `, "b": {"type": "array", "title": "B", "x-label": "B", "description": "B."}`, `type array`},
		{"pattern without words", `, "b": {"type": "string", "pattern": "^x$", "title": "B", "x-label": "B", "description": "B."}`, `x-rule`},
		{"no label", `, "b": {"type": "string", "title": "B", "description": "B."}`, `x-label`},
		{"no type", `, "b": {"pattern": "^x$", "x-rule": "x", "title": "B", "x-label": "B", "description": "B."}`, `"type"`},
		{"bad ref", `, "b": {"$ref": "#/$defs/nope", "title": "B", "x-label": "B", "description": "B."}`, `no such definition`},
		{"bad regexp", `, "b": {"type": "string", "pattern": "(", "x-rule": "x", "title": "B", "x-label": "B", "description": "B."}`, `missing closing )`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseKind("t", []byte(base(tt.prop)))
			if err == nil || !bytes.Contains([]byte(err.Error()), []byte(tt.want)) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
