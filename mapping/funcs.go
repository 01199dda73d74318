package mapping

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/expr-lang/expr/ast"
	"golang.org/x/text/unicode/norm"

	"github.com/lienthong/lienthong/schema"
)

// fn is a function expressions can call.
type fn struct {
	name string
	// usage is how the function is called, for errors and docs.
	usage string
	// sigs are the signatures the type checker accepts, as new(func(...)).
	sigs []any
	// A pure function needs nothing but its arguments: text is a function
	// of one text, pair one of two values, pure one of any number of them.
	// An error from pair or pure aborts the record's program and becomes a
	// mapping error of the field that called it (Map then evaluates the
	// fields one by one), so they return errors only for what no record
	// should reach: a text longer than maxText.
	text func(string) string
	pair func(a, b any) (any, error)
	pure func(args ...any) (any, error)
	// raw is set for functions that normalise their text themselves (a
	// date, an ID number, a name): a column passed to them is read as it
	// is, without the NFC pass every other read makes.
	raw bool
	// verbatim is set for functions that read text as the source holds
	// it, misread legacy text included (decode), and for those that read
	// only digits and separators (id, old_id, phone, digits), which no
	// misreading changes and which refuse anything else: a column passed
	// to them is not checked for misread text (see frame.column). date()
	// is checked: it reads month names and words ("tháng Ba").
	verbatim bool
	// reformats marks a text function's change of its argument as a
	// reformatting of the field that calls it (name).
	reformats bool
	// prepare makes the function one call site runs. It checks the call's
	// constant arguments (a table name, a date layout) when the mapping
	// loads, so a mistake there is a load error with a line, not a failure
	// of every record. Functions that can fail on a record's data are
	// prepared: their failure is recorded for the field of the call site.
	prepare func(c *compiler, call *ast.CallNode) (siteFunc, error)
}

// call returns f as expr calls a function of its table: any number of
// arguments, in a slice.
func (f *fn) call() func(args ...any) (any, error) {
	switch {
	case f.text != nil:
		return func(a ...any) (any, error) { return textCall(f.text, a[0]), nil }
	case f.pair != nil:
		return func(a ...any) (any, error) { return f.pair(a[0], a[1]) }
	}
	return f.pure
}

// textCall applies a text function to a value; a result equal to the
// argument is returned in the argument's box, so it allocates nothing.
func textCall(f func(string) string, a any) any {
	s := str(a)
	out := f(s)
	if out == s {
		return a
	}
	return out
}

// reformatCall is textCall for a function whose change is a reformatting:
// it marks the site when the value changed beyond the spaces around it.
func (f *frame) reformatCall(s *site, fn func(string) string, a any) any {
	in := str(a)
	out := fn(in)
	if out == in {
		return a
	}
	f.reformat(s, in, out)
	return out
}

// siteFunc is a prepared function. It reports a failure with f.fail for the
// slot s of its call and returns the zero value of its result. args holds
// every argument of the call, constant ones included.
type siteFunc func(f *frame, s *site, args siteArgs) any

// siteArgs are the arguments of a site's call. They are passed by value,
// so that they stay on the Go stack: the common calls have at most four;
// more (a concat of many parts) are in a slice.
type siteArgs struct {
	v    [4]any
	more []any
	n    int
}

// at returns argument i, nil if the call has fewer.
func (a *siteArgs) at(i int) any {
	switch {
	case i >= a.n:
		return nil
	case a.more != nil:
		return a.more[i]
	}
	return a.v[i]
}

func (a *siteArgs) set(i int, v any) {
	if a.more != nil {
		a.more[i] = v
		return
	}
	a.v[i] = v
}

// slice returns the arguments as a slice, for a variadic function: the
// frame's scratch space holds them, since a slice of a would move a to
// the heap.
func (a *siteArgs) slice(f *frame) []any {
	if a.more != nil {
		return a.more
	}
	f.scratch = append(f.scratch[:0], a.v[:a.n]...)
	return f.scratch
}

// maxText bounds every text an expression makes, so that a mapping cannot
// make a record's evaluation cost grow without bound (a let that doubles
// the previous one, a hundred times).
const maxText = 64 << 10

var errTooLong = fmt.Errorf("text longer than %d bytes", maxText)

