package units

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fixture is a small pair of lists written as the official files are, for
// what the real lists do not show: load errors, and repairs in a known
// place. Province 01 has communes 00001..00200 ("Xã Làng N" before, "Xã Thôn
// N" after: the codes are reused), province 02 has commune 00201. Each old
// commune goes into the current commune of the same code.
type fixture struct {
	before, current, oldToNew, newToOld string
}

const fixtureCommunes = 200

func newFixture() *fixture {
	var b, c, o, n strings.Builder
	unit := func(i int) string { return fmt.Sprintf("%05d", i) }

	b.WriteString(`{"data":[{"level1_id":"01","name":"Tỉnh Sông Lam","type":"Tỉnh","level2s":[{"level2_id":"001","name":"Huyện Núi Hồng","type":"Huyện","level3s":[`)
	c.WriteString(`[{"Code":"01","Name":"Sông Lam","FullName":"Tỉnh Sông Lam","Wards":[`)
	o.WriteString(`{"data":[{"level1_id":"01","name":"Tỉnh Sông Lam","splits":[{"new_id":"01","name":"Tỉnh Sông Lam"}],"level3s":[`)
	n.WriteString(`{"data":[{"level1_id":"01","name":"Tỉnh Sông Lam","merges":[{"old_id":"01","name":"Tỉnh Sông Lam","type":"full"}],"level2s":[`)
	for i := 1; i <= fixtureCommunes; i++ {
		sep := ","
		if i == fixtureCommunes {
			sep = ""
		}
		fmt.Fprintf(&b, `{"level3_id":"%s","name":"Xã Làng %d","type":"Xã"}%s`, unit(i), i, sep)
		fmt.Fprintf(&c, `{"Code":"%s","Name":"Thôn %d","FullName":"Xã Thôn %d","ProvinceCode":"01"}%s`, unit(i), i, i, sep)
		fmt.Fprintf(&o, `{"level3_id":"%s","name":"Xã Làng %d","splits":[{"new_id":"%s","name":"Xã Thôn %d"}]}%s`, unit(i), i, unit(i), i, sep)
		fmt.Fprintf(&n, `{"level2_id":"%s","name":"Xã Thôn %d","merges":[{"old_id":"%s","name":"Xã Làng %d","type":"full"}]}%s`, unit(i), i, unit(i), i, sep)
	}
	b.WriteString(`]}]},{"level1_id":"02","name":"Tỉnh Biển Xanh","type":"Tỉnh","level2s":[{"level2_id":"002","name":"Huyện Đảo","type":"Huyện","level3s":[{"level3_id":"00201","name":"Xã Làng 201","type":"Xã"}]}]}]}`)
	c.WriteString(`]},{"Code":"02","Name":"Biển Xanh","FullName":"Tỉnh Biển Xanh","Wards":[{"Code":"00201","Name":"Thôn 201","FullName":"Xã Thôn 201","ProvinceCode":"02"}]}]`)
	o.WriteString(`]},{"level1_id":"02","name":"Tỉnh Biển Xanh","splits":[{"new_id":"02","name":"Tỉnh Biển Xanh"}],"level3s":[{"level3_id":"00201","name":"Xã Làng 201","splits":[{"new_id":"00201","name":"Xã Thôn 201"}]}]}]}`)
	n.WriteString(`]},{"level1_id":"02","name":"Tỉnh Biển Xanh","merges":[{"old_id":"02","name":"Tỉnh Biển Xanh","type":"full"}],"level2s":[{"level2_id":"00201","name":"Xã Thôn 201","merges":[{"old_id":"00201","name":"Xã Làng 201","type":"full"}]}]}]}`)
	return &fixture{before: b.String(), current: c.String(), oldToNew: o.String(), newToOld: n.String()}
}

// replace edits one file of the fixture, failing the test when old is not
// in it, so that a fixture change cannot silently turn a case into a no-op.
func replace(t *testing.T, s *string, old, new string) {
	t.Helper()
	if !strings.Contains(*s, old) {
		t.Fatalf("fixture lacks %q", old)
	}
	*s = strings.Replace(*s, old, new, 1)
}

