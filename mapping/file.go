package mapping

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// Error is one mistake in a mapping file. It says where (file, line, column
// and key path) and what is wrong, so a department can go straight to it.
// Load and Parse return every Error they find, joined with errors.Join; use
// errors.As to get the first one.
type Error struct {
	// File is the mapping file, as given to Load or Parse.
	File string
	// Line and Column are 1-based; Column is zero when only the line is
	// known, Line is zero when no line applies.
	Line, Column int
	// Key is the key path, e.g. "fields.date_of_birth" or "reject[1].when".
	Key string
	// Msg says what is wrong and, where it can, what to write instead.
	Msg string
}

// Error formats the error as "file:line:column: key: message", the shape
// editors and CI logs recognise as a location.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
		if e.Column > 0 {
			b.WriteString(":" + strconv.Itoa(e.Column))
		}
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// pos is a place in the mapping file.
type pos struct{ line, col int }

// scalar is a YAML scalar as written, with where its text starts.
type scalar struct {
	text string
	pos  pos
	// shift is how many columns the text starts after pos on its first
	// line (1 for a quoted scalar); block is set for | and > scalars, whose
	// text starts on the line after pos.
	shift int
	block bool
	null  bool
}

// exprSpec is a named expression: a let or a field.
type exprSpec struct {
	name string
	key  string // key path, for errors
	src  scalar
}

// ruleSpec is a skip or reject condition.
type ruleSpec struct {
	key                          string
	pos                          pos
	when, reason, field, message scalar
}

type tableSpec struct {
	name    string
	key     string
	pos     pos
	entries []tableEntry
}

type tableEntry struct{ from, to scalar }

// spec is a mapping file as written, every value with its position.
type spec struct {
	file           string
	kind, version  scalar
	hasColumns     bool
	columns        []scalar
	tables         []tableSpec
	lets           []exprSpec
	fields         []exprSpec
	fieldsPos      pos
	hasFields      bool
	skips, rejects []ruleSpec
	errs           []*Error
}

var topKeys = []string{"kind", "version", "columns", "tables", "let", "fields", "skip", "reject"}

func (s *spec) errorf(p pos, key, format string, args ...any) {
	s.errs = append(s.errs, &Error{File: s.file, Line: p.line, Column: p.col, Key: key, Msg: fmt.Sprintf(format, args...)})
}

func posOf(n ast.Node) pos {
	if n == nil || n.GetToken() == nil {
		return pos{}
	}
	p := n.GetToken().Position
	return pos{p.Line, p.Column}
}

// readSpec parses the YAML of a mapping file strictly: every key must be
// known and every value of the expected shape; every mistake is recorded.
func readSpec(file string, src []byte) *spec {
	s := &spec{file: file}
	f, err := parser.ParseBytes(src, 0)
	if err != nil {
		s.yamlError(err)
		return s
	}
	var body ast.Node
	for _, doc := range f.Docs {
		if doc.Body == nil {
			continue
		}
		if body != nil {
			s.errorf(posOf(doc.Body), "", "a mapping file is one YAML document: remove the \"---\" separator and what follows")
			return s
		}
		body = doc.Body
	}
	if body == nil {
		s.errorf(pos{1, 0}, "", "the mapping file is empty: it needs kind, version and fields")
		return s
	}
	pairs, ok := s.mapping(body, "")
	if !ok {
		return s
	}
	seen := map[string]bool{}
	for _, kv := range pairs {
		key, v := kv.key, kv.value
		seen[key] = true
		switch key {
		case "kind":
			s.kind, _ = s.scalar(v, key)
		case "version":
			s.version, _ = s.scalar(v, key)
		case "columns":
			s.hasColumns = true
			s.readColumns(v)
		case "tables":
			s.readTables(v)
		case "let":
			s.lets = s.readExprs(v, "let")
		case "fields":
			s.hasFields, s.fieldsPos = true, kv.pos
			s.fields = s.readExprs(v, "fields")
		case "skip":
			s.skips = s.readRules(v, "skip", []string{"when", "reason"})
		case "reject":
			s.rejects = s.readRules(v, "reject", []string{"when", "reason", "field", "message"})
		default:
			s.errorf(kv.pos, key, "unknown key (known keys: %s)", strings.Join(topKeys, ", "))
		}
	}
	if !seen["kind"] {
		s.errorf(posOf(body), "kind", "missing: name the record kind of the common schema this stream delivers")
	}
	if !seen["version"] {
		s.errorf(posOf(body), "version", "missing: provenance records which mapping version made each record, e.g. version: \"2025.1\"")
	}
	if !seen["fields"] {
		s.errorf(posOf(body), "fields", "missing: map each field of the record kind to an expression over the source columns")
	}
	return s
}

