package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// The compiled validator must say what a full JSON Schema validator says of
// the same embedded documents. These tests compare it with
// santhosh-tekuri/jsonschema (format assertions on) record by record: both
// must find the same set of fields at fault. Absent values (nil, blank text)
// are dropped first, as Validate and Canonical treat them.

var (
	referenceOnce    sync.Once
	referenceSchemas map[string]*jsonschema.Schema
)

func reference(t testing.TB, k *Kind) *jsonschema.Schema {
	t.Helper()
	referenceOnce.Do(func() {
		referenceSchemas = map[string]*jsonschema.Schema{}
		for _, k := range Kinds() {
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(k.JSONSchema()))
			if err != nil {
				panic(err)
			}
			c := jsonschema.NewCompiler()
			c.AssertFormat()
			url := k.Name + ".json"
			if err := c.AddResource(url, doc); err != nil {
				panic(err)
			}
			sch, err := c.Compile(url)
			if err != nil {
				panic(fmt.Sprintf("%s: %v", k.Name, err))
			}
			referenceSchemas[k.Name] = sch
		}
	})
	return referenceSchemas[k.Name]
}

// compact drops absent values, as Validate and Canonical do.
func compact(data map[string]any) map[string]any {
	out := make(map[string]any, len(data))
	for name, v := range data {
		if !absent(v) {
			out[name] = v
		}
	}
	return out
}

// referenceFields returns the fields the reference validator finds at fault.
func referenceFields(err error) []string {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return nil
	}
	set := map[string]bool{}
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.InstanceLocation) > 0 {
			set[e.InstanceLocation[0]] = true
			return
		}
		switch k := e.ErrorKind.(type) {
		case *kind.Required:
			for _, m := range k.Missing {
				set[m] = true
			}
		case *kind.AdditionalProperties:
			for _, p := range k.Properties {
				set[p] = true
			}
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	out := make([]string, 0, len(set))
	for f := range set {
		out = append(out, f)
	}
	slices.Sort(out)
	return out
}

// agree fails the test when the two validators find different fields at
// fault in a record.
func agree(t *testing.T, k *Kind, data map[string]any) {
	t.Helper()
	var ours []string
	for _, v := range k.validate(data, "") {
		if !slices.Contains(ours, v.Field) {
			ours = append(ours, v.Field)
		}
	}
	slices.Sort(ours)
	theirs := referenceFields(reference(t, k).Validate(compact(data)))
	if !slices.Equal(ours, theirs) {
		t.Fatalf("%s %v: compiled validator faults %v, jsonschema faults %v\nviolations: %v",
			k.Name, data, ours, theirs, k.validate(data, ""))
	}
}

// example returns a copy of the kind's example record, decoded as the
// mapping would hand it over (numbers as float64).
func example(t testing.TB, k *Kind) map[string]any {
	t.Helper()
	var doc struct {
		Examples []map[string]any `json:"examples"`
	}
	if err := json.Unmarshal(k.JSONSchema(), &doc); err != nil || len(doc.Examples) == 0 {
		t.Fatalf("%s: no example: %v", k.Name, err)
	}
	return doc.Examples[0]
}

// probes are values tried in every field of every kind: each field's type
// meets values of every other type and near-misses of every rule.
var probes = []any{
	nil, "", "   ", "\u00a0", "x", " x ", "Nguyễn Văn An", strings.Repeat("a", 20), strings.Repeat("a", 21),
	strings.Repeat("a", 50), strings.Repeat("a", 51), strings.Repeat("ệ", 255), strings.Repeat("ệ", 256),
	strings.Repeat("a", 1000), strings.Repeat("a", 1001), strings.Repeat("ệ", 1001), "x\xffy",
	"2024-02-29", "2023-02-29", "2024-04-31", "2024-13-01", "2024-00-10", "2024-1-01", "0000-01-01", "1990",
	"1990-00", "1990-12", "1990-13", "199", "24-03-2024", "2024/03/01", " 2024-03-01", "2024-03-01T00:00:00Z",
	"042090001234", "04209000123", "0420900012345", "183456789", "04209000123a", "０４２０９０００１２３４",
	"+84912345678", "+842393855555", "+8491234567", "+84123456789012", "0912345678",
	"GD4424212345678", "GD6424212345678", "gd4424212345678", "4212345678", "421234567", "42001",
	"3001234567", "3001234567-001", "3001234567001", "CS123456", "CS 123456", "CS123456789", "ODT", "odt",
	"M", "F", "m", "Nam", "1", "5", "6", "elderly", "active", "individual", "shared",
	0, 1, -1, 750000, int64(5000000000), int64(1 << 60), uint64(math.MaxUint64), 0.5, -0.5, 215.5, 1e300, -1e-300,
	float32(2.5), json.Number("7"), json.Number("1e2"), json.Number("1.50"), json.Number("-0"), json.Number("0.0"),
	math.NaN(), math.Inf(1), true, false, []any{"x"}, map[string]any{"a": "b"},
}

