package mapping

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/checker"
	exprcompiler "github.com/expr-lang/expr/compiler"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/optimizer"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"
	"golang.org/x/text/unicode/norm"
)

// Limits that keep the cost of one record bounded whatever a mapping says.
// The language has no loops (the list builtins and ranges are refused), so
// a program runs each of its nodes at most once; maxNodes bounds the nodes
// of one expression, maxText the length of every text, memoryBudget the
// list and map elements one record's program may make.
const (
	maxNodes     = 400
	memoryBudget = 100_000
)

// pieceKind says what an expression is for.
type pieceKind int

const (
	letPiece pieceKind = iota
	skipPiece
	fieldPiece
	rejectPiece
	messagePiece
)

// piece is one expression of a mapping file.
type piece struct {
	kind pieceKind
	name string // the let's or the field's name
	key  string // key path, for errors
	src  scalar
	text string // the expression, NFC
	// slot numbers the piece for failures: lets first, then the elements
	// of the record program, then message placeholders.
	slot int
	// lets are the indexes of the lets the piece uses, directly or through
	// other lets, ascending: a failure in one of them is a failure of the
	// piece.
	lets []int
	typ  reflect.Type
}

// site is one call of a prepared function (or one read of a column) in a
// compiled program.
type site struct {
	slot int
}

// The types the rewritten nodes are given: frameType is the environment
// the compiled programs run in, which sites receive first.
var (
	frameType  = reflect.TypeFor[*frame]()
	stringType = reflect.TypeFor[string]()
)

// compiler turns a spec into a Mapper.
type compiler struct {
	spec *spec
	opts options
	// funcs are the functions expressions can call, by name.
	funcs map[string]*fn
	// declared are the columns of the columns: section; nil without one.
	declared map[string]bool
	// columns are the columns the expressions read; order lists them
	// sorted, once every piece is checked, for colArg.col.
	columns  map[string]bool
	order    []string
	lets     []*piece
	letIndex map[string]int
	tables   map[string]*table
	parse    *conf.Config
}

func (c *compiler) errorf(p pos, key, format string, args ...any) {
	c.spec.errorf(p, key, format, args...)
}

// baseConf is the expression configuration shared by every check: no
// builtins, the mapping functions with their signatures, the node limit.
func (c *compiler) baseConf(env map[string]any) *conf.Config {
	cfg := conf.CreateNew()
	if env != nil {
		expr.Env(env)(cfg)
	}
	expr.DisableAllBuiltins()(cfg)
	for name, f := range c.funcs {
		call := f.call()
		if call == nil {
			call = func(...any) (any, error) { return nil, errors.New("mapping: " + name + " was not prepared") }
		}
		expr.Function(name, call, f.sigs...)(cfg)
	}
	expr.MaxNodes(maxNodes)(cfg)
	for name := range cfg.Disabled {
		delete(cfg.Builtins, name)
	}
	return cfg
}

// envName is the name a column has in the checker's environment: a column
// named like a function ("date") would hide the function, so it is renamed.
func (c *compiler) envName(col string) string {
	if _, isFunc := c.funcs[col]; isFunc {
		return "column " + col
	}
	return col
}

// at converts a place in an expression (1-based line, 0-based rune column)
// to a place in the mapping file.
func at(sc scalar, line, col int) pos {
	switch {
	case sc.block:
		return pos{sc.pos.line + line, 0}
	case line <= 1:
		return pos{sc.pos.line, sc.pos.col + sc.shift + col}
	}
	return pos{sc.pos.line + line - 1, 0}
}

// nodePos is where an expression node is in the mapping file.
func nodePos(p *piece, n ast.Node) pos {
	from := n.Location().From
	line, col := 1, 0
	for i, r := range []rune(p.text) {
		if i == from {
			break
		}
		if r == '\n' {
			line, col = line+1, 0
		} else {
			col++
		}
	}
	return at(p.src, line, col)
}

// exprError reports an error of the expression parser or checker.
func (c *compiler) exprError(p *piece, err error) {
	var fe *file.Error
	if errors.As(err, &fe) {
		c.errorf(at(p.src, fe.Line, fe.Column), p.key, "%s", exprMessage(fe.Message))
		return
	}
	c.errorf(p.src.pos, p.key, "%s", exprMessage(err.Error()))
}

