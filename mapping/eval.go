package mapping

import (
	"regexp"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm/runtime"

	"github.com/lienthong/lienthong/schema"
)

// evaluator runs a record program's lets and elements as Go closures
// instead of on expr's VM: the same nodes, evaluated in the same order,
// calling the same sites. The VM keeps every intermediate value on a stack
// in the heap, which costs a write barrier per value while the garbage
// collector marks, and dispatches each operation; closures keep values on
// the Go stack. It covers the nodes a mapping's expressions are made of
// once rewritten: calls of sites and functions, lets, text, true, false
// and nil constants, comparisons, logic, startsWith and its kin, matches a
// constant pattern, and conditionals. A program with any other node is run
// by the VM.
type evaluator struct {
	lets  []evalFunc
	elems []evalFunc
}

// evalFunc evaluates one node for a record.
type evalFunc func(f *frame) any

// run evaluates the lets into f.lets and the elements into f.vals. It
// reports false when an expression failed at run time: a panic, which the
// VM would have returned as the program's error.
func (e *evaluator) run(f *frame) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	for i, l := range e.lets {
		f.lets[i] = l(f)
	}
	for i, el := range e.elems {
		f.vals[i] = el(f)
	}
	return true
}

// newEvaluator makes the evaluator of a record program from its checked
// and rewritten lets (in order) and elements; nil when a node is one it
// does not cover.
func newEvaluator(decls []*ast.VariableDeclaratorNode, elems []ast.Node) *evaluator {
	b := evalBuilder{lets: map[string]int{}}
	e := &evaluator{}
	for i, d := range decls {
		fn := b.node(d.Value)
		if fn == nil {
			return nil
		}
		e.lets = append(e.lets, fn)
		b.lets[d.Name] = i // seen by the lets below and the elements
	}
	for _, n := range elems {
		fn := b.node(n)
		if fn == nil {
			return nil
		}
		e.elems = append(e.elems, fn)
	}
	return e
}

type evalBuilder struct {
	lets map[string]int // the lets in scope, by name
}

// node makes the closure of a node, mirroring what expr's compiler emits
// for it and its VM does; nil if the node is not covered.
func (b *evalBuilder) node(n ast.Node) evalFunc {
	switch x := n.(type) {
	case *ast.StringNode:
		return constant(x.Value)
	case *ast.BoolNode:
		return constant(x.Value)
	case *ast.NilNode:
		return constant(nil)
	case *ast.IdentifierNode:
		if x.Value == "$env" {
			return func(f *frame) any { return f }
		}
		if i, ok := b.lets[x.Value]; ok {
			return func(f *frame) any { return f.lets[i] }
		}
	case *ast.CallNode:
		return b.call(x)
	case *ast.UnaryNode:
		v := b.node(x.Node)
		if v == nil {
			return nil
		}
		switch x.Operator {
		case "!", "not":
			return func(f *frame) any { return !v(f).(bool) }
		case "+":
			return v
		}
	case *ast.ConditionalNode:
		cond, yes, no := b.node(x.Cond), b.node(x.Exp1), b.node(x.Exp2)
		if cond == nil || yes == nil || no == nil {
			return nil
		}
		return func(f *frame) any {
			if cond(f).(bool) {
				return yes(f)
			}
			return no(f)
		}
	case *ast.BinaryNode:
		return b.binary(x)
	}
	return nil
}

func constant(v any) evalFunc { return func(*frame) any { return v } }