func (s *spec) yamlError(err error) {
	var tk *token.Token
	msg := err.Error()
	type tokenError interface{ GetToken() *token.Token }
	type messageError interface{ GetMessage() string }
	if te, ok := err.(tokenError); ok {
		tk = te.GetToken()
	}
	if me, ok := err.(messageError); ok {
		msg = me.GetMessage()
	}
	p := pos{}
	if tk != nil {
		p = pos{tk.Position.Line, tk.Position.Column}
	}
	s.errorf(p, "", "YAML: %s", msg)
}

type keyValue struct {
	key   string
	pos   pos
	value ast.Node
}

// mapping returns the entries of a YAML mapping in file order; a key given
// twice is an error.
func (s *spec) mapping(n ast.Node, key string) ([]keyValue, bool) {
	n = s.unwrap(n, key)
	var values []*ast.MappingValueNode
	switch m := n.(type) {
	case nil:
		return nil, false
	case *ast.MappingNode:
		values = m.Values
	case *ast.MappingValueNode:
		values = []*ast.MappingValueNode{m}
	case *ast.NullNode:
		return nil, true
	default:
		s.errorf(posOf(n), key, "want a mapping (key: value lines), got %s", describe(n))
		return nil, false
	}
	out := make([]keyValue, 0, len(values))
	seen := map[string]bool{}
	for _, mv := range values {
		k, ok := mv.Key.(ast.ScalarNode)
		if !ok || mv.Key.IsMergeKey() {
			s.errorf(posOf(mv.Key), key, "keys must be plain names; merge keys and complex keys are not supported")
			continue
		}
		name := scalarText(k)
		path := name
		if key != "" {
			path = key + "." + name
		}
		if seen[name] {
			s.errorf(posOf(mv.Key), path, "given twice")
			continue
		}
		seen[name] = true
		out = append(out, keyValue{key: name, pos: posOf(mv.Key), value: mv.Value})
	}
	return out, true
}

// unwrap removes tags and anchors and refuses aliases: a mapping file is
// small and written out in full.
func (s *spec) unwrap(n ast.Node, key string) ast.Node {
	for {
		switch x := n.(type) {
		case *ast.TagNode:
			n = x.Value
		case *ast.AnchorNode:
			n = x.Value
		case *ast.AliasNode:
			s.errorf(posOf(x), key, "aliases (*name) are not supported in mapping files: write the value out")
			return nil
		default:
			return n
		}
	}
}

func describe(n ast.Node) string {
	switch n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.NullNode:
		return "nothing"
	}
	return "a scalar"
}

func scalarText(n ast.ScalarNode) string {
	switch x := n.(type) {
	case *ast.StringNode:
		return x.Value
	case *ast.LiteralNode:
		if x.Value != nil {
			return x.Value.Value
		}
		return ""
	case *ast.NullNode:
		return ""
	}
	if tk := n.GetToken(); tk != nil {
		return tk.Value
	}
	return fmt.Sprint(n.GetValue())
}

// scalar reads a scalar value: its text as written (a YAML number or bool
// is taken as the text that spells it).
func (s *spec) scalar(n ast.Node, key string) (scalar, bool) {
	n = s.unwrap(n, key)
	if n == nil {
		return scalar{}, false
	}
	sc, ok := n.(ast.ScalarNode)
	if !ok {
		s.errorf(posOf(n), key, "want a single value, got %s", describe(n))
		return scalar{}, false
	}
	out := scalar{text: scalarText(sc), pos: posOf(n)}
	switch x := n.(type) {
	case *ast.NullNode:
		out.null = true
	case *ast.LiteralNode:
		out.block = true
	case *ast.StringNode:
		if t := x.Token.Type; t == token.DoubleQuoteType || t == token.SingleQuoteType {
			out.shift = 1
		}
	}
	return out, true
}

