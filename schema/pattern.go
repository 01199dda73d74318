package schema

import (
	"regexp"
	"regexp/syntax"
	"unicode/utf8"
)

// pattern is a compiled "pattern" keyword. The schema's patterns are mostly
// an anchored run of literals and character classes with counted repeats
// (^[0-9]{12}$, ^\+84[0-9]{9,10}$); those are matched by one loop over the
// string, several times faster than package regexp. Any other pattern falls
// back to regexp, which is also what the reference validator uses, so a
// pattern means the same in both (FuzzPattern checks the fast path).
type pattern struct {
	src   string
	re    *regexp.Regexp // nil when items is used
	items []patternItem
	// fixed is set when every item is a fixed count of ASCII runes
	// (^[0-9]{12}$): the ASCII set of each byte of a match, whose length
	// is then fixed too.
	fixed [][2]uint64
}

// patternItem matches between min and max runes of a class (max -1: any).
type patternItem struct {
	class    runeClass
	min, max int
}

// runeClass is a set of runes: a bitmap for ASCII, ranges for the rest.
type runeClass struct {
	ascii  [2]uint64
	ranges []rune // pairs lo, hi of runes >= utf8.RuneSelf
}

func (c *runeClass) has(r rune) bool {
	if r < utf8.RuneSelf {
		return c.ascii[r>>6]&(1<<(r&63)) != 0
	}
	for i := 0; i < len(c.ranges); i += 2 {
		if r < c.ranges[i] {
			return false
		}
		if r <= c.ranges[i+1] {
			return true
		}
	}
	return false
}

func newRuneClass(pairs []rune) runeClass {
	var c runeClass
	for i := 0; i < len(pairs); i += 2 {
		lo, hi := pairs[i], pairs[i+1]
		for r := lo; r <= hi && r < utf8.RuneSelf; r++ {
			c.ascii[r>>6] |= 1 << (r & 63)
		}
		if hi >= utf8.RuneSelf {
			c.ranges = append(c.ranges, max(lo, utf8.RuneSelf), hi)
		}
	}
	return c
}

func (c *runeClass) disjoint(d *runeClass) bool {
	if c.ascii[0]&d.ascii[0] != 0 || c.ascii[1]&d.ascii[1] != 0 {
		return false
	}
	for i := 0; i < len(c.ranges); i += 2 {
		for j := 0; j < len(d.ranges); j += 2 {
			if c.ranges[i] <= d.ranges[j+1] && d.ranges[j] <= c.ranges[i+1] {
				return false
			}
		}
	}
	return true
}

// compilePattern compiles a pattern as regexp.Compile reads it.
func compilePattern(src string) (*pattern, error) {
	re, err := regexp.Compile(src)
	if err != nil {
		return nil, err
	}
	p := &pattern{src: src}
	if items, ok := fastItems(src); ok {
		p.items = items
		p.fixed = fixedBytes(items)
	} else {
		p.re = re
	}
	return p, nil
}

// Pattern is a compiled regular expression, as regexp.Compile reads it,
// that the schema's fast matcher runs when it is an anchored run of runes
// and classes with counted repeats (^[0-9]+/[0-9]{4}$), and package regexp
// otherwise. It is for other packages' patterns, such as a mapping's
// matches operator.
type Pattern struct{ p *pattern }

// CompilePattern compiles a regular expression; the error is
// regexp.Compile's.
func CompilePattern(src string) (*Pattern, error) {
	p, err := compilePattern(src)
	if err != nil {
		return nil, err
	}
	return &Pattern{p}, nil
}

// MatchString reports whether s contains a match of the pattern, as
// regexp.MatchString does.
func (p *Pattern) MatchString(s string) bool { return p.p.match(s) }

// fastItems returns the items of a pattern that is ^, a sequence of single
// runes or classes each repeated min to max times, then $, and that a greedy
// scan matches exactly: each item with a variable count must be disjoint from
// the items that can follow it, so a greedy item never eats what the next
// one needs.
func fastItems(src string) ([]patternItem, bool) {
	re, err := syntax.Parse(src, syntax.Perl)
	if err != nil || re.Op != syntax.OpConcat || len(re.Sub) < 2 {
		return nil, false
	}
	subs := re.Sub
	if subs[0].Op != syntax.OpBeginText || subs[len(subs)-1].Op != syntax.OpEndText {
		return nil, false
	}
	var items []patternItem
	for _, s := range subs[1 : len(subs)-1] {
		min, max := 1, 1
		switch s.Op {
		case syntax.OpRepeat:
			min, max = s.Min, s.Max
			s = s.Sub[0]
		case syntax.OpStar:
			min, max = 0, -1
			s = s.Sub[0]
		case syntax.OpPlus:
			min, max = 1, -1
			s = s.Sub[0]
		case syntax.OpQuest:
			min, max = 0, 1
			s = s.Sub[0]
		}
		if s.Flags&syntax.FoldCase != 0 {
			return nil, false
		}
		switch {
		case s.Op == syntax.OpCharClass:
			items = append(items, patternItem{newRuneClass(s.Rune), min, max})
		case s.Op == syntax.OpLiteral && (len(s.Rune) == 1 || min == 1 && max == 1):
			for _, r := range s.Rune {
				items = append(items, patternItem{newRuneClass([]rune{r, r}), min, max})
			}
		default:
			return nil, false
		}
	}
	for i := range items {
		if items[i].min == items[i].max {
			continue
		}
		for j := i + 1; j < len(items); j++ {
			if !items[i].class.disjoint(&items[j].class) {
				return nil, false
			}
			if items[j].min > 0 {
				break
			}
		}
	}
	return items, true
}

// fixedBytes returns the ASCII set of each byte of a match of items, nil
// unless every item is a fixed count of a class of ASCII runes alone.
func fixedBytes(items []patternItem) [][2]uint64 {
	var sets [][2]uint64
	for _, it := range items {
		if it.min != it.max || len(it.class.ranges) > 0 {
			return nil
		}
		for range it.min {
			sets = append(sets, it.class.ascii)
		}
	}
	if sets == nil {
		return nil // ^$: the general loop
	}
	return sets
}

// match reports whether s contains a match of the pattern, as
// regexp.MatchString does.
func (p *pattern) match(s string) bool {
	if p.re != nil {
		return p.re.MatchString(s)
	}
	if p.fixed != nil {
		// A byte that is not ASCII starts a rune no set has.
		if len(s) != len(p.fixed) {
			return false
		}
		for i := 0; i < len(s); i++ {
			c := s[i]
			if c >= utf8.RuneSelf || p.fixed[i][c>>6]&(1<<(c&63)) == 0 {
				return false
			}
		}
		return true
	}
	pos := 0
	for i := range p.items {
		it := &p.items[i]
		n := 0
		for it.max < 0 || n < it.max {
			if pos == len(s) {
				break
			}
			r, size := rune(s[pos]), 1
			if r >= utf8.RuneSelf {
				r, size = utf8.DecodeRuneInString(s[pos:])
			}
			if !it.class.has(r) {
				break
			}
			pos += size
			n++
		}
		if n < it.min {
			return false
		}
	}
	return pos == len(s)
}
