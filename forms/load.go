package forms

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/parser"

	"github.com/lienthong/lienthong/schema"
)

//go:embed defs/*.yaml
var builtin embed.FS

// Set is a loaded, checked set of forms.
type Set struct {
	byName map[string]*Form
	names  []string
}

// Get returns the named form.
func (s *Set) Get(name string) (*Form, bool) {
	f, ok := s.byName[name]
	return f, ok
}

// List returns the forms in name order.
func (s *Set) List() []*Form {
	out := make([]*Form, len(s.names))
	for i, n := range s.names {
		out[i] = s.byName[n]
	}
	return out
}

// Builtin returns the forms shipped with lienthong. They are checked by the
// package's tests, so loading them cannot fail.
func Builtin() *Set {
	s, err := loadFS(builtin, "defs")
	if err != nil {
		panic(fmt.Sprintf("forms: shipped forms: %v", err))
	}
	return s
}

// Load reads every *.yaml file in dir as a form. Every mistake in every
// file is reported, joined.
func Load(dir string) (*Set, error) {
	return loadFS(os.DirFS(dir), ".", func(name string) string { return filepath.Join(dir, name) })
}

func loadFS(fsys fs.FS, dir string, display ...func(string) string) (*Set, error) {
	names, err := fs.Glob(fsys, pathJoin(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("load forms: no *.yaml file in %s", dir)
	}
	s := &Set{byName: map[string]*Form{}}
	var errs []error
	for _, name := range names {
		shown := name
		if len(display) > 0 {
			shown = display[0](strings.TrimPrefix(name, "./"))
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			errs = append(errs, fmt.Errorf("load form %s: %w", shown, err))
			continue
		}
		f, err := Parse(shown, data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if prev, dup := s.byName[f.Name]; dup {
			errs = append(errs, fmt.Errorf("%s: form %q is also defined in %s", shown, f.Name, prev.File))
			continue
		}
		s.byName[f.Name] = f
		s.names = append(s.names, f.Name)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	sort.Strings(s.names)
	return s, nil
}

func pathJoin(dir, name string) string {
	if dir == "." {
		return name
	}
	return dir + "/" + name
}

var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// Parse decodes one form file strictly (an unknown key is an error) and
// checks it against the common schema. Errors say file:line: key: what.
func Parse(file string, data []byte) (*Form, error) {
	var f Form
	if err := yaml.UnmarshalWithOptions(data, &f, yaml.Strict()); err != nil {
		return nil, fmt.Errorf("%s: %s", file, strings.TrimSpace(yaml.FormatError(err, false, false)))
	}
	f.File = file
	ast, _ := parser.ParseBytes(data, 0)
	at := func(path string) string {
		p, err := yaml.PathString("$." + path)
		if err != nil || ast == nil {
			return file
		}
		n, err := p.FilterFile(ast)
		if err != nil || n == nil {
			return file
		}
		return fmt.Sprintf("%s:%d", file, n.GetToken().Position.Line)
	}
	var errs []error
	bad := func(path, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s: %s", at(path), path, fmt.Sprintf(format, args...)))
	}
	if !namePattern.MatchString(f.Name) {
		bad("form", "%q is not a form name: use lowercase letters, digits and dashes", f.Name)
	}
	if f.Title == "" {
		bad("form", "the form has no title")
	}
	if len(f.Fields) == 0 {
		bad("form", "the form has no fields")
	}
	seen := map[string]bool{}
	for i := range f.Fields {
		fd := &f.Fields[i]
		key := fmt.Sprintf("fields[%d]", i)
		if !namePattern.MatchString(fd.Name) {
			bad(key+".name", "%q is not a field name: use lowercase letters, digits and underscores", fd.Name)
		}
		if seen[fd.Name] {
			bad(key+".name", "field %q is defined twice", fd.Name)
		}
		seen[fd.Name] = true
		if fd.Label == "" {
			bad(key, "field %q has no label", fd.Name)
		}
		if fd.From == "" {
			if len(fd.Kinds) > 0 || len(fd.Departments) > 0 || fd.Choose != "" || fd.RecentBy != "" {
				bad(key, "field %q has no \"from\" but says where it comes from: give the common-schema field, or leave the field to the citizen", fd.Name)
			}
			continue
		}
		if len(fd.Kinds) == 0 {
			bad(key+".kinds", "field %q names no record kind that may supply %q", fd.Name, fd.From)
		}
		for j, k := range fd.Kinds {
			kind, ok := schema.Lookup(k)
			if !ok {
				bad(fmt.Sprintf("%s.kinds[%d]", key, j), "unknown record kind %q", k)
				continue
			}
			if kind.Field(fd.From) == nil {
				bad(key+".from", "kind %s has no field %q", k, fd.From)
			}
			if fd.RecentBy != "" {
				if rf := kind.Field(fd.RecentBy); rf == nil || rf.Type != schema.Date {
					bad(key+".recent_by", "kind %s has no date field %q to order its records by", k, fd.RecentBy)
				}
			}
		}
		if slices.Contains(fd.Departments, "") {
			bad(key+".departments", "an empty department name")
		}
		switch fd.Choose {
		case "":
			fd.Choose = MostRecent
		case MostRecent, Authority:
		default:
			bad(key+".choose", "%q: choose most_recent or authority", fd.Choose)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &f, nil
}
