// Package mapping turns a department's source record into a record of the
// common schema, as a mapping file says.
//
// A mapping file (YAML, one per stream) names the target record kind, a
// version that the provenance of every record it makes carries, and an
// expression for each target field over the source record's columns:
//
//	kind: birth_registration
//	version: "2025.1"
//	tables:
//	  gioi_tinh: {Nam: M, "Nữ": F}
//	let:
//	  dob: date(ngay_sinh)
//	fields:
//	  full_name:     name(ho_ten)
//	  date_of_birth: dob
//	  sex:           lookup("gioi_tinh", gioi_tinh)
//	  id_number:     id(so_dinh_danh, lookup("gioi_tinh", gioi_tinh), dob)
//	  nationality:   default(quoc_tich, "Việt Nam")
//	skip:
//	  - {when: 'upper(trim(ghi_chu)) == "TEST"', reason: test row}
//	reject:
//	  - when: 'dob != "" && date(ngay_dang_ky) < dob'
//	    reason: registered_before_birth
//	    field: registration_date
//	    message: "registered on {{ngay_dang_ky}}, before the birth on {{ngay_sinh}}"
//
// Expressions are expr-lang/expr expressions, without its list builtins and
// ranges, so they have no loops. A source column is a name of type text: its
// value as text in Unicode NFC, empty when NULL. Functions are text
// helpers, Vietnamese normalisers (package vn), value tables and, when the
// operator configured them, administrative units; docs/MAPPING.md lists
// them.
//
// Load compiles a file once: every expression is parsed and type-checked
// then, and an error names the file, the line, the key and what is wrong.
// Mapper.Map is then pure: no I/O, a cost bounded by the mapping's size,
// one run of one compiled program per record. A normaliser that fails on a
// record's value makes a Violation of the field that called it, with the
// normaliser's reason code; the record's other fields are still mapped, so
// a department sees every problem of a record at once.
//
// The package must not do I/O outside Load.
package mapping

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/expr-lang/expr/vm"
	"golang.org/x/text/unicode/norm"

	"github.com/lienthong/lienthong/mapping/vn/units"
	"github.com/lienthong/lienthong/schema"
)

// Mapper is a compiled mapping. It is safe for concurrent use.
type Mapper struct {
	// Path is the mapping file, for errors and provenance.
	Path string
	Kind *schema.Kind
	// Version is the mapping's version, recorded with every record it makes.
	Version string

	// prog computes the lets, then the value of each element: the skip
	// conditions, the fields (in the kind's field order), the reject
	// conditions.
	prog *vm.Program
	// eval runs prog's lets and elements without the VM, when it covers
	// them (nil otherwise).
	eval     *evaluator
	elements []element
	skips    []int // element indexes
	fields   []int
	rejects  []int
	// each has a program per element, to map a record one element at a
	// time when prog fails at run time (a division by zero, say), so that
	// the failure stays with its field.
	each []*vm.Program
	// deps are, per slot, the lets the slot uses (indexes, which are their
	// slots too).
	deps   [][]int
	frames sync.Pool
	// columns are the source columns the expressions read, sorted.
	columns []string
}

// Columns returns the source columns the mapping's expressions read, sorted.
// A stream that lacks one of them cannot be mapped: callers compare them
// with what connectors.ColumnLister reports before reading.
func (m *Mapper) Columns() []string { return slices.Clone(m.columns) }

// element is one value the record program computes.
type element struct {
	slot  int
	key   string // key path, for messages
	field string // the target field of a field or a reject
	index int    // a field's index in the kind's fields
	// reason is a skip's reason or a reject's code.
	reason string
	// message is a reject's message: text, and placeholders computed by
	// msgProg.
	message []messagePart
	msgProg *vm.Program
	when    string // a condition's source, for default messages
	// number is set for a field the schema holds as a number (Integer or
	// Number): its text result is parsed into one.
	number schema.Type
}