// exprMessage words expr's messages for a mapping author.
func exprMessage(msg string) string {
	msg = strings.TrimSpace(msg)
	if strings.Contains(msg, "exceeds maximum allowed nodes") {
		return fmt.Sprintf("the expression is too large (more than %d parts): split it with let", maxNodes)
	}
	return msg
}

// check parses and type-checks one piece; visible is the number of lets it
// may use (the lets above a let, every let for the rest).
func (c *compiler) check(p *piece, visible int) {
	p.text = norm.NFC.String(p.src.text)
	tree, err := parser.ParseWithConfig(p.text, c.parse)
	if err != nil {
		c.exprError(p, err)
		return
	}
	in := newInspector(c, p, visible, tree)
	if !in.ok {
		return
	}
	env := make(map[string]any, len(in.cols)+len(in.direct))
	for col := range in.cols {
		env[c.envName(col)] = ""
		c.columns[col] = true
	}
	deps := map[int]bool{}
	for i := range in.direct {
		l := c.lets[i]
		if l.typ == nil || l.typ.Kind() == reflect.Interface {
			env[l.name] = nil
		} else {
			env[l.name] = reflect.Zero(l.typ).Interface()
		}
		deps[i] = true
		for _, j := range l.lets {
			deps[j] = true
		}
	}
	for i := range deps {
		p.lets = append(p.lets, i)
	}
	sort.Ints(p.lets)
	t, err := checker.Check(tree, c.baseConf(env))
	if err != nil {
		c.exprError(p, err)
		return
	}
	p.typ = t
	k := reflect.Interface
	if p.typ != nil {
		k = p.typ.Kind()
	}
	switch p.kind {
	case fieldPiece, messagePiece:
		if k != reflect.String && k != reflect.Interface && !(p.kind == messagePiece && isScalarKind(k)) {
			c.errorf(p.src.pos, p.key, "the expression gives %s, a field takes text: map it to text, e.g. with a table lookup", p.typ)
		}
	case skipPiece, rejectPiece:
		if k != reflect.Bool && k != reflect.Interface {
			c.errorf(p.src.pos, p.key, "the condition gives %s, want true or false: compare it, e.g. trim(ho_ten) == \"\"", p.typ)
		}
	}
}

func isScalarKind(k reflect.Kind) bool {
	switch k {
	case reflect.Bool, reflect.Int, reflect.Int64, reflect.Float64:
		return true
	}
	return false
}

// inspector walks a parsed expression before the type check: it refuses
// what the mapping language leaves out, finds the columns and lets the
// expression reads, and checks every function call's name, argument count
// and constant arguments.
type inspector struct {
	c       *compiler
	p       *piece
	visible int
	callees map[*ast.IdentifierNode]bool
	inline  map[string]bool
	cols    map[string]bool
	direct  map[int]bool
	ok      bool
}

func newInspector(c *compiler, p *piece, visible int, tree *parser.Tree) *inspector {
	in := &inspector{c: c, p: p, visible: visible, callees: map[*ast.IdentifierNode]bool{},
		inline: map[string]bool{}, cols: map[string]bool{}, direct: map[int]bool{}, ok: true}
	ast.Walk(&tree.Node, visitFunc(in.collect))
	ast.Walk(&tree.Node, visitFunc(in.visit))
	return in
}

type visitFunc func(*ast.Node)

func (v visitFunc) Visit(n *ast.Node) { v(n) }

func (in *inspector) collect(n *ast.Node) {
	switch x := (*n).(type) {
	case *ast.CallNode:
		if id, ok := x.Callee.(*ast.IdentifierNode); ok {
			in.callees[id] = true
		}
	case *ast.VariableDeclaratorNode:
		in.inline[x.Name] = true
	}
}

func (in *inspector) fail(n ast.Node, format string, args ...any) {
	in.ok = false
	in.c.errorf(nodePos(in.p, n), in.p.key, format, args...)
}