func (s *spec) readColumns(n ast.Node) {
	n = s.unwrap(n, "columns")
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		if n != nil {
			s.errorf(posOf(n), "columns", "want a list of the source columns the mapping reads, e.g. [ho_ten, ngay_sinh]")
		}
		return
	}
	seen := map[string]bool{}
	for i, v := range seq.Values {
		key := fmt.Sprintf("columns[%d]", i)
		sc, ok := s.scalar(v, key)
		if !ok {
			continue
		}
		if !isIdent(sc.text) {
			s.errorf(sc.pos, key, "%q is not a column name expressions can use (letters, digits and _, not starting with a digit)", sc.text)
			continue
		}
		if seen[sc.text] {
			s.errorf(sc.pos, key, "column %q listed twice", sc.text)
			continue
		}
		seen[sc.text] = true
		s.columns = append(s.columns, sc)
	}
}

func (s *spec) readTables(n ast.Node) {
	pairs, _ := s.mapping(n, "tables")
	for _, kv := range pairs {
		key := "tables." + kv.key
		t := tableSpec{name: kv.key, key: key, pos: kv.pos}
		entries, ok := s.mapping(kv.value, key)
		if !ok {
			continue
		}
		for _, e := range entries {
			to, ok := s.scalar(e.value, key+"."+e.key)
			if !ok {
				continue
			}
			t.entries = append(t.entries, tableEntry{from: scalar{text: e.key, pos: e.pos}, to: to})
		}
		s.tables = append(s.tables, t)
	}
}

func (s *spec) readExprs(n ast.Node, section string) []exprSpec {
	pairs, _ := s.mapping(n, section)
	out := make([]exprSpec, 0, len(pairs))
	for _, kv := range pairs {
		key := section + "." + kv.key
		sc, ok := s.scalar(kv.value, key)
		if !ok {
			continue
		}
		if sc.null || strings.TrimSpace(sc.text) == "" {
			s.errorf(kv.pos, key, "no expression: write one, e.g. trim(ho_ten)")
			continue
		}
		out = append(out, exprSpec{name: kv.key, key: key, src: sc})
	}
	return out
}

func (s *spec) readRules(n ast.Node, section string, known []string) []ruleSpec {
	n = s.unwrap(n, section)
	if n == nil {
		return nil
	}
	if _, null := n.(*ast.NullNode); null {
		return nil
	}
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		s.errorf(posOf(n), section, "want a list of conditions, e.g. - {when: 'trim(ho_ten) == \"TEST\"', reason: test row}")
		return nil
	}
	var out []ruleSpec
	for i, v := range seq.Values {
		key := fmt.Sprintf("%s[%d]", section, i)
		pairs, ok := s.mapping(v, key)
		if !ok {
			continue
		}
		r := ruleSpec{key: key, pos: posOf(v)}
		for _, kv := range pairs {
			sc, ok := s.scalar(kv.value, key+"."+kv.key)
			if !ok {
				continue
			}
			if !slices.Contains(known, kv.key) {
				s.errorf(kv.pos, key+"."+kv.key, "unknown key (known keys: %s)", strings.Join(known, ", "))
				continue
			}
			switch kv.key {
			case "when":
				r.when = sc
			case "reason":
				r.reason = sc
			case "field":
				r.field = sc
			case "message":
				r.message = sc
			}
		}
		if r.when.text == "" {
			s.errorf(r.pos, key+".when", "missing: the condition, an expression that is true or false")
			continue
		}
		if strings.TrimSpace(r.reason.text) == "" {
			s.errorf(r.pos, key+".reason", "missing: say why, e.g. reason: test row")
			continue
		}
		out = append(out, r)
	}
	return out
}

// isIdent reports whether s can be written as a name in an expression.
func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
