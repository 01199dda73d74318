package ingest_test

import (
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/lienthong/lienthong/national/ingest"
)

// The wire types and paths are the ones docs/national-api.yaml describes:
// a field or route added on one side only fails here.
func TestSpecMatchesWireTypes(t *testing.T) {
	raw, err := os.ReadFile("../../docs/national-api.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		OpenAPI    string                    `yaml:"openapi"`
		Paths      map[string]map[string]any `yaml:"paths"`
		Components struct {
			Schemas map[string]struct {
				Required   []string       `yaml:"required"`
				Properties map[string]any `yaml:"properties"`
			} `yaml:"schemas"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(spec.OpenAPI, "3.1") {
		t.Errorf("openapi %q, want 3.1", spec.OpenAPI)
	}
	var paths []string
	for p := range spec.Paths {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	want := []string{ingest.PathBatches, ingest.PathInfo, ingest.PathCount, ingest.PathMarkDeleted, ingest.PathRetire, ingest.PathTouch, ingest.PathUnseen}
	sort.Strings(want)
	if !slices.Equal(paths, want) {
		t.Errorf("spec paths %v, code paths %v", paths, want)
	}
	for name, v := range map[string]any{
		"Info": ingest.Info{}, "Provenance": ingest.Provenance{}, "Record": ingest.Record{}, "Batch": ingest.Batch{},
		"Result": ingest.Result{}, "BatchAnswer": ingest.BatchAnswer{}, "StreamRequest": ingest.StreamRequest{}, "Problem": ingest.Problem{},
	} {
		s, ok := spec.Components.Schemas[name]
		if !ok {
			t.Errorf("schema %s missing from the spec", name)
			continue
		}
		var fields, props []string
		typ := reflect.TypeOf(v)
		for i := range typ.NumField() {
			tag, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
			fields = append(fields, tag)
		}
		for p := range s.Properties {
			props = append(props, p)
		}
		sort.Strings(fields)
		sort.Strings(props)
		if !slices.Equal(fields, props) {
			t.Errorf("schema %s: spec properties %v, Go fields %v", name, props, fields)
		}
		for _, r := range s.Required {
			if !slices.Contains(fields, r) {
				t.Errorf("schema %s: required %q is not a field", name, r)
			}
		}
	}
}