type (
	sig1   = func(string) string
	sig2   = func(string, string) string
	sig3   = func(string, string, string) string
	sigVar = func(...string) string
)

// textFuncs are the text functions, date and lookup; vnFuncs adds the
// Vietnamese normalisers, unitFuncs the administrative units.
func textFuncs() []*fn {
	return []*fn{
		{name: "trim", usage: "trim(s)", sigs: []any{new(sig1)}, text: strings.TrimSpace},
		{name: "upper", usage: "upper(s)", sigs: []any{new(sig1)}, text: upper},
		{name: "lower", usage: "lower(s)", sigs: []any{new(sig1)}, text: lower},
		{name: "collapse", usage: "collapse(s)", sigs: []any{new(sig1)}, text: collapse},
		{name: "digits", usage: "digits(s)", sigs: []any{new(sig1)}, text: digits, raw: true, verbatim: true},
		{name: "nfc", usage: "nfc(s)", sigs: []any{new(sig1)}, text: norm.NFC.String},
		{name: "default", usage: "default(s, d)", sigs: []any{new(sig2)}, pair: func(s, d any) (any, error) {
			if blank(str(s)) {
				return d, nil
			}
			return s, nil
		}},
		{name: "coalesce", usage: "coalesce(s, ...)", sigs: []any{new(sigVar)}, pure: func(a ...any) (any, error) {
			for _, v := range a {
				if !blank(str(v)) {
					return v, nil
				}
			}
			return "", nil
		}},
		{name: "concat", usage: "concat(s, ...)", sigs: []any{new(sigVar)}, pure: func(a ...any) (any, error) {
			return joinText("", a, false)
		}},
		{name: "join", usage: "join(sep, s, ...)", sigs: []any{new(func(string, ...string) string)}, pure: func(a ...any) (any, error) {
			return joinText(str(a[0]), a[1:], true)
		}},
		{name: "replace", usage: "replace(s, old, new)", sigs: []any{new(sig3)}, pure: func(a ...any) (any, error) {
			s, old, repl := str(a[0]), str(a[1]), str(a[2])
			if old == "" || !strings.Contains(s, old) {
				return a[0], nil
			}
			if n := strings.Count(s, old); len(s)+n*(len(repl)-len(old)) > maxText {
				return nil, errTooLong
			}
			return strings.ReplaceAll(s, old, repl), nil
		}},
		{name: "date", usage: `date(s), date(s, "dd/mm/yyyy", ...) or date(s, "d/m/yy", {pivot: 1930})`,
			// The second signature admits the options map; prepareDate
			// checks every argument after the first is a pattern or,
			// last, the options.
			sigs: []any{new(func(string, ...string) string), new(func(string, ...any) string)}, prepare: prepareDate, raw: true},
		{name: "email", usage: "email(s)", sigs: []any{new(sig1)}, prepare: prepareEmail},
		{name: "lookup", usage: `lookup("table", key) or lookup("table", key, default)`, sigs: []any{new(sig2), new(sig3)}, prepare: prepareLookup},
	}
}

// catFunc replaces the + of two texts, to bound the length of the result.
func catFunc(a, b any) (any, error) {
	l, r := str(a), str(b)
	if len(l)+len(r) > maxText {
		return nil, errTooLong
	}
	return l + r, nil
}

func joinText(sep string, a []any, skipBlank bool) (any, error) {
	n, parts := 0, 0
	for _, v := range a {
		s := str(v)
		if skipBlank && blank(s) {
			continue
		}
		n += len(s)
		parts++
	}
	if parts > 1 {
		n += len(sep) * (parts - 1)
	}
	if n > maxText {
		return nil, errTooLong
	}
	var b strings.Builder
	b.Grow(n)
	first := true
	for _, v := range a {
		s := str(v)
		if skipBlank && blank(s) {
			continue
		}
		if !first {
			b.WriteString(sep)
		}
		first = false
		if skipBlank {
			s = strings.TrimSpace(s)
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

func blank(s string) bool { return strings.TrimSpace(s) == "" }

func upper(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || ('a' <= c && c <= 'z') {
			return strings.ToUpper(s)
		}
	}
	return s
}

func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || ('A' <= c && c <= 'Z') {
			return strings.ToLower(s)
		}
	}
	return s
}