type messagePart struct {
	text        string
	placeholder int // index in msgProg's result, or -1
}

// Option configures Load and Parse.
type Option func(*options)

type options struct {
	units *units.Registry
}

// WithUnits gives mappings the official administrative-unit lists, for the
// functions province, commune and current_unit. Without it, a mapping that
// calls them does not load.
func WithUnits(r *units.Registry) Option {
	return func(o *options) { o.units = r }
}

// Load reads and compiles a mapping file. Errors name the file, the line
// and the key.
func Load(path string, opts ...Option) (*Mapper, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read mapping: %w", err)
	}
	return Parse(path, src, opts...)
}

// maxErrors bounds the errors Parse reports: past it, the rest are likely
// consequences of the first.
const maxErrors = 25

// Parse compiles a mapping from its source text; path is used in errors.
// Every mistake found is reported, joined with errors.Join; each is an
// *Error.
func Parse(path string, src []byte, opts ...Option) (*Mapper, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	s := readSpec(path, src)
	m := build(s, o)
	if len(s.errs) > 0 {
		slices.SortStableFunc(s.errs, func(a, b *Error) int {
			if a.Line != b.Line {
				return a.Line - b.Line
			}
			return a.Column - b.Column
		})
		errs := make([]error, 0, min(len(s.errs), maxErrors+1))
		for i, e := range s.errs {
			if i == maxErrors {
				errs = append(errs, fmt.Errorf("%s: %d more errors", path, len(s.errs)-maxErrors))
				break
			}
			errs = append(errs, e)
		}
		return nil, errors.Join(errs...)
	}
	return m, nil
}