// write puts the fixture in a temporary directory and returns its Files.
func (f *fixture) write(t *testing.T) Files {
	t.Helper()
	dir := t.TempDir()
	files := Files{
		Before:   filepath.Join(dir, "before.json"),
		Current:  filepath.Join(dir, "current.json"),
		OldToNew: filepath.Join(dir, "old-to-new.json"),
		NewToOld: filepath.Join(dir, "new-to-old.json"),
	}
	for path, data := range map[string]string{files.Before: f.before, files.Current: f.current, files.OldToNew: f.oldToNew, files.NewToOld: f.newToOld} {
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return files
}

func TestLoadFixture(t *testing.T) {
	r, err := Load(newFixture().write(t))
	if err != nil {
		t.Fatal(err)
	}
	if w := r.Warnings(); len(w) != 0 {
		t.Errorf("clean fixture gave warnings: %q", w)
	}
	u, err := r.Current("Xã Làng 150", "Sông Lam", in2020)
	if err != nil || u.Code != "00150" || u.FullName != "Xã Thôn 150" || u.Era != Current {
		t.Fatalf("Current(Xã Làng 150) = %v, %v; want 00150 Xã Thôn 150", u, err)
	}
}

func TestLoadErrors(t *testing.T) {
	for _, c := range []struct {
		name  string
		edit  func(t *testing.T, f *fixture, files *Files)
		file  func(Files) string // the path the error must name
		wants []string
	}{
		{
			name:  "no before path",
			edit:  func(t *testing.T, f *fixture, files *Files) { files.Before = "" },
			wants: []string{"Files.Before is empty", "units-pre-2025-07-01.json"},
		},
		{
			name:  "no mapping path",
			edit:  func(t *testing.T, f *fixture, files *Files) { files.OldToNew = "" },
			wants: []string{"Files.OldToNew is empty"},
		},
		{
			name:  "missing file",
			edit:  func(t *testing.T, f *fixture, files *Files) { files.Current += ".missing" },
			file:  func(f Files) string { return f.Current },
			wants: []string{"read current list", "no such file", "check the path"},
		},
		{
			name: "lists swapped",
			edit: func(t *testing.T, f *fixture, files *Files) {
				files.Before, files.Current = files.Current, files.Before
			},
			file:  func(f Files) string { return f.Before },
			wants: []string{"starts with '['", "want '{'", "units-pre-2025-07-01.json"},
		},
		{
			name:  "empty file",
			edit:  func(t *testing.T, f *fixture, files *Files) { f.current = " \n" },
			file:  func(f Files) string { return f.Current },
			wants: []string{"the file is empty"},
		},
		{
			name: "broken JSON",
			edit: func(t *testing.T, f *fixture, files *Files) {
				replace(t, &f.before, `"level2s":[{"level2_id":"001"`, "\n"+`"level2s":[{"level2_id":"001" oops`)
			},
			file:  func(f Files) string { return f.Before },
			wants: []string{":2:", "not valid JSON"},
		},
		{
			name: "code as a number",
			edit: func(t *testing.T, f *fixture, files *Files) {
				replace(t, &f.before, `"level1_id":"02"`, `"level1_id":2`)
			},
			file:  func(f Files) string { return f.Before },
			wants: []string{"data.level1_id holds a JSON number, want string"},
		},
		{
			name:  "no provinces",
			edit:  func(t *testing.T, f *fixture, files *Files) { f.before = `{"data":[]}` },
			file:  func(f Files) string { return f.Before },
			wants: []string{`no provinces under "data"`},
		},
		{
			name:  "short commune code",
			edit:  func(t *testing.T, f *fixture, files *Files) { replace(t, &f.current, `"Code":"00007"`, `"Code":"7"`) },
			file:  func(f Files) string { return f.Current },
			wants: []string{`code "7" is not 5 digits`},
		},
		{
			name: "unknown unit type",
			edit: func(t *testing.T, f *fixture, files *Files) {
				replace(t, &f.before, `"name":"Xã Làng 7"`, `"name":"Làng 7"`)
			},
			file:  func(f Files) string { return f.Before },
			wants: []string{`commune 00007 "Làng 7" does not start with a commune type (Thị trấn, Đặc khu, Phường, Xã)`},
		},
		{
			name: "duplicate code",
			edit: func(t *testing.T, f *fixture, files *Files) {
				replace(t, &f.current, `"Code":"00008"`, `"Code":"00007"`)
			},
			file:  func(f Files) string { return f.Current },
			wants: []string{"commune code 00007 is used twice: Xã Thôn 7 and Xã Thôn 8"},
		},
		{
			name: "ward under the wrong province",
			edit: func(t *testing.T, f *fixture, files *Files) {
				replace(t, &f.current, `"FullName":"Xã Thôn 201","ProvinceCode":"02"`, `"FullName":"Xã Thôn 201","ProvinceCode":"01"`)
			},
			file:  func(f Files) string { return f.Current },
			wants: []string{`commune 00201 Xã Thôn 201 is listed under province 02 but says ProvinceCode "01"`},
		},
		{
			name:  "empty mapping",
			edit:  func(t *testing.T, f *fixture, files *Files) { f.oldToNew = `{"data":[]}` },
			file:  func(f Files) string { return f.OldToNew },
			wants: []string{"no entries"},
		},
		{
			name: "mapping for other lists",
			edit: func(t *testing.T, f *fixture, files *Files) {
				f.oldToNew = strings.ReplaceAll(f.oldToNew, `"name":"Xã Thôn`, `"name":"Xã Khác`)
				f.oldToNew = strings.ReplaceAll(f.oldToNew, `"new_id":"00`, `"new_id":"90`)
			},
			file:  func(f Files) string { return f.OldToNew },
			wants: []string{"201 of 203 entries do not fit the lists", "new code 90001", "configure matching files"},
		},
		{
			name: "bad merge type",
			edit: func(t *testing.T, f *fixture, files *Files) {
				f.newToOld = strings.ReplaceAll(f.newToOld, `"type":"full"`, `"type":"whole"`)
			},
			file:  func(f Files) string { return f.NewToOld },
			wants: []string{`has type "whole", want "full" or "partial"`},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture()
			files := f.write(t)
			c.edit(t, f, &files)
			if files.Before != "" && files.Current != "" {
				rewrite(t, f, files)
			}
			r, err := Load(files)
			if err == nil {
				t.Fatalf("Load succeeded (warnings %q), want an error", r.Warnings())
			}
			msg := err.Error()
			if c.file != nil && !strings.Contains(msg, c.file(files)) {
				t.Errorf("error %q does not name the file %s", msg, c.file(files))
			}
			for _, w := range c.wants {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
			if msg != strings.ToLower(msg[:1])+msg[1:] || strings.HasSuffix(msg, ".") {
				t.Errorf("error %q should start lower case and not end with a period", msg)
			}
		})
	}
}

// rewrite writes the edited fixture back to the paths files names (which an
// edit may have swapped), leaving a path that was made to not exist alone.
func rewrite(t *testing.T, f *fixture, files Files) {
	t.Helper()
	for _, p := range []struct{ path, name, data string }{
		{files.Before, "before.json", f.before},
		{files.Current, "current.json", f.current},
		{files.OldToNew, "old-to-new.json", f.oldToNew},
		{files.NewToOld, "new-to-old.json", f.newToOld},
	} {
		if filepath.Base(p.path) != p.name {
			continue
		}
		if err := os.WriteFile(p.path, []byte(p.data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLoadRepairs(t *testing.T) {
	for _, c := range []struct {
		name    string
		edit    func(t *testing.T, f *fixture)
		warning string
		check   func(t *testing.T, r *Registry)
	}{
		{
			name: "unknown new code repaired by a unique name",
			edit: func(t *testing.T, f *fixture) {
				replace(t, &f.oldToNew, `{"new_id":"00150","name":"Xã Thôn 150"}`, `{"new_id":"09150","name":"Xã  Thôn 150 "}`)
			},
			warning: `new code 09150 ("Xã  Thôn 150", in 1 entries) is not in the current list: used 00150 Xã Thôn 150 of province 01`,
			check:   successorIs("00150", "00150"),
		},
		{
			name: "unknown new code with a name that fits no unit",
			edit: func(t *testing.T, f *fixture) {
				replace(t, &f.oldToNew, `{"new_id":"00150","name":"Xã Thôn 150"}`, `{"new_id":"09150","name":"Xã Không Có"}`)
			},
			warning: `new code 09150 ("Xã Không Có", in 1 entries) is not in the current list and its name fits no single unit there`,
			check:   successorIs("00150", ""),
		},
		{
			name: "successor in a province the old province did not go into",
			edit: func(t *testing.T, f *fixture) {
				replace(t, &f.oldToNew, `{"new_id":"00150","name":"Xã Thôn 150"}`, `{"new_id":"00201","name":"Xã Thôn 201"}`)
			},
			warning: "old commune 00150 Xã Làng 150 of province 01 went into 00201 Xã Thôn 201 of province 02, but its province went into 01: that split is ignored",
			check:   successorIs("00150", ""),
		},
		{
			name: "old code not in the old list",
			edit: func(t *testing.T, f *fixture) {
				replace(t, &f.oldToNew, `"level3s":[{"level3_id":"00201"`, `"level3s":[{"level3_id":"00999","name":"Xã Ma","splits":[{"new_id":"00201","name":"Xã Thôn 201"}]},{"level3_id":"00201"`)
			},
			warning: `old commune 00999 "Xã Ma" is not in the pre-2025-07-01 list: ignored`,
			check:   successorIs("00201", "00201"),
		},
		{
			name: "old commune missing from the mapping",
			edit: func(t *testing.T, f *fixture) {
				replace(t, &f.oldToNew, `{"level3_id":"00150","name":"Xã Làng 150","splits":[{"new_id":"00150","name":"Xã Thôn 150"}]},`, ``)
			},
			warning: "1 old provinces and communes are not in the mapping (00150 Xã Làng 150)",
			check:   successorIs("00150", ""),
		},
		{
			name: "mappings disagree",
			edit: func(t *testing.T, f *fixture) {
				replace(t, &f.newToOld, `"merges":[{"old_id":"00150","name":"Xã Làng 150","type":"full"}]`, `"merges":[{"old_id":"00151","name":"Xã Làng 151","type":"full"}]`)
			},
			warning: "1 merges are not in the old-to-new mapping (00151 Xã Làng 151 into 00150 Xã Thôn 150)",
		},
		{
			name: "stray spaces and NFD in a list",
			edit: func(t *testing.T, f *fixture) {
				replace(t, &f.before, `"name":"Xã Làng 7"`, `"name":"Xã  `+"La\u0300ng"+` 7 "`)
			},
			warning: "1 names have stray or doubled spaces or are not NFC",
			check: func(t *testing.T, r *Registry) {
				u, err := r.Commune("00007", "", in2020)
				if err != nil || u.FullName != "Xã Làng 7" || u.Name != "Làng 7" {
					t.Fatalf("Commune(00007) = %+v, %v; want the cleaned name Xã Làng 7", u, err)
				}
			},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture()
			c.edit(t, f)
			r, err := Load(f.write(t))
			if err != nil {
				t.Fatal(err)
			}
			if all := strings.Join(r.Warnings(), "\n"); !strings.Contains(all, c.warning) {
				t.Errorf("warnings lack %q:\n%s", c.warning, all)
			}
			if c.check != nil {
				c.check(t, r)
			}
		})
	}
}

// successorIs checks the successor of an old commune: want "" for none.
func successorIs(old, want string) func(t *testing.T, r *Registry) {
	return func(t *testing.T, r *Registry) {
		t.Helper()
		u, err := r.Current(old, "", in2020)
		if want == "" {
			if !errors.Is(err, ErrUnknownUnit) || !strings.Contains(err.Error(), "no successor") {
				t.Fatalf("Current(%s) = %v, %v; want no successor", old, u, err)
			}
			return
		}
		if err != nil || u.Code != want || u.Era != Current {
			t.Fatalf("Current(%s) = %v, %v; want %s", old, u, err, want)
		}
	}
}

// TestFullyHeld covers the rule the real lists never trigger: an old commune
// that split goes to the one new commune the new-to-old mapping says holds it
// fully; without that file, or without such a commune, it is ambiguous.
func TestFullyHeld(t *testing.T) {
	split := func(t *testing.T, f *fixture) {
		replace(t, &f.oldToNew, `{"new_id":"00150","name":"Xã Thôn 150"}`, `{"new_id":"00150","name":"Xã Thôn 150"},{"new_id":"00151","name":"Xã Thôn 151"}`)
		replace(t, &f.newToOld, `"merges":[{"old_id":"00151","name":"Xã Làng 151","type":"full"}]`, `"merges":[{"old_id":"00151","name":"Xã Làng 151","type":"full"},{"old_id":"00150","name":"Xã Làng 150","type":"partial"}]`)
	}
	for _, c := range []struct {
		name     string
		edit     func(t *testing.T, f *fixture)
		newToOld bool
		want     want
	}{
		{"held fully by one", split, true, want{code: "00150", full: "Xã Thôn 150", era: Current}},
		{"without the new-to-old file", split, false, want{err: ReasonAmbiguousUnit, cands: []string{"00150", "00151"}}},
		{"held partly by both", func(t *testing.T, f *fixture) {
			split(t, f)
			replace(t, &f.newToOld, `"merges":[{"old_id":"00150","name":"Xã Làng 150","type":"full"}]`, `"merges":[{"old_id":"00150","name":"Xã Làng 150","type":"partial"}]`)
		}, true, want{err: ReasonAmbiguousUnit, cands: []string{"00150", "00151"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture()
			c.edit(t, f)
			files := f.write(t)
			if !c.newToOld {
				files.NewToOld = ""
			}
			r, err := Load(files)
			if err != nil {
				t.Fatal(err)
			}
			u, err := r.Current("Xã Làng 150", "01", in2020)
			check(t, u, err, c.want)
			if got := len(r.Successors(Unit{Code: "00150", Level: Commune, Era: Before})); got != 2 {
				t.Errorf("%d successors, want 2 whichever holds it fully", got)
			}
		})
	}
}