func TestValidatorAgrees(t *testing.T) {
	for _, k := range Kinds() {
		t.Run(k.Name, func(t *testing.T) {
			agree(t, k, example(t, k))
			agree(t, k, map[string]any{})
			for _, f := range k.Fields {
				for _, p := range probes {
					rec := example(t, k)
					rec[f.Name] = p
					agree(t, k, rec)
					delete(rec, f.Name)
					agree(t, k, rec)
				}
			}
			for _, extra := range []any{"x", nil, "  ", 1} {
				rec := example(t, k)
				rec["nick_name"] = extra
				agree(t, k, rec)
			}
		})
	}
}

var jsonNumber = regexp.MustCompile(`^-?(0|[1-9][0-9]{0,30})(\.[0-9]{1,30})?([eE][+-]?[0-9]{1,3})?$`)

// FuzzValidatorAgrees mutates a kind's example with fuzzed values and
// compares the two validators.
func FuzzValidatorAgrees(f *testing.F) {
	f.Add(uint8(0), uint8(0), uint8(0), "2024-02-30", 1.5)
	f.Add(uint8(1), uint8(4), uint8(1), "1990-1", -2.0)
	f.Add(uint8(6), uint8(8), uint8(3), "1e2", 0.0)
	f.Add(uint8(7), uint8(2), uint8(4), "nick", 3.0)
	f.Add(uint8(4), uint8(0), uint8(0), "+8491234567", 0.0)
	kinds := Kinds()
	f.Fuzz(func(t *testing.T, kindIx, fieldIx, op uint8, s string, x float64) {
		k := kinds[int(kindIx)%len(kinds)]
		rec := example(t, k)
		name := k.Fields[int(fieldIx)%len(k.Fields)].Name
		switch op % 6 {
		case 0:
			rec[name] = s
		case 1:
			rec[name] = x
		case 2:
			rec[name] = int64(x)
		case 3:
			if !jsonNumber.MatchString(s) {
				t.Skip()
			}
			rec[name] = json.Number(s)
		case 4:
			rec[s] = s
		case 5:
			delete(rec, name)
			rec[name+"_"] = s
		}
		agree(t, k, rec)
	})
}

func BenchmarkValidate(b *testing.B) {
	k, _ := Lookup("birth_registration")
	rec := example(b, k)
	bad := example(b, k)
	bad["date_of_birth"], bad["id_number"], bad["nick"] = "2024-02-30", "4222400012", "x"
	for _, bc := range []struct {
		name  string
		rec   map[string]any
		valid bool
	}{{"valid", rec, true}, {"invalid", bad, false}} {
		b.Run("compiled/"+bc.name, func(b *testing.B) {
			b.ReportAllocs()
			reportCPU(b, func() {
				if vs := k.Validate(bc.rec); (vs == nil) != bc.valid {
					b.Fatal(vs)
				}
			})
		})
		b.Run("jsonschema/"+bc.name, func(b *testing.B) {
			sch := reference(b, k)
			b.ReportAllocs()
			reportCPU(b, func() {
				if err := sch.Validate(bc.rec); (err == nil) != bc.valid {
					b.Fatal(err)
				}
			})
		})
	}
	b.Run("compiled/valid_without_rules", func(b *testing.B) {
		b.ReportAllocs()
		reportCPU(b, func() {
			if vs := k.validate(rec, ""); vs != nil {
				b.Fatal(vs)
			}
		})
	})
}