var reasonCode = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// build compiles a spec; it records every mistake in s.errs and returns nil
// if there was one.
func build(s *spec, o options) *Mapper {
	if len(s.errs) > 0 && s.kind.text == "" {
		return nil
	}
	c := &compiler{spec: s, opts: o, funcs: map[string]*fn{}, columns: map[string]bool{}, letIndex: map[string]int{}}
	for _, f := range textFuncs() {
		c.funcs[f.name] = f
	}
	for _, f := range vnFuncs() {
		c.funcs[f.name] = f
	}
	if o.units != nil {
		for _, f := range unitFuncs() {
			c.funcs[f.name] = f
		}
	}
	c.parse = c.baseConf(nil)

	kind, ok := schema.Lookup(s.kind.text)
	if !ok && s.kind.text != "" {
		names := make([]string, 0)
		for _, k := range schema.Kinds() {
			names = append(names, k.Name)
		}
		c.errorf(s.kind.pos, "kind", "%q is not a record kind of the common schema%s (kinds: %s)", s.kind.text, suggest(s.kind.text, names), strings.Join(names, ", "))
	}
	if s.version.text == "" && s.version.pos.line > 0 {
		c.errorf(s.version.pos, "version", "empty: provenance records which mapping version made each record, e.g. version: \"2025.1\"")
	}
	if s.hasColumns {
		c.declared = map[string]bool{}
		for _, col := range s.columns {
			c.declared[col.text] = true
		}
	}
	c.readTables()

	// Lets, in file order: each sees the lets above it.
	for i, ls := range s.lets {
		p := &piece{kind: letPiece, name: ls.name, key: ls.key, src: ls.src, slot: i}
		switch {
		case !isIdent(ls.name):
			c.errorf(ls.src.pos, ls.key, "a let name is letters, digits and _, not starting with a digit")
		case c.funcs[ls.name] != nil:
			c.errorf(ls.src.pos, ls.key, "%s is a function; choose another name", ls.name)
		case c.declared[ls.name]:
			c.errorf(ls.src.pos, ls.key, "%s is a column (listed under columns); choose another name", ls.name)
		}
		c.lets = append(c.lets, p)
		c.letIndex[ls.name] = i
	}
	for i, p := range c.lets {
		c.check(p, i)
	}
	slot := len(c.lets)
	var elems []*piece
	m := &Mapper{Path: s.file, Kind: kind, Version: s.version.text}

	for _, r := range s.skips {
		p := &piece{kind: skipPiece, key: r.key + ".when", src: r.when, slot: slot}
		slot++
		c.check(p, -1)
		elems = append(elems, p)
		m.skips = append(m.skips, len(m.elements))
		m.elements = append(m.elements, element{slot: p.slot, key: r.key, reason: strings.TrimSpace(r.reason.text), when: r.when.text})
	}
	if kind != nil {
		mapped := map[string]exprSpec{}
		for _, fs := range s.fields {
			if kind.Field(fs.name) == nil {
				c.errorf(fs.src.pos, fs.key, "%q is not a field of %s%s", fs.name, kind.Name, suggest(fs.name, fieldNames(kind)))
				continue
			}
			mapped[fs.name] = fs
		}
		for fi, fd := range kind.Fields {
			fs, ok := mapped[fd.Name]
			if !ok {
				if fd.Required && s.hasFields {
					c.errorf(s.fieldsPos, "fields", "required field %q (%s) of %s is not mapped", fd.Name, fd.Label, kind.Name)
				}
				continue
			}
			p := &piece{kind: fieldPiece, name: fd.Name, key: fs.key, src: fs.src, slot: slot}
			slot++
			c.check(p, -1)
			elems = append(elems, p)
			m.fields = append(m.fields, len(m.elements))
			el := element{slot: p.slot, key: fs.key, field: fd.Name, index: fi}
			if fd.Type == schema.Integer || fd.Type == schema.Number {
				el.number = fd.Type
			}
			m.elements = append(m.elements, el)
		}
	}
	var messages [][]*piece
	for _, r := range s.rejects {
		p := &piece{kind: rejectPiece, key: r.key + ".when", src: r.when, slot: slot}
		slot++
		c.check(p, -1)
		code := strings.TrimSpace(r.reason.text)
		if !reasonCode.MatchString(code) {
			c.errorf(r.reason.pos, r.key+".reason", "%q is not a reason code: write lowercase letters, digits and _, e.g. registered_before_birth", code)
		}
		field := strings.TrimSpace(r.field.text)
		if field != "" && kind != nil && kind.Field(field) == nil {
			c.errorf(r.field.pos, r.key+".field", "%q is not a field of %s%s", field, kind.Name, suggest(field, fieldNames(kind)))
		}
		e := element{slot: p.slot, key: r.key, field: field, reason: code, when: r.when.text}
		var holes []*piece
		e.message, holes = c.template(r, &slot)
		elems = append(elems, p)
		messages = append(messages, holes)
		m.rejects = append(m.rejects, len(m.elements))
		m.elements = append(m.elements, e)
	}
	if len(s.errs) > 0 || kind == nil {
		return nil
	}

	// Every piece checked: compile. An error here is a bug of this package,
	// not of the mapping, but it is reported like a mapping error rather
	// than a panic.
	m.deps = failureDeps(c.lets, elems, slot)
	all := make([]int, len(c.lets))
	for i := range all {
		all[i] = i
	}
	for col := range c.columns {
		m.columns = append(m.columns, col)
	}
	slices.Sort(m.columns)
	c.order = m.columns
	var err error
	if m.prog, m.eval, err = c.program(all, elems, true); err != nil {
		c.errorf(pos{}, "", "compile: %v", err)
		return nil
	}
	m.each = make([]*vm.Program, len(elems))
	for i, p := range elems {
		if m.each[i], _, err = c.program(p.lets, []*piece{p}, false); err != nil {
			c.errorf(p.src.pos, p.key, "compile: %v", err)
			return nil
		}
	}
	for i, holes := range messages {
		if len(holes) == 0 {
			continue
		}
		var lets []int
		for _, h := range holes {
			lets = append(lets, h.lets...)
		}
		slices.Sort(lets)
		lets = slices.Compact(lets)
		if m.elements[m.rejects[i]].msgProg, _, err = c.program(lets, holes, false); err != nil {
			c.errorf(holes[0].src.pos, holes[0].key, "compile: %v", err)
			return nil
		}
	}
	nVals, nLets, words := len(m.elements), len(c.lets), (slot+63)/64
	m.frames.New = func() any {
		return &frame{vm: vm.VM{MemoryBudget: memoryBudget}, vals: make([]any, nVals), lets: make([]any, nLets),
			repaired: make([]uint64, words), reformatted: make([]uint64, words)}
	}
	return m
}