func (in *inspector) visit(n *ast.Node) {
	c := in.c
	switch x := (*n).(type) {
	case *ast.BuiltinNode:
		in.fail(x, "%s(...) is not available: mapping expressions have no loops", x.Name)
	case *ast.PredicateNode, *ast.PointerNode:
		in.fail(x, "# is not available: mapping expressions have no loops")
	case *ast.BinaryNode:
		switch x.Operator {
		case "..":
			in.fail(x, "ranges (a..b) are not available in mapping expressions")
		case "matches":
			if _, ok := x.Right.(*ast.StringNode); !ok {
				in.fail(x, "the pattern after matches must be a quoted constant")
			}
		}
	case *ast.VariableDeclaratorNode:
		if _, isFunc := c.funcs[x.Name]; isFunc {
			in.fail(x, "let %s: %s is a function; choose another name", x.Name, x.Name)
		}
	case *ast.CallNode:
		id, ok := x.Callee.(*ast.IdentifierNode)
		if !ok {
			in.fail(x, "only the mapping functions can be called, e.g. trim(ho_ten)")
			return
		}
		f, ok := c.funcs[id.Value]
		if !ok {
			if msg, isUnit := c.unitsMissing(id.Value); isUnit {
				in.fail(x, "%s", msg)
				return
			}
			in.fail(x, "unknown function %q%s", id.Value, suggest(id.Value, c.funcNames()))
			return
		}
		if lo, hi := arity(f); len(x.Arguments) < lo || (hi >= 0 && len(x.Arguments) > hi) {
			in.fail(x, "%s takes %s, got %d: write %s", f.name, argCount(lo, hi), len(x.Arguments), f.usage)
			return
		}
		if f.prepare != nil {
			if _, err := f.prepare(c, x); err != nil {
				in.fail(x, "%s: %v", f.name, err)
			}
		}
	case *ast.IdentifierNode:
		if in.callees[x] {
			return
		}
		name := x.Value
		switch {
		case strings.HasPrefix(name, "$"):
			in.fail(x, "names starting with $ are reserved")
		case in.inline[name]:
		default:
			if i, isLet := c.letIndex[name]; isLet {
				if in.visible >= 0 && i >= in.visible {
					in.fail(x, "let %s is defined below this expression: move it up", name)
					return
				}
				in.direct[i] = true
				return
			}
			if c.declared != nil && !c.declared[name] {
				in.fail(x, "unknown name %q: not a column listed under columns, nor a let%s", name, suggest(name, c.knownNames()))
				return
			}
			in.cols[name] = true
			x.Value = c.envName(name)
		}
	}
}

// arity returns the least and the most arguments f takes; most is -1 for a
// variadic function.
func arity(f *fn) (lo, hi int) {
	lo, hi = 1<<30, 0
	for _, s := range f.sigs {
		t := reflect.TypeOf(s).Elem()
		n := t.NumIn()
		if t.IsVariadic() {
			lo, hi = min(lo, n-1), -1
			continue
		}
		lo = min(lo, n)
		if hi >= 0 {
			hi = max(hi, n)
		}
	}
	return lo, hi
}

func argCount(lo, hi int) string {
	plural := func(n int) string {
		if n == 1 {
			return "1 argument"
		}
		return fmt.Sprintf("%d arguments", n)
	}
	switch {
	case hi < 0:
		return "at least " + plural(lo)
	case lo == hi:
		return plural(lo)
	}
	return fmt.Sprintf("%d to %d arguments", lo, hi)
}

