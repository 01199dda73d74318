package forms_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lienthong/lienthong/forms"
	"github.com/lienthong/lienthong/national"
)

func TestBuiltinForms(t *testing.T) {
	set := forms.Builtin()
	var names []string
	for _, f := range set.List() {
		names = append(names, f.Name)
	}
	want := "cap-lai-the-bhyt khai-sinh-con-thu-hai tro-cap-xa-hoi"
	if got := strings.Join(names, " "); got != want {
		t.Fatalf("builtin forms %q, want %q", got, want)
	}
	f, _ := set.Get("cap-lai-the-bhyt")
	if f.Fields[4].Choose != forms.MostRecent || f.Fields[0].Choose != forms.Authority {
		t.Errorf("choose defaults: %+v", f.Fields)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []string
	}{
		{"unknown key", "form: a\ntitle: A\nfields:\n  - name: x\n    label: X\n    colour: red\n", []string{"colour"}},
		{"unknown kind", "form: a\ntitle: A\nfields:\n  - name: x\n    label: X\n    from: full_name\n    kinds: [persn]\n",
			[]string{`f.yaml:7: fields[0].kinds[0]: unknown record kind "persn"`}},
		{"field not in kind", "form: a\ntitle: A\nfields:\n  - name: x\n    label: X\n    from: card_number\n    kinds: [person]\n",
			[]string{`f.yaml:6: fields[0].from: kind person has no field "card_number"`}},
		{"no kinds", "form: a\ntitle: A\nfields:\n  - name: x\n    label: X\n    from: full_name\n", []string{"fields[0].kinds: field \"x\" names no record kind"}},
		{"bad choose", "form: a\ntitle: A\nfields:\n  - name: x\n    label: X\n    from: full_name\n    kinds: [person]\n    choose: newest\n",
			[]string{`f.yaml:8: fields[0].choose: "newest": choose most_recent or authority`}},
		{"recent_by not a date", "form: a\ntitle: A\nfields:\n  - name: x\n    label: X\n    from: full_name\n    kinds: [person]\n    recent_by: full_name\n",
			[]string{`fields[0].recent_by: kind person has no date field "full_name"`}},
		{"twice and unlabelled", "form: A b\ntitle: A\nfields:\n  - name: x\n  - name: x\n    label: X\n",
			[]string{`"A b" is not a form name`, `field "x" has no label`, `f.yaml:5: fields[1].name: field "x" is defined twice`}},
		{"source without from", "form: a\ntitle: A\nfields:\n  - name: x\n    label: X\n    kinds: [person]\n", []string{`field "x" has no "from"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := forms.Parse("f.yaml", []byte(tc.src))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestLoadDir(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.yaml"), []byte("form: a\ntitle: A\nfields:\n  - name: x\n    label: X\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "b.yaml"), []byte("form: a\ntitle: B\nfields:\n  - name: x\n    label: X\n"), 0o644)
	_, err := forms.Load(dir)
	if err == nil || !strings.Contains(err.Error(), `form "a" is also defined in `+filepath.Join(dir, "a.yaml")) {
		t.Fatalf("duplicate form: %v", err)
	}
	os.Remove(filepath.Join(dir, "b.yaml"))
	set, err := forms.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if f, ok := set.Get("a"); !ok || f.File != filepath.Join(dir, "a.yaml") {
		t.Errorf("loaded %+v", f)
	}
}

func doc(kind, key, dept string, at time.Time, data map[string]any) national.Document {
	b, _ := json.Marshal(data)
	return national.Document{Kind: kind, Key: key, Department: dept, Source: "s", Stream: "st", SourceKey: key, Data: b, LastSyncedAt: at}
}

func TestFill(t *testing.T) {
	const src = `form: t
title: T
fields:
  - name: name
    label: Name
    from: full_name
    kinds: [person, health_insurance_card]
    choose: authority
  - name: card
    label: Card
    from: card_number
    kinds: [health_insurance_card]
    recent_by: valid_from
  - name: address
    label: Address
    from: address
    kinds: [health_insurance_card]
    departments: [bhxh]
  - name: residence
    label: Residence
    from: permanent_residence
    kinds: [person]
  - name: phone
    label: Phone
`
	f, err := forms.Parse("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	docs := []national.Document{
		// The newest card synced first: valid_from orders, not the sync time.
		doc("health_insurance_card", "HT1", "bhxh", t0.Add(2*time.Hour), map[string]any{"card_number": "HT1", "full_name": "Card Name", "valid_from": "2024-01-01", "address": "old"}),
		doc("health_insurance_card", "HT2", "y-te", t0, map[string]any{"card_number": "HT2", "full_name": "Card Name", "valid_from": "2025-01-01", "address": "other department"}),
		doc("person", "001", "tu-phap", t0, map[string]any{"full_name": "Register Name", "id_number": "001"}),
	}
	deleted := doc("health_insurance_card", "HT3", "bhxh", t0.Add(3*time.Hour), map[string]any{"card_number": "HT3", "valid_from": "2026-01-01", "address": "deleted"})
	deleted.Deleted = true
	docs = append(docs, deleted)

	res := f.Fill(docs)
	got := map[string]forms.Filled{}
	for _, fl := range res.Filled {
		got[fl.Field] = fl
	}
	if v := got["name"]; v.Value != "Register Name" || v.Kind != "person" || v.Department != "tu-phap" || !v.AsOf.Equal(t0) {
		t.Errorf("name: authority order must take the register: %+v", v)
	}
	if v := got["card"]; v.Value != "HT2" {
		t.Errorf("card: the newest by valid_from is HT2 (the deleted HT3 never fills): %+v", v)
	}
	if v := got["address"]; v.Value != "old" || v.Department != "bhxh" {
		t.Errorf("address: only bhxh may supply it: %+v", v)
	}
	var missing []string
	for _, m := range res.Missing {
		missing = append(missing, m.Field)
	}
	if strings.Join(missing, ",") != "residence,phone" {
		t.Errorf("missing %v, want residence (no record holds it) and phone (citizen only)", missing)
	}
	if strings.Join(res.FieldNames(), ",") != "name,card,address" {
		t.Errorf("field names %v", res.FieldNames())
	}

	empty := f.Fill(nil)
	if len(empty.Filled) != 0 || len(empty.Missing) != 5 {
		t.Errorf("no records: %+v", empty)
	}
}