// failureDeps says, per slot, the lets whose failure is the slot's too. A
// condition cannot be decided when any let it uses failed. A let's failure
// is reported once per field that is the let itself ("date_of_birth: dob"):
// the fields that merely use it (id(so_dinh_danh, gioi, dob)) take its
// empty value and are not blamed. A let that no field is gets reported for
// every field that uses it, since there is no better place.
func failureDeps(lets, elems []*piece, slots int) [][]int {
	owned := map[int]bool{}
	owner := map[int]int{} // field slot -> the let it is
	for _, p := range elems {
		if p.kind != fieldPiece {
			continue
		}
		for i, l := range lets {
			if strings.TrimSpace(p.text) == l.name {
				owned[i] = true
				owner[p.slot] = i
			}
		}
	}
	deps := make([][]int, slots)
	for _, p := range lets {
		deps[p.slot] = p.lets
	}
	for _, p := range elems {
		if p.kind != fieldPiece {
			deps[p.slot] = p.lets
			continue
		}
		own, isOwner := owner[p.slot]
		for _, i := range p.lets {
			if !owned[i] || (isOwner && i == own) {
				deps[p.slot] = append(deps[p.slot], i)
			}
		}
	}
	return deps
}

func fieldNames(k *schema.Kind) []string {
	names := make([]string, len(k.Fields))
	for i, f := range k.Fields {
		names[i] = f.Name
	}
	return names
}

// template splits a reject's message into text and {{expression}}
// placeholders; each placeholder is checked as an expression.
func (c *compiler) template(r ruleSpec, slot *int) ([]messagePart, []*piece) {
	msg := norm.NFC.String(r.message.text)
	var parts []messagePart
	var holes []*piece
	done := 0 // runes of the message before msg
	for msg != "" {
		i := strings.Index(msg, "{{")
		if i < 0 {
			parts = append(parts, messagePart{text: msg, placeholder: -1})
			break
		}
		if i > 0 {
			parts = append(parts, messagePart{text: msg[:i], placeholder: -1})
		}
		j := strings.Index(msg[i:], "}}")
		if j < 0 {
			c.errorf(r.message.pos, r.key+".message", "a {{ is not closed by }}")
			return nil, nil
		}
		inner := msg[i+2 : i+j]
		src := strings.TrimSpace(inner)
		if src == "" {
			c.errorf(r.message.pos, r.key+".message", "an empty {{}}: put an expression inside, e.g. {{ngay_sinh}}")
			return nil, nil
		}
		// The placeholder's place, for errors: on the message's line, or
		// the message's own place in a block.
		at := scalar{text: src, pos: r.message.pos, block: r.message.block}
		if !r.message.block && !strings.Contains(msg[:i+2], "\n") {
			lead := utf8.RuneCountInString(inner) - utf8.RuneCountInString(strings.TrimLeft(inner, " \t"))
			at.pos.col += r.message.shift + done + utf8.RuneCountInString(msg[:i+2]) + lead
		}
		p := &piece{kind: messagePiece, key: r.key + ".message", src: at, slot: *slot}
		*slot++
		c.check(p, -1)
		parts = append(parts, messagePart{placeholder: len(holes)})
		holes = append(holes, p)
		done += utf8.RuneCountInString(msg[:i+j+2])
		msg = msg[i+j+2:]
	}
	return parts, holes
}