func (c *compiler) funcNames() []string {
	names := make([]string, 0, len(c.funcs))
	for n := range c.funcs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (c *compiler) knownNames() []string {
	var names []string
	for n := range c.declared {
		names = append(names, n)
	}
	for n := range c.letIndex {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// suggest returns ` (did you mean "x"?)` for the known name closest to
// name, if one is close.
func suggest(name string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := distance(strings.ToLower(name), strings.ToLower(k)); d < bestD {
			best, bestD = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %s?)", best)
}

// distance is the Levenshtein distance of two short names.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// program compiles the lets (indexes, ascending) and the pieces into one
// program whose result is the list of the pieces' values. Each piece and
// let is parsed afresh, so the pieces' own checked trees stay untouched.
//
// The record program (stored) puts the value of piece i in the frame's
// vals[i] instead, since it runs once per record and a list would be two
// allocations each time; it comes with its evaluator, nil if the program
// has a node the evaluator does not cover.
func (c *compiler) program(lets []int, pieces []*piece, stored bool) (*vm.Program, *evaluator, error) {
	nodes := make([]ast.Node, len(pieces))
	for i, p := range pieces {
		t, err := parser.ParseWithConfig(p.text, c.parse)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", p.key, err)
		}
		nodes[i] = t.Node
	}
	arr := &ast.ArrayNode{Nodes: nodes}
	var root ast.Node = arr
	decls := make([]*ast.VariableDeclaratorNode, len(lets))
	for i := len(lets) - 1; i >= 0; i-- {
		l := c.lets[lets[i]]
		t, err := parser.ParseWithConfig(l.text, c.parse)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", l.key, err)
		}
		decls[i] = &ast.VariableDeclaratorNode{Name: l.name, Value: t.Node, Expr: root}
		root = decls[i]
	}
	env := make(map[string]any, len(c.columns))
	for col := range c.columns {
		env[c.envName(col)] = ""
	}
	cfg := c.baseConf(env)
	cfg.MaxNodes = 0 // each piece was held to maxNodes on its own
	tree := &parser.Tree{Node: root, Source: file.NewSource("")}
	// Names must be resolved as the pieces' checks resolved them: columns
	// named like functions are renamed first.
	for i := range decls {
		c.rename(&decls[i].Value)
	}
	for i := range arr.Nodes {
		c.rename(&arr.Nodes[i])
	}
	if _, err := checker.Check(tree, cfg); err != nil {
		return nil, nil, err
	}
	for i, d := range decls {
		c.rewrite(&d.Value, c.lets[lets[i]])
	}
	for i, p := range pieces {
		c.rewrite(&arr.Nodes[i], p)
	}
	var ev *evaluator
	if stored {
		ev = newEvaluator(decls, arr.Nodes)
		// put_n(...put_1(put_0($env, v0), v1)..., vn): the VM evaluates a
		// call's arguments in order, so the pieces still run in order.
		var puts ast.Node = &ast.IdentifierNode{Value: "$env"}
		for i, n := range arr.Nodes {
			call := &ast.CallNode{Callee: typedCallee(putVal(i)), Arguments: []ast.Node{puts, n}}
			call.SetType(frameType)
			puts = call
		}
		if len(decls) > 0 {
			decls[len(decls)-1].Expr = puts
		} else {
			tree.Node = puts
		}
	}
	if err := optimizer.Optimize(&tree.Node, cfg); err != nil {
		return nil, nil, err
	}
	prog, err := exprcompiler.Compile(tree, cfg)
	return prog, ev, err
}

// rename gives columns named like functions their environment name, as
// the inspector did for the check of each piece.
func (c *compiler) rename(n *ast.Node) {
	callees := map[*ast.IdentifierNode]bool{}
	ast.Walk(n, visitFunc(func(n *ast.Node) {
		if call, ok := (*n).(*ast.CallNode); ok {
			if id, ok := call.Callee.(*ast.IdentifierNode); ok {
				callees[id] = true
			}
		}
	}))
	ast.Walk(n, visitFunc(func(n *ast.Node) {
		if id, ok := (*n).(*ast.IdentifierNode); ok && !callees[id] && c.columns[id.Value] {
			id.Value = c.envName(id.Value)
		}
	}))
}

// rewrite turns a checked expression into what runs: every column read
// and every call of a prepared function becomes a call of a function made
// for that site, with the frame as its first argument, and the + of two
// texts becomes a call that bounds the result's length.
//
// Calls are made typed calls of a constant function (func(any) any or
// func(any, any) any), which the VM makes without gathering arguments into
// a slice. A site keeps its call's constant arguments (a table name, a
// layout) and reads its column arguments itself, so trim(ho_ten) is one
// call, not two.
func (c *compiler) rewrite(n *ast.Node, p *piece) {
	callees := map[*ast.IdentifierNode]bool{}
	inline := map[string]bool{}
	ast.Walk(n, visitFunc(func(n *ast.Node) {
		switch x := (*n).(type) {
		case *ast.CallNode:
			if id, ok := x.Callee.(*ast.IdentifierNode); ok {
				callees[id] = true
			}
		case *ast.VariableDeclaratorNode:
			inline[x.Name] = true
		}
	}))
	s := &site{slot: p.slot}
	columns := map[ast.Node]string{} // the column reads made so far
	ast.Walk(n, visitFunc(func(n *ast.Node) {
		switch x := (*n).(type) {
		case *ast.IdentifierNode:
			if callees[x] || inline[x.Value] || x.Value == "$env" {
				return
			}
			if _, isLet := c.letIndex[x.Value]; isLet {
				return
			}
			name := strings.TrimPrefix(x.Value, "column ")
			call := &ast.CallNode{}
			siteCall(call, s, func(f *frame, s *site, a siteArgs) any { return a.at(0) }, plan{tmpl: make([]any, 1), cols: []colArg{{i: 0, name: name, col: c.column(name)}}})
			call.SetType(stringType)
			columns[call] = name
			ast.Patch(n, call)
		case *ast.CallNode:
			id, ok := x.Callee.(*ast.IdentifierNode)
			if !ok {
				return
			}
			f := c.funcs[id.Value]
			if f == nil {
				return
			}
			pl := c.planCall(x.Arguments, columns, f.raw, f.verbatim)
			switch {
			case f.prepare != nil:
				impl, err := f.prepare(c, x)
				if err != nil {
					// The piece's check prepared this call already.
					panic(fmt.Sprintf("mapping: %s: %v", p.key, err))
				}
				siteCall(x, s, impl, pl)
			case f.text != nil && f.reformats && len(pl.cols) > 0:
				// name(ho_ten): read, normalise, and mark a change.
				text, col := f.text, pl.cols[0]
				x.Callee = typedCallee(func(e any) any {
					fr := e.(*frame)
					return fr.reformatCall(s, text, fr.column(s, col))
				})
				x.Arguments = []ast.Node{&ast.IdentifierNode{Value: "$env"}}
			case f.text != nil && f.reformats:
				text := f.text
				x.Callee = typedCallee(func(e, a any) any { return e.(*frame).reformatCall(s, text, a) })
				x.Arguments = []ast.Node{&ast.IdentifierNode{Value: "$env"}, x.Arguments[0]}
			case f.text != nil && len(pl.cols) > 0:
				// trim(ho_ten): read and trim in one call.
				text, col := f.text, pl.cols[0]
				x.Callee = typedCallee(func(e any) any { return textCall(text, e.(*frame).column(s, col)) })
				x.Arguments = []ast.Node{&ast.IdentifierNode{Value: "$env"}}
			case f.text != nil:
				text := f.text
				x.Callee = typedCallee(func(a any) any { return textCall(text, a) })
			case f.pair != nil && len(pl.cols) > 0:
				siteCall(x, s, pairSite(f.pair), pl)
			case f.pair != nil:
				x.Callee = typedCallee(pairFunc(f.pair))
			default:
				siteCall(x, s, pureSite(f.pure), pl)
			}
		case *ast.BinaryNode:
			if x.Operator == "+" && x.Type() == stringType {
				call := &ast.CallNode{Callee: typedCallee(pairFunc(catFunc)), Arguments: []ast.Node{x.Left, x.Right}}
				if pl := c.planCall(call.Arguments, columns, false, false); len(pl.cols) > 0 {
					siteCall(call, s, pairSite(catFunc), pl)
				}
				call.SetType(stringType)
				ast.Patch(n, call)
			}
		}
	}))
}

// plan is how a site gets the arguments of its call: constants are in
// tmpl, columns it reads itself, the rest (dyn, their nodes args) the call
// passes.
type plan struct {
	tmpl []any
	cols []colArg
	dyn  []int
	args []ast.Node
}

// colArg is a column a site reads for argument i; raw when the function
// normalises its text itself, so the column needs no NFC pass; verbatim
// when it is not checked for misread text (see fn.verbatim).
type colArg struct {
	i        int
	name     string
	raw      bool
	verbatim bool
	// col is the column's index in Mapper.columns, for MapRow.
	col int
}

// column is a column's index in the sorted columns the expressions read.
func (c *compiler) column(name string) int {
	i, ok := slices.BinarySearch(c.order, name)
	if !ok {
		// Not possible: every piece's check lists the columns it reads.
		// MapRow would report the column missing.
		return -1
	}
	return i
}

func (c *compiler) planCall(args []ast.Node, columns map[ast.Node]string, raw, verbatim bool) plan {
	p := plan{tmpl: make([]any, len(args))}
	for i, a := range args {
		if str, ok := a.(*ast.StringNode); ok {
			p.tmpl[i] = str.Value
			continue
		}
		if _, ok := a.(*ast.MapNode); ok {
			// Options ({pivot: 1930}): constants the function's prepare
			// read at load time, not a value to make for every record.
			p.tmpl[i] = optionsArg{}
			continue
		}
		if name, ok := columns[a]; ok {
			p.cols = append(p.cols, colArg{i, name, raw, verbatim, c.column(name)})
			continue
		}
		p.dyn = append(p.dyn, i)
		p.args = append(p.args, a)
	}
	return p
}

// optionsArg stands for an options map in a site's arguments.
type optionsArg struct{}

// typedCallee is a constant function to call: the VM calls a func(any)
// any or a func(any, any) any directly.
func typedCallee(f any) ast.Node {
	n := &ast.ConstantNode{Value: f}
	n.SetType(reflect.TypeOf(f))
	return n
}

// pairFunc makes a function of two values a typed one; an error aborts the
// program (the VM recovers the panic as the run's error).
func pairFunc(f func(a, b any) (any, error)) func(a, b any) any {
	return func(a, b any) any {
		v, err := f(a, b)
		if err != nil {
			panic(err)
		}
		return v
	}
}

// siteCall makes call x the call of one site, whose arguments come as pl
// says; the frame is passed first. A typed call takes at most two
// arguments, so with more dynamic ones the first are pushed on the frame's
// stack by calls of their own, and the site's function pops them: nested
// calls push and pop in turn, so the stack stays in order.
func siteCall(x *ast.CallNode, s *site, impl siteFunc, pl plan) {
	tmpl, cols, dyn := pl.tmpl, pl.cols, pl.dyn
	// The arguments live in a siteArgs on the Go stack: no allocation, no
	// write barrier.
	fill := func(f *frame) siteArgs {
		a := siteArgs{n: len(tmpl)}
		if a.n > len(a.v) {
			a.more = make([]any, a.n)
		}
		for i, c := range tmpl {
			if c != nil {
				a.set(i, c)
			}
		}
		for _, c := range cols {
			a.set(c.i, f.column(s, c))
		}
		return a
	}
	env := ast.Node(&ast.IdentifierNode{Value: "$env"})
	switch len(dyn) {
	case 0:
		x.Callee = typedCallee(func(e any) any {
			f := e.(*frame)
			return impl(f, s, fill(f))
		})
		x.Arguments = []ast.Node{env}
		return
	case 1:
		d := dyn[0]
		x.Callee = typedCallee(func(e, v any) any {
			f := e.(*frame)
			a := fill(f)
			a.set(d, v)
			return impl(f, s, a)
		})
		x.Arguments = []ast.Node{env, pl.args[0]}
		return
	}
	for _, a := range pl.args[:len(pl.args)-1] {
		push := &ast.CallNode{Callee: typedCallee(pushArg), Arguments: []ast.Node{env, a}}
		push.SetType(frameType)
		env = push
	}
	pushed := len(dyn) - 1
	x.Callee = typedCallee(func(e, v any) any {
		f := e.(*frame)
		a := fill(f)
		base := len(f.stack) - pushed
		for j, d := range dyn[:pushed] {
			a.set(d, f.stack[base+j])
		}
		a.set(dyn[pushed], v)
		clear(f.stack[base:])
		f.stack = f.stack[:base]
		return impl(f, s, a)
	})
	x.Arguments = []ast.Node{env, pl.args[len(pl.args)-1]}
}

// putVal makes the function that keeps the value of element i of the
// record program in the frame, and passes the frame on.
func putVal(i int) func(e, v any) any {
	return func(e, v any) any {
		e.(*frame).vals[i] = v
		return e
	}
}

// pushArg pushes an argument of a call with more than two on the frame's
// stack, and passes the frame on.
func pushArg(e, v any) any {
	f := e.(*frame)
	f.stack = append(f.stack, v)
	return e
}

// pairSite is a function of two values as a site, for a call that reads
// a column.
func pairSite(pair func(a, b any) (any, error)) siteFunc {
	return func(_ *frame, _ *site, a siteArgs) any {
		v, err := pair(a.at(0), a.at(1))
		if err != nil {
			panic(err)
		}
		return v
	}
}

// pureSite is a pure function of three or more arguments as a site, so
// that it too is a typed call.
func pureSite(pure func(...any) (any, error)) siteFunc {
	return func(f *frame, _ *site, a siteArgs) any {
		v, err := pure(a.slice(f)...)
		if err != nil {
			panic(err)
		}
		return v
	}
}