// collapse trims s and turns every run of white space inside it into one
// space; it returns s itself when there is nothing to change.
func collapse(s string) string {
	prevSpace := true // a leading space needs work too
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c > ' ' && c != 0xC2 && (c < 0xE1 || c > 0xE3) {
			// Neither ASCII space nor the first byte of a wider one: the
			// bytes of most letters, Vietnamese ones included.
			prevSpace = false
			continue
		}
		switch {
		case c == ' ':
			if prevSpace {
				return strings.Join(strings.Fields(s), " ")
			}
			prevSpace = true
			continue
		case c < ' ':
			if c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r' {
				return strings.Join(strings.Fields(s), " ")
			}
		case c == 0xE1 && (i+1 >= len(s) || s[i+1] != 0x9A):
			// 0xE1 leads the Vietnamese letters U+1E00-U+1EFF; of the
			// runes it leads, only U+1680 is a space.
		default:
			// U+0085, U+00A0 (0xC2), U+2000-U+205F (0xE2), U+3000 (0xE3).
			if r, _ := utf8.DecodeRuneInString(s[i:]); unicode.IsSpace(r) {
				return strings.Join(strings.Fields(s), " ")
			}
		}
		prevSpace = false
	}
	if prevSpace && s != "" {
		return strings.Join(strings.Fields(s), " ")
	}
	return s
}

func digits(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return strings.Map(func(r rune) rune {
				if r >= '0' && r <= '9' {
					return r
				}
				return -1
			}, s)
		}
	}
	return s
}

// str is an argument as text. Arguments are text by the type check; nil
// (a let that is nil) is empty.
func str(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return text(v)
}

// text renders a source value as text without losing digits: IDs stored as
// numbers must not turn into 1.2e+11.
func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []byte:
		return string(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return strconv.FormatInt(int64(x), 10)
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	case float32:
		return text(float64(x))
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		return x.Format(time.RFC3339Nano)
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}

// constArg returns the i-th argument of a call when it is a quoted text.
func constArg(call *ast.CallNode, i int) (string, bool) {
	if i >= len(call.Arguments) {
		return "", false
	}
	s, ok := call.Arguments[i].(*ast.StringNode)
	if !ok {
		return "", false
	}
	return s.Value, true
}

var errNotConst = errors.New("must be a quoted constant")

// prepareEmail: email(s) is an e-mail address as the schema keeps it:
// trimmed, without a "mailto:" prefix, the domain in lower case (domains
// ignore case; the part before @ is left as written, since its owner's
// server may not). Anything that is not one address is bad_email.
func prepareEmail(_ *compiler, _ *ast.CallNode) (siteFunc, error) {
	return func(f *frame, s *site, a siteArgs) any {
		v := strings.TrimSpace(str(a.at(0)))
		if v == "" {
			return ""
		}
		if len(v) >= 7 && strings.EqualFold(v[:7], "mailto:") {
			v = strings.TrimSpace(v[7:])
		}
		local, domain, ok := strings.Cut(v, "@")
		switch {
		case !ok || local == "" || strings.Contains(domain, "@"):
			f.fail(s.slot, schema.ReasonBadEmail, fmt.Sprintf("e-mail %q: want one address, name@domain", v))
			return ""
		case !isEmailLocal(local) || !isEmailDomain(lower(domain)) || len(v) > 254:
			f.fail(s.slot, schema.ReasonBadEmail, fmt.Sprintf("e-mail %q: want letters, digits or ._%%+- before @ and a domain with a dot after it", v))
			return ""
		}
		out := local + "@" + lower(domain)
		if out == str(a.at(0)) {
			return a.at(0)
		}
		f.reformat(s, str(a.at(0)), out)
		return out
	}, nil
}

func isEmailLocal(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("._%+-", c) >= 0) {
			return false
		}
	}
	return s != ""
}

// isEmailDomain reports whether s is labels of a-z, 0-9 and -, joined by
// dots, the last of two letters or more.
func isEmailDomain(s string) bool {
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return false
	}
	for i, l := range labels {
		if l == "" {
			return false
		}
		for j := 0; j < len(l); j++ {
			c := l[j]
			last := i == len(labels)-1
			if !('a' <= c && c <= 'z' || !last && ('0' <= c && c <= '9' || c == '-')) {
				return false
			}
		}
		if i == len(labels)-1 && len(l) < 2 {
			return false
		}
	}
	return true
}