// call covers the calls rewrite makes: of a constant func(any) any or
// func(any, any) any, which is every call a checked mapping has.
func (b *evalBuilder) call(x *ast.CallNode) evalFunc {
	callee, ok := x.Callee.(*ast.ConstantNode)
	if !ok {
		return nil
	}
	args := make([]evalFunc, len(x.Arguments))
	for i, a := range x.Arguments {
		if args[i] = b.node(a); args[i] == nil {
			return nil
		}
	}
	env := func(i int) bool {
		id, ok := x.Arguments[i].(*ast.IdentifierNode)
		return ok && id.Value == "$env"
	}
	switch fn := callee.Value.(type) {
	case func(any) any:
		if len(args) != 1 {
			return nil
		}
		if env(0) {
			return func(f *frame) any { return fn(f) }
		}
		a := args[0]
		return func(f *frame) any { return fn(a(f)) }
	case func(any, any) any:
		if len(args) != 2 {
			return nil
		}
		a, v := args[0], args[1]
		if env(0) {
			return func(f *frame) any { return fn(f, v(f)) }
		}
		return func(f *frame) any {
			first := a(f)
			return fn(first, v(f))
		}
	}
	return nil
}

// binary covers the operators of comparisons and logic, with the VM's
// semantics: runtime.Equal and its kin, short-circuit && and ||, false for
// a nil operand of startsWith, endsWith and contains.
func (b *evalBuilder) binary(x *ast.BinaryNode) evalFunc {
	l := b.node(x.Left)
	if l == nil {
		return nil
	}
	if x.Operator == "matches" {
		pat, ok := x.Right.(*ast.StringNode)
		if !ok {
			return nil
		}
		re, err := regexp.Compile(pat.Value)
		if err != nil {
			return nil
		}
		// Text is matched by the schema's matcher, a loop over the text
		// for the usual anchored patterns (^[0-9]+/[0-9]{4}$), several
		// times cheaper than package regexp, which it falls back to.
		fast, err := schema.CompilePattern(pat.Value)
		if err != nil {
			return nil
		}
		return func(f *frame) any {
			a := l(f)
			if runtime.IsNil(a) {
				return false
			}
			if s, ok := a.(string); ok {
				return fast.MatchString(s)
			}
			return re.Match(a.([]byte))
		}
	}
	r := b.node(x.Right)
	if r == nil {
		return nil
	}
	switch x.Operator {
	case "&&", "and":
		return func(f *frame) any {
			if !l(f).(bool) {
				return false
			}
			return r(f)
		}
	case "||", "or":
		return func(f *frame) any {
			if l(f).(bool) {
				return true
			}
			return r(f)
		}
	case "==":
		return func(f *frame) any { return equal(l(f), r(f)) }
	case "!=":
		return func(f *frame) any { return !equal(l(f), r(f)) }
	case "<":
		return func(f *frame) any {
			a, c := l(f), r(f)
			if as, bs, ok := texts(a, c); ok {
				return as < bs
			}
			return runtime.Less(a, c)
		}
	case ">":
		return func(f *frame) any {
			a, c := l(f), r(f)
			if as, bs, ok := texts(a, c); ok {
				return as > bs
			}
			return runtime.More(a, c)
		}
	case "<=":
		return func(f *frame) any {
			a, c := l(f), r(f)
			if as, bs, ok := texts(a, c); ok {
				return as <= bs
			}
			return runtime.LessOrEqual(a, c)
		}
	case ">=":
		return func(f *frame) any {
			a, c := l(f), r(f)
			if as, bs, ok := texts(a, c); ok {
				return as >= bs
			}
			return runtime.MoreOrEqual(a, c)
		}
	case "startsWith":
		return textTest(l, r, strings.HasPrefix)
	case "endsWith":
		return textTest(l, r, strings.HasSuffix)
	case "contains":
		return textTest(l, r, strings.Contains)
	}
	return nil
}

func equal(a, b any) bool {
	if as, bs, ok := texts(a, b); ok {
		return as == bs
	}
	return runtime.Equal(a, b)
}

func texts(a, b any) (string, string, bool) {
	as, ok := a.(string)
	if !ok {
		return "", "", false
	}
	bs, ok := b.(string)
	return as, bs, ok
}

func textTest(l, r evalFunc, test func(s, t string) bool) evalFunc {
	return func(f *frame) any {
		a, b := l(f), r(f)
		if runtime.IsNil(a) || runtime.IsNil(b) {
			return false
		}
		return test(a.(string), b.(string))
	}
}
